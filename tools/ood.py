"""Out-of-distribution gate: is this a dermatoscopic lesion photo at all?

Per-channel mean and standard deviation of a member's intermediate feature maps (colour, texture,
structure at several depths), one Gaussian per depth fitted on the training images, each distance
scaled by its calibration-split quantile, and the largest of them compared with a threshold set on
the calibration split. Final pooled features alone do not work: the fine-tuned head maps flat colours
and documents close to lesions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from tools.result import OODVerdict
from tools.text import msg, render

REFUSAL = msg("ood.not_a_lesion")


def channel_stats(feature_maps: list[torch.Tensor]) -> torch.Tensor:
    """NCHW maps -> N x sum(2C): per-channel mean and standard deviation of every map, concatenated."""
    return torch.cat([torch.cat([f.mean((2, 3)), f.std((2, 3))], 1) for f in feature_maps], 1).float()


@dataclass
class Gaussian:
    mean: torch.Tensor
    precision: torch.Tensor
    scale: float = 1.0

    @classmethod
    def fit(cls, x: torch.Tensor, shrinkage: float) -> Gaussian:
        x = x.double()
        mean = x.mean(0)
        cov = torch.cov((x - mean).T)
        # Shrink toward the diagonal: the wider layers have about as many dimensions as images.
        cov = (1 - shrinkage) * cov + shrinkage * torch.diag(torch.diag(cov))
        return cls(mean.float(), torch.linalg.pinv(cov).float())

    def distance(self, x: torch.Tensor) -> torch.Tensor:
        d = x.float() - self.mean
        return ((d @ self.precision) * d).sum(-1).clamp(min=0).sqrt() / self.scale


class OODGate:
    def __init__(self, parts: list[Gaussian], threshold: float):
        self.parts, self.threshold = parts, threshold

    @classmethod
    def fit(cls, train: torch.Tensor, calibration: torch.Tensor, dims: list[int], quantile: float = 0.99,
            shrinkage: float = 0.2) -> OODGate:
        parts = []
        for x_train, x_cal in zip(train.split(dims, 1), calibration.split(dims, 1)):
            part = Gaussian.fit(x_train, shrinkage)
            part.scale = float(torch.quantile(part.distance(x_cal), quantile))
            parts.append(part)
        gate = cls(parts, threshold=1.0)
        gate.threshold = float(torch.quantile(gate.scores(calibration), quantile))
        return gate

    def scores(self, features: torch.Tensor) -> torch.Tensor:
        dims = [len(p.mean) for p in self.parts]
        return torch.stack([p.distance(x) for p, x in zip(self.parts, features.split(dims, -1))]).amax(0)

    def verdict(self, features: torch.Tensor) -> OODVerdict:
        score = float(self.scores(features[None])[0])
        ok = score <= self.threshold
        return OODVerdict(checked=True, is_lesion=ok, score=round(score, 3), threshold=round(self.threshold, 3),
                          reason="" if ok else render(REFUSAL), refusal=None if ok else REFUSAL)

    def save(self, path: Path) -> None:
        tensors = {}
        for i, p in enumerate(self.parts):
            tensors |= {f"{i}.mean": p.mean.contiguous(), f"{i}.precision": p.precision.contiguous(),
                        f"{i}.scale": torch.tensor([p.scale])}
        save_file(tensors, str(path))

    @classmethod
    def load(cls, path: Path, threshold: float) -> OODGate:
        t = load_file(str(path))
        n = len({k.split(".")[0] for k in t})
        return cls([Gaussian(t[f"{i}.mean"], t[f"{i}.precision"], float(t[f"{i}.scale"])) for i in range(n)], threshold)
