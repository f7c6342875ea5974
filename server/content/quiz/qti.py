"""QTI 2.1 assessment items → practice items in the normalized format (see `items`).

    choiceInteraction (one answer / several)      single / multiple
    hottextInteraction (one span / several)       single / multiple: the passage with its spans marked,
                                                  the spans as the options
    textEntryInteraction                          fill (typed) when text surrounds it, else short
    inlineChoiceInteraction                       fill (chosen)
    gapMatchInteraction                           one gap: fill (chosen); more: matching, the gaps numbered
                                                  (1), (2)… in the text, a list of the gap texts for each
    matchInteraction, associateInteraction        matching
    orderInteraction                              matching: positions 1, 2, 3… each with a list of the choices
    extendedTextInteraction                       essay: a hand-in the coach reviews, never auto-graded

Grading follows the item's response processing when it is one of the standard templates:
`match_correct` (the correct response scores 1) and `map_response` (each mapped value, scaled by the
mapping's upper bound, or by the best possible total; an unmapped option its default value), so partial
credit carries over. An item with more than one interaction, custom response processing without a
correct response, template processing (values drawn afresh for each learner: the item's text would show
the variables' names), or an interaction that needs a pointer or JavaScript (hotspot, graphic*, selectPoint,
positionObject, drawing, slider, media, upload, custom) is left out with its reason, so the import
report counts it.

Decisions:
* The item body is kept as HTML (format "html", sanitized at import like any item text, its local
  images packed by the build); MathML inside it is kept (the sanitizer allows only MathML in `<math>`).
* Under match_correct a several-answer question gives each right option an equal share and takes the
  same share away for each wrong one (as `qti12` does), so ticking everything is not full marks.
* Order and gap-match questions are graded as matching is: right when every position or gap is right,
  else "2 of 3 right". QTI's own score would be all-or-nothing under match_correct, and map_response
  weights gaps unequally; the share of right places is what the learner is shown instead.
"""
import copy
import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element, tostring

from server.content.packs.xml_safe import local, text_of
from server.content.quiz.items import BLANK, Reading, read_drafts

SUPPORTED = {"choiceInteraction", "textEntryInteraction", "inlineChoiceInteraction", "matchInteraction",
             "associateInteraction", "extendedTextInteraction", "orderInteraction", "gapMatchInteraction",
             "hottextInteraction"}
POINTER = {"hotspotInteraction", "graphicOrderInteraction", "graphicGapMatchInteraction", "graphicAssociateInteraction",
           "selectPointInteraction", "positionObjectInteraction", "drawingInteraction", "sliderInteraction",
           "mediaInteraction", "uploadInteraction", "customInteraction", "endAttemptInteraction"}
INTERACTIONS = SUPPORTED | POINTER
NAMESPACE = re.compile(r"\s*xmlns(:\w+)?=\"[^\"]*\"|(</?)\w+:")
GAP = "\u2009_____\u2002"
TEMPLATED = {"printedVariable", "templateInline", "templateBlock"}
PICTURES = {"image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp"}


class _Skip(Exception):
    """An item Lantern cannot offer; the message says why."""


@dataclass(frozen=True)
class _Scores:
    """What the response processing gives each response value, as a share of full marks (-1..1)."""

    values: dict[str, float]
    other: float  # any value not listed: map_response's defaultValue, or a wrong option under match_correct
    correct: tuple[str, ...]  # the declared correct response, in order


def read_qti_item(root, path: str) -> Reading:
    """A parsed QTI 2.1 `assessmentItem` as a Reading: one item, or one problem saying why not."""
    title = root.get("title") or root.get("identifier") or path
    try:
        if local(root.tag) != "assessmentItem":
            raise _Skip(f"it is a QTI {local(root.tag) or 'document'}, not a question (assessmentItem)")
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
    if _child(root, "templateProcessing") is not None or any(local(e.tag) in TEMPLATED for e in body.iter()):
        raise _Skip("its values are drawn afresh for each learner by template processing, which Lantern does not run")
    interaction = next(e for e in body.iter() if local(e.tag) == name)
    _objects_as_html(body)
    if name == "extendedTextInteraction":
        return _essay(body, interaction, None)
    scores = _scores(root, _declaration(root, interaction.get("responseIdentifier")))
    return BUILDERS[name](body, interaction, scores)


def _scores(root, declaration) -> _Scores:
    """Response value → score from the standard templates (match_correct, map_response)."""
    if declaration is None:
        raise _Skip("it declares no response")
    processing = _child(root, "responseProcessing")
    template = (processing.get("template") or "") if processing is not None else ""
    mapping = _child(declaration, "mapping")
    correct = tuple(text_of(v) for v in _children(_child(declaration, "correctResponse"), "value"))
    if mapping is not None and ("map_response" in template or not template):
        entries = {e.get("mapKey", ""): _number(e.get("mappedValue")) for e in _children(mapping, "mapEntry")}
        upper = _number(mapping.get("upperBound"))
        top = upper if upper > 0 else sum(v for v in entries.values() if v > 0) or 1.0
        share = {key: _clamped(value / top) for key, value in entries.items()}
        return _Scores(share, _clamped(_number(mapping.get("defaultValue")) / top), correct)
    if template and "match_correct" not in template and "map_response" not in template:
        raise _Skip("its response processing is not one of the standard templates")
    if not correct:
        raise _Skip("it declares no correct response (its scoring is custom)")
    return _Scores({value: 1.0 / len(correct) for value in correct}, -1.0 / len(correct), correct)


