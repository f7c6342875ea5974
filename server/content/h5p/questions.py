"""H5P question types → Lantern's normalized practice items, with their feedback.

    H5P.MultiChoice      single (one right answer) or multiple; per-answer chosen feedback, tips as hints
    H5P.SingleChoiceSet  one single-choice item per question (H5P lists the right answer first)
    H5P.TrueFalse        truefalse, with the feedback for right and wrong
    H5P.Blanks           one fill item per blank (`*answer/other:tip*`), the other blanks shown as "…"
    H5P.DragText         one fill-by-choice item per gap, the options being every word of the text
    H5P.MarkTheWords     one multiple-choice item: the marked words among the text's other words
    H5P.QuestionSet      each of its questions, by its own type

Decisions:
- Texts stay HTML inside Markdown (format "markdown"), so the importer sanitizes them with the one
  allowlist and images written as Markdown resolve to the pack's files.
- Ids: `<lesson>.<subContentId>` when H5P gives one (stable across versions), else `<lesson>.<n>`.
"""
import random
import re

from server.content.quiz.items import slugify_id

BLANK = re.compile(r"\*([^*\n]+)\*")
WORD = re.compile(r"[^\W\d_][\w'’-]*", re.U)
TAG = re.compile(r"<[^>]+>")
NATIVE = ("H5P.MultiChoice", "H5P.SingleChoiceSet", "H5P.TrueFalse", "H5P.Blanks", "H5P.DragText",
          "H5P.MarkTheWords", "H5P.QuestionSet")


def machine_name(library: str) -> str:
    """'H5P.MultiChoice 1.16' → 'H5P.MultiChoice'."""
    return str(library or "").split(" ")[0]


def items_for(library: str, params: dict, lesson_id: str, media=lambda params: "") -> list[dict]:
    """The items of one H5P content of type `library` (empty for types that do not map)."""
    kind = machine_name(library)
    builder = _BUILDERS.get(kind)
    if builder is None or not isinstance(params, dict):
        return []
    drafts = builder(params, lesson_id, media)
    for n, item in enumerate(drafts, start=1):
        item.setdefault("id", f"{lesson_id}.{n}")
        item.setdefault("format", "markdown")
    return drafts


def _text(value) -> str:
    return str(value or "").strip()


def _plain(value) -> str:
    return " ".join(TAG.sub(" ", _text(value)).split())


def _sub_id(lesson_id: str, params_holder: dict, n: int) -> str:
    sub = slugify_id(str(params_holder.get("subContentId") or ""))
    return f"{lesson_id}.{sub[:36]}" if sub else f"{lesson_id}.{n}"


def _multichoice(params, lesson_id, media) -> list[dict]:
    answers = []
    for answer in params.get("answers") or []:
        if not isinstance(answer, dict) or not _plain(answer.get("text")):
            continue
        tips = answer.get("tipsAndFeedback") or {}
        entry = {"text": _plain(answer.get("text")), "weight": 1.0 if answer.get("correct") else 0.0}
        if _plain(tips.get("chosenFeedback")):
            entry["feedback"] = _plain(tips.get("chosenFeedback"))
        answers.append(entry)
    right = sum(1 for a in answers if a["weight"] > 0)
    if not 2 <= len(answers) <= 20 or not right:
        return []
    kind = "single" if right == 1 and (params.get("behaviour") or {}).get("type") != "multi" else "multiple"
    if kind == "multiple":
        wrong = len(answers) - right
        for a in answers:
            a["weight"] = round(1 / right, 4) if a["weight"] > 0 else round(-1 / max(wrong, 1), 4)
    hints = [_plain((a.get("tipsAndFeedback") or {}).get("tip")) for a in params.get("answers") or []
             if isinstance(a, dict) and _plain((a.get("tipsAndFeedback") or {}).get("tip"))]
    return [{"kind": kind, "prompt": media(params) + _text(params.get("question")) or "?",
             "answers": answers, "hints": hints[:5]}]


def _single_choice_set(params, lesson_id, media) -> list[dict]:
    items = []
    for n, choice in enumerate(params.get("choices") or [], start=1):
        options = [_plain(a) for a in (choice or {}).get("answers") or [] if _plain(a)]
        if len(options) < 2:
            continue
        answers = [{"text": t, "weight": 1.0 if i == 0 else 0.0} for i, t in enumerate(options[:20])]
        items.append({"id": _sub_id(lesson_id, choice, n), "kind": "single",
                      "prompt": _text(choice.get("question")) or "?", "answers": answers})
    return items


