"""Tests for tools.intake. Every input is generated in code, except one real HAM10000 lesion photo."""

from __future__ import annotations

import io
import random
import struct
import warnings
import zipfile
import zlib
from pathlib import Path
from unittest.mock import patch

import pydantic
import pytest
from PIL import Image, ImageFile

from tools.intake import (
    ACCEPTED,
    CheckedImage,
    IntakeError,
    IntakeLimits,
    _to_rgb,
    load_image,
    load_image_file,
    sniff_format,
)
from tools.text import msg, render, term

ASSETS = Path(__file__).resolve().parents[1] / "assets"
GREY = (128, 128, 128)


def encode(im: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def asymmetric(size: tuple[int, int] = (64, 48)) -> Image.Image:
    """Four flat quadrants of different colours: any rotation or flip changes the pixels."""
    w, h = size
    im = Image.new("RGB", size, (220, 30, 30))
    im.paste((30, 200, 30), (w // 2, 0, w, h // 2))
    im.paste((30, 30, 220), (0, h // 2, w // 2, h))
    im.paste((240, 240, 40), (w // 2, h // 2, w, h))
    return im


def noisy(size: tuple[int, int] = (160, 120)) -> Image.Image:
    """Incompressible content, so cutting the file in half really cuts into the pixel data."""
    return Image.frombytes("RGB", size, random.Random(0).randbytes(size[0] * size[1] * 3))


def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of zeros: a few KB on disk, width*height pixels once decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = bytes(1 + (width + 7) // 8)  # filter byte + packed bits
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row * 1000) for _ in range(height // 1000)) + comp.compress(row * (height % 1000))
    idat += comp.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def close(a: tuple[int, ...], b: tuple[int, ...], tol: int) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def max_diff(a: Image.Image, b: Image.Image) -> int:
    assert a.size == b.size
    return max(abs(x - y) for x, y in zip(a.tobytes(), b.tobytes(), strict=True))


# --- accepted formats -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pil_format", "expected", "tol", "kw"),
    [
        ("JPEG", "JPEG", 12, {"quality": 95}),
        ("PNG", "PNG", 0, {}),
        ("WEBP", "WEBP", 0, {"lossless": True}),
        ("HEIF", "HEIF", 20, {"quality": 90}),
    ],
)
def test_accepted_formats_load(pil_format: str, expected: str, tol: int, kw: dict[str, object]) -> None:
    src = asymmetric()
    data = encode(src, pil_format, **kw)
    assert sniff_format(data) == expected
    result = load_image(data)
    assert isinstance(result, CheckedImage)
    assert result.format == expected
    assert (result.width, result.height) == (64, 48) == result.image.size
    assert result.image.mode == "RGB"
    for xy in [(8, 8), (56, 8), (8, 40), (56, 40)]:  # quadrant centres, away from lossy edges
        assert close(result.image.getpixel(xy), src.getpixel(xy), tol), (xy, result.image.getpixel(xy))


def test_accepted_names() -> None:
    assert [render(term("file_kind", k)) for k in ACCEPTED] == ["JPEG", "PNG", "WebP", "HEIC/HEIF"]


def test_misleading_file_name_is_ignored(tmp_path: Path) -> None:
    png_as_jpg = tmp_path / "photo.jpg"
    png_as_jpg.write_bytes(encode(asymmetric(), "PNG"))
    assert load_image_file(png_as_jpg).format == "PNG"

    pdf_as_jpg = tmp_path / "lesion.jpeg"
    pdf_as_jpg.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n")
    with pytest.raises(IntakeError) as err:
        load_image_file(pdf_as_jpg)
    assert err.value.code == "unsupported_format"
    assert "PDF document" in err.value.message


def _ftyp(major: bytes, *compat: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compat)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00" * 32


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "JPEG"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "PNG"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8, "WEBP"),
        (_ftyp(b"heic", b"mif1", b"heic"), "HEIF"),
        (_ftyp(b"mif1", b"heic"), "HEIF"),
        (_ftyp(b"msf1", b"hevc"), "HEIF"),
        (_ftyp(b"avif", b"mif1", b"miaf"), "avif"),
        (_ftyp(b"mif1", b"avif", b"miaf"), "avif"),
        (_ftyp(b"isom", b"mp41"), "mp4"),
        (b"GIF89a" + b"\x00" * 20, "gif"),
        (b"BM" + b"\x00" * 20, "bmp"),
        (b"II*\x00" + b"\x00" * 20, "tiff"),
        (b"MM\x00*" + b"\x00" * 20, "tiff"),
        (b"%PDF-1.7\n", "pdf"),
        (b"PK\x03\x04" + b"\x00" * 20, "zip"),
        (b"\x00" * 128 + b"DICM" + b"\x00" * 20, "dicom"),
        (b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>", "svg"),
        ("Hello, this is my mole — résumé\n".encode(), "text"),
        (bytes(range(256)), "unknown"),
    ],
)
def test_sniff_format(data: bytes, expected: str) -> None:
    assert sniff_format(data) == expected


def test_errors_carry_codes_and_parameters() -> None:
    """The decider names the problem and its numbers; the words come from the catalogue."""
    with pytest.raises(IntakeError) as err:
        load_image(encode(Image.new("RGB", (200, 20), "white"), "PNG"))
    assert err.value.text == msg("intake.too_small", width=200, height=20, min_side=32)
    with pytest.raises(IntakeError) as err:
        load_image(b"%PDF-1.7\n")
    assert err.value.text.params["kind"] == term("file_kind", "pdf")


# --- rejections -------------------------------------------------------------------------------------


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("photo.jpg", encode(asymmetric(), "JPEG"))
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "received"),
    [
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "PDF document"),
        (encode(asymmetric(), "GIF"), "GIF image"),
        (encode(asymmetric(), "BMP"), "BMP image"),
        (b"Dear doctor,\nplease have a look at my mole.\n", "text file"),
        (_zip_bytes(), "ZIP archive"),
        (_ftyp(b"avif", b"mif1", b"miaf"), "AVIF image"),
        (bytes(range(256)) * 4, "isn't a recognised image type"),
    ],
)
def test_unsupported_formats_are_rejected(data: bytes, received: str) -> None:
    with pytest.raises(IntakeError) as err:
        load_image(data)
    assert err.value.code == "unsupported_format"
    assert received in err.value.message
    assert "JPEG, PNG, WebP or HEIC/HEIF" in err.value.message
    assert str(err.value) == err.value.message


def test_empty() -> None:
    with pytest.raises(IntakeError) as err:
        load_image(b"")
    assert err.value.code == "empty"
    assert "empty" in err.value.message and "0 bytes" in err.value.message


def test_too_large() -> None:
    data = encode(noisy((64, 64)), "PNG")  # ~12 KB
    with pytest.raises(IntakeError) as err:
        load_image(data, IntakeLimits(max_bytes=2048))
    assert err.value.code == "too_large"
    assert f"{len(data) / 1024:.1f} KB" in err.value.message  # what was received
    assert "2 KB limit" in err.value.message  # what is accepted
    assert load_image(data, IntakeLimits(max_bytes=len(data))).format == "PNG"  # the limit itself is allowed


def test_too_large_reports_megabytes() -> None:
    with pytest.raises(IntakeError) as err:
        load_image(b"\xff\xd8\xff" + bytes(11 * 1024 * 1024))
    assert err.value.code == "too_large"
    assert "11 MB" in err.value.message and "10 MB limit" in err.value.message


def _assert_bomb_rejected(data: bytes, limits: IntakeLimits, size_text: str | None) -> None:
    with warnings.catch_warnings(record=True) as caught, \
            patch.object(ImageFile.ImageFile, "load", side_effect=AssertionError("the pixels were decoded")):
        warnings.simplefilter("always")
        with pytest.raises(IntakeError) as err:
            load_image(data, limits)
    assert err.value.code == "too_many_pixels"
    assert "megapixel limit" in err.value.message
    if size_text:
        assert size_text in err.value.message
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]


def test_decompression_bomb_default_limits() -> None:
    data = png_bomb(12000, 12000)
    assert len(data) < 50_000  # a small file ...
    _assert_bomb_rejected(data, IntakeLimits(), "144 megapixels")  # ... of 144 MP


def test_decompression_bomb_caught_from_pillows_own_guard() -> None:
    # With our limit above Pillow's, Pillow's warning (144 MP) and error (400 MP) fire inside open():
    # both must come out as our error, and Pillow's global limit must be left alone.
    before = Image.MAX_IMAGE_PIXELS
    loose = IntakeLimits(max_pixels=10**9)
    _assert_bomb_rejected(png_bomb(12000, 12000), loose, "144 megapixels")
    _assert_bomb_rejected(png_bomb(20000, 20000), loose, "400 megapixels")
    assert Image.MAX_IMAGE_PIXELS == before


def test_pixel_limit_is_configurable() -> None:
    data = encode(asymmetric((100, 100)), "PNG")
    with pytest.raises(IntakeError) as err:
        load_image(data, IntakeLimits(max_pixels=9_999))
    assert err.value.code == "too_many_pixels"
    assert "100 x 100 pixels" in err.value.message
    assert load_image(data, IntakeLimits(max_pixels=10_000)).width == 100


@pytest.mark.parametrize(("pil_format", "kw"), [("JPEG", {"quality": 95}), ("PNG", {}), ("WEBP", {}), ("HEIF", {})])
def test_truncated(pil_format: str, kw: dict[str, object]) -> None:
    data = encode(noisy(), pil_format, **kw)
    with pytest.raises(IntakeError) as err:
        load_image(data[: len(data) // 2])
    assert err.value.code == "truncated"
    assert "incomplete" in err.value.message
    assert {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "HEIF": "HEIC/HEIF"}[pil_format] in err.value.message
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"\xff\xd8\xff\xe0" + bytes((i * 37 + 11) % 256 for i in range(4000)), "JPEG"),
        (b"\x89PNG\r\n\x1a\n" + bytes((i * 37 + 11) % 256 for i in range(4000)), "PNG"),
        (b"RIFF\xa8\x0f\x00\x00WEBPVP8 " + bytes((i * 37 + 11) % 256 for i in range(4000)), "WebP"),
        (_ftyp(b"heic", b"mif1", b"heic") + bytes((i * 37 + 11) % 256 for i in range(4000)), "HEIC/HEIF"),
    ],
)
def test_corrupt(data: bytes, name: str) -> None:
    with pytest.raises(IntakeError) as err:
        load_image(data)
    assert err.value.code == "corrupt"
    assert f"starts like a {name} image" in err.value.message


