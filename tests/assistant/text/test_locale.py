"""The conversation's locale: from the edge's languages, then the patient's own words, then their choice."""

from __future__ import annotations

import pytest

from assistant.text.locale import LocaleChoice, accept_language, chosen, detect, from_tags, refine


@pytest.mark.parametrize(("header", "tags"), [
    ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", ["fr-CH", "fr", "en", "de", "*"]),
    ("en;q=0.2,pt-BR", ["pt-BR", "en"]),
    ("de;q=0, it", ["it"]),
    ("", []),
    (None, []),
    ("fr;q=abc", ["fr"]),  # a malformed weight is ignored, not the language
])
def test_accept_language_is_read_in_order_of_preference(header, tags) -> None:
    assert accept_language(header) == tags


@pytest.mark.parametrize(("tags", "expected"), [
    (["pt-BR", "en"], LocaleChoice(locale="pt", source="browser")),
    (["de-AT"], LocaleChoice(locale="de", source="browser")),
    (["nl-NL", "de"], LocaleChoice(locale="de", source="browser")),
    (["nl-NL", "nl"], LocaleChoice(locale="en", source="default", asked="nl")),
    (["*"], LocaleChoice()),
    (["<script>"], LocaleChoice()),
    ([], LocaleChoice()),
])
def test_the_first_language_we_speak_wins(tags, expected) -> None:
    assert from_tags(tags, "browser") == expected


@pytest.mark.parametrize(("text", "language"), [
    ("Puis-je mettre de la crème solaire dessus ?", "fr"),
    ("Ich habe gerade eine Salbe benutzt und jetzt schwillt mein Hals zu", "de"),
    ("¿Puedo ponerme crema solar encima?", "es"),
    ("Posso mettere la crema solare sopra?", "it"),
    ("Qual é a melhor série para ver este fim de semana?", "pt"),
    ("What does the second bar mean?", "en"),
    ("merci", None),  # too short to tell
    ("melanoma?", None),
    ("ok thanks", None),
])
def test_the_detector_names_a_language_only_when_it_can_tell(text, language) -> None:
    assert detect(text) == language


def test_the_patients_own_language_moves_the_conversation_unless_they_chose_one() -> None:
    browser = LocaleChoice(locale="en", source="browser")
    french = refine(browser, "Que veut dire la deuxième barre du graphique ?")
    assert french == LocaleChoice(locale="fr", source="detected")
    assert refine(french, "ok merci") is french, "a short reply keeps the locale"
    assert refine(french, "Und was bedeutet die zweite Zahl?").locale == "de"
    mine = chosen("it-IT")
    assert mine == LocaleChoice(locale="it", source="chosen")
    assert refine(mine, "Que veut dire la deuxième barre du graphique ?") is mine
    assert chosen("nl") is None and chosen("") is None
