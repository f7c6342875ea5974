"""Lesson rendering: Markdown dialects in, safe and accessible HTML out (server.content.packs.render)."""
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.errors import PackError
from server.content.packs.render import (ALLOWED_TAGS, AssetRef, render_inline_markdown, render_lesson,
                                 sanitize_html, split_front_matter)

from tests.conftest import examples


def render(text, assets=(), links=None, lang=None, seen=None):
    """Render with a pack holding `assets` (hrefs as written); `seen` collects what resolve_asset got."""
    def resolve_asset(href):
        if seen is not None:
            seen.append(href)
        if isinstance(assets, dict):
            return assets.get(href)
        return AssetRef(url=f"/media/abc/{href.rsplit('/', 1)[-1]}") if href in assets else None

    return render_lesson(text, resolve_asset=resolve_asset,
                         resolve_link=lambda href: (links or {}).get(href), lang=lang)


_C0_OR_SPACE = "".join(map(chr, range(0x21)))


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every start tag in `html` with its (entity-decoded) attributes."""
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def _bare_url(value: str) -> str:
    """A URL as a browser's URL parser sees it: outer spaces and controls, inner tabs and newlines gone."""
    return re.sub(r"[\t\n\r]", "", value.strip(_C0_OR_SPACE)).replace("\\", "/").lower()


def html_problems(html: str) -> list[str]:
    """Everything in `html` that could run script, style the page or load from another site."""
    problems = ["<script"] if "<script" in html.lower() else []
    for tag, attrs in tags_of(html):
        if tag not in ALLOWED_TAGS:
            problems.append(f"tag {tag}")
        for name, value in attrs.items():
            url = _bare_url(value or "")
            if name.startswith("on") or name in ("style", "formaction", "action", "xlink:href"):
                problems.append(f"{tag} {name}")
            if name in ("href", "src", "srcset", "poster") and url.startswith(("javascript:", "vbscript:", "data:")):
                problems.append(f"{tag} {name}={value}")
            if name in ("src", "srcset", "poster") and (url.startswith("//") or re.match(r"[a-z][a-z0-9+.-]*:", url)):
                problems.append(f"remote {tag} {name}={value}")
    return problems


# --- front matter ------------------------------------------------------------------------------

def test_front_matter_is_split_off():
    front, body = split_front_matter("---\ntitle: Pizza\nminutes: 5\n---\n# Hello\n")
    assert front == {"title": "Pizza", "minutes": 5}
    assert body == "# Hello\n"


@pytest.mark.parametrize("text", ["# No front matter\n", "---\n\nA thematic break and no closing line\n", ""])
def test_text_without_front_matter_is_returned_whole(text):
    assert split_front_matter(text) == ({}, text)


def test_empty_front_matter_is_an_empty_dict():
    assert split_front_matter("---\n---\nbody") == ({}, "body")


def test_bad_yaml_front_matter_names_the_problem_and_line():
    with pytest.raises(PackError, match=r"not valid YAML.*line 3"):
        split_front_matter("---\ntitle: ok\nbad: a: b\n---\nbody")


@pytest.mark.parametrize("yaml_text, kind", [("- a\n- b", "list"), ("just a string", "str")])
def test_front_matter_that_is_not_a_mapping_is_rejected(yaml_text, kind):
    with pytest.raises(PackError, match=f"not a {kind}"):
        split_front_matter(f"---\n{yaml_text}\n---\nbody")


def test_front_matter_with_an_impossible_date_is_a_pack_error():
    with pytest.raises(PackError, match="front matter"):
        split_front_matter("---\ndate: 2024-13-45\n---\nbody")


# --- titles, headings, anchors ---------------------------------------------------------------

def test_title_comes_from_front_matter_first():
    rendered = render("---\ntitle: From YAML\n---\n# From heading\n")
    assert rendered.title == "From YAML"
    assert "<h1" in rendered.html


def test_title_falls_back_to_the_first_heading():
    assert render("Intro text\n\n## First *real* heading\n\n## Second\n").title == "First real heading"
    assert render("No headings at all").title is None


def test_heading_anchors_are_unique_and_listed():
    rendered = render("## Setup\n\n## Setup\n\n### Setup\n\n## Café & ¿Qué?\n\n## 日本語の見出し\n")
    ids = [anchor for _, _, anchor in rendered.headings]
    assert ids == ["setup", "setup-2", "setup-3", "café-qué", "日本語の見出し"]
    assert [level for level, _, _ in rendered.headings] == [2, 2, 3, 2, 2]
    assert rendered.headings[3][1] == "Café & ¿Qué?"
    for anchor in ids:
        assert f'id="{anchor}"' in rendered.html


