"""TeX → MathML on the server, so maths reads without JavaScript and in screen readers.

Decisions:
- latex2mathml (pure Python, maintained) does the conversion; Khan Academy's colour macros (`\\blue{…}`,
  `\\redD{…}`) are unwrapped first, since colour alone must never carry meaning.
- `$…$` delimits TeX in Perseus text, `\\$` is a literal dollar. An unclosed `$` or TeX the converter
  cannot read raises TexError; the caller skips that item and says so.
- latex2mathml is imported on first use: it costs 12 MB of every web worker's memory, and only a Kolibri
  conversion needs it.
- The MathML carries `alttext` (the TeX) for readers that fall back to it; `*` and `_` inside it are written
  as character references so the Markdown pass that follows cannot read them as emphasis.
"""
import html
import re

COLOUR_MACRO = re.compile(r"\\(?:blue|red|green|orange|purple|gray|grey|pink|teal|gold|maroon|mint|"
                          r"kaBlue|kaGreen|lightBlue|darkBlue)[A-E]?(?=\s*\{)")
MAX_TEX = 2000


class TexError(ValueError):
    """TeX that cannot be turned into MathML."""


def tex_to_mathml(tex: str, display: bool = False) -> str:
    """One TeX formula as a MathML element (inline unless display)."""
    source = COLOUR_MACRO.sub("", tex.strip())
    if not source:
        return ""
    if len(source) > MAX_TEX:
        raise TexError("a formula is too long")
    import latex2mathml.converter  # here, not at the top: see Decisions

    try:
        mathml = latex2mathml.converter.convert(source, display="block" if display else "inline")
    except Exception as err:  # the library raises many kinds (IndexError, its own errors) on bad input
        raise TexError(f"the TeX {tex.strip()[:60]!r} cannot be read ({type(err).__name__})") from None
    mathml = mathml.replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "", 1)
    alt = html.escape(" ".join(tex.split()), quote=True)
    mathml = mathml.replace("<math ", f'<math alttext="{alt}" ', 1)
    return mathml.replace("*", "&#42;").replace("_", "&#95;")


def replace_tex(text: str) -> str:
    """Markdown text with every `$…$` formula replaced by MathML; TexError on unbalanced `$`."""
    out, pos, n = [], 0, len(text)
    while pos < n:
        start = _next_dollar(text, pos)
        if start < 0:
            out.append(text[pos:])
            break
        end = _next_dollar(text, start + 1)
        if end < 0:
            raise TexError("a formula opened with $ is never closed")
        out.append(text[pos:start])
        out.append(tex_to_mathml(text[start + 1:end]))
        pos = end + 1
    return "".join(out).replace("\\$", "$")


def _next_dollar(text: str, pos: int) -> int:
    while True:
        found = text.find("$", pos)
        if found <= 0 or text[found - 1] != "\\":
            return found
        pos = found + 1
