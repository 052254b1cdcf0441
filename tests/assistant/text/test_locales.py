"""Every locale is complete: each English text a patient can read exists in fr, de, es, it and pt, with the
same placeholders, the same report sections and the same curated answers; Chainlit's own UI and the
"About" page are translated too. A missing text would show English to a patient mid-conversation."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import chainlit
import pytest

from assistant.text.locale import CHAINLIT_TAGS
from assistant.text.prompts import LOCALE_TEXTS_DIR
from tools.text import DEFAULT_LOCALE, catalogue, placeholders

ROOT = Path(__file__).resolve().parents[3]
OTHERS = ("fr", "de", "es", "it", "pt")
DOLLAR = re.compile(r"\$\{?([a-z_]+)")


def long_texts(locale: str) -> list[Path]:
    base = LOCALE_TEXTS_DIR / locale
    return sorted(p.relative_to(base) for p in base.rglob("*") if p.is_file() and p.name not in ("messages.toml", "README.md"))


def dollars(value: object) -> set[str]:
    return set(DOLLAR.findall(json.dumps(value, ensure_ascii=False)))


def keys(table: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in table.items():
        if isinstance(v, dict):
            out |= keys(v, f"{prefix}{k}.")
        else:
            out[prefix + k] = v
    return out


@pytest.mark.parametrize("locale", OTHERS)
def test_every_message_is_translated(locale: str) -> None:
    english, other = catalogue(DEFAULT_LOCALE).messages, catalogue(locale).messages
    missing = sorted(set(english) - set(other))
    assert not missing, f"{locale} lacks {missing}"
    wrong = {k: (sorted(placeholders(v)), sorted(placeholders(english[k]))) for k, v in other.items()
             if placeholders(v) != placeholders(english[k])}
    assert not wrong


@pytest.mark.parametrize("locale", OTHERS)
def test_the_starter_questions_are_translated(locale: str) -> None:
    english, other = catalogue(DEFAULT_LOCALE).data["faq"], catalogue(locale).data["faq"]
    assert [e["id"] for e in other] == [e["id"] for e in english]
    for mine, theirs in zip(other, english):
        assert mine["label"] and mine["questions"] and mine["questions"][0] == mine["label"]
        assert mine["icon"] == theirs["icon"]
        assert placeholders(mine["answer"]) == placeholders(theirs["answer"]), mine["id"]


@pytest.mark.parametrize("locale", OTHERS)
def test_every_long_text_is_translated_with_its_placeholders(locale: str) -> None:
    assert long_texts(locale) == long_texts(DEFAULT_LOCALE)
    for name in long_texts(DEFAULT_LOCALE):
        english = (LOCALE_TEXTS_DIR / DEFAULT_LOCALE / name).read_text(encoding="utf-8")
        other = (LOCALE_TEXTS_DIR / locale / name).read_text(encoding="utf-8")
        if name.suffix == ".toml":
            english_keys, other_keys = keys(tomllib.loads(english)), keys(tomllib.loads(other))
            assert english_keys.keys() == other_keys.keys(), name
            for k, v in english_keys.items():
                assert dollars(other_keys[k]) == dollars(v), f"{name}: {k}"
        else:
            headings = re.compile(r"^## (\d+)\.", re.M)
            assert headings.findall(other) == headings.findall(english), name
            assert dollars(other) == dollars(english), name


@pytest.mark.parametrize("locale", OTHERS)
def test_the_report_headings_are_the_locales_own(locale: str) -> None:
    english = tomllib.loads((LOCALE_TEXTS_DIR / "en" / "report" / "sections.toml").read_text("utf-8"))["sections"]
    other = tomllib.loads((LOCALE_TEXTS_DIR / locale / "report" / "sections.toml").read_text("utf-8"))["sections"]
    assert len(other) == len(english)
    for mine, theirs in zip(other, english):
        assert mine["title"] != theirs["title"] and mine["aliases"]
        assert mine.get("fixed", False) == theirs.get("fixed", False)


@pytest.mark.parametrize("locale", OTHERS)
def test_chainlit_speaks_the_locale(locale: str) -> None:
    tag = CHAINLIT_TAGS[locale]
    english = keys(json.loads((ROOT / ".chainlit" / "translations" / "en-US.json").read_text("utf-8")))
    other = keys(json.loads((ROOT / ".chainlit" / "translations" / f"{tag}.json").read_text("utf-8")))
    assert other.keys() == english.keys()
    # Our own wording of Chainlit's UI (the placeholder, the watermark, ...) is translated, not Chainlit's stock.
    stock = keys(json.loads((Path(chainlit.__file__).parent / "translations" / "en-US.json").read_text("utf-8")))
    for k in (k for k, v in english.items() if stock.get(k) != v and v):
        assert other[k] and other[k] != english[k], f"{tag}: {k} still reads {english[k]!r}"
    assert (ROOT / f"chainlit_{tag}.md").is_file()
