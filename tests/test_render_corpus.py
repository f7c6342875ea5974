"""Rendering real third-party lessons and real XSS payload lists (../shared/corpus, read-only)."""
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from server.content.packs.render import AssetRef, render_inline_markdown, render_lesson, split_front_matter
from tests.test_render import html_problems, tags_of

LESSONS = {  # folder → (episode glob, language)
    "swc-shell-novice-en": ("episodes/*.md", "en"),
    "swc-shell-novice-es": ("episodes/*.md", "es"),
    "swc-git-novice-en": ("episodes/*.md", "en"),
    "swc-git-novice-es": ("episodes/*.md", "es"),
    "swc-shell-novice-ja": ("_episodes/*.md", "ja"),
}
WORKBENCH_OPENER = r"^:{3,}\s*{kind}\s*$"
KRAMDOWN_OPENER = r"^[ \t>]*\{{:\s*\.{kind}\s*\}}\s*$"


def episodes(corpus: Path) -> list[tuple[str, Path, str]]:
    """(lesson folder, episode file, language) for every episode of the five Carpentries lessons."""
    found = []
    for folder, (pattern, lang) in LESSONS.items():
        files = sorted((corpus / "lessons" / folder).glob(pattern))
        assert files, f"no episodes in {folder}"
        found += [(folder, path, lang) for path in files]
    return found


def render_episode(path: Path, lang: str, seen: list | None = None):
    """Render an episode with a resolver that looks files up next to it on disk, like an importer."""
    root = path.parents[1]

    def resolve_asset(href: str) -> AssetRef | None:
        if seen is not None:
            seen.append(href)
        target = (path.parent / unquote(href.split("#")[0].split("?")[0])).resolve()
        if root.resolve() not in target.parents or not target.is_file():
            return None
        return AssetRef(url=f"/media/0000/{target.name}", width=640, height=480)

    return render_lesson(path.read_text(encoding="utf-8"), resolve_asset=resolve_asset, lang=lang)


def count_openers(source: str, kind: str) -> int:
    """How many boxes of `kind` the source opens (Workbench fenced divs or kramdown IALs)."""
    workbench = re.findall(WORKBENCH_OPENER.replace("{kind}", kind), source, re.M)
    kramdown = re.findall(KRAMDOWN_OPENER.format(kind=kind), source, re.M)
    return len(workbench) + len(kramdown)


def test_every_carpentries_episode_renders_with_its_boxes(corpus):
    total_challenges = 0
    for folder, path, lang in episodes(corpus):
        source = path.read_text(encoding="utf-8")
        rendered = render_episode(path, lang)
        html, where = rendered.html, f"{folder}/{path.name}"
        challenges = count_openers(source, "challenge")
        assert html.count('<section class="box box-challenge"') == challenges, where
        assert html.count('<details class="box box-solution"') == count_openers(source, "solution"), where
        assert ":::" not in html and "{: ." not in html and "{%" not in html, where
        assert html_problems(html) == [], where
        assert all("alt" in attrs for tag, attrs in tags_of(html) if tag == "img"), where
        assert rendered.title == split_front_matter(source)[0]["title"], where
        assert not any(w.startswith("fenced div") for w in rendered.warnings), where
        total_challenges += challenges
    assert total_challenges > 200  # the corpus really exercised boxes


def test_every_section_points_at_a_heading_inside_it(corpus):
    for folder, path, lang in episodes(corpus):
        html = render_episode(path, lang).html
        for match in re.finditer(r'<section class="box [^"]+" aria-labelledby="([^"]+)">\n<h(\d)[^>]* id="([^"]+)"',
                                 html):
            assert match.group(1) == match.group(3), f"{folder}/{path.name}"
        assert html.count("<section") == len(re.findall(r"<section[^>]*aria-labelledby", html)) + \
            html.count('<section class="footnotes"')


def test_workbench_figures_use_the_pandoc_alt_text(corpus):
    path = corpus / "lessons/swc-shell-novice-en/episodes/02-filedir.md"
    seen: list[str] = []
    rendered = render_episode(path, "en", seen)
    assert "fig/filesystem.svg" in seen and "fig/filesystem.svg" in rendered.assets
    assert ('alt="The file system is made up of a root directory that contains sub-directories titled bin, '
            'data, users, and tmp"') in rendered.html
    assert "{alt=" not in rendered.html and rendered.warnings == []


