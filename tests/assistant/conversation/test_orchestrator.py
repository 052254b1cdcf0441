"""assistant.conversation.orchestrator without a browser: a session's turns in, typed events out.

Runs the real classifier tool (intake + the shipped default ensemble, ham10k-lite-v1, with its
out-of-distribution gate), the real report engine and the real follow-up engine; the LLM client points
at a closed port, so reports are the standard ones and answers the curated ones (the LLM paths have
their own tests)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from langchain_core.tools import BaseTool
from PIL import Image
from skimage import data as skimage_data

from assistant.conversation import orchestrator
from assistant.core.events import (
    Heatmap,
    Notice,
    ProbabilityChart,
    ResultCard,
    TextDelta,
    TextFinished,
    TextStarted,
    ToolFinished,
    ToolStarted,
)
from assistant.conversation.orchestrator import Attachment, Conversation, Services, Turn
from assistant.core.settings import PROJECT_ROOT, Settings
from assistant.llm.client import LLMClient, LLMConfig
from assistant.safety.forbidden import find_forbidden
from tests.assistant.checks import SEED_TITLES, STANDARD_NOTE, reply
from tests.fault_llm_server import FaultLLMServer, Script
from tests.servers import free_port
from tools.catalogue import catalogue
from tools.classifier import Ensemble
from tools.intake import IntakeLimits
from tools.lesion_tool import TOOL_NAME, make_heatmap_tool, make_lesion_tool
from tools.manifest import resolve_profile
from tools.result import ClassificationResult

ASSETS = Path(__file__).resolve().parents[2] / "assets"
# A real melanoma whose closest class is a mole (~57%): P(melanoma) above the escalation threshold makes it urgent.
LESION_A = (ASSETS / "ISIC_0025450.jpg").read_bytes()
LESION_B = (ASSETS / "ISIC_0024306.jpg").read_bytes()  # a mole, ~99%: low urgency
BCC = (ASSETS / "ISIC_0024795.jpg").read_bytes()  # a basal cell carcinoma, ~95%: high urgency
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _jpeg(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


ASTRONAUT = _jpeg(skimage_data.astronaut())  # a portrait, not a skin spot: the OOD gate refuses it



@pytest.fixture(scope="module")
def closed_llm_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1"  # nothing listens: the fast "LLM is down" path


def make_services(ensemble: Ensemble | None, llm_url: str, heatmap: bool = False, **overrides: object) -> Services:
    settings = Settings(_env_file=None, llm_base_url=llm_url, **overrides)  # type: ignore[call-arg]
    limits = IntakeLimits(max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels,
                          min_side=settings.min_image_side)
    tool = make_lesion_tool(ensemble, limits) if ensemble else None
    llm = LLMClient(LLMConfig.from_settings(settings).model_copy(update={"connect_timeout_s": 1.0}))
    return Services(settings=settings, classifier=tool, llm=llm,
                    heatmap=make_heatmap_tool(ensemble, limits) if ensemble and heatmap else None)


@pytest.fixture
def services(ensemble: Ensemble, closed_llm_url: str) -> Services:
    return make_services(ensemble, closed_llm_url)


async def turn(conversation: Conversation, text: str = "", *files: tuple[str, bytes]) -> list:
    return [e async for e in conversation.handle(
        Turn(text=text, attachments=[Attachment(name=n, mime="image/jpeg", data=d) for n, d in files]))]


def of(events: list, kind: type) -> list:
    return [e for e in events if isinstance(e, kind)]


def streamed(events: list, finished: TextFinished) -> str:
    """What the user saw of one streamed message: its deltas, joined."""
    return "".join(e.text for e in events if isinstance(e, TextDelta) and e.message_id == finished.message_id)


def final_text(events: list) -> str:
    """The text the user ends up reading: finished streams and notices, in order."""
    return "\n\n".join(e.markdown for e in events if isinstance(e, (TextFinished, Notice)))


# ---------------------------------------------------------------- one image


async def test_image_gives_step_card_chart_and_complete_standard_report(services: Services) -> None:
    events = await turn(Conversation(services), "", ("mole.jpg", LESION_A))
    kinds = [type(e) for e in events if not isinstance(e, TextDelta)]
    assert kinds == [ToolStarted, ToolFinished, ResultCard, ProbabilityChart, TextStarted, TextFinished]

    started, finished = of(events, ToolStarted)[0], of(events, ToolFinished)[0]
    assert started.tool == TOOL_NAME and started.step_id == finished.step_id
    assert finished.ok and finished.elapsed_ms > 0
    assert finished.output.startswith("Closest match: Melanocytic nevus (mole)") and "Urgency: Urgent" in finished.output
    assert f"{finished.elapsed_ms / 1000:.1f} s" in finished.label, "the step shows its timing"

    # A real melanoma whose closest class is a mole: the card must still say "urgent", and why.
    card = of(events, ResultCard)[0]
    assert card.image_number == 1 and "Image 1" in card.heading
    assert card.display_name == "Melanocytic nevus (mole)" and 50 <= card.confidence_pct <= 65
    assert card.confidence_band == "low" and card.low_confidence
    assert card.tier == "urgent" and card.tier_title == "Urgent"
    assert card.action == catalogue().tier("urgent").action
    assert "chance of melanoma" in card.reason and "safety threshold" in card.reason
    assert card.description.startswith("A common mole")
    assert "more serious" in card.caution and "Urgent" in card.caution, "the harmless description is qualified"

    chart = of(events, ProbabilityChart)[0]
    probabilities = [b.probability for b in chart.bars]
    assert len(chart.bars) == 7 and probabilities == sorted(probabilities, reverse=True)
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-4)
    assert [b.label for b in chart.bars if b.top] == [card.display_name]
    melanoma = next(b for b in chart.bars if b.label == catalogue().by_label("melanoma").display_name)
    assert melanoma.probability >= resolve_profile(PROJECT_ROOT / "weights").triage.melanoma_escalation

    report = of(events, TextFinished)[0]
    assert report.source == "standard" and STANDARD_NOTE in report.markdown, "says the standard report was used"
    assert streamed(events, report) == report.markdown, "the streamed text is the whole report: nothing to replace"
    assert report.markdown.startswith("**Image 1: screening report**")
    headings = [line for line in report.markdown.splitlines() if line.startswith("## ")]
    assert headings == [f"## {n}. {t}" for n, t in enumerate(SEED_TITLES, start=1)]
    assert "**Urgency: Urgent.**" in report.markdown, "the report keeps the card's urgency"


async def test_confident_basal_cell_carcinoma_is_high_urgency(services: Services) -> None:
    events = await turn(Conversation(services), "", ("bcc.jpg", BCC))
    card = of(events, ResultCard)[0]
    assert card.display_name == "Basal cell carcinoma" and card.confidence_pct >= 90
    assert card.confidence_band == "high" and not card.low_confidence
    assert card.tier == "high" and card.action == catalogue().tier("high").action
    assert "basal cell carcinoma" in card.reason and card.caution == "", "high is its usual level: nothing raised"
    assert of(events, ProbabilityChart)[0].bars[0].label == "Basal cell carcinoma"
    assert "**Urgency: High.**" in of(events, TextFinished)[0].markdown


async def test_probability_chart_figure_has_every_class(services: Services) -> None:
    from assistant.text.charts import probability_figure

    chart = of(await turn(Conversation(services), "", ("a.jpg", LESION_A)), ProbabilityChart)[0]
    bar = probability_figure(chart).data[0]
    assert len(bar.y) == 7 and max(bar.x) == pytest.approx(chart.bars[0].probability * 100)


async def test_images_are_numbered_and_can_be_compared(services: Services) -> None:
    conversation = Conversation(services)
    await turn(conversation, "", ("first.jpg", LESION_A))
    second = await turn(conversation, "", ("second.jpg", LESION_B))
    assert of(second, ResultCard)[0].image_number == 2
    assert "Image 2" in of(second, TextFinished)[0].markdown

    events = await turn(conversation, "Can you compare image 1 and image 2?")
    answer = of(events, TextFinished)[0]
    assert "Image 1" in answer.markdown and "Image 2" in answer.markdown, "the follow-up engine got both results"
    assert streamed(events, answer) == answer.markdown
    assert [a.result.status for a in conversation.analyses] == ["ok", "ok"]
    assert [a.result.triage.tier for a in conversation.analyses] == ["urgent", "low"]


async def test_text_sent_with_an_image_is_answered_after_the_analysis(services: Services) -> None:
    events = await turn(Conversation(services), "What do the percentages mean?", ("spot.jpg", LESION_A))
    finished = of(events, TextFinished)
    assert [f.markdown.startswith("**Image 1: screening report**") for f in finished] == [True, False]
    assert "Image 1" in finished[1].markdown or "image 1" in finished[1].markdown


async def test_unsafe_model_text_is_never_streamed_to_the_chat(ensemble: Ensemble, fault_llm: FaultLLMServer) -> None:
    """The same text for the report and the follow-up: a dose, a diagnosis and a dismissal among safe
    sentences. No delta, and nothing shown so far, ever holds any of it."""
    unsafe = "Take 400 mg ibuprofen twice a day. You have melanoma. There is no need to see a doctor."
    url = fault_llm.add(Script(reply=reply(bodies={1: unsafe, 5: unsafe}) + "\n" + unsafe, chunk_chars=5))
    conversation = Conversation(make_services(ensemble, url))
    for events in (await turn(conversation, "", ("spot.jpg", LESION_A)), await turn(conversation, "Should I be worried?")):
        (finished,) = of(events, TextFinished)
        shown = ""
        for delta in of(events, TextDelta):
            shown += delta.text
            assert find_forbidden(shown) == [] and "400 mg" not in shown, delta.text
        assert shown == finished.markdown


# ---------------------------------------------------------------- text


async def test_question_before_any_image_asks_for_one(ensemble: Ensemble, closed_llm_url: str) -> None:
    services = make_services(ensemble, closed_llm_url, max_image_bytes=5 * 1024 * 1024)
    events = await turn(Conversation(services), "What does my result mean?")
    assert not of(events, ToolStarted)
    assert "attach a photo" in final_text(events).lower()
    assert "up to 5 MB" in final_text(events), "the configured upload limit"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How do I check my skin?", "ABCDE"),
        ("What do the urgency levels mean?", "**Urgent**"),
        ("what images work best", "dermatoscope"),
    ],
)
async def test_starter_questions_get_curated_answers_without_an_image(
    services: Services, question: str, expected: str
) -> None:
    events = await turn(Conversation(services), question)
    assert [type(e) for e in events] == [Notice]
    assert expected in events[0].markdown


async def test_urgency_answer_lists_every_tier(services: Services) -> None:
    text = (await turn(Conversation(services), "What do the urgency levels mean?"))[0].markdown
    for tier in catalogue().tiers.values():
        assert f"**{tier.title}**: {tier.action}" in text


async def test_emergency_gets_the_fixed_escalation(services: Services) -> None:
    conversation = Conversation(services)
    await turn(conversation, "", ("spot.jpg", LESION_A))
    answer = of(await turn(conversation, "My mole is bleeding a lot and it won't stop"), TextFinished)[0]
    assert answer.source == "fixed" and "Bleeding that will not stop" in answer.markdown


async def test_prescription_request_is_declined(services: Services) -> None:
    conversation = Conversation(services)
    await turn(conversation, "", ("spot.jpg", LESION_A))
    answer = of(await turn(conversation, "Can you prescribe a cream for it?"), TextFinished)[0]
    assert answer.source == "fixed"
    assert "prescri" in answer.markdown.lower() or "medicine" in answer.markdown.lower()


async def test_history_is_bounded(ensemble: Ensemble, closed_llm_url: str) -> None:
    conversation = Conversation(make_services(ensemble, closed_llm_url, chat_history_messages=4))
    for _ in range(5):
        await turn(conversation, "What do the urgency levels mean?")
    assert len(conversation.history) == 4


# ---------------------------------------------------------------- bad uploads and limits


def _big_png(n_bytes: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + bytes(n_bytes)


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("notes.txt", b"just some text, not a photo\n", "looks like a text file"),
        ("scan.pdf", PDF, "looks like a PDF document"),
        ("empty.jpg", b"", "empty"),
        ("cut.jpg", LESION_A[: len(LESION_A) // 2], "incomplete"),
        ("huge.png", _big_png(10 * 1024 * 1024 + 1), "over the 10 MB limit"),
    ],
)
async def test_bad_upload_gets_a_clear_message_and_keeps_the_conversation(
    services: Services, name: str, data: bytes, expected: str
) -> None:
    conversation = Conversation(services)
    await turn(conversation, "", ("good.jpg", LESION_A))
    events = await turn(conversation, "", (name, data))
    finished = of(events, ToolFinished)
    assert len(finished) == 1 and not finished[0].ok
    notices = of(events, Notice)
    assert len(notices) == 1 and expected in notices[0].markdown
    assert notices[0].markdown.startswith("**I couldn't use")
    assert not of(events, ResultCard)
    after = await turn(conversation, "", ("next.jpg", LESION_B))
    assert of(after, ResultCard)[0].image_number == 2, "earlier result kept, numbering continues"


async def test_file_names_cannot_inject_markdown(services: Services) -> None:
    events = await turn(Conversation(services), "", ("[click](http://x.example)*.txt", b"text"))
    assert "[click](http" not in of(events, Notice)[0].markdown


async def test_several_files_at_once_are_refused_but_the_text_is_answered(services: Services) -> None:
    events = await turn(Conversation(services), "How do I check my skin?", ("a.jpg", LESION_A), ("b.jpg", LESION_B))
    assert not of(events, ToolStarted)
    notices = of(events, Notice)
    assert "one photo per message" in notices[0].markdown and "You sent 2 files" in notices[0].markdown
    assert "ABCDE" in notices[1].markdown


async def test_image_limit_per_conversation(ensemble: Ensemble, closed_llm_url: str) -> None:
    conversation = Conversation(make_services(ensemble, closed_llm_url, chat_max_images=1))
    await turn(conversation, "", ("a.jpg", LESION_A))
    events = await turn(conversation, "", ("b.jpg", LESION_B))
    assert not of(events, ToolStarted) and "start a new conversation" in of(events, Notice)[0].markdown


async def test_photo_that_is_not_a_skin_spot_gets_a_kind_explanation_and_the_chat_goes_on(
    services: Services,
) -> None:
    """The real out-of-distribution gate refuses a portrait: an explanation instead of a class (no card,
    no chart, no report), and the next lesion photo is analysed as usual, as image 2."""
    conversation = Conversation(services)
    events = await turn(conversation, "", ("holiday.jpg", ASTRONAUT))
    step = of(events, ToolFinished)
    assert len(step) == 1 and step[0].ok, "the photo was checked; it is not a failure"
    assert not of(events, ResultCard) and not of(events, ProbabilityChart) and not of(events, TextStarted)
    (notice,) = of(events, Notice)
    text = notice.markdown
    assert text.startswith("**Image 1:") and "doesn't look like a close-up photo of a skin spot" in text
    assert "doctor" in text, "a spot that worries someone still needs a doctor, whatever the checker says"
    for label in catalogue().classes:
        assert label.display_name.lower() not in text.lower(), "no class is named for a refused picture"
    assert "%" not in text and "classifier" not in text and "error" not in text.lower()
    assert conversation.analyses[0].result.status == "not_a_lesion" and conversation.analyses[0].report is None

    answer = of(await turn(conversation, "What do the percentages mean?"), TextFinished)[0]
    assert "attach" in answer.markdown.lower(), "no lesion screened yet, so the engine asks for a photo"

    after = await turn(conversation, "", ("spot.jpg", LESION_B))
    card = of(after, ResultCard)[0]
    assert card.image_number == 2 and card.display_name == "Melanocytic nevus (mole)" and card.tier == "low"
    assert of(after, ProbabilityChart) and of(after, TextFinished)[0].markdown.startswith("**Image 2: screening report**")
    assert [a.result.status for a in conversation.analyses] == ["not_a_lesion", "ok"]


async def test_without_a_classifier_the_chat_says_so_and_still_answers(closed_llm_url: str) -> None:
    conversation = Conversation(make_services(None, closed_llm_url))
    events = await turn(conversation, "How do I check my skin?", ("a.jpg", LESION_A))
    notices = of(events, Notice)
    assert "not available right now" in notices[0].markdown and "ABCDE" in notices[1].markdown


# ---------------------------------------------------------------- start-up


def test_services_load_warms_the_shared_ensemble(monkeypatch: pytest.MonkeyPatch, ensemble: Ensemble) -> None:
    calls: list[Ensemble] = []
    monkeypatch.setattr(orchestrator, "get_ensemble", lambda: ensemble)
    monkeypatch.setattr(orchestrator, "warm_up", calls.append)
    services = Services.load()
    assert isinstance(services.classifier, BaseTool) and calls == [ensemble]


def test_services_load_survives_missing_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> Ensemble:
        raise FileNotFoundError("no weights in weights/")

    monkeypatch.setattr(orchestrator, "get_ensemble", missing)
    services = Services.load()
    assert services.classifier is None and "no weights" in (services.classifier_error or "")


async def test_heatmap_follows_the_card_with_its_plain_caption(ensemble: Ensemble, closed_llm_url: str) -> None:
    events = await turn(Conversation(make_services(ensemble, closed_llm_url, heatmap=True)), "", ("spot.jpg", LESION_B))
    kinds = [type(e) for e in events if not isinstance(e, TextDelta)]
    assert kinds == [ToolStarted, ToolFinished, ResultCard, Heatmap, ProbabilityChart, TextStarted, TextFinished]
    picture = of(events, Heatmap)[0]
    assert picture.image_number == 1 and "not where anything is wrong" in picture.caption
    assert of(events, ResultCard)[0].display_name in picture.caption
    assert Image.open(io.BytesIO(base64.b64decode(picture.png_base64))).format == "PNG"
    assert not find_forbidden(picture.caption)


async def test_a_failing_heatmap_costs_only_the_picture(ensemble: Ensemble, closed_llm_url: str) -> None:
    class Broken(BaseTool):
        name: str = "explain_skin_lesion"
        description: str = "always fails"

        def _run(self, **kwargs):
            raise RuntimeError("boom")

        async def _arun(self, **kwargs):
            raise RuntimeError("boom")

    base = make_services(ensemble, closed_llm_url)
    services = Services(settings=base.settings, classifier=base.classifier, llm=base.llm, heatmap=Broken())
    events = await turn(Conversation(services), "", ("spot.jpg", LESION_B))
    assert not of(events, Heatmap) and of(events, ResultCard) and of(events, TextFinished)


def test_warm_up_runs_one_classification(ensemble: Ensemble) -> None:
    orchestrator.warm_up(ensemble)  # must not raise on the plain synthetic image


# ---------------------------------------------------------------- the tool itself


async def test_lesion_tool_is_a_typed_langchain_tool(ensemble: Ensemble) -> None:
    tool = make_lesion_tool(ensemble, IntakeLimits())
    assert tool.name == TOOL_NAME and set(tool.args) == {"image", "tta"}
    result = await tool.ainvoke({"image": LESION_A})
    assert isinstance(result, ClassificationResult) and result.image.format == "JPEG" and result.status == "ok"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (120, 80, 60)).save(buffer, "PNG")
    flat = await tool.ainvoke({"image": buffer.getvalue(), "tta": False})
    assert flat.image.format == "PNG" and flat.status == "not_a_lesion", "a flat colour is no skin spot"

