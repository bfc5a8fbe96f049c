"""Producing events from outside the worker (CLI, demo, tests): kafka-python, keyed by device."""

from __future__ import annotations

import json
from typing import Iterable

from kafka import KafkaProducer


def event_key(message: bytes) -> bytes | None:
    """The device id when the event names one (its readings stay in order), else the event id."""
    try:
        document = json.loads(message)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict):
        return None
    data = document.get("data")
    if isinstance(data, dict) and isinstance(data.get("device"), str):
        return data["device"].encode()
    if isinstance(document.get("id"), str):
        return document["id"].encode()
    return None


def produce_events(bootstrap: list[str], messages: Iterable[bytes], *, topic: str = "gridalert.events",
                   key: bytes | None = None, timeout_s: float = 30.0) -> None:
    """Send every message and wait until the broker has acknowledged all of them.

    ``key`` overrides the per-message key (all messages then keep their order).
    """
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", client_id="gridalert-send",
                             max_block_ms=int(timeout_s * 1000))
    try:
        futures = [producer.send(topic, key=key or event_key(m), value=m) for m in messages]
        producer.flush(timeout=timeout_s)
        for future in futures:
            future.get(timeout=timeout_s)
    finally:
        producer.close(timeout=5)
