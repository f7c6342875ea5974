"""How a parsed lesson looks: boxes, headings, code blocks, images, media and links as HTML.

`shape_lesson` is a markdown-it core rule: it drops instructor notes, names headings and boxes, and
resolves every image and link through the caller's resolvers (held in `LessonContext`). The render
rules then only format. Output is accessible with no JavaScript: boxes are labelled `<section>`s,
solutions are `<details>`, code is a keyboard-scrollable `<pre tabindex="0">`. It is still
untrusted until `server.content.packs.render.sanitize_html` has cleaned it.
"""
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.common.normalize_url import normalizeLink
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from server.content.packs.markdown_ext import split_heading_attributes
from server.content.packs.raw_html import resolve_raw_images

SECTION_KINDS = frozenset({"challenge", "callout", "discussion", "keypoints", "objectives", "questions",
                           "prereq", "checklist", "testimonial"})
DETAILS_KINDS = frozenset({"solution", "hint", "spoiler"})
CAPTIONED_CODE = frozenset({"output", "error", "warning"})
IMAGE_SIZES = "(max-width: 40rem) 100vw, 40rem"
# Ids the page around a lesson may use; lesson headings never take them (`## Main` → id="main-2").
RESERVED_IDS = frozenset({"main", "top", "content", "nav", "header", "footer", "search", "q", "answer",
                          "solution", "hint", "next", "previous"})

# The words Lantern adds around lesson content. Columns: en, es, fr, pt, ja.
LABEL_LANGUAGES = ("en", "es", "fr", "pt", "ja")
LABELS = {
    "challenge": ("Challenge", "Desafío", "Défi", "Desafio", "チャレンジ"),
    "solution": ("Solution", "Solución", "Solution", "Solução", "解答例"),
    "hint": ("Hint", "Pista", "Indice", "Dica", "ヒント"),
    "spoiler": ("Details", "Detalles", "Détails", "Detalhes", "詳細"),
    "callout": ("Callout", "Nota", "À noter", "Nota", "補足"),
    "discussion": ("Discussion", "Discusión", "Discussion", "Discussão", "ディスカッション"),
    "keypoints": ("Key points", "Puntos clave", "Points clés", "Pontos-chave", "まとめ"),
    "objectives": ("Objectives", "Objetivos", "Objectifs", "Objetivos", "目標"),
    "questions": ("Questions", "Preguntas", "Questions", "Perguntas", "質問"),
    "prereq": ("Prerequisite", "Requisito previo", "Prérequis", "Pré-requisito", "前提条件"),
    "checklist": ("Checklist", "Lista de verificación", "Liste de contrôle", "Lista de verificação",
                  "チェックリスト"),
    "testimonial": ("Testimonial", "Testimonio", "Témoignage", "Depoimento", "体験談"),
    "output": ("Output", "Salida", "Sortie", "Saída", "出力"),
    "error": ("Error", "Error", "Erreur", "Erro", "エラー"),
    "warning": ("Warning", "Advertencia", "Avertissement", "Aviso", "警告"),
    "missing": ("Image not available", "Imagen no disponible", "Image indisponible", "Imagem indisponível",
                "画像を表示できません"),
    "audio": ("Download the audio", "Descargar el audio", "Télécharger l’audio", "Baixar o áudio",
              "音声をダウンロード"),
    "video": ("Download the video", "Descargar el video", "Télécharger la vidéo", "Baixar o vídeo",
              "動画をダウンロード"),
}
_AUDIO_SUFFIXES = (".mp3", ".ogg", ".oga", ".opus", ".m4a", ".wav", ".flac")
_VIDEO_SUFFIXES = (".mp4", ".webm", ".ogv", ".m4v", ".mov")
_LESSON_SUFFIXES = (".md", ".markdown", ".html", ".htm", "/")
_SCHEME = re.compile(r"\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:|[/\\]{2})")
_LANGUAGE = re.compile(r"[a-z0-9][\w+#.-]{0,30}")
_SLUG_DROP = re.compile(r"[^\w\s-]")
_SLUG_SPACE = re.compile(r"[\s-]+")


