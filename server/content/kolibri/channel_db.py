"""Reading a Kolibri channel database (untrusted SQLite from a drive), content schema versions 1-5.

Decisions:
- Opened read-only (`mode=ro`, `immutable=1`), so a drive's file is never changed and a damaged one cannot
  be "repaired" under us; `quick_check` first, so a damaged file is one clear sentence.
- Columns are read by presence, not by version number: Kolibri added columns over the versions (schema 1
  has no `options`, schema 5 adds `learning_activities`...), and the unversioned schema keeps checksum and
  extension on `content_file` and licences in `content_license`. A missing column reads as None.
- `min_schema_version` must be one we know ("1"-"5"); anything else is refused, as Kolibri itself does.
- Nodes are read in tree order (`tree_id`, `lft`) with a cursor; a node's metadata is small, its files are
  never read here.
"""
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from server.errors import PackError

KIND_ALIASES = {"html5_zip": "html5"}  # an alias some channel tools write
KNOWN_SCHEMAS = {"1", "2", "3", "4", "5"}
REQUIRED_TABLES = {"content_channelmetadata", "content_contentnode", "content_file"}
NODE_COLUMNS = ("id", "parent_id", "kind", "title", "description", "author", "license_name",
                "license_description", "license_owner", "lang_id", "options", "sort_order", "lft", "tree_id",
                "available", "license_id")


@dataclass(frozen=True)
class ChannelMeta:
    id: str
    name: str
    description: str
    author: str
    version: int
    root_id: str
    schema: str  # "1".."5", or "unversioned"


@dataclass
class NodeFile:
    md5: str
    extension: str
    size: int | None
    preset: str
    lang: str | None
    is_thumbnail: bool
    is_supplementary: bool


@dataclass
class Node:
    id: str
    parent_id: str | None
    kind: str
    title: str
    description: str
    author: str
    licence: str
    licence_owner: str
    language: str | None
    options: dict
    files: list[NodeFile] = field(default_factory=list)
    assessment: tuple = ([], None)  # (item ids, mastery model) of an exercise


