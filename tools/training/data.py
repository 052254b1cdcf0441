"""The labelled pool: reading labels.csv, the saved stratified split, preloading and augmentation."""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision.transforms import v2

from tools.catalogue import catalogue

# train takes gradient steps; calibration fits temperature, thresholds and the OOD gate;
# holdout is only ever measured.
SPLIT_FRACTIONS = {"train": 0.75, "calibration": 0.125, "holdout": 0.125}


def read_labels(labels_csv: Path) -> list[dict[str, str]]:
    """Rows with at least `file` (relative to the CSV's folder) and `dx`; adds `path` and `image_id`."""
    known = set(catalogue().dx_codes)
    rows = []
    with open(labels_csv, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["dx"] not in known:
                raise ValueError(f"{labels_csv}: unknown dx '{row['dx']}' for {row['file']}")
            row["path"] = str(labels_csv.parent / row["file"])  # an absolute file stays absolute
            row.setdefault("image_id", Path(row["file"]).stem)
            rows.append(row)
    return rows


def make_split(rows: list[dict[str, str]], seed: int = 0) -> dict[str, str]:
    """Stratified by dx; the pool has one image per lesion, so this is also a split by lesion."""
    by_dx: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_dx[row["dx"]].append(row["image_id"])
    rng = random.Random(seed)
    split = {}
    for dx in sorted(by_dx):
        ids = sorted(by_dx[dx])
        rng.shuffle(ids)
        n_cal = round(len(ids) * SPLIT_FRACTIONS["calibration"])
        n_hold = round(len(ids) * SPLIT_FRACTIONS["holdout"])
        for i, image_id in enumerate(ids):
            split[image_id] = "calibration" if i < n_cal else "holdout" if i < n_cal + n_hold else "train"
    return split


def load_or_make_split(rows: list[dict[str, str]], split_csv: Path, seed: int = 0) -> dict[str, str]:
    if split_csv.exists():
        with open(split_csv, newline="", encoding="utf-8") as fh:
            return {r["image_id"]: r["split"] for r in csv.DictReader(fh)}
    split = make_split(rows, seed)
    split_csv.parent.mkdir(parents=True, exist_ok=True)
    with open(split_csv, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["image_id", "dx", "split"])
        for row in sorted(rows, key=lambda r: r["image_id"]):
            writer.writerow([row["image_id"], row["dx"], split[row["image_id"]]])
    return split


def preload(rows: list[dict[str, str]], size: int = 224) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 NCHW images (squashed to size x size, as the data and the seed do) and class indices."""
    images = torch.empty((len(rows), 3, size, size), dtype=torch.uint8)
    for i, row in enumerate(rows):
        with Image.open(row["path"]) as img:
            img = img.convert("RGB")
            if img.size != (size, size):
                img = img.resize((size, size), Image.Resampling.BILINEAR)
            images[i] = torch.from_numpy(np.array(img)).permute(2, 0, 1)
    labels = torch.tensor([catalogue().by_dx(r["dx"]).index for r in rows])
    return images, labels


class RandomRot90(torch.nn.Module):
    """Dermoscopy has no up: any quarter turn is as likely as another."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.rot90(random.randrange(4), (-2, -1))


def augmentation(size: int, scale: tuple[float, float], jitter: float, rotate: float) -> v2.Compose:
    steps = [
        v2.RandomResizedCrop(size, scale=scale, ratio=(0.8, 1.25), antialias=True),
        v2.RandomHorizontalFlip(),
        v2.RandomVerticalFlip(),
        RandomRot90(),
    ]
    if rotate:
        steps.append(v2.RandomRotation(rotate))
    steps.append(v2.ColorJitter(brightness=jitter, contrast=jitter, saturation=jitter, hue=jitter / 10))
    return v2.Compose(steps)


def normalise(batch_uint8: torch.Tensor, mean, std) -> torch.Tensor:
    x = batch_uint8.float().div_(255)
    return (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


def assign_folds(rows: list[dict[str, str]], k: int, seed: int = 0) -> dict[str, int]:
    """Stratified k-fold over the given rows (the training split): image_id -> fold in [0, k)."""
    by_dx: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_dx[row["dx"]].append(row["image_id"])
    rng = random.Random(seed)
    folds, offset = {}, 0
    for dx in sorted(by_dx):
        ids = sorted(by_dx[dx])
        rng.shuffle(ids)
        for i, image_id in enumerate(ids):
            folds[image_id] = (offset + i) % k
        offset += len(ids)  # the next class starts where this one stopped: fold sizes stay within one image
    return folds
