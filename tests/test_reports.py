"""The pure rules behind coach reports, assignments and spreadsheet files, as tables (no app, no DB)."""
import json
from datetime import date, datetime, timedelta

import pytest

from server.people.admin import describe_detail
from server.coaching.assignments import describe_target, parse_due, parse_target, parse_work
from server.people.csv_files import decode_upload, neutralize, read_rows, write_csv
from server.errors import InvalidInput
from server.coaching.item_analysis import (ItemReport, WrongAnswer, hardest_first, plain_text, response_label,
                                  summarize_wrong)
from server.coaching.learner_reports import describe_event, parent_sentences
from server.coaching.reports import (Cell, LearnerRow, LessonRef, SkillColumn, cell_for, days_since, help_notes,
                            mastery_bars, percent, share)
from server.people.roster_import import plan_import, username_from

NOW = datetime(2025, 6, 10, 12, 0)


# --- cells of the grid ------------------------------------------------------------------------

def _state(attempts=0, correct=0, wrong_streak=0, mastered_at=None, review_due=None):
    return {"attempts": attempts, "correct": correct, "wrong_streak": wrong_streak,
            "mastered_at": mastered_at, "review_due": review_due}


@pytest.mark.parametrize("state, prerequisites_met, expected, words", [
    (None, True, "new", "Not started"),
    (None, False, "locked", "Locked"),
    (_state(attempts=0), True, "new", "Not started"),
    (_state(3, 2, 1), True, "in_progress", "In progress: 2 right of 3"),
    (_state(5, 2, 3), True, "struggling", "Struggling: 3 wrong in a row"),
    (_state(9, 2, 7), True, "struggling", "Struggling: 7 wrong in a row"),
    (_state(5, 2, 2), True, "in_progress", "In progress: 2 right of 5"),
    (_state(5, 5, 0, NOW - timedelta(days=1), NOW + timedelta(days=2)), True, "mastered", "Mastered"),
    (_state(5, 5, 0, NOW - timedelta(days=9), NOW - timedelta(seconds=1)), True, "review_due", "Review due"),
    (_state(5, 5, 0, NOW - timedelta(days=9), NOW), True, "review_due", "Review due"),
    (_state(4, 1, 3), False, "locked", "Locked"),  # a pack update added a prerequisite
    (_state(6, 5, 4, NOW, NOW + timedelta(days=3)), True, "mastered", "Mastered"),  # mastery is kept
])
def test_cell_state(state, prerequisites_met, expected, words):
    cell = cell_for(state, prerequisites_met, NOW)
    assert (cell.state, cell.words) == (expected, words)


@pytest.mark.parametrize("part, whole, value, text", [
    (0, 0, None, "no answers"), (1, 5, 0.2, "20 %"), (3, 5, 0.6, "60 %"), (2, 3, 2 / 3, "67 %"),
    (5, 5, 1.0, "100 %"), (0, 4, 0.0, "0 %"), (1, 8, 0.125, "12 %"),
])
def test_share_and_percent(part, whole, value, text):
    assert share(part, whole) == value
    assert percent(part, whole) == text


@pytest.mark.parametrize("moment, days", [
    (None, None), (NOW, 0), (NOW - timedelta(hours=23), 0), (NOW - timedelta(days=1), 1),
    (NOW - timedelta(days=8, hours=1), 8), (NOW + timedelta(hours=5), 0),  # a phone clock ahead
])
def test_days_since(moment, days):
    assert days_since(moment, NOW) == days


# --- who needs help ---------------------------------------------------------------------------

SKILLS = [SkillColumn("meaning", "Knowing fractions", (), LessonRef("what-is", "What is a fraction?")),
          SkillColumn("comparing", "Comparing", ("meaning",), None)]


def _row(name, cells, last_active=NOW):
    return LearnerRow(name.lower(), name, tuple(cells), last_active)


