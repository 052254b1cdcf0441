"""The one checked stream: a model's reply, shown only as far as the output checks (assistant/safety/output_checks.py)
let it through, for reports and follow-up answers alike.

- `CheckedStream(reply, checker, what=...)`: reads the model's reply (`llm.ChatStream`) and feeds it to a
  `Checker`; yields only the text the checker lets through; stops reading at the checker's first
  problem. However it ends (stopped by a check, failed, timed out, or its reader gone) the model's stream
  is closed at once, in the reader's task: never left to the garbage collector (see `ChatStream.aclose`).
  Afterwards: `received`, `failure` (the error that ended it early, logged), `finish_reason`, `model_id`.
  The caller then asks the checker for the rest (`finish`), by its own rule for a reply cut short.
- The checkers: `report.ReportWriter` (section by section: a failing section is replaced, the model goes
  on) and `AnswerChecker` (sentence by sentence: the first failing sentence stops the answer).
- `instruction_texts(*names)`: the prompt texts a model was given, which none of its text may copy back.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from functools import cache
from typing import Protocol

from assistant.llm.client import ChatStream, LLMError
from assistant.safety.answer_checks import find_hollow
from assistant.safety.output_checks import OutputContext, check_answer, clean_markdown
from assistant.safety.violations import ViolationKind
from assistant.text.prompts import prompt_text

log = logging.getLogger(__name__)


@cache
def instruction_texts(*names: str) -> tuple[str, ...]:
    """The prompt files (under prompts/) a model was given: none of their wording may come back to a patient."""
    return tuple(prompt_text(name) for name in names)


class Checker(Protocol):
    """Takes the model's text in pieces; returns what may be shown now ("" when nothing is ready).
    `problem`: the check that stopped the text, once one has (a checker that repairs instead keeps None)."""

    problem: ViolationKind | None

    def feed(self, text: str) -> str: ...


class CheckedStream:
    """One model reply through one checker: `async with aclosing(checked): async for shown in checked: ...`."""

    def __init__(self, reply: ChatStream, checker: Checker, *, what: str) -> None:
        self._reply, self._checker, self._what = reply, checker, what
        self.received = False  # the model sent some text
        self.failure: Exception | None = None  # what ended the reply early (LLMError, or an unexpected error)
        self._shown: AsyncGenerator[str, None] | None = None

    @property
    def finish_reason(self) -> str | None:
        return self._reply.finish_reason

    @property
    def model_id(self) -> str | None:
        return self._reply.model_id

    def __aiter__(self) -> AsyncGenerator[str, None]:
        if self._shown is None:
            self._shown = self._run()
        return self._shown

    async def aclose(self) -> None:
        """Stop now: the model's stream is closed in this task (a reader that leaves early calls this)."""
        if self._shown is not None:
            await self._shown.aclose()
        await self._reply.aclose()

    async def _run(self) -> AsyncGenerator[str, None]:
        try:
            # Closed on every way out of this block, here and now: the end of the reply, the first problem,
            # an error, and this generator's own closing (its reader left).
            async with aclosing(self._reply):
                async for text in self._reply:
                    self.received = True
                    if shown := self._checker.feed(text):
                        yield shown
                    if self._checker.problem:
                        return
        except LLMError as e:
            log.warning("%s: the LLM failed (%s): %s", self._what, e.kind, e)
            self.failure = e
        except Exception as e:  # the patient must get an answer whatever the client does; keep the trace for us
            log.exception("%s: the LLM client raised unexpectedly", self._what)
            self.failure = e


# ---------------------------------------------------------------- follow-up answers, a sentence at a time

MIN_ANSWER_WORDS = 3  # fewer words once cleaned: the model said nothing usable
RELEVANCE_WORDS = 12  # words held back until the answer can be judged whole (relevant, and not hollow)
_WORD = re.compile(r"[^\W\d_]{2,}")
# Where a sentence (or a list line) ends: line breaks first, so "done. \n" is one break, not two.
_UNIT_END = re.compile(r"[ \t]*\n(?:[ \t]*\n)*|(?<=[.!?])[ \t]+")
# Markup still open at the end of a sentence: cleaning it now would leave a fragment that could join
# the next sentence into a tag, a link or a script once displayed, so the sentence waits for its end.
_OPEN_MARKUP = (
    re.compile(r"<(script|style|iframe|object|embed|svg)\b(?![\s\S]*</\1)", re.I),
    re.compile(r"<!--(?![\s\S]*-->)"),
    re.compile(r"<[A-Za-z/!][^<>]*$"),
    re.compile(r"\[[^\[\]]*$|\]\([^)]*$"),
)
_SEPARATORS = ("", " ", "\n", "\n\n")


