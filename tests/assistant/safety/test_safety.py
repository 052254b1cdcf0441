"""assistant.safety.output_checks: the forbidden-content net and Markdown cleaning."""

from __future__ import annotations

import json

import pytest

from assistant.safety.forbidden import find_forbidden, scrub
from assistant.safety.output_checks import clean_markdown


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

from assistant.conversation.followup import output_context as followup_context  # noqa: E402
from assistant.report.sections import sections  # noqa: E402
from assistant.report.writer import output_context as report_context  # noqa: E402
from assistant.safety.output_checks import OutputContext, check_answer, check_output, find_echo
from assistant.safety.violations import CHECKS  # noqa: E402


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
        # The share read as the chance of having the class (SmolLM2, Italian, in the chat).
        ("Il valore di questo è la probabilità di avere davvero Nevo melanocitico (neo).", "diagnosis"),
        ("The 57% is the probability that you have a mole.", "diagnosis"),
        ("El 57 % es la probabilidad de tener un lunar.", "diagnosis"),
        ("Ce chiffre est la probabilité d'avoir un mélanome.", "diagnosis"),
        ("Das ist die Wahrscheinlichkeit, dass Sie ein Muttermal haben.", "diagnosis"),
        ("Isto é a probabilidade de ter um sinal.", "diagnosis"),
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
        "The 57% is not the chance that you have a mole.",
        "Il valore 57% non indica la probabilità di avere davvero Nevo melanocitico.",
        "Chi ha avuto un basalioma ha più probabilità di averne un altro.",
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


# ---------------------------------------------------------------- answers that say nothing (issue 19)
# What SmolLM2 answered through the conversation API, word for word: each must be refused, and by a check
# that names what was wrong (a code, worded by the catalogue's check_reason.<kind>).
HOLLOW = [
    ("What is a dermatofibroma?", "The answer to the question above is: Dermatofibroma (mole)", "filler"),
    ("What is a dermatofibroma?", "What is a dermatofibroma?\n\n## Answer (use the answer)", "echoed_question"),
    ("What should I bring to my dermatology appointment?", "What should I bring to my dermatology appointment?",
     "echoed_question"),
    ("Is a biopsy painful?", "The answer to the question above is: Yes.", "filler"),
    ("Is a biopsy painful?", "Yes, a biopsy is painful.", "tautology"),
    ("What do the other bars in the chart mean?", "The answer is: The result shows other possibilities as well.",
     "filler"),
    ("does a biopsy hurt?", "- Yes, a biopsy can hurt.\n- The answer is yes.", "tautology"),
    ("can sunscreen prevent melanoma?", "- Yes.\n- The answer is yes, sunscreen can prevent melanoma.", "tautology"),
    ("What is a melanoma?", "The answer to the question above is:\nMelanoma.", "empty"),
    ("what is a dermatoscope?", "What is a dermatoscope?", "empty"),
    ("is rapid growth a warning sign?", "is rapid growth a warning sign?", "echoed_question"),
    ("why did it say see a doctor within weeks?",
     'Why did it say "within weeks" when the report said that a spot was found to be growing or changing quickly?',
     "echoed_question"),
    ("how should I take photos to track the spot over time?",
     "What should I do to track the spot over time?\n\n**English answer in English:**\n"
     "You can take photos and use them as a tracking tool.", "filler"),
    ("what should I watch for on this spot?",
     "What should I watch for on this spot?\n\nThis answer is based on the rules of your previous question.", "filler"),
    ("is a basal cell carcinoma the same as melanoma?", "Yes, basal cell carcinoma is a melanoma that grows slowly.",
     "wrong_class"),
    ("What is a dermatofibroma?", "A dermatofibroma is a mole that stays small and firm in the skin.", "wrong_class"),
]
# Good answers, SmolLM2's own among them: none of the new checks may refuse them.
ANSWERS = [
    ("What is a melanoma?", "A melanoma is a type of skin cancer that starts in pigment cells."),
    ("What is a dermatofibroma?", "A dermatofibroma is a harmless bump in the skin that may be caused by sun damage."),
    ("what is a dermatoscope?", "A dermatoscope is a small handheld magnifier with its own light. A doctor holds it "
     "against the skin to see the patterns inside a spot."),
    ("does a biopsy hurt?", "A doctor numbs the skin first, so most people feel only a small pinch. The spot may be "
     "sore for a few days afterwards."),
    ("is a basal cell carcinoma the same as melanoma?", "No. Basal cell carcinoma is not the same as melanoma: it "
     "grows slowly and rarely spreads, while melanoma can spread and needs prompt care."),
    ("is a basal cell carcinoma the same as melanoma?", "Basal cell carcinoma is more common than melanoma and "
     "usually grows slowly. A doctor can tell them apart."),
    ("What is a mole?", "A mole (melanocytic nevus) is a harmless cluster of pigment cells. Most people have many."),
    ("What is lentigo maligna?", "Lentigo maligna is a type of melanoma that grows slowly in sun-damaged skin."),
    ("can sunscreen prevent melanoma?", "Sunscreen lowers the risk of sunburn, which is linked to melanoma. Use it "
     "with shade and clothing, and check your skin each month. Have you noticed any change in a spot?"),
]
NEW_KINDS = {"empty", "tautology", "echoed_question", "filler", "wrong_class"}


@pytest.mark.parametrize(("question", "text", "kind"), HOLLOW)
def test_hollow_echoed_and_filler_answers_are_refused(question: str, text: str, kind: str) -> None:
    check = check_answer(text, followup_context("en", question))
    assert kind in {v.kind for v in check.violations}, check.problems
    assert all(CHECKS[v.kind].action != "drop_sentence" for v in check.violations)  # the answer goes, not a sentence


@pytest.mark.parametrize(("question", "text"), ANSWERS)
def test_answers_that_say_something_pass(question: str, text: str) -> None:
    assert check_answer(text, OutputContext(question=question)).ok, check_answer(text, OutputContext(question=question)).problems


def test_the_beginning_of_an_answer_is_not_judged_whole() -> None:
    """Sentence by sentence, "Yes." may begin a good answer: only the whole answer must say something."""
    context = OutputContext(question="Does a biopsy hurt?")
    assert check_answer("Yes, a biopsy can hurt.", context, whole=False).ok
    assert not check_answer("Yes, a biopsy can hurt.", context).ok


def test_the_curated_answers_and_standard_reports_pass_the_new_checks() -> None:
    from assistant.conversation.context import FollowupContext
    from assistant.conversation.curated import curated_answer
    from assistant.edges.redteam import CASES
    from assistant.report.standard import standard_report
    from tests.assistant.factories import classification

    questions = [json.loads(line)["text"] for line in CASES.read_text().splitlines() if '"in_scope"' in line]
    questions += ["What is a dermatofibroma?", "what is a mole?", "what is a vascular lesion?", "How sure is it?",
                  "What should I bring to my dermatology appointment?", "thanks", "hello"]
    for label in ("melanoma", "melanocytic_nevi", "basal_cell_carcinoma", "benign_keratosis-like_lesions"):
        result = classification(label)
        report = standard_report(result)
        assert not {v.kind for s in report.sections for v in check_output(s.body)} & NEW_KINDS, label
        context = FollowupContext(results=[result], reports=[report])
        for question in questions:
            found = check_answer(curated_answer(question, context, "en"), OutputContext(question=question)).violations
            assert not {v.kind for v in found} & NEW_KINDS, (question, found)
