"""Learners' PINs: how long a class's PINs are, which PINs are too easy to guess, and making new ones.

Decisions:
* Learners' names are public per class (they tap their name on a shared phone), so a PIN is the only secret.
  A PIN anyone would try first is refused when an admin sets it (one by one, by spreadsheet or a reset):
  the most common 4-digit PINs in leaked-PIN studies, one digit repeated, runs up or down (1234, 9876,
  123456) and pairs repeated (1212, 2580 is in the list). Guessing is also throttled per account, per
  address and per class (server/people/auth.py); the blocklist is what keeps a spray of the 20 most common
  PINs from opening anything (tests/test_signin_spray.py counts it).
* A class can require longer PINs (6 or 8 digits): 100 or 10,000 times more to guess, still typed on a phone.
* The demo school's PINs (1234 …) are made by the demo itself, not through these rules.
"""
import secrets

from server.errors import InvalidInput
from server.i18n import N_

PIN_LENGTHS = (4, 6, 8)
COMMON_PINS = frozenset("""
1234 1111 0000 1212 7777 1004 2000 4444 2222 6969 9999 3333 5555 6666 1122 1313 8888 4321 2001 1010
2580 1230 0852 1998 1999 2468 1357 0123 1225 0101 1020 2021 2020 2019 5683 0007 1969 1500 4545 7410
0420 1123 3690 0987 5252 9876 1597 7531 0909 2323 3131 1414 1818 2121 9090 6789 1590 2525 0070 1984
123456 654321 111111 000000 121212 112233 123123 696969 666666 999999 123321 159753 147258 789456
12345678 11111111 00000000 87654321 12341234 11223344 12121212
""".split())


def is_easy(pin: str) -> bool:
    """True for a PIN a guesser would try early (a listed one, one digit repeated, a run, a repeated pair)."""
    if pin in COMMON_PINS or len(set(pin)) == 1:
        return True
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:])}
    return steps in ({1}, {9}) or (len(pin) % 2 == 0 and pin == pin[:2] * (len(pin) // 2))


def check_pin(pin: str, length: int = 4, field: str = "password") -> str:
    """The PIN if a class with PINs of `length` digits may use it; InvalidInput naming `field` otherwise."""
    pin = (pin or "").strip()
    if not (pin.isdigit() and pin.isascii() and length <= len(pin) <= 12):
        raise InvalidInput(N_("A PIN has %(length)s to 12 digits in this class."), field=field, length=length)
    if is_easy(pin):
        raise InvalidInput(N_("That PIN is one of the first a guesser would try. Choose a less obvious one."),
                           field=field)
    return pin


def make_pin(length: int = 4) -> str:
    """A random PIN of `length` digits that is not an easy one."""
    while True:
        pin = "".join(str(secrets.randbelow(10)) for _ in range(length))
        if not is_easy(pin):
            return pin
