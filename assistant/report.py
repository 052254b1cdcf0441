"""The nine-section screening report: prompt -> LLM stream -> validated, repaired Markdown.

The user always gets nine sections, in the seed's order. The model writes sections 1-8; the app writes
the headings and numbering, the result line in section 2, the urgency line in section 4, and all of
section 9 (prompts/report_fixed.toml). A model section that is missing, empty, duplicated, out of
order, cut off or contains forbidden content (assistant/safety.py) is replaced by the standard text for
the class (prompts/fallback/), and the report says so. When the LLM is down, slow or unusable, the whole
report is the standard one.

Public API:
- `stream_report(result, image_bytes, llm)`: async iterator of `ReportChunk` (raw model text, for live
  display) then exactly one `ReportReady` (the validated `Report`, which replaces the live text).
- `build_report(result, image_bytes, llm) -> Report`: the same without the live chunks.
- `validate_report(text, result, ...) -> Report` and `standard_report(result, ...) -> Report`: pure.
- `build_messages(result, image_bytes) -> messages` for the LLM.
"""

from __future__ import annotations

import difflib
import logging
import re
import tomllib
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from functools import cache
from string import Template
from typing import Literal

from openai.types.chat import ChatCompletionContentPartParam, ChatCompletionMessageParam
from pydantic import BaseModel, ConfigDict, computed_field

from assistant.llm import LLMClient, LLMError, image_part
from assistant.safety import clean_markdown, drop_sentences, find_forbidden
from assistant.settings import PROJECT_ROOT
from tools.catalogue import catalogue
from tools.result import ClassificationResult

log = logging.getLogger(__name__)

PROMPTS_DIR = PROJECT_ROOT / "prompts"
HEADING = "## {number}. {title}"
MIN_WORDS = 4  # a section body shorter than this is treated as empty
FUZZY_TITLE = 0.8  # similarity for a marked heading to count as a section title
FUZZY_NUMBERED = 0.5  # ... when its number also matches
ECHO_SIMILARITY = 0.6  # a body this similar to its prompt guide is the guide copied back

Source = Literal["model", "standard"]

# Figures in model text: the app shows the real numbers, so a model's own (often wrong) ones go.
_FIGURE = re.compile(r"\d+(?:[.,]\d+)?\s?(?:%|percent\b|per cent\b)|\b0?\.\d{2,}\b", re.I)


# ---------------------------------------------------------------- data files


class SectionSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    number: int
    title: str
    aliases: tuple[str, ...] = ()
    guide: str
    fixed: bool = False  # written by the app, never by the model


@cache
def sections() -> tuple[SectionSpec, ...]:
    raw = tomllib.loads((PROMPTS_DIR / "sections.toml").read_text(encoding="utf-8"))
    return tuple(SectionSpec(number=i, **s) for i, s in enumerate(raw["sections"], start=1))


def _writable() -> list[int]:
    return [s.number for s in sections() if not s.fixed]


@cache
def _text(name: str) -> str:
    return (PROMPTS_DIR / name).read_text(encoding="utf-8").strip()


@cache
def _fixed_text() -> dict[str, dict[str, str]]:
    return tomllib.loads(_text("report_fixed.toml"))


# ---------------------------------------------------------------- parsing


def _normalise(title: str) -> str:
    title = title.lower().replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", title).split())


@cache
def _titles(with_aliases: bool) -> dict[str, int]:
    index = {_normalise(s.title): s.number for s in sections()}
    if with_aliases:
        index |= {_normalise(a): s.number for s in sections() for a in s.aliases}
    return index


_NUMBER_PREFIX = re.compile(r"^\s*(?:section\s*)?(\d{1,2})\s*[.):-]?\s+", re.I)


def _section_number(text: str, *, marked: bool) -> int | None:
    """Which section a heading text names. Marked headings (#, bold) may use aliases and be a little
    off; a plain line must be an exact title, so ordinary body text is never taken for a heading."""
    text = re.sub(r"[*_`]+", "", text).strip().rstrip(":").strip()
    m = _NUMBER_PREFIX.match(text)
    number = int(m.group(1)) if m else None
    key = _normalise(text[m.end() :] if m else text)
    index = _titles(with_aliases=marked)
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


