"""assistant.report.writer without a server: prompt building, parsing, validation and repair, standard reports."""

from __future__ import annotations

import re

import pytest

from assistant.report.writer import ReportWriter, validate_report
from assistant.report.prompt import build_messages
from assistant.report.standard import standard_report
from assistant.report.sections import parse_sections, sections
from assistant.safety.forbidden import find_forbidden
from assistant.text.prompts import LOCALE_TEXTS_DIR, PROMPTS_DIR
from assistant.text.result import facts
from tests.assistant.checks import BODIES, SEED_TITLES, STANDARD_NOTE, UNUSABLE_NOTE, assert_complete, reply
from tests.assistant.factories import classification
from tools.catalogue import catalogue

LABELS = [c.label for c in catalogue().classes]


def test_section_titles_are_the_seeds_in_order() -> None:
    assert [s.title for s in sections()] == SEED_TITLES
    assert [s.number for s in sections() if s.fixed] == [9]


def test_prompt_carries_result_rules_and_sections() -> None:
    result = classification("basal_cell_carcinoma", 0.71)
    system, user = build_messages(result)
    values = facts(result)
    rules = (PROMPTS_DIR / "report_rules.md").read_text(encoding="utf-8").strip()
    assert rules in system["content"] and rules in user["content"], "rules repeated in the user turn"
    text = user["content"]
    for key in ("display_name", "confidence_pct", "top3", "malignant_pct", "tier_title", "triage_reason", "entropy"):
        assert values[key] in text
    positions = [text.index(f"## {n}. {t}") for n, t in enumerate(SEED_TITLES, start=1)]
    assert positions == sorted(positions)
    assert "$" not in system["content"] + text, "every placeholder filled"


