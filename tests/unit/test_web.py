"""The accept web app without a broker: what a link shows, and what it refuses before anything is sent."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

import pytest
from aiohttp.test_utils import TestClient, TestServer

from gridalert.metrics import WEB
from gridalert.notifiers.links import Claims, sign
from gridalert.store import DatabaseUnavailable, make_engine, make_sessionmaker
from gridalert.web import Context, counted, make_web_app, outcome_words
from tests.support.district import T0, command

SECRET = b"web-test-secret"
CLAIMS = Claims(incident_id="INC-1", step=2, person_id="gh-1", expires=int((T0 + timedelta(hours=1)).timestamp()))


def call(method: str, path: str) -> tuple[int, str, list]:
    sent: list = []

    def sessions():
        raise AssertionError("the database must not be touched")

    async def scenario():
        context = Context(secret=SECRET, sessions=sessions, send=sent.append, now=lambda: T0)
        async with TestClient(TestServer(make_web_app(context))) as client:
            response = await client.request(method, path)
            return response.status, await response.text()

    status, text = asyncio.run(scenario())
    return status, text, sent


def test_healthz_says_ok():
    status, text, _ = call("GET", "/healthz")
    assert status == 200 and '"ok"' in text


def test_opening_a_link_shows_a_button_and_accepts_nothing():
    status, text, sent = call("GET", f"/a/{sign(CLAIMS, SECRET)}")
    assert status == 200 and '<form method="post">' in text and "INC-1" in text and "gh-1" in text
    assert sent == []


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("token, why", [
    (sign(CLAIMS, b"another secret"), "not issued by gridalert"),
    (sign(CLAIMS, SECRET)[:-3], "not issued by gridalert"),
    (sign(CLAIMS, SECRET)[:12], "incomplete or damaged"),
    (sign(Claims("INC-1", 2, "gh-1", expires=int(T0.timestamp())), SECRET), "expired"),
])
def test_a_bad_link_gets_403_with_the_reason_and_sends_nothing(method, token, why):
    status, text, sent = call(method, f"/a/{token}")
    assert status == 403 and why in text and "<form" not in text and sent == []


@dataclass
class Step:
    kind: str
    status: str
    detail: str
    assignee: Optional[str] = None


@pytest.mark.parametrize("outcome, claims, status, heading", [
    (Step("accepted", "accepted", "accepted by 王芳 (gh-1)", "gh-1"), CLAIMS, 200, "Accepted"),
    (Step("command_refused", "accepted", "accept refused: cannot accept an incident that is accepted", "gh-1"),
     CLAIMS, 200, "Already accepted"),
    (Step("dept_accepted", "dispatched", "power accepted by 供电值班 (power-1)"),
     Claims("INC-1", 3, "power-1", 0, "power"), 200, "Accepted"),
    (Step("command_refused", "dispatched", "accept refused: the power department has accepted already"),
     Claims("INC-1", 3, "power-1", 0, "power"), 200, "Already accepted"),
    (Step("command_refused", "closed", "accept refused: cannot accept an incident that is closed: reopen it"),
     CLAIMS, 409, "Not accepted"),
    (None, CLAIMS, 202, "Sent; no outcome yet"),
])
def test_the_outcome_is_told_in_plain_words(outcome, claims, status, heading):
    got = outcome_words(outcome, claims)
    assert got[0] == status and got[2] == heading
    if status == 409:
        assert got[3] == "cannot accept an incident that is closed: reopen it"


def ask(sessions, *paths: str) -> list[tuple[int, str]]:
    async def scenario():
        context = Context(secret=SECRET, sessions=sessions, send=lambda command: None, now=lambda: T0)
        async with TestClient(TestServer(make_web_app(context))) as client:
            answers = []
            for path in paths:
                response = await client.get(path)
                answers.append((response.status, await response.text()))
            return answers

    return asyncio.run(scenario())


def test_ready_when_the_database_answers(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'gridalert.db'}")
    [(status, text), (health, _)] = ask(make_sessionmaker(engine), "/ready", "/health")
    engine.dispose()
    assert (status, json.loads(text)) == (200, {"ready": True}) and health == 200


def test_not_ready_says_why_the_database_cannot_be_reached():
    def sessions():
        raise DatabaseUnavailable("postgresql+psycopg://gridalert:***@db/gridalert", "connection refused")

    [(status, text)] = ask(sessions, "/ready")
    answer = json.loads(text)
    assert status == 503 and answer["ready"] is False
    assert answer["reason"] == ("database unavailable at postgresql+psycopg://gridalert:***@db/gridalert: "
                                "connection refused")


def test_metrics_count_requests_by_route_pattern_and_status():
    def count(route: str, status: str) -> float:
        return WEB.get_sample_value("gridalert_http_requests_total",
                                    {"route": route, "method": "GET", "status": status}) or 0.0

    links, unmatched = count("/a/{token}", "403"), count("unmatched", "404")
    [*_, (status, text)] = ask(None, "/a/forged-1", "/a/forged-2", "/no-such-page", "/metrics")
    assert status == 200 and "gridalert_http_requests_total{" in text
    assert count("/a/{token}", "403") == links + 2, "every link is one route, whatever its token"
    assert count("unmatched", "404") == unmatched + 1


def test_a_command_the_broker_did_not_take_is_counted_as_failed():
    def count(outcome: str) -> float:
        return WEB.get_sample_value("gridalert_commands_total", {"action": "accept", "outcome": outcome}) or 0.0

    def broker_down(command):
        raise ConnectionError("no broker")

    sent, failed = count("sent"), count("failed")
    counted(lambda command: None)(command("accept", "INC-1"))
    with pytest.raises(ConnectionError):
        counted(broker_down)(command("accept", "INC-1"))
    assert (count("sent"), count("failed")) == (sent + 1, failed + 1)