@pytest.mark.parametrize("rows, expected", [
    ([_row("Amina", [Cell("mastered", 4, 4), Cell("in_progress", 2, 1)])], []),
    ([_row("Juma", [Cell("struggling", 4, 0, 4), Cell("locked")])],
     [("Juma", "stuck", "4 wrong in a row on Knowing fractions",
       "assign the lesson “What is a fraction?” that teaches Knowing fractions", "lesson:what-is")]),
    ([_row("Juma", [Cell("mastered", 5, 5), Cell("struggling", 3, 0, 3)])],
     [("Juma", "stuck", "3 wrong in a row on Comparing",
       "sit with them for a few of the Comparing questions", None)]),
    ([_row("Neema", [Cell("review_due", 5, 5, 0, NOW - timedelta(days=10)), Cell("new")])],
     [("Neema", "overdue", "review of Knowing fractions is 10 days late", "assign practice on Knowing fractions",
       "skill:meaning")]),
    ([_row("Neema", [Cell("review_due", 5, 5, 0, NOW - timedelta(days=7)), Cell("new")])], []),
    ([_row("Baraka", [Cell("in_progress", 2, 1)], NOW - timedelta(days=9))],
     [("Baraka", "inactive", "no practice for 9 days", "check in, and assign practice on Knowing fractions",
       "skill:meaning")]),
    ([_row("Baraka", [Cell("mastered", 5, 5), Cell("review_due", 5, 5, 0, NOW)], NOW - timedelta(days=9))],
     [("Baraka", "inactive", "no practice for 9 days", "check in with them", None)]),
    # Nobody has started: no note for everyone. One has: the others are listed, last.
    ([_row("Zawadi", [Cell("new"), Cell("locked")], None), _row("Jean", [Cell("new"), Cell("locked")], None)], []),
    ([_row("Zawadi", [Cell("new"), Cell("locked")], None), _row("Juma", [Cell("struggling", 3, 0, 3), Cell("locked")])],
     [("Juma", "stuck", "3 wrong in a row on Knowing fractions",
       "assign the lesson “What is a fraction?” that teaches Knowing fractions", "lesson:what-is"),
      ("Zawadi", "not_started", "has not answered a question yet",
       "check in, and assign practice on Knowing fractions", "skill:meaning")]),
])
def test_help_notes(rows, expected):
    notes = help_notes(rows, SKILLS, NOW)
    assert [(n.name, n.kind, n.reason, n.action, n.work) for n in notes] == expected


def test_help_notes_put_the_most_stuck_first():
    rows = [_row("Amina", [Cell("struggling", 3, 0, 3), Cell("locked")]),
            _row("Juma", [Cell("struggling", 6, 0, 6), Cell("locked")]),
            _row("Baraka", [Cell("in_progress", 1, 1)], NOW - timedelta(days=30))]
    assert [n.name for n in help_notes(rows, SKILLS, NOW)] == ["Juma", "Amina", "Baraka"]


@pytest.mark.parametrize("mastered, learners, widths", [
    ([0, 3, 6], 6, [0, 100, 200]), ([1, 2, 0], 3, [67, 133, 0]), ([0, 0, 0], 0, [0, 0, 0]),
])
def test_mastery_bars(mastered, learners, widths):
    skills = [SkillColumn(f"s{i}", f"Skill {i}", (), None, m) for i, m in enumerate(mastered)]
    bars = mastery_bars(skills, learners)
    assert [b.width for b in bars] == widths
    assert [b.y for b in bars] == [22, 56, 90]
    assert [(b.label, b.value, b.total) for b in bars][0] == ("Skill 0", mastered[0], learners)


# --- item analysis ----------------------------------------------------------------------------

SINGLE = {"id": "q", "kind": "single", "answers": [{"text": "1/2"}, {"text": "**1/3** > 1/2"}, {"text": "Equal"}]}
MULTIPLE = {"id": "m", "kind": "multiple", "answers": [{"text": "3/6"}, {"text": "5/10"}, {"text": "2/3"}]}
MATCHING = {"id": "pairs", "kind": "matching", "pairs": [{"left": "1/2", "right": "4/8"}, {"left": "1/3", "right": "2/6"}]}


