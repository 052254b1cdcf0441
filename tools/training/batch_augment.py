"""The training augmentation for a whole batch at once, on the batch's device.

The same family as `data.augmentation` (random resized crop, flips, quarter turns, a free rotation, colour
jitter), drawn per image but applied as one affine resampling and a few tensor ops. On a GPU the per-image
torchvision pipeline keeps the accelerator waiting on Python; this keeps the batch on the device."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

# ITU-R BT.601 luma, as torchvision's grayscale uses.
_LUMA = (0.299, 0.587, 0.114)


def _uniform(n: int, low: float, high: float, device, generator=None) -> torch.Tensor:
    return torch.rand(n, device=device, generator=generator) * (high - low) + low


def affine_thetas(n: int, scale: tuple[float, float], rotate: float, device, generator=None) -> torch.Tensor:
    """(n, 2, 3) maps from output to input coordinates in [-1, 1]: a crop of `scale` of the area with an aspect
    ratio in [0.8, 1.25], flipped either way, turned a random quarter plus up to `rotate` degrees."""
    area = _uniform(n, scale[0], scale[1], device, generator)
    log_ratio = _uniform(n, math.log(0.8), math.log(1.25), device, generator)
    w = (area * log_ratio.exp()).sqrt().clamp(max=1.0)
    h = (area / log_ratio.exp()).sqrt().clamp(max=1.0)
    flip_x = torch.randint(0, 2, (n,), device=device, generator=generator) * 2 - 1
    flip_y = torch.randint(0, 2, (n,), device=device, generator=generator) * 2 - 1
    quarter = torch.randint(0, 4, (n,), device=device, generator=generator).float() * (math.pi / 2)
    angle = quarter + _uniform(n, -rotate, rotate, device, generator) * (math.pi / 180)
    cos, sin = angle.cos(), angle.sin()
    # The turned crop's extent on each input axis (a quarter turn swaps width and height): its centre moves
    # only as far as keeps it inside the photo; a free rotation's corners may still leave it (zeros, as
    # torchvision's RandomRotation fills).
    extent_x = (cos.abs() * w + sin.abs() * h).clamp(max=1.0)
    extent_y = (sin.abs() * w + cos.abs() * h).clamp(max=1.0)
    cx = _uniform(n, -1.0, 1.0, device, generator) * (1 - extent_x)
    cy = _uniform(n, -1.0, 1.0, device, generator) * (1 - extent_y)
    sx, sy = w * flip_x, h * flip_y
    return torch.stack([
        torch.stack([cos * sx, -sin * sy, cx], -1),
        torch.stack([sin * sx, cos * sy, cy], -1),
    ], 1)


def colour_jitter(x: torch.Tensor, jitter: float, generator=None) -> torch.Tensor:
    """Brightness, contrast and saturation factors in [1 - jitter, 1 + jitter], hue turned by up to jitter / 10
    of a full turn (a rotation of the chroma plane in YIQ), on float images in [0, 1]."""
    if not jitter:
        return x
    n, dev = len(x), x.device
    luma = torch.tensor(_LUMA, device=dev, dtype=x.dtype).view(1, 3, 1, 1)
    factor = lambda: _uniform(n, 1 - jitter, 1 + jitter, dev, generator).view(n, 1, 1, 1).to(x.dtype)  # noqa: E731
    x = (x * factor()).clamp(0, 1)
    grey = (x * luma).sum(1, keepdim=True)
    x = ((x - grey.mean((2, 3), keepdim=True)) * factor() + grey.mean((2, 3), keepdim=True)).clamp(0, 1)
    grey = (x * luma).sum(1, keepdim=True)
    x = ((x - grey) * factor() + grey).clamp(0, 1)
    turn = _uniform(n, -jitter / 10, jitter / 10, dev, generator) * (2 * math.pi)
    to_yiq = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]], device=dev, dtype=x.dtype)
    from_yiq = torch.linalg.inv(to_yiq)
    cos, sin = turn.cos().to(x.dtype), turn.sin().to(x.dtype)
    one, zero = torch.ones_like(cos), torch.zeros_like(cos)
    hue = torch.stack([torch.stack([one, zero, zero], -1), torch.stack([zero, cos, -sin], -1),
                       torch.stack([zero, sin, cos], -1)], 1)                      # (n, 3, 3) in YIQ
    mix = from_yiq @ hue @ to_yiq                                                   # (n, 3, 3) in RGB
    return torch.einsum("nij,njhw->nihw", mix, x).clamp(0, 1)


def augment_batch(images_uint8: torch.Tensor, size: int, scale: tuple[float, float], jitter: float, rotate: float,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """uint8 NCHW images -> float NCHW in [0, 1] at size x size, each image augmented on its own draw."""
    x = images_uint8.float().div_(255)
    theta = affine_thetas(len(x), scale, rotate, x.device, generator)
    grid = F.affine_grid(theta, [len(x), 3, size, size], align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return colour_jitter(x, jitter, generator)
