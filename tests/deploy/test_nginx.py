"""Clinic deployment: the clinic page (another origin) embedding the widget, through deploy/nginx.conf in
front of two replicas; a foreign origin; replica loss; widget tokens. Screenshots: test-artifacts/deploy-*.png."""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS, DEFAULT_WEIGHTS, _serve, screenshot
from tests.servers import free_port, stop, wait_for_http

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "examples" / "clinic-site"
PHOTO = ROOT / "tests" / "assets" / "ISIC_0025450.jpg"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
UNAVAILABLE = "The skin check chat is not available on this page right now."


@pytest.fixture(scope="module")
def site_port() -> Iterator[int]:
    port = free_port()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SITE))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield port
    server.shutdown()


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
        shutil.rmtree(prefix, ignore_errors=True)


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