def labels_for(lang: str | None) -> dict[str, str]:
    """The box and caption labels for a language tag such as "es" or "pt-BR" (English if unknown)."""
    base = (lang or "en").split("-")[0].split("_")[0].lower()
    column = LABEL_LANGUAGES.index(base) if base in LABEL_LANGUAGES else 0
    return {key: words[column] for key, words in LABELS.items()}


@dataclass
class LessonContext:
    """What the render rules need from the caller, and what they report back."""

    resolve_asset: Callable[[str], object | None]
    resolve_link: Callable[[str], str | None]
    labels: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    headings: list[tuple[int, str, str]] = field(default_factory=list)
    assets: list[str] = field(default_factory=list)
    first_heading: str | None = None
    ids: set[str] = field(default_factory=lambda: set(RESERVED_IDS))
    suffixes: dict[str, int] = field(default_factory=dict)

    def warn(self, message: str) -> None:
        """Record a warning once."""
        if message not in self.warnings:
            self.warnings.append(message)

    def unique_id(self, base: str) -> str:
        """`base`, or `base-2`, `base-3`… whichever is still free on this page."""
        anchor = base
        while anchor in self.ids:
            self.suffixes[base] = self.suffixes.get(base, 1) + 1
            anchor = f"{base}-{self.suffixes[base]}"
        self.ids.add(anchor)
        return anchor

    def add_asset(self, href: str) -> None:
        """Remember a referenced file that resolved."""
        if href not in self.assets:
            self.assets.append(href)


def lesson_html_plugin(md: MarkdownIt) -> None:
    """Install the lesson-shaping core rule and the render rules on a MarkdownIt."""
    md.core.ruler.push("shape_lesson", shape_lesson)
    for name, rule in _RENDER_RULES.items():
        md.add_render_rule(name, rule)


def slugify(text: str) -> str:
    """A heading's anchor: lower case, words joined by '-', letters of any script kept."""
    slug = _SLUG_SPACE.sub("-", _SLUG_DROP.sub("", text.lower())).strip("-")
    return slug[:64].strip("-") or "section"


def plain_text(children: list[Token] | None) -> str:
    """The text of inline tokens, without markup (image alts included)."""
    parts = []
    for child in children or []:
        if child.type in ("text", "code_inline", "text_special"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.meta.get("alt", plain_text(child.children)))
    return "".join(parts)


# --- the core rule ------------------------------------------------------------------------------

def shape_lesson(state: StateCore) -> None:
    """Core rule: drop instructor notes, label boxes and headings, resolve images and links."""
    context: LessonContext = state.env["lantern"]
    tokens = _drop_instructor_notes(state.tokens)
    boxes: list[Token] = []
    for index, token in enumerate(tokens):
        if token.type == "fenced_div_open":
            _open_box(tokens, index, context, sum(1 for b in boxes if b.meta["element"]))
            boxes.append(token)
        elif token.type == "fenced_div_close" and boxes:
            token.meta = boxes.pop().meta
        elif token.type == "heading_open" and "id" not in token.attrs:
            _name_heading(tokens, index, context, in_box=any(b.meta["element"] for b in boxes))
        elif token.type == "th_open":
            token.attrSet("scope", "col")
        elif token.type == "inline":
            _resolve_resources(token.children or [], context)
            for child in token.children or []:
                if child.type == "html_inline":
                    child.content = resolve_raw_images(child.content, context, img_tag, context.labels["missing"])
        elif token.type == "html_block":
            token.content = resolve_raw_images(token.content, context, img_tag, context.labels["missing"])
    _mark_figures(tokens)
    _close_heading_gaps(tokens, context)
    state.tokens = tokens


