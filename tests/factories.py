"""Building right and wrong answers for any item, for tests that drive the practice pages."""
import re

from server.content.quiz.grading import choices_for_display


def correct_response(item: dict) -> dict:
    """Form fields that answer an item right."""
    kind, answers = item["kind"], item.get("answers", [])
    if kind == "single" or (kind == "fill" and item.get("input") == "choice"):
        return {"answer": str(max(range(len(answers)), key=lambda i: answers[i]["weight"]))}
    if kind == "multiple":
        return {"answer": [str(i) for i, a in enumerate(answers) if a["weight"] > 0]}
    if kind == "truefalse":
        return {"answer": "true" if next(a["value"] for a in answers if a["weight"] > 0) else "false"}
    if kind == "numeric":
        best = next(a for a in answers if a.get("weight", 0) >= 0.999 and "any" not in a)
        return {"answer": str(best["value"] if "value" in best else best["min"])}
    if kind in ("short", "fill"):
        best = next(a for a in answers if a["weight"] >= 0.999)
        return {"answer": best["text"].replace("*", "x")}
    if kind == "matching":
        options = choices_for_display(item)
        asked = [p for p in item["pairs"] if p["left"]]
        return {f"match-{k}": str(options.index(p["right"])) for k, p in enumerate(asked)}
    raise ValueError(kind)


def wrong_response(item: dict) -> dict:
    """Form fields that answer an item wrong."""
    kind, answers = item["kind"], item.get("answers", [])
    if kind == "single" or (kind == "fill" and item.get("input") == "choice"):
        return {"answer": str(next(i for i, a in enumerate(answers) if a["weight"] <= 0))}
    if kind == "multiple":
        return {"answer": [str(i) for i, a in enumerate(answers) if a["weight"] <= 0][:1] or ["99"]}
    if kind == "truefalse":
        return {"answer": "false" if correct_response(item)["answer"] == "true" else "true"}
    if kind == "numeric":
        return {"answer": "-987654"}
    if kind == "matching":
        return {f"match-{k}": "99" for k, p in enumerate(p for p in item["pairs"] if p["left"])}
    return {"answer": "qqqq-not-an-answer"}


def form_fields(html: str) -> dict:
    """The hidden item and attempt fields of a question page."""
    return {name: re.search(rf'name="{name}" value="([^"]+)"', html).group(1) for name in ("item", "attempt")}
