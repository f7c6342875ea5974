"""Questions on a lesson over real HTTP on a real SQLite file: learners of one class ask and answer,
first names only, plain text shown escaped; the coach moderates; other classes, other learners and
forms without a CSRF token are refused with nothing stored; posts are events, exported and erased."""
import pytest

from server.db import database
from server.models import Account, Event, Lesson, Outbox, PackVersion
from server.models.discussion import Post
from tests.test_sync import hub  # noqa: F401 (a fixture: a real hub in its own process)

PACK = "fractions"


@pytest.fixture
def lesson_id(demo_app):
    with database.connection_context():
        pack = PackVersion.get(PackVersion.is_active & (PackVersion.pack_id == PACK))
        return Lesson.select().where(Lesson.pack_version == pack).order_by(Lesson.position).first().lesson_id


def _url(lesson_id: str) -> str:
    return f"/packs/{PACK}/lessons/{lesson_id}"


def _ask(browser, lesson_id, body, class_id=None):
    data = {"body": body}
    if class_id:
        data["class"] = class_id
    return browser.post(f"{_url(lesson_id)}/questions", data=data)


def _posts(**where):
    with database.connection_context():
        query = Post.select().order_by(Post.created_at)
        for name, value in where.items():
            query = query.where(getattr(Post, name) == value)
        return list(query)


def _only_post():
    posts = _posts()
    assert len(posts) == 1
    return posts[0]


def _html(response) -> str:
    return response.get_data(as_text=True)


def test_a_learner_asks_and_a_classmate_answers(demo_app, browser_for, lesson_id, class_id, people):
    amina, juma = browser_for("amina"), browser_for("juma")
    asked = _ask(amina, lesson_id, "Why is 2/4 the same as 1/2?", class_id)
    assert asked.status_code == 303 and asked.headers["Location"].endswith(f"{_url(lesson_id)}/questions?done=asked")
    question = _only_post()
    assert (question.author_id, question.classroom_id, question.parent_id) == (people["amina"].id, class_id, None)

    lesson_page = _html(juma.get(_url(lesson_id)))
    assert "Questions from your class" in lesson_page and "Why is 2/4 the same as 1/2?" in lesson_page
    assert "0 answers" in lesson_page
    answered = juma.post(f"/questions/{question.id}/answers", data={"body": "Cut a loaf in 4, take 2:\nhalf!"})
    assert answered.status_code == 303 and "done=answered" in answered.headers["Location"]

    page = _html(amina.get(f"{_url(lesson_id)}/questions"))
    assert "<bdi>Amina</bdi> asks" in page and "<strong><bdi>Juma</bdi></strong>" in page and "Cut a loaf in 4, take 2:\nhalf!" in page
    assert "1 answer" in _html(amina.get(_url(lesson_id)))
    with database.connection_context():  # each post is a learner event, queued for the hub
        events = {e.id: e for e in Event.select().where(Event.kind == "post")}
        assert set(events) == {p.id for p in _posts()}
        assert events[question.id].payload["body"] == "Why is 2/4 the same as 1/2?"
        assert Outbox.select().where(Outbox.event_id.in_(list(events))).count() == 2


def test_learners_see_each_other_by_first_name_only(demo_app, browser_for, lesson_id, people):
    with database.connection_context():
        Account.update(display_name="Amina Wanjiru Hassan").where(Account.id == people["amina"].id).execute()
    _ask(browser_for("amina"), lesson_id, "Is a half bigger than a third?")
    page = _html(browser_for("juma").get(f"{_url(lesson_id)}/questions"))
    assert "<bdi>Amina</bdi> asks" in page and "Wanjiru" not in page and "Hassan" not in page


def test_script_in_a_post_is_shown_as_text(demo_app, browser_for, lesson_id):
    body = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert _ask(browser_for("amina"), lesson_id, body).status_code == 303
    assert _only_post().body == body  # kept as written, plain text
    for url in (_url(lesson_id), f"{_url(lesson_id)}/questions"):
        page = _html(browser_for("juma").get(url))
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
        assert "<script>" not in page and "<img src=x" not in page


