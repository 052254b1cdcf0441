"""The curated answer to a follow-up question: the app's own material (prompts/locales/<locale>/followup/
snippets.toml, the result's facts, the report's sections) put together by topic, in the conversation's
locale. Pure; it works without any LLM."""

from __future__ import annotations

from functools import cache
from string import Template

from assistant.conversation.context import FollowupContext
from assistant.conversation.topics import (
    _IMAGE_NUMBER,
    _ORDINAL_RE,
    _ORDINALS,
    _PERCENT_IN_QUESTION,
    COMPARE_MAX,
    topics,
)
from assistant.report.model import Report
from assistant.safety.replies import fallback_note, reply_text
from assistant.safety.rules import normalise
from assistant.text.prompts import has_locale_text, locale_data
from assistant.text.result import facts
from tools.catalogue import catalogue
from tools.result import ClassificationResult
from tools.text import DEFAULT_LOCALE, t


@cache
def _snippets(locale: str = DEFAULT_LOCALE) -> dict[str, str]:
    return {k: v.strip() for k, v in locale_data("followup/snippets.toml", locale)["snippets"].items()}


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