def test_japanese_lesson_with_broken_figure_links_warns_instead_of_crashing(corpus):
    path = corpus / "lessons/swc-shell-novice-ja/_episodes/02-filedir.md"
    rendered = render_episode(path, "ja")
    assert "broken image link: ../../../fig/filesystem.svg" in rendered.warnings
    assert '<span class="missing-image">画像を表示できません: The File System</span>' in rendered.html
    assert "<img" not in rendered.html and rendered.assets == []
    assert "<figcaption>出力</figcaption>" in rendered.html  # `{: .output}` blocks are labelled


def test_spanish_accents_and_inverted_question_marks_survive(corpus):
    for folder in ("swc-shell-novice-es", "swc-git-novice-es"):
        for path in sorted((corpus / "lessons" / folder / "episodes").glob("*.md")):
            source = path.read_text(encoding="utf-8")
            rendered = render_episode(path, "es")
            assert rendered.html.count("¿") >= source.count("¿") - source.count("&iquest;"), path.name
            for word in re.findall(r"\b\w*[áéíóúñÁÉÍÓÚÑ]\w*\b", split_front_matter(source)[1])[:50]:
                assert word in rendered.text or word in rendered.html, (path.name, word)
    intro = render_episode(corpus / "lessons/swc-shell-novice-es/episodes/01-intro.md", "es")
    assert intro.title == "Introducción a la Terminal"


# --- XSS payload lists --------------------------------------------------------------------------

def xss_payloads(corpus: Path) -> list[str]:
    """Every non-empty line of the PayloadsAllTheThings polyglots and the fuzzdb XSS lists."""
    security = corpus / "security"
    files = [security / "payloadsallthethings-files/XSS Injection/Intruders/XSS_Polyglots.txt"]
    files += sorted((security / "fuzzdb-attack-lists/attack/xss").glob("*.txt"))
    lines = []
    for file in files:
        lines += [line for line in file.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    return lines


def embeddings(payload: str) -> list[str]:
    """The payload as raw HTML, inline in text, in links and in images (as alt, href and pandoc alt)."""
    quoted = payload.replace("'", "\\'")
    return [
        payload,
        f"Some text {payload} more text",
        f"[{payload}]({payload})",
        f"[link](<{payload}>) [ref][r]\n\n[r]: {payload}",
        f"![{payload}](fig/x.png) ![alt]({payload})",
        f"![](fig/x.png){{alt='{quoted}'}}",
        f"::: challenge\n## {payload}\n\n::: solution\n{payload}\n:::\n:::",
        f"> ## {payload}\n> {payload}\n{{: .challenge}}",
    ]


def test_xss_payloads_never_survive_rendering(corpus):
    payloads = xss_payloads(corpus)
    assert len(payloads) > 1900
    assets = {"fig/x.png": AssetRef(url="/media/0000/x.png")}
    for payload in payloads:
        for text in embeddings(payload):
            html = render_lesson(text, resolve_asset=assets.get).html
            assert html_problems(html) == [], (payload, html)
        assert html_problems(render_inline_markdown(payload)) == [], payload


def test_xss_files_embedded_as_raw_html_are_neutralised(corpus):
    folder = corpus / "security/payloadsallthethings-files/XSS Injection/Files"
    texts = [p for p in sorted(folder.iterdir()) if p.suffix in {".svg", ".htm", ".xhtml", ".xht", ".xml", ".xsl",
                                                                   ".xslt", ".rdf", ".vml", ".hxt", ".mno", ".xsd",
                                                                   ".dtd", ".wsdl", ".xsf", ".demo", ".url"}]
    assert len(texts) > 15
    for path in texts:
        body = path.read_text(encoding="utf-8", errors="replace")
        html = render_lesson(f"# {path.name}\n\n{body}\n", resolve_asset=lambda href: None).html
        assert html_problems(html) == [], path.name
