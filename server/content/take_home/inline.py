"""Making a lesson's sanitized HTML stand on its own: images inlined, links kept inside the file.

The lesson HTML was sanitized at import (nh3: every attribute `name="value"`, `"` escaped), so its tags can
be read with a regular expression. What changes, lesson by lesson:
* `<img>` from the pack becomes a phone-sized `data:` image (≤ 480 px wide, re-encoded once and kept under
  DATA/take-home/images), or, when the file's budget has no room left, a line naming the picture;
* `<audio>`/`<video>` become a line naming them (their transcripts follow the lesson; the media stay home);
* a lesson's labelled boxes (`<section>`, `<aside>`) become plain `<div>`s: in one file every lesson's
  "Key points" would be another landmark of the same name;
* ids get the lesson's prefix (many lessons share one document), and links follow: `#x` and links to other
  lessons of the pack point inside the file; links to the server (`/media/…`) lose their `href`;
* then the whole fragment goes through nh3 once more, so nothing but the lesson allowlist (and `data:`
  images) reaches the file.

Decisions: JPEG (or an indexed PNG when it is smaller: diagrams) rather than WebP, because old phone
browsers (KaiOS, Android 4 stock) read JPEG and PNG but not all read WebP. SVG stays SVG: inside `<img>`
a browser never runs an SVG's scripts. An image is only inlined from a blob the pack installed (the Blob
table), never from a learner's upload that a pack might point at.
"""
import base64
import html as html_lib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nh3

from server.content.blobs import BlobStore
from server.content.packs.images import ImageRejected, load_image
from server.i18n import lang_attributes
from server.content.packs.render import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, DROPPED_WITH_CONTENT

# (widest, JPEG quality): the first that fits what is left of the budget is used.
IMAGE_STEPS = ((480, 60), (320, 45))
MAX_SVG = 40_000
_START_TAG = re.compile(r'<([a-zA-Z][a-zA-Z0-9]*)((?:\s[\w:-]+="[^"]*")*)\s*(/?)>')
_ATTRIBUTE = re.compile(r'\s([\w:-]+)="([^"]*)"')
_MEDIA = re.compile(r"<(audio|video)\b((?:\s[\w:-]+=\"[^\"]*\")*)\s*>.*?</\1>", re.S)
_MEDIA_URL = re.compile(r"/media/([0-9a-f]{64})/([^\"/?#]*)")
_HEADING = re.compile(r"<(/?)h([1-6])\b")
HEADING_SHIFT = 2  # a lesson's own headings sit under the file's unit (h2) and lesson (h3) titles
_REGION_END = re.compile(r"</(?:section|aside)>")
_LESSON_LINK = re.compile(r"/packs/([a-z0-9-]+)/lessons/([^/?#]+)(#.*)?")
KEPT_TAGS = ALLOWED_TAGS - {"audio", "video", "source", "track"}
KEPT_ATTRIBUTES = {**{tag: set(names) - {"srcset", "sizes", "loading", "decoding"}
                      for tag, names in ALLOWED_ATTRIBUTES.items() if tag in KEPT_TAGS or tag == "*"},
                   "a": {"href", "rel"}}


@dataclass(frozen=True)
class EncodedImage:
    data: bytes
    media_type: str
    width: int | None
    height: int | None

    @property
    def data_uri(self) -> str:
        """The image as a `data:` URI."""
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode('ascii')}"

    @property
    def cost(self) -> int:
        """Bytes it adds to the file (base64 makes four of every three)."""
        return (len(self.data) + 2) // 3 * 4 + len(self.media_type) + 13


class Budget:
    """Bytes left for images in the file; each lesson earns its share, every image spends from it."""

    def __init__(self):
        self.left = 0

    def earn(self, amount: int) -> None:
        """Add (or, for text beyond its share, take away) bytes."""
        self.left += amount

    def spend(self, image: EncodedImage) -> bool:
        """Take an image's bytes if they fit; False (nothing taken) if not."""
        if image.cost > self.left:
            return False
        self.left -= image.cost
        return True


