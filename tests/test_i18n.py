"""Languages: every page in the five interface languages, chosen per person, Arabic right to left,
and catalogues that are complete and compiled."""
import re
from datetime import datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from server.i18n import LANGUAGES

REPO = Path(__file__).resolve().parents[1]
TRANSLATIONS = REPO / "server" / "translations"

# A few words each page must show in each language (home, sign-in, practice question).
EXPECTED = {
    "en": ("Library", "Sign in", "Check my answer"),
    "fr": ("Bibliothèque", "Se connecter", "Vérifier ma réponse"),
    "es": ("Biblioteca", "Entrar", "Comprobar mi respuesta"),
    "sw": ("Maktaba", "Ingia", "Angalia jibu langu"),
    "ar": ("المكتبة", "تسجيل الدخول", "تحقّق من إجابتي"),
}


def _set_language(account, code):
    from server.db import database

    with database.connection_context():
        account.profile = {**(account.profile or {}), "language": code}
        account.save()


def _html_tag(html: str) -> str:
    return re.search(r"<html[^>]*>", html).group(0)


@pytest.mark.parametrize("code", LANGUAGES)
def test_each_language_renders_home_sign_in_and_practice(demo_app, browser_for, people, code):
    visitor = browser_for()
    visitor.client.set_cookie("lantern_lang", code)
    library, sign_in, check = EXPECTED[code]
    home = visitor.get("/").get_data(as_text=True)
    assert f"<h1>{library}</h1>" in home and f'lang="{code}"' in _html_tag(home)
    assert f"<h1>{sign_in}</h1>" in visitor.get("/signin").get_data(as_text=True)
    _set_language(people["amina"], code)
    question = browser_for("amina").get("/practice/fractions").get_data(as_text=True)
    skill = re.search(r'href="(/practice/fractions/[^"]+)"', question).group(1)
    page = browser_for("amina").get(skill).get_data(as_text=True)
    assert check in page and f'lang="{code}"' in _html_tag(page)
    assert 'lang="en"' in page.split("<form", 1)[1]  # the question itself keeps its pack's language


def test_profile_language_wins_over_cookie_and_browser(demo_app, browser_for, people):
    _set_language(people["amina"], "sw")
    amina = browser_for("amina")
    amina.client.set_cookie("lantern_lang", "fr")
    html = amina.get("/me", headers={"Accept-Language": "ar, fr;q=0.8"}).get_data(as_text=True)
    assert "<h1>Maendeleo yangu</h1>" in html and 'lang="sw"' in _html_tag(html)


@pytest.mark.parametrize(("cookie", "accept", "school", "expected"), [
    ("es", "fr-FR,fr;q=0.9", "sw", "es"),  # the switcher's cookie beats the school and the browser
    (None, "fr-CA,en;q=0.5", "sw", "sw"),  # the school's language beats the phone's
    (None, "fr-CA,en;q=0.5", "qq", "fr"),  # no usable school language: the browser's best (fr-CA → fr)
    (None, None, "ar", "ar"),
    ("xx", None, "qq", "en"),  # nothing usable: English
])
def test_language_falls_back_cookie_school_browser_english(app, cookie, accept, school, expected):
    from server.db import database
    from server.models import School

    with database.connection_context():
        School.update(language=school).execute()
    client = app.test_client()
    if cookie:
        client.set_cookie("lantern_lang", cookie)
    html = client.get("/signin", headers={"Accept-Language": accept} if accept else {}).get_data(as_text=True)
    assert f'lang="{expected}"' in _html_tag(html)


def test_switcher_is_on_every_page_and_works_without_javascript(demo_app):
    client = demo_app.test_client()
    html = client.get("/search?q=fraction").get_data(as_text=True)
    form = html[html.index('<form method="get" action="/language">'):]
    assert '<input type="hidden" name="next" value="/search?q=fraction">' in form
    for code, name in LANGUAGES.items():
        assert f'<button type="submit" name="lang" value="{code}" lang="{code}"' in form and name in form
    response = client.get("/language?lang=fr&next=/search%3Fq%3Dfraction")
    assert response.status_code == 302 and response.headers["Location"] == "/search?q=fraction"
    assert "lantern_lang=fr" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    assert "<h1>Rechercher</h1>" in client.get("/search").get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x", ""])
