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


def prepare_image(source: Path, name: str) -> PreparedImage:
    """Check a raster image and make phone-sized variants; PackError for bombs and broken files."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(source) as img:
                width, height = img.size
                if width * height > MAX_PIXELS:
                    raise PackError(f"the image is {width}x{height} pixels, more than we accept", name)
                img.load()
                return PreparedImage(width, height, tuple(_variants(img)))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PackError("the image declares an enormous size (a pixel bomb)", name) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
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
