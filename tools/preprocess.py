"""Small composable preprocessing steps: resize per the member's policy, normalise, TTA views."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from PIL import Image

from tools.manifest import MemberSpec

_INTERPOLATION = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC}

VIEWS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "identity": lambda x: x,
    "hflip": lambda x: x.flip(-1),
    "vflip": lambda x: x.flip(-2),
    "rot90": lambda x: x.rot90(1, (-2, -1)),
    "rot180": lambda x: x.rot90(2, (-2, -1)),
    "rot270": lambda x: x.rot90(3, (-2, -1)),
}


def resize(image: Image.Image, spec: MemberSpec) -> Image.Image:
    size, method = spec.input_size, _INTERPOLATION[spec.interpolation]
    if spec.resize == "squash":
        return image.resize((size, size), method)
    scale = size / min(image.size)
    w, h = max(size, round(image.width * scale)), max(size, round(image.height * scale))
    image = image.resize((w, h), method)
    left, top = (w - size) // 2, (h - size) // 2
    return image.crop((left, top, left + size, top + size))


def to_tensor(image: Image.Image, spec: MemberSpec) -> torch.Tensor:
    """RGB PIL image -> normalised CHW float tensor, as torchvision's ToTensor + Normalize."""
    x = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1)
    mean = torch.tensor(spec.mean).view(3, 1, 1)
    std = torch.tensor(spec.std).view(3, 1, 1)
    return (x - mean) / std


def views(x: torch.Tensor, names: list[str]) -> torch.Tensor:
    """CHW tensor -> VCHW batch of the requested TTA views."""
    return torch.stack([VIEWS[n](x) for n in names])


def prepare(image: Image.Image, spec: MemberSpec, tta: bool = True) -> torch.Tensor:
    return views(to_tensor(resize(image, spec), spec), spec.tta_views if tta else ["identity"])
