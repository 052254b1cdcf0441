"""Two replicas on one PostgreSQL behind nginx (deploy/nginx.conf): a case sent through one replica is listed
and returned by the other, and erased for both; in the browser, through nginx, a patient consents in the
chat, gets a reference number, and the staff page shows the case. Screenshots: test-artifacts/clinic-*.png."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS, browser, screenshot  # noqa: F401  (the Chromium fixture)
from tests.clinic.conftest import CONSENT, PATIENT_KEY, PHOTO, STAFF_KEY
from tests.clinic.test_server import call, conversation_with_photo, server_env, staff_get
from tests.servers import free_port, ham10k_server, stop, wait_for_http

pytestmark = [pytest.mark.server]
ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
ASSISTANT = '[data-step-type="assistant_message"]'


@pytest.fixture(scope="module")
def replicas(pg_url: str) -> Iterator[list[str]]:
    """Two servers on the same database, started at once (both run the migrations: one waits for the other)."""
    ARTIFACTS.mkdir(exist_ok=True)
    servers = [ham10k_server(server_env(pg_url), log_path=ARTIFACTS / f"clinic-replica{i}.log") for i in (1, 2)]
    with ThreadPoolExecutor(2) as pool:
        started = list(pool.map(lambda s: s.__enter__(), servers))
    try:
        yield [url for url, _ in started]
    finally:
        for server in servers:
            server.__exit__(None, None, None)


@pytest.fixture(scope="module")
def nginx(replicas: list[str]) -> Iterator[str]:
    if not Path(NGINX).exists():
        pytest.skip("nginx is missing: apt-get install -y nginx (scripts/test installs it)")
    prefix = Path(tempfile.mkdtemp(prefix="ham10k-nginx-"))
    prefix.chmod(0o755)  # started as root, nginx's workers run as `nobody`
    port = free_port()
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    for key, value in {"@APP1@": replicas[0][7:], "@APP2@": replicas[1][7:], "@LISTEN@": f"127.0.0.1:{port}",
                       "@PREFIX@": str(prefix)}.items():
        conf = conf.replace(key, value)
    (prefix / "nginx.conf").write_text(conf)
    proc = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", proc, 20)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc, timeout=10)
        shutil.rmtree(prefix, ignore_errors=True)


def test_a_case_sent_through_one_replica_is_listed_by_the_other(replicas: list[str], nginx: str) -> None:
    first, second = replicas
    key = conversation_with_photo(first, PHOTO)
    status, body = call(f"{first}/api/v1/conversations/{key}/handoff", "POST", CONSENT, {"X-API-Key": PATIENT_KEY})
    assert status == 201, body
    case = json.loads(body)
    listed = [c["id"] for c in json.loads(staff_get(second, "/api/v1/cases")[1])]
    assert case["case_id"] in listed
    assert case["case_id"] in [c["id"] for c in json.loads(staff_get(nginx, "/api/v1/cases")[1])]
    detail = json.loads(staff_get(second, f"/api/v1/cases/{case['case_id']}")[1])
    assert detail["contact"] == "ada@example.org" and len(detail["report"]["sections"]) == 9
    assert detail["result"]["probabilities"] and detail["photo_base64"]
    assert staff_get(nginx, "/api/v1/cases", PATIENT_KEY)[0] == 403 and staff_get(second, "/api/v1/cases", None)[0] == 401
    assert call(f"{second}/api/v1/cases/{case['case_id']}", "DELETE", headers={"X-API-Key": STAFF_KEY})[0] == 204
    assert staff_get(first, f"/api/v1/cases/{case['case_id']}")[0] == 404
    assert staff_get(nginx, f"/api/v1/cases/{case['case_id']}")[0] == 404


def answer(page, question: str, text: str) -> None:
    """Types `text` once the chat's last message asking `question` is shown (Playwright's CSS pierces the
    widget's shadow root, so this serves the chat page and the widget)."""
    page.locator(f"{ASSISTANT}:has-text('{question}')").last.wait_for(timeout=20_000)
    page.fill("#chat-input", text)
    page.keyboard.press("Enter")


def staff_row(context, base: str, reference: str, shot: str):
    """The staff page's row of case `reference`, after a login with a staff key (refused before it)."""
    staff = context.new_page()
    assert staff.goto(base + "/staff/case/list").status == 401
    staff.fill("input[name=username]", "nurse")
    staff.fill("input[name=password]", STAFF_KEY)
    staff.click("button[type=submit]")
    staff.wait_for_url("**/staff/")
    staff.goto(base + "/staff/case/list")
    screenshot(staff, shot)
    row = staff.locator(f"tr:has-text('{reference}')")
    row.wait_for(timeout=20_000)
    return row


@pytest.mark.browser
def test_consent_in_the_chat_then_the_staff_page_shows_the_case(browser, nginx: str) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    try:
        page.goto(nginx + "/")
        page.wait_for_selector("#starters button:enabled", timeout=30_000)
        page.set_input_files("#upload-button-input", str(PHOTO))
        page.wait_for_selector("#chat-submit:enabled", timeout=30_000)
        page.click("#chat-submit")
        page.locator("button:has-text('Send this to the clinic')").wait_for(timeout=120_000)
        page.click("button:has-text('Send this to the clinic')")
        page.locator(f"{ASSISTANT}:has-text('For how long:')").wait_for(timeout=20_000)
        page.click("button:has-text('I agree, send it')")
        answer(page, "What is your name?", "Ada Lovelace")
        answer(page, "phone number may the clinic contact you", "not a contact")
        page.locator(f"{ASSISTANT}:has-text('Please give a valid e-mail address')").wait_for(timeout=20_000)
        page.wait_for_function("() => document.querySelectorAll('[data-step-type=\"assistant_message\"]').length && "
                               "[...document.querySelectorAll('[data-step-type=\"assistant_message\"]')].filter("
                               "e => e.innerText.includes('phone number may the clinic')).length >= 2", timeout=20_000)
        page.fill("#chat-input", "ada@example.org")
        page.keyboard.press("Enter")
        page.click("button:has-text('No message')", timeout=20_000)
        page.click("button:has-text('No, only the report')", timeout=20_000)
        sent = page.locator(f"{ASSISTANT}:has-text('Your reference number is')")
        sent.wait_for(timeout=30_000)
        reference = re.search(r"HK-[0-9A-Z]{4}-[0-9A-Z]{4}", sent.inner_text()).group(0)
        screenshot(page, "clinic-chat-sent")

        row = staff_row(context, nginx, reference, "clinic-staff-list")
        assert "ada@example.org" in row.inner_text() and "urgent" in row.inner_text()
        for replica in (1, 2):  # the chat's answers never reach a log
            log = (ARTIFACTS / f"clinic-replica{replica}.log").read_text(errors="replace")
            assert "ada@example.org" not in log and "Ada Lovelace" not in log
    finally:
        context.close()
