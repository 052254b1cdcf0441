"""The chat's own words (assistant/chat_text.toml): messages, the welcome, and the starter questions'
curated answers. Kept as data so a clinic can change the wording without touching code."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path
from string import Template

from pydantic import BaseModel, ConfigDict

from tools.catalogue import catalogue

TEXT_FILE = Path(__file__).with_name("chat_text.toml")


class Faq(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    label: str
    icon: str
    questions: tuple[str, ...]
    answer: str


@cache
def _data() -> dict:
    return tomllib.loads(TEXT_FILE.read_text(encoding="utf-8"))


def text(key: str, **values: object) -> str:
    """A message by key, placeholders filled. A missing value is a bug, so substitute() raises."""
    return Template(_data()[key]).substitute({k: str(v) for k, v in values.items()}).strip()


def product_name() -> str:
    return _data()["product_name"]


@cache
def faqs() -> tuple[Faq, ...]:
    return tuple(Faq(**entry) for entry in _data()["faq"])


def _normalise(question: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", question.lower()).split())


def _tier_lines() -> str:
    tiers = sorted(catalogue().tiers.values(), key=lambda t: -t.rank)
    return "\n".join(f"- **{t.title}**: {t.action}" for t in tiers)


def faq_answer(question: str, *, max_image_mb: int) -> str | None:
    """The curated answer when `question` is one of the starter questions (typed or clicked), else None.
    Exact match after normalising: a loose match could hand a canned answer to a real question."""
    key = _normalise(question)
    for faq in faqs():
        if key in {_normalise(q) for q in faq.questions}:
            return Template(faq.answer).substitute(tiers=_tier_lines(), max_mb=max_image_mb).strip()
    return None


def escape_markdown(name: str) -> str:
    """A user's file name shown inside our Markdown must not turn into formatting or links."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!<>|~])", r"\\\1", name)
