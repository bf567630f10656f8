"""How readers find stories: section and tag pages, the search, the section feeds and the sitemap; and the
admins' page that manages the sections."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from tests.helpers import Client, publish, signed_in, text_of, unpublish
from workflow.articles import views as article_views
from workflow.articles.models import Section, Tag
from workflow.extensions import db
from workflow.submissions.models import Submission

HEADLINE = re.compile(r'class="story-list__headline"><a href="/articles/([^"]+)">')


def _section(app, name: str = "Analysis", slug: str | None = None, position: int = 1,
             description: str = "") -> int:
    with app.app_context():
        section = Section(name=name, slug=slug or name.lower(), position=position, description=description)
        db.session.add(section)
        db.session.commit()
        return section.id


def _file(app, slug: str, section_id: int | None = None, tags: tuple[str, ...] = ()) -> None:
    """Put a published story in a section and under tags, as the editor's page form would."""
    with app.app_context():
        story = db.session.scalar(sa.select(Submission).where(Submission.slug == slug))
        story.section_id = section_id
        rows = []
        for name in tags:
            tag = db.session.scalar(sa.select(Tag).where(Tag.slug == name.lower()))
            if tag is None:
                tag = Tag(slug=name.lower(), name=name)
                db.session.add(tag)
            rows.append(tag)
        story.tags = rows
        db.session.commit()


def _publish_many(app, factory, count: int, prefix: str, section_id: int | None = None,
                  tags: tuple[str, ...] = ()) -> list[str]:
    """``count`` published stories by one reporter (fewer password hashes than one pair of people each),
    oldest first; their slugs."""
    from workflow.people.models import User
    from workflow.submissions import services

    editor = factory.user("editor")
    reporter = factory.user(byline="R. Many")
    slugs = []
    for n in range(count):
        headline = f"{prefix} {n:02d}"
        ref = factory.submission(reporter, "assigned", editor=editor, headline=headline, with_draft=False)
        with app.app_context():
            story = db.session.get(Submission, ref.id)
            services.save_draft(db.session.get(User, reporter.id), story, headline, f"The dek of {headline}.",
                                "\n\n".join([f"A paragraph of {headline}."] * (n + 1)))
            for action in ("mark_edited", "publish"):
                services.transition(db.session.get(User, editor.id), story, services.TransitionInput(
                    action=action, seen_version=story.version))
            db.session.commit()
            slugs.append(story.slug)
        _file(app, slugs[-1], section_id, tags)
    return slugs


def listed(response) -> list[str]:
    """The slugs of the stories a list page shows, in order."""
    assert response.status_code == 200, response.status_code
    return HEADLINE.findall(response.get_data(as_text=True))


def link(response, label: str) -> str | None:
    match = re.search(r'<a class="story-pager__\w+" href="([^"]+)"[^>]*>(?:<span[^>]*>[^<]*</span>)?' + label,
                      response.get_data(as_text=True))
    return unescape(match.group(1)) if match else None


def walk(reader: Client, first: str) -> list[list[str]]:
    """Follow "Older stories" from ``first`` to the end; the slugs of each page."""
    pages, url = [], first
    while url:
        response = reader.get(url)
        pages.append(listed(response))
        url = link(response, "Older stories")
        assert len(pages) < 50, "the pager goes round in circles"
    return pages


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(article_views, "LIST_SIZE", 3)


# Section pages ------------------------------------------------------------------------------------------------

