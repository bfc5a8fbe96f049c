"""What the benchmarks that run a stage's code in this process (timers, residents) share: where
Kafka would put a key, faust tables without a broker (a stand-in for the event they read and for
their changelog producer), and the process's memory. The unit tests of ``agents/timers.py`` use
the same tables."""

from __future__ import annotations

import os
import weakref
from collections import Counter
from types import SimpleNamespace
from typing import Iterable, Optional

import faust
from aiokafka.partitioner import murmur2
from faust.streams import _current_event

PARTITIONS = 4  # the default GRIDALERT_PARTITIONS


def partition_of(key: str) -> int:
    """The partition a message keyed ``key`` goes to (the Java client's and aiokafka's default)."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % PARTITIONS


class CurrentEvent:
    """What ``faust.streams.current_event()`` gives a table write: the message's topic and partition."""

    __slots__ = ("message", "__weakref__")

    def __init__(self, topic: str, partition: int):
        self.message = SimpleNamespace(topic=topic, partition=partition)


def offline_app(name: str) -> faust.App:
    """A faust app whose tables are used in this process, without a worker or a broker."""
    return faust.App(name, broker="kafka://127.0.0.1:1", store="memory://", autodiscover=False, web_enabled=False,
                     topic_partitions=PARTITIONS, key_serializer="raw", value_serializer="json")


def on_partition(topic: str, partition: int) -> CurrentEvent:
    """Table writes from here on belong to a message of ``topic``/``partition``, as inside an agent
    (keep the returned event referenced while writing)."""
    event = CurrentEvent(topic, partition)
    _current_event.set(weakref.ref(event))
    return event


class Changelog:
    """Stands in for the changelog producer of ``tables``: serialises each write as faust would
    before sending it, and counts the bytes and the writes per table (``keep``: and their keys)."""

    def __init__(self, tables: Iterable, source_topic: str, keep: bool = False):
        self.bytes = 0
        self.writes: Counter = Counter()
        self.keys: Optional[list[tuple[str, str]]] = [] if keep else None
        for table in tables:
            table._verified_source_topics_for_partitions.add(source_topic)
            table.send_changelog = self._sender(table)

    def _sender(self, table):
        def send_changelog(partition, key, value, key_serializer=None, value_serializer=None):
            data, _ = table.changelog_topic.prepare_value(value, value_serializer or table.value_serializer, None, {})
            self.bytes += len(data or b"")
            self.writes[table.name] += 1
            if self.keys is not None:
                self.keys.append((table.name, key))
            return SimpleNamespace(message=SimpleNamespace(partition=partition))
        return send_changelog


def rss_bytes() -> int:
    """This process's resident memory now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
