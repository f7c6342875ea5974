"""A Kolibri channel on a drive → a pack folder → the ordinary verify → prepare → install pipeline.

Decisions:
- Topics become units: each topic with content of its own is one unit, titled by its path below the
  channel ("Algebra › Linear equations"); content nodes are its lessons, in the channel's order.
- Ids: the pack is `kolibri-<channel id>`, lessons and skills are the Kolibri node ids and items
  `<node id>.<assessment id>`, so a newer channel version keeps every learner's progress.
- Prerequisites: Kolibri's between exercises become prerequisites between their skills (an edge that
  would close a cycle is dropped with a warning); others have no Lantern equivalent and are counted.
- What cannot be converted is said, never hidden: nodes whose files are not on the drive, node kinds
  Lantern does not show, Perseus items skipped (counted per widget).
- The work folder is `DATA/convert/<channel>-<version>/`, kept across a power cut (files are renamed into
  place only when whole, see pack_folder) and removed once the pack is installed or refused.
"""
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from server.errors import PackError
from server.storage import ensure_free_space
from server.content.kolibri import nodes
from server.content.kolibri.channel_db import ChannelDB, Node
from server.content.kolibri.drive import ChannelOnDrive
from server.content.kolibri.exercises import convert_exercise, mastery_rule
from server.content.kolibri.pack_folder import PackFolder
from server.content.kolibri.selection import Selection, select_topics

CONTENT_KINDS = {"video", "audio", "document", "html5", "exercise"}


@dataclass
class Conversion:
    """What a conversion made and what it could not."""

    pack_folder: Path
    pack_id: str
    lessons: int = 0
    items: int = 0
    kinds: Counter = field(default_factory=Counter)
    missing: list[str] = field(default_factory=list)  # "title: reason"
    unsupported: Counter = field(default_factory=Counter)  # node kind -> count
    skipped_items: Counter = field(default_factory=Counter)  # widget/reason -> count
    warnings: list[str] = field(default_factory=list)

    def report(self) -> list[str]:
        """Plain sentences for the person importing."""
        lines = [f"Converted {self.lessons} lessons and {self.items} practice items ("
                 + ", ".join(f"{n} {k}" for k, n in sorted(self.kinds.items())) + ")."]
        if self.missing:
            lines.append(f"{len(self.missing)} not on this drive or not usable, left out: "
                         + "; ".join(self.missing[:20]) + (" …" if len(self.missing) > 20 else ""))
        if self.unsupported:
            lines.append("Kinds Lantern does not show, left out: "
                         + ", ".join(f"{n} {k}" for k, n in sorted(self.unsupported.items())))
        if self.skipped_items:
            lines.append(f"Skipped {sum(self.skipped_items.values())} exercise items: "
                         + ", ".join(f"{n} with {k}" for k, n in sorted(self.skipped_items.items())))
        return lines + self.warnings


def work_folder(data_dir: Path, channel: ChannelOnDrive) -> Path:
    """Where a channel's conversion is written (kept across a power cut)."""
    return Path(data_dir) / "convert" / f"{channel.id}-{channel.version}"


def convert_channel(channel: ChannelOnDrive, work: Path, reserve_bytes: int = 0,
                    topics: tuple[str, ...] = ()) -> Conversion:
    """Write a pack folder for a channel (or only the `topics` named, by id or title) into `work`;
    PackError (work removed) on bad input."""
    try:
        with ChannelDB(channel.database) as db:
            work.parent.mkdir(parents=True, exist_ok=True)
            # the work copy, the importer's staging copy and the blob store: about three times the files
            ensure_free_space(work.parent, reserve_bytes, 3 * db.total_file_bytes())
            return _convert(db, channel, PackFolder(work, channel.root), tuple(topics))
    except PackError:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _convert(db: ChannelDB, channel: ChannelOnDrive, folder: PackFolder, topics: tuple[str, ...]) -> Conversion:
    conversion = Conversion(folder.root, f"kolibri-{channel.id}")
    all_nodes = list(db.iter_nodes())
    by_parent: dict[str | None, list[Node]] = {}
    for node in all_nodes:
        by_parent.setdefault(node.parent_id, []).append(node)
    root = next((n for n in all_nodes if n.id == db.meta.root_id), None) or (by_parent.get(None) or [None])[0]
    if root is None:
        raise PackError("the channel has no content", channel.database.name)
    selection = select_topics(topics, root, by_parent, db.prerequisites(), channel.database.name)
    if selection is not None:
        all_nodes = [n for n in all_nodes if n.id in selection.node_ids]
        by_parent = {p: [n for n in kids if n.id in selection.node_ids] for p, kids in by_parent.items()}
        conversion.warnings.insert(0, selection.describe())
    _attach_files(db, all_nodes)
    language = _language(root, all_nodes)
    units, skills = [], {}
    for topic, path in _topics(root, by_parent):
        unit = _unit(db, topic, path, by_parent.get(topic.id, []), folder, language, conversion, skills)
        if unit["lessons"]:
            units.append(unit)
    if not units:
        raise PackError("nothing in this channel is on the drive, so there is nothing to import: "
                        + "; ".join(conversion.missing[:5]), channel.database.name)
    manifest = _manifest(db, channel, root, all_nodes, language, units, _with_prerequisites(db, skills, conversion))
    folder.write_manifest(_chosen(manifest, selection))
    return conversion


