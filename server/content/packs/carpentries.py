"""A Carpentries episode as the lesson site shows it, written out as the Markdown the pack carries.

Old (Jekyll "styles") and new (Workbench) lessons differ in ways the renderer should not have to
know, so the build rewrites each episode once:

* `links.md` (at the lesson's root or in `_includes/`) holds reference definitions (`[ref]: url`)
  shared by every episode; they are appended, so `[text][ref]` becomes a link.
* Old-Jekyll front matter `questions`, `objectives` and `keypoints` become the Workbench boxes
  (`::: questions` and `::: objectives` first, `::: keypoints` last), unless the body has them.
* Liquid: `{{ page.root }}` / `{{ site.root }}` / `{{ relative_root_path }}` become the path back
  to the lesson root; `{% link path %}` the path of that page relative to the episode. A link to a
  page that is not an episode of the pack is removed (its text kept) with a warning;
  `{% include links.md %}` is dropped (the links are appended anyway); any other `{% … %}` tag is
  removed with a warning.

Decisions: only Liquid *tags* and the root variables are touched, never other `{{ … }}` (code
samples use them), and code spans are not parsed: a lesson quoting Liquid in code is rare, and the
warning names what was removed.
"""
import posixpath
import re

import yaml

ROOT_VARIABLE = re.compile(r"\{\{\s*(?:page\.root|site\.root|relative_root_path)\s*\}\}/?")
LINK_TAG = re.compile(r"\{%-?\s*link\s+([^%]+?)\s*-?%\}")
INCLUDE_LINKS = re.compile(r"\{%-?\s*include\s+links\.md\s*-?%\}\n?")
OTHER_TAG = re.compile(r"\{%-?.*?-?%\}", re.S)
MD_LINK = re.compile(r"(!?)\[([^\]]*)\]\(\s*([^)\s]*?(?:\{\{|\{%)[^)]*?)\s*\)")
BOXES = (("questions", "Questions"), ("objectives", "Objectives"))
FENCE = ":" * 40


def links_file(read) -> str:
    """The lesson's shared reference definitions (`links.md` or `_includes/links.md`), or ""."""
    for path in ("links.md", "_includes/links.md"):
        text = read(path)
        if text is not None:
            return text
    return ""


def normalize_episode(path: str, front: dict, body: str, links: str, episodes: set[str]) -> tuple[str, list[str]]:
    """The episode's Markdown as the pack carries it (front matter included), and warnings."""
    warnings: list[str] = []
    body = _liquid(path, body, episodes, warnings)
    body = _boxes(front, body)
    if links.strip():
        body = f"{body.rstrip()}\n\n{_liquid(path, links, episodes, warnings).strip()}\n"
    kept = {k: v for k, v in front.items() if k not in ("questions", "objectives", "keypoints")}
    return f"---\n{yaml.safe_dump(kept, allow_unicode=True, sort_keys=False)}---\n{body}", warnings


def _liquid(path: str, text: str, episodes: set[str], warnings: list[str]) -> str:
    folder = posixpath.dirname(path)
    back = posixpath.relpath(".", folder) + "/" if folder else ""

    def target(raw: str) -> str:
        raw = ROOT_VARIABLE.sub("", raw)
        return LINK_TAG.sub(lambda m: m.group(1).strip().strip("\"'").lstrip("/"), raw).lstrip("/")

    def link(found: re.Match) -> str:
        bang, label, raw = found.groups()
        root_path = target(raw)
        page, _, anchor = root_path.partition("#")
        if not bang and (page.endswith((".md", ".html", "/")) or "{%" in raw):
            episode = _episode_for(page, episodes)
            if episode is None:
                warnings.append(f"link to {page or raw[:60]} removed: it is not a page of this pack")
                return label
            root_path = episode + (f"#{anchor}" if anchor else "")
        rel = posixpath.relpath(root_path, folder) if folder and root_path else root_path
        return f"{bang}[{label}]({rel})"

    text = MD_LINK.sub(link, text)
    text = INCLUDE_LINKS.sub("", text)
    text = ROOT_VARIABLE.sub(back, text)
    text = LINK_TAG.sub(lambda m: posixpath.relpath(m.group(1).strip().strip("\"'").lstrip("/"), folder or "."),
                        text)

    def other(found: re.Match) -> str:
        warnings.append(f"Liquid tag removed: {' '.join(found.group(0).split())[:60]}")
        return ""
    return OTHER_TAG.sub(other, text)


def _episode_for(page: str, episodes: set[str]) -> str | None:
    """The episode a site link means: its file, or its page address (`02-filedir/`, `…/index.html`)."""
    if page in episodes:
        return page
    stem = page.rstrip("/").removesuffix("/index.html").removesuffix(".html").removesuffix(".md")
    stem = stem.rsplit("/", 1)[-1]
    return next((e for e in sorted(episodes) if posixpath.splitext(posixpath.basename(e))[0] == stem), None) if stem else None


def _boxes(front: dict, body: str) -> str:
    """Workbench boxes from old-Jekyll front matter lists, where the body has none of its own."""
    head, tail = [], ""
    for key, _ in BOXES:
        items = _strings(front.get(key))
        if items and not re.search(rf"^:{{3,}}\s*\{{?\.?{key}\b", body, re.M):
            head.append(f"{FENCE} {key}\n\n" + "\n".join(f"- {item}" for item in items) + f"\n\n{FENCE}\n")
    keypoints = _strings(front.get("keypoints"))
    if keypoints and not re.search(r"^:{3,}\s*\{?\.?keypoints\b", body, re.M):
        tail = f"\n\n{FENCE} keypoints\n\n" + "\n".join(f"- {item}" for item in keypoints) + f"\n\n{FENCE}\n"
    return "\n".join(head) + ("\n" if head else "") + body.rstrip() + "\n" + tail


def _strings(value) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return list(dict.fromkeys(" ".join(str(v).split()) for v in value if str(v).strip()))
