"""The lesson renderer's output on real third-party lessons (the Carpentries episodes in
../shared/corpus), not only on our own packs: valid HTML, no axe violations with the real
stylesheet inside the same page structure as a lesson page, and no sideways scrolling at 320 px."""
import shutil
from html import escape
from pathlib import Path

import pytest

from server import REPO_ROOT
from tests.browser.test_axe_every_page import WIDER_THAN_THE_SCREEN, axe_violations, describe
from tests.browser.test_html_valid import run_vnu
from tests.test_render_corpus import episodes, render_episode

pytestmark = [pytest.mark.slow]

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Lantern</title><link rel="stylesheet" href="style.css"></head>
<body><main id="main"><article lang="{lang}"><h1>{title}</h1>
{html}
</article></main></body>
</html>
"""


@pytest.fixture(scope="session")
def corpus_lessons(corpus, tmp_path_factory) -> dict[str, Path]:
    """Each corpus episode rendered into a lesson-like page file: {folder/episode: file}."""
    out = tmp_path_factory.mktemp("corpus-lessons")
    shutil.copy(REPO_ROOT / "static" / "style.css", out / "style.css")
    pages = {}
    for n, (folder, path, lang) in enumerate(episodes(corpus)):
        rendered = render_episode(path, lang)
        page = out / f"{n:03d}-{folder}-{path.stem}.html"
        page.write_text(PAGE.format(title=escape(rendered.title or path.stem), lang=lang, html=rendered.html),
                        encoding="utf-8")
        pages[f"{folder}/{path.name}"] = page
    return pages


def test_rendered_third_party_lessons_are_valid_html(vnu_command, corpus_lessons):
    errors = run_vnu(vnu_command, corpus_lessons)
    invalid = {name: found for name, found in errors.items() if found}
    report = "\n".join(f"{name}:\n  " + "\n  ".join(found[:10]) for name, found in invalid.items())
    assert not invalid, f"{len(invalid)} of {len(corpus_lessons)} rendered lessons are not valid HTML:\n{report}"


@pytest.mark.browser
def test_rendered_third_party_lessons_pass_axe_and_fit_a_small_phone(chromium, axe_source, corpus_lessons):
    page = chromium.page()
    found: dict = {}
    too_wide = []
    try:
        page.emulate_phone(320, 640)
        for name, path in corpus_lessons.items():
            page.goto(path.as_uri())
            if sticking_out := page.evaluate(WIDER_THAN_THE_SCREEN):
                too_wide.append(f"{name}: {sticking_out}")
            for v in axe_violations(page, axe_source):
                places = found.setdefault((v["id"], v["impact"], v["help"]), {})
                for node in v["nodes"]:
                    places.setdefault((node["target"], node["html"], node["why"]), []).append(name)
    finally:
        page.close()
    assert not found, "axe violations in rendered lessons:\n" + describe(found)
    assert not too_wide, "rendered lessons wider than a 320 px screen:\n" + "\n".join(too_wide)