def test_headings_never_skip_a_level_and_keep_their_nesting():
    rendered = render("## A\n\n#### B\n\n#### C\n\n### D\n\n##### E\n\n## F\n\n::: callout\nNo heading\n:::\n\n#### G\n")
    assert [level for level, _, _ in rendered.headings] == [2, 3, 3, 3, 4, 2, 3]
    assert '<h3 id="b">B</h3>' in rendered.html and '<h4 id="e">E</h4>' in rendered.html
    # the callout's own label is an h2, so G (written h4) sits under it as an h3
    assert re.findall(r"<h(\d)", rendered.html) == ["2", "3", "3", "3", "4", "2", "2", "3"]


def test_heading_with_pandoc_id_uses_it_and_hides_the_braces():
    rendered = render("## Getting started {#start}\n")
    assert rendered.headings == [(2, "Getting started", "start")]
    assert "{#" not in rendered.html


def test_ids_the_page_uses_are_never_taken():
    rendered = render('## Main\n\n## Solution\n\n<p id="main">raw</p><p id="ok">fine</p>')
    assert [anchor for _, _, anchor in rendered.headings] == ["main-2", "solution-2"]
    assert '<p>raw</p><p id="ok">fine</p>' in rendered.html


def test_box_ids_never_collide_with_heading_ids():
    rendered = render("## Objectives\n\n::: objectives\n- learn\n:::\n")
    ids = re.findall(r'\bid="([^"]+)"', rendered.html)
    assert len(ids) == len(set(ids)) == 2


# --- Workbench fenced divs ---------------------------------------------------------------------

CHALLENGE = """\
::::::::::::::::::::::::::::::::::::::: challenge

## Which editor?

Pick one.

::::::::::::::: solution

## Solution

Nano.

:::::::::::::::::::::::::::::::::::::::::::::::::::::::::::::

::::::::::::::::::::::::::::::::::::::::::::::::::::

After the box.
"""


def test_challenge_becomes_a_labelled_section_with_the_solution_in_details():
    html = render(CHALLENGE).html
    assert '<section class="box box-challenge" aria-labelledby="which-editor">' in html
    assert '<h2 id="which-editor">Which editor?</h2>' in html
    section = html[html.index("<section"):html.index("</section>")]
    assert '<details class="box box-solution">\n<summary>Solution</summary>' in section
    assert "<p>Nano.</p>\n</details>" in section
    assert html.rstrip().endswith("<p>After the box.</p>")
    assert ":::" not in html


def test_box_headings_stay_out_of_the_table_of_contents():
    rendered = render("## Intro\n\n" + CHALLENGE)
    assert rendered.headings == [(2, "Intro", "intro")]


def test_box_without_a_heading_gets_a_default_label():
    html = render("::: keypoints\n- one\n:::\n\n::: hint\nTry *this*.\n:::\n").html
    assert ('<section class="box box-keypoints" aria-labelledby="key-points">\n'
            '<h2 class="box-title" id="key-points">Key points</h2>') in html
    assert '<details class="box box-hint">\n<summary>Hint</summary>\n<p>Try <em>this</em>.</p>' in html


def test_box_labels_follow_the_lesson_language():
    html = render("::: challenge\nx\n\n::: solution\ny\n:::\n:::\n", lang="es").html
    assert ">Desafío</h2>" in html and "<summary>Solución</summary>" in html


@pytest.mark.parametrize("kind", ["callout", "discussion", "objectives", "questions", "prereq", "checklist",
                                  "testimonial"])
def test_every_section_kind_is_a_section(kind):
    assert f'<section class="box box-{kind}"' in render(f"::: {kind}\ntext\n:::\n").html


def test_fenced_div_closers_of_any_length_and_pandoc_braces():
    text = "::: {.challenge}\n## A\n::::::::::::::: solution\nS\n:::\n::::::::::::::::::::::::::::\nafter\n"
    html = render(text).html
    assert html.index("<details") > html.index("<section") and html.index("</details>") < html.index("</section>")
    assert html.index("</section>") < html.index("<p>after</p>")


def test_three_levels_of_nesting():
    html = render("::::: challenge\n:::: solution\n::: hint\ndeep\n:::\n::::\n:::::\n").html
    assert re.search(r"<section.*<details.*<details.*deep.*</details>\s*</details>\s*</section>", html, re.S)


