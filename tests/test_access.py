"""Every route × every role: who gets in. Generated from the app's URL map, so a new route
without an entry here fails."""
import pytest

from server.web.access import policy_of

# endpoint -> the roles allowed (as declared); anything not listed fails the completeness test.
EXPECTED = {
    "static": {"public"}, "language.choose": {"public"},
    "learn.home": {"public"}, "learn.pack": {"public"}, "learn.lesson": {"public"},
    "learn.transcript": {"public"}, "learn.search": {"public"},
    "take_home.page": {"learner", "coach", "admin"}, "take_home.download": {"learner", "coach", "admin"},
    "take_home.page": {"learner", "coach", "admin"}, "take_home.download": {"learner", "coach", "admin"},
    "media.blob": {"public"}, "apps.app_file": {"public"}, "media.healthz": {"public"}, "offline.service_worker": {"public"},
    "account.signin": {"public"}, "account.signin_post": {"public"}, "account.signin_class": {"public"},
    "account.signout": {"public"}, "account.signed_out_mark": {"public"},
    "account.profile": {"learner"}, "account.profile_post": {"learner"},
    "practice.question": {"learner"}, "practice.answer": {"learner"}, "practice.result": {"learner"},
    "practice.skills": {"learner"},
    "progress.me": {"learner"}, "progress.what_next": {"learner"}, "progress.finish_lesson": {"learner"},
    "progress.reflect": {"learner"}, "progress.reflect_post": {"learner"},
    "operate.setup_form": {"public"}, "operate.setup_post": {"public"},
    "operate.usb_packs": {"admin"}, "operate.usb_import": {"admin"},
    "operate.usb_backup": {"admin"}, "operate.usb_bundle": {"admin"}, "operate.job": {"admin"},
    "operate.status": {"admin"}, "operate.poster": {"admin", "coach"},
    "privacy.my_export": {"learner"}, "privacy.export_json": {"admin"}, "privacy.export_csv": {"admin"},
    "privacy.erase_form": {"admin"}, "privacy.erase": {"admin"}, "privacy.erased": {"admin"},
    "coach.home": {"coach", "admin"}, "coach.overview": {"coach", "admin"}, "coach.grid": {"coach", "admin"},
    "coach.class_report": {"coach", "admin"}, "coach.items": {"coach", "admin"},
    "coach.learner": {"coach", "admin"}, "coach.parent_report": {"coach", "admin"},
    "coach.parent_reports": {"coach", "admin"}, "coach.assign_form": {"coach", "admin"},
    "coach.assign_post": {"coach", "admin"}, "coach.group_post": {"coach", "admin"},
    "coach.remove_assignment": {"coach", "admin"}, "coach.grid_csv": {"coach", "admin"},
    "coach.answers_csv": {"coach", "admin"}, "coach.groups_page": {"coach", "admin"},
    "coach.group_edit": {"coach", "admin"}, "coach.group_delete": {"coach", "admin"}, "admin.teaching": {"admin"},
    "admin.packs": {"admin"}, "admin.pack": {"admin"},
    "discussion.lesson_questions": {"learner", "coach"}, "discussion.ask": {"learner"},
    "discussion.answer": {"learner", "coach"},
    "discussion.delete": {"learner"}, "discussion.report": {"learner"},
    "discussion.class_questions": {"coach", "admin"}, "discussion.moderate": {"coach", "admin"},
    "buddies.pair": {"coach", "admin"}, "buddies.end": {"coach", "admin"},
    "projects.index": {"learner"}, "projects.propose": {"learner"}, "projects.project": {"learner"},
    "projects.plan_post": {"learner"}, "projects.hand_in": {"learner"}, "projects.my_portfolio": {"learner"},
    "projects.open_list": {"learner"}, "projects.open_question": {"learner"}, "projects.open_answer": {"learner"},
    "projects.work_file": {"learner", "coach", "admin"},
    "review.projects_page": {"coach", "admin"}, "review.offer": {"coach", "admin"},
    "review.decide": {"coach", "admin"}, "review.remove": {"coach", "admin"}, "review.queue": {"coach", "admin"},
    "review.review_form": {"coach", "admin"}, "review.review_post": {"coach", "admin"},
    "review.portfolio": {"coach", "admin"},
    "admin.home": {"admin"}, "admin.classes": {"admin"}, "admin.classes_post": {"admin"},
    "admin.accounts": {"admin"}, "admin.accounts_post": {"admin"}, "admin.account": {"admin"},
    "admin.reset_pin": {"admin"}, "admin.move": {"admin"}, "admin.symbol": {"admin"}, "admin.import_form": {"admin"},
    "admin.import_post": {"admin"}, "admin.audit": {"admin"},
    "admin.cards": {"admin"}, "admin.cards_with_new_pins": {"admin"}, "admin.class_qr": {"admin"},
    "admin.pin_length": {"admin"}, "admin.publisher_keys": {"admin"}, "admin.publisher_add": {"admin"}, "admin.publisher_remove": {"admin"},
}
ROLES = [None, "amina", "juma", "teacher", "admin"]  # anonymous, learner, another learner, coach, admin


