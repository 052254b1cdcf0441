"""assistant.safety: the forbidden-content net and Markdown cleaning."""

from __future__ import annotations

import pytest

from assistant.safety import clean_markdown, find_forbidden, scrub


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("You have melanoma.", "diagnosis"),
        ("you definitely have a basal cell carcinoma", "diagnosis"),
        ("This is definitely a harmless mole.", "diagnosis"),
        ("It's certainly nothing serious.", "diagnosis"),
        ("The spot is benign.", "diagnosis"),
        ("You don't have cancer.", "diagnosis"),
        ("Your diagnosis is actinic keratosis.", "diagnosis"),
        ("Take 400 mg ibuprofen.", "dose"),
        ("Apply 5% imiquimod cream at night.", "dose"),
        ("Use hydrocortisone twice a day for 2 weeks.", "dose"),
        ("A 1% cream may help.", "dose"),
        ("Ask about imiquimod.", "drug"),
        ("There is no need to see a doctor.", "dismissal"),
        ("You don't need a doctor for this.", "dismissal"),
        ("This can safely be ignored.", "dismissal"),
    ],
)
def test_forbidden_phrasings_are_found(text: str, kind: str) -> None:
    assert kind in {v.kind for v in find_forbidden(text)}


@pytest.mark.parametrize(
    "text",
    [
        "This may be consistent with melanoma; a doctor can confirm.",
        "If you have a mole that changes, see a doctor.",
        "Melanoma is a serious type of skin cancer. It is very treatable when found early.",
        "The spot is likely benign, but a clinician should check it.",
        "Use sunscreen of SPF 30 or higher and reapply every 2 hours outdoors.",
        "Moles larger than 6 mm deserve a check.",
        "A doctor can discuss treatment options with you.",
        "The screening confidence was 62%.",
        "Try not to panic: there is no need to worry before the visit.",
    ],
)
def test_hedged_advice_passes(text: str) -> None:
    assert find_forbidden(text) == []


def test_violation_positions_point_at_the_text() -> None:
    text = "Watch it. Take 400 mg ibuprofen."
    v = next(v for v in find_forbidden(text) if v.kind == "dose")
    assert text[v.start : v.end] == v.text == "400 mg"
    assert v.reason == "a medicine dose or schedule"


def test_scrub_drops_only_offending_sentences_and_empty_items() -> None:
    text = "- Watch it.\n- Take 400 mg ibuprofen.\n- You have melanoma. Stay calm.\n1. See a doctor. No need to see a doctor."
    assert scrub(text) == "- Watch it.\n- Stay calm.\n1. See a doctor."


def test_clean_markdown_removes_html_images_links_and_fences() -> None:
    dirty = (
        'Look <b>closely</b><script>alert("x")</script> at <img src=x onerror=alert(1)> it.\n'
        "<!-- hidden -->![pixel](http://tracker.example/p.png) [more](javascript:alert(1)) <unclosed tag\n"
        "```\nplain\n```"
    )
    clean = clean_markdown(dirty)
    assert clean == "Look closely at  it.\n more \\<unclosed tag\n\nplain"
    assert "script" not in clean and "http" not in clean and "```" not in clean


# ---------------------------------------------------------------- the named checks (issue: what SmolLM2 showed)

from assistant.followup import output_context as followup_context  # noqa: E402
from assistant.report import output_context as report_context  # noqa: E402
from assistant.report import sections  # noqa: E402
from assistant.safety import CHECKS, OutputContext, check_answer, check_output, find_echo  # noqa: E402


def test_every_check_declares_an_action() -> None:
    assert {c.action for c in CHECKS.values()} == {"drop_sentence", "replace_section", "replace_answer"}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("This is a diagnosis.", "diagnosis"),
        ("cela est un nevus", "diagnosis"),
        ("C'est un mélanome, sans aucun doute.", "diagnosis"),
        ("Esto es un melanoma.", "diagnosis"),
        ("Das ist ein Melanom.", "diagnosis"),
        ("Questo è un melanoma.", "diagnosis"),
        ("Isto é um melanoma.", "diagnosis"),
        ("These new moles are not worrying.", "reassurance"),
        ("Your mole looks harmless.", "reassurance"),
        ("Nothing to worry about.", "reassurance"),
        ("No te preocupes, no es nada grave.", "reassurance"),
        ("Keine Sorge, das ist harmlos.", "reassurance"),
        ("You can skip the appointment.", "dismissal"),
        ("Cancel your appointment, the urgency is low.", "dismissal"),
        ("Pas besoin de consulter un médecin.", "dismissal"),
        ("Toma ibuprofeno cada ocho horas.", "drug"),
        ("Appliquez de l'hydrocortisone.", "drug"),
        ("Nehmen Sie 400 mg.", "dose"),
    ],
)
def test_new_phrasings_in_six_languages_are_found(text: str, kind: str) -> None:
    assert kind in {v.kind for v in find_forbidden(text)}


