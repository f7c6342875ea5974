"""Raw HTML inside a lesson (`<img src="fig/a.png">` in Markdown, or a whole imported web page):
its local images are packed and served like Markdown images, or named in a warning.

Decisions: only `<img>` needs this. Its `src` is resolved like a Markdown image (relative to the
lesson, else to the pack root); a found file becomes the same `<img>` a Markdown image gives
(phone-sized variants, width and height, lazy loading) with the tag's own `alt`; a missing one
becomes the "missing image" note, and a web address a plain link (a page never loads anything
from the internet). Everything else in raw HTML is left to the sanitizer.
"""
import html
import re
from collections.abc import Callable

IMG_TAG = re.compile(r"<img\b[^>]*>", re.I)
ATTRIBUTE = re.compile(r"""([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+)""")
SCHEME = re.compile(r"\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:|[/\\]{2})")


def attributes(tag: str) -> dict[str, str]:
    """A start tag's attributes, names lower-cased, values unquoted and unescaped."""
    return {name.lower(): html.unescape(value.strip("\"'")) for name, value in ATTRIBUTE.findall(tag)}


def resolve_raw_images(text: str, context, img_tag: Callable, missing_label: str) -> str:
    """`text` with each `<img>` resolved through `context.resolve_asset` (warnings go to `context`)."""
    if "<img" not in text.lower():
        return text

    def swap(found: re.Match) -> str:
        attrs = attributes(found.group(0))
        src, alt = attrs.get("src", "").strip(), " ".join(attrs.get("alt", "").split())
        if SCHEME.match(src):
            context.warn(f"external image not loaded: {src[:80]}")
            safe = html.escape(src) if src.lower().startswith(("http:", "https:")) else ""
            return f'<a href="{safe}">{html.escape(alt or src)}</a>' if safe else html.escape(alt)
        asset = context.resolve_asset(src) if src else None
        if asset is None:
            context.warn(f"broken image link: {src[:80] or '(empty)'}")
            name = alt or src.split("?")[0].rsplit("/", 1)[-1]
            return f'<span class="missing-image">{html.escape(missing_label)}: {html.escape(name)}</span>'
        context.add_asset(src)
        if not alt:
            context.warn(f"image without alt text: {src[:80]}")
        return img_tag(asset, alt)

    return IMG_TAG.sub(swap, text)