@pytest.mark.parametrize("body, message", [
    ("", "Write your question or answer first."),
    ("   \n  ", "Write your question or answer first."),
    ("x" * 1001, "Please keep it shorter (at most 1000 characters)."),
])
def test_an_empty_or_over_long_post_is_refused(demo_app, browser_for, lesson_id, body, message):
    amina = browser_for("amina")
    response = _ask(amina, lesson_id, body)
    assert response.status_code == 400 and message in _html(response)
    assert 'aria-invalid="true"' in _html(response)
    assert _posts() == []
    _ask(amina, lesson_id, "A real question?")
    refused = amina.post(f"/questions/{_only_post().id}/answers", data={"body": body, "question": _only_post().id})
    assert refused.status_code == 400 and message in _html(refused)
    assert len(_posts()) == 1
    with database.connection_context():
        assert Event.select().where(Event.kind == "post").count() == 1


def test_a_burst_of_posts_is_slowed_down_and_the_extra_one_is_not_stored(demo_app, browser_for, lesson_id):
    """Ten posts in ten minutes is plenty for a learner; the eleventh waits (nothing is stored)."""
    from server.learning.discussion import BURST_POSTS

    amina, juma = browser_for("amina"), browser_for("juma")
    for n in range(BURST_POSTS):
        assert _ask(amina, lesson_id, f"Question {n}?").status_code == 303
    refused = _ask(amina, lesson_id, "One more?")
    assert refused.status_code == 400 and "Please wait a few minutes" in _html(refused)
    assert len(_posts()) == BURST_POSTS
    assert _ask(juma, lesson_id, "My own question?").status_code == 303  # the limit is per learner


def test_a_post_of_exactly_the_limit_is_kept(demo_app, browser_for, lesson_id):
    assert _ask(browser_for("amina"), lesson_id, "y" * 1000).status_code == 303
    assert len(_only_post().body) == 1000


def test_posting_to_another_classs_lesson_is_refused(demo_app, browser_for, lesson_id, class_id, other_class):
    from tests.conftest import Browser

    halima = Browser(demo_app, other_class["learner"])
    refused = _ask(browser_for("amina"), lesson_id, "Into Class 6?", other_class["class_id"])
    assert refused.status_code == 403
    assert _posts() == []
    _ask(browser_for("amina"), lesson_id, "For Class 5 only")
    question = _only_post()
    assert halima.post(f"/questions/{question.id}/answers", data={"body": "hi"}).status_code == 403
    assert halima.post(f"/posts/{question.id}/report").status_code == 403
    assert len(_posts()) == 1 and _only_post().reported_at is None
    # Halima's class does not see Class 5's question, on the lesson or on the full page.
    for url, empty in ((_url(lesson_id), "Nobody has asked a question yet."),
                       (f"{_url(lesson_id)}/questions", "0 questions")):
        page = _html(halima.get(url))
        assert "For Class 5 only" not in page and empty in page


def test_a_learner_deletes_only_their_own_post(demo_app, browser_for, lesson_id):
    amina, juma = browser_for("amina"), browser_for("juma")
    _ask(amina, lesson_id, "My private worry")
    post = _only_post()
    assert juma.post(f"/posts/{post.id}/delete").status_code == 403
    assert not _only_post().deleted and _only_post().body == "My private worry"
    assert amina.post(f"/posts/{post.id}/delete").status_code == 303
    deleted = _only_post()
    assert deleted.deleted and deleted.body == ""
    with database.connection_context():  # the words are gone from the event too; the deletion is an event
        assert Event.get_by_id(post.id).payload["body"] == ""
        assert Event.select().where(Event.kind == "post_deleted").count() == 1
    assert "My private worry" not in _html(juma.get(f"{_url(lesson_id)}/questions"))
    assert amina.post(f"/posts/{post.id}/delete").status_code == 404  # twice: nothing more to delete


def test_a_learner_cannot_hide_or_mark_posts(demo_app, browser_for, lesson_id, class_id):
    _ask(browser_for("amina"), lesson_id, "Hide me?")
    post = _only_post()
    for action in ("hide", "helpful"):
        response = browser_for("juma").post(f"/coach/classes/{class_id}/posts/{post.id}", data={"action": action})
        assert response.status_code == 403
    assert not _only_post().hidden and not _only_post().helpful


def test_a_form_without_its_csrf_token_is_refused(demo_app, browser_for, lesson_id):
    amina = browser_for("amina")
    response = amina.client.post(f"{_url(lesson_id)}/questions", data={"body": "No token"})
    assert response.status_code == 400 and "This form has expired" in _html(response)
    assert _posts() == []


