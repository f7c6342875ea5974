"""Practice files (YAML, GIFT, Aiken) → the normalized items a pack's manifest carries.

Decisions:
* A broken GIFT/Aiken question is left out with a warning naming the file, its line and the question,
  and the rest of the file comes in; `strict` refuses the whole pack instead (nothing is written).
* Ids must stay the same from one build to the next, because progress is keyed by them. A quiz bank
  folder (no pack.yaml) qualifies every id with its file's name (`week-1.capitals`), so adding or
  renaming another file never renames a question. In a pack.yaml source the first file to use an id
  keeps it and a later file's copy becomes `<file>.<id>` (then `-2`, `-3`): packs built before keep
  their ids, and the order of `units:` is the author's, so it does not shift by itself.
* An explicit id (GIFT `[id:…]`) used in two files is an error naming the id and both files.
* With `skills_from_categories`, a GIFT `$CATEGORY` makes a skill (`a/b/c` → id `a-b-c`, title `c`);
  questions outside any category keep the file's skill.
"""
import html
import re
from pathlib import Path

import yaml

from server.errors import PackError, QuizFormatError
from server.content.packs.raw_html import SCHEME
from server.content.packs.spec import PracticeSource
from server.content.quiz.aiken import read_aiken
from server.content.quiz.detect import quiz_format_for
from server.content.quiz.gift import read_gift
from server.content.quiz.items import ID_PATTERN, Reading, slugify_id, validate_items
from server.content.quiz.qti import read_qti_item
from server.content.quiz.qti12 import read_qti12
from server.content.packs.xml_safe import parse_xml_text

PRACTICE_FORMATS = {".gift": "gift", ".aiken": "aiken", ".yaml": "yaml", ".yml": "yaml"}
IMAGE_LINK = re.compile(r"(!\[[^\]]*\]\()(<[^>]*>|[^)\s]+)")
IMG_SRC = re.compile(r"""(<img\b[^>]*?\bsrc\s*=\s*)("([^"]*)"|'([^']*)')""", re.I)
CATEGORY_TAG = "category:"


