"""Resolving links written inside a pack (relative to the file that contains them)."""
import posixpath
from urllib.parse import unquote, urlsplit


def resolve_href(base_file: str, href: str) -> str | None:
    """The pack path an href in `base_file` points to, or None if it is external or leaves the pack."""
    if not href or href.startswith(("#", "/", "\\")):
        return None
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return None
    target = posixpath.normpath(posixpath.join(posixpath.dirname(base_file), unquote(parts.path)))
    if target in (".", "") or target.startswith("../") or target == "..":
        return None
    return target


def fragment_of(href: str) -> str:
    """The '#fragment' of an href (with the '#'), or ''."""
    fragment = urlsplit(href).fragment
    return f"#{fragment}" if fragment else ""
