"""QTI 2.1 assessment items → practice items in the normalized format (see `items`).

    choiceInteraction (one answer / several)      single / multiple
    textEntryInteraction                          fill (typed) when text surrounds it, else short
    inlineChoiceInteraction                       fill (chosen)
    matchInteraction, associateInteraction        matching
    extendedTextInteraction                       essay (read by the coach)

Grading follows the item's response processing when it is one of the standard templates:
`match_correct` (the correct response scores 1) and `map_response` (each mapped value, scaled by the
mapping's upper bound, or by the best possible total), so partial credit carries over. An item
with more than one interaction, custom response processing on an interaction we cannot map, or an
interaction that needs a pointer or JavaScript (hotspot, graphic*, selectPoint, positionObject,
drawing, slider, media, upload, custom) and the kinds Lantern has no item for yet (order, gapMatch,
hottext) are left out, each with its reason, so the import report counts them.

Decisions: the item body is kept as HTML (format "html", sanitized at import like any item text, its
local images packed by the build); MathML is not carried yet (the sanitizer drops `<math>`).
"""
import re
from xml.etree.ElementTree import tostring

from server.content.packs.xml_safe import local, text_of
from server.content.quiz.items import BLANK, Reading, read_drafts

SUPPORTED = {"choiceInteraction", "textEntryInteraction", "inlineChoiceInteraction", "matchInteraction",
             "associateInteraction", "extendedTextInteraction"}
NO_KIND_YET = {"orderInteraction", "gapMatchInteraction", "hottextInteraction"}
POINTER = {"hotspotInteraction", "graphicOrderInteraction", "graphicGapMatchInteraction", "graphicAssociateInteraction",
           "selectPointInteraction", "positionObjectInteraction", "drawingInteraction", "sliderInteraction",
           "mediaInteraction", "uploadInteraction", "customInteraction", "endAttemptInteraction"}
INTERACTIONS = SUPPORTED | NO_KIND_YET | POINTER
NAMESPACE = re.compile(r"\s*xmlns(:\w+)?=\"[^\"]*\"|(</?)\w+:")


class _Skip(Exception):
    """An item Lantern cannot offer; the message says why."""


def read_qti_item(root, path: str) -> Reading:
    """A parsed QTI 2.1 `assessmentItem` as a Reading: one item, or one problem saying why not."""
    title = root.get("title") or root.get("identifier") or path
    try:
        draft = _draft(root)
    except _Skip as why:
        return Reading([], [(1, str(why), title)])
    draft.update(title=title[:255], tags=[])
    return read_drafts([(1, draft, "")], [])  # QTI identifiers repeat across exports: ids come from titles


def interaction_names(root) -> list[str]:
    """The interactions an item uses, in document order."""
    return [local(e.tag) for e in root.iter() if local(e.tag) in INTERACTIONS]


def _draft(root) -> dict:
    body = _child(root, "itemBody")
    names = interaction_names(root)
    if body is None or not names:
        raise _Skip("it has no interaction to answer")
    if len(names) > 1:
        raise _Skip(f"it has {len(names)} interactions; a Lantern question has one")
    name = names[0]
    if name in POINTER:
        raise _Skip(f"{name} needs a pointer device or JavaScript")
    if name in NO_KIND_YET:
        raise _Skip(f"{name} has no Lantern question kind yet")
    interaction = next(e for e in body.iter() if local(e.tag) == name)
    if name == "extendedTextInteraction":
        return _essay(body, interaction, {})
    declaration = _declaration(root, interaction.get("responseIdentifier"))
    scores = _scores(root, declaration)
    return {"extendedTextInteraction": _essay, "choiceInteraction": _choice,
            "textEntryInteraction": _text_entry, "inlineChoiceInteraction": _inline_choice,
            "matchInteraction": _match, "associateInteraction": _match}[name](body, interaction, scores)


def _scores(root, declaration) -> dict[str, float]:
    """Response value → score 0..1 from the standard templates (match_correct, map_response)."""
    if declaration is None:
        raise _Skip("it declares no response")
    processing = _child(root, "responseProcessing")
    template = (processing.get("template") or "") if processing is not None else ""
    mapping = _child(declaration, "mapping")
    if mapping is not None and ("map_response" in template or not template):
        entries = {e.get("mapKey", ""): float(e.get("mappedValue", "0")) for e in _children(mapping, "mapEntry")}
        top = float(mapping.get("upperBound") or 0) or sum(v for v in entries.values() if v > 0) or 1.0
        return {key: max(-1.0, min(1.0, value / top)) for key, value in entries.items()}
    if template and "match_correct" not in template and "map_response" not in template:
        raise _Skip("its response processing is not one of the standard templates")
    correct = [text_of(v) for v in _children(_child(declaration, "correctResponse"), "value")]
    if not correct:
        raise _Skip("it declares no correct response (its scoring is custom)")
    return {value: 1.0 / len(correct) for value in correct}


