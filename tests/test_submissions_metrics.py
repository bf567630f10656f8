"""The editors' metrics page (``/desk/metrics``) over HTTP, on SQLite and on PostgreSQL: time in each state,
the acceptance rate, pitches per week and each editor's load, for the period the editor chooses.

Stories are moved through the real workflow with the clock set to chosen moments, so every figure on the page
can be worked out by hand from the story told in the test.
"""

from __future__ import annotations

import re
from datetime import timedelta

from tests.helpers import act, ok, signed_in, text_of
from workflow.core.models import clock_set_to, utcnow

WEEK_ROW_RE = re.compile(r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>")


def section(text: str, start: str, end: str | None = None) -> str:
    """The visible text of the page between two headings."""
    after = start + text.split(start, 1)[1]
    return after.split(end, 1)[0] if end else after


def weekly_counts(response) -> dict[str, int]:
    return {day: int(count) for day, count in WEEK_ROW_RE.findall(response.get_data(as_text=True))}


def monday_of(moment) -> str:
    """The week's label as the page shows it: its Monday, "02 Mar 2026"."""
    return (moment.date() - timedelta(days=moment.weekday())).strftime("%d %b %Y")


def test_the_page_tells_how_long_stories_wait_how_many_are_taken_and_who_carries_what(app, factory):
    editor = factory.user("editor", name="Dana Editor")
    other = factory.user("editor", name="Omar Editor")
    reporter = factory.user("contributor")
    start = utcnow() - timedelta(days=30)

    with clock_set_to(start):  # three pitches on one day, a month ago
        taken, declined, withdrawn = (factory.submission(reporter, headline=f"Pitch {n}") for n in "ABC")
    desk, author = signed_in(app, editor), signed_in(app, reporter)
    deadline = (start + timedelta(days=20)).date().isoformat()
    with clock_set_to(start + timedelta(days=1)):
        assert act(desk, declined.id, "decline", comment="Not for us.").status_code == 303
    with clock_set_to(start + timedelta(days=2)):
        assert act(desk, taken.id, "assign", editor_id=str(editor.id), deadline=deadline).status_code == 303
    with clock_set_to(start + timedelta(days=4)):
        assert act(author, withdrawn.id, "withdraw").status_code == 303
    with clock_set_to(start + timedelta(days=5)):
        factory.submission(reporter, headline="Pitch D", state="assigned", editor=other)  # still being written
        assert author.post(f"/submissions/{taken.id}/draft", {
            "headline": "Pitch A", "dek": "The dek.", "body": "A first draft.", "version": str(
                factory.version_of(taken))}, page=f"/submissions/{taken.id}/draft").status_code == 303
    with clock_set_to(start + timedelta(days=5, hours=12)):  # assigned for 3 days and 12 hours
        assert act(desk, taken.id, "mark_edited").status_code == 303

    page = ok(desk.get("/desk/metrics"))
    text = text_of(page)
    figures = section(text, "Pitches received", "Pitches per week")
    assert "Pitches received 4" in figures
    # A and D taken, B declined; C was withdrawn before anyone decided, so it is neither.
    assert "Acceptance rate 67% 2 taken of 3 decided; 1 withdrawn first" in figures
    assert "Stories in hand 2 assigned or edited, now" in figures

    # The four pitches, in the week of their Monday; every other week of the twelve is there with 0.
    weeks = weekly_counts(page)
    assert len(weeks) == 12
    assert weeks[monday_of(start)] == 3 and weeks[monday_of(start + timedelta(days=5))] >= 1
    assert sum(weeks.values()) == 4
    assert '<svg role="img"' in page.get_data(as_text=True)

    states = section(text, "Time in each state", "Each editor’s load")
    # Left "pitched": after 1, 2 and 4 days (and D after none) -> median of [0, 1, 2, 4] is 1.5 days (36 h),
    # p90 (interpolated, as PostgreSQL's percentile_cont) is 2 + 0.7 * 2 = 3.4 days.
    assert "Pitched Waiting for an editor to read the pitch 36 h 3.4 days 4" in states
    assert "Assigned Commissioned: the contributor is writing or revising the draft 3.5 days 3.5 days 1" in states
    assert "Edited" not in states  # nothing has left "edited" yet

    editors = section(text, "Each editor’s load")
    # Dana: A edited (in hand), decided two pitches; Omar: D assigned (its deadline, ten days after, has passed),
    # decided D. As many in hand each: the one who decided more comes first.
    assert re.search(r"Dana Editor 0 0 1 2 0 .*Omar Editor 1 1 0 1 0", editors), editors


def test_a_period_only_counts_what_happened_in_it(app, factory):
    editor = factory.user("editor")
    reporter = factory.user("contributor")
    long_ago = utcnow() - timedelta(weeks=20)
    with clock_set_to(long_ago):
        old = factory.submission(reporter, headline="An old pitch")
    desk = signed_in(app, editor)
    with clock_set_to(utcnow() - timedelta(days=3)):  # waited 20 weeks less 3 days: 137 days
        assert act(desk, old.id, "assign", editor_id=str(editor.id),
                   deadline=(utcnow() + timedelta(days=9)).date().isoformat()).status_code == 303

    recent = text_of(ok(desk.get("/desk/metrics?weeks=4")))
    assert "Last 4 weeks" in recent and "Pitches received 0" in recent
    assert "No pitch arrived in this period." in recent
    assert "Acceptance rate 100% 1 taken of 1 decided" in recent  # decided in the period, pitched before it
    assert "Pitched Waiting for an editor to read the pitch 137 days 137 days 1" in recent

    year = ok(desk.get("/desk/metrics?weeks=52"))
    assert "Pitches received 1" in text_of(year)
    assert sum(weekly_counts(year).values()) == 1 and len(weekly_counts(year)) == 52


def test_an_empty_desk_and_a_period_not_offered_say_so(app, factory):
    editor = factory.user("editor", name="Dana Editor")
    desk = signed_in(app, editor)

    text = text_of(ok(desk.get("/desk/metrics")))
    assert "Acceptance rate — 0 taken of 0 decided" in text
    assert "No pitch arrived in this period." in text
    assert "No story changed state in this period." in text
    assert "Dana Editor 0 0 0 0 0" in text

    refused = desk.get("/desk/metrics?weeks=7")
    assert refused.status_code == 400
    text = text_of(refused)
    assert "“7” is not a period this page offers: choose 4 weeks, 12 weeks, 26 weeks, 52 weeks." in text
    assert "Showing the last 12 weeks." in text
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)


