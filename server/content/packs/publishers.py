"""Trusted pack publishers: the keys whose signatures make a pack "signed by NAME (trusted)".

The admin adds and removes keys (the Publishers page, `lantern pack trust`); a school paired with a hub also
trusts the keys the hub sends with its pack catalogue (the hub's own key, which signs what it offers, and the
keys its operator trusts). Hub keys are replaced as a set at each pull, so a key the hub stops trusting stops
being trusted here; the admin's own keys are never touched by the hub.
"""
from dataclasses import dataclass

from server.db import database
from server.errors import InvalidInput, PackError
from server.i18n import N_
from server.models.content import TrustedPublisher
from server.content.packs.signing import Signature, check_signature, key_id


@dataclass(frozen=True)
class Provenance:
    """What a pack's signature says, for pages: `state` is unsigned | trusted | untrusted."""

    state: str
    name: str | None = None  # the trusted publisher's name (from this server, not from the pack)
    key_id: str | None = None


def trust_key(public_key: str, name: str, source: str = "admin") -> TrustedPublisher:
    """Trust a publisher's public key under a name; InvalidInput for a malformed key or name."""
    public_key, name = (public_key or "").strip(), " ".join((name or "").split())[:100]
    if not name:
        raise InvalidInput(N_("Give the publisher a name."), field="name")
    try:
        fingerprint = key_id(public_key)
    except PackError:
        raise InvalidInput(N_("A publisher key is 44 characters of base64, as `lantern pack keygen` prints it."),
                           field="public_key") from None
    with database.atomic():
        TrustedPublisher.delete().where(TrustedPublisher.public_key == public_key).execute()
        return TrustedPublisher.create(public_key=public_key, key_id=fingerprint, name=name, source=source)


def distrust_key(fingerprint: str) -> int:
    """Stop trusting a key (by its id); return how many keys were removed."""
    return TrustedPublisher.delete().where(TrustedPublisher.key_id == (fingerprint or "")[:16]).execute()


def trusted_keys() -> list[TrustedPublisher]:
    """Every trusted key, by name."""
    return list(TrustedPublisher.select().order_by(TrustedPublisher.name, TrustedPublisher.key_id))


def replace_hub_keys(entries: list[dict]) -> int:
    """Make the hub's list the set of hub-sourced keys (malformed entries are skipped); return the count."""
    good = []
    for entry in entries[:100] if isinstance(entries, list) else []:
        try:
            name = str(entry["name"]).strip()[:100]
            good.append((entry["public_key"], key_id(entry["public_key"]), name or "hub"))
        except (KeyError, TypeError, PackError, AttributeError):
            continue
    with database.atomic():
        TrustedPublisher.delete().where(TrustedPublisher.source == "hub").execute()
        admin_keys = {k.public_key for k in TrustedPublisher.select(TrustedPublisher.public_key)}
        for public_key, fingerprint, name in good:
            if public_key not in admin_keys:
                TrustedPublisher.create(public_key=public_key, key_id=fingerprint, name=name, source="hub")
                admin_keys.add(public_key)
    return len(good)


def provenance(signature: Signature | None) -> Provenance:
    """Whether a checked signature comes from a trusted publisher."""
    if signature is None:
        return Provenance("unsigned")
    row = TrustedPublisher.get_or_none(TrustedPublisher.public_key == signature.public_key)
    if row is None:
        return Provenance("untrusted", None, signature.key_id)
    return Provenance("trusted", row.name, signature.key_id)


def without_trust_store(signature: Signature | None) -> Provenance:
    """Provenance when no database is open (`lantern pack verify` without --data): valid, trust unknown."""
    return Provenance("unsigned") if signature is None else Provenance("untrusted", None, signature.key_id)


def manifest_provenance(raw: dict, trust=provenance) -> Provenance:
    """Check a manifest's signature and say who signed it; PackError when the signature is invalid."""
    return trust(check_signature(raw))
