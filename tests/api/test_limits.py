"""API keys (401), the per-client token bucket (429 + Retry-After) and the classifier queue (503 +
Retry-After), on /api/* and the seed's routes; the ops routes stay open."""

from __future__ import annotations

import asyncio

import pytest

from assistant.edges.api.errors import ApiError
from assistant.edges.api.limits import ClassifierQueue, RateLimiter
from tests.api.conftest import photo_file


def test_api_keys(make_client):
    c = make_client(api_keys=["k-one", "k-two"])
    for path in ("/api/v1/predict", "/predict", "/interpret", "/analyze", "/api/v1/conversations"):
        r = c.post(path)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized", path
        assert c.post(path, headers={"X-API-Key": "wrong"}).status_code == 401
        assert c.post(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
    good = c.post("/api/v1/predict", files=photo_file(), data={"tta": "false"}, headers={"X-API-Key": "k-two"})
    assert good.status_code == 200
    bearer = c.post("/api/v1/conversations", json={"text": "hello"}, headers={"Authorization": "Bearer k-one"})
    assert bearer.status_code == 200
    for path in ("/health", "/ready", "/metrics"):
        assert c.get(path).status_code == 200, path


def test_keys_off_when_unset(client):
    assert client.post("/api/v1/conversations", json={"text": "hello"}).status_code == 200


def test_rate_limit_429(make_client):
    c = make_client(api_rate_limit=3)
    codes = [c.post("/api/v1/conversations", json={"text": "hi"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = c.post("/interpret", json={})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert r.json()["error"]["code"] == "rate_limited"
    assert c.get("/health").status_code == 200  # ops routes are not limited


def test_rate_limit_is_per_key(make_client):
    c = make_client(api_keys=["a", "b"], api_rate_limit=1)
    assert c.post("/api/v1/conversations", json={"text": "hi"}, headers={"X-API-Key": "a"}).status_code == 200
    assert c.post("/api/v1/conversations", json={"text": "hi"}, headers={"X-API-Key": "a"}).status_code == 429
    assert c.post("/api/v1/conversations", json={"text": "hi"}, headers={"X-API-Key": "b"}).status_code == 200


def test_token_bucket_refills():
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    for _ in range(60):
        limiter.take("c", 60)
    with pytest.raises(ApiError) as e:
        limiter.take("c", 60)
    assert e.value.status == 429 and e.value.headers["Retry-After"] == "1"
    now[0] += 1.0
    limiter.take("c", 60)  # one token back after a second
    limiter.take("other", 60)
    limiter.take("c", 0)  # 0: off


def test_queue_full_is_503(make_client):
    c = make_client(api_queue_limit=0)
    queue = c.app.state.api.queue
    queue.pending = 1  # one classification running, none may wait
    try:
        for path, kw in (("/api/v1/predict", {}), ("/predict", {}), ("/analyze", {}),
                         ("/api/v1/conversations", {"headers": {"Accept": "text/event-stream"}})):
            r = c.post(path, files=photo_file(), **kw)
            assert r.status_code == 503 and r.json()["error"]["code"] == "queue_full", path
            assert r.headers["Retry-After"] == "5"
        # text needs no classifier: never refused
        assert c.post("/api/v1/conversations", json={"text": "hi"}).status_code == 200
    finally:
        queue.pending = 0
    assert c.post("/api/v1/predict", files=photo_file(), data={"tta": "false"}).status_code == 200


@pytest.mark.asyncio
async def test_queue_counts_and_releases():
    queue = ClassifierQueue()
    async with queue.slot(1):
        async with queue.slot(1):
            assert queue.pending == 2
            with pytest.raises(ApiError):
                async with queue.slot(1):
                    pass
    assert queue.pending == 0
    with pytest.raises(RuntimeError):
        async with queue.slot(1):
            raise RuntimeError
    assert queue.pending == 0
    await asyncio.sleep(0)
