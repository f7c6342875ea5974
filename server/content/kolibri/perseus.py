"""Perseus exercise items (Khan Academy's JSON) → Lantern's normalized practice items.

Mapped widgets, one answer widget per item: `radio` (single or multiple choice), `numeric-input`,
`input-number`, `expression` whose answer is a plain number, `dropdown` (a fill-in choice). `image` widgets
become images. Anything else (or two answer widgets in one item) skips the item, counted per widget, so the
importer can say "skipped 4 items: 3 with interactive-graph, 1 with two answer widgets".

Decisions:
- Text is Perseus Markdown; TeX becomes MathML here (`tex.replace_tex`), and the item keeps format
  "markdown" so the importer renders and sanitizes it like any other item.
- Images: `web+graphie://…/<hash>` is Perseus' graphie, shipped in the .perseus zip as `images/<hash>.svg`;
  `${☣ LOCALPATH}/images/<name>` is a local image. Both are rewritten to the pack path the caller gives;
  anything remote is dropped to its alt text (no page ever loads another site).
- Hints: all but the last are hints (at most 5); Khan's last hint gives the answer away, so it becomes
  the worked solution, shown after a second miss.
"""
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from server.content.kolibri.tex import TexError, replace_tex

WIDGET_REF = re.compile(r"\[\[\u2603 ([a-z0-9-]+ \d+)\]\]")
IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*([^)\s]+)\s*\)")
GRAPHIE = re.compile(r"^web\+graphie://[^)]*/([0-9a-f]{40})\Z")
LOCAL = re.compile(r"^\$\{\u2623 LOCALPATH\}/(images/[A-Za-z0-9_.-]+)\Z")
ANSWER_WIDGETS = {"radio", "numeric-input", "input-number", "expression", "dropdown"}
STATIC_WIDGETS = {"image"}
MAX_HINTS = 5


class Unmappable(Exception):
    """An item Lantern cannot show natively; the message is the reason counted."""


@dataclass
class PerseusResult:
    items: list[dict] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)  # reason (usually a widget name) -> items
    images: set[str] = field(default_factory=set)  # zip paths of images the items use


def convert_item(item_id: str, data: dict, resolve_image: Callable[[str], str | None],
                 result: PerseusResult) -> None:
    """Add one Perseus item to `result` as a native item, or count why it was skipped."""
    try:
        result.items.append(_convert(item_id, data, _ImageLinks(resolve_image, result)))
    except Unmappable as why:
        result.skipped[str(why)] += 1
    except TexError:
        result.skipped["broken TeX"] += 1


class _ImageLinks:
    def __init__(self, resolve: Callable[[str], str | None], result: PerseusResult):
        self.resolve, self.result = resolve, result

    def __call__(self, text: str) -> str:
        def swap(match):
            alt, href = match.group(1), match.group(2)
            graphie, local = GRAPHIE.match(href), LOCAL.match(href)
            zip_path = f"images/{graphie.group(1)}.svg" if graphie else local.group(1) if local else None
            target = self.resolve(zip_path) if zip_path else None
            if target is None:
                return alt
            self.result.images.add(zip_path)
            return f"![{alt}]({target})"
        return IMAGE.sub(swap, text)


def _text(raw, images: _ImageLinks) -> str:
    return replace_tex(images(str(raw or "")))


def _convert(item_id: str, data: dict, images: _ImageLinks) -> dict:
    if not isinstance(data, dict) or not isinstance(data.get("question"), dict):
        raise Unmappable("not a Perseus item")
    question = data["question"]
    widgets = question.get("widgets") if isinstance(question.get("widgets"), dict) else {}
    content = str(question.get("content") or "")
    answer_refs = []
    for ref in WIDGET_REF.findall(content):
        kind = str((widgets.get(ref) or {}).get("type") or ref.split()[0])
        if kind in STATIC_WIDGETS:
            content = content.replace(f"[[\u2603 {ref}]]", _image_widget(widgets.get(ref) or {}))
        elif kind in ANSWER_WIDGETS:
            answer_refs.append((ref, kind))
        else:
            raise Unmappable(kind)
    if len(answer_refs) != 1:
        raise Unmappable("no answer widget" if not answer_refs else "several answer widgets")
    ref, kind = answer_refs[0]
    options = (widgets.get(ref) or {}).get("options") or {}
    item = {"id": item_id, "format": "markdown", **_hints(data.get("hints"), images)}
    blank = "[[blank]]" if kind == "dropdown" else ""
    item["prompt"] = _text(content.replace(f"[[\u2603 {ref}]]", blank), images).strip() or "?"
    item.update(_answers(kind, options, images))
    if kind == "dropdown" and item["prompt"].count("[[blank]]") != 1:
        raise Unmappable("dropdown")
    return item