def test_prompt_attaches_the_photo_only_when_given(lesion_jpeg: bytes) -> None:
    assert isinstance(build_messages(classification())[1]["content"], str)
    parts = build_messages(classification(), lesion_jpeg)[1]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url"]
    assert parts[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")


@pytest.mark.parametrize(
    ("line", "number"),
    [
        ("## 1. Condition Overview", 1),
        ("### What the confidence means", 2),
        ("**3. Key Visual and Clinical Features**", 3),
        ("4) RECOMMENDED NEXT ACTIONS:", 4),
        ("# Section 5: When to Seek Immediate Care", 5),
        ("**Self Monitoring Checklist:**", 6),
        ("## 7. Lifestyle and Prevention", 7),
        ("## 8. Professional Follow Up Rationale ##", 8),
        ("## Disclaimers", 9),
        ("## 3. Features", 3),
    ],
)
def test_heading_variations_are_recognised(line: str, number: int) -> None:
    assert [p.number for p in parse_sections(f"Sure! Here it is.\n{line}\nSome text here.")] == [number]


def test_bold_title_with_text_on_the_same_line() -> None:
    (p,) = parse_sections("**Condition Overview:** This may be a mole.\nMore text.")
    assert (p.number, p.body) == (1, "This may be a mole.\nMore text.")


@pytest.mark.parametrize("line", ["Prevention is better than cure.", "**Asymmetry**: one half differs", "## Summary"])
def test_ordinary_lines_are_not_headings(line: str) -> None:
    assert parse_sections(f"## 1. Condition Overview\n{line}")[0].body == line


def test_good_reply_is_used_as_written() -> None:
    result = classification()
    report = validate_report(reply(), result, model_id="m")
    assert_complete(report, result)
    assert (report.source, report.note, report.repairs, report.model_id) == ("model", None, [], "m")


def test_models_section_9_is_ignored() -> None:
    result = classification()
    report = validate_report(reply() + "## 9. Important Disclaimers\nYou have melanoma.", result)
    assert report.source == "model"
    assert_complete(report, result)


def test_one_replaced_section_is_named_in_the_singular() -> None:
    result = classification("melanocytic_nevi", 0.9)
    report = validate_report(reply([1, 2, 3, 4, 5, 6, 8]), result)  # only 7 missing
    assert report.note == "*Section 7 of this report is the standard text, because the AI writer's version was missing or unsuitable.*"


def test_missing_duplicated_and_reordered_sections_are_replaced() -> None:
    result = classification("melanocytic_nevi", 0.9)
    text = reply([1, 3, 2, 5, 5, 6, 8])  # 2 after its turn, 4 and 7 missing, 5 twice (the first copy is used)
    report = validate_report(text, result)
    assert_complete(report, result)
    standard = {s.number for s in report.sections if s.source == "standard"}
    assert standard == {2, 4, 7, 9}
    assert report.note == "*Sections 2, 4 and 7 of this report are the standard text, because the AI writer's version was missing or unsuitable.*"
    assert report.note_at_end and report.markdown.endswith(report.note + "\n")
    reasons = "\n".join(report.repairs)
    for fragment in ("Section 2 (What the Confidence Means): replaced", "out of order", "missing", "appeared more than once"):
        assert fragment in reasons


@pytest.mark.parametrize(
    ("number", "body", "gone"),
    [
        (4, "Take 400 mg ibuprofen twice a day and rest.", "ibuprofen"),
        (1, "You have melanoma and it needs care.", "You have melanoma"),
        (8, "There is no need to see a doctor about this spot.", "no need to see"),
    ],
)
def test_forbidden_content_replaces_the_section(number: int, body: str, gone: str) -> None:
    result = classification()
    report = validate_report(reply(bodies={number: body}), result)
    assert_complete(report, result)
    assert gone not in report.markdown
    assert report.sections[number - 1].source == "standard"
    assert any(f"Section {number} " in r for r in report.repairs)


def test_html_is_stripped_and_model_figures_are_dropped() -> None:
    result = classification()
    bodies = {
        2: "The model is 95% sure, which is high. Only a doctor can confirm the result of this screening.",
        3: '<script>alert(1)</script>Look <b>closely</b> at the <img src=x onerror="alert(1)"> border and colour of the spot.',
    }
    report = validate_report(reply(bodies=bodies), result)
    assert_complete(report, result)
    assert report.source == "model"
    assert "95%" not in report.markdown and "Only a doctor can confirm" in report.markdown
    assert "Look closely at the" in report.sections[2].body
    assert any("figure" in r for r in report.repairs)


def test_truncated_reply_loses_its_last_section() -> None:
    result = classification()
    report = validate_report(reply([1, 2, 3]), result, truncated=True)
    assert_complete(report, result)
    assert [s.source for s in report.sections[:3]] == ["model", "model", "standard"]
    assert any("Section 3 (Key Visual / Clinical Features): replaced" in r and "cut off" in r for r in report.repairs)


def test_unusable_reply_becomes_the_standard_report() -> None:
    result = classification()
    report = validate_report("I am a small model and I like cats.", result)
    assert_complete(report, result)
    assert report.source == "standard" and report.markdown.splitlines()[-1] == UNUSABLE_NOTE


VARIANTS = [
    (label, escalate_to, low)
    for label in LABELS
    for escalate_to in (None, "urgent")
    for low in (False, True)
    if not (escalate_to and catalogue().by_label(label).tier == "urgent")  # nothing to escalate to
]


@pytest.mark.parametrize(("label", "escalate_to", "low"), VARIANTS)
def test_standard_report_for_every_class_and_variant(label: str, escalate_to: str | None, low: bool) -> None:
    result = classification(label, 0.55 if low else 0.85, escalate_to=escalate_to, low_confidence=low)
    report = standard_report(result)
    assert_complete(report, result)
    assert report.markdown.startswith(STANDARD_NOTE + "\n\n## 1. Condition Overview")
    assert ("raised to the **Urgent** urgency level" in report.markdown) == bool(escalate_to)
    assert ("The model was not sure about this photo" in report.markdown) == low
    assert result.display_name.split(" (")[0].lower() in report.sections[0].body.lower()


@pytest.mark.parametrize("dx", [c.dx for c in catalogue().classes])
def test_fallback_files_are_complete_leaflets(dx: str) -> None:
    text = (LOCALE_TEXTS_DIR / "en" / "report" / "fallback" / f"{dx}.md").read_text(encoding="utf-8")
    assert [p.number for p in parse_sections(text)] == list(range(1, 9))
    words = len(re.findall(r"[A-Za-z0-9']+", re.sub(r"^## .*$", "", text, flags=re.M)))
    assert 300 <= words <= 480, words
    assert find_forbidden(text) == []


def test_not_a_lesion_has_no_report() -> None:
    result = classification().model_copy(update={"status": "not_a_lesion"})
    with pytest.raises(ValueError):
        standard_report(result)


def test_report_json_carries_the_markdown() -> None:
    data = standard_report(classification()).model_dump(mode="json")
    assert data["markdown"].startswith(STANDARD_NOTE) and len(data["sections"]) == 9


def test_a_copied_prompt_guide_is_not_a_section() -> None:
    result = classification()
    echoes = {3: sections()[2].guide, 5: "Specific changes that mean: see a doctor within days of a change."}
    report = validate_report(reply(bodies=echoes), result)
    assert_complete(report, result)
    assert {s.number for s in report.sections if s.source == "standard"} == {3, 5, 9}
    assert sum("instructions" in r for r in report.repairs) == 2


# ---------------------------------------------------------------- section by section


def stream_through_writer(text: str, result, size: int, **finish: object) -> tuple[list[str], ReportWriter]:
    """Feed `text` in pieces of `size` characters; returns what the writer let through at each step."""
    writer = ReportWriter(result)
    shown = [writer.feed(text[i : i + size]) for i in range(0, len(text), size)]
    shown.append(writer.finish(**finish))  # type: ignore[arg-type]
    return shown, writer


CASES = {
    "good": reply(),
    "chatter and a model section 9": "Sure! Here is the report.\n" + reply() + "## 9. Important Disclaimers\nYou have melanoma.\n",
    "skipped, reordered, doubled": reply([1, 3, 2, 5, 5, 6, 8]),
    "unsafe": reply(bodies={1: "You have melanoma.", 4: "Take 400 mg ibuprofen twice a day.", 8: "There is no need to see a doctor."}),
    "figures and html": reply(bodies={2: "The model is 95% sure. Only a doctor can confirm this screening result.", 3: "<b>Look</b> at the [border](http://x.example) and colour of the spot."}),
    "bold headings": "\n\n".join(f"**{t}:** {b}" for t, b in zip(SEED_TITLES, [
        "This may be a common mole, a doctor can say.", "It shows how close the photo is to known examples.",
        "Watch the shape, border and colour closely.", "Book a visit with a doctor soon.", "Go soon if it bleeds or grows fast.",
        "Take a monthly photo with a ruler next to it.", "Use sunscreen and avoid sunbeds every day.", "A dermatologist can examine it closely."])),
    "nothing usable": "I am a small model and I like cats.",
}


@pytest.mark.parametrize("size", [1, 7, 64, 10_000])
@pytest.mark.parametrize("case", list(CASES))
def test_streamed_report_is_the_validated_one(case: str, size: int) -> None:
    """Whatever the pieces, what is shown, joined, is the report; and it is validate_report's report."""
    result = classification()
    shown, writer = stream_through_writer(CASES[case], result, size, model_id="m")
    assert writer.report is not None
    assert_complete(writer.report, result)
    assert "".join(shown) == writer.report.markdown
    assert writer.report == validate_report(CASES[case], result, model_id="m")
    so_far = ""
    for piece in shown:
        so_far += piece
        assert find_forbidden(so_far) == [] and "<" not in so_far and "http" not in so_far and "95%" not in so_far


def test_sections_are_shown_in_order_as_soon_as_they_are_complete() -> None:
    result = classification()
    writer = ReportWriter(result)
    assert writer.feed("## 1. Condition Overview\nThis spot may be a common growth that a doctor can check.\n") == "## 1. Condition Overview\n\n"
    assert writer.feed("## 2. What the Confidence Means\n").startswith("This spot may be a common growth")
    shown = writer.feed("It is not a diagnosis, only how close the photo is to known examples.\n## 5. When to Seek Immediate Care\n")
    # 2 is complete; 3 and 4 were skipped, so their standard text comes now, before 5 is written.
    assert re.findall(r"^## (\d)\.", shown, flags=re.M) == ["3", "4", "5"]
    assert shown.startswith("It is not a diagnosis") and f"**Urgency: {result.triage.title}.**" in shown
    assert writer.feed("See a doctor within days if it bleeds, grows fast or turns into a sore.") == "", "not complete yet"
    shown = writer.finish()
    assert shown.startswith("See a doctor within days") and "## 9. Important Disclaimers" in shown
    assert writer.report is not None
    assert [s.source for s in writer.report.sections] == ["model", "model", "standard", "standard", "model"] + ["standard"] * 4


def test_a_repeated_heading_is_not_an_empty_section() -> None:
    result = classification()
    text = reply().replace("## 4. Recommended Next Actions\n", "## 4. Recommended Next Actions\n**Next Steps**\n")
    report = validate_report(text, result)
    assert report.source == "model" and report.sections[3].body.endswith(BODIES[4])


def test_the_section_in_progress_is_dropped_when_the_text_is_cut() -> None:
    result = classification()
    shown, writer = stream_through_writer(reply([1, 2, 3]) + "## 4. Recommended Next Actions\nTake 4", result, 5, truncated=True)
    assert writer.report is not None
    assert [s.source for s in writer.report.sections[:4]] == ["model", "model", "model", "standard"]
    assert "Take 4" not in "".join(shown)


def test_the_prompt_keeps_its_stable_part_first_for_the_servers_prefix_cache() -> None:
    """llama.cpp, vLLM and Ollama reuse a cached prompt prefix: the rules and sections (the same for every
    photo) come before the result, so a second report only evaluates the result's lines."""
    from os.path import commonprefix

    from assistant.report.prompt import build_messages

    a = build_messages(classification("melanoma", 0.62))[1]["content"]
    b = build_messages(classification("melanocytic_nevi", 0.81, runner_up="melanoma"))[1]["content"]
    assert isinstance(a, str) and isinstance(b, str)
    shared = len(commonprefix([a, b]))
    assert shared >= 0.75 * len(a), (shared, len(a))
    assert shared > a.index("## Screening result")  # everything before the result is shared


def test_a_section_of_invented_words_is_replaced_in_its_language() -> None:
    """SmolLM2's German section 7 in the HTTP red team passed every other check and was shown."""
    result = classification("basal_cell_carcinoma", 0.95)
    written = standard_report(result, locale="de").markdown
    seven = re.search(r"^## 7\..*\n", written, flags=re.M)
    eight = re.search(r"^## 8\.", written, flags=re.M)
    assert seven and eight
    text = written[: seven.end()] + "\n5. Wachshwartzzahl für die Kontrolle des Ergebnisliste\n\n" + written[eight.start():]
    report = validate_report(text, result, locale="de")
    assert [s.number for s in report.sections if s.source == "standard"] == [7, 9]
    assert "Wachshwartzzahl" not in report.markdown
    assert any("Wachshwartzzahl" in r for r in report.repairs)


def test_a_section_that_only_says_its_heading_and_quotes_the_facts_is_empty() -> None:
    """SmolLM2's Italian section 2 (`ham10k report --locale it`): the heading again, then the result's reason
    in quotes."""
    result = classification("basal_cell_carcinoma", 0.95)
    written = standard_report(result, locale="it").markdown
    two = re.search(r"^## 2\..*\n", written, flags=re.M)
    three = re.search(r"^## 3\.", written, flags=re.M)
    assert two and three
    body = 'Cosa significa la confidenza: "Il tipo più simile è il carcinoma basocellulare".'
    report = validate_report(written[: two.end()] + "\n" + body + "\n\n" + written[three.start():], result, locale="it")
    assert [s.number for s in report.sections if s.source == "standard"] == [2, 9]
    assert "Cosa significa la confidenza:" not in report.markdown
