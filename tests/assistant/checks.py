"""What a user must always get from a report, as one assertion; and model replies written for tests."""

from __future__ import annotations

import re
import tomllib

from assistant.text.prompts import LOCALE_TEXTS_DIR
from assistant.report.model import Report
from assistant.text.result import facts
from assistant.safety.forbidden import find_forbidden
from tools.result import ClassificationResult

SEED_TITLES = [
    "Condition Overview",
    "What the Confidence Means",
    "Key Visual / Clinical Features",
    "Recommended Next Actions",
    "When to Seek Immediate Care",
    "Self-Monitoring Checklist",
    "Lifestyle & Prevention Tips",
    "Professional Follow-Up Rationale",
    "Important Disclaimers",
]
NOTES = tomllib.loads((LOCALE_TEXTS_DIR / "en" / "report" / "fixed.toml").read_text(encoding="utf-8"))["notes"]
STANDARD_NOTE = NOTES["standard"]  # the AI writer was not available (also: no AI writer configured)
TIMEOUT_NOTE = NOTES["timeout"]
ERROR_NOTE = NOTES["error"]
UNUSABLE_NOTE = NOTES["unusable"]

# A plausible, rule-abiding body per section (hedged, no numbers, no drugs).
BODIES = {
    1: "This spot may be consistent with a common kind of skin growth. A doctor can confirm what it is.",
    2: "The screening result shows how closely the photo matches known examples. It is not a diagnosis.",
    3: "Look at the shape, the border and the colours of the spot, and whether it changes over time.",
    4: "Book a visit with a doctor and bring a clear photo of the spot taken in good light.",
    5: "See a doctor within a few days if the spot bleeds, grows fast or turns into a sore.",
    6: "- Take a photo each month\n- Compare size and colour\n- Note any itching or bleeding",
    7: "Use sunscreen, wear a hat and avoid sunbeds. Check your skin every month.",
    8: "A dermatologist can look closely with a special magnifier and decide whether a test is needed.",
}


def reply(order: list[int] | None = None, bodies: dict[int, str] | None = None) -> str:
    """A model reply with the sections in `order` (default 1-8), using `bodies` over the defaults."""
    texts = BODIES | (bodies or {})
    return "\n\n".join(f"## {n}. {SEED_TITLES[n - 1]}\n{texts[n]}" for n in (order or list(range(1, 9)))) + "\n"


def assert_complete(report: Report, result: ClassificationResult) -> None:
    """Nine sections with the seed's titles in order; our numbers, urgency and disclaimers; nothing
    forbidden; no HTML; a note (at the top, or at the end of a streamed report) whenever any section is
    the standard text."""
    md = report.markdown
    assert [(s.number, s.title) for s in report.sections] == list(enumerate(SEED_TITLES, start=1))
    assert re.findall(r"^## (\d)\. (.+)$", md, flags=re.M) == [(str(n), t) for n, t in enumerate(SEED_TITLES, 1)]
    assert len(re.findall(r"^#", md, flags=re.M)) == 9, "the nine section headings are the only headings"
    values = facts(result)
    by_number = {s.number: s for s in report.sections}
    assert f"**{values['confidence_pct']}**" in by_number[2].body.split("\n\n")[0]
    assert by_number[4].body.startswith(f"**Urgency: {result.triage.title}.**")
    assert by_number[9].source == "standard"
    assert all(len(s.body.split()) >= 4 for s in report.sections)
    assert find_forbidden(md) == [], find_forbidden(md)
    assert not re.search(r"<[A-Za-z/!]", md), "no HTML may reach the renderer"
    ours = set(re.findall(r"\d+%", " ".join(values.values())))
    assert set(re.findall(r"\d+%", md)) <= ours, "every percentage shown is one of ours"
    model_sections = [s for s in report.sections if s.source == "model"]
    assert report.source == ("standard" if not model_sections else "model" if len(model_sections) == 8 else "mixed")
    assert (report.note is None) == (report.source == "model")
    if report.note:
        assert md.rstrip().endswith(report.note) if report.note_at_end else md.startswith(report.note)
    assert md == "".join(report.parts())
