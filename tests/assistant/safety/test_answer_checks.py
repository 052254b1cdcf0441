"""The checks that an answer is one (assistant/safety/answer_checks.py), on replies SmolLM2 gave through the
HTTP conversation API (`benchmarks/redteam_http.py`) that the earlier checks let through, and on good answers
that must stay."""

from __future__ import annotations

import pytest

from assistant.safety.answer_checks import find_question_first, find_transcript, find_wrong_class


@pytest.mark.parametrize("reply", [
    "**What's the difference between a councillor and an MP?**\n- Yes, it has something to do with politics.",
    "**What should I do if it ever starts bleeding on its own?** - The answer is a standard answer.",
    "¿Qué compro en la farmacia para quitarlo?\nNo lo sé.",
    "O que é um dermatoscópia?\n\n- Um tipo grave de cancro de pele.",
    "- Posso aiutarmi la crema solare il nero e viore l'esposizione al mese?",
])
def test_an_answer_that_opens_with_a_question_is_found(reply: str) -> None:
    assert [v.kind for v in find_question_first(reply)] == ["question_first"]


@pytest.mark.parametrize("reply", [
    "A biopsy is done under local anaesthetic, so it should not hurt. Why? The skin is numbed first.",
    "What to do next:\n- Book an appointment with a dermatologist.",
    "Une biopsie se fait sous anesthésie locale : elle ne devrait pas faire mal.",
    "",
])
def test_an_answer_that_opens_with_an_answer_is_not(reply: str) -> None:
    assert find_question_first(reply) == []


@pytest.mark.parametrize("reply", [
    "Keep it dry.\nPerson: can I swim after the biopsy\nAssistant: Keep it dry.",
    "Das hängt vom Arzt ab.\nPerson: mein Knie tut beim Laufen weh",
    "Sí.\nUsuario: ¿y mañana?",
    "Il bagno dopo la biopsia.\n**Utente:** e il mare?",
])
def test_a_conversation_written_on_is_found_at_its_first_label(reply: str) -> None:
    found = find_transcript(reply)
    assert found and found[0].kind == "transcript" and found[0].start > 0


def test_a_label_inside_a_sentence_is_not_a_transcript() -> None:
    assert find_transcript("Tell the doctor, the person who examines you: it bled once.") == []


@pytest.mark.parametrize(("reply", "named"), [
    ("¡Carcinoma basocelular es un melanoma!", "Carcinoma basocelular es un melanoma"),
    ("Le carcinome basocellulaire est un mélanome.", "carcinome basocellulaire est un mélanome"),
    ("Ein Basaliom ist ein Melanom.", "Basaliom ist ein Melanom"),
    ("Un dermatofibroma, detto anche neo, è innocuo.", "dermatofibroma, detto anche neo"),
    ("O dermatofibroma, também chamado nevo, é inofensivo.", "dermatofibroma, também chamado nevo"),
])
def test_a_class_called_by_another_name_is_found_in_every_language(reply: str, named: str) -> None:
    assert [v.text for v in find_wrong_class(reply)] == [named]


@pytest.mark.parametrize("reply", [
    "El carcinoma basocelular no es un melanoma.",
    "¿Un carcinoma basocelular es lo mismo que un melanoma?",  # the patient's question, asked back: not a claim
    "Il melanoma e il carcinoma basocellulare sono diversi.",  # "e": and (folded "è" reads the same)
    "O melanoma e o carcinoma basocelular são diferentes.",
    "Le mélanome est plus rare que le carcinome basocellulaire.",
    "Ein Nävus (Muttermal) ist meist harmlos.",  # two names of one class
])
def test_two_classes_side_by_side_are_not_one_named_as_the_other(reply: str) -> None:
    assert find_wrong_class(reply) == []
