"""Which torch device and precision a run gets: shared by inference and training."""

from __future__ import annotations

import torch


def pick_device(requested: str = "auto") -> torch.device:
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("DEVICE=cuda was requested, but PyTorch sees no CUDA device.")
    return torch.device(requested)


def bf16_is_native(device: torch.device) -> bool:
    """bf16 halves the weights' memory traffic, but without bf16 units the conversions make it slower."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return torch.backends.mkldnn.is_available() and (
        torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
