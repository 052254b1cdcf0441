"""The starter questions and their curated answers (the catalogue's `[[faq]]` entries)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from assistant.text.lexicon import normalise
from tools.catalogue import catalogue as classes
from tools.text import DEFAULT_LOCALE, catalogue, fill, render, t, term


class Faq(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    label: str
    icon: str
    questions: tuple[str, ...]
    answer: str


def faqs(locale: str = DEFAULT_LOCALE) -> tuple[Faq, ...]:
    entries = catalogue(locale).data.get("faq") or catalogue(DEFAULT_LOCALE).data["faq"]
    return tuple(Faq(**entry) for entry in entries)


def _normalise(question: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", normalise(question)).split())


def _tier_lines(locale: str) -> str:
    """One Markdown line per urgency level, the most urgent first."""
    lines = []
    for tier in sorted(classes().tiers.values(), key=lambda t: -t.rank):
        title, action = render(term("tier_title", tier.name), locale), render(term("tier_action", tier.name), locale)
        lines.append(t("chat.tier_line", locale, title=title, action=action))
    return "\n".join(lines)


def faq_answer(question: str, *, max_image_mb: int, locale: str = DEFAULT_LOCALE) -> str | None:
    """The curated answer when `question` is one of the starter questions (typed or clicked), else None.
    Exact match after normalising: a loose match could hand a canned answer to a real question."""
    key = _normalise(question)
    for faq in faqs(locale):
        if key in {_normalise(q) for q in faq.questions}:
            return fill(faq.answer, locale, tiers=_tier_lines(locale), max_mb=max_image_mb).strip()
    return None
