"""The words a user reads, for every room above: what a decider returns instead of prose (`Message`: a
message id and its parameters) and the one loader that words it, `t(message_id, locale, **params)`, over
one catalogue per locale (prompts/locales/<locale>/messages.toml). Placeholders are named, `{name}` or
`{name:spec}`; the spec says how Babel writes the value for the locale: `percent`, `filesize`, `datetime`, `language`
(a language code, named), a Babel number pattern (`0.#`), or `list` ("A, B and C"), `list-unit` ("A 3%, B 1%").
Nested TOML tables give dotted ids (`[intake] empty` is `intake.empty`); arrays (the FAQ) are data, read by their own loaders. Any
id a locale lacks is read in English. What only the assistant words (the result's facts, the starter
questions, the long texts under prompts/) is in assistant/text/."""

from __future__ import annotations

import string
import tomllib
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

DEFAULT_LOCALE = "en"
_HERE = Path(__file__).resolve().parent
# A checkout or editable install: the project's prompts/locales/. A plain `pip install .`: the copy shipped
# beside this module as tools/locales/ (pyproject's package-dir), as assistant/core/settings.py finds prompts/.
LOCALES_DIR = _HERE / "locales" if (_HERE / "locales").is_dir() else _HERE.parent / "prompts" / "locales"
# The English catalogue is British English (colour, analysed): lists without a serial comma, as the
# prompts and standard texts write them ("A, B and C").
_BABEL_LOCALE = {"en": "en_GB"}
# File sizes: (bytes at which the unit starts, its message id), largest first.
SIZE_UNITS = ((1024 * 1024, "units.megabytes"), (1024, "units.kilobytes"), (0, "units.bytes"))


class Message(BaseModel):
    """`params` may hold other Messages; they are worded in the same locale (e.g. a size inside a sentence)."""

    model_config = ConfigDict(frozen=True)
    id: str
    params: dict[str, Any] = {}


def msg(message_id: str, **params: Any) -> Message:
    return Message(id=message_id, params=params)


def term(family: str, code: str, **params: Any) -> Message:
    """The words for one value of an enumeration the deciders name by code (a file kind, a tier, a fixed
    reply): id `<family>.<code>`. The catalogue test checks each family against the codes it can take."""
    return Message(id=f"{family}.{code}", params=params)


class Catalogue(BaseModel):
    model_config = ConfigDict(frozen=True)
    locale: str
    messages: dict[str, str]
    data: dict[str, Any]


def _flatten(table: dict, prefix: str, messages: dict[str, str], data: dict[str, Any]) -> None:
    for key, value in table.items():
        if isinstance(value, dict):
            _flatten(value, f"{prefix}{key}.", messages, data)
        elif isinstance(value, str):
            messages[prefix + key] = value.strip()
        else:
            data[prefix + key] = value


@cache
def catalogue(locale: str = DEFAULT_LOCALE) -> Catalogue:
    """A locale's own messages and data (none for a locale without a file: all its words are English)."""
    path = LOCALES_DIR / locale / "messages.toml"
    if not path.is_file():
        return Catalogue(locale=locale, messages={}, data={})
    messages: dict[str, str] = {}
    data: dict[str, Any] = {}
    _flatten(tomllib.loads(path.read_text(encoding="utf-8")), "", messages, data)
    return Catalogue(locale=locale, messages=messages, data=data)


def placeholders(text: str) -> set[str]:
    """The named placeholders of a message text (escaped braces `{{ }}` are not placeholders)."""
    return {field.split(".")[0] for _, field, _, _ in string.Formatter().parse(text) if field}


def _exact(value: Any) -> Any:
    # Decimal(float) keeps the binary value the code holds, so Babel rounds it as Python's own
    # formatting did ("{:.1f}"); Babel would otherwise round str(float).
    return Decimal(value) if isinstance(value, float) else value


class _Formatter(string.Formatter):
    def __init__(self, locale: str) -> None:
        self.locale, self.babel = locale, _BABEL_LOCALE.get(locale, locale)

    def format_field(self, value: Any, spec: str) -> str:
        if isinstance(value, Message):
            return render(value, self.locale)
        if not spec:
            return format(value)
        # Babel only where a number or list is worded: tools/training reads class names through this
        # module on machines that may not have it.
        from babel.lists import format_list
        from babel.numbers import format_decimal, format_percent

        if spec == "percent":
            # Scaled by 100 in float first, as "{:.0%}" does, so halves round as they always did.
            return format_percent(Decimal(value * 100).scaleb(-2), locale=self.babel)
        if spec in ("list", "list-unit"):
            items, style = [self.format_field(v, "") for v in value], "standard" if spec == "list" else "unit"
            try:
                return format_list(items, style=style, locale=self.babel)
            except KeyError:  # Babel's data for some locales (de) lacks parts of the unit style: CLDR's root
                return format_list(items, style=style, locale="root")
        if spec == "language":  # a language code as the locale names it ("nl" -> "Dutch")
            from babel import Locale, UnknownLocaleError

            try:
                return Locale.parse(value).get_display_name(self.babel) or value
            except (ValueError, UnknownLocaleError):
                return value
        if spec == "datetime":  # a moment as the locale writes it, with its time zone (naive: UTC)
            from babel.dates import format_datetime

            return format_datetime(value, format="long", tzinfo=value.tzinfo, locale=self.babel)
        if spec == "filesize":
            start, unit = next((s, u) for s, u in SIZE_UNITS if value >= s)
            return t(unit, self.locale, n=value / start if start else value)
        return format_decimal(_exact(value), format=spec, locale=self.babel)


def t(message_id: str, locale: str = DEFAULT_LOCALE, /, **params: Any) -> str:
    """The message in `locale` with its placeholders filled. An unknown id or a missing parameter is a bug
    and raises KeyError; a locale that lacks the id falls back to the default locale's words."""
    messages = catalogue(locale).messages
    text = messages[message_id] if message_id in messages else catalogue(DEFAULT_LOCALE).messages[message_id]
    return fill(text, locale, **params)


def has(message_id: str, locale: str) -> bool:
    """Whether `locale` words the message itself (a reply may then say that it is in English)."""
    return message_id in catalogue(locale).messages


def fill(text: str, locale: str = DEFAULT_LOCALE, /, **params: Any) -> str:
    """Fills a text's placeholders as `t` does, for texts that come with their own data (the FAQ)."""
    return _Formatter(locale).vformat(text, (), params)


def render(message: Message, locale: str = DEFAULT_LOCALE) -> str:
    return t(message.id, locale, **message.params)
