"""Lesson Markdown dialects: Workbench fenced divs, kramdown IALs, pandoc attributes, Liquid tags.

Carpentries lessons come in two dialects. The Workbench (sandpaper) writes pandoc fenced divs
(`::::: challenge` … `:::`) and pandoc attribute blocks (`![](fig/x.svg){alt='…'}`); the older Jekyll
"styles" lessons write blockquotes tagged with kramdown IALs (`> ## Title` … `{: .challenge}`) and
Liquid (`{% include links.md %}`, `{{ page.root }}`). This module teaches markdown-it both, turning
them into one token shape: `fenced_div_open`/`fenced_div_close` with `meta["kind"]`, images with
`meta["alt"]`, fences with `meta["ial_classes"]`. How those tokens look is `server.content.packs.lesson_html`'s job.
"""
import re

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

BOX_KINDS = frozenset({
    "challenge", "solution", "hint", "callout", "objectives", "questions", "keypoints", "discussion",
    "instructor", "prereq", "checklist", "testimonial", "spoiler",
})

_MAX_LAZY_LINES = 40  # unmarked lines inside a kramdown blockquote; bounds a hostile file's cost
_FENCE = re.compile(r"((?:[ \t]*>)*)[ \t]*(`{3,}|~{3,})(.*)$")
_QUOTE_PREFIX = re.compile(r"(?:[ \t]*>)*")
_ONE_MARKER = re.compile(r"[ \t]*>")
_BOX_IAL = re.compile(r"(?P<prefix>(?:[ \t]*>)*[ \t]*)\{:\s*(?P<classes>(?:\.\s*[\w-]+\s*)+)\}\s*$")
_LIQUID_COMMENT = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.S)
_LIQUID = re.compile(r"\{%.{0,300}?%\}|\{\{-?\s*page\.root\s*-?\}\}/?|\{\{.{0,300}?\}\}")
_DIV_OPEN = re.compile(r":{3,}\s*(\{[^}\n]*\}|[A-Za-z][\w-]*)\s*:*\s*$")
_DIV_CLOSE = re.compile(r":{3,}\s*$")
_ATTR_ITEM = r"""(?:[.#][\w:-]+|[\w:-]+=(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|[^\s"'{}]+))"""
_ATTR_BLOCK = re.compile(r"\{\s*" + _ATTR_ITEM + r"(?:\s+" + _ATTR_ITEM + r")*\s*\}")
_ATTR_KEYVAL = re.compile(r"""([\w:-]+)=(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'|([^\s"'{}]+))""")
_TRAILING_ATTR_BLOCK = re.compile(r"\s*\{\s*" + _ATTR_ITEM + r"(?:\s+" + _ATTR_ITEM + r")*\s*\}\s*$")
_ATTR_IDENTIFIER = re.compile(r"(?:^|\s|\{)#([\w:-]+)")
_BACKSLASH_ESCAPE = re.compile(r"\\(.)")
_IAL_LINE = re.compile(r"\s*\{:[^}\n]*\}\s*")
_IAL_ANYWHERE = re.compile(r"\{:[^}\n]*\}")
_IAL_CLASS = re.compile(r"\.\s*([\w-]+)")