@pytest.mark.parametrize(("size", "text"), [((16, 16), "16 x 16 pixels"), ((200, 20), "200 x 20 pixels")])
def test_too_small(size: tuple[int, int], text: str) -> None:
    with pytest.raises(IntakeError) as err:
        load_image(encode(Image.new("RGB", size, "white"), "PNG"))
    assert err.value.code == "too_small"
    assert text in err.value.message and "at least 32 pixels" in err.value.message
    assert load_image(encode(Image.new("RGB", (32, 40), "white"), "PNG")).width == 32  # the minimum is fine


# --- orientation, colour modes, frames ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("pil_format", "kw", "tol"),
    # HEIF: pillow_heif turns the EXIF tag into an irot box; it must still come out upright, rotated once.
    [("PNG", {}, 0), ("WEBP", {"lossless": True}, 0), ("JPEG", {"quality": 95}, 12), ("HEIF", {"quality": 90}, 20)],
)
@pytest.mark.parametrize(
    ("orientation", "stored_as"),
    [(6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270), (3, Image.Transpose.ROTATE_180)],
)
def test_exif_orientation_applied(
    pil_format: str, kw: dict[str, object], tol: int, orientation: int, stored_as: Image.Transpose
) -> None:
    upright = asymmetric((64, 48))
    stored = upright.transpose(stored_as)  # how a camera held sideways stores the pixels
    exif = Image.Exif()
    exif[0x0112] = orientation
    result = load_image(encode(stored, pil_format, exif=exif.tobytes(), **kw))
    assert (result.width, result.height) == (64, 48)
    for xy in [(8, 8), (56, 8), (8, 40), (56, 40)]:
        assert close(result.image.getpixel(xy), upright.getpixel(xy), tol), (xy, result.image.getpixel(xy))
    if tol == 0:
        assert max_diff(result.image, upright) == 0


