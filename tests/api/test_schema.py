"""Schemathesis against the app's OpenAPI spec (/openapi.json), /api/v1 routes: whatever it sends, the
answer is never a 5xx, and an error is always `{"error": {"code", "message"}}`."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from assistant.edges.api import mount

# The spec needs no models; the services (the shipped weights) are filled in by the fixture below.
_loaded: dict = {}
app = FastAPI()
mount(app, lambda: _loaded.get("services"))
schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex="^/api/v1/")


@pytest.fixture(scope="module", autouse=True)
def _services(services):
    _loaded["services"] = services
    yield
    _loaded.clear()


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors(case):
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.text[:300])
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["code"] and error["message"]
