"""Lesson Markdown → safe, accessible, pre-rendered HTML, once, at pack import.

    render_lesson          front matter split off, Jekyll syntax rewritten (markdown_ext), parsed by
                           markdown-it (CommonMark + tables, strikethrough, footnotes, definition lists),
                           shaped and rendered (lesson_html), then cleaned by sanitize_html
    render_inline_markdown the same for a quiz prompt, answer or feedback (no block structure)
    sanitize_html          the one nh3 allowlist every stored fragment passes through
    split_front_matter     YAML between `---` lines → (dict, body)

Pure: no Flask, no database, no files. The caller says how hrefs resolve (`resolve_asset`,
`resolve_link`); nothing rendered here ever makes a browser contact another site.
"""
import functools
import html as html_lib
import re
from collections.abc import Callable
from dataclasses import dataclass

import nh3
import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from server.errors import PackError
from server.content.packs.lesson_html import RESERVED_IDS, LessonContext, img_tag, labels_for, lesson_html_plugin
from server.content.packs.raw_html import resolve_raw_images
from server.content.packs.markdown_ext import lesson_syntax_plugin, preprocess_source


@dataclass(frozen=True)
class AssetRef:
    """What the caller knows about a file referenced from the lesson."""

    url: str  # e.g. "/media/<sha256>/pizza.png"
    width: int | None = None
    height: int | None = None
    srcset: str | None = None  # "/media/<sha>/a-320.webp 320w, /media/<sha2>/a-640.webp 640w"
    media_type: str | None = None


@dataclass(frozen=True)
class RenderedLesson:
    """One rendered lesson: sanitized HTML plus what the page, the index and the importer need."""

    html: str  # sanitized HTML fragment (no <html>/<body>)
    title: str | None  # front matter `title`, else the first heading
    text: str  # plain text for the search index (no markup)
    warnings: list[str]  # e.g. "broken image link: ../../../fig/filesystem.svg"
    headings: list[tuple[int, str, str]]  # (level, text, anchor id), outside boxes, for a table of contents
    assets: list[str]  # hrefs (as written, relative to the lesson) of referenced files that resolved


MATHML_TAGS = frozenset({  # MathML (TeX is turned into it at import; see content/kolibri/tex.py)
    "math", "mi", "mn", "mo", "ms", "mtext", "mspace", "mrow", "mfrac", "msqrt", "mroot", "mstyle", "merror",
    "mpadded", "mphantom", "menclose", "msub", "msup", "msubsup", "munder", "mover", "munderover",
    "mmultiscripts", "mprescripts", "none", "mtable", "mtr", "mtd", "semantics",
})
ALLOWED_TAGS = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "a", "img", "ul", "ol", "li", "dl", "dt", "dd", "strong", "em",
    "b", "i", "u", "s", "del", "ins", "sub", "sup", "code", "pre", "kbd", "samp", "var", "blockquote", "hr",
    "br", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "figure", "figcaption", "details",
    "summary", "section", "aside", "span", "div", "audio", "video", "source", "track", "abbr", "mark",
    "small", "cite", "q", "time",
}) | MATHML_TAGS
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "lang", "dir", "title"},
    "a": {"href"},
    "img": {"src", "srcset", "sizes", "alt", "width", "height", "loading", "decoding"},
    "audio": {"src", "controls", "preload"},
    "video": {"src", "controls", "preload", "poster", "width", "height"},
    "source": {"src"},
    "track": {"src", "kind", "srclang", "label", "default"},
    "details": {"open"},
    "section": {"aria-labelledby"},
    "aside": {"aria-labelledby"},
    "ol": {"start"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "pre": {"tabindex"},
    "div": {"tabindex"},
    "math": {"display", "alttext"},
    "mo": {"stretchy", "fence", "separator", "form", "largeop", "movablelimits", "accent", "symmetric"},
    "mi": {"mathvariant"},
    "mstyle": {"displaystyle", "scriptlevel", "mathvariant"},
    "mfrac": {"linethickness"},
    "mover": {"accent"},
    "munder": {"accentunder"},
    "menclose": {"notation"},
    "mtable": {"columnalign", "rowspacing", "columnspacing"},
    "mtd": {"columnalign", "columnspan", "rowspan"},
}
# Tags whose content goes too (the rest lose only the tag): never shown, or unsafe to show as text.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "iframe", "object", "embed", "svg",
                                  "textarea", "select", "noscript", "title", "xmp", "noembed", "noframes"})
