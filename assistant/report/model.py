"""What a report is: nine `ReportSection`s in a `Report` (who wrote each, the note on standard parts,
the repairs), the events a streamed report yields (`ReportChunk`, then one `ReportReady`), and an
`Analysis`: one photo the classifier looked at, with its report, photo and heat-map, as kept for its PDF."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, Field, computed_field

from assistant.report.references import new_reference
from tools.result import ClassificationResult
from tools.text import DEFAULT_LOCALE

HEADING = "## {number}. {title}"
Source = Literal["model", "standard"]


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


class Analysis(BaseModel):
    """One photo the classifier looked at; `report` is None when it was not a skin spot. A skin spot's
    photo (as sent) and heat-map (PNG) are kept beside it, as bytes, for its PDF (assistant/report/pdf.py)
    and the clinic: at most `chat_max_images` per conversation. `reference` names it on paper."""

    result: ClassificationResult
    report: Report | None = None
    photo: bytes | None = None
    heatmap_png: bytes | None = None
    reference: str = Field(default_factory=new_reference)
    created: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    locale: str = DEFAULT_LOCALE  # the report's language
