"""Third-party lessons nobody here wrote: the Carpentries corpus builds, imports and serves."""
import re

import pytest

from server.db import database
from server.models import Lesson, PackVersion
from server.content.packs.build import build_pack
from server.content.packs.install import import_pack

LESSONS = {
    "swc-shell-novice-en": ("en", 7, "The Unix Shell"),
    "swc-shell-novice-es": ("es", 7, "La Terminal de Unix"),
    "swc-git-novice-en": ("en", 13, None),
    "swc-git-novice-es": ("es", 14, None),
    "swc-shell-novice-ja": ("ja", 7, None),
}


@pytest.mark.parametrize("folder", sorted(LESSONS))
def test_carpentries_lesson_builds_imports_and_serves(folder, corpus, tmp_path, library, client):
    language, episodes, title = LESSONS[folder]
    src = corpus / "lessons" / folder
    built = build_pack(src, tmp_path / f"{folder}.lantern", language=None if folder != "swc-shell-novice-ja" else "ja")
    manifest = built.manifest
    assert manifest.language == language
    assert len(manifest.lessons) == episodes
    if title:
        assert manifest.title == title
    result = import_pack(built.path, library, progress=lambda _: None)
    assert result.lesson_count == episodes
    pack = PackVersion.get(PackVersion.pack_id == manifest.id)
    lessons = list(Lesson.select().where(Lesson.pack_version == pack).order_by(Lesson.position))
    html = "".join(lesson.html for lesson in lessons)
    assert "<script" not in html and ":::" not in html and "{: ." not in html
    assert html.count('class="box box-challenge"') > 0
    assert "<details" in html
    page = client.get(f"/packs/{manifest.id}/lessons/{lessons[1].lesson_id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    for src_url in re.findall(r'<img[^>]+src="([^"]+)"', body):
        assert src_url.startswith("/media/"), src_url  # never a third-party request
        with client.get(src_url) as media:
            assert media.status_code == 200


def test_missing_episode_and_broken_images_are_warnings_not_crashes(corpus, tmp_path):
    git = build_pack(corpus / "lessons" / "swc-git-novice-en", tmp_path / "git.lantern")
    assert any("14-supplemental-rstudio.md" in w and "missing" in w for w in git.warnings)
    ja = build_pack(corpus / "lessons" / "swc-shell-novice-ja", tmp_path / "ja.lantern", language="ja")
    assert any("broken image link" in w or "not found" in w for w in ja.warnings)


def test_spanish_and_japanese_lessons_are_searchable(corpus, tmp_path, library):
    for folder, language in (("swc-shell-novice-es", None), ("swc-shell-novice-ja", "ja")):
        built = build_pack(corpus / "lessons" / folder, tmp_path / f"{folder}.lantern", language=language)
        import_pack(built.path, library, progress=lambda _: None)
    spanish = library.index.search("directorio")
    assert spanish and all(hit.pack_id == "swc-shell-novice-es" for hit in spanish[:3])
    accentless = library.index.search("introduccion")  # "Introducción" without the accent
    assert any(hit.pack_id == "swc-shell-novice-es" for hit in accentless)
    japanese = library.index.search("コンピューター")  # only 01-intro is translated upstream
    assert japanese and japanese[0].pack_id == "swc-shell-novice-ja"


def test_real_world_odd_paths_and_gift_quizzes_build_and_import(corpus, tmp_path, library):
    """FAIR-by-Design: spaces, en dashes and '&' in paths, a relative symlink, GIFT quizzes in .txt."""
    import shutil

    src = tmp_path / "fair"
    shutil.copytree(corpus / "lessons" / "fair-by-design-tot-en", src, symlinks=True)
    stage = "resources/Stage 1 – Prepare/01-FAIR skills & principles"
    quiz = "resources/Stage 3 – Design/04-Conceptualisation/Assessment/questions-Conceptualisation.txt"
    (src / "pack.yaml").write_text(
        "format: 1\nid: fair-by-design\nversion: 1.0.0\ntitle: FAIR-by-Design\nlanguage: en\n"
        "licence: CC-BY-4.0\nskills: [{id: fair, title: FAIR principles}]\nunits:\n"
        f"  - id: prepare\n    title: Prepare\n    lessons: ['{stage}/01-FAIR skills & principles.md']\n"
        f"    practice: [{{file: '{quiz}', format: gift, skill: fair}}]\n", encoding="utf-8")
    built = build_pack(src, tmp_path / "fair.lantern")
    assert built.manifest.lessons[0].file == f"{stage}/01-FAIR skills & principles.md"
    assert built.manifest.item_count >= 4
    result = import_pack(built.path, library, progress=lambda _: None)
    assert (result.lesson_count, result.item_count) == (1, built.manifest.item_count)
