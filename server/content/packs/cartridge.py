"""IMS Common Cartridge (1.0–1.3) and IMS Content Packaging (1.1, 1.2) as a pack source.

An LMS export (`.imscc`, a `.zip`, or its unzipped folder) has an `imsmanifest.xml`: an organization
(the course outline) whose items point at resources. Mapping:

    organization: an item with children      a unit (deeper levels are flattened into it, in order)
    webcontent .html/.htm resource            a lesson: the page's body, sanitized, with its images
    web link (imswl)                          a lesson with the link, marked "needs the internet"
    LTI link (imsbasiclti)                    a lesson naming the tool, marked "needs the internet"
    discussion topic (imsdt)                  a lesson with the topic's text
    QTI 2.1 item, QTI 1.2 assessment          practice items of the unit (`quiz.qti`, `quiz.qti12`)
    QTI 2.1 assessment test                   left out (its items come one by one), checked first so a
                                              broken one is named with its fault (`quiz.qti_assessment`)
    anything else (files, LMS settings)       left out, named in the import report with the reason

No organization (a plain content package): every resource in manifest order, in one unit.

Decisions:
* XML is read with defusedxml: no DTD-declared entities, no external entities, nothing fetched;
  such a manifest is refused with one sentence. A resource href is percent-decoded and must stay
  inside the package, or the whole package is refused (nothing is built).
* The package is worked on in a staging copy (`stage_package`): a page becomes a Markdown file
  written next to it (`page.html` → `page.html.lantern.md`), so its relative image paths resolve.
  The generated lesson is one raw-HTML block, which the usual pipeline sanitizes and whose `<img>`
  are packed (`raw_html.py`). Lesson ids come from the manifest's identifiers, stable across exports.
"""
import html
import re
import urllib.parse
from pathlib import Path

import yaml

from server.errors import PackError
from server.content.packs.archive import safe_pack_path
from server.content.packs.spec import PracticeSource, SourceSpec, UnitSource
from server.content.packs.xml_safe import local, parse_xml_file, text_of
from server.content.quiz.items import slugify_id
from server.content.quiz.qti_assessment import assessment_test_problem

