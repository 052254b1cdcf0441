"""Follow-up questions after a screening: routed by the guardrails, answered by the LLM or from
curated material, and checked before display.

Flow of `answer(question, context, llm)`:
1. `guardrails.check_message`: anything but IN_SCOPE gets the app's fixed reply; no LLM is involved.
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
from typing import Literal

from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel, Field, field_validator, model_validator

from assistant.safety.guardrails import (
    Route,
    Verdict,
    check_message,
    fallback_note,
    fixed_reply,
    normalise,
    reply_text,
)
from assistant.safety import checked_stream
from assistant.safety.checked_stream import AnswerChecker, CheckedStream
from assistant.llm.client import LLMClient, failure_kind
from assistant.text.prompts import has_locale_text, locale_data, prompt_data, prompt_text
from assistant.report.writer import Report
from assistant.text.result import facts
from assistant.report.writer import sections as report_sections
from assistant.conversation.intents import get_router
from assistant.text.lexicon import LANGUAGE_NAMES
from assistant.safety.output_checks import CHECKS, OutputContext
from assistant.core.settings import get_settings
from tools.catalogue import catalogue
from tools.result import ClassificationResult
from tools.text import DEFAULT_LOCALE, render, t, term

log = logging.getLogger(__name__)

HISTORY_CHARS = 600  # per entry; a pasted report must not crowd out the rules
PROMPT_HISTORY_CHARS = 300
QUESTION_CHARS = 1500
REFERENCE_CHARS = 2500  # curated reference text given to the model

# The notes saying why an answer is not (all) the AI's are the catalogue's followup_note.* (and
# llm_failed.<failure kind>); FollowupAnswer.note carries them.

Source = Literal["fixed", "model", "curated"]


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


# ---------------------------------------------------------------- data files


@cache
def _snippets(locale: str = DEFAULT_LOCALE) -> dict[str, str]:
    return {k: v.strip() for k, v in locale_data("followup/snippets.toml", locale)["snippets"].items()}


# ---------------------------------------------------------------- what the question is about
# Patterns run on guardrails.normalise(text): lower case, no accents. Order = order of the answer's parts.

_TOPICS: dict[str, str] = {
    "compare": r"\bcompar\w*|\bdifferen\w*|\bboth\s+(?:images|photos|pictures|spots)\b|\b(?:image|photo|picture)\s*#?\d"
    r"|\b(?:first|second|third|previous|earlier|last|other|older|newer)\s+(?:image|photo|picture|one|spot)\b"
    r"|\btwo\s+(?:images|photos|pictures|spots)\b|\bvergleich\w*|\bconfront\w*",
    "percent": r"%|\bpercent\w*|\bper\s+cent\b|\bconfiden\w*|\bprobab\w*|\bnumbers?\b|\bscores?\b|\baccura\w*|\breliab\w*"
    r"|\btrust\b|\bwrong\b|\bmistakes?\b|\bhow\s+sure\b|\bporcentaje|\bpourcentage|\bprozent|\bpercentual|\bconfianza"
    r"|\bconfiance|\bfiducia|\bconfianca|\bwahrscheinlich",
    "urgency": r"\burgen\w*|\bhow\s+soon\b|\bwhy\s+(?:so\s+|is\s+it\s+)?(?:high|low|moderate)\b|\btier\b|\bpriority\b|\bdringend",
    "worry": r"\bworr\w*|\bscared\b|\bafraid\b|\banxious\b|\bfrighten\w*|\bserious\b|\bdangerous\b|\bdeadly\b|\bpreocup\w*"
    r"|\binquiet\w*|\bsorgen?\b|\bpreoccup\w*|\bmiedo\b|\bpeur\b|\bangst\b|\bpaura\b|\bmedo\b|\bgrave\b|\bgefahrlich"
    r"|\bpericolos\w*|\bperigos\w*|\bpeligros\w*|\bdangereu\w*",
    "abcde": r"\babcde?\b|\basymmetr\w*|\bborders?\b|\bwarning\s+signs?\b|\bsigns?\b|\bsymptoms?\b|\blook\s+for\b"
    r"|\bfeatures\b|\blook\s+like\b|\bsenales\b|\bsignes\b|\banzeichen\b|\bsegnali\b|\bsinais\b",
    "self_check": r"\bcheck\s+(?:my\s+|your\s+|the\s+)?(?:own\s+)?(?:skin|body|moles|spots)\b|\bself[- ]?(?:check|exam\w*|monitor\w*)"
    r"|\bexamine\s+(?:my|your)\b|\bmonitor\w*|\bkeep\s+an\s+eye\b|\bwatch\s+(?:it|the|my)\b|\bskin\s+checks?\b"
    r"|\bautoexam\w*|\bautocontrol\w*|\bselbstuntersuch\w*|\bkontrollier\w*|\bcontrollare\b|\bverificar\b|\bvigiar\b|\bsurveiller\b",
    "see_doctor": r"\b(?:see|visit|go\s+to|call|contact|book|need)\s+(?:a|my|the)\s+(?:doctor|dermatologist|gp|physician|clinic)\b"
    r"|\bwhen\s+(?:should|do|must)\s+i\s+(?:see|go|get)\b|\bneed\s+to\s+see\b|\bappointment\b|\bmedico\b|\bmedecin\b|\barzt\b",
    "visit": r"\bdermatolog\w*\s+(?:visit|appointment)|\bwhat\s+happens\s+(?:at|during|next)\b|\bat\s+the\s+(?:dermatologist|doctor)\b"
    r"|\bbiops\w*|\bdermatoscop\w*|\bexpect\b|\bprepare\b|\bbring\b|\bwhat\s+will\s+the\s+doctor\b|\bquestions\s+to\s+ask\b"
    r"|\bconsulta\b|\brendez-vous\b|\btermin\b|\bvisita\b",
    "treatment": r"\btreat\w*|\bremov\w*|\bsurgery\b|\bcured?\b|\btherap\w*|\btratamiento|\btraitement|\bbehandlung|\btrattamento"
    r"|\btratamento|\bcirug\w*|\bchirurg\w*",
    "prevention": r"\bsun\s*screens?\b|\bsun\s*blocks?\b|\bspf\b|\bsun\b|\bprevent\w*|\bprotect\w*|\buv\b|\btann\w*|\bsunbeds?\b"
    r"|\bprotector\s+solar|\bcreme\s+solaire|\bsonnencreme|\bcrema\s+solare|\bprotetor\s+solar|\bsol\b|\bsoleil\b|\bsonne\b",
}
_TOPIC_RE = {k: re.compile(v) for k, v in _TOPICS.items()}
# A short "thanks" / "ok" gets a short reply; a "hello" gets the result summary and the menu.
_THANKS = re.compile(r"^(?:thanks?|thank\s+you|thx|ok(?:ay)?|great|cool|got\s+it|gracias|merci|danke|grazie|obrigad[oa])\b")
# Names people use for the seven classes (normalised). "mole" is only a class question when asked
# as one ("what is a mole?"): otherwise "my mole" is just the spot.
_CLASS_ALIASES: dict[str, str] = {
    "melanoma": r"\bmelanom\w*",
    "melanocytic_nevi": r"\bnev(?:us|i)\b|\bnaev(?:us|i)\b|\bmelanocytic\b|\bnevo\b|\bneo\b|\bgrain\s+de\s+beaute\b|\bmuttermal\b|\bleberfleck\b",
    "basal_cell_carcinoma": r"\bbasal\b|\bbcc\b|\bbasaliom\w*|\bbasocelular\b|\bbasocellul\w*|\bbasalzell\w*",
    "actinic_keratoses": r"\bactinic\b|\bakiec\b|\bsolar\s+kerato\w*|\bactinica\b|\bactinique\b|\baktinisch\w*|\battinic\w*",
    "benign_keratosis-like_lesions": r"\bseborr?h?\w*|\bbenign\s+kerato\w*|\bbkl\b|\bkeratosis-like\b|\blentig\w*|\bage\s+spots?\b|\bliver\s+spots?\b",
    "dermatofibroma": r"\bdermatofibrom\w*",
    "vascular_lesions": r"\bvascular\b|\bangioma\w*|\bangiokeratom\w*|\bcherry\b|\bh(?:a)?emangiom\w*|\bvasc\b",
}
_CLASS_RE = {k: re.compile(v) for k, v in _CLASS_ALIASES.items()}
_MOLE_QUESTION = re.compile(r"\bwhat\s+(?:is|are)\s+(?:a\s+)?moles?\b")
_DEFINITION = re.compile(
    r"\bwhat(?:'s|\s+is|\s+are|\s+does|\s+do)\b|\bmean\w*|\bexplain\w*|\btell\s+me\s+about\b|\bdefin\w*|\bque\s+es\b"
    r"|\bqu'?\s?est-ce\b|\bc'?\s?est\s+quoi\b|\bwas\s+ist\b|\bcos'?\s?e\b|\bche\s+cos\w*|\bo\s+que\s+e\b|\bsignifi\w*|\bbedeute\w*"
)
# Topics that can be answered without any photo; anything else about "my spot" needs one.
_GENERAL_TOPICS = frozenset({"abcde", "self_check", "see_doctor", "visit", "treatment", "prevention", "thanks"})
_IMAGE_NUMBER = re.compile(r"\b(?:image|photo|picture|imagen|foto|bild|immagine|imagem)\s*#?(\d{1,3})\b")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_ORDINAL_RE = re.compile(r"\b(first|second|third|fourth|fifth)\s+(?:image|photo|picture|one)\b")
_PERCENT_IN_QUESTION = re.compile(r"(\d{1,3}(?:[.,]\d+)?)\s?%")
COMPARE_MAX = 6  # images listed in a comparison when none are named


def topics(question: str) -> list[str]:
    """What the question asks about, in answer order: topic keys and "class:<label>" entries."""
    norm = normalise(question)
    found = [k for k, r in _TOPIC_RE.items() if r.search(norm)]
    definitional = bool(_DEFINITION.search(norm)) or not found
    classes = [label for label, r in _CLASS_RE.items() if r.search(norm)] if definitional else []
    if _MOLE_QUESTION.search(norm) and "melanocytic_nevi" not in classes:
        classes.append("melanocytic_nevi")
    if not found and not classes and _THANKS.match(norm) and len(norm.split()) <= 5:
        return ["thanks"]
    return found + [f"class:{label}" for label in classes]


def needs_result(question: str) -> bool:
    """Does answering need a screened photo? General topics (ABCDE, self-checks, class descriptions,
    sun protection, doctor visits) do not; questions about "my result", numbers, urgency, worry,
    comparisons, and anything unrecognised do."""
    found = topics(question)
    general = [t for t in found if t in _GENERAL_TOPICS or t.startswith("class:")]
    return not general or any(t in ("compare", "percent", "urgency", "worry") for t in found)


# ---------------------------------------------------------------- curated answers


def _values(number: int, result: ClassificationResult, locale: str) -> dict[str, str]:
    return facts(result, locale) | {"number": str(number)}


def _fill(key: str, number: int, result: ClassificationResult, locale: str = DEFAULT_LOCALE, **extra: str) -> str:
    return Template(_snippets(locale)[key]).substitute(_values(number, result, locale), **extra)


def _result_line(number: int, result: ClassificationResult, locale: str) -> str:
    if result.status != "ok":
        return t("curated.result_line_not_a_lesion", locale, number=number)
    v = facts(result, locale)
    return t("curated.result_line", locale, number=number, display_name=v["display_name"], confidence_pct=v["confidence_pct"],
             confidence_band=v["confidence_band"], malignant_pct=v["malignant_pct"], tier_title=v["tier_title"])


def _percent_part(question: str, number: int, result: ClassificationResult, locale: str) -> str:
    parts = [_fill("percentages", number, result, locale)]
    cat = catalogue(locale)
    for raw in _PERCENT_IN_QUESTION.findall(question):
        asked = round(float(raw.replace(",", ".")))
        owners = [cat.by_label(label).display_name for label, p in result.top(len(result.probabilities)) if round(p * 100) == asked]
        if owners:
            parts.append(t("curated.percent_owners", locale, number=number, asked=asked, owners=owners))
        elif round(result.malignant_probability * 100) == asked:
            parts.append(t("curated.percent_malignant", locale, number=number, asked=asked))
        else:
            parts.append(t("curated.percent_unknown", locale, number=number, asked=asked))
    if result.uncertainty.low_confidence:
        parts.append(_snippets(locale)["low_confidence"])
    return "\n\n".join(parts)


def _compare_part(question: str, context: FollowupContext, locale: str) -> str:
    if len(context.results) < 2:
        return _snippets(locale)["compare_single"]
    numbers = _named_images(question, context)
    if len(numbers) < 2:
        numbers = list(range(max(1, len(context.results) - COMPARE_MAX + 1), len(context.results) + 1))
    lines = [_result_line(n, context.results[n - 1], locale) for n in numbers]
    snip = _snippets(locale)
    return "\n".join([snip["compare_intro"], *lines]) + "\n\n" + snip["compare_outro"]


def _named_images(question: str, context: FollowupContext) -> list[int]:
    """Image numbers the question names ("image 2", "the first photo") that exist, in order."""
    norm = normalise(question)
    wanted = {int(n) for n in _IMAGE_NUMBER.findall(norm)} | {_ORDINALS[w] for w in _ORDINAL_RE.findall(norm)}
    return sorted(n for n in wanted if 1 <= n <= len(context.results))


def _subject(question: str, context: FollowupContext) -> tuple[int, ClassificationResult] | None:
    """The image a question is about: the one it names, if it names exactly one screened lesion;
    otherwise the latest."""
    named = [n for n in _named_images(question, context) if context.results[n - 1].status == "ok"]
    return (named[0], context.results[named[0] - 1]) if len(named) == 1 else context.latest()


def _class_part(labels: list[str], locale: str) -> str:
    cat = catalogue(locale)
    lines = [f"- **{cat.by_label(label).display_name}:** {cat.by_label(label).description}" for label in labels]
    return "\n".join([_snippets(locale)["class_intro"], *lines])


def _report_section(report: Report | None, number: int, locale: str) -> str | None:
    if report is None:
        return None
    for s in report.sections:
        if s.number == number:
            return t("curated.report_section", locale, number=s.number, title=s.title) + "\n\n" + s.body
    return None


def curated_answer(question: str, context: FollowupContext, language: str) -> str:
    """An answer built only from the app's curated material: the snippets in prompts/followup/,
    the class catalogue, the latest result's actual numbers and the matching sections of its report.
    Pure and never raises for any question; in `language`, or in English after a one-line note where that
    locale has no curated answers."""
    snip = _snippets(language)
    found = topics(question)
    latest = context.latest()
    parts: list[str] = []
    if latest and latest[0] != len(context.results):
        parts.append(Template(snip["not_a_lesion"]).substitute(latest=str(len(context.results)), number=str(latest[0])))
    needs_photo = False
    for topic in found:
        if topic.startswith("class:"):
            continue
        if topic == "thanks":
            parts.append(snip["thanks"])
        elif topic == "compare":
            if latest is None:
                needs_photo = True
            else:
                parts.append(_compare_part(question, context, language))
        elif topic in ("percent", "urgency", "worry"):
            subject = _subject(question, context)
            if subject is None:
                needs_photo = True
                continue
            number, result = subject
            if topic == "percent":
                parts.append(_percent_part(question, number, result, language))
            elif topic == "urgency":
                parts.append(_fill("urgency", number, result, language))
            else:
                parts += [snip["worry"], _fill("result_summary", number, result, language)]
                parts.append(_report_section(context.report(number), 5, language) or snip["see_doctor"])
        elif topic == "see_doctor":
            if latest:
                parts.append(_report_section(context.report(latest[0]), 4, language) or _fill("result_summary", *latest, language))
            parts.append(snip["see_doctor"])
        elif topic == "self_check":
            parts.append(snip["self_check"])
            if latest and (section := _report_section(context.report(latest[0]), 6, language)):
                parts.append(section)
        elif topic == "visit":
            parts.append(snip["visit"])
            if latest and (section := _report_section(context.report(latest[0]), 8, language)):
                parts.append(section)
        else:  # abcde, treatment, prevention
            parts.append(snip[topic])
    classes = [t.split(":", 1)[1] for t in found if t.startswith("class:")]
    if classes:
        parts.append(_class_part(classes, language))
    if needs_photo or (not parts and latest is None):
        parts.append(_no_image(context, language))
    elif not found:  # nothing recognised: what we know, and what can be asked
        if latest:
            parts.append(_fill("result_summary", *latest, language))
        parts.append(snip["menu"])
    text = "\n\n".join(dict.fromkeys(p.strip() for p in parts if p.strip()))  # drop repeats, keep order
    return text if has_locale_text("followup/snippets.toml", language) else _with_language_note(text, language)


def _no_image(context: FollowupContext, language: str) -> str:
    return reply_text("no_image", language, max_mb=context.max_image_mb)


def _with_language_note(text: str, language: str) -> str:
    note = fallback_note(language)
    return f"{note}\n\n{text}" if note else text


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
        f"{names.get(role, role.capitalize())}: {' '.join(text.split())[:PROMPT_HISTORY_CHARS]}" for role, text in context.history
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


def instruction_texts() -> tuple[str, ...]:
    """Every instruction text a follow-up model is given: none of it may come back to the patient."""
    return checked_stream.instruction_texts(*(f"followup/{name}.md" for name in ("system", "user", "rules")))


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


def output_context(language: str, question: str | None = None) -> OutputContext:
    """The checks of a follow-up answer; with the `question`, it must also be an answer to it."""
    return OutputContext(instructions=instruction_texts(), headings=_forbidden_headings(), language=language, phones=True,
                         question=question)


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
    checker = AnswerChecker(output_context(verdict.language, question), _unrelated_to(question))
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
