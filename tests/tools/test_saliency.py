"""Grad-CAM of the top class on real lesion photos: more heat on the lesion than on the skin around it."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from skimage.filters import threshold_otsu

from tests.tools.conftest import ASSETS, run_cli
from tools.catalogue import catalogue
from tools.classifier import Ensemble
from tools.intake import load_image_file
from tools.saliency import colourise, ensemble_cam, heatmap_png

PHOTOS = sorted(ASSETS.glob("ISIC_*.jpg"))



def lesion_mask(image: Image.Image) -> np.ndarray:
    """Dermoscopic lesions are darker than the skin around them: Otsu's threshold on brightness."""
    gray = np.asarray(image.convert("L"), dtype=np.float32)
    return gray < threshold_otsu(gray)


@pytest.mark.parametrize("path", PHOTOS, ids=[p.stem for p in PHOTOS])
def test_more_heat_falls_on_the_lesion_than_on_the_skin(ensemble: Ensemble, path) -> None:
    image = load_image_file(path).image
    top = ensemble.classify(load_image_file(path)).label
    cam = ensemble_cam(ensemble, image, catalogue().labels.index(top))
    mask = lesion_mask(image)
    assert cam.shape == mask.shape and 0 <= cam.min() and cam.max() <= 1.0 + 1e-6
    assert cam[mask].mean() > 1.5 * cam[~mask].mean(), (cam[mask].mean(), cam[~mask].mean())


def test_the_map_depends_on_the_class(ensemble: Ensemble) -> None:
    image = load_image_file(PHOTOS[0]).image
    maps = [ensemble_cam(ensemble, image, i) for i in range(len(catalogue().classes))]
    assert max(float(np.abs(maps[0] - m).mean()) for m in maps[1:]) > 0.02


def test_overlay_png_keeps_the_photo_shape_and_cool_areas_transparent(ensemble: Ensemble) -> None:
    image = load_image_file(PHOTOS[1]).image
    png = heatmap_png(ensemble, image, 0, max_side=128)
    shown = Image.open(io.BytesIO(png))
    assert shown.format == "PNG" and max(shown.size) <= 128
    assert colourise(np.zeros((2, 2)))[..., 3].max() == 0 and colourise(np.ones((2, 2)))[..., 3].min() > 100


def test_cli_writes_the_heatmap(tmp_path) -> None:
    out = tmp_path / "cam.png"
    done = run_cli("classify", str(PHOTOS[0]), "--cam", str(out))
    assert done.returncode == 0, done.stderr
    assert Image.open(out).size == Image.open(PHOTOS[0]).size
