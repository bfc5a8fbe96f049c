"""A burst of 100,000 events, most of them bad, into one worker on Apache Kafka (issue 8).

Malformed, not UTF-8, oversized, wrongly typed, out-of-range, incomplete, unknown-type and
badly timed events are mixed with a district's normal readings, their duplicates and six real
alarms in distinct grids (``tests/faults/burst.py`` makes the mix, seeded). The worker must take
it all without crashing; every bad event is in ``gridalert.events.dlq`` once, with a reason that
names its problem and the original as sent; every good one passes validation (once per copy sent:
a gateway's retry passes too, the detect and incident stages make it harmless) and is placed in its
grid; and each alarm opens exactly one incident whose pages reach the right people exactly once.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from gridalert.config.settings import SAMPLE_CONFIG_DIR
from gridalert.streams.cloudevents import Rejected, parse_event
from gridalert.streams.topics import DEAD_LETTERS, EVENTS, LOCATED
from tests.faults.burst import BAD, Burst, make_burst
from tests.faults.script import CLIMBING, Script
from tests.support.pipeline import BEIJING, point_in
from tests.support.waiting import wait_until

SEED = 20261123
TOTAL = 100_000
ALARM_GRIDS = CLIMBING[:6]
# On the shared 2-core test machine the worker takes the burst in 50–70 s (about 1,500–2,000 events/s).
DRAIN_TIMEOUT_S = 300


def burst_for(config_dir, start: datetime | None = None) -> Burst:
    grids = json.loads((config_dir / "grids.geojson").read_text(encoding="utf-8"))["features"]
    points = {f["properties"]["grid_id"]: point_in(config_dir, f["properties"]["grid_id"]) for f in grids}
    return make_burst(seed=SEED, total=TOTAL, points=points, alarm_grids=ALARM_GRIDS, start=start)


def test_the_burst_is_the_mix_it_claims_to_be():
    """Without Kafka: each bad message is refused with its reason, each good one is valid, and the
    mix is deterministic. (Else the fault test below could pass or fail for the wrong reason.)"""
    start = datetime(2026, 11, 23, 1, 0, tzinfo=BEIJING)
    burst = burst_for(SAMPLE_CONFIG_DIR, start)
    counts = burst.counts()
    assert sum(counts.values()) == TOTAL and set(counts) == {*BAD, "good", "duplicate", "alarm"}, counts
    assert counts["alarm"] == len(ALARM_GRIDS) and counts["duplicate"] == 2000 + 3 * len(ALARM_GRIDS)
    for message in burst.messages:
        try:
            parse_event(message.value, message.headers)
        except Rejected as exc:
            assert message.bad, f"{message.category} {message.event_id} rejected: {exc.reason}"
            assert message.expect in exc.reason, f"{message.key!r}: {exc.reason!r} does not name {message.expect!r}"
        else:
            assert not message.bad, f"{message.key!r} ({message.category}) passed validation"
    def sent(m):  # the alarms carry the time they are made (now); all else is fixed by the seed and start
        return m.key if m.category in ("alarm", "duplicate") else (m.key, m.value)

    again = burst_for(SAMPLE_CONFIG_DIR, start)
    assert [sent(m) for m in again.messages] == [sent(m) for m in burst.messages]


def produce(bootstrap: list[str], burst: Burst) -> None:
    """Every message as fast as kafka-python batches them; fails if the broker refused any."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", client_id="burst", linger_ms=20,
                             batch_size=256 * 1024, max_request_size=2 * 1024 * 1024,
                             max_block_ms=120_000)
    try:
        futures = [producer.send(EVENTS, key=m.key, value=m.value, headers=m.headers) for m in burst.messages]
        producer.flush(timeout=300)
        failed = [f.exception for f in futures if f.failed()]
        assert not failed, f"the broker refused {len(failed)} messages, e.g. {failed[:3]}"
    finally:
        producer.close(timeout=10)


def consumer(bootstrap: list[str]) -> KafkaConsumer:
    # dead letters of the biggest events are several MB (json escapes the original)
    return KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
                         max_partition_fetch_bytes=16 * 1024 * 1024, fetch_max_bytes=64 * 1024 * 1024)


def topic_size(reader: KafkaConsumer, topic: str) -> int:
    partitions = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic) or ()]
    return sum(reader.end_offsets(partitions).values())


def committed_and_end(reader: KafkaConsumer, admin: KafkaAdminClient, group: str) -> tuple[dict, dict]:
    """Per partition of ``gridalert.events``: the offset ``group`` committed (0: none yet), and the end."""
    partitions = [TopicPartition(EVENTS, p) for p in reader.partitions_for_topic(EVENTS) or ()]
    committed = admin.list_group_offsets({group: partitions}).get(group, {})
    done = {tp: committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0 for tp in partitions}
    return done, reader.end_offsets(partitions)


def consumed_so_far(reader: KafkaConsumer, admin: KafkaAdminClient, group: str) -> str:
    done, end = committed_and_end(reader, admin, group)
    return ", ".join(f"[{tp.partition}] {done[tp]} of {end[tp]}" for tp in sorted(end))


def consumed(reader: KafkaConsumer, admin: KafkaAdminClient, group: str) -> bool:
    """The group has committed every message of ``gridalert.events`` there is: each was processed."""
    done, end = committed_and_end(reader, admin, group)
    return all(done[tp] >= end[tp] for tp in end)


