"""Out-of-distribution gate: is this a dermatoscopic lesion photo at all?

A Mahalanobis distance of a member's pooled features from the training images' feature
distribution; the threshold is set on the calibration split so few real lesion photos are refused."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from tools.result import OODVerdict


class OODGate:
    def __init__(self, mean: torch.Tensor, precision: torch.Tensor, threshold: float):
        self.mean, self.precision, self.threshold = mean, precision, threshold

    @classmethod
    def fit(cls, features: torch.Tensor, shrinkage: float = 0.05) -> OODGate:
        feats = features.double()
        mean = feats.mean(0)
        cov = torch.cov((feats - mean).T)
        # Shrink toward the diagonal: there are about as many dimensions as images.
        cov = (1 - shrinkage) * cov + shrinkage * torch.diag(torch.diag(cov))
        return cls(mean.float(), torch.linalg.pinv(cov).float(), threshold=float("inf"))

    def scores(self, features: torch.Tensor) -> torch.Tensor:
        d = features.float() - self.mean
        return ((d @ self.precision) * d).sum(-1).clamp(min=0).sqrt()

    def verdict(self, features: torch.Tensor) -> OODVerdict:
        score = float(self.scores(features[None])[0])
        ok = score <= self.threshold
        reason = "" if ok else (
            "This picture does not look like a close-up (dermatoscopic) photo of a skin spot, "
            "so the lesion classifier cannot give a meaningful answer for it."
        )
        return OODVerdict(checked=True, is_lesion=ok, score=round(score, 3), threshold=round(self.threshold, 3), reason=reason)

    def save(self, path: Path) -> None:
        save_file({"mean": self.mean.contiguous(), "precision": self.precision.contiguous()}, str(path))

    @classmethod
    def load(cls, path: Path, threshold: float) -> OODGate:
        t = load_file(str(path))
        return cls(t["mean"].float(), t["precision"].float(), threshold)
