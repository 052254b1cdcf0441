"""The weights shipped in weights/: they load, verify, give the recorded answers, and gate non-skin pictures."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from assistant.core.settings import PROJECT_ROOT
from tests.tools.conftest import ASSETS, run_cli
from tools.intake import load_image, load_image_file
from tools.manifest import read_manifest, resolve_profile
from tools.training.nonskin import generated, skimage_samples

WEIGHTS = PROJECT_ROOT / "weights"

# Recorded from the shipped ensemble; a change means the weights or the inference path changed.
RECORDED = {
    "ISIC_0024306.jpg": "nv",
    "ISIC_0024375.jpg": "vasc",
    "ISIC_0024453.jpg": "bkl",
    "ISIC_0024795.jpg": "bcc",
    "ISIC_0024843.jpg": "akiec",
    "ISIC_0025450.jpg": "nv",  # a melanoma the classes get wrong: triage must still say urgent
    "ISIC_0025771.jpg": "df",
}



def test_manifest_default_profile_is_the_shipped_pair():
    manifest = read_manifest(WEIGHTS)
    profile = manifest.profiles[manifest.default_profile]
    assert len(profile.members) == 2
    assert len({m.architecture for m in profile.members}) == 2
    assert all(m.sha256 and m.file.endswith(".safetensors") for m in profile.members)
    assert all(0.2 < m.temperature < 5 for m in profile.members)
    assert profile.ood and profile.ood.sha256
    total = sum((WEIGHTS / m.file).stat().st_size for m in profile.members) + (WEIGHTS / profile.ood.file).stat().st_size
    assert total <= 60 * 1024 * 1024


def test_weights_verify_checks_every_hash(tmp_path):
    proc = run_cli("weights", "verify", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("[ok]") == 3


def test_damaged_weight_file_is_refused(tmp_path):
    profile = resolve_profile(WEIGHTS)
    damaged = tmp_path / profile.members[0].file
    data = bytearray((WEIGHTS / profile.members[0].file).read_bytes())
    data[-100] ^= 0xFF
    damaged.write_bytes(bytes(data))
    proc = run_cli("classify", str(ASSETS / "ISIC_0024306.jpg"), env={"WEIGHTS_DIR": str(tmp_path)}, cwd=tmp_path)
    assert proc.returncode != 0 and "manifest.json" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "manifest.json").write_bytes((WEIGHTS / "manifest.json").read_bytes())
    for other in [m.file for m in profile.members[1:]] + [profile.ood.file]:
        (tmp_path / other).write_bytes((WEIGHTS / other).read_bytes())
    proc = run_cli("classify", str(ASSETS / "ISIC_0024306.jpg"), env={"WEIGHTS_DIR": str(tmp_path)}, cwd=tmp_path)
    assert proc.returncode != 0 and "sha256" in proc.stderr and "Traceback" not in proc.stderr


def test_melanoma_ranked_second_is_still_urgent(ensemble):
    """The seed would have called this real melanoma 'low' (top class: mole); the melanoma
    probability escalates it."""
    result = ensemble.classify(load_image_file(ASSETS / "ISIC_0025450.jpg"))
    assert result.label == "melanocytic_nevi"
    assert result.triage.tier == "urgent" and result.triage.escalated
    assert result.probabilities["melanoma"] >= resolve_profile(WEIGHTS).triage.melanoma_escalation


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_recorded_classes_for_real_images(ensemble, name):
    result = ensemble.classify(load_image_file(ASSETS / name))
    assert result.status == "ok", result.ood
    assert result.dx == RECORDED[name]
    assert abs(sum(result.probabilities.values()) - 1) < 1e-4
    assert result.profile == "ham10k-lite-v1"


def test_exif_rotated_photo_gives_the_upright_answer(ensemble):
    upright = Image.open(ASSETS / "ISIC_0025450.jpg")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    buffer = io.BytesIO()
    upright.rotate(90, expand=True).save(buffer, format="PNG", exif=exif)
    rotated = ensemble.classify(load_image(buffer.getvalue()))
    reference = ensemble.classify(load_image_file(ASSETS / "ISIC_0025450.jpg"))
    assert rotated.dx == reference.dx
    for label, p in reference.probabilities.items():
        assert rotated.probabilities[label] == pytest.approx(p, abs=0.03)  # JPEG vs lossless re-encode


@pytest.mark.parametrize("name,image", [
    *[(n, i) for n, i in skimage_samples() if n in ("skimage:astronaut", "skimage:chelsea", "skimage:page", "skimage:coffee")],
    *[(n, i) for n, i in generated() if n in ("document", "screenshot", "flat(255, 255, 255)", "noise:uniform")],
])
def test_non_skin_pictures_are_not_lesions(ensemble, name, image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    result = ensemble.classify(load_image(buffer.getvalue()))
    assert result.status == "not_a_lesion" and not result.ood.is_lesion
    assert "does not look like" in result.ood.reason