def test_rgba_composited_on_grey() -> None:
    im = Image.new("RGBA", (40, 40), (0, 0, 0, 0))  # fully transparent
    im.paste((255, 0, 0, 255), (20, 0, 40, 20))  # opaque red
    im.paste((0, 0, 0, 128), (0, 20, 20, 40))  # half-transparent black
    out = load_image(encode(im, "PNG")).image
    assert out.mode == "RGB"
    assert out.getpixel((30, 30)) == GREY
    assert out.getpixel((30, 10)) == (255, 0, 0)
    assert close(out.getpixel((10, 30)), (64, 64, 64), 1)


def test_rgba_webp_composited_on_grey() -> None:
    im = Image.new("RGBA", (40, 40), (255, 255, 255, 0))
    assert load_image(encode(im, "WEBP", lossless=True)).image.getpixel((5, 5)) == GREY


def test_la_and_palette_transparency_composited_on_grey() -> None:
    la = Image.new("LA", (40, 40), (255, 0))
    assert load_image(encode(la, "PNG")).image.getpixel((5, 5)) == GREY

    pal = Image.new("P", (40, 40), 0)
    pal.putpalette([0, 255, 0, 255, 0, 255] + [0] * 762)
    pal.paste(1, (20, 0, 40, 40))
    data = encode(pal, "PNG", transparency=0)
    out = load_image(data).image
    assert out.getpixel((5, 5)) == GREY
    assert out.getpixel((30, 5)) == (255, 0, 255)


