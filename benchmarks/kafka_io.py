"""Kafka side of the benchmark: pre-loading, pacing, a consumer group's progress, the reference loop.

- ``preload``: send messages as fast as one aiokafka producer batches them (acks=all).
- ``paced``: send at a steady rate, in 10 ms slices, noting when each alarm was handed to the client.
- ``start_at_end`` / ``Progress``: a fresh consumer group whose committed offsets start at the
  topics' ends, and how far it has committed since (what "every stage has consumed it" means).
- ``passthrough``: the reference, a bare aiokafka consume→produce loop (same partitions, acks=all
  as the worker's ``producer_acks=-1``): read a batch, send each message to the same partition of
  another topic without awaiting each send, await the batch's acks, commit.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from kafka import KafkaAdminClient
from kafka.admin import OffsetSpec
from kafka.errors import CoordinatorNotAvailableError

from benchmarks.workload import Message

SLICE_S = 0.01


async def _producer(bootstrap: list[str]) -> AIOKafkaProducer:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5,
                                max_batch_size=256 * 1024, client_id="gridalert-bench")
    await producer.start()
    return producer


async def _preload(bootstrap: list[str], topic: str, messages: list[Message]) -> None:
    producer = await _producer(bootstrap)
    try:
        futures = [await producer.send(topic, m.value, key=m.key) for m in messages]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def preload(bootstrap: list[str], topic: str, messages: list[Message]) -> float:
    """Send ``messages`` and wait for every ack; seconds taken."""
    started = time.perf_counter()
    asyncio.run(_preload(bootstrap, topic, messages))
    return time.perf_counter() - started


@dataclass
class PacedRun:
    sent: int = 0
    seconds: float = 0.0
    alarm_sent_at: dict[str, float] = field(default_factory=dict)  # alarm grid → wall time handed to send()

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


async def _paced(bootstrap: list[str], topic: str, next_message: Callable[[], Message], rate: float,
                 seconds: float) -> PacedRun:
    producer = await _producer(bootstrap)
    run = PacedRun()
    futures = []
    try:
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) < seconds:
            for _ in range(int(elapsed * rate) - run.sent):  # catch up with the schedule
                message = next_message()
                if message.alarm_grid:
                    run.alarm_sent_at[message.alarm_grid] = time.time()
                futures.append(await producer.send(topic, message.value, key=message.key))
                run.sent += 1
            await asyncio.sleep(SLICE_S)
        run.seconds = time.monotonic() - started
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return run


def paced(bootstrap: list[str], topic: str, next_message: Callable[[], Message], *, rate: float,
          seconds: float) -> PacedRun:
    """Send ``rate`` messages a second for ``seconds`` (as ``next_message()`` makes them)."""
    return asyncio.run(_paced(bootstrap, topic, next_message, rate, seconds))


# -- a consumer group's progress -------------------------------------------------------------------

def partitions_of(admin: KafkaAdminClient, topics: Iterable[str]) -> list[TopicPartition]:
    # kafka-python's metadata names fields after the protocol version it speaks
    return [TopicPartition(t.get("name") or t.get("topic"), p.get("partition_index", p.get("partition")))
            for t in admin.describe_topics(list(topics)) for p in t["partitions"]]


def end_offsets(admin: KafkaAdminClient, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
    answer = admin.list_partition_offsets({tp: OffsetSpec.LATEST for tp in partitions})
    return {TopicPartition(tp.topic, tp.partition): info.offset for tp, info in answer.items()}


def start_at_end(admin: KafkaAdminClient, group: str, topics: Iterable[str], *, timeout_s: float = 60) -> None:
    """Commit ``group``'s offsets at the topics' current ends: a worker of that group starts there
    (the benchmark runs several phases on one broker; each phase reads only its own messages).

    A fresh broker has no group coordinator until its offsets topic is up: retried until then."""
    specs = {tp: OffsetSpec.LATEST for tp in partitions_of(admin, topics)}
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin.reset_group_offsets(group, specs)
            return
        except CoordinatorNotAvailableError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@dataclass
class Progress:
    """How far ``group`` has committed on ``topics``: drained when every partition is at its end."""

    admin: KafkaAdminClient
    group: str
    topics: tuple[str, ...]
    partitions: list[TopicPartition] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.partitions = partitions_of(self.admin, self.topics)

    def committed(self) -> dict[TopicPartition, int]:
        answer = self.admin.list_group_offsets({self.group: self.partitions})
        offsets = answer.get(self.group, answer) if isinstance(answer, dict) else answer
        return {TopicPartition(tp.topic, tp.partition): (meta.offset if meta is not None else -1)
                for tp, meta in offsets.items()}

    def behind(self) -> int:
        """Messages the group has not committed yet, over all ``topics``."""
        ends, done = end_offsets(self.admin, self.partitions), self.committed()
        return sum(max(0, end - max(done.get(tp, -1), 0)) for tp, end in ends.items())

    def wait_drained(self, *, timeout_s: float, poll_s: float = 0.25,
                     alive: Callable[[], bool] = lambda: True) -> Optional[float]:
        """Wall time (``time.time()``) of the first poll that finds nothing behind; None on timeout.

        Faust commits every few seconds (``broker_commit_interval``, 2.8 s by default), so the
        moment found is up to one interval after the last message was done: an upper bound."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and alive():
            if self.behind() == 0:
                return time.time()
            time.sleep(poll_s)
        return None


# -- the reference: bare aiokafka consume → produce ------------------------------------------------

async def _passthrough(bootstrap: list[str], source: str, target: str, count: int, group: str) -> float:
    consumer = AIOKafkaConsumer(source, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await consumer.start()
    await producer.start()
    moved, started = 0, None
    try:
        while moved < count:
            batches = await consumer.getmany(timeout_ms=100)
            if started is None and batches:
                started = time.perf_counter()
            futures = [await producer.send(target, m.value, key=m.key, partition=tp.partition)
                       for tp, records in batches.items() for m in records]
            await asyncio.gather(*futures)
            if futures:
                await consumer.commit()
            moved += len(futures)
        return count / (time.perf_counter() - started)
    finally:
        await producer.stop()
        await consumer.stop()


def passthrough(bootstrap: list[str], source: str, target: str, count: int, group: str) -> float:
    """Messages per second the bare loop moves from ``source`` to ``target`` (from its first read)."""
    return asyncio.run(_passthrough(bootstrap, source, target, count, group))
