"""What an operator sees of a running pipeline: health, readiness, metrics, and a clean SIGTERM.

Real broker, real worker and web processes; the worker's /health, /ready and /metrics are on a
port of its own (``Worker.ops_url``). A test stops the worker with SIGTERM in the middle of a
stream of events: what it handled is exactly what it committed, and the next worker goes on from
there. JSON logs: ``test_json_logs.py``.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import uuid
from collections import Counter
from typing import Iterator

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from gridalert.streams.records import DeadLetter
from gridalert.streams.topics import DEAD_LETTERS, EVENTS
from tests.support.pipeline import alarm_in, chain_of, http, incidents_where, send
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

GRID, OTHER_GRID = "GSH-JHY-01-02", "GSH-JHY-02-01"
LINK = re.compile(r"^接单：http://\S+/a/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$", re.MULTILINE)


def scrape(base: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of ``base``/metrics, keyed by (name, labels)."""
    status, text = http("GET", f"{base}/metrics")
    assert status == 200, text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_the_worker_is_live_and_ready_once_it_has_joined_its_group(pipeline):
    base = pipeline.worker.ops_url
    assert http("GET", f"{base}/health") == (200, json.dumps({"status": "ok"}))
    status, text = wait_until(lambda: (answer := http("GET", f"{base}/ready"))[0] == 200 and answer,
                              timeout_s=30, what="the worker's /ready")
    assert json.loads(text) == {"ready": True}
    assert value(scrape(base), "gridalert_worker_ready") == 1


def test_metrics_follow_good_and_malformed_events_an_incident_and_its_page(pipeline, district, sessions):
    base = pipeline.worker.ops_url
    before = scrape(base)
    marker = uuid.uuid4().hex
    bad = [f'{{"specversion": "1.0", "id": "{marker}-{n}", '.encode() for n in range(3)]
    send(pipeline, *bad)
    event = alarm_in(pipeline, GRID)
    head = chain_of(district, GRID)[0]
    wait_until(lambda: pipeline.receiver.pages_for(head), timeout_s=60, what="the grid head's page")
    [incident] = wait_until(lambda: incidents_where(sessions, lambda i: i.source_event_id == event["id"]),
                            timeout_s=30, what="the incident in the database")

    def rose(name: str, by: float, **labels: str):
        def check():
            now = scrape(base)
            return now if value(now, name, **labels) >= value(before, name, **labels) + by else None
        return wait_until(check, timeout_s=30, what=f"{name}{labels} to rise by {by}")

    rose("gridalert_delivery_attempts_total", 1, channel="json", outcome="sent")
    after = rose("gridalert_dead_letters_total", len(bad), stage="validate", reason="rejected")  # counters never fall
    assert value(after, "gridalert_dead_letters_total", stage="validate", reason="rejected") == \
        value(before, "gridalert_dead_letters_total", stage="validate", reason="rejected") + len(bad)
    assert value(after, "gridalert_events_in_total", stage="validate") >= \
        value(before, "gridalert_events_in_total", stage="validate") + len(bad) + 1
    for stage in ("validate", "locate", "detect", "incident", "dispatch", "notify"):
        assert value(after, "gridalert_events_out_total", stage=stage) > \
            value(before, "gridalert_events_out_total", stage=stage), f"{stage} passed nothing on"
    assert value(after, "gridalert_open_incidents", tier=incident.tier) >= \
        value(before, "gridalert_open_incidents", tier=incident.tier) + 1
    assert value(after, "gridalert_stage_seconds_count", stage="notify") >= 1
    assert value(after, "gridalert_overdue_incidents", tier=incident.tier) == 0
    for partition in ("0", "1"):  # one worker owns every partition
        assert ("gridalert_consumer_lag", frozenset({"topic": EVENTS, "partition": partition}.items())) in after
    wait_until(lambda: sum(value(scrape(base), "gridalert_consumer_lag", topic=EVENTS, partition=p)
                           for p in ("0", "1")) == 0, timeout_s=30, what="the events lag to be caught up")


def test_the_web_app_is_ready_and_counts_requests_and_commands(pipeline, district, web, sessions):
    assert http("GET", f"{web}/health")[0] == 200 and http("GET", f"{web}/healthz")[0] == 200
    status, text = http("GET", f"{web}/ready")
    assert (status, json.loads(text)) == (200, {"ready": True})
    for _ in range(2):
        assert http("POST", f"{web}/a/not-a-real-token")[0] == 403
    head = chain_of(district, OTHER_GRID)[0]
    event = alarm_in(pipeline, OTHER_GRID)
    [page] = wait_until(lambda: pipeline.receiver.pages_for(head), timeout_s=60, what="the grid head's page")
    # the link names the incident; the web app finds its grid in the database, which the page can beat
    wait_until(lambda: incidents_where(sessions, lambda i: i.source_event_id == event["id"]), timeout_s=30,
               what="the incident in the database")
    status, text = http("POST", f"{web}/a/{LINK.search(page['message']).group(1)}")
    assert status == 200 and "Accepted" in text, text

    samples = scrape(web)
    assert value(samples, "gridalert_http_requests_total", route="/a/{token}", method="POST", status="403") == 2
    assert value(samples, "gridalert_http_requests_total", route="/a/{token}", method="POST", status="200") == 1
    assert value(samples, "gridalert_http_requests_total", route="/ready", method="GET", status="200") == 1
    assert value(samples, "gridalert_commands_total", action="accept", outcome="sent") == 1
    assert value(samples, "gridalert_commands_total", action="accept", outcome="failed") == 0


