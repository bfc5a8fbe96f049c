"""Delivery policy: retry one channel, fail over across a person's channels.

``deliver`` retries a channel while its failures are retryable, with capped exponential backoff and
full jitter (sleep a random time in ``[0, min(cap, base·2^n)]``), so pages to a recovering service
do not arrive in lock-step. ``page_person`` tries one person's channels in order until one gets
through (派单 reaches the person once, on the first channel that works).

Must not: touch Kafka or Faust, keep a sent-log, or page several people; the caller (the notify
agent) owns the durable sent-log and the concurrency across people.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Awaitable, Callable, Optional, Protocol

from gridalert.notifiers.channel import Channel, SendResult

log = logging.getLogger("gridalert.notifiers")


class Jitter(Protocol):
    """What ``deliver`` needs of its random source: the ``random`` module or a ``random.Random``."""

    def uniform(self, a: float, b: float) -> float: ...


def backoff_delay(retry: int, *, backoff_s: float, max_backoff_s: float, rng: Jitter = random) -> float:
    """Seconds to wait before retry number ``retry`` (1 for the first retry): full jitter."""
    ceiling = min(max_backoff_s, backoff_s * 2 ** (retry - 1))
    return rng.uniform(0.0, ceiling) if ceiling > 0 else 0.0


async def deliver(channel: Channel, title: str, body: str, *, attempts: int = 3, backoff_s: float = 0.5,
                  max_backoff_s: float = 10.0, rng: Jitter = random,
                  on_attempt: Optional[Callable[[int, SendResult], Awaitable[None]]] = None) -> tuple[SendResult, int]:
    """Send through ``channel``, retrying retryable failures; return the last result and the attempts made.

    A permanent failure ends at once; so does success. After ``attempts`` tries the last
    (retryable) failure is returned for the caller to fail over or dead-letter. ``on_attempt``
    (attempt number, result) is awaited after every attempt, before any backoff: the caller
    records each attempt, and makes a success durable before anything else happens.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts!r}")
    for attempt in range(1, attempts + 1):
        result = await channel.send(title, body)
        if on_attempt is not None:
            await on_attempt(attempt, result)
        if result.ok or not result.retryable or attempt == attempts:
            return result, attempt
        delay = backoff_delay(attempt, backoff_s=backoff_s, max_backoff_s=max_backoff_s, rng=rng)
        log.info("channel %s failed (attempt %d of %d), retrying in %.2f s: %s",
                 channel.name, attempt, attempts, delay, result.error)
        await asyncio.sleep(delay)
    raise AssertionError("unreachable: the last attempt always returns")


async def page_person(person_id: str, channels: list[Channel], title: str, body: str, *,
                      already_sent: Callable[[str], bool], attempts: int = 3, backoff_s: float = 0.5,
                      max_backoff_s: float = 10.0,
                      rng: Jitter = random) -> list[tuple[str, SendResult, int]]:
    """Page one person: try their channels in order, stop at the first that gets through.

    ``already_sent(channel.name)`` asks the caller's sent-log whether this page already went out on
    that channel (the caller scopes the key by order and person). One such channel means the person
    was reached before (a replay after a restart): nothing is sent and nothing reported, not even on
    the channels before it, which would page the person a second time.

    Returns ``(channel name, last result, attempts)`` for every channel tried, in order; the person
    was reached iff the last entry is ok. An empty list means there was nothing to do.
    """
    if any(already_sent(channel.name) for channel in channels):
        log.debug("%s was already paged on one of their channels; not paging again", person_id)
        return []
    tried: list[tuple[str, SendResult, int]] = []
    for channel in channels:
        result, made = await deliver(channel, title, body, attempts=attempts, backoff_s=backoff_s,
                                     max_backoff_s=max_backoff_s, rng=rng)
        tried.append((channel.name, result, made))
        if result.ok:
            return tried
        kind = "retries exhausted" if result.retryable else "permanent failure"
        log.warning("paging %s on %s failed after %d attempt(s), %s: %s",
                    person_id, channel.name, made, kind, result.error)
    return tried
