"""The nine sections: their titles and guides per locale (prompts/locales/<locale>/report/sections.toml),
and how a model's Markdown is cut into them (headings, bold lines, numbered or plain titles, fuzzy matched
against the locale's titles and the English ones)."""

from __future__ import annotations

import difflib
import re
from functools import cache

from pydantic import BaseModel, ConfigDict

from assistant.text.lexicon import normalise
from assistant.text.prompts import locale_data
from tools.text import DEFAULT_LOCALE

FUZZY_TITLE = 0.8  # similarity for a marked heading to count as a section title
FUZZY_NUMBERED = 0.5  # ... when its number also matches


class SectionSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    number: int
    title: str
    aliases: tuple[str, ...] = ()
    guide: str
    fixed: bool = False  # written by the app, never by the model


@cache
def sections(locale: str = DEFAULT_LOCALE) -> tuple[SectionSpec, ...]:
    """The nine sections with the locale's titles and guides. English decides which the app writes
    itself, and the English titles stay aliases: a model may write them whatever it is asked."""
    english = locale_data("report/sections.toml")["sections"]
    if locale == DEFAULT_LOCALE:
        return tuple(SectionSpec(number=i, **s) for i, s in enumerate(english, start=1))
    own = locale_data("report/sections.toml", locale)["sections"]
    return tuple(
        SectionSpec(number=i, title=mine["title"], guide=mine["guide"], fixed=base.get("fixed", False),
                    aliases=(*mine.get("aliases", ()), base["title"], *base.get("aliases", ())))
        for i, (mine, base) in enumerate(zip(own, english, strict=True), start=1))


def _writable() -> list[int]:
    return [s.number for s in sections() if not s.fixed]


def _normalise(title: str) -> str:
    title = normalise(title).replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", title).split())


@cache
def _titles(with_aliases: bool, locale: str = DEFAULT_LOCALE) -> dict[str, int]:
    index = {_normalise(s.title): s.number for s in sections(locale)}
    if with_aliases:
        index = {_normalise(a): s.number for s in sections(locale) for a in s.aliases} | index
    return index


_NUMBER_PREFIX = re.compile(r"^\s*(?:section\s*)?(\d{1,2})\s*[.):-]?\s+", re.I)


def _section_number(text: str, *, marked: bool, locale: str = DEFAULT_LOCALE) -> int | None:
    """Which section a heading text names. Marked headings (#, bold) may use aliases and be a little
    off; a plain line must be an exact title, so ordinary body text is never taken for a heading."""
    text = re.sub(r"[*_`]+", "", text).strip().rstrip(":").strip()
    m = _NUMBER_PREFIX.match(text)
    number = int(m.group(1)) if m else None
    key = _normalise(text[m.end() :] if m else text)
    index = _titles(marked, locale)
    if key in index or not marked or not key:
        return index.get(key)

    def similarity(n: int) -> float:
        return max(difflib.SequenceMatcher(None, key, k).ratio() for k, v in index.items() if v == n)

    numbers = {s.number for s in sections()}
    best = max(numbers, key=similarity)
    if similarity(best) >= FUZZY_TITLE:
        return best
    if number in numbers and similarity(number) >= FUZZY_NUMBERED:
        return number
    return None


_HEADING_LINE = re.compile(r"^\s{0,3}#{1,6}\s*(.+?)[\s#]*$")


_BOLD_LINE = re.compile(r"^\s*(?:\d{1,2}\s*[.)]\s*)?(\*\*|__)(.+?)\1\s*:?\s*(.*)$")


_PLAIN_LINE = re.compile(r"^\s*(?:\d{1,2}\s*[.)]\s*)?(.{3,80}?)\s*:?\s*$")


def _header(line: str, locale: str = DEFAULT_LOCALE) -> tuple[int | None, str]:
    """(section number, text after the title on the same line) if `line` is a section heading."""
    if m := _HEADING_LINE.match(line):
        return _section_number(m.group(1), marked=True, locale=locale), ""
    if m := _BOLD_LINE.match(line):  # "**Title**", "1. **Title:** text..."
        return _section_number(m.group(2), marked=True, locale=locale), m.group(3)
    if m := _PLAIN_LINE.match(line):  # "Condition Overview", "1. Condition Overview:"
        return _section_number(m.group(1), marked=False, locale=locale), ""
    return None, ""


class ParsedSection(BaseModel):
    number: int
    body: str


def parse_sections(markdown: str, locale: str = DEFAULT_LOCALE) -> list[ParsedSection]:
    """Split Markdown at lines that name a report section, in order of appearance (duplicates kept).
    Text before the first recognised heading (chatter such as "Sure! Here is...") is dropped."""
    found: list[tuple[int, list[str]]] = []
    for line in markdown.splitlines():
        number, inline = _header(line, locale)
        if number is not None:
            found.append((number, [inline] if inline else []))
        elif found:
            found[-1][1].append(line)
    return [ParsedSection(number=n, body="\n".join(lines).strip()) for n, lines in found]
