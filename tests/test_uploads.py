"""Uploads are untrusted: size, type by content, re-encoding without EXIF/GPS, pixel bombs, audio,
quota, who may fetch the file, and erasure — on a real SQLite file with real image files."""
import io
import struct
import wave
import zlib

import pytest
from PIL import Image

from server.db import database
from server.models import Outbox
from server.models.projects import HandIn, Project

GPS_IFD = 0x8825


def jpeg_with_gps(size=(3000, 2000), orientation: int | None = None) -> bytes:
    """A real JPEG photo carrying GPS coordinates (and optionally an orientation tag)."""
    img = Image.new("RGB", size, (200, 180, 120))
    for x in range(0, size[0], 50):  # some detail, so it is a plausible photo
        img.paste((20, 40, 200), (x, 0, x + 10, size[1]))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    if orientation:
        exif[0x0112] = orientation
    exif.get_ifd(GPS_IFD).update({1: "S", 2: (6.0, 48.0, 12.5), 3: "E", 4: (39.0, 17.0, 3.2)})
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def png_bomb(width=60000, height=60000) -> bytes:
    """A tiny PNG whose header declares billions of pixels."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    """A real WAV recording of silence."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(rate)
        wav.writeframes(b"\x80" * int(seconds * rate))
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n" * 20


@pytest.fixture
def project(demo_app, people):
    """A project offered to Class 5, where amina and juma learn."""
    with database.connection_context():
        return Project.create(id="0190a0a0-0000-7000-8000-000000000001", classroom_id=people["amina"].classroom_id,
                              title="Measure the school garden", description="Measure and draw it.",
                              criteria=["Measured carefully", "Clear drawing"], created_by=people["teacher"].id)


def blob_files(app) -> set:
    return {p.name for p in (app.config["DATA_DIR"] / "blobs").glob("*/*")}


def post_multipart(browser, url: str, data: dict):
    """Post a multipart form like a phone does, closing the test client's spooled body afterwards."""
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path=url, method="POST", data={"csrf": browser.csrf, **data})
    environ = builder.get_environ()
    try:
        return browser.client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def hand_in(browser, project_id, **files):
    from server.ids import uuid7

    data = {"attempt": uuid7(), "text": files.pop("text", "")}
    for field, (payload, name) in files.items():
        data[field] = (io.BytesIO(payload), name)
    return post_multipart(browser, f"/projects/{project_id}/hand-in", data)


def handins_of(learner) -> list:
    with database.connection_context():
        return list(HandIn.select().where(HandIn.learner_id == learner.id))


# --- photos ----------------------------------------------------------------------------------

def test_a_photo_is_upright_resized_reencoded_and_loses_its_exif_and_gps():
    from server.coaching.uploads import MAX_IMAGE_SIDE, clean_photo

    original = jpeg_with_gps((3000, 2000), orientation=6)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the test photo has a location
    cleaned = clean_photo(original)
    img = Image.open(io.BytesIO(cleaned.data))
    assert (img.format, cleaned.media_type) == ("JPEG", "image/jpeg")
    assert img.size == (853, MAX_IMAGE_SIDE)  # turned upright (orientation 6), then shrunk for phones
    assert len(img.getexif()) == 0 and "exif" not in img.info and "icc_profile" not in img.info
    assert b"PhoneMaker" not in cleaned.data and b"Exif" not in cleaned.data
    assert cleaned.size < len(original)


def test_a_png_drawing_with_transparency_becomes_a_white_backed_jpeg():
    from server.coaching.uploads import clean_photo

    img = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    img.paste((10, 10, 10, 255), (50, 50, 150, 150))
    out = io.BytesIO()
    img.save(out, "PNG")
    cleaned = Image.open(io.BytesIO(clean_photo(out.getvalue()).data))
    assert cleaned.format == "JPEG" and cleaned.size == (400, 300)
    assert cleaned.getpixel((5, 5))[0] > 240 and cleaned.getpixel((100, 100))[0] < 40


