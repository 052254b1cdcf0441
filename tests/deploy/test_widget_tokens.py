"""Widget access tokens (WIDGET_TOKENS=true): the clinic page passes the JWT its backend minted; no token,
an expired one and a forged one get no chat, a valid one chats. Screenshots: test-artifacts/tokens-*.png."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.edges.cli import mint_token
from tests.browser.conftest import DEFAULT_WEIGHTS, _serve, screenshot
from tests.servers import free_port

SECRET = "clinic-secret-" + "x" * 40


@pytest.fixture(scope="module")
def token_server(site_port: int) -> Iterator[str]:
    env = DEFAULT_WEIGHTS | {"LLM_BASE_URL": f"http://127.0.0.1:{free_port()}/v1", "WIDGET_TOKENS": "true",
                             "CHAINLIT_AUTH_SECRET": SECRET, "ALLOWED_ORIGINS": f"http://localhost:{site_port}"}
    yield from _serve("tokens-server", env)


def open_with(browser, site_port: int, server: str, token: str | None):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    query = f"?server={server.rstrip('/')}" + (f"&token={token}" if token else "")
    page.goto(f"http://localhost:{site_port}/{query}")
    page.wait_for_function("() => typeof window.toggleChainlitCopilot === 'function'", timeout=30_000)
    page.click("#check-spot")
    page.wait_for_timeout(3000)  # let the widget try to log in and connect
    return context, page


def can_chat(page) -> bool:
    """Sends a question if the widget offers a composer; True only if an answer comes back."""
    if page.locator("#chat-input").count() == 0:
        return False
    page.fill("#chat-input", "What does the ABCDE rule mean?")
    try:
        page.wait_for_selector("#chat-submit:enabled", timeout=10_000)
    except Exception:
        return False
    page.click("#chat-submit")
    try:
        page.wait_for_function(
            """() => document.querySelector('#chainlit-copilot')?.shadowRoot?.textContent.includes('Asymmetry')""",
            timeout=30_000)
        return True
    except Exception:
        return False


@pytest.mark.parametrize("case", ["none", "expired", "forged"])
def test_a_missing_expired_or_forged_token_gets_no_chat(browser, site_port, token_server, case):
    token = {"none": None, "expired": mint_token(SECRET, minutes=-1), "forged": mint_token("f" * 54)}[case]
    context, page = open_with(browser, site_port, token_server, token)
    assert not can_chat(page), case
    screenshot(page, f"tokens-{case}")
    context.close()


def test_a_valid_token_chats(browser, site_port, token_server):
    """Chainlit's socket authenticates with a cookie, which browsers only send same-site: the chat server on
    the clinic's own site (localhost here, a chat.clinic.example subdomain in real life; README "Embed")."""
    same_site = token_server.replace("127.0.0.1", "localhost")
    context, page = open_with(browser, site_port, same_site, mint_token(SECRET, user="visitor-7", minutes=5))
    assert can_chat(page)
    screenshot(page, "tokens-valid")
    context.close()
