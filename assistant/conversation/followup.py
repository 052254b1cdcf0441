"""Follow-up questions after a screening: routed by the guardrails, answered by the LLM or from
curated material, and checked before display.

Flow of `answer(question, context, llm)`:
1. `input_rails.check_message`: anything but IN_SCOPE gets the app's fixed reply; no LLM is involved.
2. No photo analysed yet and the question is about "my spot/result": guidance to attach a photo.
3. Otherwise the LLM answers (rules repeated in the user turn, the answer language named, the latest
   result and the curated material as reference).
4. The model's text goes through the checked stream (assistant/safety/checked_stream.py: `CheckedStream`,
   `AnswerChecker`), shown a sentence (or list line) at a time, each only once it is cleaned (no HTML,
   links, images) and the answer so far, with it, passes `safety.check_answer` (every output check; the
   first words, judged whole, must also say something and be about the question): nothing unchecked is
   ever shown. When a sentence fails, the model's text stops there and the curated answer follows, with
   a note saying why; the same when the LLM is absent, down, slow, broken or says nothing.

Public API:
- `FollowupContext`: the screening results so far (image 1, 2, ... in order; the last is the latest),
  their reports, and a bounded chat history.
- `FollowupAnswer`: the text to display and where it came from.
- `answer(question, context, llm) -> AsyncIterator[str | FollowupAnswer]`: checked text chunks to
  append to what is shown, then exactly one `FollowupAnswer`, whose `text` is the chunks joined.
- `curated_answer(question, context, language) -> str`: the answer from curated material alone (pure).
- `build_messages(question, context, language)`: the LLM messages (pure).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from functools import cache
from string import Template

from openai.types.chat import ChatCompletionMessageParam

from assistant.conversation.context import APP_NOTE, FollowupAnswer, FollowupContext
from assistant.conversation.curated import _fill, _no_image, _result_line, _values, curated_answer
from assistant.conversation.topics import (
    needs_result,
)
from assistant.llm.client import LLMClient, failure_kind
from assistant.report.sections import sections as report_sections
from assistant.safety import checked_stream
from assistant.safety.checked_stream import AnswerChecker, CheckedStream
from assistant.safety.input_rails import check_message
from assistant.safety.intents import get_router
from assistant.safety.output_checks import OutputContext
from assistant.safety.replies import fixed_reply, reply_text
from assistant.safety.verdict import Route, Verdict
from assistant.safety.violations import CHECKS
from assistant.text.lexicon import LANGUAGE_NAMES
from assistant.text.locale import LOCALES
from assistant.text.prompts import prompt_data, prompt_text
from tools.text import catalogue, render, t, term

log = logging.getLogger(__name__)

PROMPT_HISTORY_CHARS = 300
QUESTION_CHARS = 1500
REFERENCE_CHARS = 2500  # curated reference text given to the model

# The notes saying why an answer is not (all) the AI's are the catalogue's followup_note.* (and
# llm_failed.<failure kind>); FollowupAnswer.note carries them.


# ---------------------------------------------------------------- data files


# ---------------------------------------------------------------- what the question is about
# Patterns run on lexicon.normalise(text): lower case, no accents. Order = order of the answer's parts.


# ---------------------------------------------------------------- curated answers


# ---------------------------------------------------------------- the LLM prompt


def _context_text(context: FollowupContext, language: str) -> str:
    words = _context_words()
    latest = context.latest()
    if latest is None:
        return words["no_result"]
    number, result = latest
    lines = [Template(words["latest"]).substitute(_values(number, result, language), count=len(context.results))]
    earlier = [_result_line(n, r, language) for n, r in enumerate(context.results, start=1) if n != number]
    if earlier:
        lines += [words["others"], *[f"  {line}" for line in earlier]]
    return "\n".join(lines)


@cache
def _context_words() -> dict[str, str]:
    return {k: v.strip() for k, v in prompt_data("followup/context.toml").items()}


def _history_text(context: FollowupContext) -> str:
    if not context.history:
        return "(none)"
    names = {"user": "Person", "assistant": "Assistant"}
    return "\n".join(
        f"{names.get(role, role.capitalize())}: {' '.join(APP_NOTE.sub('', text).split())[:PROMPT_HISTORY_CHARS]}"
        for role, text in context.history
    )


def build_messages(question: str, context: FollowupContext, language: str) -> list[ChatCompletionMessageParam]:
    """System and user messages for one follow-up. The rules are in both (Gemma folds the system text
    into the user turn; small models weigh the last instructions most), and so is the answer language.
    The curated answer goes in as reference, so the model rephrases checked facts instead of recalling."""
    rules = prompt_text("followup/rules.md")
    # The facts and the reference in the answer's language: a small model copies the language it reads.
    reference = curated_answer(question, context, language)[:REFERENCE_CHARS]
    context_text = _context_text(context, language) + "\n\n" + _context_words()["reference"] + "\n" + reference
    user = Template(prompt_text("followup/user.md")).substitute(
        context=context_text,
        history=_history_text(context),
        rules=rules,
        language_name=LANGUAGE_NAMES.get(language, "English"),
        question=" ".join(question.split())[:QUESTION_CHARS],
    )
    return [
        {"role": "system", "content": Template(prompt_text("followup/system.md")).substitute(rules=rules)},
        {"role": "user", "content": user},
    ]


# ---------------------------------------------------------------- what the answer is checked against


@cache
def instruction_texts() -> tuple[str, ...]:
    """Every instruction text a follow-up model is given, and the app's own notes on answers in every locale
    (a model that had read one wrote it back as its answer): none of it may come back to the patient."""
    notes = tuple(text for locale in LOCALES for key, text in catalogue(locale).messages.items()
                  if key.startswith(("followup_note.", "llm_failed.")))
    return checked_stream.instruction_texts(*(f"followup/{name}.md" for name in ("system", "user", "rules"))) + notes


@cache
def _forbidden_headings() -> tuple[str, ...]:
    """Headings of the prompt and of the report, and the labels of the screening context it is given: an
    answer that contains them is the prompt echoed."""
    prompt_headings = tuple(
        line.lstrip("#").strip() for line in prompt_text("followup/user.md").splitlines() if line.startswith("#")
    )
    context_labels = tuple(m.group(1) for m in re.finditer(r"^- ([A-Z][\w ]+\w):", _context_words()["latest"], re.M)
                           if " " in m.group(1))  # "Closest match", not a one-word label a sentence may start with
    return prompt_headings + context_labels + tuple(s.title for s in report_sections())


def output_context(language: str, question: str | None = None, earlier: tuple[str, ...] = ()) -> OutputContext:
    """The checks of a follow-up answer; with the `question`, it must also be an answer to it, and with the
    conversation's `earlier` messages, not one of them written out again."""
    return OutputContext(instructions=instruction_texts(), headings=_forbidden_headings(), language=language, phones=True,
                         question=question, earlier=earlier)


