"""Clinic deployment: the clinic page (another origin) embedding the widget, through deploy/nginx.conf in
front of two replicas; a foreign origin; replica loss; widget tokens. Screenshots: test-artifacts/deploy-*.png."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS, DEFAULT_WEIGHTS, _serve, screenshot
from tests.assistant.checks import SEED_TITLES
from tests.servers import free_port, stop, wait_for_http

ROOT = Path(__file__).resolve().parents[2]
PHOTO = ROOT / "tests" / "assets" / "ISIC_0025450.jpg"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
UNAVAILABLE = "The skin check chat is not available on this page right now."


@pytest.fixture(scope="module")
def replicas(site_port: int) -> Iterator[list[dict]]:
    env = DEFAULT_WEIGHTS | {"LLM_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
                             "ALLOWED_ORIGINS": f"http://localhost:{site_port}"}
    gens = [_serve(f"deploy-replica{i}", env) for i in (1, 2)]
    urls = [next(g) for g in gens]
    yield [{"url": u, "gen": g} for u, g in zip(urls, gens)]
    for g in gens:
        g.close()


@pytest.fixture(scope="module")
def nginx(replicas) -> Iterator[str]:
    if not Path(NGINX).exists():
        pytest.skip("nginx is missing and could not be installed: apt-get install -y nginx (scripts/test does)")
    prefix = Path(tempfile.mkdtemp(prefix="ham10k-nginx-"))
    # Started as root, nginx's workers run as `nobody`: they must reach the temp dirs for upload bodies.
    prefix.chmod(0o755)
    port = free_port()
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    for key, value in {"@APP1@": replicas[0]["url"][7:-1], "@APP2@": replicas[1]["url"][7:-1],
                       "@LISTEN@": f"127.0.0.1:{port}", "@PREFIX@": str(prefix)}.items():
        conf = conf.replace(key, value)
    (prefix / "nginx.conf").write_text(conf)
    proc = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                            stdout=open(ARTIFACTS / "deploy-nginx.log", "wb"), stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", proc, 20)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc, timeout=10)
        for log in ("access.log", "error.log"):
            if (prefix / log).exists():
                shutil.copy(prefix / log, ARTIFACTS / f"deploy-nginx-{log}")
        shutil.rmtree(prefix, ignore_errors=True)


def open_widget(browser, page_url: str, viewport=(1280, 900)):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="en-US")
    page = context.new_page()
    page.goto(page_url)
    page.wait_for_function("() => typeof window.toggleChainlitCopilot === 'function'", timeout=30_000)
    page.click("#check-spot")
    page.wait_for_selector("#chat-input", timeout=30_000)  # Playwright's CSS pierces the open shadow root
    page.wait_for_timeout(1500)  # the socket connects and the session starts
    return context, page


def widget_text(page) -> str:
    return page.evaluate("() => document.querySelector('#chainlit-copilot').shadowRoot.textContent")


def wait_for_text(page, needle: str, timeout_ms: int = 120_000) -> str:
    page.wait_for_function(
        """n => { const r = document.querySelector('#chainlit-copilot');
                  return r && r.shadowRoot && r.shadowRoot.textContent.includes(n); }""", arg=needle, timeout=timeout_ms)
    return widget_text(page)


def chat_photo(page) -> str:
    page.set_input_files("#upload-button-input", str(PHOTO))
    page.wait_for_selector("#chat-submit:enabled", timeout=30_000)
    page.click("#chat-submit")
    return wait_for_text(page, "9. " + SEED_TITLES[8])


def ask(page, text: str, expect: str) -> str:
    page.fill("#chat-input", text)
    page.click("#chat-submit")
    return wait_for_text(page, expect, 60_000)


def test_clinic_page_chat_through_nginx(browser, nginx, site_port):
    """The whole chat inside the widget on another origin: card, heat-map, chart, report, follow-up, emergency."""
    context, page = open_widget(browser, f"http://localhost:{site_port}/?server={nginx}")
    text = chat_photo(page)
    assert "Urgency: Urgent" in text and "Melanocytic nevus (mole)" in text
    for n, title in enumerate(SEED_TITLES, 1):
        assert f"{n}. {title}" in text, title
    assert "Where the model looked in image 1" in text
    heat = page.locator("img[src*='heatmap'], img[alt*='heatmap']")
    assert heat.count() >= 1 or page.locator("img").count() >= 2, "the heat-map picture is shown"
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for(timeout=20_000)
    assert page.locator(".js-plotly-plot .bars .point").count() == 7, "one bar per class"
    labels = chart.inner_text()
    for name in ("Melanoma", "Basal cell carcinoma", "Dermatofibroma", "Vascular lesion"):
        assert name in labels, name
    assert not page.locator(".modebar").first.is_visible()  # widget.css hides Plotly's toolbar
    screenshot(page, "deploy-widget-desktop")
    ask(page, "What does the ABCDE rule mean?", "Asymmetry")
    text = ask(page, "I can't breathe and my lips are swelling", "is an emergency")
    assert "emergency number" in text
    screenshot(page, "deploy-widget-followups")
    context.close()


def test_phone_viewport(browser, nginx, site_port):
    context, page = open_widget(browser, f"http://localhost:{site_port}/?server={nginx}", viewport=(390, 844))
    chat_photo(page)
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for(timeout=20_000)
    box = chart.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert page.locator(".js-plotly-plot .bars .point").count() == 7
    screenshot(page, "deploy-widget-phone")
    context.close()


def test_foreign_origin_sees_a_sentence(browser, nginx, site_port):
    # 127.0.0.1 is another origin than the allowed localhost one.
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(f"http://127.0.0.1:{site_port}/?server={nginx}")
    page.wait_for_selector("#chat-status:not([hidden])", timeout=15_000)
    assert UNAVAILABLE in page.inner_text("#chat-status")
    assert page.locator("#chat-input").count() == 0
    screenshot(page, "deploy-foreign-origin")
    context.close()


def test_losing_a_replica_keeps_new_chats_working(browser, nginx, replicas, site_port):
    replicas[0]["gen"].close()  # stops replica 1 (waits for its exit)
    context, page = open_widget(browser, f"http://localhost:{site_port}/?server={nginx}")
    assert "9. " + SEED_TITLES[8] in chat_photo(page)
    screenshot(page, "deploy-after-replica-loss")
    context.close()
