"""Only sanitizer output is ever marked safe: an option that sanitizes to nothing stops the import, and every
`|safe` in templates/ and `Markup(` in server/ is one of the places docs/security.md lists with its reason."""
import re
import shutil

import pytest

from server import REPO_ROOT
from server.content.packs.build import build_pack
from server.content.packs.install import import_pack
from server.errors import PackError
from server.models import PackVersion

HOSTILE_OPTIONS = ['<meta http-equiv="refresh" content="0;url=//evil.example">', "<textarea name=answer>",
                   '<button formaction="//evil.example">', "<base href=//evil.example/>", "<svg onload=alert(1)>"]
SAFE_SECTION = re.compile(r"^### Values marked safe\n(.*?)(?=^#)", re.S | re.M)


def _pack_with_option(tmp_path, option: str):
    src = shutil.copytree(REPO_ROOT / "content_packs" / "fractions-en", tmp_path / "src")
    practice = src / "practice" / "parts-of-a-whole.yaml"
    text = practice.read_text()
    assert '{text: "Loaf A", weight: 1.0, feedback: null}' in text
    practice.write_text(text.replace('{text: "Loaf A", weight: 1.0, feedback: null}',
                                     "{text: %s, weight: 1.0, feedback: null}" % _yaml_string(option)))
    return build_pack(src, tmp_path / "hostile.lantern").path


def _yaml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.mark.parametrize("option", HOSTILE_OPTIONS)
def test_an_option_that_sanitizes_to_nothing_is_an_import_error_naming_the_item(library, tmp_path, option):
    pack = _pack_with_option(tmp_path, option)
    with pytest.raises(PackError, match="pw-equal-loaves.*answer 1"):
        import_pack(pack, library, progress=lambda _: None)
    assert PackVersion.select().count() == 0


def test_an_option_keeps_only_its_sanitized_html(library, tmp_path):
    from server.models import Item

    pack = _pack_with_option(tmp_path, 'Loaf A <meta http-equiv="refresh" content="0;url=//evil.example">'
                                       "<textarea>x</textarea>")
    import_pack(pack, library, progress=lambda _: None)
    answer = Item.get(Item.item_id == "pw-equal-loaves").data["answers"][0]
    assert answer["text_html"].strip() == "Loaf A"


def _documented() -> set[str]:
    section = SAFE_SECTION.search((REPO_ROOT / "docs" / "security.md").read_text()).group(1)
    return {row.split("|")[1].strip().strip("`") for row in section.splitlines() if row.startswith("| `")}


def _safe_in_templates() -> set[str]:
    found = set()
    for path in sorted((REPO_ROOT / "templates").rglob("*.html")):
        for expression in re.findall(r"\{\{\s*([^{}]*?)\s*\|\s*safe\s*\}\}", path.read_text()):
            found.add(f"{path.relative_to(REPO_ROOT)}: {expression}")
    return found


def _markup_in_server() -> set[str]:
    found = set()
    for path in sorted((REPO_ROOT / "server").rglob("*.py")):
        for line in path.read_text().splitlines():
            if "Markup(" in line and not line.lstrip().startswith(("#", "def ", "class ")):
                found.add(f"{path.relative_to(REPO_ROOT)}: {line.strip()[:60]}")
    return found


def test_every_value_marked_safe_is_listed_with_its_reason_in_the_security_doc():
    in_code = _safe_in_templates() | _markup_in_server()
    documented = _documented()
    assert in_code - documented == set(), "marked safe but not audited in docs/security.md"
    assert documented - in_code == set(), "listed in docs/security.md but no longer in the code"
    assert not any("or " in entry.split(": ", 1)[1] for entry in in_code if entry.startswith("templates/")), \
        "a fallback (`x or y`) could mark unsanitized text safe"


def test_no_other_way_to_mark_text_safe_is_used():
    pattern = re.compile(r"\|\s*safe\b(?!\s*\}\})|autoescape\s+false|\bMarkup\.unescape|\|\s*safe\s*\(")
    offenders = [str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "templates").rglob("*.html")
                 if pattern.search(p.read_text())]
    assert offenders == []