def test_instructor_notes_are_dropped():
    rendered = render("Before\n\n::::: instructor\n## Secret\nFor instructors only.\n:::::\n\nAfter\n")
    assert "instructors only" not in rendered.html and "instructors only" not in rendered.text
    assert rendered.headings == []
    assert rendered.text == "Before After"


def test_stray_closer_and_unknown_div_leave_no_colons():
    html = render("::: tab\nTabbed text\n:::\n\ntext\n:::::\n").html
    assert "Tabbed text" in html and ":::" not in html and "<div" not in html


def test_unclosed_div_runs_to_the_end_and_warns():
    rendered = render("::: challenge\n## Open\nnever closed\n")
    assert "</section>" in rendered.html
    assert rendered.warnings == ["fenced div 'challenge' is not closed"]


def test_colons_inside_code_fences_are_code():
    html = render("::: callout\n```\n:::\n```\nstill inside\n:::\nafter\n").html
    assert "<code>:::\n</code>" in html
    assert html.index("still inside") < html.index("</section>") < html.index("after")


def test_fenced_div_interrupts_a_paragraph():
    html = render("::: callout\nText right before the closer\n:::\nNext paragraph\n").html
    assert "Text right before the closer</p>\n</section>" in html


# --- older Carpentries (Jekyll + kramdown) -----------------------------------------------------

KRAMDOWN = """\
> ## Exploring `ls`
>
> What does `ls -l` do?
>
> > ## Solution
> > It lists *long*.
> {: .solution}
{: .challenge}

> ## Slashes
> Two meanings.
{: .callout}

~~~
$ ls
~~~
{: .language-bash}

~~~
data  notes.txt
~~~
{: .output}

~~~
ls: cannot access 'x'
~~~
{: .error}
{% include links.md %}
"""


def test_kramdown_blockquote_boxes_become_sections_and_details():
    html = render(KRAMDOWN).html
    assert '<section class="box box-challenge" aria-labelledby="exploring-ls">' in html
    assert '<h2 id="exploring-ls">Exploring <code>ls</code></h2>' in html
    assert '<details class="box box-solution">\n<summary>Solution</summary>\n<p>It lists <em>long</em>.</p>' in html
    assert '<section class="box box-callout" aria-labelledby="slashes">' in html
    assert "<blockquote" not in html


def test_kramdown_code_ials_label_the_code_and_vanish():
    html = render(KRAMDOWN).html
    assert '<pre tabindex="0"><code class="language-bash">$ ls\n</code></pre>' in html
    assert ('<figure class="code-output"><figcaption>Output</figcaption>'
            '<pre tabindex="0"><code class="language-output">data  notes.txt\n</code></pre></figure>') in html
    assert '<figure class="code-error"><figcaption>Error</figcaption>' in html
    assert "{:" not in html and "{%" not in html


def test_ial_inside_a_list_item_and_with_odd_spacing():
    html = render("1. Run:\n    ~~~\n    $ ls --help\n    ~~~\n    {: .bash}\n\n~~~\nout\n~~~\n{: . output}\n").html
    assert '<code class="language-bash">$ ls --help' in html
    assert 'class="language-output"' in html and "{:" not in html


def test_blank_line_before_a_box_ial_is_tolerated_and_a_lone_ial_vanishes():
    html = render("> ## Note\n> text\n\n{: .callout}\n\nPlain.\n\n{: .challenge}\n").html
    assert '<section class="box box-callout" aria-labelledby="note">' in html
    assert html.count("<section") == 1 and "{:" not in html and "<p>Plain.</p>" in html


def test_lazy_continuation_ials_are_removed():
    html = render("Some paragraph\n{: .note}\n\n> quote text\n{: .unknown-class}\n").html
    assert "{:" not in html and "quote text" in html


def test_liquid_is_removed_outside_code_but_kept_inside():
    seen = []
    rendered = render("![Data]({{ page.root }}/fig/data.png) {{ site.swc_site }}\n\n"
                      "```\n{{ page.root }} stays\n```\n{% comment %}\nhidden\n{% endcomment %}\n",
                      assets=["fig/data.png"], seen=seen)
    assert seen == ["fig/data.png"]
    assert "{{ page.root }} stays" in rendered.html
    assert "hidden" not in rendered.html and "site.swc_site" not in rendered.html


# --- code blocks -------------------------------------------------------------------------------

