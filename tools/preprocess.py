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


def shades_of_gray(x: torch.Tensor, power: int = 6) -> torch.Tensor:
    """Colour constancy (Finlayson & Trezzi; the ISIC 2018 winners' preprocessing) on uint8 [..., 3, H, W]:
    estimate the illuminant as each channel's Minkowski p-mean and rescale the channels so it becomes gray.
    One function for training and inference, so both see the same colours."""
    f = x.float()
    illuminant = f.pow(power).mean(dim=(-2, -1)).pow(1.0 / power).clamp_min(1e-3)  # [..., 3]
    gain = illuminant.norm(dim=-1, keepdim=True) / (3 ** 0.5 * illuminant)
    return (f * gain[..., None, None]).round_().clamp_(0, 255).to(torch.uint8)


def colour_constancy(image: Image.Image, spec: MemberSpec) -> Image.Image:
    if spec.colour_constancy == "none":
        return image
    x = torch.from_numpy(np.array(image, dtype=np.uint8)).permute(2, 0, 1)
    return Image.fromarray(shades_of_gray(x).permute(1, 2, 0).numpy())


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
    return views(to_tensor(colour_constancy(resize(image, spec), spec), spec), spec.tta_views if tta else ["identity"])