def _essay(body, interaction, scores) -> dict:
    """An open question: the body and the interaction's own prompt, for a hand-in the coach reviews."""
    question = _inner_html(_child(interaction, "prompt"))
    return {"kind": "essay", "prompt": _body_html(body, interaction, f"<p>{question}</p>" if question else ""),
            "format": "html", "answers": []}


def _choice(body, interaction, scores: _Scores) -> dict:
    prompt = _body_html(body, interaction) + _inner_html(_child(interaction, "prompt"))
    options = [(c.get("identifier"), _inner_html(c)) for c in _children(interaction, "simpleChoice")]
    return _choice_draft(prompt, options, scores, int(interaction.get("maxChoices", "1") or 0) != 1)


def _hottext(body, interaction, scores: _Scores) -> dict:
    """The passage with its hottext spans marked (numbered when two read the same), the spans as options."""
    passage = copy.deepcopy(interaction)
    spans = [e for e in passage.iter() if local(e.tag) == "hottext"]
    options = [(s.get("identifier"), " ".join(text_of(s).split())) for s in spans]
    if len({text for _, text in options}) < len(options):
        options = [(key, f"{text} ({n})") for n, (key, text) in enumerate(options, start=1)]
        for n, span in enumerate(spans, start=1):
            span.append(_element("sup", f"({n})"))
    for span in spans:
        span.tag, span.attrib = "mark", {}
    prompt = _body_html(body, interaction, _inner_html(_child(passage, "prompt")) + _content_html(passage))
    return _choice_draft(prompt, options, scores, int(interaction.get("maxChoices", "1") or 0) != 1)


def _choice_draft(prompt: str, options: list[tuple[str, str]], scores: _Scores, several: bool) -> dict:
    answers = [{"text": text, "weight": round(scores.values.get(key, scores.other), 6), "feedback": None}
               for key, text in options]
    if not several:
        best = max((a["weight"] for a in answers), default=0) or 1.0
        answers = [{**a, "weight": round(max(0.0, a["weight"] / best), 6)} for a in answers]
    return {"kind": "multiple" if several else "single", "prompt": prompt, "format": "html", "answers": answers}


def _text_entry(body, interaction, scores: _Scores) -> dict:
    answers = [{"text": value, "weight": round(weight, 6), "feedback": None} for value, weight in scores.values.items()]
    best = max((a["weight"] for a in answers), default=0) or 1.0
    answers = [{**a, "weight": round(max(0.0, a["weight"] / best), 6)} for a in answers]
    return {"kind": "fill", "input": "text", "prompt": _body_html(body, interaction, BLANK), "format": "html",
            "answers": answers}


def _inline_choice(body, interaction, scores: _Scores) -> dict:
    options = [(o.get("identifier"), text_of(o)) for o in _children(interaction, "inlineChoice")]
    return _fill_choice(_body_html(body, interaction, BLANK), options, scores.values)


def _fill_choice(prompt: str, options: list[tuple[str, str]], values: dict[str, float]) -> dict:
    best = max(values.values(), default=0) or 1.0
    answers = [{"text": text, "weight": round(max(0.0, values.get(key, 0.0) / best), 6), "feedback": None}
               for key, text in options]
    return {"kind": "fill", "input": "choice", "prompt": prompt, "format": "html", "answers": answers}


def _gap_match(body, interaction, scores: _Scores) -> dict:
    """One gap: a fill-in with a choice; several: matching, the gaps numbered in the text."""
    if any(local(c.tag) == "gapImg" for c in interaction):
        raise _Skip("its gap choices are pictures, which a list cannot show")
    words = {c.get("identifier"): " ".join(text_of(c).split()) for c in _children(interaction, "gapText")}
    passage = copy.deepcopy(interaction)
    for child in [c for c in passage if local(c.tag) in ("gapText", "prompt")]:
        passage.remove(child)
    gaps = [e for e in passage.iter() if local(e.tag) == "gap"]
    right = [_best_word(scores, gap.get("identifier"), words) for gap in gaps]
    question = _inner_html(_child(interaction, "prompt"))
    if len(gaps) == 1:
        _replace(gaps[0], BLANK)
        prompt = _body_html(body, interaction, question + _content_html(passage))
        return _fill_choice(prompt, list(words.items()), {right[0]: 1.0})
    labels = [f"({n})" for n in range(1, len(gaps) + 1)]
    for gap, label in zip(gaps, labels):
        _replace(gap, label + GAP)
    pairs = [{"left": label, "right": words[key]} for label, key in zip(labels, right)]
    pairs += [{"left": "", "right": text} for key, text in words.items() if key not in right]
    prompt = _body_html(body, interaction, question + _content_html(passage))
    return {"kind": "matching", "prompt": prompt, "format": "html", "answers": [], "pairs": pairs}