_OUR_CLASS = re.compile(r"box|box-[a-z]+|language-[\w+#.-]+|missing-image|code-(?:output|error|warning)"
                        r"|table-scroll|footnotes|footnotes-(?:sep|list)|footnote-(?:ref|item|backref)")
_ENUMERATED = {"loading": {"lazy", "eager"}, "decoding": {"async", "sync", "auto"},
               "preload": {"none", "metadata"}, "tabindex": {"0"}, "dir": {"ltr", "rtl", "auto"},
               "scope": {"row", "col", "rowgroup", "colgroup"},
               "kind": {"subtitles", "captions", "descriptions", "chapters"}}
_NUMERIC = frozenset({"width", "height", "colspan", "rowspan", "start"})
_NUMBER = re.compile(r"[0-9]{1,6}")
_ID = re.compile(r"[\w.:-]{1,128}")
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")
_HAS_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M)
LINK_REL = "noopener noreferrer"
_A_TAG = re.compile(r'<a((?:\s[\w:-]+="[^"]*")*)>')  # nh3's output: every value double-quoted
_TAG = re.compile(r"""<(/?)([a-zA-Z][a-zA-Z0-9]*)(?:[^>"']|"[^"]*"|'[^']*')*>""")
_INLINE_TAGS = frozenset({"a", "strong", "em", "b", "i", "u", "s", "del", "ins", "sub", "sup", "code", "kbd",
                          "samp", "var", "span", "abbr", "mark", "small", "cite", "q", "time"})


def split_front_matter(text: str) -> tuple[dict, str]:
    """Split YAML front matter (between `---` lines) off a Markdown file; bad YAML raises PackError."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as err:
        raise PackError(f"the front matter is not valid YAML: {_yaml_problem(err)}") from None
    except (ValueError, OverflowError, RecursionError) as err:  # e.g. a date like 2024-13-45
        raise PackError(f"the front matter has a value YAML cannot read: {err}") from None
    if data is None:
        return {}, text[match.end():]
    if not isinstance(data, dict):
        raise PackError(f"the front matter must be `key: value` lines, not a {type(data).__name__}")
    return data, text[match.end():]


def render_lesson(markdown_text: str, *, resolve_asset: Callable[[str], AssetRef | None],
                  resolve_link: Callable[[str], str | None] = lambda href: None,
                  lang: str | None = None) -> RenderedLesson:
    """Render one lesson's Markdown to sanitized HTML, with its title, search text, headings and warnings."""
    front, body = split_front_matter(markdown_text)
    context = LessonContext(resolve_asset, resolve_link, labels_for(lang))
    html = sanitize_html(_markdown().render(preprocess_source(body), {"lantern": context}))
    title = front.get("title")
    title = " ".join(str(title).split()) if isinstance(title, (str, int, float)) else None
    if not title:
        title = context.headings[0][1] if context.headings else context.first_heading
    return RenderedLesson(html=html, title=title or None, text=visible_text(html),
                          warnings=context.warnings, headings=context.headings, assets=context.assets)


def render_inline_markdown(text: str) -> str:
    """Render a short Markdown snippet (a quiz prompt, answer or feedback) to sanitized inline HTML."""
    context = LessonContext(lambda href: None, lambda href: None, labels_for(None))
    return sanitize_html(_markdown().renderInline(text, {"lantern": context}))


def sanitize_html(html: str) -> str:
    """Clean an HTML fragment with Lantern's one allowlist: no scripts, styles, handlers or remote loads.

    Inside `<math>` only MathML is kept: an HTML element there (a table in an `mtext`, say) is how namespace
    confusion tricks a browser into reading markup differently from the sanitizer."""
    cleaned = _A_TAG.sub(_drop_rel_without_href, _cleaner().clean(html))
    return _MATH.sub(lambda m: _math_cleaner().clean(m.group(0)), cleaned) if "<math" in cleaned else cleaned


