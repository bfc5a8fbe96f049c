"""JSON logs: a worker started with GRIDALERT_LOG_FORMAT=json writes one JSON object per line, and
the lines about an incident or an event name it.

The module's worker logs JSON from its start (rather than being restarted into it: a second stop
and start in a row on the embedded broker can leave the new worker waiting for a member that
never said goodbye; see docs/operations.md).
"""

from __future__ import annotations

import json
import os

import pytest

from tests.support.pipeline import alarm_in, incidents_where, send
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

GRID = "GSH-JHY-03-03"


@pytest.fixture(scope="module", autouse=True)
def json_logs():
    """Set before the module's pipeline starts its worker (autouse fixtures come first)."""
    before = os.environ.get("GRIDALERT_LOG_FORMAT")
    os.environ["GRIDALERT_LOG_FORMAT"] = "json"
    yield
    if before is None:
        os.environ.pop("GRIDALERT_LOG_FORMAT", None)
    else:
        os.environ["GRIDALERT_LOG_FORMAT"] = before


def test_a_json_log_is_one_object_per_line_and_names_the_incident_a_line_is_about(pipeline, sessions):
    assert pipeline.worker.env["GRIDALERT_LOG_FORMAT"] == "json"
    event = alarm_in(pipeline, GRID)
    send(pipeline, b"not json at all")
    [incident] = wait_until(lambda: incidents_where(sessions, lambda i: i.source_event_id == event["id"]),
                            timeout_s=60, what="the incident in the database")

    def lines() -> list[dict]:
        text = pipeline.worker.log.read_text()
        not_json = [line for line in text.splitlines() if not line.startswith("{")]
        assert not not_json, f"lines that are not JSON: {not_json[:3]}"
        return [json.loads(line) for line in text.splitlines()]

    paged = wait_until(lambda: [line for line in lines() if line.get("incident_id") == incident.id],
                       timeout_s=30, what="a log line naming the incident (its page being sent)")
    assert {"time", "level", "logger", "message"} <= set(paged[0])
    wait_until(lambda: [line for line in lines() if line["logger"] == "gridalert.agents"
                        and "dead-lettered" in line["message"] and line["level"] == "info"],
               timeout_s=30, what="the malformed event's dead letter in the log")
    assert any(line["message"] == "[^Worker]: Ready" for line in lines())
