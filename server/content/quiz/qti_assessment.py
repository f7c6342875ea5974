"""QTI 2.1 assessment tests (`assessmentTest`): checked, then left out; their items come in one by one.

A test is a running order over items (test parts, sections, selection and ordering rules), which
Lantern does not follow: the learner model chooses the next question. The items a package carries are
read from their own resources. A test is still checked, so a broken one is named in the import report
with what is wrong, rather than passed over as if it were sound. The rules are the specification's
selection and ordering rules for sections:

* a section may not select more of its parts than it has, unless it selects with replacement;
* a section may not select fewer parts than it has required ones;
* a fixed part inside an invisible section that is not kept together would be moved by its parent's
  shuffling (the invisible section's parts are mixed in with the parent's), so it cannot stay fixed.

Decisions: each function returns the first problem as a sentence (the report shows one reason per file)
or None; nothing here raises, so a broken test never stops a build.
"""
from server.content.packs.xml_safe import local

TEST = "assessmentTest"


def assessment_test_problem(root) -> str | None:
    """What makes a parsed assessment test unsound, in one sentence, or None when it is sound."""
    if local(root.tag) != TEST:
        return f"the manifest calls it an assessment test, but it is a QTI {local(root.tag) or 'document'}"
    parts = [c for c in root if local(c.tag) == "testPart"]
    problems = ([] if parts else ["it has no test part"]) + [
        p for p in map(_section_problem, (e for e in root.iter() if local(e.tag) == "assessmentSection")) if p]
    return f"a broken assessment test: {problems[0]}" if problems else None


def _section_problem(section) -> str | None:
    name = section.get("identifier") or section.get("title") or "?"
    children = [c for c in section if local(c.tag) in ("assessmentSection", "assessmentItemRef")]
    selection = next((c for c in section if local(c.tag) == "selection"), None)
    if selection is not None:
        select = _whole_number(selection.get("select"))
        if select is None:
            return f"section '{name}' has a selection whose 'select' is not a whole number"
        required = sum(_flag(c, "required", False) for c in children)
        if select > len(children) and not _flag(selection, "withReplacement", False):
            return (f"section '{name}' selects {select} of its {len(children)} parts without replacement, "
                    "more than it has")
        if required > select:
            return f"section '{name}' selects {select} of its parts, but {required} of them are required"
    ordering = next((c for c in section if local(c.tag) == "ordering"), None)
    if ordering is not None and _flag(ordering, "shuffle", False):
        for child in children:
            if local(child.tag) == "assessmentSection" and _is_mixed_in(child):
                fixed = next((g for g in child if _flag(g, "fixed", False)), None)
                if fixed is not None:
                    return (f"section '{child.get('identifier')}' is invisible and not kept together, so "
                            f"shuffling section '{name}' would move its fixed part "
                            f"'{fixed.get('identifier')}'")
    return None


def _is_mixed_in(section) -> bool:
    """An invisible section not kept together: its parts are shuffled with its parent's."""
    return (not _flag(section, "visible", True) and not _flag(section, "keepTogether", True)
            and not _flag(section, "fixed", False))


def _flag(element, name: str, default: bool) -> bool:
    value = (element.get(name) or "").strip().lower()
    return default if value not in ("true", "false", "1", "0") else value in ("true", "1")


def _whole_number(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) < 7 else None
