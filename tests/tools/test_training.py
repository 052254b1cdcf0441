"""`train_member` end to end on a tiny pool of real photos: it trains on the training split only, writes
the member and its history each epoch, and its options (EMA, mixing, warm start) do what they say."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from tools.catalogue import catalogue
from tools.training.recipes import Recipe
from tools.training.train import train_member

ASSETS = Path(__file__).resolve().parents[1] / "assets"
TINY = Recipe(name="T", variant=0, input_size=64, epochs=2, batch_size=4, sampling_power=1.0, loss_power=0.5,
              crop_scale=(0.7, 1.0), jitter=0.1, rotate=10)


@pytest.fixture
def pool(tmp_path: Path) -> tuple[Path, Path]:
    """9 training images (so the last batch of 4 is odd), 7 calibration images, and holdout rows whose files
    do not exist: reading one would fail the run."""
    photos = sorted(ASSETS.glob("ISIC_*.jpg"))
    dx = catalogue().dx_codes
    rows = []
    for i in range(9):
        rows.append((f"train_{i}", str(photos[i % len(photos)]), dx[i % len(dx)], "train"))
    for i in range(7):
        rows.append((f"cal_{i}", str(photos[i % len(photos)]), dx[i], "calibration"))
    for i in range(3):
        rows.append((f"hold_{i}", str(tmp_path / "missing" / f"{i}.jpg"), dx[i], "holdout"))
    labels, split_csv = tmp_path / "labels.csv", tmp_path / "split.csv"
    with open(labels, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["image_id", "file", "dx"])
        w.writerows(r[:3] for r in rows)
    with open(split_csv, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["image_id", "dx", "split"])
        w.writerows((r[0], r[2], r[3]) for r in rows)
    return labels, split_csv


def test_a_member_trains_on_the_training_split_and_ships_its_ema_weights(pool, tmp_path, monkeypatch):
    import timm.data

    mixed = []

    class CountingMixup(timm.data.Mixup):
        def __call__(self, x, target):
            mixed.append(len(x))
            return super().__call__(x, target)

    monkeypatch.setattr(timm.data, "Mixup", CountingMixup)
    labels, split_csv = pool
    recipe = TINY.model_copy(update={"ema_decay": 0.9, "mixup": 1.0})
    path = train_member(recipe, labels, split_csv, tmp_path / "run", device="cpu")
    state = load_file(str(path))
    assert state["classifier.weight"].shape == (len(catalogue().classes), 1280)
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())
    log = json.loads((tmp_path / "run" / "member_T.json").read_text())
    assert [e["epoch"] for e in log["history"]] == [1, 2]
    assert all("ema_val_balanced_accuracy" in e and e["loss"] == e["loss"] for e in log["history"])  # not NaN
    assert mixed == [4, 4] * 2  # every even batch mixed; the odd last batch of 1 trains unmixed


def test_without_ema_the_last_step_is_shipped_and_it_moved_from_imagenet(pool, tmp_path):
    from tools.training.backbones import pretrained_lite

    labels, split_csv = pool
    path = train_member(TINY.model_copy(update={"epochs": 1}), labels, split_csv, tmp_path / "run", device="cpu")
    trained = load_file(str(path))
    start = pretrained_lite(0, len(catalogue().classes)).state_dict()
    body = "conv_stem.weight"
    assert not torch.equal(trained[body], start[body].float())
    assert "ema_val_balanced_accuracy" not in json.loads((tmp_path / "run" / "member_T.json").read_text())["history"][0]


def test_a_warm_start_reads_the_weights_it_names(pool, tmp_path):
    labels, split_csv = pool
    first = train_member(TINY.model_copy(update={"epochs": 1}), labels, split_csv, tmp_path / "first", device="cpu")
    warm = TINY.model_copy(update={"epochs": 1, "lr_body": 0.0, "lr_head": 0.0, "init_from": first.name})
    second = train_member(warm, labels, split_csv, tmp_path / "second", device="cpu", weights_dir=first.parent)
    a, b = load_file(str(first)), load_file(str(second))
    # With no learning rate the weights stay where the warm start put them (batch-norm statistics still move).
    assert torch.equal(a["conv_stem.weight"], b["conv_stem.weight"])
    assert torch.equal(a["classifier.weight"], b["classifier.weight"])

    with pytest.raises(ValueError, match="weights folder"):
        train_member(warm, labels, split_csv, tmp_path / "third", device="cpu")
