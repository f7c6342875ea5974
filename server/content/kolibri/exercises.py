"""A Kolibri exercise node → a skill (with the exercise's mastery model) and native practice items.

The `.perseus` file is a zip: `exercise.json` plus one `<assessment id>.json` per item and `images/`.
Members are read with a size cap (never trusting the zip's headers); images go into the pack under
`exercises/<node id>/`.
"""
import json
import re
import zipfile
from pathlib import Path

from server.errors import PackError
from server.content.kolibri.channel_db import Node
from server.content.kolibri.pack_folder import PackFolder
from server.content.kolibri.perseus import PerseusResult, convert_item

MAX_MEMBER = 2 * 1024**2
IMAGE_NAME = re.compile(r"^images/[A-Za-z0-9_.-]{1,120}\.(?:svg|png|jpe?g|gif|webp)\Z")
SAFE_ID = re.compile(r"[^a-z0-9_.-]+")


def mastery_rule(model: dict | None, item_count: int) -> dict | None:
    """Kolibri's mastery model as Lantern's minimum rule (None: Lantern's default)."""
    if not isinstance(model, dict):
        return None
    kind = str(model.get("type") or model.get("mastery_model") or "")
    if kind == "m_of_n":
        try:
            n = max(1, min(int(model.get("n")), 50))
            m = max(1, min(int(model.get("m")), n))
        except (TypeError, ValueError):
            return None
        return {"rule": "m_of_n", "m": m, "n": n}
    if kind.startswith("num_correct_in_a_row_") and kind.rsplit("_", 1)[1].isdigit():
        return {"rule": "streak", "count": max(1, min(int(kind.rsplit("_", 1)[1]), 50))}
    if kind == "do_all" and item_count:
        count = min(item_count, 50)
        return {"rule": "m_of_n", "m": count, "n": count}
    return None


def read_member(archive: zipfile.ZipFile, name: str, where: str) -> bytes:
    """A zip member's bytes, refused past MAX_MEMBER however small its header says it is."""
    try:
        with archive.open(name) as handle:
            data = handle.read(MAX_MEMBER + 1)
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as err:
        raise PackError(f"cannot read {name} ({err})", where) from None
    if len(data) > MAX_MEMBER:
        raise PackError(f"{name} is larger than {MAX_MEMBER // 1024**2} MB", where)
    return data


def convert_exercise(node: Node, perseus: Path, item_ids: list[str], folder: PackFolder) -> PerseusResult:
    """Items of one exercise (skill = the node id); images copied into the pack."""
    where = f"exercise {node.title!r}"
    result = PerseusResult()
    try:
        archive = zipfile.ZipFile(perseus)
    except (zipfile.BadZipFile, OSError):
        raise PackError("its .perseus file is not a zip archive", where) from None
    with archive:
        names = set(archive.namelist())
        if not item_ids and "exercise.json" in names:
            meta = _json(read_member(archive, "exercise.json", where))
            item_ids = [str(i) for i in (meta or {}).get("all_assessment_items") or []]
        base = f"exercises/{node.id}"

        def resolve(zip_path: str) -> str | None:
            return f"{base}/{zip_path}" if zip_path in names and IMAGE_NAME.match(zip_path) else None

        for assessment_id in item_ids:
            name = f"{assessment_id}.json"
            if name not in names:
                result.skipped["missing from the exercise file"] += 1
                continue
            item_id = f"{node.id}.{SAFE_ID.sub('-', assessment_id.lower()).strip('-')[:40] or 'item'}"
            convert_item(item_id, _json(read_member(archive, name, where)), resolve, result)
        for zip_path in sorted(result.images):
            folder.add_bytes(f"{base}/{zip_path}", read_member(archive, zip_path, where))
    for item in result.items:
        item["skill"] = node.id
    return result


def _json(data: bytes):
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return None
