"""The hand-off from the clinic's widget: Chromium opens a clinic's page that mounts the widget with the
README's two-line embed, sends a photo, downloads the report's PDF from the widget, sends the case to the
clinic (consent, name, a contact refused then a valid one) and reads its reference number in the widget; the
staff page then lists that case. The real server on a SQLite file. Screenshots: test-artifacts/widget-handoff-*.png."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import (  # noqa: F401  (the Chromium fixture)
    ARTIFACTS,
    DEFAULT_WEIGHTS,
    START_TIMEOUT_S,
    browser,
    screenshot,
)
from tests.browser.test_languages import clinic, readme_embed  # noqa: F401  (the clinic's page, its origin)
from tests.clinic.conftest import PHOTO
from tests.clinic.test_deploy import ASSISTANT, answer, staff_row
from tests.clinic.test_server import server_env
from tests.servers import ham10k_server
from tools.text import t

pytestmark = [pytest.mark.server, pytest.mark.browser]
REFERENCE = re.compile(r"HK-[0-9A-Z]{4}-[0-9A-Z]{4}")
LOG = ARTIFACTS / "widget-handoff.log"


@pytest.fixture(scope="module")
def app_url(clinic: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # noqa: F811
    """The app with the hand-off on (a SQLite file) allowing the clinic page's origin; the page embeds it."""
    database = tmp_path_factory.mktemp("widget-handoff") / "cases.sqlite3"
    env = server_env(f"sqlite:///{database}") | DEFAULT_WEIGHTS | {"ALLOWED_ORIGINS": clinic["origin"]}
    ARTIFACTS.mkdir(exist_ok=True)
    with ham10k_server(env, log_path=LOG, start_timeout_s=START_TIMEOUT_S) as (url, _):
        (clinic["folder"] / "index.html").write_text(
            '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Riverside Skin Clinic</title></head>\n'
            f"<body>\n<h1>Riverside Skin Clinic</h1>\n{readme_embed(url)}\n</body>\n</html>\n", encoding="utf-8")
        yield url


def download_pdf(page, link) -> tuple[str, bytes]:
    """The name and bytes of the file behind the widget's PDF link. The link is on the app's origin, not the
    page's, so Chromium ignores its `download` attribute and opens a new tab: the server's attachment header
    makes that tab download it (without it the PDF is only shown, under its file id). Waits on either page."""
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    page.context.on("page", lambda tab: tab.on("download", lambda download: downloads.append(download)))
    link.click()
    for _ in range(300):
        if downloads:
            return downloads[0].suggested_filename, Path(downloads[0].path()).read_bytes()
        page.wait_for_timeout(100)
    raise AssertionError(f"clicking {link.get_attribute('href')} downloaded nothing; tabs: "
                         f"{[tab.url for tab in page.context.pages]}")


def test_a_patient_sends_a_case_from_the_widget_and_staff_see_it(browser, app_url: str, clinic: dict) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    widget = page.locator("#chainlit-copilot")
    try:
        page.goto(clinic["origin"] + "/")
        page.wait_for_function("() => typeof window.toggleChainlitCopilot === 'function'", timeout=30_000)
        page.click("#chainlit-copilot-button")
        page.wait_for_selector("#upload-button", timeout=30_000)
        widget.locator(ASSISTANT).first.wait_for(timeout=30_000)  # the welcome: the session has started
        page.set_input_files("#upload-button-input", str(PHOTO))
        page.wait_for_selector("#chat-submit:enabled", timeout=30_000)
        page.click("#chat-submit")

        offer = widget.get_by_role("button", name=t("clinic.offer_button", "en"))
        offer.wait_for(timeout=120_000)
        link = widget.locator("a.inline-file[download]").first  # sent before the offer
        name, pdf = download_pdf(page, link)
        assert name == t("pdf.file_name", "en", number=1) and pdf.startswith(b"%PDF-"), (name, pdf[:20])
        printed = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
        screenshot(page, "widget-handoff-report")

        offer.click()
        widget.locator(ASSISTANT).filter(has_text="For how long:").wait_for(timeout=20_000)
        widget.get_by_role("button", name=t("clinic.consent_yes", "en")).click()
        answer(page, t("clinic.ask_name", "en"), "Ada Lovelace")
        answer(page, "phone number may the clinic contact you", "not a contact")
        widget.locator(ASSISTANT).filter(has_text=t("clinic.refused.bad_contact", "en")).wait_for(timeout=20_000)
        expect(widget.locator(ASSISTANT).filter(has_text=t("clinic.ask_contact", "en"))).to_have_count(2, timeout=20_000)
        page.fill("#chat-input", "+33 6 12 34 56 78")
        page.keyboard.press("Enter")
        widget.get_by_role("button", name=t("clinic.message_no", "en")).click(timeout=20_000)
        widget.get_by_role("button", name=t("clinic.include_no", "en")).click(timeout=20_000)
        sent = widget.locator(ASSISTANT).filter(has_text="Your reference number is")
        sent.wait_for(timeout=30_000)
        reference = REFERENCE.search(sent.inner_text()).group(0)
        screenshot(page, "widget-handoff-sent")
        assert reference in printed, "the reference shown is the one printed on the PDF"

        row = staff_row(context, app_url, reference, "widget-handoff-staff-list")
        assert "+33612345678" in row.inner_text() and "urgent" in row.inner_text()
        log = LOG.read_text(errors="replace")  # the widget's answers never reach the log
        assert "Ada Lovelace" not in log and "+33612345678" not in log and "12 34 56 78" not in log
    finally:
        context.close()
