"""Users own the seed's two SE-ResNeXt-101 files: they must load unchanged and give the seed's numbers."""

from __future__ import annotations

import json

import pytest
import timm
import torch
from PIL import Image

from tests.tools.conftest import run_cli, seed_reference_probs
from tools.catalogue import catalogue


@pytest.fixture(scope="module")
def seed_checkpoints(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seed")
    models, paths = [], []
    for name, seed in (("A", 1), ("B", 2)):
        torch.manual_seed(seed)
        model = timm.create_model("seresnext101_32x8d", num_classes=7, drop_rate=0.21)
        path = folder / f"best_model_{name}_tuned.pth"
        torch.save(model.state_dict(), path)  # exactly how the seed's notebook saved them
        models.append(model)
        paths.append(path)
    return models, paths


def test_classify_json_matches_direct_timm_forward(seed_checkpoints, lesion_path, tmp_path):
    models, (path_a, path_b) = seed_checkpoints
    proc = run_cli("classify", "--json", str(lesion_path),
                   env={"MODEL_A_PATH": str(path_a), "MODEL_B_PATH": str(path_b), "DEVICE": "cpu"}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    expected = seed_reference_probs(models, Image.open(lesion_path))
    got = torch.tensor([result["probabilities"][label] for label in catalogue().labels])
    assert torch.allclose(got, expected, atol=1e-5), (got, expected)
    assert result["profile"] == "seed-seresnext101"
    assert list(result["probabilities"]) == catalogue().labels
    assert abs(sum(result["probabilities"].values()) - 1) < 1e-5
    assert result["label"] == catalogue().labels[int(expected.argmax())]
    assert result["confidence"] == pytest.approx(float(expected.max()), abs=1e-5)
    assert [m["name"] for m in result["members"]] == ["A", "B"]


def test_seed_files_found_in_working_directory(seed_checkpoints, lesion_path, tmp_path):
    """Like the seed: with the variables unset, best_model_*_tuned.pth in the working directory are used."""
    _, paths = seed_checkpoints
    for p in paths:
        (tmp_path / p.name).symlink_to(p)
    proc = run_cli("classify", "--json", str(lesion_path), env={"PROFILE": "seed-seresnext101"}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["profile"] == "seed-seresnext101"