def test_a_section_lists_its_published_stories_newest_first_page_by_page(app, factory, small_pages):
    analysis = _section(app, "Analysis", description="Why things happen.")
    news = _section(app, "News", position=0)
    mine = _publish_many(app, factory, 8, "Analysis story", analysis)
    others = _publish_many(app, factory, 2, "News story", news)
    editor, reporter = factory.user("editor"), factory.user()
    unpublished = factory.submission(reporter, "edited", editor=editor, headline="Not out yet")
    with app.app_context():
        db.session.get(Submission, unpublished.id).section_id = analysis
        db.session.commit()

    reader = Client(app)
    pages = walk(reader, "/sections/analysis")
    assert [len(page) for page in pages] == [3, 3, 2]
    seen = [slug for page in pages for slug in page]
    assert seen == list(reversed(mine))  # newest first, none twice, none missing
    assert not set(seen) & set(others)

    first = reader.get("/sections/analysis")
    page = text_of(first)
    assert "Analysis" in page and "Why things happen." in page and "Not out yet" not in page
    assert link(first, "Newer stories") is None
    second = reader.get(link(first, "Older stories"))
    assert listed(second) == seen[3:6]
    assert listed(reader.get(link(second, "Newer stories"))) == seen[:3]  # and back
    last = reader.get(link(second, "Older stories"))
    assert link(last, "Older stories") is None and listed(reader.get(link(last, "Newer stories"))) == seen[3:6]
    # A cursor that means nothing, or points past the end, is the first page, not an error.
    for cursor in ("garbage", "2001-01-01T00:00:00|1", "9999-12-31T00:00:00+00:00|x", "x" * 500, "|", "1|-5"):
        assert listed(reader.get("/sections/analysis", query_string={"after": cursor})) == seen[:3], cursor
        assert listed(reader.get("/sections/analysis", query_string={"before": cursor})) == seen[:3], cursor
    assert listed(reader.get("/sections/analysis", query_string={"after": "2001-01-01T00:00:00+00:00|1"})) == \
        seen[:3]
    assert listed(reader.get("/sections/analysis", query_string={"before": "9999-01-01T00:00:00+00:00|1"})) == \
        seen[:3]


def test_a_section_page_describes_itself_and_offers_its_feed(app, factory):
    analysis = _section(app, "Analysis", description="Why things happen.")
    slug, _ = publish(app, factory, headline="Why the bridge fell")
    _file(app, slug, analysis)
    html = Client(app).get("/sections/analysis").get_data(as_text=True)
    assert '<link rel="canonical" href="http://desk.test/sections/analysis">' in html
    assert '<meta name="description" content="Why things happen.">' in html
    assert '<meta property="og:title" content="Analysis · ' in html and '<meta name="twitter:card"' in html
    assert re.search(r'<link rel="alternate" type="application/atom\+xml"( dir="auto")? title="Analysis[^"]*" '
                     r'href="/sections/analysis/feed.atom">', html)
    assert '<meta name="robots"' not in html


def test_an_unknown_section_is_not_found_and_an_empty_one_says_so(app, factory):
    _section(app, "Culture")
    reader = Client(app)
    assert reader.get("/sections/no-such-section").status_code == 404
    assert reader.get("/sections/no-such-section/feed.atom").status_code == 404
    empty = reader.get("/sections/culture")
    assert empty.status_code == 200 and "No stories yet in Culture" in text_of(empty)


