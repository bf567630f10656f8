"""What a load balancer and Prometheus ask of a web process: /healthz, /readyz and /metrics.

(A broker or a database that does not answer: tests/test_faults.py, with real processes.)
"""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import Client
from tests.test_queue import signed_in
from tests.test_submissions import valid_pitch
from tests.test_workflow_table import act, in_days


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
    # No worker runs here: the pitch's and the assignment's notifications wait in the outbox.
    assert after[("workflow_outbox_pending", ())] >= 3
    assert after[("workflow_outbox_oldest_pending_seconds", ())] >= 0
    assert ("workflow_delivery_attempts_recent", (("outcome", "sent"),)) in after
    # Every request is timed, by endpoint.
    served = after[("workflow_http_request_duration_seconds_count",
                    (("endpoint", "submissions.transition"), ("method", "POST"), ("status", "303")))]
    assert served >= 1


def test_metrics_ask_for_the_token_when_one_is_set(app, client):
    app.config["METRICS_TOKEN"] = "a-long-scraper-token"
    try:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert scrape(client, Authorization="Bearer a-long-scraper-token")
    finally:
        app.config["METRICS_TOKEN"] = ""