def test_report_hide_and_unhide(demo_app, browser_for, lesson_id, class_id):
    amina, juma, coach = browser_for("amina"), browser_for("juma"), browser_for("teacher")
    _ask(amina, lesson_id, "Something unkind")
    post = _only_post()
    assert juma.post(f"/posts/{post.id}/report").status_code == 303
    assert _only_post().reported_at is not None
    overview = _html(coach.get(f"/coach/classes/{class_id}?pack={PACK}"))
    assert "1 not answered, 1 reported" in overview
    board = _html(coach.get(f"/coach/classes/{class_id}/questions"))
    assert "Reported by learners (1)" in board and "Something unkind" in board

    hidden = coach.post(f"/coach/classes/{class_id}/posts/{post.id}", data={"action": "hide"})
    assert hidden.status_code == 303
    assert _only_post().hidden and _only_post().reported_at is None  # hiding settles the report
    for learner in (amina, juma):
        assert "Something unkind" not in _html(learner.get(f"{_url(lesson_id)}/questions"))
    assert "Hidden from learners" in _html(coach.get(f"/coach/classes/{class_id}/questions"))
    assert juma.post(f"/questions/{post.id}/answers", data={"body": "hi"}).status_code == 404

    coach.post(f"/coach/classes/{class_id}/posts/{post.id}", data={"action": "unhide"})
    assert "Something unkind" in _html(juma.get(f"{_url(lesson_id)}/questions"))
    juma.post(f"/posts/{post.id}/report")
    coach.post(f"/coach/classes/{class_id}/posts/{post.id}", data={"action": "keep"})
    assert _only_post().reported_at is None and not _only_post().hidden


def test_the_coach_sees_unanswered_questions_and_marks_an_answer_helpful(demo_app, browser_for, lesson_id,
                                                                         class_id):
    amina, juma, coach = browser_for("amina"), browser_for("juma"), browser_for("teacher")
    _ask(amina, lesson_id, "What is a denominator?")
    question = _only_post()
    board = _html(coach.get(f"/coach/classes/{class_id}/questions"))
    assert "Not answered yet (1)" in board and "What is a denominator?" in board
    juma.post(f"/questions/{question.id}/answers", data={"body": "The number under the line."})
    answer = _posts(parent_id=question.id)[0]
    assert "Not answered yet (0)" in _html(coach.get(f"/coach/classes/{class_id}/questions"))
    assert "0 not answered" in _html(coach.get(f"/coach/classes/{class_id}?pack={PACK}"))

    refused = coach.post(f"/coach/classes/{class_id}/posts/{question.id}", data={"action": "helpful"})
    assert refused.status_code == 400 and not _posts(id=question.id)[0].helpful  # only answers
    assert coach.post(f"/coach/classes/{class_id}/posts/{answer.id}",
                      data={"action": "helpful"}).status_code == 303
    assert _posts(id=answer.id)[0].helpful
    assert "Your coach marked this answer helpful" in _html(amina.get(f"{_url(lesson_id)}/questions"))
    bad = coach.post(f"/coach/classes/{class_id}/posts/{answer.id}", data={"action": "delete-everything"})
    assert bad.status_code == 400


def test_a_coach_of_another_class_cannot_see_or_moderate(demo_app, browser_for, lesson_id, class_id, other_class):
    from tests.conftest import Browser

    _ask(browser_for("amina"), lesson_id, "Class 5 business")
    post = _only_post()
    stranger = Browser(demo_app, other_class["coach"])
    assert stranger.get(f"/coach/classes/{class_id}/questions").status_code == 404
    response = stranger.post(f"/coach/classes/{class_id}/posts/{post.id}", data={"action": "hide"})
    assert response.status_code == 404
    # Their own class's address does not reach Class 5's posts either.
    response = stranger.post(f"/coach/classes/{other_class['class_id']}/posts/{post.id}", data={"action": "hide"})
    assert response.status_code == 404
    assert not _only_post().hidden
    assert "Class 5 business" not in _html(stranger.get(f"/coach/classes/{other_class['class_id']}/questions"))


def test_visitors_and_staff_see_no_discussion_on_the_lesson(demo_app, browser_for, lesson_id):
    _ask(browser_for("amina"), lesson_id, "Learners only")
    anonymous = _html(browser_for(None).get(_url(lesson_id)))
    assert "Sign in to ask your class a question." in anonymous and "Learners only" not in anonymous
    assert browser_for(None).get(f"{_url(lesson_id)}/questions").status_code == 302
    assert "Learners only" not in _html(browser_for("teacher").get(_url(lesson_id)))


