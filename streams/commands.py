"""Producing commands from outside the worker (CLI, later the web API): find the incident's
partition key, build a ``Command``, send it keyed so the owning partition applies it in order."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from kafka import KafkaProducer

from gridalert.streams.records import Command
from gridalert.streams.topics import COMMANDS


def new_command(action: str, actor: str, partition_key: str, **fields: Any) -> Command:
    return Command(id=f"cmd-{uuid.uuid4().hex}", action=action, actor=actor, at=datetime.now(timezone.utc),
                   partition_key=partition_key, **{k: v for k, v in fields.items() if v is not None})


def send_command(bootstrap: list[str], command: Command, *, timeout_s: float = 30.0) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", client_id="gridalert-command",
                             max_block_ms=int(timeout_s * 1000))
    try:
        producer.send(COMMANDS, key=command.partition_key.encode(), value=command.dumps()).get(timeout=timeout_s)
    finally:
        producer.close(timeout=5)
