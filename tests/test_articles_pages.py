"""What readers see: the published story's page, the latest stories on the home page, and what is taken down."""

from __future__ import annotations

import re

import pytest

from tests.helpers import Client, publish, signed_in, text_of, unpublish
from workflow.articles.rendering import markdown_to_html, read_minutes
from workflow.extensions import db
from workflow.submissions.models import Submission


def test_a_published_story_has_its_page_with_every_part(app, factory):
    body = " ".join(["word"] * 450) + "\n\n> A quote that stands out.\n\n## After the siege\n\nThe *end*."
    slug, _ = publish(app, factory, headline="The night bakers", dek="They work through the curfew.",
                       body=body, byline="A. Correspondent")
    reader = Client(app)
    response = reader.get(f"/articles/{slug}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = text_of(response)
    assert re.search(r'<h1 id="article-title"[^>]*>The night bakers</h1>', html)
    assert "They work through the curfew." in page
    assert "Written by A. Correspondent" in page  # the pen name, never the real name
    assert re.search(r"Published on \d\d \w{3} \d{4}", page)
    assert "Read time: Approx. 3 minutes" in page  # 455 words at 200 a minute
    assert '<blockquote dir="auto">\n<p dir="auto">A quote that stands out.</p>\n</blockquote>' in html
    assert '<h2 dir="auto">After the siege</h2>' in html and "<em>end</em>" in html
    assert "Become a contributor" in page and 'href="/pitch"' in html


def test_the_home_page_lists_the_latest_stories_newest_first_and_pages_back(app, factory):
    for n in range(12):
        publish(app, factory, headline=f"Published story {n:02d}")
    reader = Client(app)
    first = reader.get("/").get_data(as_text=True)
    assert "Published story 11" in first and "Published story 02" in first and "Published story 01" not in first
    assert first.index("Published story 11") < first.index("Published story 10")
    older = re.search(r'href="(/\?after=[^"]+)"', first).group(1).replace("&amp;", "&")
    second = text_of(reader.get(older))
    assert "Published story 01" in second and "Published story 00" in second and "Published story 11" not in second
    # A cursor that means nothing is the first page, not an error.
    assert reader.get("/?after=garbage").status_code == 200


def test_unpublishing_makes_the_page_gone_and_takes_it_off_the_home_page(app, factory):
    slug, _ = publish(app, factory, headline="A story taken down")
    unpublish(app, factory, slug)
    reader = Client(app)
    response = reader.get(f"/articles/{slug}")
    assert response.status_code == 410
    assert "This story is no longer published" in text_of(response)
    assert "A story taken down" not in text_of(reader.get("/"))
    assert reader.get("/articles/never-was-a-story").status_code == 404


def test_a_story_in_the_works_has_no_public_page(app, factory):
    editor = factory.user("editor")
    reporter = factory.user()
    story = factory.submission(reporter, "edited", editor=editor, headline="Not yet out")
    with app.app_context():
        assert db.session.get(Submission, story.id).slug is None
    assert "Not yet out" not in text_of(Client(app).get("/"))


def test_the_page_answers_304_to_a_reader_who_has_it_already(app, factory):
    slug, _ = publish(app, factory)
    reader = Client(app)
    first = reader.get(f"/articles/{slug}")
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    again = reader.get(f"/articles/{slug}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    since = reader.get(f"/articles/{slug}", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    assert reader.get(f"/articles/{slug}", headers={"If-None-Match": '"other"'}).status_code == 200


def test_the_home_and_contributor_pages_answer_304_until_a_story_is_published(app, factory):
    slug, _ = publish(app, factory, byline="K. Marsh")
    reader = Client(app)
    with app.app_context():
        contributor = db.session.scalar(db.select(Submission).where(Submission.slug == slug)).contributor.public_id
    for path in ("/", f"/contributors/{contributor}"):
        first = reader.get(path)
        assert first.headers.get("ETag") and first.headers.get("Last-Modified"), path
        assert reader.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304, path
    etag = reader.get("/").headers["ETag"]
    publish(app, factory, headline="A newer story")
    fresh = reader.get("/", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and "A newer story" in text_of(fresh)


def test_a_page_costs_the_same_queries_however_long_the_story_and_however_many_stories(app, factory,
                                                                                       count_queries):
    short_slug, _ = publish(app, factory, body="Short.")
    reader = Client(app)

    def queries(path):
        with count_queries() as counter:
            assert reader.get(path).status_code == 200
        return counter.count

    short, home = queries(f"/articles/{short_slug}"), queries("/")
    long_slug, _ = publish(app, factory, headline="A long one", body="\n\n".join(["A paragraph of words."] * 400))
    for n in range(15):
        publish(app, factory, headline=f"Another story {n}")
    # The story with its byline, section and top image; its tags; its body's images; its language and
    # translation; the sections of the menu.
    assert queries(f"/articles/{long_slug}") == short <= 5
    assert queries("/") == home <= 2  # the stories with their bylines and sections; the sections of the menu


# Safe rendering -----------------------------------------------------------------------------------------------

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<svg onload=alert(1)>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "![x](javascript:alert(1))",
    "<p onclick=\"alert(1)\">hi</p>",
    "`<script>alert(1)</script>`",
    "<<script>script>alert(1)<</script>/script>",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_markdown_renders_inert(payload):
    html = str(markdown_to_html(f"Before.\n\n{payload}\n\nAfter."))
    lowered = html.lower()
    assert "<script" not in lowered and "<iframe" not in lowered and "<svg" not in lowered and "<img" not in lowered
    assert not re.search(r"<[^>]+\son\w+\s*=", lowered)  # no event handler attribute on any tag
    assert not re.search(r'href="(?:javascript|data):', lowered)
    assert not re.search(r"<[^>]+\sstyle=", lowered)
    assert "Before." in html and "After." in html


def test_hostile_headline_dek_and_byline_render_as_text(app, factory):
    slug, _ = publish(app, factory, headline="<script>alert('h')</script> Headline",
                       dek="<img src=x onerror=alert('d')>", body="<b onmouseover=alert(1)>Body</b>",
                       byline="<svg onload=alert('b')>")
    html = Client(app).get(f"/articles/{slug}").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html
    assert "&lt;script&gt;alert(&#39;h&#39;)&lt;/script&gt; Headline" in html
    assert "<b onmouseover" not in html


def test_read_time_counts_words_and_is_at_least_a_minute():
    assert read_minutes("") == 1
    assert read_minutes("one two three") == 1
    assert read_minutes(" ".join(["word"] * 200)) == 1
    assert read_minutes(" ".join(["word"] * 201)) == 2
    assert read_minutes("Al-Zahraa's people don't leave. " * 100) == 2  # 400 words: hyphens and apostrophes


# Discovery -----------------------------------------------------------------------------------------------------

def test_the_atom_feed_lists_published_stories_and_a_feed_parser_reads_it(app, factory):
    import feedparser

    slug, _ = publish(app, factory, headline="Water at the border", dek="Queues before dawn.",
                       body="The *first* line.", byline="R. Field")
    publish(app, factory, headline="A later story")
    response = Client(app).get("/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert [e.title for e in feed.entries] == ["A later story", "Water at the border"]
    entry = feed.entries[1]
    assert entry.link == f"http://desk.test/articles/{slug}"
    assert entry.author == "R. Field" and entry.summary == "Queues before dawn."
    assert "<em>first</em>" in entry.content[0].value
    again = Client(app).get("/feed.atom", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_unpublished_stories_leave_the_feed_and_the_sitemap(app, factory):
    import feedparser

    kept, _ = publish(app, factory, headline="Still out")
    gone, _ = publish(app, factory, headline="Taken down")
    unpublish(app, factory, gone, "Legal asked.")
    reader = Client(app)
    assert [e.title for e in feedparser.parse(reader.get("/feed.atom").get_data()).entries] == ["Still out"]
    sitemap = reader.get("/sitemap.xml")
    assert sitemap.mimetype == "application/xml"
    body = sitemap.get_data(as_text=True)
    assert f"<loc>http://desk.test/articles/{kept}</loc><lastmod>" in body
    assert gone not in body and "<loc>http://desk.test/</loc>" in body


def test_robots_point_to_the_sitemap_and_keep_crawlers_off_the_desk(client):
    text = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://desk.test/sitemap.xml" in text
    assert "Disallow: /queue" in text and "Disallow: /submissions/" in text and "Disallow: /admin/" in text
    assert "Disallow: /articles" not in text


def test_the_page_names_its_canonical_address_and_describes_itself_for_sharing(app, factory):
    slug, _ = publish(app, factory, headline="Chess in the shelter", dek="A tournament underground.")
    html = Client(app).get(f"/articles/{slug}").get_data(as_text=True)
    assert f'<link rel="canonical" href="http://desk.test/articles/{slug}">' in html
    assert '<meta property="og:title" content="Chess in the shelter">' in html
    assert '<meta property="og:description" content="A tournament underground.">' in html
    assert '<meta name="twitter:card" content="summary">' in html
    assert '<link rel="alternate" type="application/atom+xml"' in html


def test_a_new_headline_gets_a_new_address_and_the_old_one_redirects(app, factory):
    from workflow.people.models import User
    from workflow.submissions import services

    slug, editor = publish(app, factory, headline="Bakers of the old city")
    unpublish(app, factory, slug, "A new headline.")
    with app.app_context():
        story = db.session.scalar(db.select(Submission).where(Submission.slug == slug))
        services.save_draft(db.session.get(User, editor.id), story, "Night bakers keep a city fed", "Dek.", "Body.")
        services.transition(db.session.get(User, editor.id), story, services.TransitionInput(
            action="publish", seen_version=story.version))
        db.session.commit()
        new_slug = db.session.get(Submission, story.id).slug
    assert slug == "bakers-of-the-old-city" and new_slug == "night-bakers-keep-a-city-fed"
    reader = Client(app)
    response = reader.get(f"/articles/{slug}")
    assert response.status_code == 301 and response.location.endswith(f"/articles/{new_slug}")
    assert "Night bakers keep a city fed" in text_of(reader.get(response.location))
    # Another story with the old headline does not take the old address.
    other, _ = publish(app, factory, headline="Bakers of the old city")
    assert other == "bakers-of-the-old-city-2"


# The contributor's public page ------------------------------------------------------------------------------------

def test_the_byline_leads_to_a_public_page_with_only_what_the_contributor_chose(app, factory):
    from workflow.people.models import User

    slug, _ = publish(app, factory, headline="Radio from car boots", byline="A. Correspondent")
    with app.app_context():
        reporter = db.session.scalar(db.select(User).where(User.byline_name == "A. Correspondent"))
        public_id, real_name, email = reporter.public_id, reporter.display_name, reporter.email
    reader = Client(app)
    article = reader.get(f"/articles/{slug}").get_data(as_text=True)
    link = f'href="/contributors/{public_id}"'
    assert link in article
    page = text_of(reader.get(f"/contributors/{public_id}"))
    assert "A. Correspondent" in page and "Radio from car boots" in page
    assert real_name not in page and email not in page

    # The contributor adds a few words for readers, from their account page.
    author = Client(app)
    assert author.login(email).status_code == 303
    response = author.post("/account/profile", {"display_name": real_name, "byline_name": "A. Correspondent",
                                               "public_bio": "Reports from the north since 2019."})
    assert response.status_code == 303
    assert "Reports from the north since 2019." in text_of(reader.get(f"/contributors/{public_id}"))


def test_no_public_page_for_someone_who_never_published(app, factory):
    from workflow.people.models import User

    reporter = factory.user(byline="Never Published")
    with app.app_context():
        public_id = db.session.get(User, reporter.id).public_id
    assert Client(app).get(f"/contributors/{public_id}").status_code == 404
    assert Client(app).get("/contributors/not-anyone").status_code == 404


def test_a_bio_too_long_is_refused_next_to_the_field_and_kept(app, factory):
    reporter = factory.user()
    author = signed_in(app, reporter)
    bio = "x" * 601
    response = author.post("/account/profile", {"display_name": "Name", "byline_name": "Byline",
                                               "public_bio": bio})
    assert response.status_code == 422
    assert "At most 600 characters." in text_of(response) and bio in response.get_data(as_text=True)
