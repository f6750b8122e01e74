"""Images a user attaches, decoded safely: a format allowlist, a pixel limit, RGB out.

Only PNG, JPEG, WebP, GIF (its first frame) and BMP are decoded, and the
format is read from the file's own first bytes, never from its name; Pillow
is told to try that one decoder only. The size in the header is checked
before any pixel is decoded: more than ``MAX_PIXELS`` is refused (a
decompression bomb claims a huge canvas in a few kilobytes), and Pillow's own
guard (``Image.MAX_IMAGE_PIXELS``) is set to the same limit as a second
line. A damaged or truncated file raises :class:`ImageRejected` naming it.

Decoded images are turned upright (EXIF orientation), flattened onto white
when transparent, converted to RGB and shrunk so the long side is at most
``MAX_SIDE`` pixels (projectors resize to a few hundred pixels anyway).
Pillow is imported on first use.
"""
from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from typing import Any, BinaryIO

from engine.errors import ImageRejected

MAX_PIXELS = 40_000_000          # 40 megapixels: more than any camera photo, far less than a bomb
MAX_SIDE = 2048                  # the long side of the RGB image handed to the model
MAX_BYTES = 100 * 1024 * 1024    # an image file larger than this is refused before it is read

FORMATS = {"PNG": ("image/png", ".png"), "JPEG": ("image/jpeg", ".jpg"), "WEBP": ("image/webp", ".webp"),
           "GIF": ("image/gif", ".gif"), "BMP": ("image/bmp", ".bmp")}
SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".webp", ".gif", ".bmp", ".dib", ".tif", ".tiff",
                      ".heic", ".heif", ".avif", ".ico", ".jxl", ".jp2", ".psd", ".tga"})
_ALLOWED = "PNG, JPEG, WebP, GIF or BMP"


@dataclass(frozen=True)
class ImageFacts:
    format: str      # "PNG", "JPEG", "WEBP", "GIF", "BMP"
    mime: str
    suffix: str      # the suffix its stored copy gets: ".png", ".jpg" …
    width: int       # upright (after the EXIF orientation), before any shrinking
    height: int


def sniff(head: bytes) -> str | None:
    """The allowed format these first bytes start, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:2] == b"BM" and len(head) >= 26:
        return "BMP"
    return None


def looks_like_image(name: str, head: bytes) -> bool:
    """Whether a file is meant as an image: an allowed header, or a name that says so."""
    return sniff(head) is not None or os.path.splitext(name)[1].lower() in SUFFIXES


def fit_size(width: int, height: int, limit: int = MAX_SIDE) -> tuple[int, int]:
    """The size an image of ``width`` × ``height`` is shrunk to (the long side at most ``limit``)."""
    side = max(width, height)
    if side <= limit:
        return width, height
    scale = limit / side
    return max(1, min(limit, round(width * scale))), max(1, min(limit, round(height * scale)))


def _pillow() -> Any:
    from PIL import Image
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS   # Pillow warns above this and refuses above twice it
    return Image


def _open(source: BinaryIO, name: str) -> tuple[Any, str]:
    """The image opened lazily (only its header read), checked against the allowlist and the pixel limit."""
    Image = _pillow()
    head = source.read(32)
    source.seek(0)
    fmt = sniff(head)
    if fmt is None:
        raise ImageRejected(f"{name} is not a {_ALLOWED} image (its contents say otherwise, whatever its name).",
                            path=name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(source, formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name, _claimed_size(source, fmt)) from None
    except Exception as exc:  # noqa: BLE001 - any decoder failure means a damaged file
        raise _damaged(name, fmt, exc) from None
    width, height = image.size
    if width <= 0 or height <= 0:
        raise _damaged(name, fmt, ValueError(f"size {width}x{height}"))
    if width * height > MAX_PIXELS:
        raise _too_many_pixels(name, (width, height))
    return image, fmt


def _claimed_size(source: BinaryIO, fmt: str) -> tuple[int, int] | None:
    """The size a header claims, read by the format's own plugin without Pillow's guard (for the message)."""
    Image = _pillow()
    try:
        Image.init()
        source.seek(0)
        return tuple(Image.OPEN[fmt][0](source).size)  # type: ignore[return-value]
    except Exception:  # noqa: BLE001 - the message then gives no size
        return None


def _too_many_pixels(name: str, size: tuple[int, int] | None) -> ImageRejected:
    limit = f"{MAX_PIXELS / 1e6:g} MP"
    if size is None:
        return ImageRejected(f"{name} has too many pixels; the limit is {limit}.", path=name)
    w, h = size
    return ImageRejected(f"{name} is {w}×{h} pixels ({w * h / 1e6:,.0f} MP); the limit is {limit}.", path=name,
                         hint="Shrink the image (or take a screenshot of the part that matters) and attach it again.")


def _damaged(name: str, fmt: str, exc: BaseException) -> ImageRejected:
    return ImageRejected(f"{name} could not be decoded as {fmt}: it is damaged or incomplete ({exc}).", path=name,
                         hint="Open it in an image viewer and save a new copy as PNG or JPEG, then attach that.")


def _decode(source: BinaryIO, name: str, *, shrink: bool) -> tuple[ImageFacts, Any]:
    """Decode every pixel (a damaged file fails here); with ``shrink`` also the RGB image to send."""
    Image = _pillow()
    from PIL import ImageOps
    image, fmt = _open(source, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if fmt == "JPEG" and shrink:
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))   # decode at a reduced scale when that is enough
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            width, height = upright.size
            if not shrink:          # checked and measured: nothing more is needed
                rgb = None
            elif upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info):
                rgba = upright.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                rgb = flat
            else:
                rgb = upright.convert("RGB")
            if rgb is not None and max(rgb.size) > MAX_SIDE:
                rgb = rgb.resize(fit_size(*rgb.size), Image.Resampling.LANCZOS, reducing_gap=3.0)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name, image.size) from None
    except MemoryError:
        raise ImageRejected(f"{name} needs more memory to decode than is free.", path=name) from None
    except Exception as exc:  # noqa: BLE001 - a truncated stream, a bad chunk, a decoder error
        raise _damaged(name, fmt, exc) from None
    finally:
        image.close()
    mime, suffix = FORMATS[fmt]
    return ImageFacts(fmt, mime, suffix, width, height), rgb


def inspect_bytes(data: bytes, name: str) -> ImageFacts:
    """Check and fully decode an image held in memory; its facts, or ImageRejected."""
    if len(data) > MAX_BYTES:
        raise ImageRejected(f"{name} is {len(data) / 1e6:,.0f} MB; images up to {MAX_BYTES // 2**20} MB are "
                            "accepted.", path=name)
    facts, _ = _decode(io.BytesIO(data), name, shrink=False)
    return facts


def rgb_bytes(data: bytes, name: str) -> tuple[int, int, bytes]:
    """The image as ``(width, height, RGB bytes)``, shrunk to at most ``MAX_SIDE`` on its long side."""
    _, rgb = _decode(io.BytesIO(data), name, shrink=True)
    return rgb.size[0], rgb.size[1], rgb.tobytes()
