"""The one place a `next` (or any other address a request names) is turned into a redirect target.

Decisions: the target is read the way a browser will read the `Location` header, then kept only if it is
a path on this site. Browsers drop tabs and newlines anywhere in a URL, drop leading and trailing spaces
and control characters, and read a backslash as a slash in http(s) URLs; so `/%09/evil.example` (a tab
once the query string is decoded) and `/\\evil.example` both mean `//evil.example`, another site. We apply
the same steps first, refuse anything that then has a scheme or a host, or still holds a control
character, and percent-encode what is left so the header is plain ASCII. Anything refused becomes "/".
"""
import re
from urllib.parse import quote, urlsplit

_DROPPED_BY_BROWSERS = re.compile(r"[\t\n\r]")
_EDGE = "".join(map(chr, range(0x21)))  # C0 controls and space, trimmed at both ends
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_KEEP = "/?&=%#:@!$'()*+,;~-._"  # delimiters kept as they are; existing %-escapes stay escapes
MAX_LENGTH = 2000


def safe_redirect_target(target: str | None, default: str = "/") -> str:
    """`target` if it is a path on this site once read as a browser reads it, else `default`."""
    if not target or len(target) > MAX_LENGTH:
        return default
    seen = _DROPPED_BY_BROWSERS.sub("", target).strip(_EDGE).replace("\\", "/")
    if not seen.startswith("/") or seen.startswith("//") or _CONTROL.search(seen):
        return default
    parts = urlsplit(seen)
    if parts.scheme or parts.netloc:
        return default
    return quote(seen, safe=_KEEP)
