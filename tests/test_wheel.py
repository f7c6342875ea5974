"""Lantern is a real package: a wheel built from the source, installed into a fresh virtual environment with
no network, serves every page of the demo school (templates, static files, bundled packs and translations
all come from the wheel, not from the checkout).

The fresh environment gets the wheel alone (`--no-deps --no-index`); its dependencies come from this
project's environment through a .pth line. That line adds the folder to sys.path without running the
editable install's finder, so `import server` can only find the wheel's copy (checked below)."""
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pytest

from tests.browser.crawl import ACCOUNTS, Visitor, crawl
from tests.conftest import REPO
from tests.test_cli import free_port, wait_healthy

# What a wheel is built from (the sdist carries the same, see MANIFEST.in).
SOURCE = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "server", "sync", "templates", "static",
          "content_packs")


def _build_wheel(tmp: Path) -> Path:
    """Copy the source (not .venv, build/ leftovers or tests) and build its wheel offline."""
    source = tmp / "source"
    for name in SOURCE:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps",
                    "--no-build-isolation", "--no-index", "-w", str(tmp / "dist"), str(source)],
                   check=True, capture_output=True, timeout=300)
    return next((tmp / "dist").glob("lantern-*.whl"))


def _fresh_venv(tmp: Path, wheel: Path) -> Path:
    """A new virtual environment holding the wheel; dependencies through a .pth to this environment."""
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--disable-pip-version-check", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


@pytest.fixture(scope="module")
def wheel_server(tmp_path_factory):
    """`lantern serve --demo` from the fresh environment, on 127.0.0.1 and a free port."""
    tmp = tmp_path_factory.mktemp("wheel")
    venv = _fresh_venv(tmp, _build_wheel(tmp))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp), "LANG": "C.UTF-8"}  # no PYTHONPATH, no checkout
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import server; print(server.shipped('templates'))"],
                           check=True, capture_output=True, text=True, env=env, cwd=tmp).stdout.strip()
    port = free_port()
    process = subprocess.Popen([str(venv / "bin" / "lantern"), "serve", "--demo", "--data", str(tmp / "data"),
                                "--host", "127.0.0.1", "--port", str(port)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp)
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_healthy(base, process, seconds=90)["status"] == "ok"
        yield {"base": base, "templates": Path(where), "venv": venv}
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_the_wheel_carries_its_own_templates(wheel_server):
    templates = wheel_server["templates"]
    assert templates.is_relative_to(wheel_server["venv"]) and (templates / "base.html").is_file()


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_every_page_is_served_from_the_wheel(wheel_server, role):
    pages = crawl(wheel_server["base"], role)
    # As in the checkout (tests/browser/test_page_budgets.py): a learner meets a few 403 pages (practice not
    # open to them yet), and only the crawl's seed address is missing.
    broken = [(page.url, page.status) for page in pages
              if page.status not in (200, 403, 404) or page.status == 404 and page.url != "/no-such-page"]
    assert broken == []
    served = [page for page in pages if page.status == 200 and page.is_html]
    assert len(served) > 5 and all(page.html.rstrip().endswith("</html>") for page in served)


def test_static_files_bundled_packs_and_translations_come_with_it(wheel_server):
    base = wheel_server["base"]
    with urllib.request.urlopen(base + "/static/style.css", timeout=10) as response:
        assert response.status == 200 and b"{" in response.read()
    home = Visitor(base, "anonymous").fetch("/").html
    assert "Fractions" in home and "Demo school" in home
    french = urllib.request.Request(base + "/signin", headers={"Cookie": "lantern_lang=fr"})  # the switcher's choice
    with urllib.request.urlopen(french, timeout=10) as response:
        assert "Se connecter" in response.read().decode()
