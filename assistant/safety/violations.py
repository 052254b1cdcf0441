"""What an output check finds: a `Violation` of a named kind, and each kind's action (`CHECKS`): drop the
sentence, or replace the section or the answer with the app's curated text."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from tools.text import Message, render, term

ViolationKind = Literal[
    "diagnosis", "dose", "drug", "dismissal", "reassurance", "echo", "heading", "figure", "phone", "language",
    "unrelated", "repetition", "empty", "tautology", "echoed_question", "filler", "wrong_class", "transcript",
    "question_first", "earlier_answer", "invented_word",
]


Action = Literal["drop_sentence", "replace_section", "replace_answer"]


class OutputCheck(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: ViolationKind
    action: Action

    @property
    def reason(self) -> Message:
        """What the text contained, worded by the catalogue (check_reason.*): completes "it contained ..."."""
        return term("check_reason", self.name)


CHECKS: dict[ViolationKind, OutputCheck] = {
    c.name: c
    for c in (
        OutputCheck(name="diagnosis", action="replace_section"),
        OutputCheck(name="dose", action="replace_section"),
        OutputCheck(name="drug", action="replace_section"),
        OutputCheck(name="dismissal", action="replace_section"),
        OutputCheck(name="reassurance", action="replace_section"),
        OutputCheck(name="echo", action="replace_section"),
        OutputCheck(name="heading", action="replace_section"),
        OutputCheck(name="figure", action="drop_sentence"),
        OutputCheck(name="phone", action="replace_answer"),
        OutputCheck(name="language", action="replace_answer"),
        OutputCheck(name="unrelated", action="replace_answer"),
        OutputCheck(name="repetition", action="replace_section"),
        OutputCheck(name="empty", action="replace_answer"),
        OutputCheck(name="tautology", action="replace_answer"),
        OutputCheck(name="echoed_question", action="replace_answer"),
        OutputCheck(name="filler", action="replace_answer"),
        OutputCheck(name="wrong_class", action="replace_section"),
        OutputCheck(name="transcript", action="replace_section"),
        OutputCheck(name="question_first", action="replace_answer"),
        OutputCheck(name="earlier_answer", action="replace_section"),
        OutputCheck(name="invented_word", action="replace_section"),
    )
}


class Violation(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: ViolationKind
    text: str
    start: int
    end: int

    @property
    def reason(self) -> str:
        """In the default locale (AnswerCheck.problems, logs); a patient reads it through a note."""
        return render(CHECKS[self.kind].reason)

    @property
    def action(self) -> Action:
        return CHECKS[self.kind].action