def test_switcher_goes_back_only_to_this_site(app, target):
    response = app.test_client().get("/language", query_string={"lang": "ar", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_switcher_ignores_an_unknown_language(app):
    response = app.test_client().get("/language?lang=xx&next=/signin")
    assert response.headers["Location"] == "/signin" and "Set-Cookie" not in response.headers


def test_arabic_pages_are_right_to_left(demo_app, browser_for):
    client = demo_app.test_client()
    client.set_cookie("lantern_lang", "ar")
    html = client.get("/packs/fractions/lessons/what-is-a-fraction").get_data(as_text=True)
    assert _html_tag(html) == '<html lang="ar" dir="rtl">'
    assert '<article lang="en" dir="ltr">' in html  # lesson content is not translated and keeps its language
    assert _html_tag(demo_app.test_client().get("/").get_data(as_text=True)) == '<html lang="en" dir="ltr">'


def test_the_stylesheet_is_direction_agnostic():
    css = (REPO / "static" / "style.css").read_text()
    assert not re.search(r"(margin|padding|border)-(left|right)|[;{](left|right):|text-align:(left|right)", css)


@pytest.mark.parametrize(("code", "words"), [
    ("en", "Friday, November 27, 2026"), ("fr", "vendredi 27 novembre 2026"),
    ("es", "viernes, 27 de noviembre de 2026"), ("sw", "Ijumaa, 27 Novemba 2026"), ("ar", "الجمعة، 27 نوفمبر 2026"),
])
def test_dates_are_written_the_way_each_language_writes_them(app, code, words):
    from flask import render_template_string

    with app.test_request_context("/", headers={"Cookie": f"lantern_lang={code}"}):
        assert render_template_string("{{ day|dateformat('full') }}", day=datetime(2026, 11, 27, 9)) == words


def _key(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _catalogue(code: str):
    with open(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=code)


def test_error_messages_are_in_the_reader_language(demo_app, browser_for, people):
    """A learner reading in French is told why in French; the command line and logs stay in English."""
    from server.db import database
    from server.errors import InvalidInput
    from server.i18n import N_
    from server.models import PackVersion, Skill

    with database.connection_context():
        locked = (Skill.select().join(PackVersion).where(PackVersion.is_active & (PackVersion.pack_id == "fractions"))
                  .order_by(Skill.position.desc()).first())
    _set_language(people["amina"], "fr")
    refused = browser_for("amina").get(f"/practice/fractions/{locked.skill_id}")
    assert refused.status_code == 403 and f"« {locked.title} » est verrouillé." in refused.get_data(as_text=True)
    visitor = demo_app.test_client()
    visitor.set_cookie("lantern_lang", "es")
    missing = visitor.get("/no-such-page")
    assert "Esta página no existe en este servidor." in missing.get_data(as_text=True)
    assert str(InvalidInput(N_("Too many tries. Please wait %(seconds)s seconds and try again."), seconds=5)) == \
        "Too many tries. Please wait 5 seconds and try again."


@pytest.mark.parametrize("code", LANGUAGES)
def test_catalogue_is_complete_with_nothing_fuzzy(code):
    catalogue = _catalogue(code)
    assert not catalogue.fuzzy, f"{code}: the catalogue header is marked fuzzy"
    untranslated = [m.id for m in catalogue if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not untranslated, f"{code}: untranslated {untranslated[:5]}"
    assert not fuzzy, f"{code}: fuzzy {fuzzy[:5]} (review them, then remove the fuzzy flag)"
    broken = [m.id for m in catalogue if m.id and list(m.check(catalogue))]
    assert not broken, f"{code}: placeholders differ from the English in {broken[:5]}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_compiled_catalogue_matches_its_po_file(code):
    catalogue = _catalogue(code)
    with open(TRANSLATIONS / code / "LC_MESSAGES" / "messages.mo", "rb") as mo:
        compiled = read_mo(mo)
    def messages(catalog):
        return {_key(m.id): _key(m.string) for m in catalog if m.id}
    as_po, as_mo = messages(catalogue), messages(compiled)
    assert as_mo == as_po, f"{code}: messages.mo is stale; run `pybabel compile -d server/translations`"


def test_every_string_in_the_code_is_in_the_catalogues():
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = set()
    for folder, method in (("server", "python"), ("templates", "jinja2")):
        for _file, _line, msgid, _comments, _context in extract_from_dir(
                str(REPO / folder), [(f"**.{'py' if method == 'python' else 'html'}", method)], keywords=keywords):
            found.add(msgid[0] if isinstance(msgid, tuple) else msgid)
    listed = {m.id[0] if isinstance(m.id, tuple) else m.id for m in _catalogue("fr") if m.id}
    assert found and found - listed == set(), "new strings: run pybabel extract, update, compile (see README)"


@pytest.mark.parametrize(("code", "attributes"), [
    ("en", 'lang="en" dir="ltr"'), ("ar", 'lang="ar" dir="rtl"'), ("fa-IR", 'lang="fa-IR" dir="rtl"'),
    ("sw", 'lang="sw" dir="ltr"'), ("", 'lang="und" dir="ltr"'), ('x" onmouseover="y', 'lang="und" dir="ltr"'),
])
def test_content_carries_its_own_language_and_direction(code, attributes):
    from server.i18n import lang_attributes

    assert str(lang_attributes(code)) == attributes


def test_names_and_pack_titles_are_isolated_in_the_arabic_interface(demo_app, browser_for, people):
    _set_language(people["amina"], "ar")
    amina = browser_for("amina")
    lesson = amina.get("/packs/fractions/lessons/what-is-a-fraction").get_data(as_text=True)
    assert '<a href="/packs/fractions" lang="en" dir="ltr">Fractions</a>' in lesson
    assert "<bdi>Amina</bdi>" in lesson  # the sign-out button names her, isolated from the Arabic around it
    html = amina.get("/").get_data(as_text=True)
    assert '<strong lang="fr" dir="ltr">' in html or '<strong lang="en" dir="ltr">' in html