def lesson_syntax_plugin(md: MarkdownIt) -> None:
    """Add fenced divs, pandoc attribute blocks and kramdown IAL handling to a MarkdownIt."""
    md.block.ruler.before("fence", "fenced_div", _fenced_div,
                          {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.inline.ruler.after("image", "pandoc_attributes", _pandoc_attributes)
    md.core.ruler.push("kramdown_ials", _apply_kramdown_ials)


def preprocess_source(text: str) -> str:
    """Rewrite Jekyll-era syntax into what the parser knows: Liquid removed, IAL boxes made fenced divs."""
    text = _LIQUID_COMMENT.sub("", text.replace("\r\n", "\n"))
    lines = text.split("\n")
    in_code = code_line_flags(lines)
    lines = [line if code or "{" not in line else _LIQUID.sub("", line)
             for line, code in zip(lines, in_code)]
    return "\n".join(_kramdown_boxes_to_divs(lines, in_code))


def code_line_flags(lines: list[str]) -> list[bool]:
    """For each line, whether it belongs to a ``` or ~~~ fenced code block (fence lines included)."""
    flags, fence, fence_depth = [], "", 0
    for line in lines:
        depth = _quote_depth(line)
        if fence and depth < fence_depth:
            fence = ""  # the blockquote holding the fence ended, and so did the fence
        match = _FENCE.match(line) if "``" in line or "~~" in line else None
        if fence:
            flags.append(True)
            if match and match.group(2)[0] == fence[0] and len(match.group(2)) >= len(fence) \
                    and not match.group(3).strip():
                fence = ""
        elif match and not (match.group(2)[0] == "`" and "`" in match.group(3)):
            flags.append(True)
            fence, fence_depth = match.group(2), depth
        else:
            flags.append(False)
    return flags


def _quote_depth(line: str) -> int:
    return _QUOTE_PREFIX.match(line).group(0).count(">")


def _kramdown_boxes_to_divs(lines: list[str], in_code: list[bool]) -> list[str]:
    """`> …` lines followed by `{: .challenge}` become `::: challenge` … `:::` (inner boxes first)."""
    out: list[str] = []
    for line, code in zip(lines, in_code):
        match = None if code or "{:" not in line else _BOX_IAL.match(line)
        kinds = [c for c in _IAL_CLASS.findall(match.group("classes")) if c in BOX_KINDS] if match else []
        if not kinds:
            out.append(line)
            continue
        prefix = match.group("prefix")
        depth = prefix.count(">")
        start = _quoted_run_start(out, depth)
        if start == len(out):
            continue  # an IAL with no blockquote above it: nothing to wrap, drop it
        lead = prefix.rstrip() + " " if depth else prefix
        out[start:] = [f"{lead}::: {kinds[0]}"] + [_drop_quote_marker(x, depth) for x in out[start:]] + [f"{lead}:::"]
    return out


def _quoted_run_start(out: list[str], depth: int) -> int:
    """Index of the first line of the blockquote (one level deeper than `depth`) ending `out`, else len(out)."""
    start, index, lazy = len(out), len(out) - 1, 0
    while index >= 0 and not _strip_quote_markers(out[index], depth).strip():
        index -= 1  # blank lines between a blockquote and its IAL are tolerated
    for index in range(index, -1, -1):
        if _quote_depth(out[index]) > depth:
            start, lazy = index, 0
        elif not _strip_quote_markers(out[index], depth).strip() or lazy == _MAX_LAZY_LINES:
            break  # a blank line ends the blockquote
        else:
            lazy += 1  # a lazy continuation line, if a `>` line turns up above it
    return start


def _strip_quote_markers(line: str, count: int) -> str:
    pos = 0
    for _ in range(count):
        match = _ONE_MARKER.match(line, pos)
        if not match:
            break
        pos = match.end()
    return line[pos:]


def _drop_quote_marker(line: str, depth: int) -> str:
    """Remove the (depth+1)-th `>` marker and the optional space after it; lazy lines stay as they are."""
    if _quote_depth(line) <= depth:
        return line
    head_len = len(line) - len(_strip_quote_markers(line, depth))
    rest = _ONE_MARKER.sub("", line[head_len:], count=1)
    rest = rest[1:] if rest.startswith(" ") else rest
    return f"{line[:head_len]} {rest}" if depth else rest


# --- fenced divs (pandoc / Workbench) ------------------------------------------------------------

_TOP_HEADING = re.compile(r"#{1,2}\s")


def _line_text(state: StateBlock, line: int) -> str:
    return state.src[state.bMarks[line] + state.tShift[line]:state.eMarks[line]]


def _fenced_div(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Block rule: `:::+ kind` opens a div, a bare `:::+` closes the innermost; stray closers vanish."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    text = _line_text(state, start)
    if not text.startswith(":::"):
        return False
    opener = _DIV_OPEN.match(text)
    if not opener:
        if not _DIV_CLOSE.match(text):
            return False
        if not silent:
            state.line = start + 1  # a closing line with no opener: drop it, leave no `:::` behind
        return True
    if silent:
        return True
    close, is_closed = _find_div_close(state, start, end)
    old_parent, old_max = state.parentType, state.lineMax
    state.parentType, state.lineMax = "container", close
    token = state.push("fenced_div_open", "div", 1)
    token.block, token.map, token.info = True, [start, close], opener.group(1)
    token.meta = {"kind": _div_kind(opener.group(1)), "closed": is_closed}
    state.md.block.tokenize(state, start + 1, close)
    state.push("fenced_div_close", "div", -1).block = True
    state.parentType, state.lineMax = old_parent, old_max
    state.line = close + 1 if is_closed else close
    return True


def _find_div_close(state: StateBlock, start: int, end: int) -> tuple[int, bool]:
    """The line closing the div opened at `start` (counting nested divs, skipping code fences).

    A div never closed (a malformed callout) ends where its next sibling would start, a div opened
    with as many colons or a `#`/`##` heading, so it takes only its own block, not the rest of the page.
    """
    depth, fence, own, fallback = 1, "", len(_line_text(state, start)) - len(_line_text(state, start).lstrip(":")), None
    for line in range(start + 1, end):
        if state.sCount[line] < state.blkIndent and not state.isEmpty(line):
            return line, False  # the parent block (a list item, say) ended first
        text = _line_text(state, line)
        fence_match = _FENCE.match(text) if text[:1] in "`~" else None
        if fence:
            if fence_match and fence_match.group(2)[0] == fence[0] \
                    and len(fence_match.group(2)) >= len(fence) and not fence_match.group(3).strip():
                fence = ""
        elif fence_match:
            fence = fence_match.group(2)
        elif state.sCount[line] - state.blkIndent < 4 and text.startswith(":::"):
            opens = bool(_DIV_OPEN.match(text))
            if opens and depth == 1 and fallback is None and len(text) - len(text.lstrip(":")) >= own:
                fallback = line
            depth += 1 if opens else -1 if _DIV_CLOSE.match(text) else 0
            if depth == 0:
                return line, True
        elif depth == 1 and fallback is None and _TOP_HEADING.match(text) and any(
                not state.isEmpty(n) for n in range(start + 1, line)):  # not the box's own title
            fallback = line
    return (fallback if fallback is not None else end), False


def _div_kind(spec: str) -> str:
    """`challenge` → "challenge"; `{.challenge #id}` → "challenge"; unknown kinds keep their name."""
    if spec.startswith("{"):
        classes = _IAL_CLASS.findall(spec)
        return next((c for c in classes if c in BOX_KINDS), classes[0] if classes else "").lower()
    return spec.lower()


# --- pandoc attribute blocks after images, links and code spans -----------------------------------

def _pandoc_attributes(state: StateInline, silent: bool) -> bool:
    """Inline rule: consume `{alt='…' width="40%"}` right after an image (keeping alt), link or code."""
    if state.src[state.pos] != "{" or not state.tokens or state.pending:
        return False
    last = state.tokens[-1]
    if last.type not in ("image", "link_close", "code_inline"):
        return False
    match = _ATTR_BLOCK.match(state.src, state.pos)
    if not match:
        return False
    if not silent and last.type == "image":
        attributes = parse_attribute_block(match.group(0))
        if "alt" in attributes:
            last.meta["alt"] = attributes["alt"]
    state.pos = match.end()
    return True


def parse_attribute_block(block: str) -> dict[str, str]:
    """The key=value pairs of a pandoc attribute block, quotes and backslash escapes removed."""
    pairs = {}
    for key, double, single, bare in _ATTR_KEYVAL.findall(block):
        pairs[key.lower()] = _BACKSLASH_ESCAPE.sub(r"\1", double or single or bare)
    return pairs


def split_heading_attributes(text: str) -> tuple[str, str | None]:
    """`Title {#my-id .unnumbered}` → ("Title", "my-id"); text without a trailing block is unchanged."""
    match = _TRAILING_ATTR_BLOCK.search(text) if text.rstrip().endswith("}") else None
    if not match:
        return text, None
    identifiers = _ATTR_IDENTIFIER.findall(match.group(0))
    return text[:match.start()].rstrip(), identifiers[0] if identifiers else None


# --- kramdown IALs left after preprocessing: `{: .language-bash}`, `{: .output}` ----------------

def _apply_kramdown_ials(state: StateCore) -> None:
    """Core rule: IAL paragraphs label the code block above them, then vanish; stray IALs are removed."""
    kept: list[Token] = []
    tokens, index = state.tokens, 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "paragraph_open" and index + 2 < len(tokens) and _is_ial_only(tokens[index + 1]):
            if kept and kept[-1].type in ("fence", "code_block"):
                kept[-1].meta["ial_classes"] = _IAL_CLASS.findall(tokens[index + 1].content)
            index += 3
            continue
        if token.type == "inline" and "{:" in token.content:
            _strip_inline_ials(token)
        kept.append(token)
        index += 1
    state.tokens = kept


def _is_ial_only(token: Token) -> bool:
    return token.type == "inline" and all(_IAL_LINE.fullmatch(line) for line in token.content.split("\n"))


def _strip_inline_ials(token: Token) -> None:
    children: list[Token] = []
    for child in token.children or []:
        if child.type == "text" and "{:" in child.content:
            if _IAL_LINE.fullmatch(child.content):
                if children and children[-1].type == "softbreak":
                    children.pop()
                continue
            child.content = _IAL_ANYWHERE.sub("", child.content)
        children.append(child)
    token.children = children
