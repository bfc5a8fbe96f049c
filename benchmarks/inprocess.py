"""What the benchmarks that run a stage's code in this process (timers, residents) share: where
Kafka would put a key, a stand-in for the event faust's tables read, and the process's memory."""

from __future__ import annotations

import os
from types import SimpleNamespace

from aiokafka.partitioner import murmur2

PARTITIONS = 4  # the default GRIDALERT_PARTITIONS


def partition_of(key: str) -> int:
    """The partition a message keyed ``key`` goes to (the Java client's and aiokafka's default)."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % PARTITIONS


class CurrentEvent:
    """What ``faust.streams.current_event()`` gives a table write: the message's topic and partition."""

    __slots__ = ("message", "__weakref__")

    def __init__(self, topic: str, partition: int):
        self.message = SimpleNamespace(topic=topic, partition=partition)


def rss_bytes() -> int:
    """This process's resident memory now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
