"""Image intake: untrusted upload bytes -> a checked, fully decoded RGB image, or an IntakeError with a
code and the catalogue message (intake.*) that words it.

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

from tools.text import Message, msg, render, term

pillow_heif.register_heif_opener()  # adds the "HEIF" Pillow plugin; once, at import

# The kinds of file sniff_format names (Pillow's format names for the accepted ones); each is worded by
# the catalogue's file_kind.<kind>.
ACCEPTED = ("JPEG", "PNG", "WEBP", "HEIF")
KINDS = ACCEPTED + ("avif", "quicktime", "audio", "mp4", "gif", "bmp", "tiff", "pdf", "zip", "ico", "psd", "jxl",
                    "jp2", "gzip", "7z", "rar", "ms_office", "video", "mp3", "wav", "avi", "riff", "dicom", "svg",
                    "html", "text", "unknown")
_ACCEPTED_TEXT = msg("intake.accepted")
_GREY = (128, 128, 128)  # neutral background for transparent pixels

# ISO-BMFF brands: HEVC-coded HEIF, and the generic image brands (also used by AVIF, hence the check below).
_HEVC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_HEIF_BRANDS = _HEVC_BRANDS | {b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}


class IntakeError(Exception):
    """A rejected upload. `code` is stable for machines; `text` says why, as a catalogue message."""

    def __init__(self, code: str, text: Message) -> None:
        super().__init__(code, text)
        self.code, self.text = code, text

    @property
    def message(self) -> str:
        """In the default locale (logs, the CLI, the API); an edge with a locale renders `text` itself."""
        return render(self.text)

    def __str__(self) -> str:
        return self.message


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
        return "avif"
    if brands & _HEIF_BRANDS:
        return "HEIF"
    if major == b"qt  ":
        return "quicktime"
    if major in (b"M4A ", b"M4B "):
        return "audio"
    return "mp4"


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
    """The kind of file (one of KINDS) from its magic bytes."""
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
        (b"GIF87a", "gif"),
        (b"GIF89a", "gif"),
        (b"BM", "bmp"),
        (b"II*\x00", "tiff"),
        (b"MM\x00*", "tiff"),
        (b"%PDF", "pdf"),
        (b"PK\x03\x04", "zip"),
        (b"PK\x05\x06", "zip"),
        (b"\x00\x00\x01\x00", "ico"),
        (b"8BPS", "psd"),
        (b"\xff\x0a", "jxl"),
        (b"\x00\x00\x00\x0cJXL ", "jxl"),
        (b"\x00\x00\x00\x0cjP  ", "jp2"),
        (b"\x1f\x8b", "gzip"),
        (b"7z\xbc\xaf\x27\x1c", "7z"),
        (b"Rar!", "rar"),
        (b"\xd0\xcf\x11\xe0", "ms_office"),
        (b"\x1aE\xdf\xa3", "video"),
        (b"OggS", "audio"),
        (b"ID3", "mp3"),
    ]
    for magic, name in signatures:
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF":
        return {b"WAVE": "wav", b"AVI ": "avi"}.get(head[8:12], "riff")
    if data[128:132] == b"DICM":
        return "dicom"
    if _looks_like_text(data):
        lowered = data[:1024].lstrip().lower()
        if b"<svg" in lowered:
            return "svg"
        if lowered.startswith((b"<!doctype html", b"<html")):
            return "html"
        return "text"
    return "unknown"


def _too_many_pixels(pixels: int | None, limit: int, size: tuple[int, int] | None = None) -> IntakeError:
    """How much is said depends on what is known: Pillow's own guard may stop before the header is read."""
    limit_mp = limit / 1_000_000
    if size:
        text = msg("intake.too_many_pixels", width=size[0], height=size[1], megapixels=size[0] * size[1] / 1_000_000,
                   limit=limit_mp)
    elif pixels:
        text = msg("intake.too_many_pixels_unsized", megapixels=pixels / 1_000_000, limit=limit_mp)
    else:
        text = msg("intake.too_many_pixels_unknown", limit=limit_mp)
    return IntakeError("too_many_pixels", text)


def _decode_failure(fmt: str, data: bytes, exc: Exception) -> IntakeError:
    """Tell a cut-off file (interrupted upload) from a damaged one, from the decoder's complaint."""
    text = str(exc).lower()
    riff_short = fmt == "WEBP" and len(data) >= 8 and struct.unpack("<I", data[4:8])[0] + 8 > len(data)
    if isinstance(exc, EOFError) or "truncat" in text or "end of file" in text or riff_short:
        return IntakeError("truncated", msg("intake.truncated", kind=term("file_kind", fmt)))
    return IntakeError("corrupt", msg("intake.corrupt", kind=term("file_kind", fmt)))


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
    """Check and decode upload bytes. Raises IntakeError, with the code of the problem, on any problem."""
    if not data:
        raise IntakeError("empty", msg("intake.empty", accepted=_ACCEPTED_TEXT))
    if len(data) > limits.max_bytes:
        raise IntakeError("too_large", msg("intake.too_large", size=len(data), limit=limits.max_bytes,
                                           accepted=_ACCEPTED_TEXT))
    fmt = sniff_format(data)
    if fmt == "unknown":
        raise IntakeError("unsupported_format", msg("intake.unrecognised_format", accepted=_ACCEPTED_TEXT))
    if fmt not in ACCEPTED:
        raise IntakeError("unsupported_format", msg("intake.unsupported_format", kind=term("file_kind", fmt),
                                                    accepted=_ACCEPTED_TEXT))

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
                    raise IntakeError("too_small", msg("intake.too_small", width=width, height=height,
                                                       min_side=limits.min_side))
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