def test_only_the_desk_sees_its_metrics(app, factory, client):
    reporter = factory.user("contributor")
    assert client.get("/desk/metrics").status_code == 302  # to sign in
    assert signed_in(app, reporter).get("/desk/metrics").status_code == 403
    staff_nav = signed_in(app, factory.user("editor")).get("/queue").get_data(as_text=True)
    assert 'href="/desk/metrics"' in staff_nav


def test_beat_works_the_figures_out_ahead_and_the_page_never_shows_stale_ones(app, factory):
    from workflow.extensions import celery

    editor = factory.user("editor")
    reporter = factory.user("contributor")
    factory.submission(reporter, headline="Before the refresh")
    entry = celery.conf.beat_schedule["refresh-desk-metrics"]
    assert entry["task"] == "submissions.refresh_desk_metrics" and entry["schedule"] == 300
    with app.app_context():
        assert celery.tasks["submissions.refresh_desk_metrics"]() == 4  # one row per period offered

    desk = signed_in(app, editor)
    factory.submission(reporter, headline="After the refresh")
    text = text_of(ok(desk.get("/desk/metrics")))
    # Beat's figures: the second pitch waits for the next refresh, and the page says how old they are.
    assert "Pitches received 1" in text
    assert "The figures are worked out every 5 minutes; these are from" in text
    assert "Pitches received 1" in text_of(ok(desk.get("/desk/metrics?weeks=52")))

    with clock_set_to(utcnow() + timedelta(minutes=11)):  # two refreshes missed: beat is down
        text = text_of(ok(desk.get("/desk/metrics")))
    assert "Pitches received 2" in text and "worked out every" not in text

    with app.app_context():
        celery.tasks["submissions.refresh_desk_metrics"]()
    assert "Pitches received 2" in text_of(ok(desk.get("/desk/metrics")))
