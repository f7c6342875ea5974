"""Running it with no IT staff: first-run setup, USB sticks, import progress, status, poster."""
import re
import shutil
import time

import pytest

from server.db import database
from server.models import Account, PackVersion, School
from tests.packtools import rewrite_pack


def test_a_fresh_server_sends_everyone_to_setup_then_to_the_admin_pages(fresh_app):
    client = fresh_app.test_client()
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/setup")
    assert client.get("/healthz").status_code == 200  # health checks work before setup
    page = client.get("/setup").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = {"csrf": csrf, "school_name": "Shule ya Msingi Tumaini", "language": "sw", "display_name": "Mama Rehema",
            "username": "rehema", "password": "safe-password-1", "password2": "safe-password-1"}
    mismatch = client.post("/setup", data={**form, "password2": "other-password"})
    assert mismatch.status_code == 400 and "not the same" in mismatch.get_data(as_text=True)
    done = client.post("/setup", data=form)
    assert done.status_code == 303 and done.headers["Location"].endswith("/admin")  # the first-run checklist
    # The school's language (Kiswahili) is now the interface language of anyone without a choice of their own.
    assert "Vifurushi vya masomo kwenye USB" in client.get("/admin/usb").get_data(as_text=True)
    with database.connection_context():
        assert School.get().name == "Shule ya Msingi Tumaini" and School.get().language == "sw"
        assert Account.get(Account.username == "rehema").role == "admin"
    stranger = fresh_app.test_client()
    token = re.search(r'name="csrf" value="([^"]+)"', stranger.get("/signin").get_data(as_text=True)).group(1)
    again = stranger.post("/setup", data={**form, "csrf": token, "username": "intruder"})
    assert again.status_code == 400 and "already set up" in again.get_data(as_text=True)


@pytest.fixture
def stick(tmp_path, built_packs, demo_app):
    """A fake mount root holding packs as a coordinator's stick would."""
    root = tmp_path / "media"
    drive = root / "usb0" / "lantern"
    drive.mkdir(parents=True)
    shutil.copy(built_packs["sante-fr"], drive / "sante.lantern")
    rewrite_pack(built_packs["fractions-en"], drive / "fractions-2.lantern",
                 edit_manifest=lambda m: m.update(version="2.0.0"))
    (drive / "broken.lantern").write_bytes(b"not a zip at all")
    demo_app.config["USB_ROOTS"] = [str(root)]
    return drive


def test_usb_page_lists_packs_with_status_and_imports_with_progress(demo_app, browser_for, stick):
    admin = browser_for("admin")
    html = admin.get("/admin/usb").get_data(as_text=True)
    assert "Already installed" in html  # sante-fr is in the demo already
    assert "Newer than the installed version" in html and "2.0.0" in html
    assert "Cannot be used" in html and "unsigned" in html
    response = admin.post("/admin/usb/import", data={"path": str(stick / "fractions-2.lantern")})
    assert response.status_code == 303
    job_url = response.headers["Location"]
    for _ in range(100):
        page = admin.get(job_url)
        if "Refresh" not in page.headers:
            break
        time.sleep(0.1)
    text = page.get_data(as_text=True)
    assert "is ready:" in text and "Fractions 2.0.0" in text
    with database.connection_context():
        assert PackVersion.get(PackVersion.is_active & (PackVersion.pack_id == "fractions")).version == "2.0.0"


def test_a_path_outside_the_usb_roots_is_refused(demo_app, browser_for, stick, built_packs):
    admin = browser_for("admin")
    response = admin.post("/admin/usb/import", data={"path": str(built_packs["fractions-en"])})
    assert response.status_code == 400 and "no longer on the USB stick" in response.get_data(as_text=True)
    response = admin.post("/admin/usb/import", data={"path": str(stick / ".." / ".." / ".." / "etc")})
    assert response.status_code == 400


def test_a_failed_import_says_nothing_changed(demo_app, browser_for, stick):
    admin = browser_for("admin")
    job_url = admin.post("/admin/usb/import", data={"path": str(stick / "broken.lantern")}).headers["Location"]
    for _ in range(100):
        page = admin.get(job_url)
        if "Refresh" not in page.headers:
            break
        time.sleep(0.1)
    assert "Nothing was changed." in page.get_data(as_text=True)


def test_status_page_reports_disk_memory_and_warnings(demo_app, browser_for):
    html = browser_for("admin").get("/admin/status").get_data(as_text=True)
    assert "Free storage" in html and "GB" in html and "Packs installed" in html
    assert "No backup has been made" in html


def test_poster_has_the_address_and_a_qr_code(demo_app, browser_for):
    html = browser_for("teacher").get("/admin/poster").get_data(as_text=True)
    address = re.search(r'class="address">(http://[^<]+)<', html).group(1)
    assert address.startswith("http://") and "<svg" in html and f"QR code for {address}" in html


def test_status_page_says_how_sync_stands(demo_app, browser_for, people):
    from server.learning.progress import record_event

    with database.connection_context():
        record_event(people["amina"].id, "lesson_opened", {"pack_id": "fractions", "lesson_id": "x"})
    html = browser_for("admin").get("/admin/status").get_data(as_text=True)
    assert "not paired with a district hub" in html
    assert re.search(r"Waiting to be sent</dt><dd>1<", html)


def test_status_gives_the_phone_address_with_its_port_and_warnings_in_the_readers_language(demo_app, browser_for,
                                                                                          people):
    admin = browser_for("admin")
    html = admin.get("/admin/status", base_url="http://localhost:8123").get_data(as_text=True)
    address = re.search(r'<dd translate="no">(http://[^<]+)</dd>', html).group(1)
    assert address.endswith(":8123/")
    admin.get("/language?lang=fr&next=/admin/status")
    french = admin.get("/admin/status").get_data(as_text=True)
    assert "Aucune sauvegarde n’a encore été faite sur cet appareil." in french


def test_the_usb_page_names_languages_and_shows_no_paths_or_commands(demo_app, browser_for):
    html = browser_for("admin").get("/admin/usb").get_data(as_text=True)
    assert "/media" not in html and "lantern sync" not in html and "--code" not in html
