"""Accounts, sign-in, sessions, throttling and CSRF.

Passwords are hashed with Argon2id at OWASP's minimum (19 MiB, 2 passes); learners' PINs with a cheap
Argon2id (2 MiB, 1 pass), because a hash cannot protect 10,000 values: whoever copies the database tries
them all in minutes at any cost a Pi can afford, so a PIN is protected by the throttling below, and a slow hash
would only make a class of 40 wait at sign-in (docs/security.md has the figures). Verification reads the
cost from the stored hash, so older hashes still work. The session cookie holds a random token; the server
keeps only its SHA-256, so sessions can be listed and ended server-side. Sign-in failures are
throttled per account and per client; the message never says which part was wrong.
"""
import hashlib
import hmac
import secrets
import threading
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.db import QueryShape, database, rows_to_model
from server.errors import InvalidInput, TooManyAttempts
from server.i18n import N_
from server.models import Account, Session, SignInThrottle
from server.models.base import utcnow

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
PIN_HASHER = PasswordHasher(time_cost=1, memory_cost=2 * 1024, parallelism=1)
# Each check takes 19 MiB; when a whole class signs in at once, two at a time keeps a 1 GB Pi's
# memory flat (the others wait a few hundred milliseconds).
_KDF_SLOTS = threading.BoundedSemaphore(2)
# Real hashes (a PIN's, a password's) to verify against when the account does not exist, so timing reveals
# nothing: a secret shaped like a PIN is checked at a PIN's cost, anything else at a password's.
_DUMMY_HASHES: dict[bool, str] = {}
SESSION_HOURS = {"learner": 4, "coach": 12, "admin": 12, "operator": 12}
ACCOUNT_FREE_FAILURES = 5
CLIENT_FREE_FAILURES = 30
WRONG = N_("That name and password (or PIN) do not match. Please try again.")


def hash_secret(secret: str, is_pin: bool = False) -> str:
    """Argon2id hash of a password, or of a learner's PIN (`is_pin`, a cheaper hash: see the docstring)."""
    with _KDF_SLOTS:
        return (PIN_HASHER if is_pin else HASHER).hash(secret)


def looks_like_pin(secret: str) -> bool:
    """True for what a learner types as a PIN: 4 to 12 ASCII digits."""
    return secret.isascii() and secret.isdigit() and 4 <= len(secret) <= 12


def _verify(stored: str | None, secret: str) -> bool:
    if stored is None:
        is_pin = looks_like_pin(secret)
        if is_pin not in _DUMMY_HASHES:
            _DUMMY_HASHES[is_pin] = (PIN_HASHER if is_pin else HASHER).hash("not-a-real-secret")
        stored, secret = _DUMMY_HASHES[is_pin], secret + "\0"
    with _KDF_SLOTS:
        try:
            return HASHER.verify(stored, secret)
        except (VerificationError, InvalidHashError):
            return False


def sign_in(username: str, secret: str, client: str) -> Account:
    """The account whose username and password/PIN match, or InvalidInput / TooManyAttempts."""
    username = (username or "").strip().lower()[:64]
    secret = (secret or "")[:256]
    keys = [f"account:{username}", f"client:{client}"]
    _check_throttle(keys)
    account = Account.get_or_none((Account.username == username) & ~Account.deleted)
    if not _verify(account.password_hash if account else None, secret) or not username:
        _record_failure(keys)
        raise InvalidInput(WRONG, field="password")
    SignInThrottle.delete().where(SignInThrottle.key == keys[0]).execute()
    return account


def _check_throttle(keys: list[str]) -> None:
    now = utcnow()
    for row in SignInThrottle.select().where(SignInThrottle.key.in_(keys)):
        if row.locked_until and row.locked_until > now:
            seconds = int((row.locked_until - now).total_seconds()) + 1
            raise TooManyAttempts(N_("Too many tries. Please wait %(seconds)s seconds and try again."), seconds=seconds)


def _record_failure(keys: list[str]) -> None:
    now = utcnow()
    with database.atomic():
        for key in keys:
            row, _ = SignInThrottle.get_or_create(key=key)
            row.failures += 1
            free = ACCOUNT_FREE_FAILURES if key.startswith("account:") else CLIENT_FREE_FAILURES
            if row.failures >= free:
                # 15 s after the fifth miss, doubling, at most 15 minutes.
                row.locked_until = now + timedelta(seconds=min(900, 15 * 2 ** (row.failures - free)))
            row.updated_at = now
            row.save()


def start_session(account: Account) -> str:
    """Create a server-side session; return the token for the cookie."""
    token = secrets.token_urlsafe(32)
    Session.create(id=_digest(token), account=account,
                   expires_at=utcnow() + timedelta(hours=SESSION_HOURS.get(account.role, 4)))
    return token


# The sign-in check on every request: one indexed query (the session's primary key), SQL built once.
_ACCOUNT_FIELDS = Account._meta.sorted_fields
_ACCOUNT_OF_SESSION = QueryShape(lambda digest, now: (
    Account.select(*_ACCOUNT_FIELDS).join(Session, on=(Session.account == Account.id))
    .where((Session.id == digest) & ~Session.revoked & (Session.expires_at > now) & ~Account.deleted)
    .limit(1)))


def account_for_token(token: str | None) -> Account | None:
    """The signed-in account for a cookie token, if the session is alive."""
    if not token or len(token) > 100:
        return None
    cursor = _ACCOUNT_OF_SESSION.execute(_digest(token), Session.expires_at.db_value(utcnow()))
    accounts = rows_to_model(Account, cursor, _ACCOUNT_FIELDS)
    return accounts[0] if accounts else None


def end_session(token: str | None) -> None:
    """Revoke the session behind a token (sign out)."""
    if token:
        Session.update(revoked=True).where(Session.id == _digest(token)).execute()


def end_all_sessions(account_id: str) -> int:
    """Revoke every session of an account; return how many."""
    return Session.update(revoked=True).where((Session.account == account_id) & ~Session.revoked).execute()


def csrf_token(secret_key: str, binding: str) -> str:
    """The CSRF token for a session (or anonymous) binding value."""
    return hmac.new(secret_key.encode(), f"csrf:{binding}".encode(), hashlib.sha256).hexdigest()[:32]


def csrf_valid(secret_key: str, binding: str, token: str | None) -> bool:
    """True when a submitted CSRF token matches the binding."""
    return bool(token) and hmac.compare_digest(csrf_token(secret_key, binding), token)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
