"""Pictures that are not dermatoscopic lesion photos, to measure the OOD gate: scikit-image's sample
images (people, animals, objects, text, microscopy, a retina) and generated ones (flat colours,
noise, gradients, patterns, a document and a screenshot)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
from PIL import Image, ImageDraw

from tools.intake import load_image

SKIMAGE_SAMPLES = (
    "astronaut", "binary_blobs", "brick", "camera", "cell", "checkerboard", "chelsea", "clock", "coffee",
    "coins", "colorwheel", "grass", "gravel", "horse", "hubble_deep_field", "immunohistochemistry", "logo",
    "microaneurysms", "moon", "page", "retina", "rocket", "shepp_logan_phantom", "text",
)


def _to_pil(array: np.ndarray) -> Image.Image:
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    elif array.dtype != np.uint8:
        array = (255 * (array - array.min()) / max(float(np.ptp(array)), 1e-9)).astype(np.uint8)
    image = Image.fromarray(array)
    return image.convert("RGB") if image.mode != "RGBA" else image


def skimage_samples() -> Iterator[tuple[str, Image.Image]]:
    from skimage import data

    for name in SKIMAGE_SAMPLES:
        yield f"skimage:{name}", _to_pil(getattr(data, name)())


def generated(seed: int = 0) -> Iterator[tuple[str, Image.Image]]:
    rng = np.random.default_rng(seed)
    for colour in [(255, 255, 255), (0, 0, 0), (200, 40, 40), (40, 160, 60), (30, 60, 200), (230, 190, 160)]:
        yield f"flat{colour}", Image.new("RGB", (256, 256), colour)
    yield "noise:uniform", Image.fromarray(rng.integers(0, 256, (256, 256, 3), dtype=np.uint8))
    yield "noise:gaussian", Image.fromarray(np.clip(rng.normal(128, 40, (256, 256, 3)), 0, 255).astype(np.uint8))
    ramp = np.linspace(0, 255, 256, dtype=np.uint8)
    yield "gradient:horizontal", Image.fromarray(np.stack([np.tile(ramp, (256, 1))] * 3, -1))
    yield "gradient:colour", Image.fromarray(np.stack([np.tile(ramp, (256, 1)), np.tile(ramp[:, None], (1, 256)),
                                                       np.full((256, 256), 128, np.uint8)], -1))
    stripes = (np.indices((256, 256)).sum(0) // 16 % 2 * 255).astype(np.uint8)
    yield "pattern:diagonal-stripes", Image.fromarray(np.stack([stripes] * 3, -1))
    yield "document", _document()
    yield "screenshot", _screenshot()


def _document() -> Image.Image:
    page = Image.new("RGB", (400, 520), "white")
    draw = ImageDraw.Draw(page)
    for i, y in enumerate(range(30, 500, 18)):
        draw.text((30, y), f"Line {i}: the quick brown fox jumps over the lazy dog.", fill="black")
    return page


def _screenshot() -> Image.Image:
    shot = Image.new("RGB", (640, 400), (240, 242, 245))
    draw = ImageDraw.Draw(shot)
    draw.rectangle((0, 0, 640, 40), fill=(40, 70, 140))
    draw.text((12, 12), "Inbox - Mail", fill="white")
    for i in range(8):
        y = 60 + i * 40
        draw.rectangle((20, y, 620, y + 32), fill="white", outline=(200, 200, 210))
        draw.text((30, y + 10), f"Message {i}: meeting notes and an attachment", fill=(30, 30, 30))
    return shot


def all_non_skin() -> list[tuple[str, Image.Image]]:
    """Every picture as the app would receive it: PNG bytes through the intake checks."""
    out = []
    for name, image in [*skimage_samples(), *generated()]:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        out.append((name, load_image(buffer.getvalue()).image))
    return out
