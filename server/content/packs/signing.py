"""Ed25519 publisher signatures on packs: keys, the exact bytes signed, signing and checking.

What is signed (docs/pack-format.md, "Signatures"): the bytes `lantern-pack-signature-v1\\n` followed by
the manifest without its `signature` key, written as canonical JSON (keys sorted, no spaces, UTF-8,
non-ASCII as is). The manifest lists every file's size and SHA-256, so the signature covers every byte of
the pack; the importer checks the files against the manifest after it checked the signature.

Decisions:
* Trust comes from the public key, never from a name in the pack: the `signature` object is not itself
  signed, so the name shown ("signed by NAME") is the one the admin gave the key (server/content/packs/
  publishers.py), and a valid signature by a key nobody trusts is shown as such and imported like an
  unsigned pack (it proves nothing about who made it).
* A signature that does not verify, or a malformed one, refuses the pack: someone changed it after it was
  signed, and "unsigned" would be the wrong thing to show.
* The private key file is PKCS#8 PEM, mode 600, unencrypted: a publisher keeps it off the school server.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

from server.errors import PackError
from server.content.packs.manifest import MANIFEST_NAME, load_manifest

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ALGORITHM = "ed25519"
DOMAIN = b"lantern-pack-signature-v1\n"
INVALID = ("the pack's signature does not match its contents: it was changed after it was signed, "
           "so it was refused")


@dataclass(frozen=True)
class Signature:
    """A signature that verified: the signer's public key (base64 of the 32 raw bytes) and its id."""

    public_key: str
    key_id: str


def canonical_bytes(raw: dict) -> bytes:
    """The bytes a signature covers: the domain line, then the manifest without `signature`, canonical."""
    body = {k: v for k, v in raw.items() if k != "signature"}
    return DOMAIN + json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                               allow_nan=False).encode("utf-8")


def key_id(public_key: str) -> str:
    """A short fingerprint of a public key: the first 16 hex digits of the SHA-256 of its raw bytes."""
    return hashlib.sha256(_raw_public(public_key)).hexdigest()[:16]


def _crypto():
    """cryptography's key serialization, Ed25519 and InvalidSignature, imported on first use: they cost a web
    worker 9 MB, and only signing and checking a pack need them."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    return serialization, ed25519, InvalidSignature


def generate_key(path: Path) -> str:
    """Write a new private key to `path` (mode 600, refusing to overwrite); return its public key."""
    path = Path(path)
    serialization, ed25519, _ = _crypto()
    private = ed25519.Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return public_key_of(private)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read a private key file `generate_key` wrote; PackError if it is not one."""
    serialization, ed25519, _ = _crypto()
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as err:
        raise PackError(f"this is not a publisher key file ({err})", str(path)) from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise PackError("this key is not an Ed25519 key", str(path))
    return key


def public_key_of(private: Ed25519PrivateKey) -> str:
    """The base64 text of a private key's public half (what an admin pastes to trust it)."""
    serialization = _crypto()[0]
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def sign_manifest(raw: dict, private: Ed25519PrivateKey) -> dict:
    """The manifest with a fresh `signature` object over its canonical bytes."""
    value = private.sign(canonical_bytes(raw))
    return {**raw, "signature": {"algorithm": ALGORITHM, "public_key": public_key_of(private),
                                 "value": base64.b64encode(value).decode("ascii")}}


def check_signature(raw: dict) -> Signature | None:
    """None for an unsigned manifest; the signer's key when the signature verifies; PackError otherwise."""
    signature = raw.get("signature")
    if signature is None:
        return None
    if (not isinstance(signature, dict) or signature.get("algorithm") != ALGORITHM
            or not isinstance(signature.get("public_key"), str) or not isinstance(signature.get("value"), str)):
        raise PackError(INVALID, MANIFEST_NAME)
    _, ed25519, InvalidSignature = _crypto()
    try:
        public = ed25519.Ed25519PublicKey.from_public_bytes(_raw_public(signature["public_key"]))
        public.verify(base64.b64decode(signature["value"], validate=True), canonical_bytes(raw))
    except (InvalidSignature, ValueError, binascii.Error, PackError):
        raise PackError(INVALID, MANIFEST_NAME) from None
    return Signature(signature["public_key"], key_id(signature["public_key"]))


def _raw_public(public_key: str) -> bytes:
    try:
        raw = base64.b64decode(public_key.strip(), validate=True)
    except (binascii.Error, ValueError, AttributeError):
        raw = b""
    if len(raw) != 32:
        raise PackError("a publisher key is 44 characters of base64 (32 bytes)")
    return raw


def sign_pack_file(pack: Path, private: Ed25519PrivateKey, out: Path | None = None) -> Path:
    """Sign a pack archive: rewrite its manifest.json with a signature (in place unless `out`)."""
    pack = Path(pack)
    if not zipfile.is_zipfile(pack):
        raise PackError("sign a pack archive (`lantern pack build` makes one), not a folder", str(pack))
    target = Path(out) if out else pack
    with zipfile.ZipFile(pack) as old:
        raw = json.loads(old.read(MANIFEST_NAME).decode("utf-8"))
        signed = sign_manifest(raw, private)
        load_manifest(json.dumps(signed).encode())  # still a valid manifest
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".sign-")
        with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w") as new:
            for info in old.infolist():
                if info.filename == MANIFEST_NAME:
                    new.writestr(info, json.dumps(signed, ensure_ascii=False, indent=1).encode("utf-8"))
                else:
                    with old.open(info) as src, new.open(info, "w") as dst:
                        shutil.copyfileobj(src, dst, 1024 * 1024)
    os.replace(tmp, target)
    return target