def test_the_lesson_shows_the_latest_three_and_links_to_all(demo_app, browser_for, lesson_id):
    amina = browser_for("amina")
    for n in range(5):
        _ask(amina, lesson_id, f"Question number {n}")
    page = _html(browser_for("juma").get(_url(lesson_id)))
    assert [n for n in range(5) if f"Question number {n}" in page] == [2, 3, 4]
    assert "Read and answer all 5 questions" in page
    full = _html(browser_for("juma").get(f"{_url(lesson_id)}/questions"))
    assert all(f"Question number {n}" in full for n in range(5)) and "5 questions" in full


def test_posts_are_exported_survive_a_rebuild_and_are_erased_with_the_learner(demo_app, browser_for, lesson_id,
                                                                               people, class_id):
    from server import privacy
    from server.learning.progress import rebuild_all

    amina, juma = browser_for("amina"), browser_for("juma")
    _ask(amina, lesson_id, "Will this be exported?")
    question = _only_post()
    juma.post(f"/questions/{question.id}/answers", data={"body": "Yes it will."})
    browser_for("teacher").post(f"/coach/classes/{class_id}/posts/{question.id}", data={"action": "hide"})
    export = amina.get("/me/export.json").get_json()
    assert [p["text"] for p in export["posts"]] == ["Will this be exported?"] and export["posts"][0]["hidden"]
    assert any(e["kind"] == "post" and e["payload"]["body"] == "Will this be exported?" for e in export["events"])

    with database.connection_context():
        rebuild_all()  # posts come from events; the coach's moderation is kept
    assert len(_posts()) == 2 and _posts(id=question.id)[0].hidden

    assert browser_for("admin").post(f"/admin/learners/{people['amina'].id}/erase").status_code == 303
    assert _posts(author_id=people["amina"].id) == []
    assert len(_posts(author_id=people["juma"].id)) == 1  # nobody else's words are touched
    with database.connection_context():
        assert Event.select().where((Event.learner_id == people["amina"].id) & (Event.kind == "post")).count() == 0


def test_the_full_page_shows_ten_questions_at_a_time(demo_app, browser_for, lesson_id):
    amina, juma, neema = browser_for("amina"), browser_for("juma"), browser_for("neema")
    for n in range(12):  # two learners (one learner may post ten in ten minutes)
        assert _ask(amina if n % 2 else neema, lesson_id, f"Question number {n:02d}").status_code == 303
    first = _html(juma.get(f"{_url(lesson_id)}/questions"))
    assert [n for n in range(12) if f"Question number {n:02d}" in first] == list(range(2, 12))
    assert "12 questions" in first and 'href="?page=2"' in first and "Newer questions" not in first
    second = _html(juma.get(f"{_url(lesson_id)}/questions?page=2"))
    assert [n for n in range(12) if f"Question number {n:02d}" in second] == [0, 1]
    assert 'href="?page=1"' in second and "Older questions" not in second
    for page in ("9", "-1", "x", "9" * 30):  # past the end or nonsense: a page, not an error
        response = juma.get(f"{_url(lesson_id)}/questions?page={page}")
        assert response.status_code == 200
    assert "Question number" not in _html(juma.get(f"{_url(lesson_id)}/questions?page=9"))


def test_a_post_goes_to_the_hub_and_its_deletion_removes_the_words_there(demo_app, browser_for, lesson_id, people,
                                                                         hub):
    import sqlite3

    from sync.client import pair, push_pending
    from sync.transport import HttpTransport
    from tests.test_sync import new_code

    transport, data_dir = HttpTransport(hub["url"]), demo_app.config["DATA_DIR"]
    with database.connection_context():
        pair(transport, new_code(hub, "Shule ya Maswali"), data_dir)
    amina = browser_for("amina")
    _ask(amina, lesson_id, "Words I will take back")
    post = _only_post()

    def on_hub() -> dict:
        with database.connection_context():
            push_pending(transport, data_dir)
        connection = sqlite3.connect(hub["data"] / "lantern.db")
        try:
            return dict(connection.execute("SELECT kind, payload FROM received_event WHERE learner_id = ? "
                                           "AND kind LIKE 'post%'", (people["amina"].id,)).fetchall())
        finally:
            connection.close()
    assert "Words I will take back" in on_hub()["post"]
    amina.post(f"/posts/{post.id}/delete")
    after = on_hub()
    assert "Words I will take back" not in after["post"] and post.id in after["post_deleted"]


