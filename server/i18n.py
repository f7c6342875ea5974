"""Languages: which one each page is in, the translation catalogues, and localized dates and numbers.

The only module that imports Flask-Babel. Templates call `_()` / `ngettext()` and the `dateformat`,
`datetimeformat` and `numberformat` filters; views and domain modules stay in plain English.
A page's language is, in order: the signed-in account's profile language, the `lantern_lang` cookie
the switcher sets, the browser's Accept-Language (best of the five), the school's language, English.
Pack content keeps its own `lang`: only the interface around it is translated.
"""
from contextlib import contextmanager

from flask import current_app, g, has_request_context, request
from flask_babel import Babel, get_locale

# Each language's name in itself, in the order the switcher shows them.
LANGUAGES = {"en": "English", "fr": "Français", "es": "Español", "sw": "Kiswahili", "ar": "العربية"}
RIGHT_TO_LEFT = {"ar"}
COOKIE = "lantern_lang"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie


def N_(text: str) -> str:
    """Mark a string for the catalogue without translating it here (it is translated where shown)."""
    return text


# Words that reach templates as data (`_(role)`, `_(interest)`, profile choices), so extraction sees them.
DATA_WORDS = (
    N_("learner"), N_("coach"), N_("admin"), N_("operator"),
    N_("mathematics"), N_("health"), N_("science"), N_("reading"), N_("computing"), N_("farming"),
    N_("music"), N_("School default"), N_("Normal"), N_("Large"), N_("Larger"),
    N_("You mastered the step before."), N_("A good place to start."),
)


def translate(message: str) -> str:
    """A sentence in the current page's language, or as it is outside a request (CLI, sync, logs)."""
    if not has_request_context():
        return message
    from flask_babel import gettext

    return gettext(message)


def localized(err) -> str:
    """A Lantern error's sentence in the current page's language (its `template` translated, then filled in).

    Falls back to the English sentence when a translation's placeholders do not fit its parameters."""
    text = translate(err.template)
    if not err.params:
        return text
    try:
        return text % err.params
    except (KeyError, TypeError, ValueError):
        return err.message


def ngettext(singular: str, plural: str, num: int, **params) -> str:
    """Flask-Babel's `ngettext` in the current page's language (English outside a request)."""
    if has_request_context():
        from flask_babel import ngettext as babel_ngettext

        return babel_ngettext(singular, plural, num, **params)
    return (singular if num == 1 else plural) % {"num": num, **params}


def _translations():
    """This request's catalogue, remembered for the locale in force (`language()` below changes it)."""
    from flask_babel import get_locale, get_translations

    babel = g.get("_flask_babel")
    locale = getattr(babel, "babel_locale", None)
    known = g.get("_lantern_translations")
    if known is not None and locale is not None and known[0] is locale:
        return known[1]
    translations = get_translations()
    g._lantern_translations = (get_locale(), translations)
    return translations


@contextmanager
def language(code: str):
    """Make part of a page in another language (a parent report in the family's language)."""
    from flask_babel import force_locale

    with force_locale(code if code in LANGUAGES else "en"):
        yield code if code in LANGUAGES else "en"


def init_app(app) -> None:
    """Install Flask-Babel with Lantern's locale choice and the template variables for `<html>`."""
    Babel(app, locale_selector=select_locale)
    # Templates translate ~20 strings a page; Flask-Babel finds the catalogue anew for each (a fifth of a lesson
    # page's time). The same catalogue, looked up once per request and per forced language.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n), newstyle=True)
    app.add_template_filter(localized, "localized")

    @app.context_processor
    def _language():
        code = str(get_locale() or "en")
        return {"page_lang": code, "page_dir": "rtl" if code in RIGHT_TO_LEFT else "ltr",
                "interface_languages": LANGUAGES}


def select_locale() -> str:
    """The language of this request's pages (see the module docstring for the order)."""
    account = g.get("account")
    chosen = (account.profile or {}).get("language") if account is not None else None
    if chosen in LANGUAGES:
        return chosen
    if request.cookies.get(COOKIE) in LANGUAGES:
        return request.cookies[COOKIE]
    # The browser's languages by preference, by their main part ("fr-CA" is French): Werkzeug's
    # best_match would pick an exact "en;q=0.5" over "fr-CA".
    for tag, _quality in request.accept_languages:
        code = tag.replace("_", "-").split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return _school_language()


def _school_language() -> str:
    """The school's language; read once per app once the school exists (setup names it, nothing changes it)."""
    from server.models import School  # models need a bound database; this runs only inside a request

    known = current_app.extensions.get("lantern_school_language")
    if known:
        return known
    school = School.select().where(~School.deleted).first()
    language = (school.language or "").split("-")[0] if school else ""
    language = language if language in LANGUAGES else "en"
    if school is not None:
        current_app.extensions["lantern_school_language"] = language
    return language
