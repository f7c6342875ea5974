"""Does a pack's text look like the language it declares? A warning, never a refusal.

Decisions: a cheap guess that runs on a Pi, no model. First the writing system (letters counted by
Unicode script): Japanese, Chinese, Korean, Cyrillic, Arabic, Greek, Devanagari, Thai or Latin.
For Latin text, the most common short words of a few languages the schools use vote. The build
warns only when the guess is clear (most letters in another script, or another language's words
twice as common), so mixed lessons (English code in a Spanish lesson) stay quiet.
"""
import re
import unicodedata

SCRIPTS = {"CJK": ("zh", "ja"), "HIRAGANA": ("ja",), "KATAKANA": ("ja",), "HANGUL": ("ko",),
           "CYRILLIC": ("ru", "uk", "bg", "sr", "mk", "be", "kk", "ky", "mn", "tg"), "ARABIC": ("ar", "fa", "ur", "ps"),
           "GREEK": ("el",), "DEVANAGARI": ("hi", "mr", "ne"), "THAI": ("th",), "HEBREW": ("he", "yi")}
NAMES = {"CJK": "Chinese or Japanese", "HIRAGANA": "Japanese", "KATAKANA": "Japanese", "HANGUL": "Korean",
         "CYRILLIC": "Cyrillic (Ukrainian, Russian, …)", "ARABIC": "Arabic-script", "GREEK": "Greek",
         "DEVANAGARI": "Devanagari", "THAI": "Thai", "HEBREW": "Hebrew", "LATIN": "Latin-script"}
WORDS = {
    "en": "the and of to is in that it you for are with this on be",
    "es": "el la de que y en los las por para una con es del se",
    "fr": "le la les de des et est un une que pour dans avec sur du",
    "pt": "o a os as de que e do da em para com uma não é",
    "de": "der die das und ist nicht mit ein eine zu den von für auf",
    "sw": "na ya wa kwa ni katika za la cha hii kuwa au kama ili",
    "it": "il la di che e per un una con non sono del della gli le",
}
WORD = re.compile(r"[^\W\d_]+")


def language_warning(declared: str, text: str) -> str | None:
    """A warning when `text` clearly is not in the `declared` language, else None."""
    primary = declared.split("-")[0].lower()
    script, share = _main_script(text)
    if script is None:
        return None
    if script != "LATIN":
        if share > 0.5 and primary not in SCRIPTS.get(script, ()) and not (script == "CJK" and primary == "ko"):
            return (f"the pack says its language is '{declared}', but most of its text is {NAMES[script]}; "
                    "give the right one with --language (or lang: in config.yaml)")
        return None
    if primary in {lang for langs in SCRIPTS.values() for lang in langs} and share > 0.9:
        return f"the pack says its language is '{declared}', but its text is in the Latin alphabet; check --language"
    votes = _word_votes(text)
    best = max(votes, key=votes.get) if votes else None
    if best and best != primary and votes[best] >= 20 and votes[best] > 2 * votes.get(primary, 0):
        return (f"the pack says its language is '{declared}', but its text reads like '{best}'; "
                "give the right one with --language (or lang: in config.yaml)")
    return None


def _main_script(text: str) -> tuple[str | None, float]:
    counts: dict[str, int] = {}
    for char in text[:200_000]:
        if char.isalpha():
            name = unicodedata.name(char, "")
            script = next((s for s in SCRIPTS if name.startswith(s)), "LATIN" if "LATIN" in name else None)
            if script:
                counts[script] = counts.get(script, 0) + 1
    total = sum(counts.values())
    if total < 200:
        return None, 0.0
    if counts.get("HIRAGANA", 0) + counts.get("KATAKANA", 0) > 0.05 * total:
        counts["HIRAGANA"] = counts.get("HIRAGANA", 0) + counts.pop("CJK", 0) + counts.pop("KATAKANA", 0)
    script = max(counts, key=counts.get)
    return script, counts[script] / total


def _word_votes(text: str) -> dict[str, int]:
    words = [w.lower() for w in WORD.findall(text[:200_000])]
    return {lang: sum(1 for w in words if w in set(common.split())) for lang, common in WORDS.items()}
