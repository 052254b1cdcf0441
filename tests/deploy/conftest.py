"""Deploy tests: the clinic's static page on its own loopback origin, and the same Chromium fixture."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import browser  # noqa: F401  (the same Chromium fixture)
from tests.servers import free_port

SITE = Path(__file__).resolve().parents[2] / "examples" / "clinic-site"


@pytest.fixture(scope="module")
def site_port() -> Iterator[int]:
    """examples/clinic-site served on 127.0.0.1 (reached as localhost: another origin than the chat's)."""
    port = free_port()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SITE))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield port
    server.shutdown()
