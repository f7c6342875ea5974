"""QTI 1.2 (`questestinterop`, what Common Cartridge, Canvas and Moodle export) → practice items.

    response_lid, rcardinality Single (incl. true/false)   single
    response_lid, rcardinality Multiple                     multiple
    response_str / render_fib with right values             short (fill-in: typed)
    response_num with right values or a range               numeric
    response_str with no right value                        essay (read by the coach)

The right answers are read from `resprocessing`: a `respcondition` whose `setvar` gives a positive
score names them with `varequal` (a `<not>` inside excludes an option; `vargte`/`varlte` make a
numeric range). Decisions: a multiple-response question that Moodle scores all-or-nothing becomes
one where each right option is worth an equal share and each wrong one takes a share away, so a
learner sees "2 of 3 right" and ticking everything is not full marks. Any other response type
(`response_xy`, `response_grp`, hotspots) is left out with its reason.
"""
from server.content.packs.xml_safe import local, text_of
from server.content.quiz.items import Reading, read_drafts


RESPONSES = {"response_lid", "response_str", "response_num", "response_xy", "response_grp", "response_extension"}


class _Skip(Exception):
    """A question Lantern cannot offer; the message says why."""


def read_qti12(root, path: str) -> Reading:
    """Every `item` of a QTI 1.2 document, as one Reading (position in the file stands for the line)."""
    drafts, problems = [], []
    for position, item in enumerate((e for e in root.iter() if local(e.tag) == "item"), start=1):
        title = item.get("title") or item.get("ident") or f"question {position}"
        try:
            draft = _draft(item)
        except _Skip as why:
            problems.append((position, str(why), title))
            continue
        drafts.append((position, {**draft, "title": title[:255], "format": "html", "tags": []}, ""))
    return read_drafts(drafts, problems)


def _draft(item) -> dict:
    presentation = _first(item, "presentation")
    if presentation is None:
        raise _Skip("it has no presentation")
    responses = [e for e in presentation.iter() if local(e.tag) in RESPONSES]
    if len(responses) != 1:
        raise _Skip(f"it asks for {len(responses)} responses; a Lantern question has one")
    response = responses[0]
    if any(local(e.tag) == "render_hotspot" for e in response.iter()):
        raise _Skip("it is answered by pointing at a picture (render_hotspot), which needs a pointer device")
    prompt = "\n".join(_material_html(m) for m in presentation.iter() if local(m.tag) == "material"
                       and not _inside(response, m)) or " "
    right = _right_values(item, response.get("ident"))
    kind = local(response.tag)
    if kind == "response_lid":
        return _choice(response, prompt, right)
    if kind == "response_str":
        if not right["values"]:
            return {"kind": "essay", "prompt": prompt, "answers": []}
        return {"kind": "short", "prompt": prompt,
                "answers": [{"text": v, "weight": 1.0, "feedback": None} for v in right["values"]]}
    if kind == "response_num":
        return _numeric(prompt, right)
    raise _Skip(f"{kind} needs a pointer device or has no Lantern question kind")


def _choice(response, prompt: str, right: dict) -> dict:
    labels = [e for e in response.iter() if local(e.tag) == "response_label"]
    if len(labels) < 2:
        raise _Skip("it has fewer than two options")
    good = [label.get("ident") for label in labels if label.get("ident") in right["values"]]
    if not good:
        raise _Skip("it declares no right option (its scoring is custom)")
    texts = [" ".join(_material_html(m) for m in label.iter() if local(m.tag) == "material") or label.get("ident")
             for label in labels]
    if response.get("rcardinality", "Single").lower() == "multiple":
        share = round(1.0 / len(good), 6)
        answers = [{"text": t, "weight": share if label.get("ident") in good else -share, "feedback": None}
                   for t, label in zip(texts, labels)]
        return {"kind": "multiple", "prompt": prompt, "answers": answers}
    answers = [{"text": t, "weight": 1.0 if label.get("ident") == good[0] else 0.0, "feedback": None}
               for t, label in zip(texts, labels)]
    return {"kind": "single", "prompt": prompt, "answers": answers}


def _numeric(prompt: str, right: dict) -> dict:
    answers = []
    for value in right["values"]:
        try:
            answers.append({"value": float(value), "tolerance": 0.0, "weight": 1.0, "feedback": None})
        except ValueError:
            continue
    if right["low"] is not None and right["high"] is not None:
        answers.append({"min": right["low"], "max": right["high"], "weight": 1.0, "feedback": None})
    if not answers:
        raise _Skip("it declares no right number (its scoring is custom)")
    return {"kind": "numeric", "prompt": prompt, "answers": answers}


def _right_values(item, ident: str | None) -> dict:
    """The values (and numeric range) that conditions with a positive score accept."""
    found = {"values": [], "low": None, "high": None}
    for condition in (e for e in item.iter() if local(e.tag) == "respcondition"):
        if not _scores(condition):
            continue
        variables = _first(condition, "conditionvar")
        for test in (variables.iter() if variables is not None else []):
            if test.get("respident") not in (ident, None) or _inside_not(variables, test):
                continue
            name, value = local(test.tag), text_of(test)
            if name == "varequal" and value and value not in found["values"]:
                found["values"].append(value)
            elif name in ("vargte", "vargt") and _number(value) is not None:
                found["low"] = _number(value)
            elif name in ("varlte", "varlt") and _number(value) is not None:
                found["high"] = _number(value)
    return found


def _scores(condition) -> bool:
    setvar = _first(condition, "setvar")
    return setvar is not None and (_number(text_of(setvar)) or 0) > 0


def _inside_not(root, target) -> bool:
    return any(local(e.tag) == "not" and any(x is target for x in e.iter()) for e in root.iter())


def _inside(container, element) -> bool:
    return any(x is element for x in container.iter())


def _material_html(material) -> str:
    parts = []
    for text in (e for e in material.iter() if local(e.tag) in ("mattext", "matemtext")):
        value = text_of(text)
        kind = (text.get("texttype") or "text/plain").lower()
        parts.append(value if "html" in kind else _escape(value))
    return " ".join(p for p in parts if p)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _first(element, name: str):
    return next((e for e in element.iter() if local(e.tag) == name), None)
