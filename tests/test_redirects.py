"""Redirects go only to paths on this site, read the way a browser reads a `Location` header: one helper
(server/web/redirects.py) for every `next` followed (/language, sign-in), a table of known tricks, and
Hypothesis over any text, against the helper and the real routes (never a 500, never off-site)."""
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.web.redirects import safe_redirect_target

FUZZ = settings(max_examples=300, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
BASE = "http://school.test:8080/packs/fractions"
OFF_SITE = ["//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "/\t/evil.example",
            "/\n/evil.example", "/\r\n/evil.example", " //evil.example", "\x00//evil.example", "/\\/evil.example",
            "\t//evil.example", "https://evil.example/", "http:evil.example", "javascript:alert(1)",
            "JaVaScRiPt:alert(1)", "data:text/html,x", "evil.example", "", " ", "/\x00/x", "/\x7f", "\\/evil.example",
            "/\u0009\u0009/evil.example", "/" + "\n" * 5 + "/evil.example", "x" * 3000]
ON_SITE = [("/me", "/me"), ("/search?q=fraction", "/search?q=fraction"), ("/search?q=a b", "/search?q=a%20b"),
           ("/packs/fractions/lessons/x#part", "/packs/fractions/lessons/x#part"), ("/%2F/x", "/%2F/x"),
           ("/ni\u00f1o", "/ni%C3%B1o"), ("/a/\t\tb", "/a/b"), ("/%09/x", "/%09/x")]
texts = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(list("/\\\t\n\r :%.@?#0aA") + ["%09", "%0A", "%2F", "%5C", "\x00", "\u3002",
                                                           "\uff0f"]), max_size=20).map("".join),
    st.builds(lambda a, b: a + b, st.sampled_from(["/", "//", "/\\", "\\", " /", "/\t/", "http:", ""]),
              st.text(max_size=30)),
)


def lands_on_this_site(location: str) -> bool:
    """Where a browser on BASE goes with this Location: this host, over http, and nowhere else."""
    cleaned = location.replace("\t", "").replace("\n", "").replace("\r", "").strip().replace("\\", "/")
    target = urlsplit(urljoin(BASE, cleaned))
    return target.scheme == "http" and target.netloc == "school.test:8080" and location.isascii()


@pytest.mark.parametrize("target", OFF_SITE)
def test_off_site_and_scheme_targets_go_home(target):
    assert safe_redirect_target(target) == "/"


@pytest.mark.parametrize("target, expected", ON_SITE)
def test_paths_on_this_site_are_kept_as_a_browser_reads_them(target, expected):
    assert safe_redirect_target(target) == expected


@FUZZ
@given(texts)
def test_no_text_ever_becomes_an_off_site_or_scheme_url(target):
    result = safe_redirect_target(target)
    assert result.startswith("/") and not result.startswith("//") and "\\" not in result
    assert lands_on_this_site(result), (target, result)
    assert all(32 < ord(c) < 127 for c in result), result


@FUZZ
@given(texts)
def test_the_language_switcher_never_fails_and_never_leaves_the_site(app, target):
    response = app.test_client().get("/language", query_string={"lang": "fr", "next": target})
    assert response.status_code == 302, (target, response.status_code)
    assert lands_on_this_site(response.headers["Location"]), (target, response.headers["Location"])


@pytest.mark.parametrize("target", ["/%09/evil.example", "/%0A/x", "/%5C/evil.example", "/%0D%0A/evil.example"])
def test_encoded_tricks_in_the_query_string_are_refused_not_a_500(app, target):
    response = app.test_client().get(f"/language?lang=fr&next={target}")
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE[:12] + [t for t, _ in ON_SITE[:4]])
def test_sign_in_follows_next_only_on_this_site(app, people, target):
    client = app.test_client()
    page = client.get("/signin").get_data(as_text=True)
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    response = client.post("/signin", data={"csrf": csrf, "username": "amina", "password": "1234", "next": target})
    assert response.status_code in (302, 303), response.status_code
    location = response.headers["Location"]
    assert lands_on_this_site(location)
    assert location == (dict(ON_SITE).get(target) or "/")
