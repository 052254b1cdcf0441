"""Every error the API words itself, with its exact English text: the words moved into the catalogue
(api.*), the sentences integrators see did not change."""

from __future__ import annotations

import dataclasses
import io

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from assistant.edges.api import mount
from assistant.edges.api.conversations import ConversationStore
from assistant.edges.api.errors import ApiError
from assistant.edges.api.limits import ClassifierQueue, RateLimiter
from tests.api.conftest import photo_file
from tools.text import msg


def error(response, status: int) -> tuple[str, str]:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    return body["code"], body["message"]


def png(colour: tuple[int, int, int] = (255, 255, 255)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_image_routes(client: TestClient, make_client) -> None:
    assert error(client.post("/api/v1/predict"), 422) == (
        "missing_file", "Send the image as the multipart field `file`.")
    assert error(client.post("/api/v1/predict", files=photo_file(), data={"tta": "maybe"}), 422) == (
        "bad_flag", "Expected true or false, got 'maybe'.")
    pdf = {"file": ("a.pdf", b"%PDF-1.7\n", "application/pdf")}
    assert error(client.post("/api/v1/predict", files=pdf), 422) == (
        "unsupported_format", "This file looks like a PDF document. Please attach a photo in JPEG, PNG, WebP or "
        "HEIC/HEIF format.")
    small = make_client(max_image_bytes=2 * 1024 * 1024)
    big = {"file": ("big.jpg", b"\xff\xd8\xff" + bytes(3 * 1024 * 1024), "image/jpeg")}
    assert error(small.post("/api/v1/predict", files=big), 413) == (
        "too_large", "The file is larger than the 2 MB limit.")
    page = {"file": ("page.png", png(), "image/png")}
    code, message = error(client.post("/predict", files=page), 422)
    assert code == "not_a_lesion" and message.startswith("This picture does not look like a close-up (dermatoscopic)")


def test_interpret(client: TestClient) -> None:
    assert error(client.post("/api/v1/interpret", json={"nope": 1}), 422) == (
        "bad_result", "Send a predict result as JSON (ValidationError).")
    result = client.post("/api/v1/predict", files=photo_file()).json()
    refused = result | {"status": "not_a_lesion", "ood": result["ood"] | {"reason": ""}}
    assert error(client.post("/api/v1/interpret", json=refused), 422) == (
        "not_a_lesion", "The image was not a skin spot.")
    assert error(client.post("/interpret", content=b"{", headers={"content-type": "application/json"}), 422) == (
        "bad_json", "Send the /predict JSON as the body.")


def test_conversations(client: TestClient) -> None:
    assert error(client.post("/api/v1/conversations/nope/messages", json={"text": "hi"}), 404) == (
        "not_found", "No such conversation (it may have expired).")
    headers = {"content-type": "application/json"}
    assert error(client.post("/api/v1/conversations", content=b"{", headers=headers), 422) == (
        "bad_json", "The body is not valid JSON.")
    assert error(client.post("/api/v1/conversations", json=[1]), 422) == ("bad_json", 'Send {"text": "..."}.')
    key = client.post("/api/v1/conversations", json={}).json()["id"]
    assert error(client.post(f"/api/v1/conversations/{key}/messages", json={"text": ""}), 422) == (
        "empty", "Send text or an image.")


def test_services_missing(services) -> None:
    app = FastAPI()
    mount(app, lambda: None)
    assert error(TestClient(app).post("/api/v1/predict"), 503) == ("not_ready", "The models are still loading.")
    for reason, said in ((None, "Classifier unavailable."), ("weights not found", "weights not found")):
        broken = dataclasses.replace(services, classifier=None, classifier_error=reason)
        app = FastAPI()
        mount(app, lambda broken=broken: broken)
        assert error(TestClient(app).post("/api/v1/predict"), 503) == ("classifier_unavailable", said)


def test_keys(make_client) -> None:
    keyed = make_client(api_keys=["k1"])
    assert error(keyed.post("/api/v1/predict"), 401) == (
        "unauthorized", "Send an API key in X-API-Key or Authorization: Bearer.")
    assert error(keyed.post("/api/v1/predict", headers={"x-api-key": "k2"}), 401) == (
        "unauthorized", "The API key is not valid.")


def test_limits_and_store() -> None:
    limiter = RateLimiter(clock=lambda: 0.0)
    limiter.take("c", 1)
    with pytest.raises(ApiError) as err:
        limiter.take("c", 1)
    assert (err.value.code, err.value.message) == ("rate_limited", "Too many requests; try again in 60 s.")
    queue = ClassifierQueue()
    queue.pending = 2
    with pytest.raises(ApiError) as err:
        queue.check(1)
    assert (err.value.code, err.value.message) == ("queue_full", "The classifier is busy; try again shortly.")
    with pytest.raises(ApiError) as err:
        ConversationStore(capacity=0).add(object())
    assert (err.value.code, err.value.message) == ("busy", "Too many open conversations; try again later.")


def test_the_message_is_the_catalogues_or_passed_on_as_it_is() -> None:
    worded = ApiError(404, "not_found", msg("api.not_found"))
    assert worded.message == str(worded) == "No such conversation (it may have expired)."
    assert ApiError(400, "bad_request", "body: Field required").message == "body: Field required"