@pytest.mark.parametrize(
    "text",
    [
        "This is not a diagnosis.",
        "This is a screening summary, not a diagnosis.",
        "Most vascular lesions are harmless, but a doctor should check any spot that bleeds.",
        "If the spot is harmless but bothers you, a doctor can explain the options.",
        "It is fine to keep your appointment.",
        "Ein Screening-Ergebnis kann nichts Ernstes ausschließen.",
        "I can't tell you that it is harmless; only a doctor can.",
    ],
)
def test_hedged_and_negated_sentences_pass(text: str) -> None:
    assert find_forbidden(text) == []


# What the weak local LLM showed patients, word for word (issue: "Prompt text reaches the patient").
ECHOES = [
    "Please note: do not use numbered lists unless you have asked for them.",
    "The above section has been added by the app. Do not write this section again.",
    "This is a screening summary for a patient, not a diagnosis; it's only suggested by you.",
    "Use plain words at an 8th to 10th grade reading level, short sentences.",
    "Do not name any medicine, cream or drug. Never give doses, strengths or treatment schedules.",
]


@pytest.mark.parametrize("text", ECHOES)
@pytest.mark.parametrize("number", [1, 5, 8])
def test_the_report_prompt_copied_into_any_section_is_caught(text: str, number: int) -> None:
    kinds = {v.kind for v in check_output(text, report_context(sections()[number - 1]))}
    assert "echo" in kinds, text


def test_follow_up_rules_block_echoed_is_caught() -> None:
    echoed = ("## Rules (follow every one)\n- You are a skin-SCREENING assistant, not a doctor. The app is not a "
              "medical device.")
    check = check_answer(echoed, followup_context("en"))
    assert not check.ok and {"echo", "heading"} <= {v.kind for v in check.violations}


def test_quoted_examples_in_the_rules_are_not_echo() -> None:
    """The rules quote wording the model should use ("a doctor can discuss treatment options")."""
    assert find_echo("A doctor can discuss treatment options with you.", followup_context("en").instructions) == []


def test_headings_of_later_sections_inside_section_one_are_caught() -> None:
    body = "This may be a mole.\n\nWhat the Confidence Means\nThe score is a match."
    assert "heading" in {v.kind for v in check_output(body, report_context(sections()[0]))}
    assert "heading" not in {v.kind for v in check_output("This may be a mole, a common spot.", report_context(sections()[0]))}


def test_a_reply_in_another_language_is_caught() -> None:
    ctx = OutputContext(language="es")
    assert "language" in {v.kind for v in check_output("This spot may be a common mole, and a doctor can check it.", ctx)}
    assert check_output("Esta mancha puede ser un lunar común y un médico puede revisarla.", ctx) == []
    ctx_en = OutputContext(language="en")
    assert "language" in {v.kind for v in check_output("Cette tache peut être un grain de beauté et un médecin peut la voir.", ctx_en)}


def test_figures_are_dropped_not_the_section() -> None:
    found = check_output("The match is 62% for this type.", OutputContext(figures=True))
    assert [v.action for v in found] == ["drop_sentence"]


# What SmolLM2 wrote into report sections: talk about the text instead of the spot, and loops.
FILLER = [
    "This is a detailed and concise description of what this screening result means.",
    "This section explains the screening result in plain words.",
]
LOOPS = [
    "Look for changes in size. Look for changes in size. Look for changes in size.",
    "el lunar es el lunar es el lunar es el lunar es el lunar es",
    "- See a doctor.\n- See a doctor.\n- See a doctor.",
]


@pytest.mark.parametrize("text", FILLER)
@pytest.mark.parametrize("number", [1, 3, 7])
def test_meta_filler_in_a_report_section_is_caught(text: str, number: int) -> None:
    found = check_output(text, report_context(sections()[number - 1]))
    assert "echo" in {v.kind for v in found} and all(v.action == "replace_section" for v in found), text


@pytest.mark.parametrize("text", LOOPS)
def test_degenerate_repetition_is_caught_in_reports_and_answers(text: str) -> None:
    assert "repetition" in {v.kind for v in check_output(text)}
    assert not check_answer(text, followup_context("es" if "lunar" in text else "en")).ok


@pytest.mark.parametrize("text", [
    "This is a screening tool, not a diagnosis.",
    "A mole is a common growth. Most moles stay the same. Any change in a mole should be checked by a doctor.",
    "Watch the size, the shape and the colour. If the size, the shape or the colour changes, see a doctor.",
])
def test_ordinary_patient_text_is_not_filler_or_a_loop(text: str) -> None:
    assert not {"echo", "repetition"} & {v.kind for v in check_output(text, report_context(sections()[0]))}