class Inliner:
    """Rewrites one pack's fragments: knows its installed blobs, the lesson anchors and the image cache."""

    def __init__(self, pack_id: str, store: BlobStore, cache: Path, pack_blobs: set[str],
                 anchors: dict[str, str], left_out: Callable[[str], str], note_language: str = "en"):
        self.pack_id, self.store, self.cache, self.pack_blobs = pack_id, store, cache, pack_blobs
        self.anchors, self.left_out = anchors, left_out
        self.note_attributes = str(lang_attributes(note_language))  # the note is in the reader's language

    def fragment(self, html: str, prefix: str, budget: Budget) -> str:
        """One lesson's (or question's) HTML, standing on its own, images paid for from `budget`."""
        html = _MEDIA.sub(lambda m: self._media_note(m.group(2)), html)
        html = _HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + HEADING_SHIFT)}", html)
        html = _REGION_END.sub("</div>", html)
        html = _START_TAG.sub(lambda m: self._tag(m, prefix, budget), html)
        return _final_clean(html)

    def _media_note(self, attributes: str) -> str:
        title = html_lib.unescape(dict(_ATTRIBUTE.findall(attributes)).get("title", ""))
        return self._note(title)

    def _note(self, title: str) -> str:
        return f'<span class="left-out" {self.note_attributes}>{html_lib.escape(self.left_out(title))}</span>'

    def _tag(self, match: re.Match, prefix: str, budget: Budget) -> str:
        tag, attributes = match.group(1).lower(), dict(_ATTRIBUTE.findall(match.group(2)))
        if tag == "img":
            return self._image(attributes, budget)
        if tag in ("section", "aside"):  # a lesson's labelled boxes repeat ("Key points") in every lesson
            tag = "div"
            attributes.pop("aria-labelledby", None)
        for name in ("id", "aria-labelledby"):
            if name in attributes:
                attributes[name] = f"{prefix}-{attributes[name]}"
        if tag == "a" and "href" in attributes:
            href = self._href(html_lib.unescape(attributes["href"]), prefix)
            if href is None:
                attributes.pop("href")
                attributes.pop("rel", None)
            else:
                attributes["href"] = html_lib.escape(href)
        return "<" + tag + "".join(f' {k}="{v}"' for k, v in attributes.items()) + match.group(3) + ">"

    def _href(self, href: str, prefix: str) -> str | None:
        if href.startswith("#"):
            return f"#{prefix}-{href[1:]}" if len(href) > 1 else None
        lesson = _LESSON_LINK.fullmatch(href)
        if lesson and lesson.group(1) == self.pack_id and lesson.group(2) in self.anchors:
            anchor = self.anchors[lesson.group(2)]
            return f"#{anchor}-{lesson.group(3)[1:]}" if lesson.group(3) else f"#{anchor}"
        return None if href.startswith("/") or not re.match(r"(?i)(https?|mailto):", href) else href

    def _image(self, attributes: dict, budget: Budget) -> str:
        alt = html_lib.unescape(attributes.get("alt", ""))
        found = _MEDIA_URL.fullmatch(html_lib.unescape(attributes.get("src", "")))
        image = None
        if found and found.group(1) in self.pack_blobs:
            for width, quality in IMAGE_STEPS:
                image = self.encoded(found.group(1), found.group(2), width, quality)
                if image is not None and budget.spend(image):
                    break
                image = None
        if image is None:
            return self._note(alt)
        size = "".join(f' {name}="{value}"' for name, value in (("width", image.width), ("height", image.height))
                       if value)
        return f'<img src="{image.data_uri}" alt="{html_lib.escape(alt)}"{size}>'

    def encoded(self, sha256: str, name: str, width: int, quality: int) -> EncodedImage | None:
        """A pack image made phone-sized (read from the cache after the first time); None if unreadable."""
        if name.lower().endswith(".svg"):
            data = self.store.path_for(sha256).read_bytes()
            return EncodedImage(data, "image/svg+xml", None, None) if len(data) <= MAX_SVG else None
        for suffix, media_type in ((".jpg", "image/jpeg"), (".png", "image/png")):
            cached = self.cache / f"{sha256}-{width}-{quality}{suffix}"
            if cached.is_file():
                return _with_size(cached.read_bytes(), media_type)
        try:
            data, suffix = _encode(self.store.path_for(sha256), width, quality)
        except (ImageRejected, OSError, ValueError):
            return None
        self.cache.mkdir(parents=True, exist_ok=True)
        target = self.cache / f"{sha256}-{width}-{quality}{suffix}"
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(target)
        return _with_size(data, "image/jpeg" if suffix == ".jpg" else "image/png")


def _encode(path: Path, width: int, quality: int) -> tuple[bytes, str]:
    """Re-encode a raster image at most `width` wide: JPEG, or an indexed PNG when smaller (few colours)."""
    with load_image(path, draft_size=(width, width * 4)) as img:
        has_alpha = img.mode in ("RGBA", "LA", "P") and (img.mode != "P" or "transparency" in img.info)
        rgb = img.convert("RGBA") if has_alpha else img.convert("RGB")
        if has_alpha:  # a phone's file viewer may show transparency as black: flatten onto white
            from PIL import Image  # Pillow loads on first use (see docs/architecture.md)

            white = Image.new("RGB", rgb.size, "white")
            white.paste(rgb, mask=rgb.getchannel("A"))
            rgb = white
        if rgb.width > width:
            rgb = rgb.resize((width, max(1, round(rgb.height * width / rgb.width))))
        jpeg = io.BytesIO()
        rgb.save(jpeg, "JPEG", quality=quality, optimize=True, progressive=True)
        best = (jpeg.getvalue(), ".jpg")
        if rgb.getcolors(64) is not None:  # a diagram: few colours, sharper and smaller as PNG
            png = io.BytesIO()
            rgb.quantize(64).save(png, "PNG", optimize=True)
            best = min(best, (png.getvalue(), ".png"), key=lambda pair: len(pair[0]))
        return best


def _with_size(data: bytes, media_type: str) -> EncodedImage:
    from PIL import Image  # Pillow loads on first use (see docs/architecture.md)

    with Image.open(io.BytesIO(data)) as img:
        return EncodedImage(data, media_type, img.width, img.height)


def _final_clean(html: str) -> str:
    return nh3.clean(html, tags=KEPT_TAGS, clean_content_tags=DROPPED_WITH_CONTENT, attributes=KEPT_ATTRIBUTES,
                     attribute_filter=_only_data_images, url_schemes={"http", "https", "mailto", "data"},
                     link_rel=None, strip_comments=True)


def _only_data_images(tag: str, name: str, value: str) -> str | None:
    """`data:` only for an image we made (a raster or SVG image type); everything else as the import left it."""
    if value.lstrip().lower().startswith("data:"):
        return value if tag == "img" and name == "src" and re.match(r"data:image/(jpeg|png|svg\+xml);base64,",
                                                                      value) else None
    return value