def read_topic(bootstrap: list[str], topic: str) -> list[dict]:
    """Every record of ``topic`` from the beginning to the end offsets of now, as JSON."""
    reader = consumer(bootstrap)
    try:
        partitions = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic) or ()]
        reader.assign(partitions)
        reader.seek_to_beginning(*partitions)
        end = reader.end_offsets(partitions)
        values = []
        while any(reader.position(tp) < end[tp] for tp in partitions):
            for records in reader.poll(timeout_ms=1000, max_records=10_000).values():
                values.extend(json.loads(r.value) for r in records
                              if r.offset < end[TopicPartition(r.topic, r.partition)])
        return values
    finally:
        reader.close()


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux ``/proc``): the worker's cost of the burst,
    which the other processes on a shared machine do not blur as they blur wall time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def original_of(letter: dict) -> bytes:
    text = letter["original"]
    return base64.b64decode(text) if letter["original_encoding"] == "base64" else text.encode("utf-8")


@pytest.mark.timeout(900)
def test_a_burst_of_100000_bad_good_and_duplicate_events_crashes_nothing_and_loses_nothing(pipeline, district):
    worker = pipeline.worker
    pid = worker.process.pid
    burst = burst_for(pipeline.config_dir)
    bad, passed = burst.bad, burst.passed()
    script = Script(pipeline, district)
    script.alarms.update(burst.alarms)

    started, cpu_before = time.monotonic(), cpu_seconds(pid)
    produce(pipeline.bootstrap, burst)
    produced = time.monotonic()
    group = worker.env["GRIDALERT_APP_ID"]  # the worker's consumer group
    reader, admin = consumer(pipeline.bootstrap), KafkaAdminClient(bootstrap_servers=pipeline.bootstrap)
    try:
        try:
            wait_until(lambda: consumed(reader, admin, group) or not worker.alive(), timeout_s=DRAIN_TIMEOUT_S,
                       poll_s=1.0)
        except AssertionError:
            raise AssertionError(f"the worker did not take in the burst in {DRAIN_TIMEOUT_S} s; it committed "
                                 f"{consumed_so_far(reader, admin, group)}") from None
        taken, cpu = time.monotonic(), cpu_seconds(pid) - cpu_before
        good = sum(passed.values())
        try:  # the last sends may still be on their way; if some never come, the assertions below say which
            wait_until(lambda: (topic_size(reader, DEAD_LETTERS) >= len(bad)
                                and topic_size(reader, LOCATED) >= good), timeout_s=30, poll_s=1.0)
        except AssertionError:
            pass
    finally:
        reader.close()
        admin.close()
    print(f"\nburst of {TOTAL} ({len(bad)} bad): produced in {produced - started:.1f} s, all taken in by the "
          f"worker {taken - started:.1f} s after the first send: {TOTAL / (taken - started):.0f} events/s; "
          f"worker CPU {cpu:.1f} s ({cpu / TOTAL * 1e6:.0f} µs per event)")

    # never crashed, never restarted
    assert worker.alive() and pipeline.worker is worker and worker.process.pid == pid, "the worker died"
    log = worker.log.read_text(errors="replace")
    assert "Traceback" not in log, "the worker logged a traceback:\n" + log[max(0, log.index("Traceback") - 2000):][:6000]

    # every bad event dead-lettered once, with its reason and exactly as sent; nothing else there
    letters = read_topic(pipeline.bootstrap, DEAD_LETTERS)
    keys = Counter((letter.get("key") or "").encode() for letter in letters)
    twice = [k for k, n in keys.items() if n > 1]
    stray = [letter for letter in letters if (letter.get("key") or "").encode() not in bad]
    missing = [k for k in bad if k not in keys]
    assert not twice, f"{len(twice)} bad events dead-lettered more than once, e.g. {twice[:5]}"
    assert not stray, f"{len(stray)} dead letters of events that were not bad, e.g. {[s['reason'] for s in stray[:5]]}"
    assert not missing, (f"{len(missing)} bad events are not in the DLQ: "
                         f"{Counter(bad[k].category for k in missing)}, e.g. {missing[:5]}")
    wrong = []
    for letter in letters:
        message = bad[letter["key"].encode()]
        if (letter["stage"] != "validate" or not letter["reason"].strip() or message.expect not in letter["reason"]
                or original_of(letter) != (message.value or b"")):
            wrong.append((message.category, message.expect, letter["stage"], letter["reason"][:200]))
    assert not wrong, f"{len(wrong)} dead letters with a wrong stage, reason or original, e.g. {wrong[:5]}"
    by_category = Counter(bad[letter["key"].encode()].category for letter in letters)
    assert by_category == Counter(m.category for m in bad.values())

    # every good event passed validation once per copy sent, and was placed in its grid
    grid_of = {m.event_id: m.grid for m in burst.messages if m.event_id}
    located = read_topic(pipeline.bootstrap, LOCATED)
    located_ids = Counter(r["event"]["id"] for r in located)
    assert located_ids == passed, f"located differs: {(located_ids - passed) or (passed - located_ids)}"
    misplaced = [(r["event"]["id"], r["place"]["grid_id"]) for r in located
                 if r["place"]["grid_id"] != grid_of[r["event"]["id"]]]
    assert not misplaced, f"{len(misplaced)} events placed in the wrong grid, e.g. {misplaced[:5]}"

    # each alarm: one incident (however often it was sent), its pages exactly once; no other incident
    script.assert_invariants()
    assert worker.alive() and worker.process.pid == pid