def _close_heading_gaps(tokens: list[Token], context: LessonContext) -> None:
    """Move headings up so none skips a level (an h4 right under an h2 reads to a screen reader as
    a missing section, and is invalid HTML), keeping which heading sits under which. The page's
    own h1 (the lesson title) is the outline's root."""
    outline = [(1, 1)]  # (level as written, level shown) of the open headings
    shown: dict[str, int] = {}
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            written = int(token.tag[1])
        elif token.type == "fenced_div_open" and token.meta.get("title"):
            written = token.meta["level"]  # a box's own label heading
        else:
            continue
        while outline and outline[-1][0] >= written:
            outline.pop()
        level = min(written, outline[-1][1] + 1) if outline else written
        outline.append((written, level))
        if token.type == "heading_open":
            token.tag = tokens[index + 2].tag = f"h{level}"
            shown[token.attrGet("id")] = level
        else:
            token.meta["level"] = level
    context.headings[:] = [(shown.get(anchor, level), text, anchor) for level, text, anchor in context.headings]


def _drop_instructor_notes(tokens: list[Token]) -> list[Token]:
    """Instructor notes are for the instructor's copy of the lesson, not for learners: drop them."""
    kept, depth = [], 0
    for token in tokens:
        if depth:
            depth += {"fenced_div_open": 1, "fenced_div_close": -1}.get(token.type, 0)
        elif token.type == "fenced_div_open" and token.meta["kind"] == "instructor":
            depth = 1
        else:
            kept.append(token)
    return kept


def _open_box(tokens: list[Token], index: int, context: LessonContext, depth: int) -> None:
    """Decide how a fenced div shows: a labelled section, a details/summary, or just its content."""
    div = tokens[index]
    kind = div.meta["kind"]
    element = "section" if kind in SECTION_KINDS else "details" if kind in DETAILS_KINDS else ""
    div.meta["element"] = element
    if not div.meta["closed"]:
        context.warn(f"fenced div '{kind}' is not closed")
    if not element:
        return
    label = context.labels[kind]
    has_heading = index + 3 < len(tokens) and tokens[index + 1].type == "heading_open"
    if element == "details":
        if has_heading:  # the heading's words become the summary
            tokens[index + 1].type, tokens[index + 3].type = "summary_open", "summary_close"
        div.meta["summary"] = None if has_heading else label
    elif has_heading:
        div.meta["labelledby"] = _name_heading(tokens, index + 1, context, in_box=True)
    else:
        div.meta.update(labelledby=context.unique_id(slugify(label)), title=label, level=min(depth + 2, 6))


def _name_heading(tokens: list[Token], index: int, context: LessonContext, in_box: bool) -> str:
    """Give a heading a unique id; headings outside boxes go into the table of contents."""
    inline = tokens[index + 1]
    explicit_id = None
    if inline.children and inline.children[-1].type == "text":
        inline.children[-1].content, explicit_id = split_heading_attributes(inline.children[-1].content)
    text = " ".join(plain_text(inline.children).split())
    anchor = context.unique_id(explicit_id or slugify(text))
    tokens[index].attrSet("id", anchor)
    context.first_heading = context.first_heading or text or None
    if not in_box:
        context.headings.append((int(tokens[index].tag[1]), text, anchor))
    return anchor


def _resolve_resources(children: list[Token], context: LessonContext) -> None:
    """Resolve every image and link among inline tokens (and inside image captions)."""
    open_links: list[int] = []
    for index, child in enumerate(children):
        if child.type == "image":
            _resolve_image(child, context)
            _resolve_resources(child.children or [], context)
        elif child.type == "link_open":
            _resolve_link(child, context)
            open_links.append(index)
        elif child.type == "link_close" and open_links:
            start = open_links.pop()
            child.meta = children[start].meta
            child.meta["title"] = " ".join(plain_text(children[start + 1:index]).split())


