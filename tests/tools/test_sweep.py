"""The accelerator run's parts on the CPU: the batched augmentation, the folds, a cross-validation run with
its out-of-fold probabilities and a deadline, the exported ImageNet bodies, and the sweep's plan."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch

from tools.catalogue import catalogue
from tools.training.batch_augment import affine_thetas, augment_batch, colour_jitter
from tools.training.data import assign_folds
from tools.training.recipes import RECIPES_GPU, Recipe
from tools.training.sweep import plan
from tools.training.train import train_member

ASSETS = Path(__file__).resolve().parents[1] / "assets"
TINY = Recipe(name="T", variant=0, input_size=64, epochs=2, batch_size=4, sampling_power=1.0, loss_power=0.5,
              crop_scale=(0.7, 1.0), jitter=0.1, rotate=10, ema_decay=0.9)


def test_the_batch_is_augmented_image_by_image_in_range_and_at_size():
    images = torch.randint(0, 256, (6, 3, 80, 80), dtype=torch.uint8)
    images[1] = images[0]
    out = augment_batch(images, 48, (0.5, 1.0), 0.2, 30, torch.Generator().manual_seed(0))
    assert out.shape == (6, 3, 48, 48) and out.dtype == torch.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    assert not torch.allclose(out[0], out[1])  # the same photo twice gets two different draws


def test_without_a_free_rotation_every_crop_stays_inside_the_photo_and_jitter_off_changes_nothing():
    """Quarter turns and flips of a crop never sample outside the image (no black corners); only a free
    rotation may."""
    theta = affine_thetas(500, (0.3, 1.0), 0.0, "cpu", torch.Generator().manual_seed(1))
    corners = torch.tensor([[-1.0, -1.0, 1.0], [1.0, -1.0, 1.0], [-1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    mapped = torch.einsum("nij,cj->nci", theta, corners)
    assert mapped.abs().max() <= 1 + 1e-5
    tilted = torch.einsum("nij,cj->nci", affine_thetas(500, (1.0, 1.0), 30.0, "cpu", torch.Generator().manual_seed(2)), corners)
    assert tilted.abs().max() > 1.05
    x = torch.rand(2, 3, 16, 16)
    assert torch.equal(colour_jitter(x, 0.0), x)


def test_folds_are_stratified_and_cover_the_training_split():
    rows = [{"image_id": f"{dx}_{i}", "dx": dx} for dx, n in (("nv", 50), ("df", 7), ("mel", 11)) for i in range(n)]
    folds = assign_folds(rows, 5)
    assert set(folds) == {r["image_id"] for r in rows} and set(folds.values()) == set(range(5))
    sizes = [sum(1 for f in folds.values() if f == k) for k in range(5)]
    assert max(sizes) - min(sizes) <= 1
    for dx in ("nv", "df", "mel"):
        per_fold = [sum(1 for r in rows if r["dx"] == dx and folds[r["image_id"]] == k) for k in range(5)]
        assert max(per_fold) - min(per_fold) <= 1
    assert assign_folds(rows, 5) == folds  # seeded


@pytest.fixture
def pool(tmp_path: Path) -> tuple[Path, Path]:
    """Ten training rows and no calibration rows: a pool packed for an accelerator."""
    photos = sorted(ASSETS.glob("ISIC_*.jpg"))
    dx = catalogue().dx_codes
    labels, split = tmp_path / "labels.csv", tmp_path / "split.csv"
    with open(labels, "w", newline="") as fh, open(split, "w", newline="") as sh:
        lw, sw = csv.writer(fh), csv.writer(sh)
        lw.writerow(["image_id", "file", "dx"])
        sw.writerow(["image_id", "dx", "split"])
        for i in range(10):
            lw.writerow([f"t{i}", str(photos[i % len(photos)]), dx[i % 2 * 4]])
            sw.writerow([f"t{i}", dx[i % 2 * 4], "train"])
    return labels, split


def test_a_fold_run_keeps_out_of_fold_probabilities_and_stops_at_its_deadline(pool, tmp_path):
    labels, split = pool
    train_member(TINY, labels, split, tmp_path / "runs", device="cpu", fold=(1, 5), deadline=0.0, augment_on_device=True)
    log = json.loads((tmp_path / "runs" / "member_T_fold1.json").read_text())
    assert log["fold"] == [1, 5] and log["truncated"] is True and len(log["history"]) == 1  # stopped after epoch 1
    held = log["validation"]
    assert len(held["image_ids"]) == 2 and len(held["probabilities"]) == 2  # one fifth of ten
    assert all(abs(sum(p) - 1) < 1e-3 for p in held["probabilities"])
    assert "val_balanced_accuracy" in log["history"][0]


def test_a_pool_without_calibration_rows_trains_unwatched(pool, tmp_path):
    labels, split = pool
    path = train_member(TINY.model_copy(update={"epochs": 1}), labels, split, tmp_path / "runs", device="cpu",
                        augment_on_device=True)
    log = json.loads((tmp_path / "runs" / "member_T.json").read_text())
    assert path.is_file() and log["truncated"] is False and "val_balanced_accuracy" not in log["history"][0]


def test_exported_imagenet_bodies_load_like_the_wheels(tmp_path, monkeypatch):
    from tools.training.backbones import export_imagenet, pretrained_lite

    export_imagenet(0, tmp_path)
    from_wheel = pretrained_lite(0, 7).state_dict()
    monkeypatch.setenv("HAM10K_IMAGENET_DIR", str(tmp_path))
    exported = pretrained_lite(0, 7).state_dict()
    body = [k for k in from_wheel if not k.startswith("classifier.") and from_wheel[k].is_floating_point()]
    assert all(torch.allclose(from_wheel[k], exported[k], rtol=1e-3, atol=1e-3) for k in body)  # fp16 storage
    monkeypatch.setenv("HAM10K_IMAGENET_DIR", str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError):
        pretrained_lite(0, 7)


def test_the_plan_trains_the_candidates_first_then_whole_folds():
    jobs = plan(3, ["v1A", "A"])
    assert jobs[: len(RECIPES_GPU)] == [(name, None) for name in RECIPES_GPU]
    assert jobs[len(RECIPES_GPU):] == [("v1A", 0), ("A", 0), ("v1A", 1), ("A", 1), ("v1A", 2), ("A", 2)]


def test_gpu_recipes_scale_on_the_accelerator_and_the_v1_baseline_does_not():
    from tools.training.recipes import RECIPES_V1, RECIPES_V1_AS_IS

    assert RECIPES_GPU["C"].for_device("cuda").input_size == 260
    assert RECIPES_V1_AS_IS["A"].for_device("cuda").epochs == RECIPES_V1["A"].epochs
    assert RECIPES_GPU["A"].for_device("cpu") == RECIPES_GPU["A"]


def test_a_members_recipe_is_read_from_its_own_log_or_from_the_sweeps(tmp_path):
    from tools.training.finalize import run_recipe

    scaled = RECIPES_GPU["C"].for_device("cuda")
    (tmp_path / "sweep.json").write_text(json.dumps({"runs": {"C": {"recipe": scaled.model_dump()}}}))
    assert run_recipe(tmp_path, "C") == scaled
    (tmp_path / "member_C.json").write_text(json.dumps({"recipe": TINY.model_dump()}))
    assert run_recipe(tmp_path, "C") == TINY  # `ham10k train`'s own log wins
    with pytest.raises(KeyError):
        run_recipe(tmp_path, "Z")
