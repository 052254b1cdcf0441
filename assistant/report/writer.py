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
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from functools import cache

from assistant.llm.client import LLMClient, failure_kind
from assistant.report.model import (
    Report,
    ReportChunk,
    ReportEvent,
    ReportReady,
    ReportSection,
    Source,
    _opening,
)
from assistant.report.prompt import build_messages
from assistant.report.sections import SectionSpec, _header, _normalise, _writable, sections
from assistant.report.standard import (
    _fallback_file,
    _fixed_body,
    _lead,
    _require_lesion,
    _section,
    _standard_bodies,
    _summarise,
    standard_report,
)
from assistant.safety import checked_stream
from assistant.safety.checked_stream import CheckedStream
from assistant.safety.forbidden import drop_sentences
from assistant.safety.output_checks import OutputContext, check_output, clean_markdown, unquoted
from assistant.safety.violations import CHECKS, ViolationKind
from assistant.text.locale import LOCALES
from assistant.text.result import facts
from tools.catalogue import catalogue
from tools.result import ClassificationResult
from tools.text import DEFAULT_LOCALE, Message, msg, render, t

log = logging.getLogger(__name__)

MIN_WORDS = 4  # a section body shorter than this is treated as empty
ECHO_SIMILARITY = 0.6  # a body this similar to its prompt guide is the guide copied back


# ---------------------------------------------------------------- the report


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
    """The checks of one section: figures go, the other sections' headings must not appear in it, and it is
    written in real words of the report's language."""
    others = tuple(t for s in sections(locale) if s.number != spec.number for t in (s.title, *s.aliases))
    return OutputContext(instructions=instruction_texts(), headings=others, figures=True, language=locale)


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
    # Its heading said again and the facts quoted ('Cosa significa la confidenza: "Il tipo più simile è..."'):
    # nothing written.
    title = set(re.findall(r"[^\W\d_]{2,}", spec.title.casefold()))
    if len([w for w in re.findall(r"[^\W\d_]{2,}", unquoted(body).casefold()) if w not in title]) < MIN_WORDS:
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
