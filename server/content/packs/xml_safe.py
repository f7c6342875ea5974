"""Reading XML from packages we did not make (IMS manifests, QTI): safely, or not at all.

Decisions: defusedxml refuses DTD-declared entities (billion laughs), external entities (XXE) and
external DTDs, so parsing never expands anything and never reaches the network; a document that
tries is refused with one sentence naming the file, and so is one nested more than MAX_DEPTH levels
deep (writing such a tree back out would exhaust Python's recursion limit). Element names are compared
without their namespace, because every IMS version uses its own.
"""
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from server.errors import PackError

MAX_XML_BYTES = 20_000_000
MAX_DEPTH = 200  # IMS manifests and QTI items nest a few dozen levels; serializing deeper ones would recurse


def parse_xml_file(path: Path, name: str):
    """The root element of an XML file; PackError naming `name` if it is unsafe or malformed."""
    try:
        data = path.read_bytes()
    except OSError:
        raise PackError("the file cannot be read", name) from None
    if len(data) > MAX_XML_BYTES:
        raise PackError(f"the XML file is larger than {MAX_XML_BYTES // 1_000_000} MB", name)
    try:
        return _shallow(fromstring(data.removeprefix(b"\xef\xbb\xbf"), forbid_dtd=False, forbid_entities=True,
                                   forbid_external=True), name)
    except DefusedXmlException:
        raise PackError("the XML declares entities or points outside itself; Lantern never expands "
                        "or fetches them, so this file is refused", name) from None
    except ParseError as err:
        raise PackError(f"this is not well-formed XML ({err})", name) from None


def parse_xml_text(text: str, name: str):
    """The root element of XML text (as `parse_xml_file`)."""
    try:
        return _shallow(fromstring(text.removeprefix("\ufeff").encode("utf-8"), forbid_dtd=False,
                                   forbid_entities=True, forbid_external=True), name)
    except DefusedXmlException:
        raise PackError("the XML declares entities or points outside itself; Lantern never expands "
                        "or fetches them, so this file is refused", name) from None
    except (ParseError, ValueError) as err:
        raise PackError(f"this is not well-formed XML ({err})", name) from None


def _shallow(root, name: str):
    """The root, once its tree is known to be at most MAX_DEPTH levels deep (walked without recursion)."""
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise PackError(f"the XML is nested more than {MAX_DEPTH} levels deep", name)
        stack.extend((child, depth + 1) for child in element)
    return root


def local(tag) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def text_of(element) -> str:
    """All the text inside an element, or "" for None."""
    return "".join(element.itertext()).strip() if element is not None else ""