def _best_word(scores: _Scores, gap: str | None, words: dict[str, str]) -> str:
    """The gap text that scores most in a gap ("W G1": word W in gap G1)."""
    found = [(weight, value.split()[0]) for value, weight in scores.values.items()
             if weight > 0 and len(value.split()) == 2 and value.split()[1] == gap and value.split()[0] in words]
    if not found:
        raise _Skip(f"gap {gap} has no right answer among its choices")
    return max(found)[1]


def _order(body, interaction, scores: _Scores) -> dict:
    """Positions 1, 2, 3… each choosing from the choices; choices outside the right order are distractors."""
    text = {c.get("identifier"): " ".join(text_of(c).split()) for c in _children(interaction, "simpleChoice")}
    if not all(text.values()):
        raise _Skip("a choice has no text to show in a list")
    if len(set(text.values())) < len(text):
        raise _Skip("two of its choices read the same")
    order = [value for value in scores.correct if value in text]
    if len(order) < 2 or len(order) != len(scores.correct):
        raise _Skip("its correct order does not name at least two of its choices")
    pairs = [{"left": str(n), "right": text[key]} for n, key in enumerate(order, start=1)]
    pairs += [{"left": "", "right": value} for key, value in text.items() if key not in order]
    prompt = _body_html(body, interaction) + _inner_html(_child(interaction, "prompt"))
    return {"kind": "matching", "prompt": prompt, "format": "html", "answers": [], "pairs": pairs}


def _match(body, interaction, scores: _Scores) -> dict:
    sets = _children(interaction, "simpleMatchSet")
    choices = [c for s in sets for c in _children(s, "simpleAssociableChoice")]
    choices += _children(interaction, "simpleAssociableChoice")
    text = {c.get("identifier"): " ".join(text_of(c).split()) for c in choices}
    pairs, used = [], set()
    for value, weight in scores.values.items():
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


BUILDERS = {"choiceInteraction": _choice, "hottextInteraction": _hottext, "textEntryInteraction": _text_entry,
            "inlineChoiceInteraction": _inline_choice, "gapMatchInteraction": _gap_match,
            "matchInteraction": _match, "associateInteraction": _match, "orderInteraction": _order}


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


def _objects_as_html(parent) -> None:
    """`<object>` as HTML: a picture becomes `<img>` (its fallback text the alt), anything else its fallback."""
    for index, child in reversed(list(enumerate(list(parent)))):
        _objects_as_html(child)
        if local(child.tag) != "object":
            continue
        if (child.get("type") or "").lower() in PICTURES and child.get("data"):
            picture = Element("img", {"src": child.get("data"), "alt": " ".join(text_of(child).split())})
            picture.tail = child.tail
            parent[index] = picture
        else:
            _unwrap(parent, index)


def _unwrap(parent, index: int) -> None:
    """Replace parent[index] by what it contains (text, children and tail kept in place)."""
    child = parent[index]
    inside, tail = list(child), child.tail or ""
    before = (child.text or "") + ("" if inside else tail)
    if index > 0:
        parent[index - 1].tail = (parent[index - 1].tail or "") + before
    else:
        parent.text = (parent.text or "") + before
    parent.remove(child)
    for offset, grandchild in enumerate(inside):
        parent.insert(index + offset, grandchild)
    if inside:
        inside[-1].tail = (inside[-1].tail or "") + tail


def _content_html(element) -> str:
    """An interaction's own content (its passage) as HTML, without its prompt."""
    return (element.text or "") + "".join(_serialize(c) for c in list(element) if local(c.tag) != "prompt")


def _replace(element, text: str) -> None:
    """Turn an empty element (a gap) into plain text in place."""
    element.tag, element.attrib, element.text = "span", {}, text


def _element(tag: str, text: str) -> Element:
    made = Element(tag)
    made.text = text
    return made


def _serialize(element) -> str:
    return NAMESPACE.sub(lambda m: m.group(2) or "", tostring(element, encoding="unicode"))


def _inner_html(element) -> str:
    if element is None:
        return ""
    inner = (element.text or "") + "".join(_serialize(c) for c in list(element))
    return " ".join(inner.split())


def _number(value: str | None) -> float:
    try:
        number = float(value or 0)
    except ValueError:
        raise _Skip(f"its scoring has a value that is not a number ({str(value)[:20]!r})") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise _Skip("its scoring has a value that is not a finite number")
    return number


def _clamped(value: float) -> float:
    return max(-1.0, min(1.0, value))


def _declaration(root, identifier: str | None):
    return next((d for d in _children(root, "responseDeclaration") if d.get("identifier") == identifier), None)


def _child(element, name: str):
    return next((c for c in list(element) if local(c.tag) == name), None) if element is not None else None


def _children(element, name: str) -> list:
    return [c for c in list(element) if local(c.tag) == name] if element is not None else []
