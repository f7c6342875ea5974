"""A folder of quiz files as Moodle exports them (GIFT, Aiken; `.gift`, `.aiken` or `.txt`), no pack.yaml.

The folder becomes a one-unit pack named after the folder: every quiz file in it (sub-folders too,
in path order) is practice, and Markdown files at its top level are lessons. Each file is a skill
named after the file, unless its questions sit under a GIFT `$CATEGORY`, which then names the skill.
Ids are `<file>.<question>` (see `practice.py`), so progress survives a re-export.

Decisions: `.txt` files are recognised by their content (`quiz.detect`), because Moodle names both
formats `.txt`; a `.txt` that is neither is left out with a warning (a README, notes). Hidden files,
`__MACOSX` and files over 5 MB are never read.
"""
import re
from pathlib import Path

from server.content.packs.spec import PracticeSource, SourceSpec, UnitSource
from server.content.quiz.detect import SUFFIXES, sniff_quiz_format
from server.content.quiz.items import slugify_id

MAX_QUIZ_BYTES = 5_000_000
MAX_FILES = 2000
SKIPPED_NAMES = {"readme.md", "license.md", "licence.md", "contributing.md", "code_of_conduct.md"}


def quiz_bank_files(src: Path) -> list[tuple[str, str | None]]:
    """(path, format) of the folder's quiz files, format None for a `.txt` that is no quiz."""
    found = []
    for path in sorted(src.rglob("*"))[:MAX_FILES * 10]:
        rel = path.relative_to(src)
        if any(part.startswith(".") or part == "__MACOSX" for part in rel.parts) or not path.is_file():
            continue
        suffix = path.suffix.lower()
        if suffix in SUFFIXES:
            found.append((rel.as_posix(), SUFFIXES[suffix]))
        elif suffix == ".txt":
            found.append((rel.as_posix(), _sniff(path)))
    quizzes = [entry for entry in found if entry[1]]
    return found[:MAX_FILES] if quizzes else []


def _sniff(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_QUIZ_BYTES:
            return None
        return sniff_quiz_format(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError):
        return None


def read_quiz_bank(src: Path) -> SourceSpec:
    """A quiz bank folder as a one-unit pack: lessons from top-level Markdown, practice from quiz files."""
    practice, warnings, prefixes = [], [], set()
    for path, fmt in quiz_bank_files(src):
        if fmt is None:
            warnings.append(f"{path}: not a GIFT or Aiken file; left out")
            continue
        prefix = _unique(slugify_id(Path(path).stem.removesuffix(".gift").removesuffix(".aiken")) or "quiz",
                         prefixes)
        practice.append(PracticeSource(path, skill=prefix, format=fmt, id_prefix=prefix,
                                       skills_from_categories=True, skill_title=_title(Path(path).stem)))
    lessons = sorted(p.name for p in src.glob("*.md") if p.is_file() and p.name.lower() not in SKIPPED_NAMES)
    title = _title(src.name)
    meta = {"format": 1, "id": _pack_id(src.name), "version": "1.0.0", "title": title, "language": "en",
            "licence": "unspecified", "authors": [], "description": "", "subjects": []}
    warnings.append("there is no pack.yaml, so the licence is 'unspecified' (a pack.yaml can give one)")
    return SourceSpec(meta, [], [UnitSource("questions", title, lessons, practice)], warnings)


def _unique(base: str, taken: set[str]) -> str:
    base = base[:40].rstrip("-_.") or "quiz"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


def _title(name: str) -> str:
    name = re.sub(r"\.(gift|aiken)$", "", name, flags=re.I)
    return " ".join(name.replace("_", " ").split())[:200] or "Questions"


def _pack_id(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", slugify_id(name)).strip("-")[:64]
    return slug if len(slug) >= 2 else f"pack-{slug or 'x'}"
