"""Image intake: untrusted upload bytes -> a checked, fully decoded RGB image, or a clear IntakeError.

Everything is decided from the bytes themselves (never the file name or declared MIME type), and size
limits are checked on the lazily read header before any pixel data is decoded.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
from pathlib import Path

import pillow_heif
from PIL import Image, ImageOps
from pydantic import BaseModel, ConfigDict

pillow_heif.register_heif_opener()  # adds the "HEIF" Pillow plugin; once, at import

ACCEPTED = ("JPEG", "PNG", "WebP", "HEIC/HEIF")
_ACCEPTED_TEXT = "JPEG, PNG, WebP or HEIC/HEIF"
_DISPLAY = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "HEIF": "HEIC/HEIF"}
_GREY = (128, 128, 128)  # neutral background for transparent pixels

# ISO-BMFF brands: HEVC-coded HEIF, and the generic image brands (also used by AVIF, hence the check below).
_HEVC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_HEIF_BRANDS = _HEVC_BRANDS | {b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}


class IntakeError(Exception):
    """A rejected upload. `code` is stable for machines; `message` is shown to the user as is."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class IntakeLimits(BaseModel):
    model_config = ConfigDict(frozen=True)

    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 50_000_000
    min_side: int = 32


class CheckedImage(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    image: Image.Image  # mode "RGB", EXIF orientation applied, fully loaded
    format: str  # "JPEG" | "PNG" | "WEBP" | "HEIF"
    width: int
    height: int


def _ftyp_kind(data: bytes) -> str | None:
    """Classify an ISO-BMFF file from its leading `ftyp` box (major + compatible brands)."""
    if data[4:8] != b"ftyp" or len(data) < 12:
        return None
    size = min(struct.unpack(">I", data[:4])[0], len(data))
    major = data[8:12]
    brands = {major} | {data[i : i + 4] for i in range(16, size - 3, 4)}
    # AVIF files also carry mif1/miaf, so AVIF wins unless an HEVC brand is present too.
    if major in _AVIF_BRANDS or (brands & _AVIF_BRANDS and not brands & _HEVC_BRANDS):
        return "AVIF image"
    if brands & _HEIF_BRANDS:
        return "HEIF"
    if major == b"qt  ":
        return "QuickTime video"
    if major in (b"M4A ", b"M4B "):
        return "audio file"
    return "MP4 video"


def _looks_like_text(data: bytes) -> bool:
    sample = data[:4096]
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as e:  # a multi-byte character cut by the sample boundary is still text
        if e.start < len(sample) - 3:
            return False
        text = sample[: e.start].decode("utf-8")
    return bool(text) and all(c.isprintable() or c in "\t\r\n\f" for c in text.lstrip("\ufeff"))


def sniff_format(data: bytes) -> str:
    """Name the file type from its magic bytes: an accepted format code, or a human-readable name."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if (kind := _ftyp_kind(data)) is not None:
        return kind
    signatures: list[tuple[bytes, str]] = [
        (b"GIF87a", "GIF image"),
        (b"GIF89a", "GIF image"),
        (b"BM", "BMP image"),
        (b"II*\x00", "TIFF image"),
        (b"MM\x00*", "TIFF image"),
        (b"%PDF", "PDF document"),
        (b"PK\x03\x04", "ZIP archive"),
        (b"PK\x05\x06", "ZIP archive"),
        (b"\x00\x00\x01\x00", "ICO icon"),
        (b"8BPS", "Photoshop document"),
        (b"\xff\x0a", "JPEG XL image"),
        (b"\x00\x00\x00\x0cJXL ", "JPEG XL image"),
        (b"\x00\x00\x00\x0cjP  ", "JPEG 2000 image"),
        (b"\x1f\x8b", "gzip archive"),
        (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
        (b"Rar!", "RAR archive"),
        (b"\xd0\xcf\x11\xe0", "Microsoft Office document"),
        (b"\x1aE\xdf\xa3", "video file"),
        (b"OggS", "audio file"),
        (b"ID3", "MP3 audio"),
    ]
    for magic, name in signatures:
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF":
        return {b"WAVE": "WAV audio", b"AVI ": "AVI video"}.get(head[8:12], "RIFF file")
    if data[128:132] == b"DICM":
        return "DICOM file"
    if _looks_like_text(data):
        lowered = data[:1024].lstrip().lower()
        if b"<svg" in lowered:
            return "SVG image"
        if lowered.startswith((b"<!doctype html", b"<html")):
            return "HTML page"
        return "text file"
    return "unknown file type"


def _size_text(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if n >= 1024:
        return f"{n / 1024:.1f} KB".replace(".0 KB", " KB")
    return f"{n} bytes"


def _megapixels(n: int) -> str:
    return f"{n / 1_000_000:.1f}".removesuffix(".0")


def _too_many_pixels(pixels: int | None, limit: int, size: tuple[int, int] | None = None) -> IntakeError:
    received = f"{_megapixels(pixels)} megapixels" if pixels else "very large"
    if size:
        received = f"{size[0]} x {size[1]} pixels ({received})"
    return IntakeError(
        "too_many_pixels",
        f"This image is {received}, which is more than the {_megapixels(limit)}-megapixel limit. "
        "Please attach a smaller version of the photo.",
    )


def _decode_failure(fmt: str, data: bytes, exc: Exception) -> IntakeError:
    """Tell a cut-off file (interrupted upload) from a damaged one, from the decoder's complaint."""
    text = str(exc).lower()
    riff_short = fmt == "WEBP" and len(data) >= 8 and struct.unpack("<I", data[4:8])[0] + 8 > len(data)
    name = _DISPLAY[fmt]
    if isinstance(exc, EOFError) or "truncat" in text or "end of file" in text or riff_short:
        return IntakeError(
            "truncated",
            f"This {name} file is incomplete: the image data stops early, which often happens when an upload "
            "is interrupted. Please try attaching the photo again.",
        )
    return IntakeError(
        "corrupt",
        f"This file starts like a {name} image but its contents are damaged and can't be read. "
        "Please try exporting or saving the photo again, then attach it.",
    )


def _to_rgb(im: Image.Image) -> Image.Image:
    """Any Pillow mode -> 8-bit RGB; transparency composited on neutral grey."""
    if im.mode.startswith("I;16") or im.mode in ("I", "F"):
        wide = im.convert("F")
        lo, hi = wide.getextrema()
        if im.mode.startswith("I;16") or (lo >= 0 and 255 < hi <= 65535):
            scale, offset = 1 / 257, 0.0  # 16-bit: scale 0..65535 to 0..255 (a plain convert would clip)
        elif im.mode == "F" and lo >= 0 and hi <= 1:
            scale, offset = 255.0, 0.0  # float images in 0..1
        elif lo >= 0 and hi <= 255:
            scale, offset = 1.0, 0.0
        else:
            scale = 255 / max(hi - lo, 1e-9)  # any other range: stretch to 0..255
            offset = -lo * scale
        # +0.5 because F -> L truncates; out-of-range values are clipped by the convert.
        im = wide.point(lambda v: v * scale + offset + 0.5).convert("L")
        im.info.pop("transparency", None)  # a 16-bit colour key no longer matches 8-bit values
    if "A" in im.getbands() or "a" in im.getbands() or "transparency" in im.info:
        rgba = im.convert("RGBA")
        out = Image.new("RGB", rgba.size, _GREY)
        out.paste(rgba.convert("RGB"), mask=rgba.getchannel("A"))  # alpha blend over grey
        return out
    return im.convert("RGB")


def load_image(data: bytes, limits: IntakeLimits = IntakeLimits()) -> CheckedImage:
    """Check and decode upload bytes. Raises IntakeError with a user-facing message on any problem."""
    if not data:
        raise IntakeError(
            "empty", f"The attached file is empty (0 bytes). Please attach a photo in {_ACCEPTED_TEXT} format."
        )
    if len(data) > limits.max_bytes:
        raise IntakeError(
            "too_large",
            f"This file is {_size_text(len(data))}, which is over the {_size_text(limits.max_bytes)} limit. "
            f"Please attach a smaller photo ({_ACCEPTED_TEXT}), for example by exporting it at a lower resolution.",
        )
    fmt = sniff_format(data)
    if fmt not in _DISPLAY:
        received = "isn't a recognised image type" if fmt == "unknown file type" else f"looks like a {fmt}"
        raise IntakeError(
            "unsupported_format", f"This file {received}. Please attach a photo in {_ACCEPTED_TEXT} format."
        )

    with warnings.catch_warnings():
        # Pillow's own bomb guard warns (or raises) inside open(); make both our error, never a bare warning.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            # formats=[fmt]: only the plugin matching the magic bytes may parse them.
            with Image.open(io.BytesIO(data), formats=[fmt]) as im:
                width, height = im.size
                # Header-only checks, before a single pixel is decoded.
                if width * height > limits.max_pixels:
                    raise _too_many_pixels(width * height, limits.max_pixels, (width, height))
                if min(width, height) < limits.min_side:
                    raise IntakeError(
                        "too_small",
                        f"This image is only {width} x {height} pixels; it needs to be at least {limits.min_side} "
                        "pixels on each side for the skin to be assessed. Please attach a larger, closer photo.",
                    )
                im.seek(0)  # animated images: first frame only
                im.load()
                # exif_transpose returns a new, detached image (a copy when there is no orientation tag).
                upright = ImageOps.exif_transpose(im)
                rgb = _to_rgb(upright)
        except IntakeError:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as e:
            found = re.search(r"\((\d+) pixels\)", str(e))
            raise _too_many_pixels(int(found.group(1)) if found else None, limits.max_pixels) from e
        except (OSError, ValueError, SyntaxError, EOFError, struct.error, RuntimeError) as e:
            # UnidentifiedImageError is an OSError; pillow_heif reports bad data as ValueError/RuntimeError.
            raise _decode_failure(fmt, data, e) from e

    return CheckedImage(image=rgb, format=fmt, width=rgb.width, height=rgb.height)


def load_image_file(path: str | Path, limits: IntakeLimits = IntakeLimits()) -> CheckedImage:
    """Read a file and check it like an upload; the file name and extension are ignored."""
    return load_image(Path(path).read_bytes(), limits)
