"""Choosing some topics of a channel: which nodes a partial conversion keeps.

Decisions:
- A topic is named by its node id or by its title (compared without case); a title that names several
  topics is refused with their ids, so the choice is never a guess. The channel's root means all of it.
- A chosen topic brings its whole subtree; a node in it brings the nodes it requires (Kolibri's
  prerequisites), wherever they are in the channel, and theirs in turn: a skill is never locked behind one
  the school cannot practise. They come in their own topics' units.
- The pack stays `kolibri-<channel id>` with the node ids as progress keys, so a learner's progress holds
  when the school later chooses other topics or the whole channel. Its version carries the choice as build
  metadata (`3.0.0+topics.<hash>`): the same choice again is "already installed", another one replaces it.
"""
import hashlib
from dataclasses import dataclass

from server.errors import PackError
from server.content.kolibri.channel_db import Node

MAX_LISTED = 20


@dataclass(frozen=True)
class Selection:
    """The chosen topics and every node a partial conversion keeps."""

    topics: tuple[Node, ...]
    node_ids: frozenset[str]  # with the topics above them, so the tree still reaches them
    chosen: int  # nodes in the chosen topics
    required: int  # nodes brought in from outside the chosen topics as prerequisites

    @property
    def version_tag(self) -> str:
        """Build metadata naming the choice (the same topics give the same tag, in any order)."""
        ids = ",".join(sorted(t.id for t in self.topics))
        return "topics." + hashlib.sha256(ids.encode()).hexdigest()[:12]

    def describe(self) -> str:
        """One sentence for the person importing."""
        titles = ", ".join(t.title for t in self.topics)
        extra = f", and {self.required} they require from elsewhere in the channel" if self.required else ""
        return f"Chosen topics: {titles} ({self.chosen} nodes{extra})."


def select_topics(wanted: tuple[str, ...], root: Node, by_parent: dict, prerequisites: list[tuple[str, str]],
                  where: str) -> Selection | None:
    """The nodes to keep for topics named by id or title; None for the whole channel; PackError if unknown."""
    if not wanted:
        return None
    topics = _all_topics(root, by_parent)
    chosen: dict[str, Node] = {}
    for name in wanted:
        topic = _find(name.strip(), root, topics, where)
        if topic.id == root.id:
            return None
        chosen[topic.id] = topic
    keep = set()
    for topic in chosen.values():
        keep |= _subtree(topic, by_parent)
    inside = len(keep)
    _add_required(keep, prerequisites)
    required = len(keep) - inside
    _add_ancestors(keep, by_parent)
    return Selection(tuple(chosen.values()), frozenset(keep), inside, required)


def _all_topics(root: Node, by_parent: dict) -> list[Node]:
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(c for c in reversed(by_parent.get(node.id, [])) if c.kind == "topic")
    return out


def _find(name: str, root: Node, topics: list[Node], where: str) -> Node:
    for topic in topics:
        if topic.id == name:
            return topic
    matches = [t for t in topics if t.title.casefold() == name.casefold()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise PackError(f"{len(matches)} topics are titled {name!r}; choose one by its id: "
                        + ", ".join(t.id for t in matches[:MAX_LISTED]), where)
    listed = [t for t in topics if t.id != root.id][:MAX_LISTED]
    raise PackError(f"has no topic {name!r}; its topics include: "
                    + ("; ".join(f"{t.title} ({t.id})" for t in listed) or "none"), where)


def _subtree(topic: Node, by_parent: dict) -> set[str]:
    keep, stack = set(), [topic]
    while stack:
        node = stack.pop()
        keep.add(node.id)
        stack.extend(by_parent.get(node.id, []))
    return keep


def _add_required(keep: set[str], prerequisites: list[tuple[str, str]]) -> None:
    requires: dict[str, list[str]] = {}
    for node_id, required in prerequisites:
        requires.setdefault(node_id, []).append(required)
    stack = [n for n in keep if n in requires]
    while stack:
        for required in requires.get(stack.pop(), []):
            if required not in keep:
                keep.add(required)
                stack.append(required)


def _add_ancestors(keep: set[str], by_parent: dict) -> None:
    parent_of = {child.id: parent for parent, children in by_parent.items() for child in children}
    for node_id in list(keep):
        parent = parent_of.get(node_id)
        while parent is not None and parent not in keep:
            keep.add(parent)
            parent = parent_of.get(parent)