def _resolve_image(image: Token, context: LessonContext) -> None:
    href = str(image.attrGet("src") or "")
    pandoc_alt = image.meta.get("alt")
    image.meta["caption"] = pandoc_alt is not None and bool(plain_text(image.children).strip())
    alt = " ".join((pandoc_alt if pandoc_alt is not None else plain_text(image.children)).split())
    image.meta.update(alt=alt, href=href)
    if _SCHEME.match(href):
        is_web = href.strip().lower().startswith(("http:", "https:", "//"))
        image.meta["show"] = "remote" if is_web else "missing"
        context.warn(f"external image not loaded: {_shorten(href)}")
        return
    asset = context.resolve_asset(href) if href.strip() else None
    if asset is None:
        image.meta["show"] = "missing"
        context.warn(f"broken image link: {_shorten(href) or '(empty)'}")
        return
    context.add_asset(href)
    image.meta.update(show=_media_kind(href, asset) or "image", asset=asset)
    if not alt and image.meta["show"] == "image":
        context.warn(f"image without alt text: {_shorten(href)}")


def _resolve_link(link: Token, context: LessonContext) -> None:
    """Lesson links go through resolve_link, pack files through resolve_asset; web links stay."""
    href = str(link.attrGet("href") or "")
    if not href.strip():
        link.attrs.pop("href", None)
        return
    if _SCHEME.match(href) or href.startswith(("#", "/")):
        link.attrSet("href", normalizeLink(href))
        return
    url = context.resolve_link(href)
    path = href.split("#")[0].split("?")[0].lower()
    if url or not path or path.endswith(_LESSON_SUFFIXES):
        link.attrSet("href", url or normalizeLink(href))
        return
    asset = context.resolve_asset(href)
    if asset is None and "." not in path.rsplit("/", 1)[-1]:
        link.attrSet("href", normalizeLink(href))  # probably a page of the lesson site: leave it
        return
    if asset is None:
        link.attrs.pop("href", None)
        context.warn(f"broken link: {_shorten(href)}")
        return
    context.add_asset(href)
    link.attrSet("href", asset.url)
    kind = _media_kind(href, asset)
    if kind:
        link.meta.update(show=kind, asset=asset)


def _media_kind(href: str, asset) -> str | None:
    """"audio" or "video" for media files (by media type, else by file name), otherwise None."""
    media_type = (getattr(asset, "media_type", None) or "").lower()
    path = href.split("#")[0].split("?")[0].lower()
    if media_type.startswith("audio/") or (not media_type and path.endswith(_AUDIO_SUFFIXES)):
        return "audio"
    if media_type.startswith("video/") or (not media_type and path.endswith(_VIDEO_SUFFIXES)):
        return "video"
    return None


def _mark_figures(tokens: list[Token]) -> None:
    """A captioned image alone in its paragraph becomes a <figure> (pandoc's implicit figures)."""
    for index in range(1, len(tokens) - 1):
        inline = tokens[index]
        if inline.type != "inline" or tokens[index - 1].type != "paragraph_open":
            continue
        visible = [c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())]
        if len(visible) == 1 and visible[0].type == "image" and visible[0].meta.get("caption") \
                and visible[0].meta.get("show") == "image":
            visible[0].meta["figure"] = True
            tokens[index - 1].hidden = tokens[index + 1].hidden = True


def _shorten(href: str) -> str:
    return href if len(href) <= 120 else href[:117] + "..."


# --- render rules -------------------------------------------------------------------------------

def _labels(env) -> dict[str, str]:
    return env["lantern"].labels


def _render_div_open(self, tokens, idx, options, env) -> str:
    meta = tokens[idx].meta
    kind, element = meta["kind"], meta.get("element")
    if element == "details":
        summary = f"<summary>{escapeHtml(meta['summary'])}</summary>\n" if meta.get("summary") else ""
        return f'<details class="box box-{kind}">\n{summary}'
    if element != "section":
        return ""
    anchor = escapeHtml(meta["labelledby"])
    html = f'<section class="box box-{kind}" aria-labelledby="{anchor}">\n'
    if meta.get("title"):
        level = meta["level"]
        html += f'<h{level} class="box-title" id="{anchor}">{escapeHtml(meta["title"])}</h{level}>\n'
    return html


def _render_div_close(self, tokens, idx, options, env) -> str:
    element = tokens[idx].meta.get("element")
    return f"</{element}>\n" if element else ""


