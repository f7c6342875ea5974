"""Writing Kolibri channels in the drive layout, for tests and the conversion bench.

`write_channel` turns tables (Kolibri's table names → rows) and file bodies into
KOLIBRI_DATA/content/databases/<id>.sqlite3 + content/storage/<h0>/<h1>/<md5>.<ext>, the way the
explore-plugin fixtures describe. `generated_channel` makes a big synthetic one.
"""
import hashlib
import io
import json
import sqlite3
import uuid
import zipfile
from pathlib import Path


def md5(data: bytes) -> str:
    """Kolibri's name for a file."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def write_channel(root: Path, tables: dict[str, list[dict]], contents: dict[str, bytes] | None = None) -> Path:
    """Write a channel database (and storage files: md5 -> bytes) under root/KOLIBRI_DATA; return that."""
    data = Path(root) / "KOLIBRI_DATA"
    (data / "content" / "databases").mkdir(parents=True, exist_ok=True)
    channel_id = tables["content_channelmetadata"][0]["id"]
    db_path = data / "content" / "databases" / f"{channel_id}.sqlite3"
    connection = sqlite3.connect(db_path)
    for table, rows in tables.items():
        if not rows:  # a table with no rows has no columns to copy; readers treat it as absent
            continue
        columns = sorted({key for row in rows for key in row if not key.startswith("_")})
        connection.execute(f'CREATE TABLE "{table}" ({", ".join(columns)})')
        connection.executemany(f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})',
                               [[_sql(row.get(c)) for c in columns] for row in rows])
    connection.commit()
    connection.close()
    for digest, body in (contents or {}).items():
        ext = next(f["extension"] for f in tables.get("content_localfile", []) if f["id"] == digest)
        put_storage(data, digest, ext, body)
    return data


def put_storage(data: Path, digest: str, ext: str, body: bytes) -> Path:
    """Write one storage file where Kolibri keeps it."""
    path = data / "content" / "storage" / digest[0] / digest[1] / f"{digest}.{ext}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return path


def _sql(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


def perseus_file(items: dict[str, dict], images: dict[str, bytes] = None, mastery: str = "do_all") -> bytes:
    """A .perseus zip: exercise.json, one JSON per item, images/."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("exercise.json", json.dumps({"all_assessment_items": list(items), "mastery_model": mastery}))
        for item_id, item in items.items():
            archive.writestr(f"{item_id}.json", json.dumps(item))
        for name, body in (images or {}).items():
            archive.writestr(f"images/{name}", body)
    return buffer.getvalue()


