"""The post-hoc choices a profile ships with, each made on the calibration split and held to the bootstrap
noise: the TTA views and member weights, the prior correction (one tau) and its temperature, and the urgent
flag's operating point. When two choices differ by less than the noise, the cheaper one is taken.

Pure functions over per-view logits (tools/evaluation/evaluate.py `infer`); `finalize` and `ham10k compare` call them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from tools.catalogue import catalogue
from tools.classifier import ensemble_probabilities, probabilities
from tools.manifest import PriorCorrection, View
from tools.preprocess import VIEWS

BOOTSTRAP_ROUNDS = 1000
TAU_GRID = [round(t, 2) for t in np.arange(0.0, 1.51, 0.1)]
WEIGHT_GRID = [0.3, 0.4, 0.5, 0.6, 0.7]  # member A's share in a pair
ALL_VIEWS: list[View] = list(VIEWS)


def nll(probs: torch.Tensor, y: torch.Tensor) -> float:
    return float(-probs.clamp_min(1e-12).log()[torch.arange(len(y)), y].mean())


def member_nll(logits: torch.Tensor, y: torch.Tensor, temperature: float) -> float:
    """NLL of a member's view-averaged, temperature-scaled probabilities (NVK logits)."""
    return nll(probabilities(logits, temperature), y)


def fit_temperature(logits: torch.Tensor, y: torch.Tensor) -> float:
    """The member temperature minimising the NLL of its view-averaged probabilities (a grid search)."""
    grid = torch.exp(torch.linspace(np.log(0.25), np.log(6.0), 400))
    return round(float(grid[int(np.argmin([member_nll(logits, y, float(t)) for t in grid]))]), 4)


def fit_ensemble_temperature(probs: torch.Tensor, y: torch.Tensor) -> float:
    """The temperature on the corrected ensemble's log-probabilities minimising the NLL (top class unchanged)."""
    grid = torch.exp(torch.linspace(np.log(0.5), np.log(3.0), 200))
    log_p = probs.clamp_min(1e-12).log()
    return round(float(grid[int(np.argmin([nll((log_p / t).softmax(-1), y) for t in grid]))]), 4)


def balanced_accuracy(pred: np.ndarray, y: np.ndarray, n_classes: int) -> float:
    recalls = [(pred[y == k] == k).mean() for k in range(n_classes) if (y == k).any()]
    return float(np.mean(recalls))


def resamples(y: np.ndarray, rounds: int = BOOTSTRAP_ROUNDS, seed: int = 0) -> np.ndarray:
    """Bootstrap index sets, stratified by class so every resample holds every class (8 df, 10 vasc)."""
    rng = np.random.default_rng(seed)
    by_class = [np.flatnonzero(y == k) for k in np.unique(y)]
    return np.stack([np.concatenate([rng.choice(ix, len(ix)) for ix in by_class]) for _ in range(rounds)])


def paired_difference(pred_a: np.ndarray, pred_b: np.ndarray, y: np.ndarray, idx: np.ndarray) -> tuple[float, float, float]:
    """Balanced accuracy of a minus that of b on the same resamples: (point, 2.5%, 97.5%)."""
    k = int(y.max()) + 1
    diffs = [balanced_accuracy(pred_a[i], y[i], k) - balanced_accuracy(pred_b[i], y[i], k) for i in idx]
    point = balanced_accuracy(pred_a, y, k) - balanced_accuracy(pred_b, y, k)
    return point, float(np.percentile(diffs, 2.5)), float(np.percentile(diffs, 97.5))


@dataclass
class Choice:
    views: list[View]
    weights: list[float]
    temperatures: list[float]
    tau: float
    probs: torch.Tensor = field(repr=False)
    balanced_accuracy: float = 0.0
    melanoma_recall: float = 0.0
    tau_curve: list[dict] = field(default_factory=list, repr=False)  # fit_tau's rows, kept for the report

    @property
    def cost(self) -> tuple[int, float]:
        """Fewer views first (each view is a forward pass); then weights nearer equal (nothing fitted)."""
        return len(self.views), round(float(np.ptp(self.weights)), 6)


def member_probabilities(logits: list[torch.Tensor], y: torch.Tensor, views: list[View]) -> tuple[torch.Tensor, list[float]]:
    """Per member: the chosen views' logits, a temperature refitted on them -> MNK probabilities."""
    idx = [ALL_VIEWS.index(v) for v in views]
    temps = [fit_temperature(lg[:, idx], y) for lg in logits]
    return torch.stack([probabilities(lg[:, idx], t) for lg, t in zip(logits, temps)]), temps


