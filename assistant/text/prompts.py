"""The long texts under prompts/, read once per process. Markdown and TOML; their `$name` placeholders are
filled by the modules using them.

Two kinds: the model's instructions (prompts/<name>, English: the locale is a parameter of the prompt)
and the texts a patient reads (the standard report, curated answers), one copy per locale under
prompts/locales/<locale>/<name>. A locale that lacks a file reads the English one."""

from __future__ import annotations

from functools import cache

import tomllib

from assistant.core.settings import PROJECT_ROOT
from tools.text import DEFAULT_LOCALE, LOCALES_DIR

PROMPTS_DIR = PROJECT_ROOT / "prompts"
LOCALE_TEXTS_DIR = LOCALES_DIR  # shipped with the short messages (tools/text.py)


@cache
def prompt_text(name: str) -> str:
    """prompts/<name> without its surrounding whitespace; `name` may contain a sub-folder."""
    return (PROMPTS_DIR / name).read_text(encoding="utf-8").strip()


@cache
def prompt_data(name: str) -> dict:
    return tomllib.loads(prompt_text(name))


def has_locale_text(name: str, locale: str) -> bool:
    return (LOCALE_TEXTS_DIR / locale / name).is_file()


@cache
def locale_text(name: str, locale: str = DEFAULT_LOCALE) -> str:
    """prompts/locales/<locale>/<name>, or the English file where the locale has none."""
    if not has_locale_text(name, locale):
        locale = DEFAULT_LOCALE
    return (LOCALE_TEXTS_DIR / locale / name).read_text(encoding="utf-8").strip()


@cache
def locale_data(name: str, locale: str = DEFAULT_LOCALE) -> dict:
    return tomllib.loads(locale_text(name, locale))