MANIFEST = "imsmanifest.xml"
PAGE_SUFFIXES = (".html", ".htm", ".xhtml")
GENERATED = ".lantern.md"
BODY = re.compile(r"<body\b[^>]*>(.*)</body\s*>", re.I | re.S)
TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.I | re.S)
DROPPED = re.compile(r"<(script|style|head)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)


def is_package(src: Path) -> bool:
    """Whether a folder is an IMS package (it has an imsmanifest.xml)."""
    return (src / MANIFEST).is_file()


def read_package(src: Path) -> SourceSpec:
    """A staged package folder as a pack source; writes the generated lesson files into it."""
    root = parse_xml_file(src / MANIFEST, MANIFEST)
    resources = {r.get("identifier"): r for r in _children(_child(root, "resources"), "resource")}
    reader = _Reader(src, resources)
    outline = _outline(root)
    if outline is None:
        units = [reader.unit("resources", _title(root, src), [(r.get("identifier"), None) for r in resources.values()])]
    else:
        units = [reader.unit(unit_id, title, leaves) for unit_id, title, leaves in outline]
        used = {ref for _, _, leaves in outline for ref, _ in leaves}
        pages = [(ref, None) for ref, r in resources.items() if ref not in used and r.get("type") == "webcontent"
                 and (r.get("href") or "").lower().endswith(PAGE_SUFFIXES)]
        if pages:  # Canvas keeps wiki pages that no module lists: still course content
            units.append(reader.unit("other-pages", "Other pages", pages))
    units = [u for u in units if u.lessons or u.practice] or units[:1]
    if not any(u.lessons or u.practice for u in units):
        why = "; ".join(reader.skipped[:5]) or "it lists no resources"
        raise PackError(f"this package has nothing Lantern can show ({why})", MANIFEST)
    meta = {"format": 1, "id": _pack_id(_title(root, src)), "version": "1.0.0", "title": _title(root, src),
            "language": "en", "licence": _rights(root) or "unspecified", "authors": [], "description": "",
            "subjects": []}
    return SourceSpec(meta, [], units, reader.warnings, reader.report)


class _Reader:
    """Turns the resources an outline points at into lesson files, noting what it leaves out."""

    def __init__(self, src: Path, resources: dict):
        self.src, self.resources = src, resources
        self.warnings: list[str] = []
        self.skipped: list[str] = []
        self.report: list[dict] = []
        self.ids: set[str] = set()

    def unit(self, unit_id: str, title: str, leaves: list[tuple[str, str | None]]) -> UnitSource:
        """A unit of the lessons and practice made from (resource id, item title) pairs."""
        lessons, practice = [], []
        for ref, label in leaves:
            resource = self.resources.get(ref)
            kind = resource.get("type", "") if resource is not None else ""
            if "imsqti_item_xmlv2p1" in kind or "imsqti_xmlv1p2" in kind:
                href = _href(resource.get("href") or _first_file(resource))
                if href and (self.src / href).is_file():
                    practice.append(PracticeSource(href, format="qti21" if "v2p1" in kind else "qti12"))
                else:
                    self._skip(label or ref, "the question file is missing from the package")
            elif "imsqti_test_xmlv2p1" in kind:
                href = _href(resource.get("href") or _first_file(resource))
                self._skip(href or ref, self._test_reason(href))
            elif path := self._lesson(ref, label):
                lessons.append(path)
        return UnitSource(_unique(slugify_id(unit_id) or "unit", set()), title[:200] or "Unit", lessons, practice)

    def _test_reason(self, href: str | None) -> str:
        """Why an assessment test is left out: its items come one by one, or what is broken in it."""
        if not href or not (self.src / href).is_file():
            return "the assessment test file is missing from the package"
        try:
            problem = assessment_test_problem(parse_xml_file(self.src / href, href))
        except PackError as err:
            return err.reason
        return problem or "an assessment test: its questions come in one by one"

    def _lesson(self, ref: str | None, label: str | None) -> str | None:
        resource = self.resources.get(ref)
        if resource is None:
            self._skip(label or str(ref), "the outline points at a resource the manifest does not have")
            return None
        kind, href = resource.get("type", ""), _href(resource.get("href") or _first_file(resource))
        name = label or href or ref
        if kind == "webcontent" and href and href.lower().endswith(PAGE_SUFFIXES):
            return self._page(ref, label, href)
        try:
            if "imswl" in kind or "imsbasiclti" in kind:
                return self._link_lesson(ref, label, resource, "imswl" if "imswl" in kind else "imsbasiclti")
            if "imsdt" in kind:
                return self._topic(ref, label, resource)
        except PackError as err:  # a broken description file loses its own lesson only
            self._skip(err.path or name, err.reason)
            return None
        reason = ("this QTI version is not read" if "qti" in kind else
                  "LMS settings, not course content" if "learning-application-resource" in kind else
                  f"a file ({Path(href or 'x').suffix or 'no suffix'}), not a web page" if kind == "webcontent"
                  else f"resource type {kind or '(none)'} is not read")
        self._skip(name, reason)
        return None

    def _page(self, ref: str, label: str | None, href: str) -> str | None:
        path = self.src / href
        if not path.is_file():
            self._skip(href, "the file is missing from the package")
            return None
        page = path.read_bytes().decode("utf-8", errors="replace")
        body = BODY.search(page)
        content = DROPPED.sub("", body.group(1) if body else page)
        if not re.sub(r"<[^>]+>|&nbsp;|\s", "", content):
            self._skip(href, "the page is empty")
            return None
        title = label or _strip_tags(TITLE.search(page).group(1) if TITLE.search(page) else "") or Path(href).stem
        return self._write(ref, title, href, content)

    def _link_lesson(self, ref: str, label: str | None, resource, kind: str) -> str | None:
        href = _href(resource.get("href")) or _href(_first_file(resource))
        if not href or not (self.src / href).is_file():
            self._skip(label or ref, "its description file is missing")
            return None
        root = parse_xml_file(self.src / href, href)
        title = label or text_of(_child(root, "title")) or ref
        url = (_child(root, "url").get("href") if _child(root, "url") is not None
               else text_of(_child(root, "secure_launch_url")) or text_of(_child(root, "launch_url")))
        what = "This web page" if kind == "imswl" else "This activity runs on another site (an LTI tool) and"
        safe = url if url and url.lower().startswith(("http://", "https://")) else ""
        body = (f'<p>{what} needs the internet: <a href="{_esc(safe)}">{_esc(safe or title)}</a></p>' if safe
                else f"<p>{what} needs the internet.</p>")
        if kind != "imswl":
            self.warnings.append(f"{href}: the LTI tool “{title}” cannot run here; its lesson says it needs the internet")
        return self._write(ref, title, href, body)

    def _topic(self, ref: str, label: str | None, resource) -> str | None:
        href = _href(resource.get("href")) or _href(_first_file(resource))
        if not href or not (self.src / href).is_file():
            self._skip(label or ref, "its description file is missing")
            return None
        root = parse_xml_file(self.src / href, href)
        title = label or text_of(_child(root, "title")) or ref
        return self._write(ref, title, href, text_of(_child(root, "text")) or "<p></p>")

    def _write(self, ref: str, title: str, href: str, body: str) -> str:
        lesson_id = _unique(slugify_id(ref) or "lesson", self.ids)
        front = yaml.safe_dump({"id": lesson_id, "title": " ".join(title.split())[:200]}, allow_unicode=True)
        body = re.sub(r"\n\s*\n", "\n", body.strip())  # one HTML block: Markdown ends one at a blank line
        target = f"{href}{GENERATED}"
        (self.src / target).write_text(f"---\n{front}---\n<div class=\"imported\">\n{body}\n</div>\n", "utf-8")
        return target

    def _skip(self, what: str, reason: str) -> None:
        self.skipped.append(f"{what}: {reason}")
        self.report.append({"source": str(what)[:500], "lessons": 0, "items": 0, "skipped": [reason]})


def _outline(root) -> list[tuple[str, str, list]] | None:
    """(unit id, title, [(resource id, item title)]) per unit of the default organization, or None."""
    orgs = _child(root, "organizations")
    candidates = _children(orgs, "organization")
    if not candidates:
        return None
    default = orgs.get("default")
    org = next((o for o in candidates if o.get("identifier") == default), candidates[0])
    items = _children(org, "item")
    while (len(items) == 1 and not items[0].get("identifierref") and _children(items[0], "item")
           and all(_children(child, "item") for child in _children(items[0], "item"))):
        items = _children(items[0], "item")  # a "rooted hierarchy": one invisible root over the modules
    if not items:
        return None
    units, loose = [], []
    for item in items:
        if _children(item, "item"):
            units.append((item.get("identifier") or f"unit-{len(units) + 1}", _item_title(item), _leaves(item)))
        elif item.get("identifierref"):
            loose.append((item.get("identifierref"), _item_title(item) or None))
    if loose:
        units.insert(0, ("course", text_of(_child(org, "title")) or "Course", loose))
    return units


def _leaves(item) -> list[tuple[str, str | None]]:
    found = []
    for child in _children(item, "item"):
        if child.get("identifierref"):
            found.append((child.get("identifierref"), _item_title(child) or None))
        found.extend(_leaves(child))
    return found


def _item_title(item) -> str:
    return " ".join(text_of(_child(item, "title")).split())


def _title(root, src: Path) -> str:
    for element in root.iter():
        if local(element.tag) == "title" and local(_parent_tag(root, element)) == "general":
            text = " ".join("".join(element.itertext()).split())
            if text:
                return text[:200]
    return src.name[:200] or "Course"


def _parent_tag(root, element) -> str:
    for parent in root.iter():
        if element in list(parent):
            return parent.tag
    return ""


def _rights(root) -> str | None:
    for element in root.iter():
        if local(element.tag) == "rights":
            text = " ".join("".join(element.itertext()).split())
            return text[:100] if text else None
    return None


def _href(value: str | None) -> str | None:
    """A resource href as a pack path: percent-decoded, and refused if it leaves the package."""
    if not value:
        return None
    decoded = urllib.parse.unquote(value.split("#")[0].split("?")[0])
    try:
        return safe_pack_path(decoded)
    except PackError:
        raise PackError(f"the href {value[:80]!r} leaves the package; nothing was imported", MANIFEST) from None


def _first_file(resource) -> str | None:
    files = _children(resource, "file")
    return files[0].get("href") if files else None


def _child(element, name: str):
    return next((c for c in list(element) if local(c.tag) == name), None) if element is not None else None


def _children(element, name: str) -> list:
    return [c for c in list(element) if local(c.tag) == name] if element is not None else []


def _strip_tags(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def _esc(text: str) -> str:
    return html.escape(text)


def _unique(base: str, taken: set[str]) -> str:
    base = base[:72].rstrip("-_.") or "x"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


def _pack_id(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", slugify_id(title)).strip("-")[:64].strip("-")
    return slug if len(slug) >= 2 else "course"
