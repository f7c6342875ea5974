"""One or several .h5p files → a pack folder → the ordinary verify → prepare → install pipeline.

Each package becomes a lesson (id: its file name) in one unit. A package of a type in
`questions.NATIVE` also becomes a skill with native practice items; any other type becomes a page with
its text and pictures and a plain note that the interactive part cannot be shown (Lantern does not run
H5P's scripts: a package does not carry the H5P core player they need).
"""
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from server.errors import PackError
from server.content.h5p.package import H5PPackage, open_packages
from server.content.h5p.questions import NATIVE, items_for
from server.content.kolibri.pack_folder import PackFolder
from server.content.packs.build import write_pack_archive
from server.content.packs.install import ImportResult, Library, import_pack
from server.content.packs.manifest import MANIFEST_NAME
from server.content.quiz.items import slugify_id

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}
LICENCES = {"U": "Undisclosed", "C": "All rights reserved", "PD": "Public domain", "ODC PDDL": "ODC-PDDL"}
SKIPPED_SECTIONS = {"l10n", "behaviour", "confirmCheck", "confirmRetry", "metadata", "a11y", "texts",
                    "overallFeedback", "UI", "override", "copyright"}
SKIPPED_KEYS = {"path", "mime", "library", "subContentId", "license", "contentType", "machineName"}


@dataclass
class H5PConversion:
    lessons: int = 0
    items: int = 0
    shown_as_text: list[str] = field(default_factory=list)  # "file: H5P.Type"
    warnings: list[str] = field(default_factory=list)

    def report(self) -> list[str]:
        """Plain sentences for the person importing."""
        lines = [f"Converted {self.lessons} H5P activities into {self.items} practice items."]
        if self.shown_as_text:
            lines.append("Shown as text and pictures (their type cannot run without JavaScript here): "
                         + "; ".join(self.shown_as_text))
        return lines + self.warnings


def h5p_sources(path: Path) -> list[Path]:
    """The .h5p files a path names: the file itself, or those in a folder (sorted)."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".h5p":
        return [path]
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".h5p")
    return []


def convert_h5p(sources: list[Path], work: Path, pack_id: str | None = None) -> H5PConversion:
    """Write a pack folder for these .h5p files into `work` (removed on PackError)."""
    if not sources:
        raise PackError("no .h5p files here")
    conversion, folder = H5PConversion(), PackFolder(work, work)
    try:
        with open_packages(sources) as packages:
            lessons, items, skills = [], [], []
            for source, package in zip(sources, packages):
                lesson, found = _lesson(source, package, folder, conversion)
                lessons.append(lesson)
                items += found
                if found:
                    skills.append({"id": lesson["id"], "title": lesson["title"], "prerequisites": []})
            folder.write_manifest(_manifest(sources, packages, pack_id, lessons, items, skills))
    except PackError:
        shutil.rmtree(work, ignore_errors=True)
        raise
    conversion.lessons, conversion.items = len(lessons), len(items)
    return conversion


def _lesson(source: Path, package: H5PPackage, folder: PackFolder, conversion) -> tuple[dict, list[dict]]:
    lesson_id = slugify_id(source.stem) or "activity"
    media = _MediaLinks(package, folder, lesson_id, conversion)
    found = items_for(package.main_library, package.params, lesson_id, media) \
        if package.main_library in NATIVE else []
    for item in found:
        item["skill"] = lesson_id
    if found:
        body = f"{len(found)} questions to practise."
    else:
        conversion.shown_as_text.append(f"{source.name}: {package.main_library}")
        body = (f"*This activity ({package.main_library}) is interactive; here are its text and pictures.*"
                + "\n\n" + "\n\n".join(_texts(package.params)) + "\n\n" + media.all_images())
    page = folder.add_bytes(f"lessons/{lesson_id}.md", (body.strip() + "\n").encode())
    entry = {"id": lesson_id, "title": package.title, "file": page, "skills": [lesson_id] if found else [],
             "summary": "", "media": []}
    return entry, found


class _MediaLinks:
    """Copies images a package's content uses into the pack and writes their Markdown."""

    def __init__(self, package: H5PPackage, folder: PackFolder, lesson_id: str, conversion):
        self.package, self.folder, self.lesson_id, self.conversion = package, folder, lesson_id, conversion

    def __call__(self, params: dict) -> str:
        inner = ((params.get("media") or {}).get("type") or {}).get("params") or {}
        file = inner.get("file") or {}
        link = self.image(file.get("path"), inner.get("alt"))
        return link + "\n\n" if link else ""

    def image(self, path, alt="") -> str:
        """Markdown for one content image (copied once), or '' when it is not usable."""
        if not isinstance(path, str) or Path(path).suffix.lower() not in IMAGE_SUFFIXES or ".." in path:
            return ""
        source = self.package.content_dir / path
        if not source.is_file():
            self.conversion.warnings.append(f"{self.package.name}: {path} is missing; left out")
            return ""
        if source.suffix.lower() != ".svg" and not _readable_image(source):
            self.conversion.warnings.append(f"{self.package.name}: {path} is not a readable image; left out")
            return ""
        target = f"h5p/{self.lesson_id}/{path}"
        self.folder.add_bytes(target, source.read_bytes())
        alt = " ".join(str(alt or "").replace("]", " ").split())
        return f"![{alt}]({target})"

    def all_images(self) -> str:
        """Every image the content refers to, as Markdown for a page in lessons/."""
        links = (self.image(p, a) for p, a in _paths(self.package.params))
        return "\n\n".join(link.replace("](", "](../", 1) for link in links if link)  # pages are in lessons/