def _earlier_messages(context: FollowupContext) -> tuple[str, ...]:
    """The conversation's earlier messages, both sides: SmolLM2 wrote out an earlier answer, and once an
    earlier patient's question, as its answer."""
    return tuple(APP_NOTE.sub("", text) for _, text in context.history)


def min_relevance() -> float:
    """Fitted on the red-team development split (prompts/intents/thresholds.toml)."""
    return float(prompt_data("intents/thresholds.toml").get("answer", {}).get("min_relevance", -1.0))


def _unrelated_to(question: str) -> Callable[[str], bool]:
    """Whether an answer's first words are not about `question` (no intent router: never)."""

    def unrelated(text: str) -> bool:
        router = get_router()
        return router is not None and router.relevance(question, text) < min_relevance()

    return unrelated


# ---------------------------------------------------------------- answering


def _curated(question: str, context: FollowupContext, verdict: Verdict, note: str, shown: str = "") -> FollowupAnswer:
    """The curated answer with its note; after `shown`, the AI's checked text already displayed."""
    text = f"*{note}*\n\n{curated_answer(question, context, verdict.language)}"
    return FollowupAnswer(text=f"{shown}\n\n{text}" if shown else text, source="curated", verdict=verdict, note=note)


def _soft_escalation(question: str, verdict: Verdict, context: FollowupContext) -> FollowupAnswer:
    """The semantic layer heard a possible emergency or crisis that no rule confirms: the escalation
    comes first, in full, and the question is still answered from curated material after it. A miss
    can cost a life; a false alarm must not cost the answer."""
    escalation = fixed_reply(verdict) or ""
    lead = reply_text("after_escalation", verdict.language)
    answer_text = curated_answer(question, context, verdict.language)
    text = f"{escalation}\n\n---\n\n{lead}\n\n{answer_text}"
    return FollowupAnswer(text=text, source="curated", verdict=verdict, note=lead)