_MATH = re.compile(r"<math\b[^>]*>.*?</math>", re.S)


def _math_cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(tags=MATHML_TAGS, clean_content_tags=DROPPED_WITH_CONTENT,
                       attributes={k: v for k, v in ALLOWED_ATTRIBUTES.items() if k in MATHML_TAGS or k == "*"},
                       attribute_filter=_filter_attribute, url_schemes=set(), strip_comments=True)


def sanitize_item_html(html: str, resolve_asset: Callable[[str], AssetRef | None]) -> str:
    """An HTML item text (QTI, GIFT [html]) cleaned, its local `<img>` served like a lesson's images."""
    context = LessonContext(resolve_asset=resolve_asset, resolve_link=lambda href: None, labels=labels_for(None))
    return sanitize_html(resolve_raw_images(html, context, img_tag, context.labels["missing"]))


def _drop_rel_without_href(tag: re.Match) -> str:
    """nh3 gives every <a> a rel; a link whose target was dropped (broken) must not have one (HTML)."""
    attributes = tag.group(1)
    if ' href="' in attributes:
        return tag.group(0)
    return "<a" + attributes.replace(f' rel="{LINK_REL}"', "") + ">"


def visible_text(html: str) -> str:
    """The words a reader sees in a sanitized fragment, whitespace collapsed (for the search index)."""
    def gap(tag: re.Match) -> str:
        return "" if tag.group(2).lower() in _INLINE_TAGS else " "

    return " ".join(html_lib.unescape(_TAG.sub(gap, html)).split())


@functools.cache
def _markdown() -> MarkdownIt:
    """The lesson parser, built on first use and then shared (it keeps no per-document state)."""
    md = MarkdownIt("commonmark", {"xhtmlOut": False}).enable(["table", "strikethrough"])
    md.use(footnote_plugin).use(deflist_plugin).use(lesson_syntax_plugin).use(lesson_html_plugin)
    # Keep hrefs as written, so resolvers see "fig/a b.png", not "fig/a%20b.png"; the render rules
    # encode whatever is not replaced by a resolved URL.
    md.normalizeLink = lambda url: url
    return md


@functools.cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(tags=ALLOWED_TAGS, clean_content_tags=DROPPED_WITH_CONTENT,
                       attributes=ALLOWED_ATTRIBUTES, attribute_filter=_filter_attribute,
                       url_schemes={"http", "https", "mailto"}, link_rel=LINK_REL,
                       strip_comments=True)


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    """Per-value rules nh3 has no option for; must never raise (nh3 would only report it)."""
    if name == "class":
        return " ".join(c for c in value.split() if _OUR_CLASS.fullmatch(c)) or None
    if name in _ENUMERATED:
        value = value.strip().lower()
        return value if value in _ENUMERATED[name] else None
    if name in _NUMERIC:
        return value.strip() if _NUMBER.fullmatch(value.strip()) else None
    if name == "id" or name == "aria-labelledby":
        return value if _ID.fullmatch(value) and value not in RESERVED_IDS else None
    if name in ("src", "poster") and tag != "a":
        return value if _is_same_site(value) else None
    if name == "srcset":
        candidates = [c.split()[0] for c in value.split(",") if c.strip()]
        return value if candidates and all(_is_same_site(c) for c in candidates) else None
    return value


def _is_same_site(url: str) -> bool:
    """Whether loading `url` stays on this server: no scheme, no `//host` (however disguised)."""
    bare = _URL_NOISE.sub("", url).replace("\\", "/")
    return bool(bare) and not bare.startswith("//") and not _HAS_SCHEME.match(bare)


def _yaml_problem(err: yaml.YAMLError) -> str:
    problem = getattr(err, "problem", None) or str(err).split("\n")[0]
    mark = getattr(err, "problem_mark", None)
    return f"{problem} (line {mark.line + 2} of the file)" if mark is not None else problem
