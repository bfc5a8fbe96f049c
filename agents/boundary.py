"""The agent boundary: whatever goes wrong with one message goes to the dead-letter topic.

If an agent raises, Faust acks the message and never processes it again; so every agent wraps
each message in ``guard``: a ``Rejected`` input is dead-lettered with its reason, any other error
is logged with its traceback and dead-lettered too. The worker never stops on input.
"""

from __future__ import annotations

import base64
import contextlib
import logging
from datetime import datetime, timezone
from typing import AsyncIterator

import faust

from gridalert.streams.cloudevents import Rejected, normalise_headers
from gridalert.streams.records import DeadLetter

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


@contextlib.asynccontextmanager
async def guard(event: faust.EventT, stage: str, dead_letters: faust.TopicT) -> AsyncIterator[None]:
    """Run one message's work; on failure dead-letter it with the reason and carry on."""
    try:
        yield
    except Rejected as exc:
        log.info("%s: dead-lettered %s[%s]@%s: %s", stage, event.message.topic,
                 event.message.partition, event.message.offset, exc.reason)
        await dead_letters.send(key=event.message.topic, value=dead_letter_for(event, stage, exc.reason))
    except Exception as exc:  # noqa: BLE001 - the boundary: nothing escapes, nothing is lost
        log.exception("%s: failed on %s[%s]@%s", stage, event.message.topic,
                      event.message.partition, event.message.offset)
        reason = f"{stage} failed: {type(exc).__name__}: {exc}"
        await dead_letters.send(key=event.message.topic, value=dead_letter_for(event, stage, reason))


def now() -> datetime:
    return datetime.now(timezone.utc)
