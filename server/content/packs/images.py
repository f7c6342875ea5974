"""Preparing pack images for phones: size checks (pixel bombs) and smaller variants."""
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from server.errors import PackError

RASTER_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp"}
MAX_PIXELS = 40_000_000  # a 40-megapixel image is already far beyond any lesson's needs
VARIANT_WIDTHS = (320, 640)


@dataclass(frozen=True)
class ImageVariant:
    width: int
    height: int
    data: bytes
    suffix: str


@dataclass(frozen=True)
class PreparedImage:
    width: int
    height: int
    variants: tuple[ImageVariant, ...]  # smaller copies, narrowest first


def is_raster(path: str) -> bool:
    """True for image types we resize (SVG is served as is)."""
    return Path(path).suffix.lower() in RASTER_SUFFIXES


class ImageRejected(Exception):
    """An image we will not decode: unreadable, or too many pixels (a pixel bomb)."""


def load_image(source, draft_size: tuple[int, int] | None = None) -> Image.Image:
    """Open and decode a raster image (a path or a file object), refusing pixel bombs before
    decoding; ImageRejected for bombs and broken files. Pack images and learners' uploads both use it.
    With `draft_size`, a JPEG is decoded at a reduced scale no smaller than that (far less memory)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(source)
            width, height = img.size
            if width * height > MAX_PIXELS:
                img.close()
                raise ImageRejected(f"the image is {width}x{height} pixels, more than we accept")
            if draft_size and img.format == "JPEG":
                img.draft("RGB", draft_size)
            img.load()
            return img
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected("the image declares an enormous size (a pixel bomb)") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
            raise ImageRejected(f"the image cannot be read ({err})") from None


def prepare_image(source: Path, name: str) -> PreparedImage:
    """Check a raster image and make phone-sized variants; PackError for bombs and broken files."""
    try:
        with load_image(source) as img:
            return PreparedImage(img.width, img.height, tuple(_variants(img)))
    except ImageRejected as err:
        raise PackError(str(err), name) from None
    except (OSError, ValueError) as err:
        raise PackError(f"the image cannot be read ({err})", name) from None


def _variants(img: Image.Image) -> list[ImageVariant]:
    has_alpha = img.mode in ("RGBA", "LA", "P") and (img.mode != "P" or "transparency" in img.info)
    base = img.convert("RGBA" if has_alpha else "RGB")
    out = []
    for width in VARIANT_WIDTHS:
        if width >= img.width:
            break
        height = max(1, round(img.height * width / img.width))
        small = base.resize((width, height), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        if has_alpha:
            small.save(buf, "PNG", optimize=True)
            suffix = ".png"
        else:
            small.save(buf, "JPEG", quality=75, optimize=True, progressive=True)
            suffix = ".jpg"
        out.append(ImageVariant(width, height, buf.getvalue(), suffix))
    return out
