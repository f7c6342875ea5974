"""Reading one .h5p package (untrusted) into plain data, refusing what is malformed or unsafe.

Decisions:
- The archive is extracted with the pack extractor (`packs.archive.extract_pack`): absolute or `..`
  paths, backslashes, links, collisions and decompression bombs are refused there, by name.
- A package is checked the way H5P's own validators do: h5p.json and content/content.json are JSON
  objects, h5p.json has a title, a main library and its preloaded dependencies; every top-level folder
  except content/ is a library named `<machineName>-<major>.<minor>` whose library.json agrees, has a
  title, and whose preloaded JavaScript/CSS and language files exist and (for JSON) parse.
- Lantern never runs a package's libraries (an H5P player needs H5P's core scripts, which a package
  does not carry), so a library's core API version is not a reason to refuse; only its content is used.
- SVG images: one that carries script, event handlers, `javascript:` links, foreignObject or a reference
  to another site refuses the package: nothing in it may ever run, even when opened on its own.
"""
import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from server.errors import PackError
from server.content.packs.archive import Limits, extract_pack

LIMITS = Limits(max_files=10_000, max_file_bytes=256 * 1024**2, max_total_bytes=1024**3)
LIBRARY_FOLDER = re.compile(r"^([A-Za-z0-9_.-]+)-(\d+)\.(\d+)\Z")
LANGUAGE_FILE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*\.json\Z")
SVG_DANGER = re.compile(rb"<\s*script|\bon[a-z]+\s*=|javascript\s*:|<\s*foreignObject|<!ENTITY|"
                        rb"(?:xlink:)?href\s*=\s*[\"']\s*(?:https?:|//)|url\(\s*[\"']?\s*(?:https?:|//)", re.I)


@dataclass
class H5PPackage:
    name: str  # the file name
    title: str
    main_library: str  # machine name, e.g. H5P.MultiChoice
    language: str
    licence: str
    authors: list[str]
    params: dict  # content/content.json
    content_dir: Path  # the extracted content/ folder (images and media)
    warnings: list[str] = field(default_factory=list)


def _json_file(path: Path, shown: str) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise PackError("is missing from the package", shown) from None
    except (UnicodeDecodeError, ValueError) as err:
        raise PackError(f"is not valid JSON ({err})", shown) from None
    if not isinstance(data, dict):
        raise PackError("must be a JSON object", shown)
    return data


def read_package(source: Path, workdir: Path) -> H5PPackage:
    """Extract and check one .h5p into `workdir` (must not exist); PackError naming the fault."""
    source = Path(source)
    try:
        extract_pack(source, workdir, LIMITS)
    except PackError as err:
        raise PackError(f"{source.name} is refused: {err.message}") from None
    try:
        return _check(source.name, workdir)
    except PackError as err:
        raise PackError(f"{source.name} is refused: {err.message}") from None


def _check(name: str, root: Path) -> H5PPackage:
    meta = _json_file(root / "h5p.json", "h5p.json")
    title, main = meta.get("title"), meta.get("mainLibrary")
    if not isinstance(title, str) or not title.strip():
        raise PackError("has no title", "h5p.json")
    deps = meta.get("preloadedDependencies")
    if not isinstance(main, str) or not isinstance(deps, list) or not all(
            isinstance(d, dict) and isinstance(d.get("machineName"), str) for d in deps):
        raise PackError("must name its main library and list its preloaded dependencies", "h5p.json")
    if main not in {d["machineName"] for d in deps}:
        raise PackError(f"names {main} as its main library but does not list it as a dependency", "h5p.json")
    params = _json_file(root / "content" / "content.json", "content/content.json")
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name != "content"):
        _check_library(folder)
    _check_svgs(root / "content")  # library files are never served, so only content can reach a page
    authors = [str(a.get("name")) for a in meta.get("authors") or [] if isinstance(a, dict) and a.get("name")]
    language = str(meta.get("language") or "und")
    return H5PPackage(name, " ".join(title.split())[:200], main, language if language != "und" else "und",
                      str(meta.get("license") or "U"), authors, params, root / "content")


def _check_library(folder: Path) -> None:
    match = LIBRARY_FOLDER.match(folder.name)
    if not match:
        raise PackError("is not a library folder name (machineName-major.minor)", folder.name + "/")
    library = _json_file(folder / "library.json", f"{folder.name}/library.json")
    for key in ("title", "machineName", "majorVersion", "minorVersion", "patchVersion"):
        if library.get(key) in (None, ""):
            raise PackError(f"has no {key}", f"{folder.name}/library.json")
    if (library["machineName"], str(library["majorVersion"]), str(library["minorVersion"])) != match.groups():
        raise PackError(f"describes {library['machineName']} {library['majorVersion']}.{library['minorVersion']}, "
                        "not the library its folder is named after", f"{folder.name}/library.json")
    for key in ("preloadedJs", "preloadedCss"):
        for entry in library.get(key) or []:
            path = entry.get("path") if isinstance(entry, dict) else None
            if not isinstance(path, str) or not (folder / path).is_file():
                raise PackError(f"lists {path!r} in {key}, which is not in the package", f"{folder.name}/library.json")
    languages = folder / "language"
    for file in sorted(languages.iterdir()) if languages.is_dir() else []:
        if not LANGUAGE_FILE.match(file.name):
            raise PackError("is not a language file name", f"{folder.name}/language/{file.name}")
        _json_file(file, f"{folder.name}/language/{file.name}")


def _check_svgs(root: Path) -> None:
    for svg in sorted(root.rglob("*")):
        if svg.suffix.lower() in (".svg", ".svgz", ".xhtml", ".xml") and svg.is_file():
            if SVG_DANGER.search(svg.read_bytes()[:4 * 1024**2]):
                raise PackError("carries script or loads something from elsewhere; an H5P package must "
                                "not contain such a file", "content/" + svg.relative_to(root).as_posix())


def open_packages(sources: list[Path]):
    """Context manager: the checked packages of several .h5p files (temporary files removed after)."""
    return _Opened(sources)


class _Opened:
    def __init__(self, sources: list[Path]):
        self.sources = sources
        self.tmp: Path | None = None

    def __enter__(self) -> list[H5PPackage]:
        self.tmp = Path(tempfile.mkdtemp(prefix="lantern-h5p-"))
        try:
            return [read_package(src, self.tmp / str(n)) for n, src in enumerate(self.sources)]
        except BaseException:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise

    def __exit__(self, *exc):
        shutil.rmtree(self.tmp, ignore_errors=True)