def test_cmyk_jpeg_to_rgb() -> None:
    im = Image.new("CMYK", (40, 40), (255, 0, 0, 0))  # pure cyan
    im.paste((0, 0, 0, 255), (20, 0, 40, 40))  # pure black
    out = load_image(encode(im, "JPEG", quality=95)).image
    assert out.mode == "RGB"
    assert close(out.getpixel((5, 5)), (0, 255, 255), 6)
    assert close(out.getpixel((35, 5)), (0, 0, 0), 6)


def test_greyscale_to_rgb() -> None:
    out = load_image(encode(Image.new("L", (40, 40), 77), "PNG")).image
    assert out.mode == "RGB" and out.getpixel((5, 5)) == (77, 77, 77)
    out = load_image(encode(Image.new("1", (40, 40), 1), "PNG")).image
    assert out.getpixel((5, 5)) == (255, 255, 255)


def test_palette_to_rgb() -> None:
    pal = Image.new("P", (40, 40), 1)
    pal.putpalette([0, 0, 0, 10, 120, 200] + [0] * 762)
    out = load_image(encode(pal, "PNG")).image
    assert out.mode == "RGB" and out.getpixel((5, 5)) == (10, 120, 200)


def test_16bit_png_scaled_not_clipped() -> None:
    # columns 0-19: 65535; columns 20-39: 32768 in rows 0-19, 0 below (built from raw little-endian words)
    words = [65535 if x < 20 else (32768 if y < 20 else 0) for y in range(40) for x in range(40)]
    im = Image.frombytes("I;16", (40, 40), struct.pack(f"<{len(words)}H", *words))
    data = encode(im, "PNG")
    with Image.open(io.BytesIO(data)) as check:
        assert check.mode.startswith("I")  # really stored as 16-bit
    out = load_image(data).image
    assert out.mode == "RGB"
    assert out.getpixel((5, 5)) == (255, 255, 255)
    assert close(out.getpixel((30, 5)), (128, 128, 128), 1)
    assert out.getpixel((30, 30)) == (0, 0, 0)


@pytest.mark.parametrize("mode", ["I;16", "I;16B", "I"])
def test_wide_integer_modes(mode: str) -> None:
    im = Image.new(mode, (3, 1))
    for x, v in enumerate((65535, 32768, 0)):
        im.putpixel((x, 0), v)
    out = _to_rgb(im)
    assert [out.getpixel((x, 0))[0] for x in range(3)] == [255, 128, 0]


def test_dark_16bit_is_still_scaled() -> None:
    # A dim 16-bit image whose values all fit in 0..255 is still 16-bit data, so it must stay near black.
    im = Image.new("I;16", (2, 1))
    im.putpixel((0, 0), 200)
    assert _to_rgb(im).getpixel((0, 0)) == (1, 1, 1)


def test_float_mode() -> None:
    im = Image.new("F", (3, 1))
    for x, v in enumerate((1.0, 0.5, 0.0)):
        im.putpixel((x, 0), v)
    out = _to_rgb(im)
    assert out.mode == "RGB"
    assert [out.getpixel((x, 0))[0] for x in range(3)] == [255, 128, 0]


@pytest.mark.parametrize(("pil_format", "kw"), [("PNG", {}), ("WEBP", {"lossless": True})])
def test_animated_uses_first_frame(pil_format: str, kw: dict[str, object]) -> None:
    frames = [Image.new("RGB", (40, 40), c) for c in ((200, 0, 0), (0, 0, 200), (0, 200, 0))]
    data = encode(frames[0], pil_format, save_all=True, append_images=frames[1:], duration=100, **kw)
    with Image.open(io.BytesIO(data)) as check:
        assert check.n_frames == 3  # really animated
    out = load_image(data).image
    assert out.getpixel((5, 5)) == (200, 0, 0)


# --- result object ------------------------------------------------------------------------------------


def test_result_is_loaded_and_detached() -> None:
    result = load_image(encode(asymmetric(), "PNG"))
    assert not isinstance(result.image, ImageFile.ImageFile)  # not a lazy file-backed image
    assert getattr(result.image, "fp", None) is None
    assert result.image.getpixel((8, 8)) == (220, 30, 30)


def test_limits_are_frozen() -> None:
    limits = IntakeLimits()
    assert (limits.max_bytes, limits.max_pixels, limits.min_side) == (10 * 1024 * 1024, 50_000_000, 32)
    with pytest.raises(pydantic.ValidationError):
        limits.max_bytes = 1  # type: ignore[misc]


def test_real_lesion_photo() -> None:
    result = load_image_file(ASSETS / "ISIC_0024306.jpg")
    assert result.format == "JPEG"
    assert (result.width, result.height) == (224, 224)
    assert result.image.mode == "RGB" and result.image.size == (224, 224)
    lo, hi = result.image.convert("L").getextrema()
    assert hi - lo > 50  # real photo content, not a blank frame