def _essay(body, interaction, scores) -> dict:
    return {"kind": "essay", "prompt": _body_html(body, interaction), "format": "html", "answers": []}


def _choice(body, interaction, scores) -> dict:
    choices = _children(interaction, "simpleChoice")
    several = int(interaction.get("maxChoices", "1") or 0) != 1
    answers = [{"text": _inner_html(c), "weight": round(scores.get(c.get("identifier"), 0.0), 6),
                "feedback": None} for c in choices]
    if not several:
        best = max((a["weight"] for a in answers), default=0) or 1.0
        answers = [{**a, "weight": round(max(0.0, a["weight"] / best), 6)} for a in answers]
    prompt = _body_html(body, interaction) + _inner_html(_child(interaction, "prompt"))
    return {"kind": "multiple" if several else "single", "prompt": prompt, "format": "html", "answers": answers}


def _text_entry(body, interaction, scores) -> dict:
    answers = [{"text": value, "weight": round(weight, 6), "feedback": None} for value, weight in scores.items()]
    best = max((a["weight"] for a in answers), default=0) or 1.0
    answers = [{**a, "weight": round(max(0.0, a["weight"] / best), 6)} for a in answers]
    return {"kind": "fill", "input": "text", "prompt": _body_html(body, interaction, BLANK), "format": "html",
            "answers": answers}


def _inline_choice(body, interaction, scores) -> dict:
    options = _children(interaction, "inlineChoice")
    best = max(scores.values(), default=0) or 1.0
    answers = [{"text": text_of(o), "weight": round(max(0.0, scores.get(o.get("identifier"), 0.0) / best), 6),
                "feedback": None} for o in options]
    return {"kind": "fill", "input": "choice", "prompt": _body_html(body, interaction, BLANK), "format": "html",
            "answers": answers}


def _match(body, interaction, scores) -> dict:
    sets = _children(interaction, "simpleMatchSet")
    choices = [c for s in sets for c in _children(s, "simpleAssociableChoice")]
    choices += _children(interaction, "simpleAssociableChoice")
    text = {c.get("identifier"): " ".join(text_of(c).split()) for c in choices}
    pairs, used = [], set()
    for value, weight in scores.items():
        left, _, right = value.partition(" ")
        if weight > 0 and left in text and right in text and left not in used:
            pairs.append({"left": text[left], "right": text[right]})
            used.update((left, right))
    if len(pairs) < 2:
        raise _Skip("it has fewer than two right pairs to match")
    targets = [c for c in (_children(sets[1], "simpleAssociableChoice") if len(sets) == 2 else [])]
    pairs += [{"left": "", "right": text[t.get("identifier")]} for t in targets if t.get("identifier") not in used]
    prompt = _body_html(body, interaction) + _inner_html(_child(interaction, "prompt"))
    return {"kind": "matching", "prompt": prompt, "format": "html", "answers": [], "pairs": pairs}


def _body_html(body, interaction, marker: str = "") -> str:
    """The item body as HTML, the interaction replaced by `marker` (feedback and prompts dropped)."""
    parts = []
    for child in list(body):
        if child is interaction or any(e is interaction for e in child.iter()):
            parts.append(_html_with(child, interaction, marker))
        elif local(child.tag) not in INTERACTIONS and "feedback" not in local(child.tag).lower():
            parts.append(_serialize(child))
    return "\n".join(p for p in parts if p.strip()) or marker or " "


def _html_with(element, interaction, marker: str) -> str:
    if element is interaction:
        return marker
    text = _serialize(element)
    placeholder = "\x00interaction\x00"
    for parent in element.iter():
        for n, child in enumerate(list(parent)):
            if child is interaction:
                tail = child.tail
                parent.remove(child)
                if n > 0:
                    previous = list(parent)[n - 1]
                    previous.tail = (previous.tail or "") + placeholder + (tail or "")
                else:
                    parent.text = (parent.text or "") + placeholder + (tail or "")
                text = _serialize(element)
                return text.replace(placeholder, marker)
    return text


def _serialize(element) -> str:
    return NAMESPACE.sub(lambda m: m.group(2) or "", tostring(element, encoding="unicode"))


def _inner_html(element) -> str:
    if element is None:
        return ""
    inner = (element.text or "") + "".join(_serialize(c) for c in list(element))
    return " ".join(inner.split())


def _declaration(root, identifier: str | None):
    return next((d for d in _children(root, "responseDeclaration") if d.get("identifier") == identifier), None)


def _child(element, name: str):
    return next((c for c in list(element) if local(c.tag) == name), None) if element is not None else None


def _children(element, name: str) -> list:
    return [c for c in list(element) if local(c.tag) == name] if element is not None else []