def test_a_handed_in_photo_is_stored_clean_and_only_its_people_can_fetch_it(demo_app, browser_for, people, project):
    amina = browser_for("amina")
    before = blob_files(demo_app)
    response = hand_in(amina, project.id, text="My garden map", photo=(jpeg_with_gps(), "IMG_0001.jpg"))
    assert response.status_code == 303
    [work] = handins_of(people["amina"])
    assert work.upload_type == "image/jpeg" and work.version == 1 and work.text == "My garden map"
    assert blob_files(demo_app) - before == {work.upload_sha256}
    stored = (demo_app.config["DATA_DIR"] / "blobs" / work.upload_sha256[:2] / work.upload_sha256).read_bytes()
    assert len(stored) == work.upload_size and b"Exif" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif().get_ifd(GPS_IFD)
    assert max(Image.open(io.BytesIO(stored)).size) <= 1280
    # Not on the public media route, whoever asks.
    assert browser_for(None).get(f"/media/{work.upload_sha256}/x.jpg").status_code == 404
    assert amina.get(f"/media/{work.upload_sha256}/x.jpg").status_code == 404
    # The access-checked route: the learner, their coach and the admin; not another learner.
    for username, status in (("amina", 200), ("teacher", 200), ("admin", 200), ("juma", 404)):
        got = browser_for(username).get(f"/work/{work.id}/file")
        body = got.get_data()
        got.close()
        assert got.status_code == status, username
        if status == 200:
            assert body == stored and got.mimetype == "image/jpeg"
            assert "sandbox" in got.headers["Content-Security-Policy"]
    assert browser_for(None).get(f"/work/{work.id}/file").status_code == 302  # sign in first
    page = amina.get(f"/projects/{project.id}").get_data(as_text=True)
    assert f'src="/work/{work.id}/file"' in page


def test_the_hand_in_event_carries_the_hash_and_size_for_sync(demo_app, browser_for, people, project):
    from server.models import Event
    from sync.protocol import check_events, event_to_wire

    hand_in(browser_for("amina"), project.id, photo=(jpeg_with_gps((800, 600)), "p.jpg"))
    [work] = handins_of(people["amina"])
    with database.connection_context():
        event = Event.get_by_id(work.id)
        assert Outbox.select().where(Outbox.event_id == event.id).exists()
        assert event.payload["upload"] == {"sha256": work.upload_sha256, "type": "image/jpeg",
                                           "size": work.upload_size}
        assert check_events([event_to_wire(event)])[0]["kind"] == "handed_in"


@pytest.mark.parametrize("payload, name, field", [
    (PDF, "homework.jpg", "photo"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "cat.jpg", "photo"),
    (png_bomb(), "bomb.png", "photo"),
    (PDF, "voice.ogg", "audio"),
])
def test_files_that_are_not_what_they_claim_are_refused_and_nothing_is_stored(
        demo_app, browser_for, people, project, payload, name, field):
    before = blob_files(demo_app)
    response = hand_in(browser_for("amina"), project.id, text="see the file", **{field: (payload, name)})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "not a photo we can read" in html or "far too large in pixels" in html or "not a recording" in html
    assert handins_of(people["amina"]) == [] and blob_files(demo_app) == before


def test_a_pixel_bomb_is_refused_before_it_is_decoded():
    from server.errors import InvalidInput
    from server.coaching.uploads import clean_photo

    with pytest.raises(InvalidInput, match="too large in pixels"):
        clean_photo(png_bomb())


def test_a_50_mb_photo_gets_a_clear_413_and_nothing_is_stored(demo_app, browser_for, people, project):
    before = blob_files(demo_app)
    response = hand_in(browser_for("amina"), project.id, photo=(b"\xff\xd8\xff" + b"\0" * (50 * 1024**2), "big.jpg"))
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert handins_of(people["amina"]) == [] and blob_files(demo_app) == before


def test_a_file_over_8_mb_but_under_the_request_limit_is_refused_too(demo_app, browser_for, people, project):
    before = blob_files(demo_app)
    response = hand_in(browser_for("amina"), project.id, photo=(b"\xff\xd8\xff" + b"\1" * (9 * 1024**2), "b.jpg"))
    assert response.status_code == 413
    assert "at most 8 MB" in response.get_data(as_text=True)
    assert handins_of(people["amina"]) == [] and blob_files(demo_app) == before


# --- audio -----------------------------------------------------------------------------------

@pytest.mark.parametrize("head, media_type", [
    (b"OggS\0\2" + b"\0" * 10, "audio/ogg"), (b"\x1a\x45\xdf\xa3" + b"\0" * 12, "audio/webm"),
    (b"\0\0\0\x20ftypM4A " + b"\0" * 4, "audio/mp4"), (b"ID3\4\0" + b"\0" * 11, "audio/mpeg"),
    (b"\xff\xfb\x90\x00" + b"\0" * 12, "audio/mpeg"), (b"RIFF\0\0\0\0WAVEfmt ", "audio/wav"),
    (b"%PDF-1.4" + b"\0" * 8, None), (b"\x89PNG\r\n\x1a\n" + b"\0" * 8, None),
])
def test_recordings_are_typed_by_their_magic_bytes(head, media_type):
    from server.coaching.uploads import audio_type

    assert audio_type(head) == media_type