def _image_widget(widget: dict) -> str:
    background = (widget.get("options") or {}).get("backgroundImage") or {}
    url = background.get("url")
    alt = str((widget.get("options") or {}).get("alt") or "")
    return f"![{alt}]({url})" if isinstance(url, str) else ""


def _hints(hints, images: _ImageLinks) -> dict:
    texts = [_text(WIDGET_REF.sub("", str(h.get("content") or "")), images).strip()
             for h in hints or [] if isinstance(h, dict)]
    texts = [t for t in texts if t]
    if len(texts) >= 2:
        return {"hints": texts[:-1][:MAX_HINTS], "solution": texts[-1]}
    return {"hints": texts}


def _answers(kind: str, options: dict, images: _ImageLinks) -> dict:
    if kind == "radio":
        return _radio(options, images)
    if kind == "dropdown":
        choices = [c for c in options.get("choices") or [] if isinstance(c, dict)]
        return {"kind": "fill", "input": "choice", "answers": _choices(choices, images)}
    return {"kind": "numeric", "answers": _numbers(kind, options)}


def _choices(choices: list[dict], images: _ImageLinks) -> list[dict]:
    if not 2 <= len(choices) <= 20 or not any(c.get("correct") for c in choices):
        raise Unmappable("radio without a right answer")
    answers = []
    for choice in choices:
        text = "None of the above" if choice.get("isNoneOfTheAbove") else _text(choice.get("content"), images)
        answer = {"text": text.strip() or "?", "weight": 1.0 if choice.get("correct") else 0.0}
        if choice.get("clue"):
            answer["feedback"] = _text(choice["clue"], images)
        answers.append(answer)
    return answers


def _radio(options: dict, images: _ImageLinks) -> dict:
    choices = [c for c in options.get("choices") or [] if isinstance(c, dict)]
    answers = _choices(choices, images)
    right = sum(1 for a in answers if a["weight"] > 0)
    if not (options.get("multipleSelect") or right > 1):
        return {"kind": "single", "answers": answers}
    wrong = len(answers) - right
    for answer in answers:
        answer["weight"] = round(1.0 / right, 4) if answer["weight"] > 0 else round(-1.0 / max(wrong, 1), 4)
    return {"kind": "multiple", "answers": answers}


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value or "").strip().replace("\u2212", "-")
    fraction = re.fullmatch(r"(-?\d+)\s*/\s*(\d+)", text)
    if fraction and int(fraction.group(2)):
        return int(fraction.group(1)) / int(fraction.group(2))
    try:
        return float(text)
    except ValueError:
        return None


def _numbers(kind: str, options: dict) -> list[dict]:
    if kind == "input-number":
        forms = [{"value": options.get("value"), "status": "correct",
                  "maxError": options.get("maxError") if options.get("inexact") else 0}]
    elif kind == "expression":
        forms = [{"value": f.get("value"), "status": "correct" if f.get("considered", "correct") == "correct"
                  else "wrong"} for f in options.get("answerForms") or [] if isinstance(f, dict)]
    else:
        forms = [a for a in options.get("answers") or [] if isinstance(a, dict)]
    answers = []
    for form in forms:
        value = _number(form.get("value"))
        if value is None:
            raise Unmappable(f"{kind} (answer is not a number)")
        if form.get("status") == "ungraded":
            continue
        answer = {"value": value, "tolerance": abs(_number(form.get("maxError")) or 0.0),
                  "weight": 1.0 if form.get("status", "correct") == "correct" else 0.0}
        if form.get("message"):
            answer["feedback"] = replace_tex(str(form["message"]))
        answers.append(answer)
    if not any(a["weight"] > 0 for a in answers) or len(answers) > 20:
        raise Unmappable(kind)
    return answers
