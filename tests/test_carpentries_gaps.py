"""Carpentries lessons old and new, as their sites show them: raw-HTML figures, links.md, old-Jekyll
front matter, Liquid, a malformed callout, title and language."""
import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from server.content.library import lesson_page
from server.content.packs.build import build_pack
from server.content.packs.install import import_pack
from server.content.packs.render import render_lesson

EPISODE_1 = """---
title: "Navigating"
questions:
- "How do I move around?"
objectives:
- "Use cd."
keypoints:
- "cd changes directory."
---
See the [manual][man-cd] and the [next episode]({{ page.root }}{% link _episodes/02-more.md %}).
Also the [setup]({{ page.root }}{% link setup.md %}) and {% include links.md %}

![Tree]({{ page.root }}/fig/tree.png)

<p align="center"><img src="../fig/raw.png" alt="Raw figure" width="50%"></p>

{% raw %}kept text{% endraw %}
"""
EPISODE_2 = "---\ntitle: More\n---\nNothing else.\n"


@pytest.fixture
def old_lesson(tmp_path) -> Path:
    src = tmp_path / "shell-old"
    (src / "_episodes").mkdir(parents=True)
    (src / "_includes").mkdir()
    (src / "fig").mkdir()
    (src / "_episodes" / "01-nav.md").write_text(EPISODE_1, encoding="utf-8")
    (src / "_episodes" / "02-more.md").write_text(EPISODE_2, encoding="utf-8")
    (src / "_includes" / "links.md").write_text("[man-cd]: https://man7.org/linux/man-pages/man1/cd.1p.html\n",
                                                encoding="utf-8")
    (src / "_config.yml").write_text("title: The Unix Shell (old style)\nlang: uk\n", encoding="utf-8")
    for name in ("tree.png", "raw.png"):
        Image.new("RGB", (900, 300), "navy").save(src / "fig" / name)
    return src


def test_old_jekyll_lesson_builds_as_its_site_shows_it(old_lesson, tmp_path, library):
    built = build_pack(old_lesson, tmp_path / "old.lantern")
    assert built.manifest.title == "The Unix Shell (old style)" and built.manifest.language == "uk"
    with zipfile.ZipFile(built.path) as archive:
        names = set(archive.namelist())
    assert {"fig/tree.png", "fig/raw.png"} <= names
    warnings = " | ".join(built.warnings)
    assert "_episodes/01-nav.md: link to setup.md removed: it is not a page of this pack" in warnings
    assert "Liquid tag removed: {% raw %}" in warnings
    assert "language is 'uk', but its text is in the Latin alphabet" in warnings  # written in English
    import_pack(built.path, library, progress=lambda _: None)
    html = lesson_page("shell-old", "01-nav").lesson.html
    assert 'href="https://man7.org/linux/man-pages/man1/cd.1p.html"' in html and "[man-cd]" not in html
    assert 'href="/packs/shell-old/lessons/02-more"' in html
    assert "setup" in html and "setup.md" not in html and "{%" not in html and "{{" not in html
    assert html.count('<img src="/media/') == 2 and 'alt="Raw figure"' in html
    assert "box-questions" in html and "How do I move around?" in html
    assert html.index("box-objectives") < html.index("Tree") < html.index("box-keypoints")


def test_a_malformed_callout_degrades_only_its_own_block():
    markdown = ("# T\n\n::::: callout\n## Broken box\ninside\n\n:::::: challenge\n## Challenge 1\ndo it\n"
                "::::::\n\n## After\nplain text after\n")
    html = render_lesson(markdown, resolve_asset=lambda href: None).html
    callout = html[html.index("box-callout"):html.index("</section>")]
    assert "inside" in callout and "Challenge 1" not in callout
    assert '<section class="box box-challenge"' in html
    assert html.rindex("</section>") < html.index("plain text after")


def test_workbench_lesson_keeps_its_own_boxes_and_gets_no_language_warning(corpus, tmp_path):
    built = build_pack(corpus / "lessons" / "swc-shell-novice-en", tmp_path / "en.lantern")
    assert built.manifest.title == "The Unix Shell"
    assert not any("language is" in w for w in built.warnings)
    with zipfile.ZipFile(built.path) as archive:
        episode = archive.read("episodes/01-intro.md").decode()
        manifest = json.loads(archive.read("manifest.json"))
    assert episode.count(":: questions") == 1  # not doubled
    assert manifest["language"] == "en"
