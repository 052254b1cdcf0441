"""The conversation's locale: chosen from the best signal an edge has, then kept.

1. The edge's signal: the browser's languages (Chainlit's socket carries its Accept-Language, for the page
   and the widget alike), the API's `locale` field or `Accept-Language`.
2. The patient's own words: a message whose language a real detector (lingua, restricted to our six) is
   sure of, and long enough to judge, moves the conversation to that language, unless the patient chose
   one themselves (the chat setting, the API's `locale` field): a French patient on an English browser
   is answered in French.
A language we do not speak gets English, and one sentence that says so (`LocaleChoice.asked`).

Public API: `LOCALES`, `LocaleChoice`, `from_tags(tags, source)`, `accept_language(header)`,
`refine(choice, text)`, `detect(text)`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from tools.text import DEFAULT_LOCALE

LOCALES: tuple[str, ...] = ("en", "fr", "de", "es", "it", "pt")
# Chainlit's names for them: its translation files (.chainlit/translations/<tag>.json) and chainlit_<tag>.md.
CHAINLIT_TAGS = {"en": "en-US", "fr": "fr-FR", "de": "de-DE", "es": "es", "it": "it", "pt": "pt-PT"}
Source = Literal["default", "browser", "page", "api", "detected", "chosen"]
# A detection moves the locale only from this many words and this confidence: lingua is right on every
# red-team message it is this sure of, and short replies ("ok", "merci", "melanoma?") stay where they are.
MIN_WORDS = 3
MIN_CONFIDENCE = 0.8
GUESS_CONFIDENCE, GUESS_MARGIN = 0.3, 0.25  # `guess`: how clearly another language must beat English
_WORD = re.compile(r"[^\W\d_]+")
_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")


class LocaleChoice(BaseModel):
    model_config = ConfigDict(frozen=True)
    locale: str = DEFAULT_LOCALE
    source: Source = "default"
    asked: str | None = None  # the language asked for, when we do not speak it (the patient is told)


def primary(tag: str) -> str:
    return re.split(r"[-_]", tag.strip(), maxsplit=1)[0].lower()


def from_tags(tags: Iterable[str], source: Source) -> LocaleChoice:
    """The first of `tags` (most preferred first) that we speak. None of them: English, remembering the
    first language asked for so the patient can be told."""
    tags = [tag for tag in tags if tag and _TAG.match(tag.strip())]
    for tag in tags:
        if primary(tag) in LOCALES:
            return LocaleChoice(locale=primary(tag), source=source)
    return LocaleChoice(asked=primary(tags[0]) if tags and primary(tags[0]) != "*" else None)


def accept_language(header: str | None) -> list[str]:
    """The tags of an Accept-Language header, most preferred first (q=0 dropped)."""
    ranked = []
    for i, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if m := re.search(r"q\s*=\s*([0-9.]+)", params):
            try:
                q = float(m.group(1))
            except ValueError:
                q = 0.0
        if tag and q > 0:
            ranked.append((-q, i, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


_detector_lock = threading.Lock()
_detector: list = []


def _lingua():
    """Built once, on first use: the six languages' models load lazily (about 0.5 s, 200 MB)."""
    with _detector_lock:
        if not _detector:
            from lingua import IsoCode639_1, LanguageDetectorBuilder

            codes = [getattr(IsoCode639_1, code.upper()) for code in LOCALES]
            _detector.append(LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build())
        return _detector[0]


def detect(text: str, *, min_words: int = MIN_WORDS, min_confidence: float = MIN_CONFIDENCE) -> str | None:
    """The language of `text` when it is long enough to tell and the detector is sure; else None. The one
    language detector: the conversation's locale, the routing's reply language, the output checks."""
    if len(_WORD.findall(text)) < min_words:
        return None
    values = _lingua().compute_language_confidence_values(text)
    if not values or values[0].value < min_confidence:
        return None
    return values[0].language.iso_code_639_1.name.lower()


def guess(text: str) -> str:
    """The language of a message outside any conversation (routing alone, the red team): another language
    than English only when lingua prefers it clearly. Short English questions full of Latin medical words
    ("What is a dermatoscope?") read as Italian to it, and English is what the app speaks first."""
    if len(_WORD.findall(text)) < 2:
        return DEFAULT_LOCALE
    values = {v.language.iso_code_639_1.name.lower(): v.value for v in _lingua().compute_language_confidence_values(text)}
    best = max(values, key=values.get)
    clear = values[best] >= GUESS_CONFIDENCE and values[best] - values.get(DEFAULT_LOCALE, 0.0) >= GUESS_MARGIN
    return best if clear else DEFAULT_LOCALE


def refine(choice: LocaleChoice, text: str) -> LocaleChoice:
    """The locale after the patient's message: theirs, when the detector is sure and they chose none."""
    if choice.source == "chosen":
        return choice
    found = detect(text)
    if found is None or found == choice.locale:
        return choice
    return LocaleChoice(locale=found, source="detected")


def chosen(tag: str) -> LocaleChoice | None:
    """An explicit choice (the chat setting, the API's field): None when we do not speak it."""
    return LocaleChoice(locale=primary(tag), source="chosen") if primary(tag) in LOCALES else None
