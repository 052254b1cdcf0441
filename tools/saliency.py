"""Grad-CAM of the top class: where in the photo the members' last feature maps pushed that class up.

timm splits every member into `forward_features` (the last convolutional map) and `forward_head`
(global pooling + linear), so Grad-CAM needs no hooks and no extra library: the gradient is taken
with respect to the feature map only, which costs about one forward pass per member. (The `grad-cam`
package would bring OpenCV, matplotlib and scikit-learn for the same arithmetic.)"""

from __future__ import annotations

import io

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from tools.classifier import Ensemble, Member
from tools.preprocess import prepare

# Heat colours from transparent through yellow to red; alpha follows the heat, so cool skin stays visible.
_STOPS = np.array([[0.0, 0, 0, 255], [0.5, 255, 230, 0], [1.0, 220, 20, 20]], dtype=np.float32)
MAX_ALPHA = 0.6


def member_cam(member: Member, image: Image.Image, class_index: int) -> torch.Tensor:
    """HxW map in [0, 1] at the member's input size, for a catalogue class index."""
    model = member.model
    device = next(model.parameters()).device
    x = prepare(image, member.spec, tta=False).to(device)  # 1 view: 1CHW
    with torch.no_grad():
        features = model.forward_features(x)
    features = features.detach().float().requires_grad_(True)
    with torch.enable_grad():
        logit = model.forward_head(features)[0, int(member.order[class_index])]
        (grad,) = torch.autograd.grad(logit, features)
    cam = F.relu((grad.mean(dim=(2, 3), keepdim=True) * features).sum(1, keepdim=True)).detach()
    cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[0, 0]
    peak = float(cam.max())
    return (cam / peak).cpu() if peak > 0 else cam.cpu()


def ensemble_cam(ensemble: Ensemble, image: Image.Image, class_index: int, size: tuple[int, int] | None = None) -> np.ndarray:
    """The members' maps, weighted as their probabilities are, at `size` (W, H; default the image's)."""
    w, h = size or image.size
    total = sum(m.spec.weight for m in ensemble.members)
    cam = torch.zeros((h, w))
    for member in ensemble.members:
        m = member_cam(member, image, class_index)
        cam += member.spec.weight / total * F.interpolate(m[None, None], size=(h, w), mode="bilinear",
                                                          align_corners=False)[0, 0]
    peak = float(cam.max())
    return (cam / peak).numpy() if peak > 0 else cam.numpy()


def colourise(cam: np.ndarray) -> np.ndarray:
    """HxW in [0, 1] -> HxWx4 uint8 RGBA heat."""
    rgb = np.stack([np.interp(cam, _STOPS[:, 0], _STOPS[:, c]) for c in (1, 2, 3)], axis=-1)
    alpha = (np.clip(cam, 0, 1) * MAX_ALPHA * 255)[..., None]
    return np.concatenate([rgb, alpha], axis=-1).astype(np.uint8)


def overlay(image: Image.Image, cam: np.ndarray) -> Image.Image:
    base = image.convert("RGBA")
    heat = Image.fromarray(colourise(cam), "RGBA").resize(base.size, Image.Resampling.BILINEAR)
    return Image.alpha_composite(base, heat).convert("RGB")


def heatmap_png(ensemble: Ensemble, image: Image.Image, class_index: int, max_side: int = 512) -> bytes:
    """The overlay as PNG bytes, at most `max_side` pixels on its longer side."""
    scale = min(1.0, max_side / max(image.size))
    shown = image.convert("RGB").resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    buffer = io.BytesIO()
    overlay(shown, ensemble_cam(ensemble, image, class_index, shown.size)).save(buffer, format="PNG")
    return buffer.getvalue()