class ChannelDB:
    """One open channel database; use as a context manager."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.connection = _connect(self.path)
        try:
            self.tables = _tables(self.connection)
            if not REQUIRED_TABLES <= self.tables:
                raise PackError("is an SQLite file but not a Kolibri channel database "
                                "(it has no content_contentnode, content_file or content_channelmetadata table)",
                                self.path.name)
            self.columns = {t: _columns(self.connection, t) for t in self.tables}
            self.meta = self._meta()
        except BaseException:
            self.connection.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.connection.close()

    def _select(self, table: str, wanted: tuple[str, ...]) -> str:
        have = self.columns.get(table, set())
        return ", ".join(c if c in have else f"NULL AS {c}" for c in wanted)

    def _meta(self) -> ChannelMeta:
        cols = self._select("content_channelmetadata", ("id", "name", "description", "author", "version",
                                                         "root_id", "root_pk", "min_schema_version"))
        row = _query(self.connection, f"SELECT {cols} FROM content_channelmetadata", self.path).fetchone()
        if row is None:
            raise PackError("is a Kolibri channel database with no channel in it", self.path.name)
        channel_id, name, description, author, version, root_id, root_pk, schema = row
        if "min_schema_version" in self.columns["content_channelmetadata"]:
            schema = str(schema) if schema is not None else ""
            if schema not in KNOWN_SCHEMAS:
                raise PackError(f"uses Kolibri content schema version {schema!r}, which this Lantern cannot "
                                f"read (it reads versions 1 to 5)", self.path.name)
        else:
            schema = "unversioned"
        return ChannelMeta(str(channel_id), str(name or channel_id), str(description or ""),
                           str(author or ""), int(version or 1), str(root_id or root_pk or channel_id), schema)

    def languages(self) -> dict[str, str]:
        """Kolibri language id → BCP-47-ish code (lang_code plus subcode when it is a region)."""
        if "content_language" not in self.tables:
            return {}
        cols = self._select("content_language", ("id", "lang_code", "lang_subcode"))
        out = {}
        for lang_id, code, sub in _query(self.connection, f"SELECT {cols} FROM content_language", self.path):
            out[str(lang_id)] = str(code or lang_id).lower()
        return out

    def licences(self) -> dict[str, str]:
        """The unversioned schema's licence table (id → name)."""
        if "content_license" not in self.tables:
            return {}
        return {str(i): str(n) for i, n in _query(self.connection,
                                                  "SELECT id, license_name FROM content_license", self.path)}

    def iter_nodes(self):
        """Every content node in tree order (files attached separately, see `files_of`)."""
        cols = self._select("content_contentnode", NODE_COLUMNS)
        languages, licences = self.languages(), self.licences()
        sql = f"SELECT {cols} FROM content_contentnode ORDER BY tree_id, lft"
        for row in _query(self.connection, sql, self.path):
            data = dict(zip(NODE_COLUMNS, row))
            yield Node(
                id=str(data["id"]), parent_id=str(data["parent_id"]) if data["parent_id"] else None,
                kind=KIND_ALIASES.get(str(data["kind"] or ""), str(data["kind"] or "")), title=str(data["title"] or "").strip() or str(data["id"]),
                description=str(data["description"] or ""), author=str(data["author"] or ""),
                licence=str(data["license_name"] or licences.get(str(data["license_id"]), "") or ""),
                licence_owner=str(data["license_owner"] or ""),
                language=languages.get(str(data["lang_id"])) if data["lang_id"] else None,
                options=_json(data["options"], {}))

    def files_by_node(self) -> dict[str, list[NodeFile]]:
        """Every node's files, most important first (Kolibri's priority), read in one pass.

        One pass rather than a query per node: a drive's database may lack the index a per-node query
        needs, and the rows are small (a 100,000-file channel is a few tens of MB here)."""
        file_cols = self.columns["content_file"]
        flags = self._select("content_file", ("preset", "lang_id", "thumbnail", "supplementary", "priority"))
        if "content_localfile" in self.tables and "local_file_id" in file_cols:
            sql = (f"SELECT f.contentnode_id, l.id, l.extension, l.file_size, {_prefixed(flags)} FROM content_file f "
                   f"JOIN content_localfile l ON l.id = f.local_file_id")
        else:
            sql = (f"SELECT f.contentnode_id, f.checksum, f.extension, f.file_size, {_prefixed(flags)} "
                   f"FROM content_file f")
        order = " ORDER BY f.contentnode_id, f.priority" if "priority" in file_cols else ""
        out: dict[str, list[NodeFile]] = {}
        for node_id, md5, ext, size, preset, lang, thumb, sup, _ in _query(self.connection, sql + order, self.path):
            if md5:
                out.setdefault(str(node_id), []).append(
                    NodeFile(str(md5), str(ext or "").lower(), size, str(preset or ""), lang, bool(thumb), bool(sup)))
        return out

    def files_of(self, node_id: str) -> list[NodeFile]:
        """One node's files (see files_by_node)."""
        return self.files_by_node().get(node_id, [])

    def assessments(self) -> dict[str, tuple[list[str], dict | None]]:
        """Every exercise's item ids and mastery model, by node id, read in one pass."""
        if "content_assessmentmetadata" not in self.tables:
            return {}
        sql = "SELECT contentnode_id, assessment_item_ids, mastery_model FROM content_assessmentmetadata"
        out = {}
        for node_id, ids, model in _query(self.connection, sql, self.path):
            ids = _json(ids, [])
            out[str(node_id)] = ([str(i) for i in ids] if isinstance(ids, list) else [], _json(model, None))
        return out

    def prerequisites(self) -> list[tuple[str, str]]:
        """(node, node it requires) pairs."""
        if "content_contentnode_has_prerequisite" not in self.tables:
            return []
        sql = "SELECT from_contentnode_id, to_contentnode_id FROM content_contentnode_has_prerequisite"
        return [(str(a), str(b)) for a, b in _query(self.connection, sql, self.path)]

    def total_file_bytes(self) -> int:
        """The size of every file the channel lists (what a full conversion may copy)."""
        table, column = (("content_localfile", "file_size") if "content_localfile" in self.tables
                         else ("content_file", "file_size"))
        if column not in self.columns.get(table, set()):
            return 0
        return int(_query(self.connection, f"SELECT total({column}) FROM {table}", self.path).fetchone()[0])

    def top_topics(self, limit: int = 100) -> list[tuple[str, str]]:
        """The topics right under the channel's root, (id, title) in the channel's order."""
        order = "lft" if "lft" in self.columns["content_contentnode"] else "rowid"
        sql = (f"SELECT id, title FROM content_contentnode WHERE parent_id = ? AND kind = 'topic' "
               f"ORDER BY {order} LIMIT {int(limit)}")
        return [(str(i), str(t or i).strip() or str(i))
                for i, t in _query(self.connection, sql, self.path, (self.meta.root_id,))]

    def node_count(self) -> int:
        """How many content nodes the channel has."""
        return _query(self.connection, "SELECT count(*) FROM content_contentnode", self.path).fetchone()[0]


def _prefixed(select: str) -> str:
    return ", ".join(p if p.startswith("NULL") else f"f.{p}" for p in select.split(", "))


def _connect(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise PackError("no such channel database", str(path))
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        result = connection.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError:
        raise PackError("is not a readable SQLite database: the file is damaged or is not a Kolibri channel",
                        path.name) from None
    if result is None or result[0] != "ok":
        connection.close()
        raise PackError("is a damaged SQLite database (its integrity check failed)", path.name)
    return connection


def _query(connection, sql: str, path: Path, params=()):
    try:
        return connection.execute(sql, params)
    except sqlite3.DatabaseError as err:
        raise PackError(f"could not be read as a Kolibri channel ({err})", path.name) from None


def _tables(connection) -> set[str]:
    try:
        return {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        raise PackError("is not a readable SQLite database") from None


def _columns(connection, table: str) -> set[str]:
    return {r[1] for r in connection.execute(f'PRAGMA table_info("{table}")')}


def _json(value, default):
    if value is None or isinstance(value, (dict, list)):
        return value if value is not None else default
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return default