def test_code_blocks_are_focusable_and_labelled():
    html = render("```bash\n$ pwd\n```\n\n```output\n/home\n```\n\n```\nplain\n```\n\n    indented\n").html
    assert '<pre tabindex="0"><code class="language-bash">$ pwd\n</code></pre>' in html
    assert '<figure class="code-output"><figcaption>Output</figcaption><pre tabindex="0">' in html
    assert '<pre tabindex="0"><code>plain\n</code></pre>' in html
    assert '<pre tabindex="0"><code>indented\n</code></pre>' in html


def test_code_info_string_cannot_inject_markup():
    html = render('```"><script>alert(1)</script>\ncode\n```\n').html
    assert html_problems(html) == []
    assert '<pre tabindex="0"><code>code' in html


def test_code_content_is_escaped():
    html = render("```html\n<script>alert(1)</script>\n```\n").html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and html_problems(html) == []


# --- images and media --------------------------------------------------------------------------

def test_image_uses_the_asset_ref():
    ref = AssetRef(url="/media/s1/a-640.webp", width=640, height=480,
                   srcset="/media/s0/a-320.webp 320w, /media/s1/a-640.webp 640w", media_type="image/webp")
    rendered = render("![A pizza](fig/a.png)", assets={"fig/a.png": ref})
    assert ('<img src="/media/s1/a-640.webp" alt="A pizza" loading="lazy" decoding="async" width="640" '
            'height="480" srcset="/media/s0/a-320.webp 320w, /media/s1/a-640.webp 640w" '
            'sizes="(max-width: 40rem) 100vw, 40rem">') in rendered.html
    assert rendered.assets == ["fig/a.png"] and rendered.warnings == []


def test_pandoc_alt_attribute_wins_and_bracket_text_becomes_a_caption():
    text = ("![](fig/x.svg){alt='A \"quoted\" diagram of *.pdb and pnas\\_final, it\\'s fine' width=\"40%\"}\n\n"
            '![Comic by [PHD](https://phdcomics.com)](fig/y.png){alt="Two people talking"}\n')
    html = render(text, assets=["fig/x.svg", "fig/y.png"]).html
    assert 'alt="A &quot;quoted&quot; diagram of *.pdb and pnas_final, it\'s fine"' in html
    assert "{alt" not in html and "width=\"40%\"" not in html
    assert re.search(r'<figure><img src="/media/abc/y.png" alt="Two people talking"[^>]*>'
                     r'<figcaption>Comic by <a href="https://phdcomics.com"[^>]*>PHD</a></figcaption></figure>', html)
    assert "<p><figure>" not in html


def test_image_without_alt_keeps_empty_alt_and_warns():
    rendered = render("![](fig/x.png)", assets=["fig/x.png"])
    assert 'alt=""' in rendered.html
    assert rendered.warnings == ["image without alt text: fig/x.png"]


def test_broken_image_shows_its_alt_text_and_warns():
    rendered = render("![The File System](../../../fig/filesystem.svg)\n\n![](gone.png)")
    assert '<span class="missing-image">Image not available: The File System</span>' in rendered.html
    assert '<span class="missing-image">Image not available: gone.png</span>' in rendered.html
    assert "<img" not in rendered.html
    assert rendered.warnings == ["broken image link: ../../../fig/filesystem.svg", "broken image link: gone.png"]
    assert rendered.assets == []


@pytest.mark.parametrize("src", ["https://tracker.example/pixel.png", "http://example.com/a.png",
                                 "//example.com/a.png"])
def test_external_images_become_links_and_never_load(src):
    seen = []
    rendered = render(f"![A chart]({src})", seen=seen)
    assert "<img" not in rendered.html and seen == []
    assert f'<a href="{src}" rel="noopener noreferrer">A chart</a>' in rendered.html
    assert rendered.warnings == [f"external image not loaded: {src}"]


def test_data_url_images_never_load():
    rendered = render("![dot](data:image/png;base64,iVBORw0KGgo=)")
    assert "<img" not in rendered.html and "data:" not in rendered.html
    assert "dot" in rendered.html and rendered.warnings[0].startswith("external image not loaded: data:")


def test_href_reaches_the_resolver_as_written():
    seen = []
    render("![a](<fig/a b’s.png>) ![b](fig/%C3%A9.png#frag)", seen=seen)
    assert seen == ["fig/a b’s.png", "fig/%C3%A9.png#frag"]