def app_zip(title: str) -> bytes:
    """A tiny HTML5 app (index.html + a script file)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.html", f"<!doctype html><title>{title}</title><p id=x>{title}</p>"
                                       "<script src=app.js></script>")
        archive.writestr("app.js", "document.getElementById('x').textContent += ' (running)';")
    return buffer.getvalue()


def radio_item(question: str, right: str, wrong: list[str], hints=("Think.",)) -> dict:
    """A Perseus radio item."""
    choices = [{"content": right, "correct": True}] + [{"content": w, "correct": False} for w in wrong]
    return {"question": {"content": f"{question}\n\n[[\u2603 radio 1]]", "images": {},
                         "widgets": {"radio 1": {"type": "radio", "options": {"choices": choices}}}},
            "hints": [{"content": h} for h in hints]}


class ChannelBuilder:
    """Accumulates nodes, files and metadata for `write_channel`."""

    def __init__(self, name: str, channel_id: str | None = None, schema: str = "5", version: int = 1):
        self.id = channel_id or uuid.uuid5(uuid.NAMESPACE_URL, name).hex
        self.tables = {t: [] for t in ("content_contentnode", "content_file", "content_localfile",
                                        "content_assessmentmetadata", "content_contentnode_has_prerequisite",
                                        "content_language")}
        self.tables["content_channelmetadata"] = [{"id": self.id, "name": name, "description": f"{name} (test)",
                                                   "author": "Lantern tests", "version": version,
                                                   "root_id": self.id, "min_schema_version": schema}]
        self.tables["content_language"].append({"id": "en", "lang_code": "en", "lang_subcode": None})
        self.contents: dict[str, bytes] = {}
        self.lft = 0
        self.node(self.id, None, "topic", name)

    def node(self, node_id: str, parent: str | None, kind: str, title: str, description: str = "", **extra) -> str:
        """Add a node; return its id."""
        self.lft += 1
        self.tables["content_contentnode"].append({
            "id": node_id, "parent_id": parent, "kind": kind, "title": title, "description": description,
            "channel_id": self.id, "content_id": node_id, "license_name": "CC BY", "license_owner": "Owner",
            "author": "An Author", "lang_id": "en", "lft": self.lft, "tree_id": 1, "level": 0, "available": 0,
            "sort_order": self.lft, **extra})
        return node_id

    def file(self, node_id: str, body: bytes, ext: str, preset: str, thumbnail=False, supplementary=False,
             lang=None) -> str:
        """Attach a file to a node (stored once by MD5)."""
        digest = md5(body)
        if digest not in self.contents:
            self.contents[digest] = body
            self.tables["content_localfile"].append({"id": digest, "extension": ext, "file_size": len(body),
                                                     "available": 0})
        self.tables["content_file"].append({
            "id": uuid.uuid4().hex, "contentnode_id": node_id, "local_file_id": digest, "preset": preset,
            "thumbnail": int(thumbnail), "supplementary": int(supplementary), "priority": 1, "lang_id": lang})
        return digest

    def exercise(self, node_id: str, parent: str, title: str, items: dict[str, dict], mastery: dict,
                 images: dict[str, bytes] | None = None) -> str:
        """An exercise node with its .perseus file and assessment metadata."""
        self.node(node_id, parent, "exercise", title, f"Practice: {title}")
        self.file(node_id, perseus_file(items, images), "perseus", "exercise")
        self.tables["content_assessmentmetadata"].append({
            "id": uuid.uuid4().hex, "contentnode_id": node_id, "assessment_item_ids": list(items),
            "number_of_assessments": len(items), "mastery_model": mastery, "randomize": 1, "is_manipulable": 0})
        return node_id

    def write(self, root: Path) -> Path:
        """Write the channel; return the KOLIBRI_DATA folder."""
        return write_channel(root, self.tables, self.contents)


def generated_channel(root: Path, nodes: int = 10_000, per_topic: int = 50, body_bytes: int = 4096) -> Path:
    """A synthetic channel: topics of videos (with captions), documents, apps and exercises."""
    builder = ChannelBuilder(f"Generated {nodes}")
    shared_thumb = _png()
    count, topic = 0, None
    while count < nodes:
        if count % per_topic == 0:
            topic = builder.node(uuid.uuid4().hex, builder.id, "topic", f"Topic {count // per_topic + 1}")
        node_id, kind = uuid.uuid4().hex, ("video", "document", "html5", "exercise")[count % 4]
        title = f"{kind.title()} {count + 1}"
        if kind == "exercise":
            builder.exercise(node_id, topic, title, {f"i{count}": radio_item(f"Question {count}?", "Yes", ["No"])},
                             {"type": "m_of_n", "m": 1, "n": 1})
        else:
            builder.node(node_id, topic, kind, title, f"About {title}.")
            body = (node_id.encode() * (body_bytes // 32 + 1))[:body_bytes]
            if kind == "video":
                builder.file(node_id, body, "mp4", "low_res_video")
                builder.file(node_id, f"WEBVTT\n\n00:00.000 --> 00:01.000\n{title}\n".encode(), "vtt",
                             "video_subtitle", supplementary=True, lang="en")
                builder.file(node_id, shared_thumb, "png", "video_thumbnail", thumbnail=True, supplementary=True)
            elif kind == "document":
                builder.file(node_id, b"%PDF-1.4\n" + body, "pdf", "document")
            else:
                builder.file(node_id, app_zip(title), "zip", "html5_zip")
        count += 1
    return builder.write(root)


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()