def _separator(whitespace: str) -> str:
    return "\n\n" if whitespace.count("\n") >= 2 else "\n" if "\n" in whitespace else " "


class AnswerChecker:
    """The model's answer, let through a sentence (or list line) at a time: each is cleaned
    (`clean_markdown`) and kept only if the answer so far, with it, passes `check_answer` under `context`.
    Once it has RELEVANCE_WORDS words (or has ended) the answer is also judged whole: it must say
    something (`find_hollow`, with `context.question`) and, when `unrelated` is given, be about the
    question. Nothing is shown before the answer has MIN_ANSWER_WORDS words; after a problem, nothing more.
    `feed(text)` and `finish()` return the text that may be shown now; `problem` the check that stopped it."""

    def __init__(self, context: OutputContext, unrelated: Callable[[str], bool] | None = None) -> None:
        self._context, self._unrelated = context, unrelated
        self._judged = context.question is None  # the whole answer needs a question to be judged against
        self.problem: ViolationKind | None = None
        self.raw = ""  # received, not yet split off as a sentence
        self.checked = ""  # passed the check (shown, or held until it can be judged whole)
        self.shown = ""
        self._separator = ""  # whitespace before the next sentence split off, as one of _SEPARATORS
        self._pending = ""  # the break before a sentence that cleaning left empty

    def feed(self, text: str) -> str:
        self.raw += text
        return self._advance(final=False)

    def finish(self) -> str:
        return self._advance(final=True)

    @property
    def usable(self) -> bool:
        return len(_WORD.findall(self.checked)) >= MIN_ANSWER_WORDS

    def _advance(self, *, final: bool) -> str:
        if self.problem:
            return ""
        for separator, sentence in self._sentences(final=final):
            if problem := self._check(separator, sentence):
                self.problem = problem
                return ""
        if not self.usable:
            return ""
        if not self._judged:
            if len(_WORD.findall(self.checked)) < RELEVANCE_WORDS and not final:
                return ""
            self._judged = True
            if problem := self._judge_whole():
                self.problem = problem
                return ""
        new, self.shown = self.checked[len(self.shown) :], self.checked
        return new

    def _judge_whole(self) -> ViolationKind | None:
        assert self._context.question is not None  # set whenever there is something to judge
        if found := find_hollow(self.checked, self._context.question):
            return found[0].kind
        if self._unrelated is not None and self._unrelated(self.checked):
            return "unrelated"
        return None

    def _sentences(self, *, final: bool) -> list[tuple[str, str]]:
        """Complete sentences split off `raw`, each with the separator before it."""
        found: list[tuple[str, str]] = []
        start = 0
        for m in _UNIT_END.finditer(self.raw):
            if m.end() == len(self.raw) and not final:
                break  # the whitespace may go on (one line break may become a paragraph break)
            sentence = self.raw[start : m.start()]
            if any(p.search(sentence) for p in _OPEN_MARKUP):
                continue
            found.append((self._separator, sentence))
            self._separator, start = _separator(m.group(0)), m.end()
        if final and self.raw[start:].strip():
            found.append((self._separator, self.raw[start:]))
            start = len(self.raw)
        self.raw = self.raw[start:]
        return found

    def _check(self, separator: str, sentence: str) -> ViolationKind | None:
        """Add one sentence to `checked` if the answer with it passes the check; else the problem."""
        cleaned = clean_markdown(sentence)
        separator, self._pending = max(separator, self._pending, key=_SEPARATORS.index), ""
        if not cleaned:  # nothing left (markup only): its break goes before the next sentence
            self._pending = separator
            return None
        if not self.checked:
            separator = ""
        elif "\n" in separator:  # a line keeps its indent (a nested list item)
            cleaned = re.match(r"[ \t]*", sentence).group(0) + cleaned  # type: ignore[union-attr]  # matches ""
        candidate = self.checked + separator + cleaned
        check = check_answer(candidate, self._context, whole=False)  # a beginning: judged whole later
        if not check.ok:
            return check.violations[0].kind
        self.checked = candidate
        return None