def test_audio_and_video_get_native_players_with_a_download_fallback():
    assets = {"s/a.mp3": AssetRef(url="/media/1/a.mp3"),
              "v/b.webm": AssetRef(url="/media/2/b.webm", width=640, height=360),
              "clip": AssetRef(url="/media/3/clip", media_type="video/mp4")}
    html = render("![Bird song](s/a.mp3)\n\n[The film](v/b.webm)\n\n[Clip](clip)\n", assets=assets).html
    assert ('<audio controls="" preload="none" src="/media/1/a.mp3" title="Bird song">'
            '<a href="/media/1/a.mp3" rel="noopener noreferrer">Bird song</a></audio>') in html
    assert ('<video controls="" preload="none" src="/media/2/b.webm" title="The film" width="640" height="360">'
            '<a href="/media/2/b.webm" rel="noopener noreferrer">The film</a></video>') in html
    assert '<video controls="" preload="none" src="/media/3/clip" title="Clip">' in html


# --- links -------------------------------------------------------------------------------------

def test_lesson_links_go_through_resolve_link():
    links = {"02-filedir.md": "/packs/p/lessons/filedir",
             "../episodes/03-create.md#anchor": "/packs/p/lessons/c#anchor"}
    html = render("[next](02-filedir.md) [there](../episodes/03-create.md#anchor) [other](../learners/ref.md#x)",
                  links=links).html
    assert '<a href="/packs/p/lessons/filedir"' in html
    assert '<a href="/packs/p/lessons/c#anchor"' in html
    assert '<a href="../learners/ref.md#x"' in html  # resolve_link said None: left as written


def test_links_to_pack_files_use_the_asset_url_and_broken_ones_warn():
    rendered = render("[data](data/shell.zip) and [gone](data/missing.zip)", assets=["data/shell.zip"])
    assert '<a href="/media/abc/shell.zip"' in rendered.html
    assert "<a>gone</a>" in rendered.html  # no rel without an href (invalid HTML)
    assert rendered.warnings == ["broken link: data/missing.zip"]
    assert rendered.assets == ["data/shell.zip"]


def test_web_links_are_kept_with_rel_noopener():
    html = render("[GNU](https://www.gnu.org/manual/) <https://example.com> [mail](mailto:a@b.org) [top](#top)").html
    assert '<a href="https://www.gnu.org/manual/" rel="noopener noreferrer">GNU</a>' in html
    assert '<a href="https://example.com" rel="noopener noreferrer">' in html
    assert 'href="mailto:a@b.org"' in html and 'href="#top"' in html


@pytest.mark.parametrize("href", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "vbscript:msgbox(1)",
                                  "data:text/html,<script>alert(1)</script>", "java\tscript:alert(1)"])
def test_script_links_lose_their_href(href):
    html = render(f"[click](<{href}>) <a href=\"{href}\">raw</a>").html
    assert html_problems(html) == []
    assert "click" in html and "raw" in html


# --- sanitizing --------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, kept, gone", [
    ('<p style="color:red" onclick="x()">hi</p>', "<p>hi</p>", "style"),
    ('<img src="x.png" onerror="alert(1)" alt="x">', 'alt="x"', "onerror"),
    ("<script>alert(1)</script>after", "after", "alert"),
    ('<iframe src="https://evil.example"></iframe>ok', "ok", "iframe"),
    ('<form action="/x"><input name="a"></form>fine', "fine", "input"),
    ("<style>body{display:none}</style>x", "x", "display"),
    ('<svg><script>alert(1)</script><text>t</text></svg>y', "y", "alert"),
    ('<p class="box-challenge evil language-py">c</p>', '<p class="box-challenge language-py">c</p>', "evil"),
    ('<pre tabindex="5">t</pre><div tabindex="0">d</div>', '<pre>t</pre><div tabindex="0">d</div>', "5"),
    ('<img src="https://tracker.example/p.png" alt="t">', '<img alt="t">', "tracker"),
    ('<img src="//tracker.example/p.png" alt="t">', '<img alt="t">', "tracker"),
    ('<img src="/\\tracker.example/p.png" alt="t">', '<img alt="t">', "tracker"),
    ('<img src="/media/a.png" srcset="/media/a.png 1x, https://evil.example/b.png 2x" alt="t">',
     '<img src="/media/a.png" alt="t">', "evil"),
    ('<video poster="https://evil.example/p.png" controls src="/media/v.mp4"></video>',
     '<video src="/media/v.mp4" controls=""></video>', "evil"),
    ("<!-- a comment --><kbd>Enter</kbd>", "<kbd>Enter</kbd>", "comment"),
    ('<a href="https://ok.example" target="_blank">x</a>', 'href="https://ok.example" rel="noopener noreferrer"',
     "target"),
    ('<td width="50%" colspan="2">x</td>', "", "50%"),
])
def test_sanitize_html_allowlist(raw, kept, gone):
    clean = sanitize_html(raw)
    assert kept in clean
    assert gone not in clean
    assert html_problems(clean) == []