def balanced_nll(probs: torch.Tensor, y: torch.Tensor) -> float:
    """The NLL averaged within each class, then over classes: the proper score behind balanced accuracy."""
    per_image = -probs.clamp_min(1e-12).log()[torch.arange(len(y)), y]
    return float(np.mean([per_image[y == k].mean().item() for k in y.unique()]))


def fit_tau(member_probs: torch.Tensor, weights: list[float], y: torch.Tensor, priors: list[float],
            grid: list[float] = TAU_GRID) -> tuple[float, list[dict]]:
    """The tau minimising the balanced NLL on calibration, and the whole curve. Balanced accuracy alone moves
    in steps of one image of a rare class (8 df, 10 vasc), so its best tau jumps with the resample; the
    balanced NLL uses every probability and has one smooth minimum."""
    yn, k = y.numpy(), len(priors)
    mel = catalogue().by_dx("mel").index
    rows = []
    for tau in grid:
        _, probs = ensemble_probabilities(member_probs, weights, PriorCorrection(priors=priors, tau=tau))
        pred = probs.argmax(1).numpy()
        rows.append({"tau": tau, "balanced_nll": balanced_nll(probs, y), "balanced_accuracy": balanced_accuracy(pred, yn, k),
                     "melanoma_recall": float((pred[yn == mel] == mel).mean())})
    return min(rows, key=lambda r: r["balanced_nll"])["tau"], rows


def candidates(logits: list[torch.Tensor], y: torch.Tensor, priors: list[float],
               view_sets: list[list[View]], weight_grid: list[float] = WEIGHT_GRID) -> list[Choice]:
    """Every view set x member weighting, each with its temperatures and its fitted tau."""
    out = []
    weightings = [[w, 1 - w] for w in weight_grid] if len(logits) == 2 else [[1.0] * len(logits)]
    yn = y.numpy()
    mel = catalogue().by_dx("mel").index
    for views in view_sets:
        member_probs, temps = member_probabilities(logits, y, views)
        for weights in weightings:
            tau, curve = fit_tau(member_probs, weights, y, priors)
            _, probs = ensemble_probabilities(member_probs, weights, PriorCorrection(priors=priors, tau=tau))
            pred = probs.argmax(1).numpy()
            out.append(Choice(views=views, weights=weights, temperatures=temps, tau=tau, probs=probs,
                              balanced_accuracy=balanced_accuracy(pred, yn, len(priors)),
                              melanoma_recall=float((pred[yn == mel] == mel).mean()), tau_curve=curve))
    return out


def cheapest_within_noise(choices: list[Choice], y: torch.Tensor, idx: np.ndarray) -> tuple[Choice, list[dict]]:
    """The best choice on calibration balanced accuracy, unless a cheaper one is within its bootstrap noise
    (the paired 95% interval of best minus cheaper holds 0): then the cheapest such one."""
    yn = y.numpy()
    ranked = sorted(choices, key=lambda c: c.cost)
    best = max(ranked, key=lambda c: c.balanced_accuracy)  # the first (cheapest) of equals
    best_pred = best.probs.argmax(1).numpy()
    table = []
    for c in ranked:
        point, lo, hi = paired_difference(best_pred, c.probs.argmax(1).numpy(), yn, idx)
        table.append({"views": c.views, "weights": c.weights, "tau": c.tau, "temperatures": c.temperatures,
                      "balanced_accuracy": c.balanced_accuracy, "melanoma_recall": c.melanoma_recall,
                      "best_minus_this": [point, lo, hi], "within_noise": lo <= 0.0})
    chosen = next(c for c, row in zip(ranked, table) if row["within_noise"])
    return chosen, table


def choose(logits: list[torch.Tensor], y: torch.Tensor, priors: list[float], view_sets: list[list[View]],
           weight_grid: list[float] = WEIGHT_GRID) -> tuple[Choice, dict]:
    """Two steps, so a weighting never buys its way in on the noise of 25 comparisons: the views with equal
    member weights, then the weights for those views (equal weights are the cheaper choice: nothing fitted)."""
    idx = resamples(y.numpy())
    equal = [1.0 / len(logits)] * len(logits)
    by_views = candidates(logits, y, priors, view_sets, [equal[0]] if len(logits) == 2 else weight_grid)
    chosen, view_table = cheapest_within_noise(by_views, y, idx)
    by_weights = candidates(logits, y, priors, [chosen.views], weight_grid)
    chosen, weight_table = cheapest_within_noise(by_weights, y, idx)
    return chosen, {"views": view_table, "weights": weight_table}


def training_priors(labels: list[int], n_classes: int) -> list[float]:
    counts = np.bincount(labels, minlength=n_classes).astype(float)
    return [round(float(c), 6) for c in counts / counts.sum()]
