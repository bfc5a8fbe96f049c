"""The agent boundary: whatever goes wrong with one message goes to the dead-letter topic.

If an agent raises, Faust acks the message and never processes it again; so every agent wraps
each message in ``guard``: a ``Rejected`` input is dead-lettered with its reason, any other error
is logged with its traceback and dead-lettered too. The worker never stops on input.

``guard`` is also where every stage is measured (``gridalert.metrics``: messages in, out and
dead-lettered, seconds per message) and where log lines learn which event or incident they
are about (``gridalert.logs.about``).

Rejected input is logged sparingly (``DeadLetterLog``): the dead-letter topic has every one, and a
gateway gone wrong can send thousands a second, where a log line each cost as much as the
dead letter itself and filled the log.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import time
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Callable

import faust

from gridalert import metrics
from gridalert.logs import about
from gridalert.streams.cloudevents import Rejected, normalise_headers
from gridalert.streams.records import Alarm, DeadLetter, LocatedEvent, ValidEvent

log = logging.getLogger("gridalert.agents")


def _text(raw: bytes | None) -> tuple[str, str]:
    if raw is None:
        return "", "utf-8"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), "base64"


def dead_letter_for(event: faust.EventT, stage: str, reason: str) -> DeadLetter:
    message = event.message
    original, encoding = _text(message.value)
    key = message.key.decode("utf-8", "replace") if isinstance(message.key, bytes) else message.key
    headers = {k: _text(v)[0] for k, v in normalise_headers(message.headers).items()}
    return DeadLetter(
        reason=reason,
        stage=stage,
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        at=datetime.now(timezone.utc),
        original=original,
        original_encoding=encoding,
        key=key,
        headers=headers or None,
    )


def ids_of(value: Any) -> dict[str, str]:
    """The incident and event a message is about, for its log lines (none for raw bytes)."""
    ids = {}
    if isinstance(getattr(value, "incident_id", None), str):
        ids["incident_id"] = value.incident_id
    if isinstance(value, ValidEvent):
        ids["event_id"] = value.id
    elif isinstance(value, (LocatedEvent, Alarm)):
        ids["event_id"] = value.event.id
    elif isinstance(getattr(value, "source_event_id", None), str):
        ids["event_id"] = value.source_event_id
    return ids


def measured(event: faust.EventT, stage: str, started: float, *, dead_lettered: BaseException | None) -> None:
    """Count one message a stage finished (or dead-lettered) and how long it took."""
    if dead_lettered is None:
        metrics.EVENTS_OUT.labels(stage).inc()
    else:
        metrics.DEAD_LETTERS.labels(stage, metrics.reason_class(dead_lettered)).inc()
    metrics.STAGE_SECONDS.labels(stage).observe(time.perf_counter() - started)
    written = event.message.timestamp
    if written:
        metrics.STAGE_DELAY.labels(stage).observe(max(0.0, time.time() - written))


class DeadLetterLog:
    """Logs rejected input without flooding: the first of a stage at once, then at most one line per
    ``interval_s`` with how many more there were and the latest (``flush`` writes what is pending)."""

    def __init__(self, interval_s: float = 10.0, clock: Callable[[], float] = time.monotonic,
                 logger: logging.Logger = log):
        self.interval_s, self.clock, self.logger = interval_s, clock, logger
        self._pending: dict[str, tuple[int, str]] = {}  # stage → (count, the latest "where: reason")
        self._next: dict[str, float] = {}  # stage → when its next line may be written

    def rejected(self, stage: str, where: str, reason: str) -> None:
        count, _ = self._pending.get(stage, (0, ""))
        self._pending[stage] = (count + 1, f"{where}: {reason}")
        if self.clock() >= self._next.get(stage, 0.0):
            self._write(stage)

    def flush(self) -> None:
        for stage in list(self._pending):
            if self.clock() >= self._next.get(stage, 0.0):
                self._write(stage)

    def _write(self, stage: str) -> None:
        count, latest = self._pending.pop(stage)
        if count == 1:
            self.logger.info("%s: dead-lettered %s", stage, latest)
        else:
            self.logger.info("%s: dead-lettered %d more messages, the latest %s", stage, count, latest)
        self._next[stage] = self.clock() + self.interval_s


DEAD_LETTER_LOG = DeadLetterLog()


@contextlib.asynccontextmanager
async def guard(event: faust.EventT, stage: str, dead_letters: faust.TopicT) -> AsyncIterator[None]:
    """Run one message's work; on failure dead-letter it with the reason and carry on."""
    metrics.EVENTS_IN.labels(stage).inc()
    started, failure = time.perf_counter(), None
    with about(**ids_of(event.value)):
        try:
            yield
        except Rejected as exc:
            failure = exc
            message = event.message
            DEAD_LETTER_LOG.rejected(stage, f"{message.topic}[{message.partition}]@{message.offset}", exc.reason)
            await dead_letters.send(key=event.message.topic, value=dead_letter_for(event, stage, exc.reason))
        except Exception as exc:  # noqa: BLE001 - the boundary: nothing escapes, nothing is lost
            failure = exc
            log.exception("%s: failed on %s[%s]@%s", stage, event.message.topic,
                          event.message.partition, event.message.offset)
            reason = f"{stage} failed: {type(exc).__name__}: {exc}"
            await dead_letters.send(key=event.message.topic, value=dead_letter_for(event, stage, reason))
    measured(event, stage, started, dead_lettered=failure)


def now() -> datetime:
    return datetime.now(timezone.utc)