def test_raw_html_in_markdown_is_allowed_then_sanitized():
    html = render('Press <kbd>Enter</kbd> <img src=x onerror=alert(1)> <b onmouseover="x()">now</b>').html
    assert "<kbd>Enter</kbd>" in html and "<b>now</b>" in html
    assert html_problems(html) == []


def test_everything_we_emit_survives_the_sanitizer():
    text = CHALLENGE + KRAMDOWN + "| a | b |\n|---|--:|\n| 1 | 2 |\n\n![x](fig/x.png)\n\n[^1]\n\n[^1]: a note\n"
    html = render(text, assets=["fig/x.png"]).html
    for needle in ['aria-labelledby="which-editor"', 'class="box box-challenge"', 'tabindex="0"',
                   'class="language-bash"', 'class="code-output"', 'loading="lazy"', 'class="footnote-ref"',
                   '<div class="table-scroll" tabindex="0">', '<th scope="col">']:
        assert needle in html, needle


# --- other Markdown --------------------------------------------------------------------------

def test_tables_strikethrough_footnotes_and_definition_lists():
    html = render("~~old~~ new[^n]\n\n[^n]: The note.\n\nTerm\n: Its definition\n\n"
                  "| a | b |\n|---|---|\n| 1 | 2 |\n").html
    assert "<s>old</s>" in html
    assert 'class="footnote-ref"' in html and "The note." in html
    assert "<dl>\n<dt>Term</dt>\n<dd>Its definition</dd>\n</dl>" in html
    assert "<th scope=\"col\">a</th>" in html and "<td>2</td>" in html
    assert "style=" not in html


def test_search_text_is_visible_words_only():
    rendered = render("---\ntitle: T\n---\n# Hello   *wor*ld\n\nA &lt;tag&gt; and `code`\n\n"
                      "::: instructor\nhidden\n:::\n")
    assert rendered.text == "Hello world A <tag> and code"


def test_accents_and_inverted_marks_survive():
    rendered = render("---\ntitle: Introducción\n---\n## ¿Qué es la terminal?\n\nÉl está aquí — «sí».\n")
    assert rendered.title == "Introducción"
    assert "¿Qué es la terminal?" in rendered.html and "Él está aquí — «sí»." in rendered.text


# --- inline snippets (quiz prompts) ------------------------------------------------------------

def test_render_inline_markdown_has_no_paragraph_and_no_remote_images():
    assert render_inline_markdown("**2** + `x`") == "<strong>2</strong> + <code>x</code>"
    html = render_inline_markdown("![pic](https://evil.example/p.png) ![local](fig/a.png) <script>x</script>")
    assert "<img" not in html and "<p>" not in html and html_problems(html) == []
    assert '<span class="missing-image">Image not available: local</span>' in html


# --- robustness and speed -------------------------------------------------------------------

# Fragments of every syntax the renderer handles, so random documents hit the interesting paths.
MARKDOWNISH = st.lists(st.sampled_from(list(":>{}[]()!#*_`~-=.'\"<>/\\|^$% \n\tab1é¿日") + [
    "::: challenge\n", ":::\n", "::::: {.solution}\n", "{: .solution}\n", "{: .challenge}\n", "> ", "> > ",
    "```\n", "~~~\n", "```output\n", "{: .output}\n", "![", "](", "](fig/x.png)", "{alt='", "<img ", "<a href=",
    "{{ page.root }}", "{% x %}", "javascript:", "---\n", "[^1]", "[^1]: ", "\n: ", "| a |\n|---|\n", "## ",
    "- ", "1. ", "    ", "\n\n", "{#id}",
]), max_size=80).map("".join)


@settings(max_examples=examples(300), deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), MARKDOWNISH))
def test_render_lesson_never_crashes(text):
    try:
        rendered = render(text, assets=["fig/x.png"])
    except PackError:
        return  # only front matter may be rejected
    assert html_problems(rendered.html) == []


def test_importing_builds_nothing():
    code = ("import server.content.packs.render as r; assert r._markdown.cache_info().currsize == 0; "
            "assert r._cleaner.cache_info().currsize == 0")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])