@pytest.mark.parametrize("item, response, label", [
    (SINGLE, {"answer": "1"}, "1/3 > 1/2"),
    (SINGLE, {"answer": "7"}, "(no answer)"),
    (SINGLE, {"answer": "x"}, "(no answer)"),
    (SINGLE, {}, "(no answer)"),
    (MULTIPLE, {"answer": ["0", "2"]}, "3/6; 2/3"),
    ({"kind": "fill", "input": "choice", "answers": [{"text": "same"}, {"text": "different"}]}, {"answer": "1"}, "different"),
    ({"kind": "truefalse"}, {"answer": "true"}, "True"),
    ({"kind": "truefalse"}, {"answer": "FALSE"}, "False"),
    ({"kind": "truefalse"}, {"answer": "maybe"}, "(no answer)"),
    ({"kind": "numeric"}, {"answer": "  0.5 "}, "0.5"),
    ({"kind": "short"}, {"answer": "one   half"}, "one half"),
    ({"kind": "short"}, {"answer": ""}, "(blank)"),
    ({"kind": "short"}, {"answer": "x" * 200}, "x" * 79 + "…"),
])
def test_response_label(item, response, label):
    assert response_label(item, json.dumps(response)) == label


def test_response_label_for_matching_and_broken_json():
    from server.content.quiz.grading import choices_for_display
    options = choices_for_display(MATCHING)
    response = {"match-0": str(options.index("2/6")), "match-1": str(options.index("2/6"))}
    assert response_label(MATCHING, json.dumps(response)) == "1/2 → 2/6; 1/3 → 2/6"
    assert response_label(SINGLE, '{"answer": "1", "trunc') == '{"answer": "1", "trunc'  # cut at 500 chars
    assert response_label(SINGLE, '"just text"') == "just text"


@pytest.mark.parametrize("markdown, text", [
    ("Which is **bigger**, 3/8 or 5/8?", "Which is bigger, 3/8 or 5/8?"),
    ("![A chapati](../images/c.svg)\n\nWhat fraction is shaded?", "What fraction is shaded?"),
    ("See [the line](http://x) \\= 1/2", "See the line = 1/2"),
    ("To compare, use the [[blank]] number.", "To compare, use the number."),
    ("<b>Hi</b> there", "Hi there"),
    ("word " * 60, ("word " * 28).strip()[:139] + "…"),
])
def test_plain_text(markdown, text):
    assert plain_text(markdown) == text


def test_wrong_answers_merge_by_label_and_count_learners_first():
    rows = [("1/3 > 1/2", "j", "Juma", 2), ("1/3 > 1/2", "n", "Neema", 1), ("Equal", "b", "Baraka", 5),
            ("1/3 > 1/2", "j", "Juma", 1)]  # the same label from two raw responses
    wrong = summarize_wrong(rows, answered_by=5)
    assert wrong == [WrongAnswer("1/3 > 1/2", 4, (("j", "Juma"), ("n", "Neema")), 0.4),
                     WrongAnswer("Equal", 5, (("b", "Baraka"),), 0.2)]
    assert wrong[0].learner_ids == ["j", "n"]


def test_hardest_items_come_first():
    def item(item_id, answers, correct):
        return ItemReport(item_id, "", "", answers, correct, 1, [])
    ordered = hardest_first([item("easy", 10, 9), item("none", 0, 0), item("hard", 4, 1), item("hard-busy", 8, 2)])
    assert [i.item_id for i in ordered] == ["hard-busy", "hard", "easy", "none"]


# --- learner pages ----------------------------------------------------------------------------

TITLES = {("skill", "f", "meaning"): "Knowing fractions", ("lesson", "f", "l1"): "What is a fraction?",
          ("unit", "f", "u1"): "Parts of a whole"}