def _code_language(token: Token) -> str | None:
    """The language of a code block, from a kramdown IAL (`{: .language-bash}`) or the fence info."""
    words = list(token.meta.get("ial_classes", [])) + (token.info or "").split()[:1]
    for word in words:
        name = word.strip("{}.").lower().removeprefix("language-")
        if _LANGUAGE.fullmatch(name):
            return None if name == "source" else name
    return None


def _render_code(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    language = _code_language(token)
    css = f' class="language-{language}"' if language else ""
    pre = f'<pre tabindex="0"><code{css}>{escapeHtml(token.content)}</code></pre>'
    if language in CAPTIONED_CODE:
        caption = escapeHtml(_labels(env)[language])
        return f'<figure class="code-{language}"><figcaption>{caption}</figcaption>{pre}</figure>\n'
    return pre + "\n"


def img_tag(asset, alt: str) -> str:
    """The `<img>` of a packed image: its phone-sized variants, size, lazy loading."""
    attributes = [("src", asset.url), ("alt", alt), ("loading", "lazy"), ("decoding", "async")]
    attributes += [(name, str(value)) for name in ("width", "height")
                   if isinstance(value := getattr(asset, name, None), int) and value > 0]
    if asset.srcset:
        attributes += [("srcset", asset.srcset), ("sizes", IMAGE_SIZES)]
    return "<img " + " ".join(f'{name}="{escapeHtml(value)}"' for name, value in attributes) + ">"


def _media_open(kind: str, asset, title: str) -> str:
    """`<audio>`/`<video>` that loads nothing until played, opening a fallback download link."""
    size = "".join(f' {name}="{value}"' for name in ("width", "height")
                   if kind == "video" and isinstance(value := getattr(asset, name, None), int) and value > 0)
    url, label = escapeHtml(asset.url), escapeHtml(title)
    return f'<{kind} controls preload="none" src="{url}" title="{label}"{size}><a href="{url}">'


def _render_image(self, tokens, idx, options, env) -> str:
    meta = tokens[idx].meta
    alt = escapeHtml(meta["alt"])
    if meta["show"] == "remote":
        href = escapeHtml(normalizeLink(meta["href"].strip()))
        return f'<a href="{href}">{alt or href}</a>'
    if meta["show"] == "missing":
        name = alt or escapeHtml(meta["href"].split("?")[0].rsplit("/", 1)[-1])
        return f'<span class="missing-image">{escapeHtml(_labels(env)["missing"])}: {name}</span>'
    if meta["show"] in ("audio", "video"):
        kind = meta["show"]
        label = meta["alt"] or _labels(env)[kind]
        return f"{_media_open(kind, meta['asset'], label)}{escapeHtml(label)}</a></{kind}>"
    img = img_tag(meta["asset"], meta["alt"])
    if meta.get("figure"):
        caption = self.renderInline(tokens[idx].children or [], options, env)
        return f"<figure>{img}<figcaption>{caption}</figcaption></figure>\n"
    return img


def _render_link_open(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    if token.meta.get("show") in ("audio", "video"):
        title = token.meta.get("title") or _labels(env)[token.meta["show"]]
        return _media_open(token.meta["show"], token.meta["asset"], title)
    return self.renderToken(tokens, idx, options, env)


def _render_link_close(self, tokens, idx, options, env) -> str:
    kind = tokens[idx].meta.get("show")
    return f"</a></{kind}>" if kind in ("audio", "video") else "</a>"


_RENDER_RULES = {
    "fenced_div_open": _render_div_open,
    "fenced_div_close": _render_div_close,
    "summary_open": lambda self, tokens, idx, options, env: "<summary>",
    "summary_close": lambda self, tokens, idx, options, env: "</summary>\n",
    "fence": _render_code,
    "code_block": _render_code,
    "image": _render_image,
    "link_open": _render_link_open,
    "link_close": _render_link_close,
    "table_open": lambda self, tokens, idx, options, env: '<div class="table-scroll" tabindex="0">\n<table>\n',
    "table_close": lambda self, tokens, idx, options, env: "</table>\n</div>\n",
}