def test_a_short_recording_is_kept_and_a_long_one_refused(demo_app, browser_for, people, project):
    amina = browser_for("amina")
    assert hand_in(amina, project.id, audio=(wav_bytes(2), "rec.wav")).status_code == 303
    [work] = handins_of(people["amina"])
    assert work.upload_type == "audio/wav"
    page = amina.get(f"/projects/{project.id}").get_data(as_text=True)
    assert f'<audio controls preload="none" src="/work/{work.id}/file">' in page
    response = hand_in(amina, project.id, audio=(wav_bytes(200), "long.wav"))
    assert response.status_code == 400 and "at most 3 minutes" in response.get_data(as_text=True)
    assert len(handins_of(people["amina"])) == 1


def test_compressed_audio_is_capped_by_size():
    from server.errors import InvalidInput
    from server.coaching.uploads import MAX_AUDIO_BYTES, check_audio

    assert check_audio(b"OggS" + b"\0" * 1000).media_type == "audio/ogg"
    with pytest.raises(InvalidInput, match="at most 3 minutes"):
        check_audio(b"OggS" + b"\0" * MAX_AUDIO_BYTES)


# --- quota, erasure, export ------------------------------------------------------------------

def test_a_full_quota_gets_a_clear_message_and_stores_nothing(demo_app, browser_for, people, project):
    amina = browser_for("amina")
    assert hand_in(amina, project.id, photo=(jpeg_with_gps((640, 480)), "a.jpg")).status_code == 303
    [first] = handins_of(people["amina"])
    demo_app.config["UPLOAD_QUOTA_BYTES"] = first.upload_size + 100
    before = blob_files(demo_app)
    response = hand_in(amina, project.id, photo=(jpeg_with_gps((700, 500)), "b.jpg"))
    assert response.status_code == 507
    assert "Your space for photos and recordings is full" in response.get_data(as_text=True)
    assert len(handins_of(people["amina"])) == 1 and blob_files(demo_app) == before
    # Text still goes through.
    assert hand_in(amina, project.id, text="Here is my work in words").status_code == 303


def test_erasure_removes_hand_ins_and_their_files_and_export_includes_them(demo_app, browser_for, people, project):
    amina = browser_for("amina")
    hand_in(amina, project.id, text="My map", photo=(jpeg_with_gps((640, 480)), "a.jpg"))
    [work] = handins_of(people["amina"])
    exported = amina.get("/me/export.json").get_json()
    assert exported["hand_ins"][0]["text"] == "My map"
    assert exported["hand_ins"][0]["upload"]["sha256"] == work.upload_sha256
    path = demo_app.config["DATA_DIR"] / "blobs" / work.upload_sha256[:2] / work.upload_sha256
    assert path.is_file()
    assert browser_for("admin").post(f"/admin/learners/{people['amina'].id}/erase").status_code == 303
    assert handins_of(people["amina"]) == [] and not path.exists()


def test_erasure_keeps_a_file_another_learner_also_handed_in(demo_app, browser_for, people, project):
    photo = jpeg_with_gps((640, 480))
    hand_in(browser_for("amina"), project.id, photo=(photo, "a.jpg"))
    hand_in(browser_for("juma"), project.id, photo=(photo, "same.jpg"))
    [work] = handins_of(people["juma"])
    browser_for("admin").post(f"/admin/learners/{people['amina'].id}/erase")
    path = demo_app.config["DATA_DIR"] / "blobs" / work.upload_sha256[:2] / work.upload_sha256
    got = browser_for("juma").get(f"/work/{work.id}/file")
    got.close()
    assert path.is_file() and got.status_code == 200


def test_backups_include_uploaded_work(demo_app, browser_for, people, project, tmp_path):
    from server.device.backup import _referenced_blobs

    hand_in(browser_for("amina"), project.id, photo=(jpeg_with_gps((640, 480)), "a.jpg"))
    [work] = handins_of(people["amina"])
    assert work.upload_sha256 in _referenced_blobs(demo_app.config["DATA_DIR"] / "lantern.db")


# --- one step: file, quota and event together; orphans swept; erasure proved by listing the store --------

def hand_in_as(browser, project_id, attempt, photo: bytes):
    return post_multipart(browser, f"/projects/{project_id}/hand-in",
                          {"attempt": attempt, "text": "", "photo": (io.BytesIO(photo), "p.jpg")})


def stored_sizes(app, names) -> int:
    return sum((app.config["DATA_DIR"] / "blobs" / n[:2] / n).stat().st_size for n in names)