def test_every_route_has_a_declared_policy_matching_this_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(EXPECTED), "add new routes to EXPECTED (and give them @allow)"
    for endpoint in endpoints:
        assert policy_of(app, endpoint) == frozenset(EXPECTED[endpoint]), endpoint


def _url_for(rule, sample):
    url = rule.rule
    for arg in rule.arguments:
        url = url.replace(f"<{arg}>", sample.get(arg, "x")).replace(f"<int:{arg}>", "0")
    return url


@pytest.fixture
def sample(demo_app, people):
    from server.db import database
    from server.models import Classroom, Item, Lesson, PackVersion

    with database.connection_context():
        pack = PackVersion.select().where(PackVersion.is_active & (PackVersion.pack_id == "fractions")).get()
        lesson = Lesson.select().where(Lesson.pack_version == pack).first()
        item = Item.select().where(Item.pack_version == pack).first()
        return {"pack_id": pack.pack_id, "lesson_id": lesson.lesson_id, "skill_id": item.skill_id,
                "class_id": Classroom.select().first().id, "unit_id": "x", "attempt": "x",
                "sha256": "0" * 64, "job_id": "x", "name": "x.png", "filename": "style.css",
                "learner_id": people["amina"].id, "account_id": people["juma"].id, "assignment_id": "x",
                "post_id": "x", "pair_id": "x"}


@pytest.mark.parametrize("username", ROLES)
def test_each_role_is_let_in_or_kept_out(demo_app, browser_for, sample, username):
    browser = browser_for(username)
    role = browser.account.role if browser.account else None
    for rule in demo_app.url_map.iter_rules():
        if rule.endpoint == "account.signout":
            continue  # it would end this browser's session; tested below
        allowed = EXPECTED[rule.endpoint]
        let_in = "public" in allowed or (role is not None and ("signed_in" in allowed or role in allowed))
        url = _url_for(rule, sample)
        method = "GET" if "GET" in rule.methods else "POST"
        response = browser.get(url) if method == "GET" else browser.post(url, data={})
        kept_out = response.status_code in (401, 403) or (
            response.status_code == 302 and "/signin" in response.headers.get("Location", ""))
        if let_in:
            assert not kept_out, (username, method, url, response.status_code)
        else:
            assert kept_out, (username, method, url, response.status_code)
            if role is None and method == "GET":
                assert response.status_code == 302


def test_a_post_without_a_csrf_token_is_refused(demo_app, browser_for):
    browser = browser_for("amina")
    response = browser.client.post("/profile", data={"language": "fr"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    with demo_app.app_context():
        from server.db import database
        from server.models import Account
        with database.connection_context():
            assert (Account.get(Account.username == "amina").profile or {}).get("language") != "fr"


def test_sign_out_ends_the_session_on_the_server(demo_app, browser_for):
    from server.web.access import SESSION_COOKIE

    browser = browser_for("amina")
    assert browser.get("/me").status_code == 200
    token = browser.client.get_cookie(SESSION_COOKIE).value
    response = browser.post("/signout")
    assert response.status_code == 302 and response.headers["Location"].endswith("/signin?out=1")
    assert "cookies" in response.headers["Clear-Site-Data"]
    # Replaying the old cookie does not work: the session was revoked server-side.
    assert browser.client.get_cookie(SESSION_COOKIE) is None
    stale = demo_app.test_client()
    stale.set_cookie(SESSION_COOKIE, token)
    assert stale.get("/me").status_code == 302


@pytest.mark.parametrize("username", ROLES)
def test_every_signed_in_response_is_no_store_and_public_pages_are_not(demo_app, browser_for, sample, username):
    """A shared phone over plain HTTP keeps nothing of a signed-in page (Clear-Site-Data is ignored there)."""
    browser = browser_for(username)
    checked = 0
    for rule in demo_app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "media.blob", "account.signed_out_mark"):
            continue
        response = browser.get(_url_for(rule, sample))
        response.close()
        if response.status_code >= 500:
            continue
        checked += 1
        cache = response.headers.get("Cache-Control", "")
        if browser.account is not None:
            assert cache == "no-store", (username, rule.rule, response.status_code, cache)
        else:
            assert "no-store" not in cache or rule.endpoint.startswith(("privacy.", "admin.")), (rule.rule, cache)
    assert checked > 20


def test_the_page_after_sign_out_changes_a_cookie_once_shown(demo_app, browser_for):
    browser = browser_for("amina")
    page = browser.post("/signout", follow_redirects=True).get_data(as_text=True)
    assert '<link rel="stylesheet" href="/signout/done">' in page
    mark = browser.get("/signout/done")
    assert mark.mimetype == "text/css" and "lantern_signed_out=" in mark.headers["Set-Cookie"]
    assert "HttpOnly" in mark.headers["Set-Cookie"] and mark.headers["Cache-Control"] == "no-store"
    assert '/signout/done' not in browser.get("/signin").get_data(as_text=True)
