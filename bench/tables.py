"""Plain-text tables for benchmark output (fixed-width, so runs can be diffed)."""
import re

NUMBER_LIKE = re.compile(r"^[<>]?-?\d[\d.,]*( ?%| s| ms| MiB| MB)?$")


def format_table(headers: list[str], rows: list[list], title: str | None = None) -> str:
    """A fixed-width table: mostly-number columns right-aligned, text columns left-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[n]) for r in cells]) for n, h in enumerate(headers)]
    numeric = [sum(_is_number(row[n]) for row in rows) * 2 > len(rows) for n in range(len(headers))]

    def line(values):
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

    out = [title] if title else []
    out += [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)


def _is_number(value) -> bool:
    if isinstance(value, str):
        return bool(NUMBER_LIKE.match(value))
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1 else f"{value:.1f}"
    return str(value)