class DeadLetters:
    """The dead-letter topic from its start, read as it grows; keeps the letters of one test."""

    def __init__(self, pipeline, marker: str):
        self.consumer = KafkaConsumer(DEAD_LETTERS, bootstrap_servers=pipeline.bootstrap, group_id=None,
                                      auto_offset_reset="earliest", consumer_timeout_ms=500)
        self.marker, self.letters = marker, []

    def read(self) -> list[DeadLetter]:
        for message in self.consumer:
            letter = DeadLetter.loads(message.value)
            if self.marker in letter.original:
                self.letters.append(letter)
        return self.letters

    def read_to_end(self) -> list[DeadLetter]:
        ends = self.consumer.end_offsets(list(self.consumer.assignment()))
        wait_until(lambda: self.read() is not None and all(self.consumer.position(tp) >= end
                                                           for tp, end in ends.items()),
                   timeout_s=30, what="the end of the dead-letter topic")
        return self.letters

    @property
    def originals(self) -> list[str]:
        return [letter.original for letter in self.letters]


def committed(pipeline) -> dict[int, int]:
    """The offsets of gridalert.events the workers' consumer group has committed, by partition."""
    group = KafkaConsumer(bootstrap_servers=pipeline.bootstrap, group_id=pipeline.worker.env["GRIDALERT_APP_ID"],
                          enable_auto_commit=False)
    try:
        return {p: group.committed(TopicPartition(EVENTS, p)) or 0 for p in (0, 1)}
    finally:
        group.close()


@contextlib.contextmanager
def streaming(pipeline, prefix: str) -> Iterator[list[str]]:
    """Malformed events, 50 a second, for as long as the block runs: each one handled is exactly one
    dead letter, so a lost event is a missing letter and an event handled twice a letter twice.
    Yields the list of events the broker acknowledged (filled in when the block ends)."""
    producer = KafkaProducer(bootstrap_servers=pipeline.bootstrap, acks="all")
    stop, tries, acknowledged = threading.Event(), [], []

    def stream():
        while not stop.is_set() and len(tries) < 3000:
            text = f'{{"id": "{prefix}-{len(tries)}", '
            tries.append((text, producer.send(EVENTS, value=text.encode())))
            stop.wait(0.02)

    thread = threading.Thread(target=stream, daemon=True)
    thread.start()
    try:
        yield acknowledged
    finally:
        stop.set()
        thread.join()
        producer.flush()
        producer.close()
        # an event the broker refused never reached the pipeline: it cannot be lost by it
        acknowledged.extend(text for text, sent in tries if sent.succeeded())


def test_sigterm_mid_stream_finishes_and_commits_what_it_handled_and_the_next_worker_goes_on(pipeline):
    marker = uuid.uuid4().hex
    letters = DeadLetters(pipeline, marker)
    stopped = pipeline.worker
    with streaming(pipeline, f"{marker}-a"):
        wait_until(lambda: len(letters.read()) >= 25, timeout_s=60, what="the worker to be in the middle of the stream")
        stopped.stop()  # SIGTERM; returns once the worker has exited
    assert stopped.process.returncode == 0, f"the worker did not stop cleanly:\n{stopped.log.read_text()[-3000:]}"

    # What the stopped worker handled is exactly what its group committed: every event before the
    # committed offset once, none after it (nothing handled and then forgotten, nothing half done).
    handled, offsets = list(letters.read_to_end()), committed(pipeline)
    repeated = [text for text, times in Counter(letters.originals).items() if times > 1]
    assert not repeated, f"{len(repeated)} events were handled twice before the stop, e.g. {repeated[:3]}"
    for partition, end in offsets.items():
        mine = sorted(letter.offset for letter in handled if letter.partition == partition)
        assert not mine or mine == list(range(mine[0], end)), \
            f"partition {partition}: committed {end}, handled {mine[:3]}…{mine[-3:]}"

    # The next worker starts from those offsets and takes the stream over.
    pipeline.restart_worker(kill=False)
    with streaming(pipeline, f"{marker}-b") as after:
        wait_until(lambda: len(letters.read()) >= len(handled) + 25, timeout_s=60,
                   what="the new worker to take the stream over")
    wait_until(lambda: set(after) <= {letter.original for letter in letters.read()}, timeout_s=60,
               what="a dead letter for every event sent after the restart")
    letters.consumer.close()
    for partition, end in offsets.items():
        later = [letter.offset for letter in letters.letters[len(handled):] if letter.partition == partition]
        assert min(later) == end, f"partition {partition}: the new worker began at {min(later)}, not at {end}"
    assert http("GET", f"{pipeline.worker.ops_url}/health")[0] == 200