def test_a_section_page_answers_304_to_a_reader_who_has_it_and_changes_with_its_stories(app, factory):
    analysis = _section(app)
    slug, _ = publish(app, factory, headline="First analysis")
    _file(app, slug, analysis)
    reader = Client(app)
    first = reader.get("/sections/analysis")
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    again = reader.get("/sections/analysis", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    since = reader.get("/sections/analysis", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    other, _ = publish(app, factory, headline="Second analysis")
    _file(app, other, analysis)
    changed = reader.get("/sections/analysis", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "Second analysis" in text_of(changed)


# Tag pages ----------------------------------------------------------------------------------------------------

def test_a_tag_lists_its_published_stories_newest_first_page_by_page(app, factory, small_pages):
    news = _section(app, "News")
    tagged = _publish_many(app, factory, 5, "Kherson story", news, tags=("Kherson", "Water"))
    untagged = _publish_many(app, factory, 2, "Elsewhere", news, tags=("Water",))
    reader = Client(app)
    pages = walk(reader, "/tags/kherson")
    assert [slug for page in pages for slug in page] == list(reversed(tagged))
    assert [len(page) for page in pages] == [3, 2]
    first = reader.get("/tags/kherson")
    assert "Kherson" in text_of(first) and "News" in text_of(first)  # the section is the card's kicker
    assert '<link rel="canonical" href="http://desk.test/tags/kherson">' in first.get_data(as_text=True)
    water = [slug for page in walk(reader, "/tags/water") for slug in page]
    assert water == list(reversed(tagged + untagged))
    assert reader.get("/tags/no-such-tag").status_code == 404
    etag = first.headers["ETag"]
    assert reader.get("/tags/kherson", headers={"If-None-Match": etag}).status_code == 304


# Search -------------------------------------------------------------------------------------------------------

@pytest.fixture
def stories(app, factory):
    """Three published stories and one that is not, with words in different parts."""
    slugs = {}
    slugs["bakers"], _ = publish(app, factory, headline="Night bakers of the old city",
                                  dek="Bread keeps a district going.", body="Flour arrives before the curfew.")
    slugs["river"], _ = publish(app, factory, headline="Ferries on the river",
                                 dek="Crossing to the market.", body="The ferrymen count sandbags every morning.")
    slugs["school"], _ = publish(app, factory, headline="A school in the basement",
                                  dek="Lessons go on underground.", body="Teachers bring generators.")
    editor, reporter = factory.user("editor"), factory.user()
    factory.submission(reporter, "edited", editor=editor, headline="Secret bakers draft")
    return slugs


@pytest.mark.parametrize(("q", "expected"), [
    ("bakers", ["bakers"]),  # a word of the headline
    ("district", ["bakers"]),  # of the dek
    ("sandbags", ["river"]),  # of the body
    ("BASEMENT", ["school"]),  # whatever the capitals
    ("ferries market", ["river"]),  # every word, in different parts
    ("ferries curfew", []),  # two words that no one story has
    ("the", None),  # a stop word on PostgreSQL; every story on SQLite: no error either way
])
def test_search_finds_published_stories_by_words_of_headline_dek_and_body(app, stories, q, expected):
    response = Client(app).get("/search", query_string={"q": q})
    assert response.status_code == 200
    found = listed(response)
    if expected is not None:
        assert found == [stories[key] for key in expected]
    assert "Secret bakers draft" not in text_of(response)  # never a story that is not published


def test_search_results_are_newest_first_and_paged(app, factory, small_pages):
    slugs = _publish_many(app, factory, 7, "Convoy report")
    reader = Client(app)
    assert [slug for page in walk(reader, "/search?q=convoy") for slug in page] == list(reversed(slugs))
    second = link(reader.get("/search?q=convoy"), "Older stories")
    assert "q=convoy" in second


def walk_back(reader: Client, last: str) -> list[list[str]]:
    """Follow "Newer stories" from ``last`` to the first page; the slugs of each page, newest page first."""
    pages, url = [], last
    while url:
        response = reader.get(url)
        pages.insert(0, listed(response))
        url = link(response, "Newer stories")
        assert len(pages) < 50, "the pager goes round in circles"
    return pages


@pytest.mark.parametrize("window", [1, 3, 4, 1000])
def test_a_search_finds_the_same_stories_in_the_same_pages_whatever_its_window(app, factory, small_pages,
                                                                              monkeypatch, window):
    """A search reads the newest stories in order first, then asks the index for the rest: at every size of that
    window, the stories, their order and the pages (forwards and back) are those of the whole list."""
    from workflow.articles import services as article_services

    older = _publish_many(app, factory, 5, "Convoy report")
    middle = _publish_many(app, factory, 4, "Harbour note")
    newer = _publish_many(app, factory, 5, "Convoy evening")
    monkeypatch.setattr(article_services, "SEARCH_WINDOW", window)
    reader = Client(app)
    expected = {"convoy": newer[::-1] + older[::-1], "harbour": middle[::-1], "report": older[::-1],
                '"convoy evening"': newer[::-1], "zeppelin": []}
    for q, stories in expected.items():
        pages = walk(reader, "/search?" + urlencode({"q": q}))
        assert pages == [stories[n:n + 3] for n in range(0, len(stories), 3)] or (not stories and pages == [[]]), q
        if len(pages) > 1:
            last = link(reader.get("/search?" + urlencode({"q": q})), "Older stories")
            while (following := link(reader.get(last), "Older stories")) is not None:
                last = following
            assert walk_back(reader, last) == pages, q


def test_the_search_page_has_a_labelled_form_and_keeps_result_pages_out_of_search_engines(app, stories):
    reader = Client(app)
    form = reader.get("/search")
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    assert re.search(r'<label[^>]* for="search-q"[^>]*>Search our stories</label>', html)
    assert re.search(r'<input type="search" id="search-q" name="q"', html)
    assert 'name="robots"' not in html and listed(form) == []
    results = reader.get("/search?q=bakers").get_data(as_text=True)
    assert '<meta name="robots" content="noindex">' in results
    assert 'value="bakers"' in results  # the form keeps what was typed
    assert "No stories match “nothing-like-this”" in text_of(reader.get("/search?q=nothing-like-this"))


HOSTILE = ["%", "_", "%%", "%_%", "\\", "'", "''", '"', '"unclosed', "&|!:*", "!bakers", "-", "(", ")(", "<->",
           "bakers:*", "'; DROP TABLE submissions; --", "\x00", "bak\x00ers", "or", "OR AND", "-bakers",
           "\U0001f4a5", "\u00e9" * 300, "x " * 150, "\\%", "[a-z]*", "%(q)s", ":q", "?", "\x1b[31m", "b" * 2000,
           "bakers " * 400]


def test_hostile_and_huge_searches_answer_200_and_match_nothing_by_accident(app, stories):
    reader = Client(app)
    for q in HOSTILE:
        response = reader.get("/search", query_string={"q": q})
        assert response.status_code == 200, repr(q[:20])
        if not re.search(r"[^\W_]", q):  # only punctuation: it must not match everything
            assert listed(response) == [], repr(q)
    # A NUL between words is a space; the page keeps working afterwards (no aborted transaction).
    assert listed(reader.get("/search", query_string={"q": "night\x00bakers"})) == [stories["bakers"]]
    assert listed(reader.get("/search?q=bakers")) == [stories["bakers"]]


def test_an_empty_search_runs_no_query(app, stories, count_queries):
    reader = Client(app)

    def queries(path):
        with count_queries() as counter:
            response = reader.get(path)
        assert response.status_code == 200 and listed(response) == []
        return counter.count

    bare = queries("/search")
    assert queries("/search?q=") == bare
    assert queries("/search?q=+++%09") == bare
    assert queries("/search?q=%25%25") == bare  # no letter nor digit: nothing to look for


def test_search_on_postgresql_uses_the_published_full_text_index(app, factory, stories):
    """The search's expression and its ``state = 'published'`` are those of the partial GIN index: with a few
    thousand published stories the planner takes it for the page's query (ORDER BY ... LIMIT included)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the GIN expression index exists on PostgreSQL only")
        from workflow.articles.services import search_condition

        editor, reporter = factory.user("editor"), factory.user()
        db.session.execute(sa.text(
            "INSERT INTO submissions (contributor_id, editor_id, state, headline, summary, angle, sources, experience,"
            " deadline, published_at, slug, published_headline, published_dek, published_body, created_at,"
            " pitched_at, last_activity_at, last_activity, version)"
            " SELECT :reporter, :editor, 'published', 'Filler ' || n, 's', 'a', 's', '', current_date,"
            " now() - n * interval '1 minute', 'filler-' || n, 'Weather report ' || n, 'Rain again.',"
            " 'Clouds over the hills, day ' || n, now(), now(), now(), 'published', 1"
            " FROM generate_series(1, 3000) AS n"), {"reporter": reporter.id, "editor": editor.id})
        db.session.commit()
        query = (sa.select(Submission.id).where(Submission.state == "published", search_condition("bakers curfew"))
                 .order_by(Submission.published_at.desc(), Submission.id.desc()).limit(21))
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        with db.engine.connect() as connection:
            connection.execute(sa.text("ANALYZE submissions"))
            connection.execute(sa.text("SET enable_seqscan = off"))
            plan = "\n".join(connection.execute(sa.text(f"EXPLAIN {compiled}")).scalars())
        assert "ix_submissions_published_search" in plan, plan


# Taken down: gone from every list -------------------------------------------------------------------------------

def test_a_story_taken_down_leaves_its_section_its_tag_the_search_and_the_feeds(app, factory):
    import feedparser

    analysis = _section(app)
    kept, _ = publish(app, factory, headline="Kept analysis of the dam")
    gone, _ = publish(app, factory, headline="Withdrawn analysis of the dam")
    for slug in (kept, gone):
        _file(app, slug, analysis, tags=("Dams",))
    reader = Client(app)
    assert len(listed(reader.get("/sections/analysis"))) == 2
    unpublish(app, factory, gone)
    assert listed(reader.get("/sections/analysis")) == [kept]
    assert listed(reader.get("/tags/dams")) == [kept]
    assert listed(reader.get("/search?q=dam")) == [kept]
    for path in ("/feed.atom", "/sections/analysis/feed.atom"):
        assert [e.title for e in feedparser.parse(reader.get(path).get_data()).entries] == \
            ["Kept analysis of the dam"], path


# Feeds and the sitemap ------------------------------------------------------------------------------------------

def test_a_section_feed_lists_only_that_sections_stories_and_a_feed_parser_reads_it(app, factory):
    import feedparser

    analysis = _section(app, "Analysis", description="Why things happen.")
    news = _section(app, "News")
    first, _ = publish(app, factory, headline="Why the grid fails", dek="Three winters.", body="The *first* line.",
                        byline="R. Field")
    elsewhere, _ = publish(app, factory, headline="Shelling overnight")
    second, _ = publish(app, factory, headline="Why prices rose")
    _file(app, first, analysis)
    _file(app, second, analysis)
    _file(app, elsewhere, news)
    reader = Client(app)
    response = reader.get("/sections/analysis/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert feed.feed.title.startswith("Analysis") and feed.feed.subtitle == "Why things happen."
    assert feed.feed.link == "http://desk.test/sections/analysis"
    assert [e.title for e in feed.entries] == ["Why prices rose", "Why the grid fails"]
    entry = feed.entries[1]
    assert entry.link == f"http://desk.test/articles/{first}"
    assert entry.author == "R. Field" and entry.summary == "Three winters."
    assert "<em>first</em>" in entry.content[0].value
    assert reader.get("/sections/analysis/feed.atom",
                      headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    _section(app, "Empty")
    empty = feedparser.parse(reader.get("/sections/empty/feed.atom").get_data())
    assert not empty.bozo and empty.entries == []


def test_the_sitemap_lists_the_section_and_tag_pages(app, factory):
    analysis = _section(app, "Analysis")
    _section(app, "Culture")
    slug, _ = publish(app, factory, headline="Why the grid fails")
    _file(app, slug, analysis, tags=("Energy",))
    with app.app_context():
        db.session.add(Tag(slug="unused", name="Unused"))
        db.session.commit()
    body = Client(app).get("/sitemap.xml").get_data(as_text=True)
    assert f"<loc>http://desk.test/articles/{slug}</loc><lastmod>" in body
    assert "<loc>http://desk.test/sections/analysis</loc><lastmod>" in body
    assert "<url><loc>http://desk.test/sections/culture</loc></url>" in body  # empty: no date to give
    assert "<loc>http://desk.test/tags/energy</loc><lastmod>" in body
    assert "/tags/unused" not in body  # a tag with no published story has no page worth crawling


def test_the_sitemap_costs_one_query_per_kind(app, factory, count_queries):
    analysis = _section(app, "Analysis")
    for slug in _publish_many(app, factory, 3, "Mapped"):
        _file(app, slug, analysis, tags=("One", "Two"))
    with count_queries() as counter:
        assert Client(app).get("/sitemap.xml").status_code == 200
    assert counter.count == 3


# What a list page costs -------------------------------------------------------------------------------------------

def test_list_pages_cost_the_same_queries_with_3_and_with_30_stories(app, factory, count_queries):
    analysis = _section(app)
    _publish_many(app, factory, 3, "Energy story", analysis, tags=("Energy",))
    reader = Client(app)
    paths = ["/sections/analysis", "/tags/energy", "/search?q=energy", "/", "/sections/analysis/feed.atom"]

    def queries(path):
        with count_queries() as counter:
            assert reader.get(path).status_code == 200
        return counter.count, counter.statements

    small = {path: queries(path)[0] for path in paths}
    _publish_many(app, factory, 27, "Energy story more", analysis, tags=("Energy",))
    assert len(listed(reader.get("/sections/analysis"))) == 20  # a full page now
    for path in paths:
        count, statements = queries(path)
        assert count == small[path], (path, statements)
    # The story list itself is one query; the section or tag one more; the navigation's sections one more. A search
    # asks first where its window of the newest stories ends (and a rare word, on an archive larger than the
    # window, asks the trigram index once more).
    assert small["/sections/analysis"] <= 3 and small["/tags/energy"] <= 3 and small["/search?q=energy"] <= 3
    print("queries per page:", small)


# Admins manage the sections -------------------------------------------------------------------------------------

def test_an_admin_adds_edits_and_deletes_a_section(app, factory):
    admin = signed_in(app, factory.user("admin"))
    page = admin.get("/admin/sections")
    assert page.status_code == 200 and "No sections yet" in text_of(page)

    created = admin.post("/admin/sections", {"name": "  Analysis  ", "description": "Why things happen.",
                                             "position": "2"}, page="/admin/sections")
    assert created.status_code == 303 and created.location.endswith("/admin/sections")
    with app.app_context():
        section = db.session.scalar(sa.select(Section))
        section_id = section.id
        assert (section.name, section.slug, section.description, section.position) == \
            ("Analysis", "analysis", "Why things happen.", 2)
    listing = text_of(admin.get("/admin/sections"))
    assert "Analysis" in listing and "/sections/analysis" in listing
    assert Client(app).get("/sections/analysis").status_code == 200

    # A name whose address is taken gets a numbered address.
    assert admin.post("/admin/sections", {"name": "Analysis!", "position": "3"},
                      page="/admin/sections").status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(Section.slug).where(Section.name == "Analysis!")) == "analysis-2"

    edited = admin.post(f"/admin/sections/{section_id}", {"name": "Opinion", "description": "", "position": "0"},
                        page="/admin/sections")
    assert edited.status_code == 303
    with app.app_context():
        section = db.session.get(Section, section_id)
        assert (section.name, section.slug, section.position) == ("Opinion", "analysis", 0)  # the address stays

    # Delete: a page first, saying how many stories it holds; they stay, with no section.
    slug, _ = publish(app, factory, headline="An opinion on bridges")
    _file(app, slug, section_id)
    with app.app_context():
        version = db.session.scalar(sa.select(Submission.version).where(Submission.slug == slug))
    confirm = admin.get(f"/admin/sections/{section_id}/delete")
    assert confirm.status_code == 200
    assert "It holds 1 story" in text_of(confirm)
    with app.app_context():
        assert db.session.get(Section, section_id) is not None  # asking deletes nothing
    deleted = admin.post(f"/admin/sections/{section_id}/delete", page=f"/admin/sections/{section_id}/delete")
    assert deleted.status_code == 303
    with app.app_context():
        assert db.session.get(Section, section_id) is None
        story = db.session.scalar(sa.select(Submission).where(Submission.slug == slug))
        assert story.section_id is None and story.state.value == "published" and story.version == version + 1
    assert "Its 1 story has no section now" in text_of(admin.get("/admin/sections"))
    reader = Client(app)
    assert reader.get("/sections/analysis").status_code == 404
    assert reader.get(f"/articles/{slug}").status_code == 200


@pytest.mark.parametrize("name", ["Analysis", "analysis", " ANALYSIS "])
def test_a_duplicate_name_is_refused_next_to_the_field_and_kept(app, factory, name):
    _section(app, "Analysis")
    admin = signed_in(app, factory.user("admin"))
    response = admin.post("/admin/sections", {"name": name, "description": "Kept text.", "position": "4"},
                          page="/admin/sections")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is already a section called “Analysis”" in text_of(response) or \
        f"There is already a section called “{name.strip()}”" in text_of(response)
    assert re.search(r'class="error-message" id="name-error"', html)
    assert f'value="{name}"' in html and "Kept text." in html and 'value="4"' in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Section)) == 1


def test_renaming_to_another_sections_name_is_refused(app, factory):
    _section(app, "Analysis")
    news = _section(app, "News")
    admin = signed_in(app, factory.user("admin"))
    response = admin.post(f"/admin/sections/{news}", {"name": "analysis", "position": "1"}, page="/admin/sections")
    assert response.status_code == 422 and "There is already a section called “analysis”" in text_of(response)
    assert "<h1 dir=\"auto\">News</h1>" in response.get_data(as_text=True)  # the page still names the section as stored
    # Saving it under its own name, in other capitals, is fine.
    assert admin.post(f"/admin/sections/{news}", {"name": "NEWS", "position": "1"},
                      page="/admin/sections").status_code == 303


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "", "position": "1"}, "Give the section a name."),
    ({"name": "!!!", "position": "1"}, "The name needs at least one letter or digit"),
    ({"name": "x" * 81, "position": "1"}, "At most 80 characters."),
    ({"name": "Maps", "position": "first"}, "Not a valid integer value."),
    ({"name": "Maps", "position": "-1"}, "A whole number from 0 to 9999."),
])
def test_a_section_form_with_a_mistake_says_what_to_fix(app, factory, data, message):
    admin = signed_in(app, factory.user("admin"))
    response = admin.post("/admin/sections", data, page="/admin/sections")
    assert response.status_code == 422
    assert message in text_of(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Section)) == 0


ADMIN_SECTION_PAGES = ["/admin/sections", "/admin/sections/{id}", "/admin/sections/{id}/delete"]


@pytest.mark.parametrize("role", ["contributor", "editor"])
def test_the_sections_pages_are_refused_to_editors_and_contributors(app, factory, role):
    section_id = _section(app)
    person = signed_in(app, factory.user(role))
    for page in ADMIN_SECTION_PAGES:
        response = person.get(page.format(id=section_id))
        assert response.status_code == 403, page
        assert "You cannot do that" in text_of(response)
    assert person.post("/admin/sections", {"name": "Sneaky", "position": "1"}).status_code == 403
    assert person.post(f"/admin/sections/{section_id}", {"name": "Sneaky", "position": "1"}).status_code == 403
    assert person.post(f"/admin/sections/{section_id}/delete").status_code == 403
    with app.app_context():
        assert [s.name for s in db.session.scalars(sa.select(Section))] == ["Analysis"]
    visitor = Client(app)
    for page in ADMIN_SECTION_PAGES:
        response = visitor.get(page.format(id=section_id))
        assert response.status_code == 302 and "/login" in response.location


def test_an_unknown_section_is_not_found_in_the_admin(app, factory):
    admin = signed_in(app, factory.user("admin"))
    assert admin.get("/admin/sections/99999").status_code == 404
    assert admin.get("/admin/sections/99999/delete").status_code == 404
    assert admin.post("/admin/sections/99999/delete", page="/admin/sections").status_code == 404