def test_a_repeated_attempt_returns_its_hand_in_and_stores_no_second_file(demo_app, browser_for, people, project):
    from server.ids import uuid7
    from server.models import Event

    amina, attempt, before = browser_for("amina"), uuid7(), blob_files(demo_app)
    for n in range(4):  # a phone re-posting the same form, each time with another photo
        assert hand_in_as(amina, project.id, attempt, jpeg_with_gps((640 + 40 * n, 480))).status_code == 303
    [work] = handins_of(people["amina"])
    assert work.id == attempt and blob_files(demo_app) - before == {work.upload_sha256}
    with database.connection_context():
        assert Event.select().where(Event.id == attempt).count() == 1


def test_the_quota_counts_the_bytes_actually_stored(demo_app, browser_for, people, project):
    from server.coaching.handins import used_bytes
    from server.ids import uuid7

    amina, before = browser_for("amina"), blob_files(demo_app)
    photo = jpeg_with_gps((640, 480))
    for attempt in (uuid7(), uuid7()):
        hand_in_as(amina, project.id, attempt, photo)  # the same photo twice: stored once
        hand_in_as(amina, project.id, attempt, jpeg_with_gps((900, 700)))  # a re-post: nothing stored
    hand_in_as(amina, project.id, uuid7(), jpeg_with_gps((700, 500)))
    added = blob_files(demo_app) - before
    with database.connection_context():
        assert used_bytes(people["amina"].id) == stored_sizes(demo_app, added) and len(added) == 2
    demo_app.config["UPLOAD_QUOTA_BYTES"] = stored_sizes(demo_app, added)  # full: the same photo adds nothing
    assert hand_in_as(amina, project.id, uuid7(), photo).status_code == 303
    assert hand_in_as(amina, project.id, uuid7(), jpeg_with_gps((500, 400))).status_code == 507
    assert blob_files(demo_app) - before == added


def test_a_hand_in_whose_event_fails_leaves_no_file(demo_app, browser_for, people, project, monkeypatch):
    from server.coaching import handins

    def broken(*args, **kwargs):
        raise RuntimeError("disk I/O error")  # what SQLite says when the card fails mid-write

    monkeypatch.setattr(handins, "record_event", broken)
    before = blob_files(demo_app)
    response = hand_in(browser_for("amina"), project.id, photo=(jpeg_with_gps((640, 480)), "a.jpg"))
    assert response.status_code == 500
    assert blob_files(demo_app) == before and handins_of(people["amina"]) == []


def _orphan(app, data: bytes, age_seconds: float) -> str:
    import hashlib
    import os
    import time

    digest = hashlib.sha256(data).hexdigest()
    path = app.config["DATA_DIR"] / "blobs" / digest[:2] / digest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (time.time() - age_seconds, time.time() - age_seconds))
    return digest


def test_orphan_files_are_swept_at_start_and_fresh_ones_kept(demo_app, browser_for, people, project):
    from server.device.maintenance import prepare_data

    hand_in(browser_for("amina"), project.id, photo=(jpeg_with_gps((640, 480)), "a.jpg"))
    kept = blob_files(demo_app)
    old = _orphan(demo_app, b"cut off by a power cut", 7 * 3600)
    young = _orphan(demo_app, b"an upload still in progress", 60)
    prepare_data(demo_app.config)
    assert blob_files(demo_app) == kept | {young} and old not in blob_files(demo_app)


def test_the_daily_sweep_removes_orphans_and_survives_a_failure(demo_app, monkeypatch):
    import time

    from server.coaching import uploads
    from server.device import maintenance

    calls = []

    def flaky(data_dir, *args):
        calls.append(data_dir)
        if len(calls) == 1:
            raise OSError("card busy")
        return uploads.sweep_orphans(data_dir, *args)

    monkeypatch.setattr(maintenance, "sweep_orphans", flaky)
    old = _orphan(demo_app, b"left by an interrupted hand-in", 7 * 3600)
    sweep = maintenance.DailySweep(demo_app.config["DATA_DIR"], every=0.05)
    sweep.start()
    try:
        deadline = time.monotonic() + 10
        while old in blob_files(demo_app) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sweep.stop()
        sweep.join(5)
    assert old not in blob_files(demo_app) and len(calls) >= 2


def test_erasure_deletes_every_file_of_the_learner(demo_app, browser_for, people, project):
    from server.ids import uuid7

    amina, before = browser_for("amina"), blob_files(demo_app)
    for n in range(3):
        attempt = uuid7()
        for k in range(2):  # each form posted twice, with a different photo the second time
            hand_in_as(amina, project.id, attempt, jpeg_with_gps((600 + 50 * n, 400 + 30 * k)))
    hand_in(amina, project.id, audio=(wav_bytes(2), "r.wav"))
    assert len(blob_files(demo_app) - before) == 4
    assert browser_for("admin").post(f"/admin/learners/{people['amina'].id}/erase").status_code == 303
    assert blob_files(demo_app) == before
