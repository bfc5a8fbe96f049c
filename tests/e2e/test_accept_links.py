"""A grid head accepts from the link in their page: real broker, worker, database and web app.

The web app (``gridalert web``) runs as its own process with the test pipeline's environment,
so it shares the worker's link secret (the one kept in the data directory).
"""

from __future__ import annotations

import base64
import re

import pytest

from tests.support.pipeline import alarm_in, chain_of, http, incidents_where, timeline_once
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

GRID = "GSH-JHY-01-02"
LINK = re.compile(r"^接单：(http://\S+)/a/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$", re.MULTILINE)


def altered(token: str) -> str:
    """The token claiming another person, with the signature left as it was."""
    payload, tag = token.split(".")
    fields = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode().split("\n")
    fields[3] = "dd-GSH"
    return base64.urlsafe_b64encode("\n".join(fields).encode()).rstrip(b"=").decode() + "." + tag


def test_the_grid_head_accepts_from_the_link_once_and_an_altered_link_does_nothing(pipeline, district, sessions, web):
    head = chain_of(district, GRID)[0]
    event = alarm_in(pipeline, GRID)
    pages = wait_until(lambda: pipeline.receiver.pages_for(head), timeout_s=60, what="the grid head's page")
    [incident] = wait_until(lambda: incidents_where(sessions, lambda i: i.source_event_id == event["id"]),
                            timeout_s=30, what="the incident in the database")
    found = LINK.search(pages[0]["message"])
    assert found, f"no accept link in the page:\n{pages[0]['message']}"
    env = pipeline.worker.env
    assert found.group(1) == (env.get("GRIDALERT_PUBLIC_URL") or f"http://127.0.0.1:{env.get('GRIDALERT_WEB_PORT', 8030)}")
    token = found.group(2)
    link = f"{web}/a/{token}"
    assert incident.id in pages[0]["message"] and len(pages[0]["title"]) <= 70

    status, text = http("GET", link)  # what a link preview does: shows the button, accepts nothing
    assert status == 200 and '<form method="post">' in text and incident.id in text

    status, text = http("POST", link)
    assert status == 200 and "已接单" in text and "Accepted" in text, text
    steps = timeline_once(sessions, incident.id, lambda s: any(x.kind == "accepted" for x in s),
                          what="the acceptance in the timeline")
    [accepted] = [s for s in steps if s.kind == "accepted"]
    assert accepted.actor == head and accepted.status == "accepted" and accepted.command_id

    status, text = http("POST", link)
    assert status == 200 and "Already accepted" in text, text

    status, text = http("POST", f"{web}/a/{altered(token)}")
    assert status == 403 and "not issued by gridalert, or it was altered" in text

    # the link once more: its refusal is recorded after anything the altered link could have produced
    assert http("POST", link)[0] == 200
    steps = timeline_once(sessions, incident.id, lambda s: sum(x.kind == "command_refused" for x in s) >= 2,
                          what="the third click's refusal")
    clicks = [(s.kind, s.actor) for s in steps if s.command_id]
    assert clicks == [("accepted", head), ("command_refused", head), ("command_refused", head)]
