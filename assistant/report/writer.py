"""The nine-section screening report: prompt -> LLM stream -> checked, repaired Markdown, shown as it
is checked.

The user always gets nine sections, in the seed's order. The model writes sections 1-8; the app writes
the headings and numbering, the result line in section 2, the urgency line in section 4, and all of
section 9 (prompts/locales/<locale>/report/fixed.toml). A model section that is missing, empty, cut off, skipped or
contains forbidden content (assistant/safety/output_checks.py) is replaced by the standard text for the class
(prompts/locales/<locale>/report/fallback/), and the report says so; a section that comes after its turn (out of order, or a
second copy) is dropped. When the LLM is down, slow or unusable, the whole report is the standard one.

Nothing the model writes is shown before it is checked: the report streams section by section
(`ReportWriter`, the checker of the one checked stream, assistant/safety/checked_stream.py), each section shown
once it is complete and has passed the same check (`_check_body`) whether streamed or validated whole.

Public API:
- `stream_report(result, image_bytes, llm)`: async iterator of `ReportChunk` (checked Markdown, in
  display order) then exactly one `ReportReady` (the `Report`, whose markdown is the chunks joined).
- `build_report(result, image_bytes, llm) -> Report`: the same without the chunks.
- `validate_report(text, result, ...) -> Report` and `standard_report(result, ...) -> Report`: pure.
- `ReportWriter`: the section-by-section check behind both, for text that arrives in pieces.
- `build_messages(result, image_bytes) -> messages` for the LLM.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import aclosing
from functools import cache
from string import Template
from typing import Literal

from openai.types.chat import ChatCompletionContentPartParam, ChatCompletionMessageParam
from pydantic import BaseModel, ConfigDict, computed_field

from assistant.safety import checked_stream
from assistant.safety.checked_stream import CheckedStream
from assistant.llm.client import FailureKind, LLMClient, failure_kind, image_part
from assistant.text.lexicon import LANGUAGE_NAMES, normalise
from assistant.text.locale import LOCALES
from assistant.text.prompts import locale_data, locale_text, prompt_text
from assistant.text.result import facts, worded
from assistant.safety.output_checks import CHECKS, OutputContext, ViolationKind, check_output, clean_markdown, drop_sentences
from tools.catalogue import catalogue
from tools.result import ClassificationResult
from tools.text import DEFAULT_LOCALE, Message, fill, msg, render, t

log = logging.getLogger(__name__)

HEADING = "## {number}. {title}"
MIN_WORDS = 4  # a section body shorter than this is treated as empty
FUZZY_TITLE = 0.8  # similarity for a marked heading to count as a section title
FUZZY_NUMBERED = 0.5  # ... when its number also matches
ECHO_SIMILARITY = 0.6  # a body this similar to its prompt guide is the guide copied back

Source = Literal["model", "standard"]



# ---------------------------------------------------------------- data files


class SectionSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    number: int
    title: str
    aliases: tuple[str, ...] = ()
    guide: str
    fixed: bool = False  # written by the app, never by the model


@cache
def sections(locale: str = DEFAULT_LOCALE) -> tuple[SectionSpec, ...]:
    """The nine sections with the locale's titles and guides. English decides which the app writes
    itself, and the English titles stay aliases: a model may write them whatever it is asked."""
    english = locale_data("report/sections.toml")["sections"]
    if locale == DEFAULT_LOCALE:
        return tuple(SectionSpec(number=i, **s) for i, s in enumerate(english, start=1))
    own = locale_data("report/sections.toml", locale)["sections"]
    return tuple(
        SectionSpec(number=i, title=mine["title"], guide=mine["guide"], fixed=base.get("fixed", False),
                    aliases=(*mine.get("aliases", ()), base["title"], *base.get("aliases", ())))
        for i, (mine, base) in enumerate(zip(own, english, strict=True), start=1))


def _writable() -> list[int]:
    return [s.number for s in sections() if not s.fixed]


# ---------------------------------------------------------------- parsing


def _normalise(title: str) -> str:
    title = normalise(title).replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", title).split())


@cache
def _titles(with_aliases: bool, locale: str = DEFAULT_LOCALE) -> dict[str, int]:
    index = {_normalise(s.title): s.number for s in sections(locale)}
    if with_aliases:
        index = {_normalise(a): s.number for s in sections(locale) for a in s.aliases} | index
    return index


_NUMBER_PREFIX = re.compile(r"^\s*(?:section\s*)?(\d{1,2})\s*[.):-]?\s+", re.I)


def _section_number(text: str, *, marked: bool, locale: str = DEFAULT_LOCALE) -> int | None:
    """Which section a heading text names. Marked headings (#, bold) may use aliases and be a little
    off; a plain line must be an exact title, so ordinary body text is never taken for a heading."""
    text = re.sub(r"[*_`]+", "", text).strip().rstrip(":").strip()
    m = _NUMBER_PREFIX.match(text)
    number = int(m.group(1)) if m else None
    key = _normalise(text[m.end() :] if m else text)
    index = _titles(marked, locale)
    if key in index or not marked or not key:
        return index.get(key)

    def similarity(n: int) -> float:
        return max(difflib.SequenceMatcher(None, key, k).ratio() for k, v in index.items() if v == n)

    numbers = {s.number for s in sections()}
    best = max(numbers, key=similarity)
    if similarity(best) >= FUZZY_TITLE:
        return best
    if number in numbers and similarity(number) >= FUZZY_NUMBERED:
        return number
    return None


_HEADING_LINE = re.compile(r"^\s{0,3}#{1,6}\s*(.+?)[\s#]*$")
_BOLD_LINE = re.compile(r"^\s*(?:\d{1,2}\s*[.)]\s*)?(\*\*|__)(.+?)\1\s*:?\s*(.*)$")
_PLAIN_LINE = re.compile(r"^\s*(?:\d{1,2}\s*[.)]\s*)?(.{3,80}?)\s*:?\s*$")


def _header(line: str, locale: str = DEFAULT_LOCALE) -> tuple[int | None, str]:
    """(section number, text after the title on the same line) if `line` is a section heading."""
    if m := _HEADING_LINE.match(line):
        return _section_number(m.group(1), marked=True, locale=locale), ""
    if m := _BOLD_LINE.match(line):  # "**Title**", "1. **Title:** text..."
        return _section_number(m.group(2), marked=True, locale=locale), m.group(3)
    if m := _PLAIN_LINE.match(line):  # "Condition Overview", "1. Condition Overview:"
        return _section_number(m.group(1), marked=False, locale=locale), ""
    return None, ""


class ParsedSection(BaseModel):
    number: int
    body: str


def parse_sections(markdown: str, locale: str = DEFAULT_LOCALE) -> list[ParsedSection]:
    """Split Markdown at lines that name a report section, in order of appearance (duplicates kept).
    Text before the first recognised heading (chatter such as "Sure! Here is...") is dropped."""
    found: list[tuple[int, list[str]]] = []
    for line in markdown.splitlines():
        number, inline = _header(line, locale)
        if number is not None:
            found.append((number, [inline] if inline else []))
        elif found:
            found[-1][1].append(line)
    return [ParsedSection(number=n, body="\n".join(lines).strip()) for n, lines in found]


# ---------------------------------------------------------------- prompt


def build_messages(result: ClassificationResult, image_bytes: bytes | None = None,
                   locale: str = DEFAULT_LOCALE) -> list[ChatCompletionMessageParam]:
    """System and user messages. The rules go in both: Gemma folds the system text into the user turn
    and small models weigh the last instructions most. The headings, their guides and the facts are in
    the patient's language, and the model is told to write in it."""
    rules = prompt_text("report_rules.md")
    listing = "\n\n".join(
        HEADING.format(number=s.number, title=s.title) + "\n" + s.guide for s in sections(locale)
    )
    writable = _writable()
    user = Template(prompt_text("report_user.md")).substitute(
        facts(result, locale),
        rules=rules,
        sections=listing,
        language_name=LANGUAGE_NAMES.get(locale, LANGUAGE_NAMES[DEFAULT_LOCALE]),
        first_title=sections(locale)[0].title,
        last_written=str(writable[-1]),
        image_note=prompt_text("report_image.md") + "\n" if image_bytes else "",
    )
    content: str | list[ChatCompletionContentPartParam] = user
    if image_bytes:
        content = [{"type": "text", "text": user}, image_part(image_bytes)]
    return [
        {"role": "system", "content": Template(prompt_text("report_system.md")).substitute(rules=rules)},
        {"role": "user", "content": content},
    ]


# ---------------------------------------------------------------- the report


class ReportSection(BaseModel):
    """One section as shown. `body` includes the app's lead line (sections 2 and 4); `source` says who
    wrote the rest: the AI writer, or the standard text."""

    number: int
    title: str
    body: str
    source: Source


class Report(BaseModel):
    """The nine sections, always complete and in order. `source`: "model" when the AI wrote every
    writable section, "standard" when it wrote none, "mixed" otherwise. `note`: one line saying which
    parts are the standard text; at the top of a report that was the standard one from the start, at
    the end (`note_at_end`) of one streamed from the AI's text, where it is only known once every
    section has been checked. `markdown` is the full text, `parts()` the same in display order."""

    label: str
    display_name: str
    sections: list[ReportSection]
    source: Literal["model", "standard", "mixed"]
    note: str | None = None
    note_at_end: bool = False
    repairs: list[str] = []  # what was replaced or removed from the model's text, and why
    model_id: str | None = None

    def parts(self) -> list[str]:
        """The Markdown in display order: the note when at the top, each section, the note when at the
        end, the closing newline. Joined, `markdown`."""
        parts = [_opening(s.number, s.title) + s.body for s in self.sections]
        if self.note:
            if self.note_at_end:
                parts.append("\n\n" + self.note)
            else:
                parts.insert(0, self.note + "\n\n")
        return parts + ["\n"]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def markdown(self) -> str:
        return "".join(self.parts())


def _opening(number: int, title: str) -> str:
    """What comes before a section's body: its heading, after a blank line unless it is the first."""
    return ("" if number == 1 else "\n\n") + HEADING.format(number=number, title=title) + "\n\n"


def _lead(number: int, values: Mapping[str, str], locale: str) -> str | None:
    """The app's line at the start of a section (the result in 2, the urgency in 4), or None."""
    lead = locale_data("report/fixed.toml", locale)["leads"].get(str(number))
    return Template(lead).substitute(values) if lead is not None else None


def _fixed_body(number: int, values: Mapping[str, str], locale: str) -> str:
    return Template(locale_data("report/fixed.toml", locale)["fixed"][str(number)]).substitute(values).strip()


def _section(number: int, body: str, source: Source, values: Mapping[str, str], locale: str) -> ReportSection:
    lead = _lead(number, values, locale)
    title = sections(locale)[number - 1].title
    return ReportSection(number=number, title=title, body=f"{lead}\n\n{body}" if lead else body, source=source)


def _fallback_file(name: str, locale: str = DEFAULT_LOCALE) -> dict[int, str]:
    return {p.number: p.body for p in parse_sections(locale_text(f"report/fallback/{name}.md", locale), locale)}


def _standard_bodies(result: ClassificationResult, locale: str) -> dict[int, str]:
    """The class's curated text, with the escalation / low-confidence paragraphs in front where they apply."""
    bodies = _fallback_file(result.dx, locale)
    for variant, applies in (("_low_confidence", result.uncertainty.low_confidence), ("_escalated", result.triage.escalated)):
        if applies:
            for n, extra in _fallback_file(variant, locale).items():
                bodies[n] = extra + "\n\n" + bodies[n]
    values = facts(result, locale)
    return {n: Template(body).substitute(values) for n, body in bodies.items()}


NoteKey = Literal["standard", "timeout", "error", "unusable"]
_NOTE_FOR_FAILURE: dict[FailureKind, NoteKey] = {"unavailable": "standard", "timeout": "timeout", "error": "error", "empty": "unusable"}


def _summarise(
    result: ClassificationResult,
    shown: list[ReportSection],
    *,
    note_when_standard: NoteKey,
    note_at_end: bool,
    repairs: list[str],
    model_id: str | None,
    locale: str,
) -> Report:
    """The report of these nine sections, with its overall source and note."""
    replaced = [str(s.number) for s in shown if s.number in _writable() and s.source == "standard"]
    notes = locale_data("report/fixed.toml", locale)["notes"]
    if not replaced:
        overall, note = "model", None
    elif len(replaced) == len(_writable()):
        overall, note = "standard", notes[note_when_standard]
    else:
        wording = notes["mixed_one" if len(replaced) == 1 else "mixed"]
        overall, note = "mixed", Template(wording).substitute(numbers=fill("{n:list}", locale, n=replaced))
    return Report(
        label=result.label,
        display_name=worded(result, locale).display_name,
        sections=shown,
        source=overall,
        note=note,
        note_at_end=note_at_end,
        repairs=repairs,
        model_id=model_id,
    )


def _require_lesion(result: ClassificationResult) -> None:
    if result.status != "ok":
        raise ValueError(f"no report for a result with status {result.status!r}")


def standard_report(
    result: ClassificationResult,
    *,
    repairs: list[str] | None = None,
    model_id: str | None = None,
    failure: FailureKind = "unavailable",
    locale: str = DEFAULT_LOCALE,
) -> Report:
    """The curated report for the result's class, with a note at the top saying why the AI writer's
    text is not in it (`failure`: it was not available, too slow, failed, or sent nothing)."""
    _require_lesion(result)
    values = facts(result, locale)
    standard = _standard_bodies(result, locale)
    shown = [
        _section(s.number, _fixed_body(s.number, values, locale) if s.fixed else standard[s.number], "standard",
                 values, locale)
        for s in sections(locale)
    ]
    return _summarise(result, shown, note_when_standard=_NOTE_FOR_FAILURE[failure], note_at_end=False,
                      repairs=repairs or [], model_id=model_id, locale=locale)


def _demote_headings(text: str) -> str:
    """Headings inside a section would break the nine-section outline: make them bold lines."""
    return re.sub(r"^\s{0,3}#{1,6}\s*(.+?)[\s#]*$", r"**\1**", text, flags=re.M)


def _echoes_guide(body: str, guide: str) -> bool:
    """Small models often copy the prompt's description of a section instead of writing it."""
    b, g = _normalise(body), _normalise(guide)
    return b.startswith(" ".join(g.split()[:5])) or difflib.SequenceMatcher(None, b, g).ratio() >= ECHO_SIMILARITY


@cache
def instruction_texts() -> tuple[str, ...]:
    """Every instruction text a report model is given (rules, system and user templates, section
    guides): none of it may come back to the patient, in any section."""
    names = ("report_rules.md", "report_system.md", "report_user.md", "report_image.md")
    return checked_stream.instruction_texts(*names) + tuple(dict.fromkeys(s.guide for lang in LOCALES for s in sections(lang)))


def output_context(spec: SectionSpec, locale: str = DEFAULT_LOCALE) -> OutputContext:
    """The checks of one section: figures go, and the other sections' headings must not appear in it."""
    others = tuple(t for s in sections(locale) if s.number != spec.number for t in (s.title, *s.aliases))
    return OutputContext(instructions=instruction_texts(), headings=others, figures=True)


_MISSING = msg("repair_problem.missing")


def _check_body(body: str, spec: SectionSpec, locale: str = DEFAULT_LOCALE) -> tuple[str, list[Message], Message | None]:
    """The one check of a model-written section body: (cleaned body, notes on removed sentences,
    reason to reject it or None). Used for every section, streamed or not (ReportWriter). Checks whose
    action is "drop_sentence" remove their sentences; any other failure replaces the section."""
    body = _demote_headings(clean_markdown(body))
    found = check_output(body, output_context(spec, locale))
    dropped = [v for v in found if v.action == "drop_sentence"]
    notes = []
    if dropped:
        body = drop_sentences(body, [(v.start, v.end) for v in dropped])
        notes.append(msg("repair.figures_removed", count=len(dropped)))
        found = check_output(body, output_context(spec, locale))
    if rejected := [v for v in found if v.action != "drop_sentence"]:
        v = rejected[0]
        return body, notes, msg("repair_problem.contained", reason=CHECKS[v.kind].reason, text=v.text)
    if len(re.findall(r"[^\W\d_]{2,}", body)) < MIN_WORDS:
        return body, notes, msg("repair_problem.empty")
    if _echoes_guide(body, spec.guide):
        return body, notes, msg("repair_problem.echoed_guide")
    return body, notes, None


class ReportWriter:
    """The report, built section by section from the model's text as it arrives: `feed(text)`, then
    `finish()`. Both return the Markdown that may be shown now ("" when nothing is ready); every piece
    is already checked, and all of them, joined, are exactly `report.markdown` once finished.

    A section is complete when the next section heading arrives, or the text ends. It is then checked
    (`_check_body`) and shown: the model's text if it passes, otherwise the standard text for the class.
    Sections are shown in order. When the model moves on to a later section, the ones it skipped get
    the standard text at once; a section that comes after its turn (out of order, or a second copy) is
    dropped. Each section's heading and the app's lead line are shown as soon as the section before is
    done; section 9 (the app's own text) right after section 8, and a model's section 9 is ignored.
    `finish(truncated=True)`: the text was cut off, so the section in progress is not trusted.
    As the checked stream's checker (assistant/safety/checked_stream.py) it never stops the model: a failing
    section is replaced and the model goes on, so `problem` stays None."""

    problem: ViolationKind | None = None

    def __init__(self, result: ClassificationResult, locale: str = DEFAULT_LOCALE) -> None:
        _require_lesion(result)
        self._result, self._locale = result, locale
        self._values = facts(result, locale)
        self._standard = _standard_bodies(result, locale)
        self._specs = {s.number: s for s in sections(locale)}
        self._line = ""  # the model's last line, not yet ended
        self._reading: int | None = None  # the section being read (its turn is now); None: text to ignore
        self._body: list[str] = []
        self._next = sections()[0].number  # the next section to show
        self._started = False
        self._shown: list[ReportSection] = []
        self._reasons: dict[int, Message] = {}  # why a writable section is the standard text
        self._notes: list[Message] = []  # what was removed from the model's text or ignored
        self.report: Report | None = None  # set by finish()

    @property
    def shown(self) -> list[ReportSection]:
        """The sections checked and shown so far, in order."""
        return list(self._shown)

    def feed(self, text: str) -> str:
        if self.report is not None:
            raise RuntimeError("the report is already finished")
        shown = self._start()
        *lines, self._line = (self._line + text).split("\n")
        for line in lines:
            shown += self._take(line)
        return shown

    def finish(self, *, truncated: bool = False, model_id: str | None = None) -> str:
        if self.report is not None:
            raise RuntimeError("the report is already finished")
        shown = self._start()
        if self._line:
            shown += self._take(self._line)
            self._line = ""
        shown += self._close(cut_off=truncated)
        shown += self._fill_to(sections()[-1].number + 1)
        repairs = [render(note) for note in self._notes] + [
            t("repair.section_replaced", number=n, title=self._specs[n].title, problem=self._reasons[n])
            for n in sorted(self._reasons)
        ]
        self.report = _summarise(self._result, self._shown, note_when_standard="unusable", note_at_end=True,
                                 repairs=repairs, model_id=model_id, locale=self._locale)
        return shown + "".join(self.report.parts()[len(self._shown) :])  # the note, the final newline

    def _start(self) -> str:
        if self._started:
            return ""
        self._started = True
        return self._open(self._next)

    def _take(self, line: str) -> str:
        """One complete line of the model's text."""
        number, inline = _header(line, self._locale)
        if number is None:
            if self._reading is not None:
                self._body.append(line)
            return ""
        if number == self._reading and not "".join(self._body).strip():  # the same heading twice in a row
            self._body += [inline] if inline else []
            return ""
        shown = self._close(cut_off=False)
        if self._specs[number].fixed:
            self._reading = None  # the app writes it
        elif number >= self._next:
            shown += self._fill_to(number)
            self._reading, self._body = number, [inline] if inline else []
        else:
            self._late(number)
            self._reading = None
        return shown

    def _close(self, *, cut_off: bool) -> str:
        """Check and show the section being read, now that it is complete."""
        number, self._reading = self._reading, None
        if number is None:
            return ""
        spec = self._specs[number]
        body, self._body = "\n".join(self._body).strip(), []
        if cut_off:
            problem: Message | None = msg("repair_problem.cut_off")
        else:
            body, notes, problem = _check_body(body, spec, self._locale)
            self._notes += [msg("repair.section_note", number=number, title=spec.title, note=note) for note in notes]
        if problem:
            self._reasons[number] = problem
            return self._show(number, self._standard[number], "standard")
        return self._show(number, body, "model")

    def _fill_to(self, number: int) -> str:
        """The standard text for every section before `number` that has not been shown: the model skipped them."""
        shown = ""
        while self._next < number and self._next in self._specs:
            self._reasons[self._next] = _MISSING
            shown += self._show(self._next, self._standard[self._next], "standard")
        return shown

    def _late(self, number: int) -> None:
        """A section heading after the section's turn: its text is dropped."""
        if self._reasons.get(number) == _MISSING:
            self._reasons[number] = msg("repair_problem.out_of_order")
        else:
            self._notes.append(msg("repair.duplicate", number=number, title=self._specs[number].title))

    def _show(self, number: int, body: str, source: Source) -> str:
        """The body of the section whose turn it is, then the opening of the next one."""
        self._shown.append(_section(number, body, source, self._values, self._locale))
        self._next = number + 1
        return body + (self._open(self._next) if self._next in self._specs else "")

    def _open(self, number: int) -> str:
        """The heading and the app's lead of the next section; all of it for a section the app writes."""
        lead = _lead(number, self._values, self._locale)
        shown = _opening(number, self._specs[number].title) + (lead + "\n\n" if lead else "")
        if self._specs[number].fixed:
            shown += self._show(number, _fixed_body(number, self._values, self._locale), "standard")
        return shown


def validate_report(
    text: str, result: ClassificationResult, *, model_id: str | None = None, truncated: bool = False,
    locale: str = DEFAULT_LOCALE,
) -> Report:
    """The model's whole Markdown checked section by section and repaired into a complete report:
    exactly what `stream_report` shows for the same text. `truncated`: the reply was cut off (stall,
    timeout, max_tokens), so its last section is not trusted. A model's section 9 is ignored: the
    disclaimers are always the app's text."""
    writer = ReportWriter(result, locale)
    writer.feed(text)
    writer.finish(truncated=truncated, model_id=model_id)
    assert writer.report is not None  # set by finish()
    return writer.report


# ---------------------------------------------------------------- streaming API


class ReportChunk(BaseModel):
    """Checked report Markdown, in display order: append it to what is shown. All chunks, joined, are
    the `ReportReady` report's markdown."""

    type: Literal["chunk"] = "chunk"
    text: str
    sections: list[ReportSection] = []  # the sections this chunk completes, each already checked


class ReportReady(BaseModel):
    """The report whose markdown the chunks spelled out; always the last event."""

    type: Literal["report"] = "report"
    report: Report


ReportEvent = ReportChunk | ReportReady


def _whole(report: Report) -> Iterator[ReportEvent]:
    """A report known in full at once, as the same events: its parts, then the report."""
    first = 1 if report.note and not report.note_at_end else 0  # parts()[0] is then the note
    for i, part in enumerate(report.parts()):
        n = i - first
        yield ReportChunk(text=part, sections=[report.sections[n]] if 0 <= n < len(report.sections) else [])
    yield ReportReady(report=report)


def standard_reports_ready() -> bool:
    """Whether the standard (fallback) text exists for every locale, class and writable section."""
    try:
        return all(set(_writable()) <= set(_fallback_file(c.dx, locale))
                   for locale in LOCALES for c in catalogue().classes)
    except Exception:  # a missing or unreadable file
        return False


async def stream_report(
    result: ClassificationResult, image_bytes: bytes | None = None, llm: LLMClient | None = None, *,
    locale: str = DEFAULT_LOCALE,
) -> AsyncIterator[ReportEvent]:
    """The report as it is written and checked, section by section (`ReportChunk`s), then the report
    itself (`ReportReady`), whose markdown is the chunks joined: nothing unchecked is ever shown.
    Never raises for LLM trouble: without `llm`, or when it fails before any text, the report is the
    standard one. The photo is sent only when `llm.config.send_image` is on. Raises ValueError for a
    result that is not a lesion."""
    _require_lesion(result)
    if llm is None:
        for event in _whole(standard_report(result, repairs=[t("repair.no_writer")], locale=locale)):
            yield event
        return
    writer = ReportWriter(result, locale)
    checked = CheckedStream(llm.stream(build_messages(result, image_bytes if llm.config.send_image else None, locale)),
                            writer, what="report")
    done = 0  # sections already sent in a chunk

    def chunk(text: str) -> ReportChunk:
        nonlocal done
        new, done = writer.shown[done:], len(writer.shown)
        return ReportChunk(text=text, sections=new)

    async with aclosing(checked):  # the model's stream closed here, however the report ends
        async for shown in checked:
            yield chunk(shown)
    failure = checked.failure
    if not checked.received:  # the stream raises rather than end without text, so `failure` is set
        report = standard_report(result, repairs=[t("repair.writer_failed", failure=str(failure))], model_id=checked.model_id,
                                 failure=failure_kind(failure), locale=locale)
        for event in _whole(report):
            yield event
        return
    truncated = failure is not None or checked.finish_reason == "length"
    yield chunk(writer.finish(truncated=truncated, model_id=checked.model_id))
    assert writer.report is not None  # set by finish()
    if failure:
        writer.report.repairs.insert(0, t("repair.writer_stopped", failure=str(failure)))
    yield ReportReady(report=writer.report)


async def build_report(
    result: ClassificationResult, image_bytes: bytes | None = None, llm: LLMClient | None = None, *,
    locale: str = DEFAULT_LOCALE,
) -> Report:
    """`stream_report` without the chunks: just the report."""
    async for event in stream_report(result, image_bytes, llm, locale=locale):
        if isinstance(event, ReportReady):
            return event.report
    raise AssertionError("stream_report always ends with a ReportReady")
