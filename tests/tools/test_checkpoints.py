"""Checkpoint formats users re-save the seed's weights in, and the messages when one does not fit."""

from __future__ import annotations

import pytest
import timm
import torch
from PIL import Image
from safetensors.torch import save_file

from tests.tools.conftest import seed_reference_probs
from tools.checkpoints import CheckpointError, load_into, read_state_dict
from tools.classifier import Ensemble
from tools.intake import load_image_file
from tools.manifest import seed_profile

ARCH = "resnet18"  # small stand-in: MODEL_NAME is honoured, and the formats are architecture-independent


def small_model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return timm.create_model(ARCH, num_classes=7)


@pytest.mark.parametrize("variant", ["plain", "state_dict", "model_state_dict", "module_prefix", "safetensors"])
def test_checkpoint_variants_give_the_seed_numbers(variant, tmp_path, lesion_path):
    models = [small_model(1), small_model(2)]
    paths = []
    for name, model in zip("AB", models):
        state = model.state_dict()
        path = tmp_path / f"{name}.pth"
        if variant == "state_dict":
            torch.save({"state_dict": state, "epoch": 3}, path)
        elif variant == "model_state_dict":
            torch.save({"model_state_dict": state, "optimizer": {}}, path)
        elif variant == "module_prefix":
            torch.save({f"module.{k}": v for k, v in state.items()}, path)
        elif variant == "safetensors":
            path = tmp_path / f"{name}.safetensors"
            save_file({k: v.contiguous() for k, v in state.items()}, str(path))
        else:
            torch.save(state, path)
        paths.append(path)
    profile = seed_profile(paths[0], paths[1], ARCH, 7, [tmp_path])
    result = Ensemble.load(profile, "cpu").classify(load_image_file(lesion_path))
    expected = seed_reference_probs(models, Image.open(lesion_path))
    got = torch.tensor(list(result.probabilities.values()))
    assert torch.allclose(got, expected, atol=1e-5)
    assert abs(float(got.sum()) - 1) < 1e-5


def test_wrong_architecture_names_file_and_keys(tmp_path):
    path = tmp_path / "other.pth"
    torch.save(timm.create_model("resnet34", num_classes=7).state_dict(), path)
    with pytest.raises(CheckpointError) as err:
        load_into(small_model(), path)
    message = str(err.value)
    assert str(path) in message and "unexpected keys" in message and "layer1.2" in message


def test_wrong_class_count_reports_misshaped_head(tmp_path):
    path = tmp_path / "ten.pth"
    torch.save(timm.create_model(ARCH, num_classes=10).state_dict(), path)
    with pytest.raises(CheckpointError, match=r"mis-shaped keys \(2\): fc\.bias \(file \(10,\), model \(7,\)\)"):
        load_into(small_model(), path)


def test_pickled_objects_are_refused(tmp_path):
    """weights_only=True: a checkpoint that needs arbitrary code to unpickle is an error, not executed."""
    path = tmp_path / "model.pth"
    torch.save(small_model(), path)  # a whole pickled module, not a state_dict
    with pytest.raises(CheckpointError, match="cannot be read"):
        read_state_dict(path)


def test_not_a_checkpoint(tmp_path):
    path = tmp_path / "notes.pth"
    path.write_text("hello")
    with pytest.raises(CheckpointError, match=str(path)):
        read_state_dict(path)


def test_sha256_mismatch_is_refused(tmp_path):
    path = tmp_path / "A.pth"
    torch.save(small_model().state_dict(), path)
    with pytest.raises(CheckpointError, match="sha256"):
        load_into(small_model(), path, sha256="0" * 64)
