"""What a load balancer and Prometheus ask of a web process: /healthz, /readyz and /metrics.

(A broker or a database that does not answer: tests/test_processes_faults.py, with real processes.)
"""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import Client, act, in_days, signed_in, valid_pitch


def scrape(client: Client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def transitions(samples, action: str, to_state: str) -> float:
    return samples.get(("workflow_transitions_total", (("action", action), ("to_state", to_state))), 0.0)


def test_liveness_and_readiness_answer_without_a_session(client):
    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert "Set-Cookie" not in response.headers
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


def test_metrics_count_committed_transitions_and_the_outbox(app, factory, client):
    editor = factory.user("editor")
    rana = factory.user("contributor")
    before = scrape(client)

    pitcher = signed_in(app, rana)
    response = pitcher.post("/pitch", valid_pitch(headline="Ferry crossings at night"), page="/pitch")
    assert response.status_code == 303
    story = int(response.headers["Location"].rsplit("/", 1)[1])
    desk = signed_in(app, editor)
    assign = {"editor_id": str(editor.id), "deadline": in_days(10)}
    assert act(desk, story, "assign", **assign).status_code == 303
    # A refused transition (stale version: 409) changes nothing, and counts nothing.
    assert act(desk, story, "decline", version=1, comment="No.").status_code == 409

    after = scrape(client)
    assert transitions(after, "assign", "assigned") == transitions(before, "assign", "assigned") + 1
    assert transitions(after, "decline", "declined") == transitions(before, "decline", "declined")
    # Every request is timed, by endpoint.
    served = after[("workflow_http_request_duration_seconds_count",
                    (("endpoint", "submissions.transition"), ("method", "POST"), ("status", "303")))]
    assert served >= 1


def test_metrics_read_the_outbox_and_the_ledger_from_the_database(app, client):
    """What the workers did, as every web process sees it: rows no task was ever sent for (no sweeper runs in
    the tests), and attempts old and new."""
    from workflow.core.models import utcnow
    from workflow.extensions import db
    from workflow.notifications.models import AttemptOutcome, DeliveryAttempt, DeliveryStatus, Notification

    now = utcnow()
    with app.app_context():
        waiting = [Notification(event="submission.received", email=f"r{n}@example.org", params={},
                                status=DeliveryStatus.PENDING, created_at=now - timedelta(minutes=10 + n))
                   for n in range(3)]
        done = Notification(event="submission.received", email="done@example.org", params={},
                            status=DeliveryStatus.SENT, created_at=now, sent_at=now)
        db.session.add_all([*waiting, done])
        db.session.flush()
        for n, (outcome, minutes) in enumerate([(AttemptOutcome.SENT, 1), (AttemptOutcome.TEMPORARY_FAILURE, 2),
                                                (AttemptOutcome.TEMPORARY_FAILURE, 5),
                                                (AttemptOutcome.PERMANENT_FAILURE, 60)]):
            db.session.add(DeliveryAttempt(notification_id=done.id, attempt=n + 1, worker="w1", outcome=outcome,
                                           started_at=now - timedelta(minutes=minutes)))
        db.session.commit()

    samples = scrape(client)
    assert samples[("workflow_outbox_pending", ())] == 3
    assert 12 * 60 <= samples[("workflow_outbox_oldest_pending_seconds", ())] < 13 * 60
    recent = {outcome.value: samples[("workflow_delivery_attempts_recent", (("outcome", outcome.value),))]
              for outcome in AttemptOutcome}
    # The last 15 minutes only: the permanent failure of an hour ago is not in it.
    assert recent == {"sending": 0, "sent": 1, "temporary_failure": 2, "permanent_failure": 0}


def test_metrics_ask_for_the_token_when_one_is_set(app, client):
    app.config["METRICS_TOKEN"] = "a-long-scraper-token"
    try:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert scrape(client, Authorization="Bearer a-long-scraper-token")
    finally:
        app.config["METRICS_TOKEN"] = ""
