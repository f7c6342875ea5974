"""Reading a pack's source folder: our own `pack.yaml`, or a Carpentries lesson as found.

Both become one `SourceSpec`: pack metadata, skills, and units listing lesson files and
practice files (paths relative to the source folder). `server.content.packs.build` does the rest.
"""
import re
from pathlib import Path

import yaml

from server.errors import PackError
from server.content.packs.bank import quiz_bank_files, read_quiz_bank
from server.content.packs.cartridge import is_package, read_package
from server.content.packs.spec import PracticeSource, SourceSpec, UnitSource


def read_source(src: Path, overrides: dict) -> SourceSpec:
    """Read a source folder (pack.yaml, IMS package, Carpentries, quiz bank), applying CLI overrides."""
    if (src / "pack.yaml").is_file():
        spec = _read_pack_yaml(src)
    elif is_package(src):
        spec = read_package(src)
    elif _carpentries_episodes(src):
        spec = _read_carpentries(src)
    elif quiz_bank_files(src):
        spec = read_quiz_bank(src)
    else:
        raise PackError("no pack.yaml here, no imsmanifest.xml (Common Cartridge, content package), it does "
                        "not look like a Carpentries lesson (no config.yaml with episodes, no _episodes/ "
                        "folder), and it holds no GIFT or Aiken files", src.name)
    spec.meta.update({k: v for k, v in overrides.items() if v})
    return spec


def _load_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise PackError(f"cannot read YAML ({err})", path.name) from None


def _read_pack_yaml(src: Path) -> SourceSpec:
    raw = _load_yaml(src / "pack.yaml")
    if not isinstance(raw, dict):
        raise PackError("pack.yaml must be a mapping of keys to values", "pack.yaml")
    units = []
    for n, unit in enumerate(raw.get("units") or []):
        if not isinstance(unit, dict):
            raise PackError(f"units[{n}] must be a mapping", "pack.yaml")
        practice = [PracticeSource(str(p.get("file")), p.get("skill"), p.get("format"))
                    if isinstance(p, dict) else PracticeSource(str(p)) for p in unit.get("practice") or []]
        units.append(UnitSource(str(unit.get("id", "")), str(unit.get("title", "")),
                                [str(x) for x in unit.get("lessons") or []], practice))
    meta = {k: raw.get(k) for k in ("format", "id", "version", "title", "language", "licence",
                                     "authors", "description", "subjects")}
    meta["version"] = str(meta["version"]) if meta["version"] is not None else None
    meta["authors"], meta["subjects"] = meta["authors"] or [], meta["subjects"] or []
    meta["description"] = meta["description"] or ""
    return SourceSpec(meta, list(raw.get("skills") or []), units)


def _carpentries_episodes(src: Path) -> list[str]:
    config = src / "config.yaml"
    if config.is_file():
        raw = _load_yaml(config)
        if isinstance(raw, dict) and raw.get("episodes"):
            return [f"episodes/{name}" for name in raw["episodes"]]
    if (src / "_episodes").is_dir():
        return sorted(f"_episodes/{p.name}" for p in (src / "_episodes").glob("*.md"))
    return []


def _read_carpentries(src: Path) -> SourceSpec:
    config = _load_yaml(src / "config.yaml") if (src / "config.yaml").is_file() else {}
    config = config if isinstance(config, dict) else {}
    episodes, warnings = [], []
    for path in _carpentries_episodes(src):
        if (src / path).is_file():
            episodes.append(path)
        else:
            warnings.append(f"config.yaml lists {path}, which is missing; skipped")
    jekyll = _load_yaml(src / "_config.yml") if (src / "_config.yml").is_file() else {}
    jekyll = jekyll if isinstance(jekyll, dict) else {}
    title = str(config.get("title") or jekyll.get("title") or _index_title(src) or src.name)
    meta = {
        "format": 1, "id": _slug(src.name), "version": "1.0.0", "title": title,
        "language": str(config.get("lang") or jekyll.get("lang") or "en"),
        "licence": "CC-BY-4.0" if "CC" in str(config.get("license", "CC-BY")) else str(config.get("license")),
        "authors": ["The Carpentries"] if config.get("carpentry") or "Carpentries" in title else [],
        "description": "", "subjects": ["computing"],
    }
    unit = UnitSource("episodes", title, episodes)
    return SourceSpec(meta, [], [unit], warnings, is_carpentries=True)


def _index_title(src: Path) -> str | None:
    index = src / "index.md"
    if not index.is_file():
        return None
    match = re.search(r"^title:\s*[\"']?(.+?)[\"']?\s*$", index.read_text("utf-8", "replace"), re.M)
    return match.group(1) if match else None


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64]
    return slug if len(slug) >= 2 else f"pack-{slug or 'x'}"
