"""What the metrics say: the pure sums behind the gauges, and what the agent boundary counts."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Optional

import pytest

from gridalert import metrics
from gridalert.agents.boundary import guard, ids_of
from gridalert.streams.cloudevents import Rejected
from gridalert.streams.ops import broker_unreachable, not_ready
from gridalert.streams.records import Deadline, IncidentState, TIERS
from tests.support.district import T0, alarm, book


def sample(name: str, **labels: str) -> float:
    return metrics.WORKER.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize("highwaters, committed, lag", [
    ({"a": 10}, {"a": 7}, {"a": 3}),
    ({"a": 10}, {"a": 10}, {"a": 0}),
    ({"a": 5}, {}, {"a": 5}),  # never committed: everything from offset 0 is behind
    ({"a": 5}, {"a": None}, {"a": 5}),
    ({"a": None}, {"a": 3}, {}),  # no fetch yet: nothing known, nothing said
    ({"a": 4}, {"a": 6}, {"a": 0}),  # a commit seen before the highwater caught up is no negative lag
    ({"a": 9, "b": 2}, {"a": 9, "b": 0}, {"a": 0, "b": 2}),
])
def test_consumer_lag_is_highwater_minus_committed(highwaters, committed, lag):
    assert metrics.consumer_lag(highwaters, committed) == lag


def incident(tier: str, status: str = "dispatched", *due_in_s: float) -> IncidentState:
    """An incident as the incident stage holds it, with deadlines ``due_in_s`` seconds from T0."""
    state, _ = book().on_alarm(None, alarm(f"e-{tier}-{status}"), T0)
    [held] = state.incidents.values()
    return held.derive(last=held.last.derive(tier=tier, status=status),
                       deadlines=[Deadline(due=T0 + timedelta(seconds=s), action="escalate", token=1)
                                  for s in due_in_s])


def test_open_incidents_are_counted_per_tier_and_every_tier_is_shown():
    incidents = [incident("grid"), incident("grid", "accepted"), incident("township", "on_scene"),
                 incident("grid", "closed"), incident("village", "resolved")]
    open_, overdue = metrics.incidents_by_tier(incidents, T0)
    assert open_ == {"unit": 0, "grid": 2, "village": 0, "township": 1, "district": 0}
    assert set(overdue) == set(TIERS) and not any(overdue.values())


@pytest.mark.parametrize("due_in_s, overdue", [
    ((60,), False),       # counting down
    ((-0.5,), False),     # just due: the next tick fires it
    ((-5,), True),        # should have fired seconds ago
    ((60, -5), True),     # any step late makes the incident overdue
])
def test_an_incident_is_overdue_once_a_step_deadline_is_more_than_a_second_past(due_in_s, overdue):
    _, late = metrics.incidents_by_tier([incident("village", "dispatched", *due_in_s)], T0)
    assert late["village"] == int(overdue)


def test_a_closed_incident_is_never_overdue():
    _, late = metrics.incidents_by_tier([incident("grid", "closed", -60)], T0)
    assert late["grid"] == 0


@pytest.mark.parametrize("name, kind", [("json-0", "json"), ("mailto-1", "mailto"), ("unknown-2", "unknown"),
                                        ("tgram-10", "tgram"), ("-", "-")])
def test_a_channel_is_counted_by_its_scheme_not_its_position(name, kind):
    assert metrics.channel_kind(name) == kind


@pytest.mark.parametrize("ok, retryable, outcome", [(True, False, "sent"), (False, True, "retryable"),
                                                    (False, False, "permanent")])
def test_a_delivery_attempt_outcome(ok, retryable, outcome):
    assert metrics.attempt_outcome(ok, retryable) == outcome


def test_a_dead_letter_is_classed_rejected_for_bad_input_and_failed_for_errors():
    assert metrics.reason_class(Rejected("not valid JSON")) == "rejected"
    assert metrics.reason_class(KeyError("x")) == "failed"


@pytest.mark.parametrize("flags, reason", [
    (dict(), None),
    (dict(started=False), "starting"),
    (dict(stopping=True), "stopping"),
    (dict(started=False, stopping=True), "stopping"),
    (dict(rebalancing=True), "rebalancing"),
    (dict(recovering=True), "recovering"),
    (dict(broker="broker unreachable: k:9092 (Connection refused)"), "broker unreachable"),
])
def test_the_worker_is_ready_only_when_started_settled_and_connected(flags, reason):
    found = not_ready(**{"started": True, "stopping": False, "rebalancing": False, "recovering": False,
                         "broker": None, **flags})
    assert (found is None) if reason is None else found.startswith(reason)


@dataclass
class Message:
    value: Any
    topic: str = "gridalert.events"
    partition: int = 0
    offset: int = 7
    timestamp: Optional[float] = None
    key: Optional[bytes] = None
    headers: list = field(default_factory=list)


@dataclass
class Event:
    message: Message

    @property
    def value(self) -> Any:
        return self.message.value


class Letters:
    def __init__(self):
        self.sent: list = []

    async def send(self, *, key, value):
        self.sent.append(value)


def handle(stage: str, work) -> Letters:
    letters = Letters()

    async def run():
        async with guard(Event(Message(b'{"id": "e-1"}')), stage, letters):
            work()

    asyncio.run(run())
    return letters


def test_the_boundary_counts_a_message_in_and_out():
    before = (sample("gridalert_events_in_total", stage="t-ok"), sample("gridalert_events_out_total", stage="t-ok"))
    assert handle("t-ok", lambda: None).sent == []
    assert sample("gridalert_events_in_total", stage="t-ok") == before[0] + 1
    assert sample("gridalert_events_out_total", stage="t-ok") == before[1] + 1
    assert sample("gridalert_stage_seconds_count", stage="t-ok") >= 1


@pytest.mark.parametrize("error, reason", [(Rejected("unknown event type"), "rejected"),
                                           (ZeroDivisionError("division by zero"), "failed")])
def test_a_dead_lettered_message_is_counted_by_stage_and_reason_not_as_out(error, reason):
    def work():
        raise error

    out = sample("gridalert_events_out_total", stage="t-bad")
    dead = sample("gridalert_dead_letters_total", stage="t-bad", reason=reason)
    assert len(handle("t-bad", work).sent) == 1
    assert sample("gridalert_dead_letters_total", stage="t-bad", reason=reason) == dead + 1
    assert sample("gridalert_events_out_total", stage="t-bad") == out


def test_ids_of_names_the_incident_and_the_event_a_message_is_about():
    @dataclass
    class Step:
        incident_id: str
        source_event_id: str

    assert ids_of(Step("INC-1", "ev-9")) == {"incident_id": "INC-1", "event_id": "ev-9"}
    assert ids_of(b"raw bytes") == {}


def test_the_broker_check_says_which_servers_did_not_answer():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, not listening: connections are refused
        reason = asyncio.run(broker_unreachable([f"127.0.0.1:{port}"], timeout_s=1))
    assert reason.startswith(f"broker unreachable: 127.0.0.1:{port} (")
    with socket.create_server(("127.0.0.1", 0)) as listening:
        servers = [f"127.0.0.1:{port}", f"127.0.0.1:{listening.getsockname()[1]}"]
        assert asyncio.run(broker_unreachable(servers)) is None, "one broker answering is enough"