def _true_false(params, lesson_id, media) -> list[dict]:
    right = str(params.get("correct")).lower() == "true"
    behaviour = params.get("behaviour") or {}
    good, bad = _plain(behaviour.get("feedbackOnCorrect")), _plain(behaviour.get("feedbackOnWrong"))
    answers = [{"value": value, "weight": 1.0 if value == right else 0.0,
                "feedback": (good if value == right else bad) or None} for value in (True, False)]
    return [{"kind": "truefalse", "prompt": media(params) + _text(params.get("question")) or "?",
             "answers": answers}]


def _gaps(text: str) -> list[tuple[list[str], str]]:
    """The (answers, tip) of every `*…*` gap in an H5P text."""
    out = []
    for match in BLANK.finditer(text):
        body, _, tip = match.group(1).partition(":")
        answers = [a.strip() for a in body.split("/") if a.strip()]
        out.append((answers, tip.strip()))
    return out


def _gap_items(text: str, intro: str, lesson_id: str, start: int, choices: list[str] | None) -> list[dict]:
    items, gaps = [], _gaps(text)
    for g, (answers, tip) in enumerate(gaps):
        if not answers:
            continue
        counter = iter(range(len(gaps)))
        prompt = BLANK.sub(lambda m: "[[blank]]" if next(counter) == g else "…", text)
        item = {"id": f"{lesson_id}.{start + len(items)}", "kind": "fill",
                "prompt": (intro + "\n\n" if intro else "") + prompt, "hints": [tip] if tip else []}
        if choices:
            options = [answers[0]] + [c for c in choices if c != answers[0]][:19]
            item.update(input="choice", answers=[{"text": t, "weight": 1.0 if i == 0 else 0.0}
                                                 for i, t in enumerate(options)])
        else:
            item["answers"] = [{"text": a, "weight": 1.0} for a in answers[:20]]
        items.append(item)
    return items


def _blanks(params, lesson_id, media) -> list[dict]:
    intro, items = media(params) + _text(params.get("text")), []
    for question in params.get("questions") or []:
        items += _gap_items(_text(question), intro, lesson_id, len(items) + 1, None)
    return items


def _drag_text(params, lesson_id, media) -> list[dict]:
    text = _text(params.get("textField"))
    words = sorted({answers[0] for answers, _ in _gaps(text) if answers})
    return _gap_items(text, _text(params.get("taskDescription")), lesson_id, 1, words) if len(words) >= 2 else []


def _mark_the_words(params, lesson_id, media) -> list[dict]:
    text = _plain(params.get("textField"))
    marked = sorted({m.strip() for m in BLANK.findall(text) if m.strip()})
    others = sorted({w for w in WORD.findall(BLANK.sub(" ", text)) if w not in marked})
    if not marked or len(marked) > 19:
        return []
    distractors = random.Random(lesson_id).sample(others, min(len(others), 20 - len(marked)))
    choices = sorted(marked + distractors, key=lambda w: text.find(w))
    wrong = len(choices) - len(marked)
    answers = [{"text": w, "weight": round(1 / len(marked), 4) if w in marked else round(-1 / max(wrong, 1), 4)}
               for w in choices]
    if len(answers) < 2:
        return []
    prompt = _text(params.get("taskDescription")) + "\n\n" + BLANK.sub(r"\1", text)
    return [{"kind": "multiple", "prompt": prompt, "answers": answers}]


def _question_set(params, lesson_id, media) -> list[dict]:
    items = []
    for n, question in enumerate(params.get("questions") or [], start=1):
        if not isinstance(question, dict):
            continue
        sub = _sub_id(lesson_id, question, n)
        found = items_for(question.get("library"), question.get("params") or {}, sub, media)
        if len(found) == 1:
            found[0]["id"] = sub
        items.extend(found)
    return items


_BUILDERS = {"H5P.MultiChoice": _multichoice, "H5P.SingleChoiceSet": _single_choice_set,
             "H5P.TrueFalse": _true_false, "H5P.Blanks": _blanks, "H5P.DragText": _drag_text,
             "H5P.MarkTheWords": _mark_the_words, "H5P.QuestionSet": _question_set}