@pytest.mark.parametrize("kind, payload, text", [
    ("answer", {"pack_id": "f", "skill_id": "meaning", "correct": True}, "Answered a question on Knowing fractions: right"),
    ("answer", {"pack_id": "f", "skill_id": "meaning", "correct": False}, "Answered a question on Knowing fractions: not right"),
    ("lesson_opened", {"pack_id": "f", "lesson_id": "l1"}, "Opened the lesson “What is a fraction?”"),
    ("lesson_finished", {"pack_id": "f", "lesson_id": "gone"}, "Finished the lesson “a lesson no longer installed”"),  # never the id
    ("mastered", {"pack_id": "f", "skill_id": "meaning"}, "Mastered Knowing fractions"),
    ("goal_set", {"weekly_answers": 30}, "Set a weekly goal of 30 answers"),
    ("reflection", {"pack_id": "f", "unit_id": "u1"}, "Wrote a reflection on “Parts of a whole”"),
    ("post", {"pack_id": "f", "lesson_id": "l1", "parent_id": None}, "Asked the class a question on “What is a fraction?”"),
    ("post", {"pack_id": "f", "lesson_id": "l1", "parent_id": "p"}, "Answered a classmate’s question on “What is a fraction?”"),
    ("post_deleted", {"post_id": "p"}, "Deleted one of their posts"),
    ("handed_in", {"source": "project", "project_title": "A map"}, "Handed in work for the project “A map”"),
    ("handed_in", {"source": "essay", "pack_id": "f", "skill_id": "meaning"},
     "Answered an open question on Knowing fractions (sent to the coach)"),
    ("something_new", {}, "Something new"),
])
def test_describe_event(kind, payload, text):
    assert describe_event(kind, payload, TITLES) == text


def test_parent_sentences():
    assert parent_sentences("Neema", 0, 0, 0, [], []) == ["Neema has not answered practice questions on Lantern yet."]
    lines = parent_sentences("Juma", 1, 1, 1, ["Naming"], ["Comparing", "Adding"])
    assert lines[:3] == ["Juma answered 1 practice question and got 1 right. Juma practised on 1 of the last 30 days.",
                         "Juma has mastered: Naming.", "Juma is now working on: Comparing, Adding."]


# --- assignments ------------------------------------------------------------------------------

TODAY = date(2025, 6, 10)


@pytest.mark.parametrize("text, due", [
    ("", None), (None, None), ("  ", None), ("2025-06-10", datetime(2025, 6, 10)),
    ("2025-06-13", datetime(2025, 6, 13)), ("2026-06-10", datetime(2026, 6, 10)),
])
def test_parse_due(text, due):
    assert parse_due(text, TODAY) == due


@pytest.mark.parametrize("text, message", [
    ("13/06/2025", "like 2025-06-13"), ("2025-02-30", "like 2025-06-13"), ("2025-06-09", "in the past"),
    ("2026-06-13", "more than a year away"),
])
def test_parse_due_refuses(text, message):
    with pytest.raises(InvalidInput, match=message):
        parse_due(text, TODAY)


@pytest.mark.parametrize("text, target", [
    ("class", ("class", None)), ("group:abc", ("group", "abc")), ("learner:u-1", ("learner", "u-1")),
])
def test_parse_target(text, target):
    assert parse_target(text) == target


@pytest.mark.parametrize("text", ["", None, "group:", "school:1", "learner"])
def test_parse_target_refuses(text):
    with pytest.raises(InvalidInput, match="who the work is for"):
        parse_target(text)


def test_parse_work():
    assert parse_work(["lesson:a", "skill:b-1", "lesson:a", ""]) == [("lesson", "a"), ("skill", "b-1")]
    for bad, message in (([], "at least one"), (["quiz:a"], "not in this pack"), (["lesson:../x"], "not in this pack"),
                         ([f"skill:s{i}" for i in range(21)], "at most 20")):
        with pytest.raises(InvalidInput, match=message):
            parse_work(bad)


