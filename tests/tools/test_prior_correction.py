"""The prior correction: its arithmetic, a profile without it (v1) exactly as before, and a profile with it
(v1.1) corrected on every path a result leaves by: the chat's tool, the REST API, the seed routes, the CLI."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path

import pytest
import torch
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.edges.api import mount
from assistant.conversation.orchestrator import Services
from assistant.core.runtime import intake_limits
from assistant.core.settings import PROJECT_ROOT, get_settings
from tests.tools.conftest import run_cli
from tools.catalogue import catalogue
from tools.classifier import Ensemble, combine, correct_priors, ensemble_probabilities
from tools.intake import load_image_file
from tools.lesion_tool import make_lesion_tool
from tools.manifest import PriorCorrection, read_manifest, resolve_profile
from tools.preprocess import prepare

WEIGHTS = PROJECT_ROOT / "weights"
PHOTO = Path(__file__).resolve().parents[1] / "assets" / "ISIC_0025450.jpg"  # a holdout melanoma the classes call a mole
PRIORS = [0.03, 0.04, 0.10, 0.01, 0.72, 0.08, 0.02]


def test_tau_zero_changes_nothing_and_a_positive_tau_leans_toward_the_rarer_classes():
    probs = torch.tensor([[0.05, 0.05, 0.10, 0.02, 0.60, 0.15, 0.03]])
    assert torch.allclose(correct_priors(probs, PriorCorrection(priors=PRIORS, tau=0.0)), probs)
    assert torch.equal(correct_priors(probs, None), probs)
    corrected = correct_priors(probs, PriorCorrection(priors=PRIORS, tau=0.5))
    assert corrected.sum().item() == pytest.approx(1.0)
    nv, df = catalogue().by_dx("nv").index, catalogue().by_dx("df").index
    assert corrected[0, nv] < probs[0, nv] and corrected[0, df] > probs[0, df]
    # log p - tau log prior, renormalised: the ratio of two classes moves by their priors' ratio ** tau
    ratio = (corrected[0, df] / corrected[0, nv]) / (probs[0, df] / probs[0, nv])
    assert ratio.item() == pytest.approx((PRIORS[nv] / PRIORS[df]) ** 0.5, rel=1e-4)


def test_the_ensembles_temperature_reshapes_confidence_but_never_the_top_class():
    member_probs = torch.softmax(torch.randn(2, 50, 7), -1)
    plain = PriorCorrection(priors=PRIORS, tau=0.4)
    _, a = ensemble_probabilities(member_probs, [0.5, 0.5], plain)
    _, b = ensemble_probabilities(member_probs, [0.5, 0.5], plain.model_copy(update={"temperature": 0.7}))
    assert torch.equal(a.argmax(1), b.argmax(1))
    assert (b.max(1).values >= a.max(1).values - 1e-6).all()  # a temperature below 1 sharpens
    shown, _ = ensemble_probabilities(member_probs, [0.5, 0.5], plain)
    assert torch.allclose(shown, correct_priors(member_probs, plain))  # members are shown corrected too


@pytest.mark.parametrize("priors,tau", [([0.5] * 6, 0.3), ([0.0] + PRIORS[1:], 0.3), (PRIORS, -0.1)])
def test_a_bad_correction_is_refused_when_the_manifest_is_read(priors, tau):
    with pytest.raises(ValueError):
        PriorCorrection(priors=priors, tau=tau)


def test_a_profile_without_the_correction_loads_and_classifies_exactly_as_before():
    """v1 declares no prior_correction: its result is the members' calibrated probabilities combined, nothing more."""
    raw = json.loads((WEIGHTS / "manifest.json").read_text())
    assert "prior_correction" not in raw["profiles"]["ham10k-lite-v1"]
    profile = read_manifest(WEIGHTS).profiles["ham10k-lite-v1"]
    assert profile.prior_correction is None
    ensemble = Ensemble.load(resolve_profile(WEIGHTS, "ham10k-lite-v1"), "cpu", "fp32", backend="torch")
    image = load_image_file(PHOTO)
    result = ensemble.classify(image)
    member_probs = torch.stack([m.probabilities(m.logits(prepare(image.image, m.spec, True)[None])[0])[0]
                                for m in ensemble.members])
    expected = combine(member_probs[:, None], [m.spec.weight for m in ensemble.members])[0]
    assert list(result.probabilities.values()) == pytest.approx(expected.tolist(), abs=1e-6)


@pytest.fixture(scope="module")
def corrected() -> Ensemble:
    return Ensemble.load(resolve_profile(WEIGHTS, "ham10k-lite-v1.1"), "cpu", "fp32")


@pytest.fixture(scope="module")
def expected(corrected) -> dict[str, float]:
    """The v1.1 result for PHOTO worked out by hand from its members' calibrated probabilities."""
    image = load_image_file(PHOTO)
    member_probs = torch.stack([m.probabilities(m.logits(prepare(image.image, m.spec, True)[None])[0])[0]
                                for m in corrected.members])
    correction = corrected.profile.prior_correction
    assert correction is not None and correction.tau > 0
    probs = combine(correct_priors(member_probs, correction)[:, None], [m.spec.weight for m in corrected.members])[0]
    probs = (probs.log() / correction.temperature).softmax(-1)
    uncorrected = combine(member_probs[:, None], [m.spec.weight for m in corrected.members])[0]
    assert (probs - uncorrected).abs().max() > 0.01  # the correction shows on this photo
    return dict(zip(catalogue().labels, probs.tolist()))


def close(probabilities: dict[str, float], expected: dict[str, float]) -> bool:
    return all(abs(probabilities[k] - v) < 1e-4 for k, v in expected.items())


def test_the_chats_tool_gives_the_corrected_result(corrected, expected):
    tool = make_lesion_tool(corrected, intake_limits())
    result = asyncio.run(tool.coroutine(image=PHOTO.read_bytes()))
    assert result.profile == "ham10k-lite-v1.1" and close(result.probabilities, expected)
    assert result.triage.tier == "urgent"  # melanoma above the profile's threshold (0.17)


def test_the_rest_api_and_the_seed_routes_give_the_corrected_result(corrected, expected):
    services = Services(get_settings(), make_lesion_tool(corrected, intake_limits()), llm=None)  # type: ignore[arg-type]
    app = FastAPI()
    app.state.api = mount(app, lambda: dataclasses.replace(services))
    client = TestClient(app)
    files = {"file": (PHOTO.name, PHOTO.read_bytes(), "image/jpeg")}
    ours = client.post("/api/v1/predict", files=files)
    assert ours.status_code == 200, ours.text
    assert close(ours.json()["probabilities"], expected)
    seed = client.post("/predict", files=files)
    assert seed.status_code == 200, seed.text
    assert close(seed.json()["all_class_probabilities"], expected)
    analysed = client.post("/analyze", files=files)
    assert analysed.status_code == 200, analysed.text


def test_the_cli_gives_the_corrected_result(expected, tmp_path):
    proc = run_cli("classify", str(PHOTO), "--json", env={"PROFILE": "ham10k-lite-v1.1", "DEVICE": "cpu"}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    result = out[0] if isinstance(out, list) else out
    result = result.get("result", result)
    assert result["profile"] == "ham10k-lite-v1.1" and close(result["probabilities"], expected)
