"""What a follow-up answer knows and gives: `FollowupContext` (the screening results so far, their reports,
a bounded chat history) and `FollowupAnswer` (the text shown and where it came from)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from assistant.core.settings import get_settings
from assistant.report.model import Report
from assistant.safety.verdict import Verdict
from tools.result import ClassificationResult

HISTORY_CHARS = 600  # per entry; a pasted report must not crowd out the rules
Source = Literal["fixed", "model", "curated"]
# A note of the app's own, as FollowupAnswer.text carries it: a line in italics ("*The AI's answer was replaced
# ...*"). Kept from the model's history: SmolLM2 wrote the notes it read back as its own answers.
APP_NOTE = re.compile(r"^\*[^*\n]+\*$", re.M)


class FollowupContext(BaseModel):
    """What a follow-up answer may use. `results[i]` is "image i+1" (the order photos were attached; the
    last is the latest) and `reports[i]` its report (None when none was made, e.g. not a lesion; the list
    may be shorter than `results`). `history`: (role, text) pairs, "user" or "assistant", oldest first;
    as many as the conversation keeps (settings: CHAT_HISTORY_MESSAGES), each cut to HISTORY_CHARS characters. `max_image_mb`:
    the upload limit, for the guidance on attaching a photo."""

    results: list[ClassificationResult] = []
    reports: list[Report | None] = []
    history: list[tuple[str, str]] = []
    max_image_mb: int = Field(default_factory=lambda: get_settings().max_image_mb)

    @field_validator("history")
    @classmethod
    def _bound_history(cls, history: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(role, text[:HISTORY_CHARS]) for role, text in history]

    @model_validator(mode="after")
    def _reports_match_results(self) -> FollowupContext:
        if len(self.reports) > len(self.results):
            raise ValueError(f"{len(self.reports)} reports for {len(self.results)} results")
        return self

    def latest(self) -> tuple[int, ClassificationResult] | None:
        """(image number, result) of the latest photo that was screened as a skin lesion."""
        for i in range(len(self.results) - 1, -1, -1):
            if self.results[i].status == "ok":
                return i + 1, self.results[i]
        return None

    def report(self, number: int) -> Report | None:
        return self.reports[number - 1] if 0 < number <= len(self.reports) else None


class FollowupAnswer(BaseModel):
    """The answer to display. `text` is complete and is exactly the chunks streamed before it (a note,
    when there is one, is already in it, in italics, so do not render `note` again); `source`: "fixed"
    (the app's guardrail text), "model" (the AI's text, checked), or "curated" (the app's standard
    material, possibly after the AI's checked sentences that were shown before one failed);
    `verdict`: the routing, for the audit log; `note`: why the answer is not (all) the AI's, or None."""

    text: str
    source: Source
    verdict: Verdict
    note: str | None = None