def _attach_files(db: ChannelDB, all_nodes: list[Node]) -> None:
    files, assessments = db.files_by_node(), db.assessments()
    for node in all_nodes:
        node.files = files.pop(node.id, [])
        node.assessment = assessments.get(node.id, ([], None))


def _chosen(manifest: dict, selection: Selection | None) -> dict:
    """A partial conversion's manifest: the topics in its title, the choice in its version (see selection)."""
    if selection is None:
        return manifest
    titles = ", ".join(t.title for t in selection.topics)
    return {**manifest, "title": f"{manifest['title']}: {titles}"[:200],
            "version": f"{manifest['version']}+{selection.version_tag}"}


def _topics(root: Node, by_parent: dict) -> list[tuple[Node, list[str]]]:
    """Every topic in tree order with its title path below the root."""
    out, stack = [], [(root, [])]
    while stack:
        topic, path = stack.pop()
        out.append((topic, path))
        children = [c for c in by_parent.get(topic.id, []) if c.kind == "topic"]
        stack.extend((c, path + [c.title]) for c in reversed(children))
    return out


def _unit(db, topic, path, children, folder, language, conversion, skills) -> dict:
    lessons, items = [], []
    for node in children:
        if node.kind == "topic":
            continue
        if node.kind not in CONTENT_KINDS:
            conversion.unsupported[node.kind or "unknown"] += 1
            continue
        try:
            lesson, node_items = _lesson(db, node, folder, language, conversion, skills)
        except nodes.Missing as why:
            conversion.missing.append(f"{node.title}: {why}")
            continue
        lessons.append(lesson)
        items.extend(node_items)
        conversion.kinds[node.kind] += 1
    conversion.lessons += len(lessons)
    conversion.items += len(items)
    title = " › ".join(path) if path else topic.title
    return {"id": topic.id, "title": title[:200], "lessons": lessons, "items": items}


def _lesson(db, node, folder, language, conversion, skills) -> tuple[dict, list[dict]]:
    warnings = conversion.warnings
    if node.kind in ("video", "audio"):
        return nodes.media_lesson(node, folder, language, warnings), []
    if node.kind == "document":
        return nodes.document_lesson(node, folder, warnings), []
    if node.kind == "html5":
        return nodes.app_lesson(node, folder, warnings), []
    perseus = nodes.storage_zip(node, folder, "perseus")
    if perseus is None:
        raise nodes.Missing("its exercise file is not on the drive")
    item_ids, model = node.assessment
    result = convert_exercise(node, perseus, item_ids, folder)
    conversion.skipped_items.update(result.skipped)
    if not result.items:
        raise nodes.Missing("none of its exercise items can be shown without JavaScript")
    threshold = (node.options.get("completion_criteria") or {}).get("threshold") if node.options else None
    skills[node.id] = {"id": node.id, "title": node.title[:200], "prerequisites": [],
                       "mastery": mastery_rule(model or threshold, len(result.items))}
    page = nodes.lesson_page(node, folder)
    return nodes.lesson_entry(node, page, [], [node.id]), result.items


def _with_prerequisites(db: ChannelDB, skills: dict, conversion: Conversion) -> list[dict]:
    dropped = 0
    for node_id, required in db.prerequisites():
        if node_id in skills and required in skills and node_id != required:
            if _reaches(skills, required, node_id):
                conversion.warnings.append(f"a prerequisite of {skills[node_id]['title']!r} would make a "
                                           "cycle; left out")
                continue
            skills[node_id]["prerequisites"].append(required)
        else:
            dropped += 1
    if dropped:
        conversion.warnings.append(f"{dropped} prerequisites between non-exercise resources have no Lantern "
                                   "equivalent (only skills have prerequisites); left out")
    return [{k: v for k, v in s.items() if v is not None} for s in skills.values()]


def _reaches(skills: dict, start: str, goal: str) -> bool:
    seen, stack = set(), [start]
    while stack:
        current = stack.pop()
        if current == goal:
            return True
        if current not in seen:
            seen.add(current)
            stack.extend(skills[current]["prerequisites"])
    return False


def _language(root: Node, all_nodes: list[Node]) -> str:
    if root.language and nodes.LANGUAGE.match(root.language):
        return root.language
    counts = Counter(n.language for n in all_nodes if n.language and nodes.LANGUAGE.match(n.language))
    return counts.most_common(1)[0][0] if counts else "und"


def _manifest(db, channel, root, all_nodes, language, units, skills) -> dict:
    licences = Counter(n.licence for n in all_nodes if n.licence and n.kind != "topic")
    authors = [db.meta.author] + sorted({n.author for n in all_nodes if n.author} - {db.meta.author})
    licence = licences.most_common(1)[0][0] if licences else "See each lesson"
    if len(licences) > 1:
        licence = f"{licence} and others (see each lesson)"
    return {"format": 1, "id": f"kolibri-{channel.id}", "version": f"{max(db.meta.version, 0)}.0.0",
            "title": db.meta.name[:200], "language": language, "licence": licence[:100],
            "authors": [a[:200] for a in authors if a][:50],
            "description": (db.meta.description or root.description)[:2000],
            "subjects": [], "skills": skills, "units": units, "signature": None}