class PracticeReader:
    """Reads every practice file of one build, keeping ids unique and stable across the pack."""

    def __init__(self, collector, skills: list[dict], strict: bool = False):
        self.collector, self.skills, self.strict = collector, skills, strict
        self.owner: dict[str, str] = {}  # item id → the file that has it
        self.counts: dict[str, int] = {}  # items that came in, per file

    def items(self, practice: PracticeSource) -> list[dict]:
        """The items of one practice file, skill and ids settled, image links made pack paths."""
        text = self.collector.read_text(practice.file)
        reading = self._read(practice, text)
        self._note_problems(practice.file, reading)
        items = []
        for item in reading.items:
            item["id"] = self._unique_id(practice, item["id"], item["id"] in reading.explicit_ids)
            item["skill"] = item.get("skill") or self._category_skill(practice, item) or self._file_skill(practice)
            _rewrite_images(self.collector, practice.file, item)
            items.append(item)
        self.counts[practice.file] = self.counts.get(practice.file, 0) + len(items)
        return items

    def _read(self, practice: PracticeSource, text: str) -> Reading:
        fmt = practice.format or PRACTICE_FORMATS.get(Path(practice.file).suffix.lower())
        fmt = fmt or quiz_format_for(practice.file, text)
        if fmt in ("qti21", "qti12"):
            text = re.sub(r"^<\?xml[^>]*\?>", "", text.lstrip("\ufeff"))  # already decoded text
            try:
                root = parse_xml_text(text, practice.file)
            except PackError as err:  # a broken question file in a package loses only its questions
                return Reading([], [(1, err.reason, "")])
            return (read_qti_item if fmt == "qti21" else read_qti12)(root, practice.file)
        if fmt not in ("gift", "aiken", "yaml"):
            raise PackError("this file is not GIFT, Aiken or YAML practice; if it is, say which with "
                            "format: gift, aiken or yaml", practice.file)
        try:
            if fmt == "gift":
                return read_gift(text, path=practice.file)
            if fmt == "aiken":
                return read_aiken(text, path=practice.file)
            items = validate_items(_yaml_items(text, practice.file), practice.file)
            return Reading(items, [], frozenset(item["id"] for item in items))
        except QuizFormatError as err:
            raise PackError(err.message) from None

    def _note_problems(self, path: str, reading: Reading) -> None:
        if reading.problems and self.strict:
            line, message, label = reading.problems[0]
            more = len(reading.problems) - 1
            raise PackError(f"line {line}: question “{label}”: {message}"
                            + (f" (and {more} more problem{'s' * (more > 1)})" if more else "")
                            + "; nothing was built (--strict)", path)
        for line, message, label in reading.problems:
            name = f"question “{label}”" if label else "a question"
            self.collector.warnings.append(f"{path} line {line}: {name} left out: {message}")

    def _unique_id(self, practice: PracticeSource, item_id: str, explicit: bool) -> str:
        if explicit and item_id in self.owner:
            raise PackError(f"the question id {item_id!r} is given in two files: "
                            f"{self.owner[item_id]} and {practice.file}", practice.file)
        if practice.id_prefix and not explicit:
            item_id = _joined(practice.id_prefix, item_id)
        if item_id in self.owner and not practice.id_prefix:
            item_id = _joined(slugify_id(Path(practice.file).stem) or "file", item_id)
        base, n = item_id, 1
        while item_id in self.owner:
            n += 1
            item_id = base[:80 - len(f"-{n}")].rstrip("-_.") + f"-{n}"
        self.owner[item_id] = practice.file
        return item_id

    def _category_skill(self, practice: PracticeSource, item: dict) -> str | None:
        if not practice.skills_from_categories:
            return None
        category = next((t[len(CATEGORY_TAG):] for t in item["tags"] if t.startswith(CATEGORY_TAG)), None)
        skill_id = slugify_id(category.replace("/", "-")) if category else ""
        if not skill_id or not ID_PATTERN.fullmatch(skill_id):
            return None
        if all(s["id"] != skill_id for s in self.skills):
            title = category.rstrip("/").rsplit("/", 1)[-1].strip() or category
            self.skills.append({"id": skill_id, "title": title[:200]})
        return skill_id


    def _file_skill(self, practice: PracticeSource) -> str | None:
        if practice.skill and practice.skill_title and all(s["id"] != practice.skill for s in self.skills):
            self.skills.append({"id": practice.skill, "title": practice.skill_title[:200]})
        return practice.skill


def _joined(prefix: str, item_id: str) -> str:
    room = 80 - len(prefix) - 1
    return f"{prefix}.{item_id[:room].rstrip('-_.')}" if room > 8 else item_id


def _yaml_items(text: str, path: str) -> list:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise PackError(f"cannot read YAML ({err})", path) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
        raise PackError("a practice file must have a top-level 'items:' list", path)
    return raw["items"]


def _rewrite_images(collector, base: str, item: dict) -> None:
    """Make image links in an item's texts relative to the pack root, and include the files."""
    is_html = item.get("format") in ("html", "moodle")

    def fix(text):
        if not isinstance(text, str):
            return text

        def swap(match):
            href = match.group(2).strip("<>")
            found = collector.use(base, href, "image")
            return match.group(1) + (found or href)

        def swap_src(match):  # <img src="…"> in HTML texts (QTI, GIFT [html]): a pack path too
            href = html.unescape(match.group(3) or match.group(4) or "")
            if not href or SCHEME.match(href):
                return match.group(0)
            found = collector.use(base, href, "image")
            return f'{match.group(1)}"{html.escape(found or href)}"'
        text = IMAGE_LINK.sub(swap, text)
        return IMG_SRC.sub(swap_src, text) if is_html else text

    for key in ("prompt", "solution", "feedback"):
        item[key] = fix(item.get(key))
    item["hints"] = [fix(h) for h in item.get("hints") or []]
