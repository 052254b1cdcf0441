"""Real words of each language (assistant/text/vocabulary.py): the invented words of SmolLM2's report sections
and answers that passed every other check are found; real text that no catalogue of ours contains is not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.text.vocabulary import is_known, unknown_words

ROOT = Path(__file__).resolve().parents[3]


def invented(text: str, language: str) -> list[str]:
    return [text[s:e] for s, e in unknown_words(text, language)]


# Sections and answers SmolLM2 wrote through the HTTP red team (benchmarks/redteam_http.py) and `ham10k report`.
@pytest.mark.parametrize(("language", "text", "words"), [
    ("de", "5. Wachshwartzzahl für die Kontrolle des Ergebnisliste", ["Wachshwartzzahl"]),
    ("fr", "L'aspect habituelde (les égéments) des façons que nous avons réussis pour vérifier le débat de la peau.",
     ["habituelde", "égéments"]),
    ("es", "Carcinálía 3, 4, 5 (debe estar en una población más precibidas).", ["Carcinálía", "precibidas"]),
    ("pt", "Para os que estejam como profissional de saúde, seja importante tomar a razão de uma máquina de céuros em "
           "um casa.", ["céuros"]),
    ("it", "Unchiefabbile lista dei tipi per cambiare il sensazione delle visie e dell'attività della polizia.",
     ["Unchiefabbile", "visie"]),
    ("it", "Prostitto dello spazio e prevenzione.", ["Prostitto"]),
    ("de", "Die Hauptarzakten sind allerdingschleißlich wichtig.", ["Hauptarzakten", "allerdingschleißlich"]),
    ("es", "Todavérdo no lo sé.", ["Todavérdo"]),
])
def test_invented_words_are_found(language: str, text: str, words: list[str]) -> None:
    assert invented(text, language) == words


@pytest.mark.parametrize(("language", "text"), [
    ("en", "A dermatologist can look at it with dermoscopy and, if needed, take a small biopsy."),
    ("en", "Ask Dr. Thompson at St Mary's whether the SPF 50 cream from Boots is enough."),  # names, acronyms
    ("fr", "Montrez-la à votre médecin : l'examen dermoscopique ne fait pas mal."),
    ("de", "Die Ergebnisliste und die Hautkrebsvorsorge besprechen Sie am besten in der Hautarztpraxis."),  # compounds
    ("es", "Muéstresela a su dermatólogo y pregúntele si conviene quitársela."),  # pronouns written onto the verb
    ("it", "Mostratela al dermatologo: potrà esaminarla con il dermatoscopio e, se serve, asportarla."),
    ("pt", "Mostre-a ao seu médico, que pode examiná-la com um dermatoscópio."),
])
def test_real_words_are_known(language: str, text: str) -> None:
    assert invented(text, language) == []


def test_short_words_and_other_languages_fall_back_sensibly() -> None:
    assert is_known("xq", "fr")  # too short to judge
    assert not is_known("Wachshwartzzahl", "xx") and is_known("sunscreen", "xx")  # an unknown language: English


def redteam_messages() -> list[dict]:
    """The patients' messages of the red team, written by people (its "typo" style aside): real text in six
    languages that no catalogue of ours holds."""
    cases = [json.loads(line) for name in ("cases", "blind", "fresh", "unseen")
             for line in (ROOT / "tests" / "redteam" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
    return [c for c in cases if c.get("style") != "typo"]


def test_people_s_own_words_are_rarely_taken_for_invented_ones() -> None:
    """Rare medical words and a rare verb form are what it does not know (8 of the 976 messages, at most 3 of
    161 in one language): more than 2% in any language means the word lists or the rules have gone wrong."""
    by_language: dict[str, list[bool]] = {}
    for case in redteam_messages():
        by_language.setdefault(case["lang"], []).append(bool(invented(case["text"], case["lang"])))
    assert set(by_language) == {"en", "fr", "de", "es", "it", "pt"}
    rates = {lang: sum(flags) / len(flags) for lang, flags in by_language.items()}
    assert all(rate <= 0.02 for rate in rates.values()), rates
