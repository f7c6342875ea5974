"""Sign-in symbols: a picture the admin gives a learner, so two learners with one name look different
on a shared phone's class list.

Decisions: the symbol is kept in the account's existing `profile` JSON (key "symbol"), not a new column,
so no migration is needed and it travels with the roster like the rest of the profile. The symbols are
plain Unicode shapes that every phone's system font has (no emoji, no images to download); each has a
name that screen readers say. A learner without a symbol whose name is shared in the class is told apart
by their username, which is what they would type on the plain form anyway.
"""
from dataclasses import dataclass

from server.i18n import N_

# code -> (the character, its name as said aloud; translated where shown)
SYMBOLS = {
    "star": ("★", N_("star")), "circle": ("●", N_("circle")), "triangle": ("▲", N_("triangle")),
    "square": ("■", N_("square")), "diamond": ("◆", N_("diamond")), "heart": ("♥", N_("heart")),
    "sun": ("☀", N_("sun")), "umbrella": ("☂", N_("umbrella")), "note": ("♪", N_("music note")),
    "flower": ("✿", N_("flower")),
}


@dataclass(frozen=True)
class Symbol:
    code: str
    char: str
    name: str  # English; templates translate it


@dataclass(frozen=True)
class SignInTile:
    """One learner on the class list or PIN page: the name, and what tells them apart."""
    username: str
    display_name: str
    symbol: Symbol | None
    tell_apart: str | None  # the username, shown only when the name is shared and there is no symbol


def symbol_of(profile: dict | None) -> Symbol | None:
    """The learner's sign-in symbol, if the admin gave one."""
    code = (profile or {}).get("symbol")
    if code not in SYMBOLS:
        return None
    char, name = SYMBOLS[code]
    return Symbol(code, char, name)


def signin_tiles(learners) -> list[SignInTile]:
    """Tiles for a class's learners (objects with username, display_name, profile), names shared told apart."""
    counts: dict[str, int] = {}
    for learner in learners:
        key = learner.display_name.strip().casefold()
        counts[key] = counts.get(key, 0) + 1
    tiles = []
    for learner in learners:
        symbol = symbol_of(learner.profile)
        shared = counts[learner.display_name.strip().casefold()] > 1
        tiles.append(SignInTile(learner.username, learner.display_name, symbol,
                                learner.username if shared and symbol is None else None))
    return tiles

