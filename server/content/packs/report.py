"""The import report: per source file, what came into the pack and what was left out, and why.

`lantern pack build` prints it as a table and stores it in the manifest (`import_report`), so the
admin sees it on the pack's page after the pack is installed anywhere. A row is

    {"source": "episodes/01-intro.md", "lessons": 1, "items": 0, "skipped": ["image not found: a.png"]}

Decisions: rows are made from the build's own warnings, which always start with the file they are
about ("path: …" or "path line N: …"), so every reader (pack.yaml, Carpentries, quiz bank, cartridge)
reports the same way without keeping a second list. A warning about no one file goes in a row with
source "" (the source as a whole). The manifest carries the report as untrusted data: it is checked
for shape and size here and only ever shown as escaped text.
"""
from server.errors import PackError

MAX_ROWS = 5000
MAX_SKIPPED = 500
MAX_TEXT = 1000


def build_report(lessons: dict[str, int], items: dict[str, int], warnings: list[str],
                 extra_rows: list[dict] = ()) -> list[dict]:
    """Rows in source order: files that gave lessons or items, then files only warned about."""
    rows: dict[str, dict] = {}
    for row in extra_rows:
        rows[row["source"]] = {"source": row["source"], "lessons": row.get("lessons", 0),
                               "items": row.get("items", 0), "skipped": list(row.get("skipped", []))}
    for source, count in lessons.items():
        _row(rows, source)["lessons"] += count
    for source, count in items.items():
        _row(rows, source)["items"] += count
    keys = sorted(rows, key=len, reverse=True)
    for warning in warnings:
        source = next((k for k in keys if k and warning.startswith((k + ": ", k + " line "))), None)
        if source is None:
            source, text = _split(warning)
        else:
            text = warning[len(source):].removeprefix(": ").strip()
        _row(rows, source)["skipped"].append(text[:MAX_TEXT])
    return [_capped(row) for row in rows.values()][:MAX_ROWS]


def _split(warning: str) -> tuple[str, str]:
    head, sep, rest = warning.partition(": ")
    return (head, rest) if sep and ("/" in head or "." in head) else ("", warning)


def _row(rows: dict, source: str) -> dict:
    return rows.setdefault(source, {"source": source, "lessons": 0, "items": 0, "skipped": []})


def _capped(row: dict) -> dict:
    skipped = row["skipped"]
    if len(skipped) > MAX_SKIPPED:
        skipped = skipped[:MAX_SKIPPED - 1] + [f"and {len(skipped) - MAX_SKIPPED + 1} more"]
    return {**row, "skipped": skipped}


def format_report(rows: list[dict]) -> str:
    """The report as a plain-text table for the command line."""
    width = min(max([len(r["source"] or "(the source)") for r in rows] + [6]), 60)
    lines = [f"{'source':<{width}}  lessons  items  left out", "-" * (width + 27)]
    for row in rows:
        name = row["source"] or "(the source)"
        name = name if len(name) <= width else "…" + name[-(width - 1):]
        lines.append(f"{name:<{width}}  {row['lessons']:>7}  {row['items']:>5}  {len(row['skipped']):>8}")
        lines.extend(f"{'':<{width}}    - {reason}" for reason in row["skipped"])
    return "\n".join(lines)


def check_report(value) -> tuple[dict, ...]:
    """A manifest's `import_report`, checked for shape and size (absent: empty)."""
    if value is None:
        return ()
    _require(isinstance(value, list) and len(value) <= MAX_ROWS, f"import_report must be a list of at most "
             f"{MAX_ROWS} rows")
    rows = []
    for n, row in enumerate(value):
        _require(isinstance(row, dict), f"import_report[{n}] must be an object")
        source, skipped = row.get("source"), row.get("skipped", [])
        _require(isinstance(source, str) and len(source) <= MAX_TEXT, f"import_report[{n}].source must be text")
        for key in ("lessons", "items"):
            count = row.get(key, 0)
            _require(isinstance(count, int) and not isinstance(count, bool) and 0 <= count <= 100_000,
                     f"import_report[{n}].{key} must be a whole number")
        _require(isinstance(skipped, list) and len(skipped) <= MAX_SKIPPED
                 and all(isinstance(s, str) and len(s) <= MAX_TEXT for s in skipped),
                 f"import_report[{n}].skipped must be a list of texts")
        rows.append({"source": source, "lessons": row.get("lessons", 0), "items": row.get("items", 0),
                     "skipped": list(skipped)})
    return tuple(rows)


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise PackError(message, "manifest.json")
