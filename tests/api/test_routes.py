"""The integrator API on a bare FastAPI app with the shipped weights (loaded once, tests/api/conftest.py)."""

from __future__ import annotations

from tests.api.conftest import PHOTOS

PHOTO = PHOTOS[0]


def test_health_and_ready(client):
    r = client.get("/health", headers={"X-Request-ID": "abc"})
    assert r.status_code == 200 and r.json()["models_loaded"] is True
    assert r.headers["X-Request-ID"] == "abc"
    assert client.get("/ready").status_code == 200


def test_predict_good_and_bad(client):
    r = client.post("/api/v1/predict", files={"file": (PHOTO.name, PHOTO.read_bytes(), "image/jpeg")},
                    data={"tta": "false"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["probabilities"]) == 7 and body["triage"]["tier"]
    bad = client.post("/api/v1/predict", files={"file": ("x.jpg", b"hello, not an image", "image/jpeg")})
    assert bad.status_code == 422 and bad.json()["error"]["code"]
    missing = client.post("/api/v1/predict", data={"tta": "true"})
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "missing_file"


def test_too_large_is_413(client):
    big = b"\xff\xd8" + b"0" * (11 * 1024 * 1024)
    r = client.post("/api/v1/predict", files={"file": ("big.jpg", big, "image/jpeg")})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"


def test_interpret_and_analyze(client):
    r = client.post("/api/v1/analyze", files={"file": (PHOTO.name, PHOTO.read_bytes(), "image/jpeg")})
    assert r.status_code == 200, r.text
    out = r.json()
    if out["report"] is not None:
        assert len(out["report"]["report"]["sections"]) == 9
        again = client.post("/api/v1/interpret", json=out["prediction"])
        assert again.status_code == 200 and again.json()["markdown"]
    assert client.post("/api/v1/interpret", json={"nope": 1}).status_code == 422


def test_interpret_words_the_result_from_its_probabilities(client):
    """The client's urgency, reasons and description are not read: the report follows from the numbers."""
    prediction = client.post("/api/v1/predict", files={"file": (PHOTO.name, PHOTO.read_bytes(), "image/jpeg")},
                             data={"tta": "false"}).json()
    lies = {"title": "No hurry", "action": "Ignore it.", "reason": "It is fine.", "tier": "low", "escalated": False}
    forged = prediction | {"description": "Nothing to see here.", "display_name": "Nothing",
                           "triage": prediction["triage"] | lies}
    honest, lied = (client.post("/api/v1/interpret", json=body) for body in (prediction, forged))
    assert honest.status_code == lied.status_code == 200, lied.text
    for words in ("Nothing to see here", "Ignore it", "It is fine", "No hurry"):
        assert words not in lied.json()["markdown"]
    if honest.json()["report"]["source"] == lied.json()["report"]["source"] == "standard":  # no LLM: curated
        assert lied.json()["markdown"] == honest.json()["markdown"]
    broken = prediction | {"probabilities": {**prediction["probabilities"], "melanoma": 7.0}}
    r = client.post("/api/v1/interpret", json=broken)
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_result"


def test_conversation_turns(client):
    r = client.post("/api/v1/conversations", files={"file": (PHOTO.name, PHOTO.read_bytes(), "image/jpeg")})
    assert r.status_code == 200, r.text
    key = r.json()["id"]
    assert any(e["type"] == "ToolFinished" for e in r.json()["events"])
    m = client.post(f"/api/v1/conversations/{key}/messages", json={"text": "What does image 1 show?"})
    assert m.status_code == 200 and m.json()["events"]
    assert client.post("/api/v1/conversations/nope/messages", json={"text": "hi"}).status_code == 404
    assert client.post(f"/api/v1/conversations/{key}/messages", json={"text": 3}).status_code == 422