def _header(line: str) -> tuple[int | None, str]:
    """(section number, text after the title on the same line) if `line` is a section heading."""
    if m := _HEADING_LINE.match(line):
        return _section_number(m.group(1), marked=True), ""
    if m := _BOLD_LINE.match(line):  # "**Title**", "1. **Title:** text..."
        return _section_number(m.group(2), marked=True), m.group(3)
    if m := _PLAIN_LINE.match(line):  # "Condition Overview", "1. Condition Overview:"
        return _section_number(m.group(1), marked=False), ""
    return None, ""


class ParsedSection(BaseModel):
    number: int
    body: str


def parse_sections(markdown: str) -> list[ParsedSection]:
    """Split Markdown at lines that name a report section, in order of appearance (duplicates kept).
    Text before the first recognised heading (chatter such as "Sure! Here is...") is dropped."""
    found: list[tuple[int, list[str]]] = []
    for line in markdown.splitlines():
        number, inline = _header(line)
        if number is not None:
            found.append((number, [inline] if inline else []))
        elif found:
            found[-1][1].append(line)
    return [ParsedSection(number=n, body="\n".join(lines).strip()) for n, lines in found]


# ---------------------------------------------------------------- the result as text


def _pct(p: float) -> str:
    return "under 1%" if p < 0.005 else f"{p:.0%}"


def _names(labels_probs: list[tuple[str, float]]) -> str:
    cat = catalogue()
    return ", ".join(f"{cat.by_label(label).display_name} {_pct(p)}" for label, p in labels_probs)


def _and_join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def facts(result: ClassificationResult) -> dict[str, str]:
    """Everything the templates may say about the result, already formatted."""
    return {
        "display_name": result.display_name,
        "dx": result.dx,
        "confidence_pct": _pct(result.confidence),
        "confidence_band": result.confidence_band,
        "top3": _names(result.top(3)),
        "runners_up": _names(result.top(3)[1:]) or "none",
        "malignant_pct": _pct(result.malignant_probability),
        "malignant_names": _and_join([c.display_name for c in catalogue().classes if c.malignant]),
        "entropy": f"{result.uncertainty.entropy:.2f}",
        "margin_pct": _pct(result.uncertainty.margin),
        "low_confidence": "yes" if result.uncertainty.low_confidence else "no",
        "tier_title": result.triage.title,
        "tier_action": result.triage.action,
        "triage_reason": result.triage.reason,
        "description": result.description,
    }


# ---------------------------------------------------------------- prompt