@pytest.mark.parametrize("target, words", [
    ({"type": "class", "id": "c"}, "the whole class"),
    ({"type": "group", "id": "g", "members": ["a", "b"]}, "group “Chose 1/3” (2 learners)"),
    ({"type": "learner", "id": "a"}, "Amina"),
    ({"type": "learner", "id": "gone"}, "a learner who left the class"),
])
def test_describe_target(target, words):
    assert describe_target(target, {"a": "Amina"}, {"g": "Chose 1/3"}) == words


# --- spreadsheets -----------------------------------------------------------------------------

@pytest.mark.parametrize("value, safe", [
    ("=SUM(A1:A9)", "'=SUM(A1:A9)"), ("+254700000", "'+254700000"), ("-2+3", "'-2+3"), ("@cmd", "'@cmd"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("Amina", "Amina"), ("a=b", "a=b"), ("", ""), (None, ""),
    (-5, -5), (3.5, 3.5), (True, "True"),
])
def test_neutralize(value, safe):
    assert neutralize(value) == safe


def test_write_csv_has_a_bom_and_neutral_cells():
    data = write_csv([["Name", "Score"], ["=1+1", 3], ["Zéphyrine, \"Zee\"", -1]])
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == "Name,Score\r\n'=1+1,3\r\n\"Zéphyrine, \"\"Zee\"\"\",-1\r\n"


@pytest.mark.parametrize("data", [
    "name,class\nZéphyrine,Class 5\n".encode("utf-8"),
    "name,class\nZéphyrine,Class 5\n".encode("utf-8-sig"),
    "name,class\nZéphyrine,Class 5\n".encode("latin-1"),
    "name,class\nZéphyrine,Class 5\n".encode("cp1252"),
    "name,class\nZéphyrine,Class 5\n".encode("utf-16"),
])
def test_decode_upload_reads_common_encodings(data):
    assert decode_upload(data) == "name,class\nZéphyrine,Class 5\n"


def test_decode_upload_refuses_empty_and_binary():
    for data, message in ((b"", "empty"), (b"  \n", "empty"), (b"PK\x03\x04\x00\x00", "not a CSV"),
                          (b"x" * (1024 * 1024 + 1), "larger than 1 MB")):
        with pytest.raises(InvalidInput, match=message):
            decode_upload(data)


@pytest.mark.parametrize("text, header, rows", [
    ("name,pin\nAmina,1234\n", ["name", "pin"], [(2, ["Amina", "1234"])]),
    ("Name ; PIN\r\nAmina;1234\r\n\r\n;\r\nJuma;2345\r\n", ["Name", "PIN"], [(2, ["Amina", "1234"]), (5, ["Juma", "2345"])]),
    ("name\tclass\nAmina\tClass 5\n", ["name", "class"], [(2, ["Amina", "Class 5"])]),
    ('name,note\n"Juma, Hassan","two\nlines"\nNeema,x\n', ["name", "note"],
     [(2, ["Juma, Hassan", "two\nlines"]), (3, ["Neema", "x"])]),  # a spreadsheet shows one row per record
    ("name\n", ["name"], []),
])
def test_read_rows(text, header, rows):
    assert read_rows(text) == (header, rows)


@pytest.mark.parametrize("name, username", [
    ("Juma Hassan", "juma.hassan"), ("Zéphyrine  N'Diaye", "zephyrine.n.diaye"), ("O", "learner"),
    ("Ἀλέξανδρος", "learner"), ("  Amina-Said 2 ", "amina.said.2"),
])
def test_username_from(name, username):
    assert username_from(name) == username


CLASSES = {"class 5": "Class 5", "class 6": "Class 6"}


def _plan(text, taken=(), default=None):
    header, rows = read_rows(text)
    pins = iter(f"{n:04d}" for n in range(1000, 2000))
    return plan_import(header, rows, set(taken), CLASSES, default, lambda: next(pins))


def test_plan_makes_usernames_and_pins_and_notes_same_names():
    plan = _plan("Name,Class\nJuma Hassan,class 5\nJuma Hassan,Class 6\nNeema,CLASS 5\n", taken={"neema"})
    assert not plan.has_errors
    assert [(p.row, p.username, p.secret, p.class_name, p.secret_made_up) for p in plan.accounts] == [
        (2, "juma.hassan", "1000", "Class 5", True), (3, "juma.hassan2", "1001", "Class 6", True),
        (4, "neema2", "1002", "Class 5", True)]
    assert [(m.row, m.is_error) for m in plan.messages] == [(3, False)]
    assert "same name as row 2" in plan.messages[0].text


@pytest.mark.parametrize("text, row, message", [
    ("name,username,pin,class\nAmina,amina,4827,Class 5\nAmina B,amina,5913,Class 5\n", 3, "already used by row 2"),
    ("name,username,pin,class\nAmina,taken,4827,Class 5\n", 2, "already used by an account already on this server"),
    ("name,pin,class\nAmina,12,Class 5\n", 2, "4 to 12 digits (a spreadsheet may have dropped a leading 0)"),
    ("name,pin,class\nAmina,12ab,Class 5\n", 2, "The PIN must be 4 to 12 digits."),
    ("name,pin,class\n=HYPERLINK(\"x\"),4827,Class 5\n", 2, "starts with “=”, which spreadsheets treat as a formula"),
    ("name,pin,class\n@SUM(1),4827,Class 5\n", 2, "formula"),
    ("name,pin,class\nAmina,4827,Class 9\n", 2, "no class called “Class 9” (classes: Class 5, Class 6)"),
    ("name,pin\nAmina,4827\n", 2, "No class is given"),
    ("name,pin,class,role\nAmina,4827,Class 5,teacher\n", 2, "learner or coach"),
    ("name,pin,class,role\nMr Otieno,short,Class 5,coach\n", 2, "password of at least 8 characters"),
    ("name,username,class\nAmina,Amina Said,Class 5\n", 2, "must be 2-64 lowercase letters"),
    (",4827,Class 5\nx,y,z\n", 1, "first row must name the columns"),
    ("name,pin,class\n,4827,Class 5\n", 2, "The name is empty"),
    ("name,pin,class\n", 2, "no rows of people"),
])
def test_plan_reports_each_bad_row(text, row, message):
    plan = _plan(text, taken={"taken"})
    assert plan.has_errors
    errors = [m for m in plan.messages if m.is_error]
    assert errors[0].row == row and message in errors[0].text, errors


def test_plan_lists_every_problem_of_a_row_and_every_bad_row():
    plan = _plan("name,pin,class,extra\n=x,1,Nowhere,?\nAmina,4827,Class 5,\n\nJuma,99,,\n", default=None)
    errors = [(m.row, m.text) for m in plan.messages if m.is_error]
    assert [row for row, _ in errors] == [2, 5]
    assert "formula" in errors[0][1] and "4 to 12 digits" in errors[0][1] and "no class called" in errors[0][1]
    assert (1, "These columns are not used: extra.") in [(m.row, m.text) for m in plan.messages]


def test_plan_uses_the_default_class_and_coach_rows():
    plan = _plan("name,pin,role\nAmina,4827,\nMr Otieno,long-password,coach\n", default="Class 6")
    assert [(p.name, p.role, p.class_name, p.secret_made_up) for p in plan.accounts] == [
        ("Amina", "learner", "Class 6", False), ("Mr Otieno", "coach", None, False)]


def test_audit_details_in_words():
    detail = {"account_id": "u1", "username": "juma", "from_class": "c5", "to_class": "c6", "usernames": ["a", "b"],
              "class_id": None}
    assert describe_detail(detail, {"c5": "Class 5", "c6": "Class 6"}) == (
        "username: juma; from class: Class 5; to class: Class 6; usernames: a, b")
