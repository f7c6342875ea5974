"""Signed packs (issue 18, item 12): keys, what is signed, trust, the pages, the hub signing what it offers."""
import json
import shutil
import zipfile

import pytest
from click.testing import CliRunner

from server.cli.commands import main
from server.db import database
from server.errors import PackError
from server.models import PackVersion
from server.content.packs.install import import_pack
from server.content.packs.publishers import trust_key, trusted_keys
from server.content.packs.signing import (INVALID, canonical_bytes, generate_key, load_private_key,
                                          public_key_of, sign_pack_file)
from server.content.packs.verify import verify_pack
from tests.packtools import manifest_of, rewrite_pack


@pytest.fixture
def key(tmp_path):
    """A publisher key pair: (private key, public key text)."""
    public = generate_key(tmp_path / "district.key")
    return load_private_key(tmp_path / "district.key"), public


@pytest.fixture
def signed(tmp_path, built_packs, key):
    """The fractions pack, signed by the district's key."""
    return sign_pack_file(built_packs["fractions-en"], key[0], tmp_path / "fractions-signed.lantern")


def test_the_signature_covers_the_canonical_manifest_without_its_signature(signed, key):
    manifest = manifest_of(signed)
    assert manifest["signature"]["algorithm"] == "ed25519" and manifest["signature"]["public_key"] == key[1]
    body = canonical_bytes(manifest)
    assert body.startswith(b"lantern-pack-signature-v1\n{") and b'"signature"' not in body
    assert body == canonical_bytes({**manifest, "signature": None})  # the field itself is never covered
    assert b'"sha256"' in body  # every file's checksum is under the signature


def test_a_trusted_signed_pack_imports_as_signed_by_its_publisher(library, signed, key):
    assert verify_pack(signed).provenance.state == "untrusted"  # valid, but nobody trusts the key yet
    trust_key(key[1], "Mwanza District")
    opened = verify_pack(signed)
    assert opened.provenance.state == "trusted" and opened.signed_by == "Mwanza District"
    import_pack(signed, library)
    assert PackVersion.get(PackVersion.pack_id == "fractions", PackVersion.is_active).signed_by == "Mwanza District"


@pytest.mark.parametrize("change", ["manifest", "file-and-checksum", "other-key"])
def test_a_tampered_signed_pack_is_refused_with_one_sentence(library, tmp_path, signed, key, change):
    trust_key(key[1], "Mwanza District")
    name = next(f["path"] for f in manifest_of(signed)["files"] if f["path"].endswith(".md"))
    if change == "manifest":
        bad = rewrite_pack(signed, tmp_path / "bad.lantern", edit_manifest=lambda m: m.update(title="Free prizes"))
    elif change == "file-and-checksum":
        data = b"# Changed\n\nSomething else.\n"
        import hashlib

        def fix(m):
            entry = next(f for f in m["files"] if f["path"] == name)
            entry.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
        bad = rewrite_pack(signed, tmp_path / "bad.lantern", replace={name: data}, edit_manifest=fix)
    else:  # someone re-signs the changed pack with their own key, but keeps the district's public key
        other = generate_key(tmp_path / "other.key")
        bad = rewrite_pack(signed, tmp_path / "bad.lantern", edit_manifest=lambda m: m.update(title="X"))
        resigned = sign_pack_file(bad, load_private_key(tmp_path / "other.key"), tmp_path / "resigned.lantern")
        assert manifest_of(resigned)["signature"]["public_key"] == other
        bad = rewrite_pack(resigned, tmp_path / "bad2.lantern",
                           edit_manifest=lambda m: m["signature"].update(public_key=key[1]))
    with pytest.raises(PackError) as caught:
        import_pack(bad, library)
    assert caught.value.reason == INVALID and caught.value.reason.count(". ") == 0  # one sentence
    assert not PackVersion.select().where(PackVersion.pack_id == "fractions").exists()


def test_a_changed_file_in_a_signed_pack_is_refused(library, tmp_path, signed):
    name = next(f["path"] for f in manifest_of(signed)["files"] if f["path"].endswith(".md"))
    bad = rewrite_pack(signed, tmp_path / "bad.lantern", replace={name: b"# changed"})
    with pytest.raises(PackError, match="manifest says"):
        import_pack(bad, library)


def test_malformed_signatures_are_refused_not_shown_as_unsigned(library, tmp_path, built_packs):
    for signature in ({"algorithm": "rsa"}, {"algorithm": "ed25519", "public_key": "AAAA", "value": "AAAA"}, []):
        bad = rewrite_pack(built_packs["fractions-en"], tmp_path / "bad.lantern",
                           edit_manifest=lambda m: m.update(signature=signature))
        with pytest.raises(PackError):
            verify_pack(bad)


