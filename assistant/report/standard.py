"""The standard report: the curated text per class and locale (prompts/locales/<locale>/report/fallback/),
the app's own lines (result, urgency, section 9) and the note that says which parts are standard.
Pure: a result and a locale in, a `Report` out."""

from __future__ import annotations

from collections.abc import Mapping
from string import Template
from typing import Literal

from assistant.llm.client import FailureKind
from assistant.report.model import (
    Report,
    ReportSection,
    Source,
)
from assistant.report.sections import _writable, parse_sections, sections
from assistant.text.prompts import locale_data, locale_text
from assistant.text.result import facts, worded
from tools.result import ClassificationResult
from tools.text import DEFAULT_LOCALE, fill


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
_NOTE_FOR_FAILURE: dict[FailureKind, NoteKey] = {"unavailable": "standard", "timeout": "timeout", "error": "error",
                                                 "empty": "unusable"}


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
