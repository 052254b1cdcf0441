"""The real chat app (`ham10k serve`) driven by Debian's Chromium through Playwright.

The app runs as a subprocess on a free port with the shipped default weights (weights/, profile
ham10k-lite-v1, with its out-of-distribution gate), and by default an LLM address where nothing
listens, so reports are the standard ones. Screenshots go to test-artifacts/ (gitignored).

Never `playwright install`: the browser is /usr/bin/chromium (scripts/test installs it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import free_port, ham10k_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Model loading, one warm-up pass and Chainlit's start on 2 busy cores.
START_TIMEOUT_S = 180
DEFAULT_WEIGHTS = {"DEVICE": "cpu"}


def _serve(name: str, env: dict[str, str]) -> Iterator[str]:
    """`ham10k serve --port N` until the test session ends; yields its URL once it answers HTTP 200."""
    ARTIFACTS.mkdir(exist_ok=True)
    with ham10k_server(env, log_path=ARTIFACTS / f"{name}.log", ready_path="/", start_timeout_s=START_TIMEOUT_S) as (url, _):
        yield url + "/"


@pytest.fixture(scope="session")
def chat_url() -> Iterator[str]:
    """The app with no LLM server answering: standard reports, curated follow-up answers."""
    yield from _serve("server", DEFAULT_WEIGHTS | {"LLM_BASE_URL": f"http://127.0.0.1:{free_port()}/v1"})


@pytest.fixture(scope="session")
def chat_url_with_llm(llama_base_url: str) -> Iterator[str]:
    """The app writing with a real local LLM server (llama.cpp + SmolLM2-135M); short replies keep it quick."""
    yield from _serve("server-llm", DEFAULT_WEIGHTS | {"LLM_BASE_URL": llama_base_url, "LLM_MAX_TOKENS": "300"})


# Module scope: a live sync Playwright keeps its event loop set on this thread, and the async tests that
# run after the browser modules (tests/redteam, ...) would then fail with "called from a running loop".
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM}: apt-get install -y chromium "
                    "(scripts/test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh page (so a fresh chat session) per test; a screenshot of how it ended is always saved."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    yield page
    screenshot(page, re.sub(r"\W+", "_", request.node.name) + "-end")
    context.close()


def screenshot(page, name: str, at: str | None = None) -> Path:
    """What the patient sees, saved as test-artifacts/NAME.png; `at`: a selector whose last match is
    scrolled to the top of the window first (the chat scrolls inside its own container)."""
    ARTIFACTS.mkdir(exist_ok=True)
    if at:
        page.locator(at).last.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