def test_a_refused_answer_to_an_older_question_still_says_why(demo_app, browser_for, lesson_id):
    amina = browser_for("amina")
    for n in range(11):
        _ask(amina, lesson_id, f"Question number {n:02d}")
    oldest = _posts()[0]
    refused = browser_for("juma").post(f"/questions/{oldest.id}/answers", data={"body": "", "question": oldest.id})
    assert refused.status_code == 400 and "Write your question or answer first." in _html(refused)
    assert _posts(parent_id=oldest.id) == []


# --- the coach replies ------------------------------------------------------------------------------

def test_the_coach_replies_from_the_questions_page_and_the_class_sees_it_marked(demo_app, browser_for, lesson_id,
                                                                               class_id, people):
    amina, coach = browser_for("amina"), browser_for("teacher")
    _ask(amina, lesson_id, "What is a numerator?", class_id)
    question = _only_post()
    board = _html(coach.get(f"/coach/classes/{class_id}/questions"))
    assert f'action="/questions/{question.id}/answers"' in board and 'name="back" value="board"' in board
    assert f'href="{_url(lesson_id)}/questions"' in board  # the lesson's thread, one tap away

    replied = coach.post(f"/questions/{question.id}/answers", data={"body": "The number above the line.",
                                                                    "back": "board"})
    assert replied.status_code == 303
    assert replied.headers["Location"].endswith(f"/coach/classes/{class_id}/questions?done=replied#p-{question.id}")
    reply = _posts(parent_id=question.id)[0]
    assert (reply.author_id, reply.classroom_id, reply.body) == (people["teacher"].id, class_id,
                                                                 "The number above the line.")
    with database.connection_context():  # an event in the asker's log, queued for the hub like a post
        event = Event.get_by_id(reply.id)
        assert (event.kind, event.learner_id, event.payload["coach_id"]) == (
            "coach_reply", people["amina"].id, people["teacher"].id)
        assert Outbox.select().where(Outbox.event_id == reply.id).count() == 1
    board = _html(coach.get(f"/coach/classes/{class_id}/questions?done=replied"))
    assert "Not answered yet (0)" in board and "Your reply is posted." in board
    thread = _html(amina.get(f"{_url(lesson_id)}/questions"))
    coach_name = people["teacher"].display_name.split()[0]
    assert (f'<strong><bdi>{coach_name}</bdi></strong> <span class="badge">Coach</span>: '
            '<span class="post" dir="auto">The number above the line.</span>') in thread
    assert thread.count('class="badge"') == 1  # the learner's own question carries no badge


def test_the_coach_replies_from_the_lesson_thread(demo_app, browser_for, lesson_id, class_id, people):
    juma, coach = browser_for("juma"), browser_for("teacher")
    _ask(juma, lesson_id, "Can a fraction be bigger than one?", class_id)
    question = _only_post()
    thread = _html(coach.get(f"{_url(lesson_id)}/questions"))
    assert "Can a fraction be bigger than one?" in thread and ">Reply</button>" in thread
    assert "/report" not in thread and "/delete" not in thread and 'id="ask-body"' not in thread
    replied = coach.post(f"/questions/{question.id}/answers", data={"body": "Yes: 5/4 is one and a quarter."})
    assert replied.status_code == 303 and replied.headers["Location"].endswith(f"{_url(lesson_id)}/questions?done=replied")
    assert _posts(parent_id=question.id)[0].author_id == people["teacher"].id
    page = _html(coach.get(f"{_url(lesson_id)}/questions?done=replied"))
    assert "Your reply is posted." in page and '<span class="badge">Coach</span>' in page
    assert '<span class="badge">Coach</span>' in _html(juma.get(f"{_url(lesson_id)}/questions"))


def test_an_empty_reply_is_refused_with_one_message_and_nothing_stored(demo_app, browser_for, lesson_id, class_id):
    _ask(browser_for("amina"), lesson_id, "Why?", class_id)
    question = _only_post()
    coach = browser_for("teacher")
    refused = coach.post(f"/questions/{question.id}/answers", data={"body": "  ", "back": "board"})
    page = _html(refused)
    assert refused.status_code == 400 and page.count('role="alert"') == 1
    assert "Write your question or answer first." in page and 'aria-invalid="true"' in page
    assert len(_posts()) == 1
    with database.connection_context():
        assert Event.select().where(Event.kind == "coach_reply").count() == 0