def _keep_appointment(verdict: Verdict, context: FollowupContext) -> FollowupAnswer:
    """Cancelling or putting off a visit: the app's answer in the user's language, with the result's
    urgency line; never a model's."""
    text = reply_text("keep_appointment", verdict.language)
    if latest := context.latest():
        text += "\n\n" + _fill("result_summary", *latest, verdict.language)
    return FollowupAnswer(text=text, source="curated", verdict=verdict)


def _fixed(verdict: Verdict, context: FollowupContext) -> FollowupAnswer:
    text = fixed_reply(verdict) or ""
    latest = context.latest()
    if verdict.category == "diagnosis" and latest:
        # Declining is kinder with the facts we can give: the screening result and its urgency.
        text += "\n\n" + _fill("result_summary", *latest, verdict.language)
    return FollowupAnswer(text=text, source="fixed", verdict=verdict)


async def answer(
    question: str, context: FollowupContext, llm: LLMClient | None = None, *, locale: str | None = None
) -> AsyncIterator[str | FollowupAnswer]:
    """Answer one follow-up: yields checked text chunks to append to what is shown, then exactly one
    FollowupAnswer whose `text` is all of them joined. Never raises for LLM trouble: without `llm`, or
    when it fails, the answer is the curated one with a note saying so."""
    verdict = check_message(question, locale=locale)
    lang = verdict.language
    if verdict.layer == "semantic" and verdict.route in (Route.EMERGENCY, Route.SELF_HARM):
        final = _soft_escalation(question, verdict, context)
    elif verdict.route is not Route.IN_SCOPE:
        final = _fixed(verdict, context)
    elif verdict.category == "skip_care":
        final = _keep_appointment(verdict, context)
    elif context.latest() is None and needs_result(question):
        final = FollowupAnswer(text=_no_image(context, verdict.language), source="fixed", verdict=verdict,
                               note=t("followup_note.no_image", lang))
    elif llm is None:
        final = _curated(question, context, verdict, t("followup_note.no_llm", lang))
    else:
        final = None
    if final is not None:
        yield final.text
        yield final
        return

    assert llm is not None  # the only case left once `final` is None
    checker = AnswerChecker(output_context(verdict.language, question, _earlier_messages(context)), _unrelated_to(question))
    checked = CheckedStream(llm.stream(build_messages(question, context, verdict.language)), checker, what="follow-up answer")
    async with aclosing(checked):  # the model's stream closed here, however the answer ends
        async for shown in checked:
            yield shown
    if checked.failure is None and (shown := checker.finish()):
        yield shown

    before, problem, failure = checker.shown, checker.problem, checked.failure
    if problem:
        log.warning("follow-up answer stopped by the %s check", problem)
        # After checked sentences were shown, only the rest of the answer is replaced.
        note = (t("followup_note.replaced_rest", lang, problem=CHECKS[problem].reason) if before
                else t("followup_note.replaced", lang, problem=CHECKS[problem].reason))
        final = _curated(question, context, verdict, note, before)
    elif failure is not None:
        note = (t("followup_note.interrupted", lang) if checked.received
                else render(term("llm_failed", failure_kind(failure)), lang))
        final = _curated(question, context, verdict, note, before)
    elif not checker.usable:  # blank, or only markup once cleaned: nothing was shown
        final = _curated(question, context, verdict, render(term("llm_failed", "empty"), lang))
    else:
        note = t("followup_note.cut_short", lang) if checked.finish_reason == "length" else None
        final = FollowupAnswer(text=before + (f"\n\n*{note}*" if note else ""), source="model", verdict=verdict, note=note)
    if rest := final.text[len(before) :]:
        yield rest
    yield final
