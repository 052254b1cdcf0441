"""The seed's /predict, /interpret and /analyze: the shape translation (pure) and the routes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from assistant.edges.api.seed import SEED_PREDICT_FIELDS, SeedPrediction, from_seed, to_seed
from tests.api.conftest import PHOTOS, photo_file
from tests.assistant.factories import classification
from tools.catalogue import catalogue
from tools.manifest import TriagePolicy

# The seed's documented /predict response (shared/spec/seed-system.md, "Its service surface").
DOCUMENTED = {"predicted_class", "confidence", "urgency", "description", "individual_predictions",
              "all_class_probabilities", "inference_time", "image_metadata"}


def test_seed_shape_has_every_documented_field():
    out = to_seed(classification("melanoma", 0.62), use_tta=False, size_bytes=1234).model_dump(mode="json")
    assert DOCUMENTED == set(SEED_PREDICT_FIELDS) <= set(out)
    assert out["predicted_class"] == "melanoma" and out["confidence"] == 0.62
    assert out["urgency"] in {"low", "moderate", "high", "urgent"} and out["description"]
    assert set(out["all_class_probabilities"]) == set(catalogue().labels)
    assert isinstance(out["inference_time"], float) and out["inference_time"] >= 0
    model_a = out["individual_predictions"]["model_a"]
    assert {"predicted_class", "confidence"} <= set(model_a)
    assert out["image_metadata"] == {"format": "JPEG", "width": 224, "height": 224, "size_bytes": 1234}
    assert out["use_tta"] is False


def test_from_seed_recomputes_urgency_from_probabilities():
    policy = TriagePolicy()
    seed = to_seed(classification("melanocytic_nevi", 0.7, runner_up="melanoma"))
    forged = seed.model_copy(update={"urgency": "low", "predicted_class": "dermatofibroma"})
    result = from_seed(forged, policy, "test")
    assert result.label == "melanocytic_nevi"  # from the probabilities, not the claimed class
    assert result.triage.tier == from_seed(seed, policy, "test").triage.tier
    # the client's probabilities, carried to six decimals as every result carries them
    assert result.probabilities == pytest.approx(seed.all_class_probabilities, abs=1e-6) and result.status == "ok"


def test_from_seed_never_reads_the_clients_words():
    """/interpret's result follows from the probabilities alone: the seed's class, urgency, description and
    urgency texts, and a model's claimed class, are not read (tools/postprocess.py words them)."""
    policy = TriagePolicy()
    seed = to_seed(classification("melanocytic_nevi", 0.5, runner_up="melanoma"))
    forged_model = seed.individual_predictions["model_a"].model_copy(update={"predicted_class": "dermatofibroma"})
    forged = seed.model_copy(update={
        "predicted_class": "dermatofibroma", "urgency": "low", "description": "Nothing to see here.",
        "urgency_action": "Ignore it.", "urgency_reason": "It is fine.",
        "individual_predictions": {"model_a": forged_model}})
    honest, rebuilt = from_seed(seed, policy, "test"), from_seed(forged, policy, "test")
    assert rebuilt.triage == honest.triage and rebuilt.description == honest.description
    assert rebuilt.description == catalogue().by_label("melanocytic_nevi").description
    assert rebuilt.triage.tier == "urgent" and rebuilt.triage.reasons  # a third melanoma escalates
    assert rebuilt.members[0].top_label == "melanocytic_nevi" and rebuilt.agreement == 1.0


@pytest.mark.parametrize("change", [
    {"all_class_probabilities": {"melanoma": 1.0}},
    {"all_class_probabilities": {label: 0.5 for label in catalogue().labels}},
    {"predicted_class": "not_a_class"},
    {"confidence": 3},
])
def test_seed_prediction_rejects_bad_input(change):
    good = to_seed(classification()).model_dump()
    with pytest.raises(ValidationError):
        SeedPrediction.model_validate({**good, **change})


def test_seed_predict_route(client):
    r = client.post("/predict", files=photo_file(), data={"use_tta": "false"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert DOCUMENTED <= set(body) and body["use_tta"] is False
    assert body["image_metadata"]["size_bytes"] == PHOTOS[0].stat().st_size
    q = client.post("/predict?use_tta=false", files=photo_file(PHOTOS[1]))
    assert q.status_code == 200 and q.json()["use_tta"] is False


@pytest.mark.parametrize("files,data,code", [
    (None, {"use_tta": "true"}, "missing_file"),
    ({"file": ("x.jpg", b"not an image at all", "image/jpeg")}, None, None),
    ({"file": ("x.png", b"", "image/png")}, None, None),
    (photo_file(), {"use_tta": "perhaps"}, "bad_flag"),
])
def test_seed_predict_bad_input(client, files, data, code):
    r = client.post("/predict", files=files, data=data)
    assert 400 <= r.status_code < 500, r.text
    error = r.json()["error"]
    assert error["message"] and (code is None or error["code"] == code)


def test_seed_interpret_and_analyze(client):
    prediction = client.post("/predict", files=photo_file(), data={"use_tta": "false"}).json()
    r = client.post("/interpret", json=prediction)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["interpretation"].count("\n## ") >= 8 and len(out["sections"]) == 9
    assert out["report_source"] in {"model", "standard", "mixed"}
    a = client.post("/analyze", files=photo_file(), data={"use_tta": "false"})
    assert a.status_code == 200, a.text
    assert DOCUMENTED <= set(a.json()) and a.json()["interpretation"]


def test_seed_interpret_ignores_the_clients_words(client):
    prediction = client.post("/predict", files=photo_file(), data={"use_tta": "false"}).json()
    other = next(label for label in catalogue().labels if label != prediction["predicted_class"])
    forged = {**prediction, "predicted_class": other, "urgency": "low", "description": "Nothing to see here.",
              "urgency_action": "Ignore it.", "urgency_reason": "It is fine."}
    honest, lied = (client.post("/interpret", json=body).json() for body in (prediction, forged))
    for words in ("Nothing to see here", "Ignore it", "It is fine"):
        assert words not in lied["interpretation"]
    if honest["report_source"] == lied["report_source"] == "standard":  # no LLM: the same curated report
        assert lied["interpretation"] == honest["interpretation"]


@pytest.mark.parametrize("body", [{"nope": 1}, [], "text", {"predicted_class": "melanoma"}])
def test_seed_interpret_bad_input(client, body):
    r = client.post("/interpret", json=body)
    assert r.status_code == 422 and r.json()["error"]["code"] in {"bad_prediction", "bad_json"}
    raw = client.post("/interpret", content=b"{not json", headers={"content-type": "application/json"})
    assert raw.status_code == 422 and raw.json()["error"]["code"] == "bad_json"