def test_only_a_coach_of_the_askers_class_can_reply(demo_app, browser_for, lesson_id, class_id, other_class):
    from tests.conftest import Browser

    _ask(browser_for("amina"), lesson_id, "Class 5 only", class_id)
    question = _only_post()
    stranger = Browser(demo_app, other_class["coach"])
    assert stranger.post(f"/questions/{question.id}/answers", data={"body": "Hello"}).status_code == 404
    assert "Class 5 only" not in _html(stranger.get(f"{_url(lesson_id)}/questions"))
    assert browser_for("admin").post(f"/questions/{question.id}/answers", data={"body": "Hi"}).status_code == 403
    answer = _posts(parent_id=question.id)
    assert answer == []
    with database.connection_context():
        assert Event.select().where(Event.kind == "coach_reply").count() == 0


def test_a_coach_reply_survives_a_rebuild_and_goes_with_the_asker_when_erased(demo_app, browser_for, lesson_id,
                                                                              class_id, people):
    from server.learning.progress import rebuild_all

    amina, coach = browser_for("amina"), browser_for("teacher")
    _ask(amina, lesson_id, "Is 3/3 one whole?", class_id)
    question = _only_post()
    coach.post(f"/questions/{question.id}/answers", data={"body": "Yes, it is."})
    export = amina.get("/me/export.json").get_json()
    assert any(e["kind"] == "coach_reply" and e["payload"]["body"] == "Yes, it is." for e in export["events"])
    with database.connection_context():
        Post.delete().where(Post.parent_id == question.id).execute()
        rebuild_all()
    assert [p.author_id for p in _posts(parent_id=question.id)] == [people["teacher"].id]

    assert browser_for("admin").post(f"/admin/learners/{people['amina'].id}/erase").status_code == 303
    assert _posts() == []
    with database.connection_context():
        assert Event.select().where(Event.kind == "coach_reply").count() == 0


def test_a_coach_reply_goes_to_the_hub_under_the_askers_id(demo_app, browser_for, lesson_id, class_id, people, hub):
    import sqlite3

    from sync.client import pair, push_pending
    from sync.transport import HttpTransport
    from tests.test_sync import new_code

    transport, data_dir = HttpTransport(hub["url"]), demo_app.config["DATA_DIR"]
    with database.connection_context():
        pair(transport, new_code(hub, "Shule ya Majibu"), data_dir)
    _ask(browser_for("amina"), lesson_id, "Who answers here?", class_id)
    question = _only_post()
    browser_for("teacher").post(f"/questions/{question.id}/answers", data={"body": "Your coach does."})
    with database.connection_context():
        result = push_pending(transport, data_dir)
    connection = sqlite3.connect(hub["data"] / "lantern.db")
    try:
        rows = connection.execute("SELECT learner_id, payload FROM received_event WHERE kind = 'coach_reply'").fetchall()
    finally:
        connection.close()
    assert len(rows) == 1 and rows[0][0] == people["amina"].id, result
    assert '"Your coach does."' in rows[0][1] and people["teacher"].id in rows[0][1]


def test_a_question_on_a_lesson_no_longer_installed_shows_no_internal_id(demo_app, browser_for, lesson_id, class_id):
    _ask(browser_for("amina"), lesson_id, "About an old lesson", class_id)
    with database.connection_context():
        Post.update(lesson_id="l-retired-in-v2").execute()
    board = _html(browser_for("teacher").get(f"/coach/classes/{class_id}/questions"))
    assert "About an old lesson" in board and "On a lesson no longer installed" in board
    assert "l-retired-in-v2" not in board


def test_the_lesson_page_leads_the_coach_to_their_classes_questions(demo_app, browser_for, lesson_id, class_id,
                                                                     other_class):
    from tests.conftest import Browser

    coach = browser_for("teacher")
    assert "/questions" not in _html(coach.get(_url(lesson_id)))  # nothing asked yet: no link
    _ask(browser_for("amina"), lesson_id, "A first question", class_id)
    _ask(browser_for("juma"), lesson_id, "A second question", class_id)
    page = _html(coach.get(_url(lesson_id)))
    assert f'<a href="{_url(lesson_id)}/questions">Read and reply to 2 questions from your classes</a>' in page
    assert "A first question" not in page  # the questions themselves are on the thread
    assert "/questions" not in _html(Browser(demo_app, other_class["coach"]).get(_url(lesson_id)))
    assert "Read and reply" not in _html(browser_for("admin").get(_url(lesson_id)))
