"""The post-hoc choices on synthetic calibration data whose answer is known: the noise rule prefers the
cheaper choice only within the noise, tau undoes a known prior bias, and the operating-point curve."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tools.catalogue import catalogue
from tools.evaluation.evaluate import curve_table, operating_points
from tools.training.choose import (Choice, balanced_accuracy, balanced_nll, cheapest_within_noise, fit_tau, resamples,
                                   training_priors)
from tools.training.finalize import choose_triage

K = 7
COUNTS = [25, 35, 75, 8, 540, 60, 10]  # the calibration split's shape: one class dominates, two are tiny


def labels() -> torch.Tensor:
    return torch.cat([torch.full((n,), k) for k, n in enumerate(COUNTS)])


def predictions(y: torch.Tensor, accuracy: float, seed: int) -> torch.Tensor:
    """One-hot-ish probabilities right on `accuracy` of the images (each class alike), wrong on the rest."""
    rng = np.random.default_rng(seed)
    probs = torch.full((len(y), K), 0.02)
    for i, label in enumerate(y.tolist()):
        guess = label if rng.random() < accuracy else (label + 1 + rng.integers(K - 1)) % K
        probs[i, guess] = 0.88
    return probs / probs.sum(1, keepdim=True)


def choice(probs: torch.Tensor, n_views: int, y: torch.Tensor) -> Choice:
    return Choice(views=["identity"] * n_views, weights=[0.5, 0.5], temperatures=[1.0, 1.0], tau=0.0, probs=probs,
                  balanced_accuracy=balanced_accuracy(probs.argmax(1).numpy(), y.numpy(), K))


def test_the_cheaper_choice_wins_within_the_noise_and_loses_beyond_it():
    y = labels()
    idx = resamples(y.numpy(), 300)
    good, nearly, poor = predictions(y, 0.80, 0), predictions(y, 0.79, 1), predictions(y, 0.55, 2)
    chosen, table = cheapest_within_noise([choice(good, 4, y), choice(nearly, 1, y)], y, idx)
    assert len(chosen.views) == 1  # about a point below the best, far inside the noise: the cheaper one
    chosen, table = cheapest_within_noise([choice(good, 4, y), choice(poor, 1, y)], y, idx)
    assert len(chosen.views) == 4 and not table[0]["within_noise"]  # 25 points worse: the dearer one


def test_every_resample_holds_every_class():
    y = labels().numpy()
    for idx in resamples(y, 50):
        assert set(np.unique(y[idx])) == set(range(K)) and len(idx) == len(y)


def test_tau_undoes_a_known_prior_bias():
    """The same predictions, then leaning toward the common classes by prior ** 0.6: tau rises by about 0.6."""
    y = labels()
    priors = training_priors(y.tolist(), K)
    assert sum(priors) == pytest.approx(1.0, abs=1e-5)
    honest = predictions(y, 0.7, 3)
    biased = (honest.log() + 0.6 * torch.tensor(priors).log()).softmax(-1)
    tau, curve = fit_tau(biased[None], [1.0], y, priors)
    assert min(r["balanced_nll"] for r in curve) == pytest.approx(next(r for r in curve if r["tau"] == tau)["balanced_nll"])
    tau_honest, _ = fit_tau(honest[None], [1.0], y, priors)
    assert 0.5 <= tau - tau_honest <= 0.7
    assert balanced_nll(honest, y) < balanced_nll(biased, y)


def test_the_operating_point_is_the_largest_threshold_that_keeps_the_target():
    cat = catalogue()
    mel = cat.by_dx("mel").index
    y = labels()
    rng = np.random.default_rng(4)
    probs = torch.softmax(torch.tensor(rng.normal(size=(len(y), K)), dtype=torch.float32), -1)
    probs[y == mel, mel] += torch.tensor(rng.uniform(0, 0.5, int((y == mel).sum())), dtype=torch.float32)
    probs = probs / probs.sum(1, keepdim=True)
    points = operating_points(probs.numpy(), y.numpy())
    caught = [p["melanoma_flagged_urgent"] for p in points]
    flagged = [p["benign_flagged_urgent"] for p in points]
    assert caught == sorted(caught, reverse=True) and flagged == sorted(flagged, reverse=True)  # a curve
    policy, info = choose_triage(probs.numpy(), y.numpy(), 0.92, 0.90)
    at = {p["threshold"]: p for p in points}
    assert at[policy.melanoma_escalation]["melanoma_flagged_urgent"] >= 0.92
    above = round(policy.melanoma_escalation + 0.01, 2)
    assert above not in at or at[above]["melanoma_flagged_urgent"] < 0.92  # the next threshold up misses it
    lines = curve_table(points, policy.melanoma_escalation)
    assert sum("<- this profile" in line for line in lines) == 1
