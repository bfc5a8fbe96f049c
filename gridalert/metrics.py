"""Prometheus metrics of the worker and the web app: their definitions and the pure sums behind them.

Two registries, one per kind of process, so ``gridalert web`` shows no pipeline metrics and the
worker no HTTP ones. Counters and histograms count as things happen (``agents/boundary.py``,
``notifiers/delivery.py``, ``gridalert/web.py``); gauges of state (lag, open incidents) are
computed when Prometheus scrapes, by ``streams/ops.py``, from the functions below.
Every metric is listed, with its labels, in docs/operations.md.

Must not: serve HTTP or read Faust; label values come from small fixed sets (stage names, tiers,
channel schemes), never from ids, so the number of series stays small.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Mapping, Optional, TypeVar

from prometheus_client import (CollectorRegistry, Counter, GCCollector, Histogram, PlatformCollector, ProcessCollector,
                               disable_created_metrics)

from gridalert.incidents.lifecycle import OPEN
from gridalert.streams.cloudevents import Rejected
from gridalert.streams.records import TIERS, IncidentState

disable_created_metrics()  # a ``_created`` series beside every counter doubles the output for nothing we read

WORKER = CollectorRegistry()
WEB = CollectorRegistry()
for _registry in (WORKER, WEB):
    ProcessCollector(registry=_registry)
    PlatformCollector(registry=_registry)
    GCCollector(registry=_registry)

# Seconds from a message's write to its stage's end: 64 s and 106 s are NFPA 1221's alarm
# processing limits (90% and 95%), so a histogram shows at a glance how a stage stands to them.
DELAY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 64, 106, 300, 900)

EVENTS_IN = Counter("gridalert_events_in", "Messages a stage took from its topic", ["stage"], registry=WORKER)
EVENTS_OUT = Counter("gridalert_events_out", "Messages a stage finished without dead-lettering them",
                     ["stage"], registry=WORKER)
DEAD_LETTERS = Counter("gridalert_dead_letters", "Messages a stage sent to the dead-letter topic",
                       ["stage", "reason"], registry=WORKER)
STAGE_SECONDS = Histogram("gridalert_stage_seconds", "Seconds a stage worked on one message, from the start "
                          "of its processing", ["stage"], registry=WORKER)
STAGE_DELAY = Histogram("gridalert_stage_delay_seconds", "Seconds from a message's timestamp in Kafka (when "
                        "it was written) to the end of the stage's work on it", ["stage"],
                        buckets=DELAY_BUCKETS, registry=WORKER)
DELIVERY_ATTEMPTS = Counter("gridalert_delivery_attempts", "Attempts to send a page, by channel kind and "
                            "outcome (sent, retryable, permanent)", ["channel", "outcome"], registry=WORKER)
DELIVERY_FAILURES = Counter("gridalert_delivery_failures", "Pages that did not get through on a channel after "
                            "all their attempts (failover or the deputy comes next)", ["channel"], registry=WORKER)

HTTP_REQUESTS = Counter("gridalert_http_requests", "HTTP requests answered by the web app",
                        ["route", "method", "status"], registry=WEB)
HTTP_SECONDS = Histogram("gridalert_http_request_seconds", "Seconds the web app took to answer", ["route"],
                         registry=WEB)
COMMANDS = Counter("gridalert_commands", "Commands the web app produced to gridalert.commands, by outcome "
                   "(sent, failed: the broker did not take it)", ["action", "outcome"], registry=WEB)

# Reason classes of dead letters: few and stable, unlike the reasons themselves.
REJECTED, FAILED, DATABASE = "rejected", "failed", "database"


def reason_class(exc: BaseException) -> str:
    """``rejected``: the input cannot be used (bad JSON, unknown type, a refused command);
    ``failed``: an error while handling good input (a bug, or a service down)."""
    return REJECTED if isinstance(exc, Rejected) else FAILED


def channel_kind(channel: str) -> str:
    """The scheme of a channel name (``json-0`` → ``json``, ``mailto-1`` → ``mailto``)."""
    kind, _, index = channel.rpartition("-")
    return kind if kind and index.isdigit() else channel


def attempt_outcome(ok: bool, retryable: bool) -> str:
    return "sent" if ok else "retryable" if retryable else "permanent"


def delivery_attempt(channel: str, ok: bool, retryable: bool) -> None:
    DELIVERY_ATTEMPTS.labels(channel_kind(channel), attempt_outcome(ok, retryable)).inc()


def delivery_failed(channel: str) -> None:
    DELIVERY_FAILURES.labels(channel_kind(channel)).inc()


P = TypeVar("P")


def consumer_lag(highwaters: Mapping[P, Optional[int]], committed: Mapping[P, Optional[int]]) -> dict[P, int]:
    """Messages not yet committed, per partition: highwater (the next offset to be written) minus
    the committed offset (the next one to read). A partition with no highwater yet is left out; one
    the group never committed counts from offset 0."""
    return {tp: max(0, high - (committed.get(tp) or 0)) for tp, high in highwaters.items() if high is not None}


def incidents_by_tier(incidents: Iterable[IncidentState], now: datetime,
                      grace_s: float = 1.0) -> tuple[dict[str, int], dict[str, int]]:
    """(open incidents, overdue incidents) per tier, every tier present.

    Overdue: open, with a step whose deadline passed more than ``grace_s`` ago; the clock fires a
    due step within a tick, so one that stays overdue means the clock or the partition is stuck.
    """
    open_ = dict.fromkeys(TIERS, 0)
    overdue = dict.fromkeys(TIERS, 0)
    limit = now.timestamp() - grace_s
    for incident in incidents:
        tier = incident.last.tier
        if incident.last.status not in OPEN or tier not in open_:
            continue
        open_[tier] += 1
        if any(deadline.due.timestamp() < limit for deadline in incident.deadlines):
            overdue[tier] += 1
    return open_, overdue
