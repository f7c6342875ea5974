"""The converted Kolibri channel and H5P activities (imported by live_server.py from the corpus) are in
the crawl, so the HTML checker, axe and the page budgets check their pages like every other."""
import pytest

pytestmark = [pytest.mark.slow]
CHANNEL = "kolibri-c96a6036264e508fa22bd58bf4a9d61b"


def test_crawl_reaches_the_converted_pages(site, corpus):
    urls = {page.url for page in site("learner")}
    lessons = {u for u in urls if u.startswith(f"/packs/{CHANNEL}/lessons/") and "/transcript/" not in u}
    assert any("/transcript/" in u for u in urls)
    assert len(lessons) == 3, sorted(urls)
    assert any(u.startswith(f"/practice/{CHANNEL}/") for u in urls)
    assert any(u.startswith("/packs/h5p-h5p-test") for u in urls) and any(u.startswith("/practice/h5p-") for u in urls)
    app_page = next(p for p in site("learner") if p.url.endswith("/lessons/29e34f6c22e8527a8112144b2e072e65"))
    assert 'sandbox="allow-scripts"' in app_page.html and "needs JavaScript" in app_page.html