def build_messages(result: ClassificationResult, image_bytes: bytes | None = None) -> list[ChatCompletionMessageParam]:
    """System and user messages. The rules go in both: Gemma folds the system text into the user turn
    and small models weigh the last instructions most."""
    rules = _text("report_rules.md")
    listing = "\n\n".join(
        HEADING.format(number=s.number, title=s.title) + "\n" + s.guide for s in sections()
    )
    writable = _writable()
    user = Template(_text("report_user.md")).substitute(
        facts(result),
        rules=rules,
        sections=listing,
        first_title=sections()[0].title,
        last_written=str(writable[-1]),
        image_note=_text("report_image.md") + "\n" if image_bytes else "",
    )
    content: str | list[ChatCompletionContentPartParam] = user
    if image_bytes:
        content = [{"type": "text", "text": user}, image_part(image_bytes)]
    return [
        {"role": "system", "content": Template(_text("report_system.md")).substitute(rules=rules)},
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
    writable section, "standard" when it wrote none, "mixed" otherwise. `markdown` is the full text."""

    label: str
    display_name: str
    sections: list[ReportSection]
    source: Literal["model", "standard", "mixed"]
    note: str | None = None  # one line above the sections saying which parts are the standard text
    repairs: list[str] = []  # what was replaced or removed from the model's text, and why
    model_id: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def markdown(self) -> str:
        parts = [self.note] if self.note else []
        parts += [HEADING.format(number=s.number, title=s.title) + "\n\n" + s.body for s in self.sections]
        return "\n\n".join(parts) + "\n"


def _fallback_file(name: str) -> dict[int, str]:
    return {p.number: p.body for p in parse_sections(_text(f"fallback/{name}.md"))}


def _standard_bodies(result: ClassificationResult) -> dict[int, str]:
    """The class's curated text, with the escalation / low-confidence paragraphs in front where they apply."""
    bodies = _fallback_file(result.dx)
    for variant, applies in (("_low_confidence", result.uncertainty.low_confidence), ("_escalated", result.triage.escalated)):
        if applies:
            for n, extra in _fallback_file(variant).items():
                bodies[n] = extra + "\n\n" + bodies[n]
    values = facts(result)
    return {n: Template(body).substitute(values) for n, body in bodies.items()}


def _assemble(
    result: ClassificationResult,
    model_bodies: Mapping[int, str],
    *,
    note_when_standard: Literal["standard", "unusable"],
    repairs: list[str],
    model_id: str | None,
) -> Report:
    """Nine sections: the model's body where accepted, the standard one otherwise, our leads in front."""
    values = facts(result)
    fixed = _fixed_text()
    standard = _standard_bodies(result)
    out: list[ReportSection] = []
    for spec in sections():
        key = str(spec.number)
        if spec.fixed:
            body, source = Template(fixed["fixed"][key]).substitute(values).strip(), "standard"
        elif spec.number in model_bodies:
            body, source = model_bodies[spec.number], "model"
        else:
            body, source = standard[spec.number], "standard"
        if key in fixed["leads"]:
            body = Template(fixed["leads"][key]).substitute(values) + "\n\n" + body
        out.append(ReportSection(number=spec.number, title=spec.title, body=body, source=source))

    replaced = [str(n) for n in _writable() if n not in model_bodies]
    notes = fixed["notes"]
    if not replaced:
        overall, note = "model", None
    elif len(replaced) == len(_writable()):
        overall, note = "standard", notes[note_when_standard]
    else:
        overall, note = "mixed", Template(notes["mixed"]).substitute(numbers=_and_join(replaced))
    return Report(
        label=result.label,
        display_name=result.display_name,
        sections=out,
        source=overall,
        note=note,
        repairs=repairs,
        model_id=model_id,
    )


def _require_lesion(result: ClassificationResult) -> None:
    if result.status != "ok":
        raise ValueError(f"no report for a result with status {result.status!r}")


def standard_report(
    result: ClassificationResult, *, repairs: list[str] | None = None, model_id: str | None = None
) -> Report:
    """The curated report for the result's class, with the note that the AI writer was not available."""
    _require_lesion(result)
    return _assemble(result, {}, note_when_standard="standard", repairs=repairs or [], model_id=model_id)


def _in_order(numbers: list[int]) -> set[int]:
    """The longest run of `numbers` that is already increasing (kept); the rest are out of order."""
    best: list[list[int]] = []
    for i, n in enumerate(numbers):
        prev = [best[j] for j in range(i) if numbers[j] < n]
        best.append(max(prev, key=len, default=[]) + [n])
    return set(max(best, key=len, default=[]))


def _demote_headings(text: str) -> str:
    """Headings inside a section would break the nine-section outline: make them bold lines."""
    return re.sub(r"^\s{0,3}#{1,6}\s*(.+?)[\s#]*$", r"**\1**", text, flags=re.M)


def _echoes_guide(body: str, guide: str) -> bool:
    """Small models often copy the prompt's description of a section instead of writing it."""
    b, g = _normalise(body), _normalise(guide)
    return b.startswith(" ".join(g.split()[:5])) or difflib.SequenceMatcher(None, b, g).ratio() >= ECHO_SIMILARITY


def _check_body(body: str, spec: SectionSpec) -> tuple[str, list[str], str | None]:
    """(cleaned body, notes on removed sentences, reason to reject it or None)."""
    body = _demote_headings(clean_markdown(body))
    figures = [m.span() for m in _FIGURE.finditer(body)]
    notes = []
    if figures:
        body = drop_sentences(body, figures)
        notes.append(f"removed {len(figures)} figure(s) from the AI text; the app shows the real numbers")
    if violations := find_forbidden(body):
        v = violations[0]
        return body, notes, f"contained {v.reason} ({v.text!r})"
    if len(re.findall(r"[A-Za-z]{2,}", body)) < MIN_WORDS:
        return body, notes, "was empty"
    if _echoes_guide(body, spec.guide):
        return body, notes, "repeated the instructions instead of writing the section"
    return body, notes, None


def validate_report(
    text: str, result: ClassificationResult, *, model_id: str | None = None, truncated: bool = False
) -> Report:
    """Check the model's Markdown section by section and repair it into a complete report.
    `truncated`: the reply was cut off (stall, timeout, max_tokens), so its last section is not trusted.
    A section 9 from the model is ignored: the disclaimers are always the app's text."""
    _require_lesion(result)
    specs = {s.number: s for s in sections()}
    parsed = [p for p in parse_sections(text) if p.number in _writable()]
    reasons: dict[int, str] = {}
    if truncated and parsed:
        reasons[parsed.pop().number] = "was cut off when the AI writer stopped"
    counts = Counter(p.number for p in parsed)
    for n, c in counts.items():
        if c > 1:
            reasons.setdefault(n, "appeared more than once")
    unique = [p for p in parsed if counts[p.number] == 1]
    ordered = _in_order([p.number for p in unique])

    accepted: dict[int, str] = {}
    repairs: list[str] = []
    for p in unique:
        if p.number not in ordered:
            reasons.setdefault(p.number, "was out of order")
            continue
        body, notes, problem = _check_body(p.body, specs[p.number])
        repairs += [f"Section {p.number} ({specs[p.number].title}): {n}" for n in notes]
        if problem:
            reasons.setdefault(p.number, problem)
        else:
            accepted[p.number] = body
    for n in _writable():
        if n not in accepted:
            reasons.setdefault(n, "was missing")
    repairs += [
        f"Section {n} ({specs[n].title}): replaced with the standard text because the AI's version {reasons[n]}"
        for n in sorted(reasons)
    ]
    return _assemble(result, accepted, note_when_standard="unusable", repairs=repairs, model_id=model_id)


# ---------------------------------------------------------------- streaming API


class ReportChunk(BaseModel):
    """Raw model text as it arrives: show it live, then replace it with the `ReportReady` report."""

    type: Literal["chunk"] = "chunk"
    text: str


class ReportReady(BaseModel):
    """The validated report; always the last event."""

    type: Literal["report"] = "report"
    report: Report


ReportEvent = ReportChunk | ReportReady


async def stream_report(
    result: ClassificationResult, image_bytes: bytes | None = None, llm: LLMClient | None = None
) -> AsyncIterator[ReportEvent]:
    """Stream the model's report, then yield the validated one. Never raises for LLM trouble: without
    `llm`, or when it fails before any text, the final report is the standard one. The photo is sent
    only when `llm.config.send_image` is on. Raises ValueError for a result that is not a lesion."""
    _require_lesion(result)
    if llm is None:
        yield ReportReady(report=standard_report(result, repairs=["no AI writer is configured"]))
        return
    stream = llm.stream(build_messages(result, image_bytes if llm.config.send_image else None))
    parts: list[str] = []
    failure: LLMError | None = None
    try:
        async for text in stream:
            parts.append(text)
            yield ReportChunk(text=text)
    except LLMError as e:
        log.warning("report LLM failed (%s): %s", e.kind, e)
        failure = e
    if not parts:  # the stream raises rather than end without text, so `failure` is set
        yield ReportReady(report=standard_report(result, repairs=[f"AI writer failed: {failure}"], model_id=stream.model_id))
        return
    truncated = failure is not None or stream.finish_reason == "length"
    report = validate_report("".join(parts), result, model_id=stream.model_id, truncated=truncated)
    if failure:
        report.repairs.insert(0, f"AI writer stopped early: {failure}")
    yield ReportReady(report=report)


async def build_report(
    result: ClassificationResult, image_bytes: bytes | None = None, llm: LLMClient | None = None
) -> Report:
    """`stream_report` without the live text: just the validated report."""
    async for event in stream_report(result, image_bytes, llm):
        if isinstance(event, ReportReady):
            return event.report
    raise AssertionError("stream_report always ends with a ReportReady")
