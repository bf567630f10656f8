"""The editor queue over HTTP: filters, search, sorts, keyset pagination, counts, saved views, query counts.

Every test runs on SQLite and on PostgreSQL (see ``conftest.database_url``). Large data sets are inserted
with SQLAlchemy Core bulk inserts inside the app context: only the page under test goes through HTTP.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
import sqlalchemy as sa
from markupsafe import escape

from tests.helpers import Client, ok, row_ids, sidebar_counts, signed_in, text_of
from workflow.core.models import utcnow
from workflow.extensions import db
from workflow.people.models import Role, User
from workflow.submissions.models import AuditEntry, Message, Revision, RevisionKind, SavedView, Submission
from workflow.submissions.workflow import State

NEXT_RE = re.compile(r'<a [^>]*href="([^"]+)"[^>]*rel="next"')
PREV_RE = re.compile(r'<a [^>]*href="([^"]+)"[^>]*rel="prev"')
VIEWS_RE = re.compile(r'<section class="sidebar queue-views".*?</section>', re.S)


# --- helpers ------------------------------------------------------------------------------------------------

def link(pattern: re.Pattern, response) -> str | None:
    match = pattern.search(response.get_data(as_text=True))
    return unescape(match.group(1)) if match else None


def bulk_users(app, n: int, role: Role = Role.CONTRIBUTOR, prefix: str = "bulk") -> list[int]:
    """``n`` confirmed people, inserted in one statement (no password hashing)."""
    table = User.__table__
    now = utcnow()
    rows = [{"email": f"{prefix}{i}@example.org", "password_hash": "x", "display_name": f"{prefix.title()} {i}",
             "byline_name": f"{prefix.title()} {i}", "role": role, "email_confirmed_at": now}
            for i in range(n)]
    with app.app_context():
        ids = db.session.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
        ids = list(ids.scalars())
        db.session.commit()
    return ids


def submission_rows(n: int, contributors: list[int], editors: list[int], start: int = 0) -> list[dict]:
    """Rows in several states with deliberate ties in every sort key (ids break them), some without deadline."""
    t0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    rows = []
    for k in range(start, start + n):
        state = (State.PITCHED, State.PITCHED, State.ASSIGNED, State.EDITED, State.DECLINED)[k % 5]
        commissioned = state in (State.ASSIGNED, State.EDITED)
        rows.append({
            "contributor_id": contributors[k % len(contributors)],
            "editor_id": editors[k % len(editors)] if commissioned else None,
            "state": state,
            "headline": f"Bulk story {k:05d}",
            "summary": f"Summary of bulk story {k}.",
            "angle": "Why now.", "sources": "Residents.", "experience": "",
            "deadline": t0.date() + timedelta(days=(k * 5) % 7) if commissioned else None,
            "created_at": t0 + timedelta(hours=k // 3),  # three rows share each creation time
            "last_activity_at": t0 + timedelta(minutes=(k * 7) % 11),  # many rows share an activity time
            "last_activity_by_id": contributors[k % len(contributors)],
            "last_activity": "pitched the story",
            "version": 1,
        })
    return rows


def bulk_submissions(app, rows: list[dict]) -> list[int]:
    table = Submission.__table__
    with app.app_context():
        result = db.session.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
        ids = list(result.scalars())
        db.session.commit()
    return ids


def expected_order(rows: list[dict], ids: list[int], sort: str) -> list[int]:
    keyed = list(zip(rows, ids))
    if sort == "newest":
        keyed.sort(key=lambda p: (p[0]["created_at"], p[1]), reverse=True)
    elif sort == "oldest":
        keyed.sort(key=lambda p: (p[0]["created_at"], p[1]))
    elif sort == "deadline":
        keyed.sort(key=lambda p: (p[0]["deadline"] is None, p[0]["deadline"] or date.min, p[1]))  # none: last
    else:
        keyed.sort(key=lambda p: (p[0]["last_activity_at"], p[1]), reverse=True)
    return [i for _, i in keyed]


def cursor_of(value, row_id, kind="c") -> str:
    """A cursor as the queue makes them for the time sorts (``kind`` "c"), with any value in it."""
    raw = json.dumps([kind, value, row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture
def small_pages(app):
    saved = app.config["QUEUE_PAGE_SIZE"]
    app.config["QUEUE_PAGE_SIZE"] = 5
    yield 5
    app.config["QUEUE_PAGE_SIZE"] = saved


@pytest.fixture
def busy_queue(factory):
    """An editor, another editor, and two contributors with a few submissions made through the workflow."""
    class Desk:
        pass

    d = Desk()
    d.me = factory.user("editor", name="Mina Editor")
    d.other = factory.user("editor", name="Omar Editor")
    d.rana = factory.user("contributor", name="Rana Field")
    d.sami = factory.user("contributor", name="Sami Hill")
    d.pitched = factory.submission(d.rana, headline="Night bakers defy the curfew",
                                   summary="Ovens burn through the blackout in the old city.")
    d.mine = factory.submission(d.rana, state="assigned", editor=d.me, headline="Teachers keep a school open",
                                summary="Lessons continue in a basement under shelling.")
    d.theirs = factory.submission(d.sami, state="assigned", editor=d.other,
                                  headline="Fishermen count their losses",
                                  summary="Storms tore the nets; the millers' union lends flour to families.")
    d.late = factory.submission(d.sami, state="assigned", editor=d.me, headline="The generator repairmen",
                                summary="Mechanics keep the hospital lights on.")
    d.edited = factory.submission(d.rana, state="edited", editor=d.me, headline="A border crossing at dawn",
                                  summary="Two hours a day for aid trucks and students.")
    d.published = factory.submission(d.sami, state="published", editor=d.other, headline="Radio from car boots",
                                     summary="Stations move every night to stay on air.")
    d.declined = factory.submission(d.rana, state="declined", editor=d.other, headline="Wedding season returns",
                                    summary="Musicians and tailors count a good month.")
    d.withdrawn = factory.submission(d.sami, state="withdrawn", headline="Beekeepers after the fires",
                                     summary="Hives burned and honey prices soar.")
    with factory.app.app_context():
        db.session.execute(sa.update(Submission).where(Submission.id == d.late.id)
                           .values(deadline=utcnow().date() - timedelta(days=3)))
        db.session.commit()
    d.editor = signed_in(factory.app, d.me)
    return d


# --- access ---------------------------------------------------------------------------------------------------

def test_the_queue_is_for_the_desk_only(app, factory, make_client):
    reporter = factory.user("contributor")
    contributor = signed_in(app, reporter)
    assert contributor.get("/queue").status_code == 403
    assert contributor.post("/queue/views", {"name": "Mine", "query": ""}, page="/dashboard").status_code == 403
    anonymous = make_client()
    response = anonymous.get("/queue")
    assert response.status_code == 302 and "/login" in response.location
    admin = signed_in(app, factory.user("admin"))
    assert ok(admin.get("/queue"))


# --- filters ----------------------------------------------------------------------------------------------------

def test_filters_by_state(busy_queue):
    all_ids = set(row_ids(ok(busy_queue.editor.get("/queue"))))
    assert all_ids == {busy_queue.pitched.id, busy_queue.mine.id, busy_queue.theirs.id, busy_queue.late.id,
                       busy_queue.edited.id, busy_queue.published.id, busy_queue.declined.id, busy_queue.withdrawn.id}
    expected = {
        "pitched": {busy_queue.pitched.id},
        "assigned": {busy_queue.mine.id, busy_queue.theirs.id, busy_queue.late.id},
        "edited": {busy_queue.edited.id},
        "published": {busy_queue.published.id},
        "declined": {busy_queue.declined.id},
        "withdrawn": {busy_queue.withdrawn.id},
    }
    for state, ids in expected.items():
        response = ok(busy_queue.editor.get(f"/queue?state={state}"))
        assert set(row_ids(response)) == ids, state
        assert f"Queue: {state}" in text_of(response)
    # An unknown state is no filter at all, not an error.
    assert set(row_ids(ok(busy_queue.editor.get("/queue?state=nonsense")))) == all_ids


def test_filters_by_assignee(busy_queue):
    mine = {busy_queue.mine.id, busy_queue.late.id, busy_queue.edited.id}
    assert set(row_ids(ok(busy_queue.editor.get("/queue?assignee=me")))) == mine
    assert set(row_ids(ok(busy_queue.editor.get("/queue?assignee=unassigned")))) == {
        busy_queue.pitched.id, busy_queue.declined.id, busy_queue.withdrawn.id}
    assert len(row_ids(ok(busy_queue.editor.get("/queue?assignee=anyone")))) == 8
    assert len(row_ids(ok(busy_queue.editor.get("/queue?assignee=somebody")))) == 8
    # "Me" is whoever is looking.
    other = signed_in(busy_queue.editor.app, busy_queue.other)
    assert set(row_ids(ok(other.get("/queue?assignee=me")))) == {busy_queue.theirs.id, busy_queue.published.id}
    # Filters combine.
    assert set(row_ids(ok(busy_queue.editor.get("/queue?assignee=me&state=assigned")))) == {busy_queue.mine.id,
                                                                                          busy_queue.late.id}


def test_filters_overdue(busy_queue):
    response = ok(busy_queue.editor.get("/queue?overdue=1"))
    assert row_ids(response) == [busy_queue.late.id]
    assert "(overdue)" in text_of(response)
    assert row_ids(ok(busy_queue.editor.get("/queue?overdue=1&assignee=unassigned"))) == []
    assert "Nothing matches these filters" in text_of(busy_queue.editor.get("/queue?overdue=1&state=pitched"))
    # The checkbox stays ticked on the filtered page.
    assert re.search(r'id="overdue" name="overdue" value="1" checked', response.get_data(as_text=True))


# --- search ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("q, expected", [
    ("bakers", "pitched"),                     # a word of the headline
    ("blackout", "pitched"),                   # a word of the summary
    ("BAKERS blackout", "pitched"),            # one word from each field, any case
    ("basement teachers", "mine"),
    ("millers' union", "theirs"),
    ('"night bakers"', "pitched"),             # a quoted phrase
])
def test_search_finds_words_in_headline_or_summary(busy_queue, q, expected):
    response = ok(busy_queue.editor.get("/queue", query_string={"q": q}))
    assert row_ids(response) == [getattr(busy_queue, expected).id], q
    # The search box keeps what was typed.
    assert f'name="q" value="{escape(q)}"' in response.get_data(as_text=True)


def test_search_for_a_word_in_neither_field_finds_nothing(busy_queue):
    response = ok(busy_queue.editor.get("/queue", query_string={"q": "submarine"}))
    assert row_ids(response) == []
    assert "Nothing matches these filters" in text_of(response)
    # Every word must match: one known word and one unknown word find nothing.
    assert row_ids(ok(busy_queue.editor.get("/queue", query_string={"q": "bakers submarine"}))) == []


def test_search_combines_with_filters_and_counts(busy_queue):
    response = ok(busy_queue.editor.get("/queue", query_string={"q": "teachers", "state": "pitched"}))
    assert row_ids(response) == []
    counts = sidebar_counts(response)
    assert counts["Assigned"] == 1 and counts["All"] == 1 and counts["Pitched"] == 0


HOSTILE_SEARCHES = [
    "%", "_", "%%", "%_%", "\\", "'", "''", '"', '"unclosed', "&|!:*", "bakers & | ! : *", "!bakers", "-", "--",
    "(", ")(", "<->", "a:*", "bakers:*", "'; DROP TABLE submissions; --", "\x00", "bak\x00ers", "or", "OR AND",
    "-bakers", "\U0001f4a5", "\u00e9" * 300, "x " * 150, "\\%", "[a-z]*", "$1", "%(q)s", ":q", "?",
]


def test_hostile_search_input_is_harmless(busy_queue):
    """Wildcards, quotes and tsquery operators neither error (websearch_to_tsquery, LIKE) nor match everything."""
    for q in HOSTILE_SEARCHES:
        response = busy_queue.editor.get("/queue", query_string={"q": q})
        assert response.status_code == 200, q
        ids = row_ids(response)
        if q.strip("\x00") and not re.search(r"[^\W_]", q):
            # Only punctuation: nothing in the data set matches it literally, and it must not match everything.
            assert ids == [], q
    # The queue still works afterwards (no aborted transaction left behind on PostgreSQL).
    assert len(row_ids(ok(busy_queue.editor.get("/queue")))) == 8


def test_search_on_postgresql_uses_the_full_text_index(app, busy_queue):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the GIN expression index exists on PostgreSQL only")
        from workflow.submissions.queue import _search_condition

        query = sa.select(Submission.id).where(_search_condition("bakers curfew"))
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        with db.engine.connect() as connection:
            connection.execute(sa.text("SET enable_seqscan = off"))
            plan = "\n".join(connection.execute(sa.text(f"EXPLAIN {compiled}")).scalars())
        assert "ix_submissions_search" in plan, plan


# --- sorts and keyset pagination ---------------------------------------------------------------------------------

@pytest.fixture
def many(app, factory):
    """23 submissions in four states, with ties in every sort key; an editor to look at them."""
    me = factory.user("editor", name="Mina Editor")
    contributors = bulk_users(app, 4)
    rows = submission_rows(23, contributors, [me.id])
    ids = bulk_submissions(app, rows)
    return {"editor": signed_in(app, me), "rows": rows, "ids": ids}


def walk_forward(client: Client, first: str) -> tuple[list[list[int]], list[str]]:
    pages, urls, url = [], [], first
    while url:
        response = ok(client.get(url))
        pages.append(row_ids(response))
        urls.append(url)
        url = link(NEXT_RE, response)
        assert len(pages) < 50, "Next never ends"
    return pages, urls


def walk_back(client: Client, last: str) -> list[list[int]]:
    pages, url = [], last
    while url:
        response = ok(client.get(url))
        pages.append(row_ids(response))
        url = link(PREV_RE, response)
        assert len(pages) < 50, "Previous never ends"
    return pages


@pytest.mark.parametrize("sort", ["newest", "oldest", "deadline", "activity"])
def test_every_sort_orders_the_first_page(many, sort):
    response = ok(many["editor"].get(f"/queue?sort={sort}"))
    assert row_ids(response) == expected_order(many["rows"], many["ids"], sort)
    assert re.search(rf'<option value="{sort}" selected>', response.get_data(as_text=True))


@pytest.mark.parametrize("sort", ["newest", "oldest", "deadline", "activity"])
def test_next_walks_every_submission_once_and_previous_walks_back(many, small_pages, sort):
    editor = many["editor"]
    expected = expected_order(many["rows"], many["ids"], sort)
    pages, urls = walk_forward(editor, f"/queue?sort={sort}")
    assert [i for page in pages for i in page] == expected
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    # The first page has no Previous; every later one has.
    first = ok(editor.get(urls[0]))
    assert link(PREV_RE, first) is None
    # Previous from the last page goes back through the same pages, to a first page without Previous.
    back = walk_back(editor, urls[-1])
    assert back == list(reversed(pages))
    # Each Next link keeps the sort.
    assert all(f"sort={sort}" in url for url in urls[1:]) or sort == "newest"


@pytest.mark.parametrize("sort", ["newest", "deadline"])
def test_paging_through_a_filtered_queue_that_fills_its_last_page(many, small_pages, sort):
    editor = many["editor"]
    pitched = [(r, i) for r, i in zip(many["rows"], many["ids"]) if r["state"] is State.PITCHED]
    expected = expected_order([r for r, _ in pitched], [i for _, i in pitched], sort)
    assert len(expected) == 10  # exactly two full pages: no third, empty page
    pages, urls = walk_forward(editor, f"/queue?state=pitched&sort={sort}")
    assert pages == [expected[:5], expected[5:]]
    assert walk_back(editor, urls[-1]) == [expected[5:], expected[:5]]
    # The counts and the total stay those of the whole filtered set on every page.
    response = ok(editor.get(urls[-1]))
    assert sidebar_counts(response)["Pitched"] == 10
    assert "(10)" in text_of(response)


def test_a_new_submission_does_not_shift_the_pages(many, small_pages, factory):
    """Keyset paging: rows added at the top while someone pages do not push rows onto the next page twice."""
    editor = many["editor"]
    page1 = ok(editor.get("/queue"))
    next_url = link(NEXT_RE, page1)
    factory.submission(factory.user("contributor"), headline="Fresh on the desk")
    page2 = row_ids(ok(editor.get(next_url)))
    expected = expected_order(many["rows"], many["ids"], "newest")
    assert page2 == expected[5:10]


GARBAGE_CURSORS = [
    "garbage", "", "!!!", "%00", "eyJ", cursor_of("not a date", 1), cursor_of("2026-01-05T09:00:00+00:00", "x"),
    cursor_of("2026-01-05T09:00:00+00:00", 10 ** 30), cursor_of("2026-01-05T09:00:00+00:00", -(10 ** 30)),
    cursor_of("2026-01-05T09:00:00", 3),  # a naive time
    cursor_of("2026-01-05", 3),  # a deadline cursor under a time sort
    cursor_of("0001-01-01T00:00:00+12:00", 1), cursor_of("9999-12-31T23:59:59-12:00", 1),  # out of range in UTC
    cursor_of("2026-01-05", 3, kind="d"),  # a deadline cursor under the newest sort
    cursor_of("2026-01-05T09:00:00+00:00", 3, kind="zz"),
    base64.urlsafe_b64encode(b'["2026-01-05T09:00:00+00:00", 1]').decode(),  # two parts, no sort
    base64.urlsafe_b64encode(b'{"a": 1, "b": 2}').decode(), base64.urlsafe_b64encode(b"[1, 2, 3]").decode(),
    base64.urlsafe_b64encode(b"null").decode(), base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    base64.urlsafe_b64encode(b'["c", "2026-01-05T09:00:00+00:00", 1.5]').decode(),
    base64.urlsafe_b64encode(b'["c", "2026-01-05T09:00:00+00:00", true]').decode(),
    base64.urlsafe_b64encode(b'["c", 20260105, 1]').decode(), "A" * 5000,
]


@pytest.mark.parametrize("direction", ["after", "before"])
def test_a_garbage_cursor_shows_the_first_page(many, small_pages, direction):
    editor = many["editor"]
    first = row_ids(ok(editor.get("/queue")))
    for cursor in GARBAGE_CURSORS:
        response = editor.get("/queue", query_string={direction: cursor})
        assert response.status_code == 200, cursor
        assert row_ids(response) == first, cursor
        assert link(PREV_RE, response) is None, cursor


@pytest.mark.parametrize("cursor", [cursor_of("0001-01-01T00:00:00-12:00", 1),
                                    cursor_of("9999-12-31T23:59:59+00:00", 1)])
@pytest.mark.parametrize("direction", ["after", "before"])
def test_a_cursor_beyond_either_end_never_shows_an_empty_page(many, small_pages, cursor, direction):
    """A well-formed cursor is a position: past the end it falls back to the first page, never a blank one."""
    response = ok(many["editor"].get("/queue", query_string={direction: cursor}))
    ids = row_ids(response)
    assert len(ids) == 5
    expected = expected_order(many["rows"], many["ids"], "newest")
    assert ids in (expected[:5], expected[-5:])


@pytest.mark.parametrize("sort", ["newest", "deadline"])
def test_cursor_from_another_sort_is_ignored(many, small_pages, sort):
    editor = many["editor"]
    other = "deadline" if sort == "newest" else "newest"
    next_of_other = link(NEXT_RE, ok(editor.get(f"/queue?sort={other}")))
    cursor = re.search(r"after=([^&]+)", next_of_other).group(1)
    response = ok(editor.get(f"/queue?sort={sort}&after={cursor}"))
    assert row_ids(response), "a cursor of another sort must not break the page"


# --- counts ----------------------------------------------------------------------------------------------------

def test_counts_per_state_in_the_sidebar(busy_queue):
    response = ok(busy_queue.editor.get("/queue"))
    assert sidebar_counts(response) == {"All": 8, "Pitched": 1, "Assigned": 3, "Edited": 1, "Published": 1,
                                        "Declined": 1, "Withdrawn": 1}
    assert "(8)" in text_of(response)
    # The counts follow the other filters (not the state filter, so every state stays one click away).
    response = ok(busy_queue.editor.get("/queue?assignee=me&state=pitched"))
    assert sidebar_counts(response) == {"All": 3, "Pitched": 0, "Assigned": 2, "Edited": 1, "Published": 0,
                                        "Declined": 0, "Withdrawn": 0}
    # The sidebar links keep the other filters and mark the current state.
    html = response.get_data(as_text=True)
    assert re.search(r'href="/queue\?state=assigned&amp;assignee=me"', html)
    assert re.search(r'href="/queue\?state=pitched&amp;assignee=me" aria-current="page"', html)


def test_counts_with_many_rows(many):
    response = ok(many["editor"].get("/queue"))
    counts = sidebar_counts(response)
    by_state = {s.title: sum(1 for r in many["rows"] if r["state"] is s) for s in State}
    assert counts == {"All": 23, **by_state}


# --- saved views ----------------------------------------------------------------------------------------------

def test_saved_views_are_personal(app, busy_queue):
    editor = busy_queue.editor
    page = "/queue?state=assigned&assignee=me&sort=deadline"
    response = ok(editor.get(page))
    query = re.search(r'name="query" type="hidden" value="([^"]*)"', response.get_data(as_text=True)).group(1)
    assert unescape(query) == "state=assigned&assignee=me&sort=deadline"

    response = editor.post("/queue/views", {"name": "My commissions", "query": unescape(query)}, page=page)
    assert response.status_code == 303
    assert response.location.endswith("/queue?state=assigned&assignee=me&sort=deadline")
    response = ok(editor.get(response.location))
    assert "Saved the view “My commissions”" in text_of(response)
    sidebar = VIEWS_RE.search(response.get_data(as_text=True)).group(0)
    assert "My commissions" in sidebar
    # The view is marked as the current page when its filters are on.
    assert re.search(r'aria-current="page"[^>]*>\s*My commissions', sidebar)

    # Opening it from the sidebar applies its filters.
    href = unescape(re.search(r'<a href="([^"]+)"[^>]*>\s*My commissions', sidebar).group(1))
    assert set(row_ids(ok(editor.get(href)))) == {busy_queue.mine.id, busy_queue.late.id}

    # Saving the same name again replaces the filters, it does not add a second view.
    assert editor.post("/queue/views", {"name": "My commissions", "query": "overdue=1"},
                       page="/queue").status_code == 303
    with app.app_context():
        views = db.session.scalars(sa.select(SavedView).where(SavedView.user_id == busy_queue.me.id)).all()
        assert [(v.name, v.query) for v in views] == [("My commissions", "overdue=1")]
        view_id = views[0].id

    # Another editor does not see it, and cannot delete it.
    other = signed_in(app, busy_queue.other)
    assert "My commissions" not in text_of(ok(other.get("/queue")))
    assert other.post(f"/queue/views/{view_id}/delete", page="/queue").status_code == 404
    assert "My commissions" in text_of(ok(editor.get("/queue")))

    # The owner deletes it.
    response = editor.post(f"/queue/views/{view_id}/delete", page="/queue")
    assert response.status_code == 303
    response = ok(editor.get(response.location))
    assert "View deleted" in text_of(response)
    assert "My commissions" not in VIEWS_RE.search(response.get_data(as_text=True)).group(0)


def test_a_view_needs_a_name(busy_queue):
    response = busy_queue.editor.post("/queue/views", {"name": "  ", "query": "state=pitched"}, page="/queue")
    assert response.status_code == 303
    page = ok(busy_queue.editor.get(response.location))
    assert "Give the view a name" in text_of(page)
    assert row_ids(page) == [busy_queue.pitched.id]  # back on the filters that were being saved


def test_a_saved_view_with_an_outdated_query_still_opens(app, busy_queue):
    with app.app_context():
        db.session.add(SavedView(user_id=busy_queue.me.id, name="Old", query="state=gone&sort=weird&after=xyz&q=%25"))
        db.session.commit()
    response = ok(busy_queue.editor.get("/queue"))
    href = unescape(re.search(r'<a href="([^"]+)"[^>]*>\s*Old', response.get_data(as_text=True)).group(1))
    assert ok(busy_queue.editor.get(href))


# --- query counts ------------------------------------------------------------------------------------------------

def measure(count_queries, client: Client, path: str) -> tuple[int, list[str]]:
    ok(client.get(path))  # warm up (first-request work must not be counted against the data size)
    with count_queries() as counter:
        ok(client.get(path))
    return counter.count, counter.statements


def test_the_queue_costs_the_same_queries_at_10_and_200_submissions(app, factory, count_queries):
    me = factory.user("editor")
    contributors = bulk_users(app, 40)
    editors = bulk_users(app, 5, role=Role.EDITOR, prefix="desk")
    bulk_submissions(app, submission_rows(10, contributors, editors))
    editor = signed_in(app, me)
    paths = ["/queue", "/queue?sort=deadline&assignee=anyone", "/queue?q=bulk+story", "/queue?state=assigned"]
    small = {path: measure(count_queries, editor, path) for path in paths}
    bulk_submissions(app, submission_rows(190, contributors, editors, start=10))
    for path in paths:
        count, statements = measure(count_queries, editor, path)
        assert count == small[path][0], (path, statements)
    # And the second page (a keyset cursor) costs what the first does.
    second = link(NEXT_RE, ok(editor.get("/queue")))
    assert second
    assert measure(count_queries, editor, second)[0] == small["/queue"][0]
    print(f"queue page: {small['/queue'][0]} queries at 10 and at 200 submissions")


def test_the_dashboard_costs_the_same_queries_at_10_and_200_submissions(app, factory, count_queries):
    reporter = factory.user("contributor")
    editors = bulk_users(app, 7, role=Role.EDITOR, prefix="desk")
    bulk_submissions(app, submission_rows(10, [reporter.id], editors))
    client = signed_in(app, reporter)
    small, _ = measure(count_queries, client, "/dashboard")
    bulk_submissions(app, submission_rows(190, [reporter.id], editors, start=10))
    large, statements = measure(count_queries, client, "/dashboard")
    assert large == small, statements
    print(f"dashboard: {small} queries at 10 and at 200 submissions")
    assert len(re.findall(r'href="/submissions/\d+"', client.get("/dashboard").get_data(as_text=True))) == 200


def bulk_conversation(app, submission_id: int, people: list[int], n: int, start: int = 0) -> None:
    """``n`` messages (some internal notes) by several people, with revisions and audit entries among them."""
    t0 = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
    messages = [{"submission_id": submission_id, "author_id": people[k % len(people)], "body": f"Message {k}",
                 "internal": k % 4 == 0, "created_at": t0 + timedelta(minutes=k)} for k in range(start, start + n)]
    revisions = [{"submission_id": submission_id, "number": k + 1, "author_id": people[k % len(people)],
                  "kind": RevisionKind.CONTRIBUTOR, "headline": "H", "dek": "D", "body": f"Body {k}", "note": "",
                  "version": 1, "created_at": t0 + timedelta(minutes=k, seconds=30)}
                 for k in range(start, start + n) if k % 10 == 0]
    audit = [{"submission_id": submission_id, "actor_id": people[k % len(people)], "action": "note",
              "from_state": State.PITCHED, "to_state": State.PITCHED, "comment": f"Audit {k}", "version": 1,
              "created_at": t0 + timedelta(minutes=k, seconds=40)} for k in range(start, start + n) if k % 10 == 5]
    with app.app_context():
        db.session.execute(sa.insert(Message.__table__), messages)
        if revisions:
            db.session.execute(sa.insert(Revision.__table__), revisions)
        if audit:
            db.session.execute(sa.insert(AuditEntry.__table__), audit)
        db.session.commit()


def test_the_submission_page_costs_the_same_queries_as_the_conversation_grows(app, factory, count_queries):
    me = factory.user("editor")
    reporter = factory.user("contributor")
    submission = factory.submission(reporter, state="assigned", editor=me)
    people = [me.id, reporter.id, *bulk_users(app, 6, role=Role.EDITOR, prefix="desk")]
    bulk_conversation(app, submission.id, people, 10)
    editor, contributor = signed_in(app, me), signed_in(app, reporter)
    path = f"/submissions/{submission.id}"
    small = {"editor": measure(count_queries, editor, path)[0],
             "contributor": measure(count_queries, contributor, path)[0]}
    bulk_conversation(app, submission.id, people, 190, start=10)
    assert measure(count_queries, editor, path)[0] == small["editor"]
    assert measure(count_queries, contributor, path)[0] == small["contributor"]
    print(f"submission page: {small} queries at 10 and at 200 messages")
    page = text_of(contributor.get(path))
    assert "Message 199" in page and "Message 4 " not in page  # internal notes stay with the desk
    assert "Message 4 " in text_of(editor.get(path))


def test_saved_views_do_not_cost_a_query_each(app, factory, count_queries):
    me = factory.user("editor")
    editor = signed_in(app, me)
    with app.app_context():
        db.session.add_all([SavedView(user_id=me.id, name=f"View {k}", query=f"q=w{k}") for k in range(2)])
        db.session.commit()
    small, _ = measure(count_queries, editor, "/queue")
    with app.app_context():
        db.session.add_all([SavedView(user_id=me.id, name=f"View {k}", query=f"q=w{k}") for k in range(2, 40)])
        db.session.commit()
    assert measure(count_queries, editor, "/queue")[0] == small


def test_deadline_dates_round_trip_through_the_cursor(many, small_pages):
    """Rows without a deadline sort last (as far in the future as a date goes) and page like any other."""
    editor = many["editor"]
    pages, _ = walk_forward(editor, "/queue?sort=deadline")
    flat = [i for p in pages for i in p]
    without = [i for r, i in zip(many["rows"], many["ids"]) if r["deadline"] is None]
    assert flat[-len(without):] == sorted(without)
