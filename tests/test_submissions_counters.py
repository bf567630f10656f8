"""The per-state counters the database keeps, and ``flask bench seed``, the benchmarks' made-up history.

The counters are what the queue's sidebar shows; every test here compares them with the rows themselves
(``GROUP BY state``), after every kind of change: pitches, each transition and the ways back, an account's
deletion and a bulk load.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.helpers import PASSWORD, Client, act, ok, sidebar_counts, signed_in, text_of
from workflow.extensions import db
from workflow.submissions.models import Submission
from workflow.submissions.workflow import State


def counted_rows(app) -> dict[str, int]:
    """What the queue's sidebar should say, counted from the rows: {"All": n, "Pitched": n, ...}."""
    with app.app_context():
        rows = dict(db.session.execute(sa.select(Submission.state, sa.func.count()).group_by(Submission.state)).all())
        db.session.remove()
    counts = {state.title: rows.get(state, 0) for state in State}
    return {"All": sum(counts.values()), **counts}


def test_the_queue_counts_follow_every_change(app, factory, make_client):
    editor = factory.user("editor")
    admin = factory.user("admin")
    rana = factory.user("contributor")
    sami = factory.user("contributor")
    desk = signed_in(app, editor)
    boss = signed_in(app, admin)

    def sidebar_matches_rows():
        shown = sidebar_counts(ok(desk.get("/queue")))
        assert shown == counted_rows(app)
        return shown

    assert sidebar_matches_rows()["All"] == 0
    pitched = factory.submission(rana)
    declined = factory.submission(rana, state="declined", editor=editor)
    assigned = factory.submission(sami, state="assigned", editor=editor, with_draft=True)
    published = factory.submission(rana, state="published", editor=editor)
    factory.submission(sami)  # Sami's pitch goes when Sami's account does
    assert sidebar_matches_rows() == {"All": 5, "Pitched": 2, "Assigned": 1, "Edited": 0, "Published": 1,
                                      "Declined": 1, "Withdrawn": 0}

    # A pitch through the form; then the ways forward and back.
    rana_client = signed_in(app, rana)
    response = rana_client.post("/pitch", {
        "headline": "Ferry crossings at night", "summary": "The last boats across the river.",
        "angle": "Why now.", "sources": "Crews.", "proposed_words": "900"}, page="/pitch")
    assert response.status_code == 303, text_of(response)
    assert act(desk, assigned.id, "mark_edited").status_code == 303
    assert act(desk, assigned.id, "request_revision", comment="Tighten the top.").status_code == 303
    assert act(desk, declined.id, "reopen", comment="A second look.").status_code == 303
    assert act(boss, published.id, "unpublish", comment="A correction is due.").status_code == 303
    assert act(rana_client, pitched.id, "withdraw").status_code == 303
    assert sidebar_matches_rows() == {"All": 6, "Pitched": 3, "Assigned": 1, "Edited": 1, "Published": 0,
                                      "Declined": 0, "Withdrawn": 1}

    # A contributor deletes their account: their unpublished work goes, and the counts with it.
    sami_client = signed_in(app, sami)
    response = sami_client.post("/account/delete", {"del-password": PASSWORD, "del-understood": "y"},
                                page="/account")
    assert response.status_code == 303
    assert sidebar_matches_rows() == {"All": 4, "Pitched": 2, "Assigned": 0, "Edited": 1, "Published": 0,
                                      "Declined": 0, "Withdrawn": 1}


def test_a_narrowed_queue_counts_its_own_rows(app, factory):
    me = factory.user("editor")
    other = factory.user("editor")
    rana = factory.user("contributor")
    factory.submission(rana, state="assigned", editor=me, headline="Teachers keep a school open")
    factory.submission(rana, state="assigned", editor=other, headline="Fishermen count their losses")
    factory.submission(rana, headline="Teachers on strike")
    desk = signed_in(app, me)
    assert sidebar_counts(ok(desk.get("/queue?assignee=me")))["All"] == 1
    assert sidebar_counts(ok(desk.get("/queue?q=teachers")))["All"] == 2
    assert sidebar_counts(ok(desk.get("/queue?state=assigned")))["All"] == 3  # the state filter keeps the whole desk


# --- flask bench seed -------------------------------------------------------------------------------------------

def seed(app, *args: str):
    result = app.test_cli_runner().invoke(args=["bench", "seed", "--quiet", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_bench_seed_writes_a_desk_that_works(app, clean_db):
    output = seed(app, "--submissions", "600")
    assert re.search(r"submissions\s+600\b", output)
    for table in ("users", "revisions", "messages", "audit_entries", "notifications"):
        assert re.search(rf"{table}\s+[\d,]+", output), table

    with app.app_context():
        states = dict(db.session.execute(
            sa.select(Submission.state, sa.func.count()).group_by(Submission.state)).all())
        # Every state is there, and most pitches are long settled.
        assert set(states) == set(State)
        assert states[State.DECLINED] + states[State.PUBLISHED] + states[State.WITHDRAWN] > 300
        recent = db.session.scalar(sa.select(sa.func.max(Submission.created_at)))
        oldest = db.session.scalar(sa.select(sa.func.min(Submission.created_at)))
        assert (recent - oldest).days > 365 * 5
        db.session.remove()

    # An editor of the bench signs in, and the queue's counts are those of the rows.
    editor = Client(app)
    assert editor.login("editor2@bench.example.org", "bench-password-2026").status_code == 303
    assert sidebar_counts(ok(editor.get("/queue"))) == counted_rows(app)
    assert sidebar_counts(ok(editor.get("/queue")))["All"] == 600
    # A submission's page shows its trail; readers see the published stories.
    with app.app_context():
        story = db.session.scalar(sa.select(Submission).where(Submission.state == State.PUBLISHED).limit(1))
        story_id, slug, headline = story.id, story.slug, story.headline
        db.session.remove()
    page = ok(editor.get(f"/submissions/{story_id}"))
    assert "moved it from edited to published" in text_of(page)
    assert headline in text_of(ok(Client(app).get(f"/articles/{slug}")))

    # Run again: more of the same beside it, and the database's own ids carry on after the bench's.
    seed(app, "--submissions", "50", "--seed", "7")
    assert sidebar_counts(ok(editor.get("/queue")))["All"] == 650
    contributor = Client(app)
    assert contributor.login("contributor3@bench.example.org", "bench-password-2026").status_code == 303
    response = contributor.post("/pitch", {
        "headline": "A new pitch after the load", "summary": "It takes the next id.", "angle": "Why now.",
        "sources": "Crews.", "proposed_words": "900"}, page="/pitch")
    assert response.status_code == 303, text_of(response)
    assert sidebar_counts(ok(editor.get("/queue"))) == counted_rows(app)
    assert counted_rows(app)["All"] == 651