def _readable_image(path: Path) -> bool:
    try:
        with Image.open(path) as image:
            image.verify()
        return True
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False


def _texts(params, key: str = "") -> list[str]:
    if isinstance(params, dict):
        return [t for k, v in params.items() if k not in SKIPPED_SECTIONS and k not in SKIPPED_KEYS
                for t in _texts(v, k)]
    if isinstance(params, list):
        return [t for v in params for t in _texts(v, key)]
    text = str(params).strip() if isinstance(params, str) else ""
    return [text] if text and (" " in text or "<" in text) and len(text) < 20_000 else []


def _paths(params) -> list[tuple[str, str]]:
    if isinstance(params, dict):
        own = [(params["path"], params.get("alt", ""))] if isinstance(params.get("path"), str) else []
        return own + [p for k, v in params.items() if k != "path" for p in _paths(v)]
    if isinstance(params, list):
        return [p for v in params for p in _paths(v)]
    return []


def _manifest(sources, packages, pack_id, lessons, items, skills) -> dict:
    base = sources[0].parent if len(sources) > 1 else sources[0]
    slug = slugify_id(base.stem if base.is_file() else base.name).replace(".", "-").replace("_", "-")
    language = next((p.language for p in packages if p.language != "und"), "und")
    licences = sorted({LICENCES.get(p.licence, p.licence) for p in packages})
    return {"format": 1, "id": pack_id or f"h5p-{slug}"[:64].rstrip("-"), "version": "1.0.0",
            "title": packages[0].title if len(packages) == 1 else base.name[:200], "language": language,
            "licence": ", ".join(licences)[:100], "authors": sorted({a for p in packages for a in p.authors})[:50],
            "description": "", "subjects": [], "skills": skills,
            "units": [{"id": "activities", "title": "Activities", "lessons": lessons, "items": items}],
            "signature": None}


def build_h5p_pack(path: Path, out: Path, pack_id: str | None = None) -> H5PConversion:
    """`lantern pack build FILE.h5p|FOLDER -o PACK`."""
    work = Path(out).with_name(Path(out).name + ".work")
    conversion = convert_h5p(h5p_sources(path), work, pack_id)
    try:
        manifest = json.loads((work / MANIFEST_NAME).read_text("utf-8"))
        write_pack_archive(work, Path(out), manifest, [f["path"] for f in manifest["files"]])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return conversion


def import_h5p(path: Path, library: Library, progress=lambda _: None) -> tuple[ImportResult, H5PConversion]:
    """Convert .h5p files and install them as one pack (nothing changes on failure)."""
    work = library.data_dir / "convert" / f"h5p-{Path(path).stem}"
    shutil.rmtree(work, ignore_errors=True)
    conversion = convert_h5p(h5p_sources(path), work)
    for line in conversion.report():
        progress(line)
    try:
        return import_pack(work, library, progress), conversion
    finally:
        shutil.rmtree(work, ignore_errors=True)