@pytest.fixture
def signed_stick(tmp_path, built_packs, demo_app, key):
    """A stick with a trusted signed pack, an unsigned one, a validly signed untrusted one and a tampered one."""
    drive = tmp_path / "media" / "usb0"
    drive.mkdir(parents=True)
    bump = lambda version: (lambda m: m.update(version=version))  # noqa: E731
    rewrite_pack(built_packs["fractions-en"], drive / "plain.lantern", edit_manifest=bump("3.0.0"))
    sign_pack_file(rewrite_pack(built_packs["fractions-en"], tmp_path / "v2.lantern", edit_manifest=bump("2.0.0")),
                   key[0], drive / "district.lantern")
    generate_key(tmp_path / "stranger.key")
    sign_pack_file(rewrite_pack(built_packs["sante-fr"], tmp_path / "s.lantern", edit_manifest=bump("9.0.0")),
                   load_private_key(tmp_path / "stranger.key"), drive / "stranger.lantern")
    rewrite_pack(drive / "district.lantern", drive / "tampered.lantern", edit_manifest=bump("2.0.1"))
    demo_app.config["USB_ROOTS"] = [str(tmp_path / "media")]
    with database.connection_context():
        trust_key(key[1], "Mwanza District")
    return drive


def test_the_usb_page_says_who_signed_each_pack_and_refuses_a_tampered_one(signed_stick, browser_for):
    admin = browser_for("admin")
    html = admin.get("/admin/usb").get_data(as_text=True)
    assert "signed by Mwanza District (trusted)" in html
    assert "unsigned" in html
    assert "signature invalid (refused)" in html
    assert "does not trust" in html
    cards = html.split("<li>")
    tampered = next(c for c in cards if "signature invalid" in c)  # the page shows no file names (issue 19)
    assert "/admin/usb/import" not in tampered  # no Import button


def test_the_admin_trusts_and_removes_keys_on_the_publishers_page(demo_app, browser_for, key):
    admin = browser_for("admin")
    assert "Trusted publishers" in admin.get("/admin").get_data(as_text=True)
    bad = admin.post("/admin/publishers", data={"name": "X", "public_key": "not a key"})
    assert bad.status_code == 400 and "44 characters" in bad.get_data(as_text=True)
    assert admin.post("/admin/publishers", data={"name": "Mwanza District", "public_key": key[1]}).status_code == 303
    page = admin.get("/admin/publishers").get_data(as_text=True)
    with database.connection_context():
        [row] = trusted_keys()
    assert "Mwanza District" in page and row.key_id in page
    assert admin.post(f"/admin/publishers/{row.key_id}/remove", data={}).status_code == 303
    with database.connection_context():
        assert trusted_keys() == []
    assert "publisher" in admin.get("/admin/audit").get_data(as_text=True)


def test_the_command_line_makes_keys_signs_verifies_and_trusts(tmp_path, built_packs):
    runner = CliRunner()
    made = runner.invoke(main, ["pack", "keygen", "--out", str(tmp_path / "k.key")])
    assert made.exit_code == 0, made.output
    public = made.output.splitlines()[1]
    assert runner.invoke(main, ["pack", "keygen", "--out", str(tmp_path / "k.key")]).exit_code != 0  # never overwrites
    pack = shutil.copy(built_packs["fractions-en"], tmp_path / "f.lantern")
    signed = runner.invoke(main, ["pack", "sign", str(pack), "--key", str(tmp_path / "k.key")])
    assert signed.exit_code == 0, signed.output
    data = str(tmp_path / "data")
    assert runner.invoke(main, ["pack", "trust", "add", public, "--name", "Our District", "--data", data]).exit_code == 0
    checked = runner.invoke(main, ["pack", "verify", str(pack), "--data", data])
    assert "signed by Our District (trusted)" in checked.output, checked.output
    with zipfile.ZipFile(pack) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    manifest["title"] = "Changed"
    rewrite_pack(pack, tmp_path / "t.lantern", edit_manifest=lambda m: m.update(title="Changed"))
    refused = runner.invoke(main, ["pack", "verify", str(tmp_path / "t.lantern")])
    assert refused.exit_code != 0 and "signature does not match" in refused.output


def test_the_hub_signs_what_it_offers_and_schools_trust_its_key(tmp_path, built_packs, library):
    from sync.packs import offer_pack, offered_file, publisher_keys
    from server.content.packs.publishers import replace_hub_keys

    hub_data = tmp_path / "hub"
    hub_data.mkdir()
    row = offer_pack(built_packs["fractions-en"], hub_data)
    assert row.signed_by == "district hub"
    offered = offered_file(row.sha256, hub_data)
    assert manifest_of(offered)["signature"]["public_key"] == publisher_keys(hub_data)[0]["public_key"]
    assert verify_pack(offered).provenance.state == "untrusted"
    replace_hub_keys(publisher_keys(hub_data))  # what the school does with the catalogue's "publishers"
    assert verify_pack(offered).signed_by == "district hub"
    replace_hub_keys([])  # the hub stopped trusting it: so does the school
    assert verify_pack(offered).provenance.state == "untrusted"
    assert (hub_data / "publisher.key").stat().st_mode & 0o777 == 0o600
