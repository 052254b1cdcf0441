"""/health (liveness + the seed's status fields), /ready (cached, never a forward pass or an LLM call
per request) and /metrics (Prometheus text, parsed)."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from assistant.edges.api import mount
from tests.api.conftest import photo_file


def samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def total(text: str, name: str, **labels) -> float:
    return sum(v for (n, ls), v in samples(text).items()
               if n == name and all(dict(ls).get(k) == str(x) for k, x in labels.items()))


def test_health_says_what_the_seed_said(client):
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "healthy" and body["models_loaded"] is True
    assert body["llm_reachable"] is False and body["fallback_ready"] is True  # no LLM server in this test
    assert body["report_mode"] == "standard" and body["intent_router"] == "loaded"


def test_health_is_alive_while_loading_and_ready_is_not():
    app = FastAPI()
    mount(app, lambda: None)
    c = TestClient(app)
    assert c.get("/health").status_code == 200 and c.get("/health").json()["models_loaded"] is False
    r = c.get("/ready")
    assert r.status_code == 503 and r.json()["ready"] is False
    assert c.post("/api/v1/predict", files=photo_file()).json()["error"]["code"] == "not_ready"


def test_ready_needs_the_classifier_and_router(services):
    for broken in (dataclasses.replace(services, classifier=None, classifier_error="no weights"),
                   dataclasses.replace(services, router_status="failed: no model")):
        app = FastAPI()
        mount(app, lambda b=broken: b)
        r = TestClient(app).get("/ready")
        assert r.status_code == 503 and r.json()["ready"] is False
        assert TestClient(app).get("/health").status_code == 200


def test_ready_is_cached(services, monkeypatch):
    """Many /ready and /health calls: at most one LLM check, and the classifier is never called."""
    probes = []

    class CountingLLM:
        config = services.llm.config

        async def probe(self, **_):
            probes.append(1)
            return await services.llm.probe()

    class NoClassifier:
        async def ainvoke(self, *_):
            raise AssertionError("a forward pass from /ready")

    s = dataclasses.replace(services, llm=CountingLLM(), classifier=NoClassifier())
    app = FastAPI()
    mount(app, lambda: s)
    c = TestClient(app)
    for _ in range(20):
        assert c.get("/ready").status_code == 200
        assert c.get("/health").status_code == 200
    assert len(probes) == 1


def test_metrics_parse_and_count(client):
    before = client.get("/metrics").text
    assert client.post("/api/v1/predict", files=photo_file(), data={"tta": "false"}).status_code == 200
    r = client.post("/api/v1/conversations", json={"text": "What is a melanoma?"})
    assert r.status_code == 200
    client.post(f"/api/v1/conversations/{r.json()['id']}/messages", json={"text": "Should I see a doctor?"})
    client.get("/api/v1/conversations/whatever-id/messages")  # 405: a template, never the raw path
    m = client.get("/metrics")
    assert m.status_code == 200 and m.headers["content-type"].startswith("text/plain")
    after = m.text
    names = {f.name for f in text_string_to_metric_families(after)}
    assert {"ham10k_http_requests", "ham10k_http_request_duration_seconds", "ham10k_analyses",
            "ham10k_ood_refusals", "ham10k_reports", "ham10k_llm_errors", "ham10k_followups",
            "ham10k_chat_sessions_active"} <= names
    key = dict(route="/api/v1/predict", method="POST", status="200")
    assert total(after, "ham10k_http_requests_total", **key) == total(before, "ham10k_http_requests_total", **key) + 1
    assert total(after, "ham10k_analyses_total") >= total(before, "ham10k_analyses_total") + 1
    assert total(after, "ham10k_followups_total") >= total(before, "ham10k_followups_total") + 1
    routes = {dict(ls).get("route") for (n, ls) in samples(after) if n == "ham10k_http_requests_total"}
    assert "/api/v1/conversations/{key}/messages" in routes
    assert not any("whatever-id" in (r or "") for r in routes)


@pytest.mark.asyncio
async def test_metrics_from_conversation_events(services):
    """A report written through a conversation: its source counted, and the LLM's failure by kind."""
    from assistant.core import metrics
    from assistant.conversation.orchestrator import Attachment, Conversation, Turn
    from tests.api.conftest import PHOTOS

    def value(name, **labels):
        return metrics.REGISTRY.get_sample_value(name, labels) or 0.0

    reports, errors = value("ham10k_reports_total", source="standard"), value("ham10k_llm_errors_total", kind="unreachable")
    turn = Turn(attachments=[Attachment(name="a.jpg", data=PHOTOS[0].read_bytes())])
    events = [e async for e in Conversation(services).handle(turn)]
    assert any(e.kind == "result_card" for e in events)
    assert value("ham10k_reports_total", source="standard") == reports + 1
    assert value("ham10k_llm_errors_total", kind="unreachable") == errors + 1
