"""The measurements of the pipeline benchmark, one function per phase, all on one ``Cluster``.

A ``Cluster`` is one Apache Kafka (``streams.apache_kafka.ApacheKafka``), one loopback receiver
playing every phone (``tests.support.receiver``) and a scratch directory. Every phase runs its
workers under an app id of its own (so its tables and consumer group start empty) whose committed
offsets start at the topics' current ends, so it reads only the messages it sends itself.

- ``reference``: the bare aiokafka consume→produce loop on two topics of the same partitions.
- ``throughput``: start N ``gridalert worker`` processes and let them settle, send a burst of the
  mix into gridalert.events as fast as one producer does, and time from the first send to "the
  group has committed every partition of every stage's topic up to its end" (events, validated,
  located, alarms, incidents, dispatch.*, deliveries). The burst is sent in a second or two; the
  workers take it in as it comes.
- ``latency``: one worker; a producer sends at a steady rate; for each alarm event, the time from
  handing it to the Kafka client to its page's arrival at the receiver.
"""

from __future__ import annotations

import math
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from kafka import KafkaAdminClient

from benchmarks import kafka_io
from benchmarks.bench_district import District
from benchmarks.figures import percentile
from benchmarks.workload import EventMix
from gridalert.runner import tail
from gridalert.store import upgrade
from gridalert.streams import topics as names
from gridalert.streams.apache_kafka import ApacheKafka
from gridalert.streams.broker import ensure_topics
from tests.e2e.conftest import Worker, start_worker, worker_env
from tests.support.receiver import Receiver

PARTITIONS = 4  # the default GRIDALERT_PARTITIONS: two workers get two each
STAGE_TOPICS = (names.EVENTS, names.VALIDATED, names.LOCATED, names.ALARMS, names.INCIDENTS,
                *names.DISPATCH.values(), names.DELIVERIES)
REFERENCE_IN, REFERENCE_OUT = "bench.passthrough.in", "bench.passthrough.out"
ALARM_EVERY = 200  # one message in 200 raises an alarm (0.5%) in the throughput runs
ALARMS_PER_S = 5   # alarms a second in the latency runs, whatever the rate
SETTLE_S = 3.0  # after the last worker is ready: the group's assignment settles


@dataclass
class Cluster:
    base: Path
    kafka: ApacheKafka
    receiver: Receiver
    bootstrap: list[str] = field(default_factory=list)
    admin: Optional[KafkaAdminClient] = None

    @classmethod
    def start(cls, base: Path, receiver: Receiver) -> "Cluster":
        kafka = ApacheKafka(base / "kafka", log_file=base / "broker.log")
        kafka.start()
        bootstrap = [kafka.url.removeprefix("kafka://")]
        ensure_topics(bootstrap, (*names.ALL, REFERENCE_IN, REFERENCE_OUT), PARTITIONS)
        return cls(base, kafka, receiver, bootstrap, KafkaAdminClient(bootstrap_servers=bootstrap))

    def stop(self) -> None:
        if self.admin is not None:
            self.admin.close()
        self.kafka.stop()

    def dead_letters(self) -> int:
        partitions = kafka_io.partitions_of(self.admin, [names.DEAD_LETTERS])
        return sum(kafka_io.end_offsets(self.admin, partitions).values())


# -- the reference -----------------------------------------------------------------------------------

def reference(cluster: Cluster, district: District, count: int) -> dict:
    """Events/s of the bare aiokafka loop over ``count`` messages of the same mix."""
    messages = EventMix(district, seed=1, prefix="ref").messages(count, alarm_every=ALARM_EVERY)
    kafka_io.preload(cluster.bootstrap, REFERENCE_IN, messages)
    group = f"bench-ref-{uuid.uuid4().hex[:6]}"
    return {"events": count, "rate": kafka_io.passthrough(cluster.bootstrap, REFERENCE_IN, REFERENCE_OUT, count, group)}


# -- workers -------------------------------------------------------------------------------------

def phase_env(cluster: Cluster, district: District, name: str) -> dict[str, str]:
    """A worker's environment for one phase: its own app id (tables, group), directory and SQLite file."""
    base = cluster.base / f"{name}-{uuid.uuid4().hex[:6]}"
    base.mkdir()
    database = f"sqlite:///{base / 'gridalert.db'}"
    upgrade(database)
    env = worker_env(cluster.kafka.url, database, district.directory, base, group=f"bench-{name}",
                     partitions=PARTITIONS)
    kafka_io.start_at_end(cluster.admin, env["GRIDALERT_APP_ID"], names.ALL)
    return env


def start_workers(env: dict[str, str], count: int, logs: Path) -> list[Worker]:
    """``count`` workers, one after the other, each ready (partitions assigned, tables recovered).

    From this thread: a worker dies with the thread that started it (``detach_and_die_with_parent``)."""
    name = env["GRIDALERT_APP_ID"]
    return [start_worker(env, logs / f"{name}-{n}.log", timeout_s=600) for n in range(count)]


def cpu_seconds(worker: Worker) -> float:
    """User + system CPU the worker process has used so far."""
    return process_cpu_seconds(worker.process.pid)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_all(workers: list[Worker]) -> None:
    for worker in workers:
        worker.stop()


# -- throughput ----------------------------------------------------------------------------------

def throughput(cluster: Cluster, district: District, *, workers: int, count: int, timeout_s: float = 900) -> dict:
    """Sustained events/s of ``workers`` workers over ``count`` pre-loaded messages of the mix."""
    env = phase_env(cluster, district, f"{district.preset}-{workers}w")
    mix = EventMix(district, seed=2, prefix=env["GRIDALERT_APP_ID"])
    messages = mix.messages(count, alarm_every=ALARM_EVERY)
    alarms = {f"/inbox/gh-{m.alarm_grid}" for m in messages if m.alarm_grid}
    dead_before, pages_before = cluster.dead_letters(), len(cluster.receiver.pages)
    progress = kafka_io.Progress(cluster.admin, env["GRIDALERT_APP_ID"], STAGE_TOPICS)
    started_at = time.time()
    running = start_workers(env, workers, cluster.base)
    ready_at = time.time()
    try:
        time.sleep(SETTLE_S)
        cpu_before = sum(cpu_seconds(w) for w in running)  # loading the map is not the events' cost
        sent_at = time.time()
        kafka_io.preload(cluster.bootstrap, names.EVENTS, messages)
        drained_at = progress.wait_drained(timeout_s=timeout_s, alive=lambda: all(w.alive() for w in running))
        if drained_at is None:
            raise RuntimeError(f"{workers} worker(s) on {district.preset}: not drained in {timeout_s:.0f} s "
                               f"({progress.behind()} messages behind); a worker's log:\n"
                               f"{tail(running[0].log, 40)}")
        cpu = sum(cpu_seconds(w) for w in running) - cpu_before
    finally:
        stop_all(running)
    paged = {path for path, _ in cluster.receiver.arrivals(pages_before)} & alarms
    seconds = drained_at - sent_at
    return {"events": count, "seconds": seconds, "rate": count / seconds, "startup_s": ready_at - started_at,
            "cpu_s": cpu, "cpu_us_per_event": cpu / count * 1e6, "alarms": len(alarms), "paged": len(paged),
            "dead_letters": cluster.dead_letters() - dead_before}


# -- latency ---------------------------------------------------------------------------------------

def latency(cluster: Cluster, district: District, *, rate: float, seconds: float, page_wait_s: float) -> dict:
    """Produce → page at the receiver, p50/p90/p99, for the alarms among ``rate`` events/s.

    Pages may come up to ``page_wait_s`` after the producer stopped; an alarm paged later (a
    worker that cannot keep up falls further behind every second) counts as never paged, and so
    as slower than every other."""
    env = phase_env(cluster, district, f"{district.preset}-{int(rate)}eps")
    mix = EventMix(district, seed=3, prefix=env["GRIDALERT_APP_ID"])
    alarm_every = max(1, round(rate / ALARMS_PER_S))
    running = start_workers(env, 1, cluster.base)
    pages_before = len(cluster.receiver.pages)
    intake = kafka_io.Progress(cluster.admin, env["GRIDALERT_APP_ID"], (names.EVENTS,))
    try:
        run = kafka_io.paced(cluster.bootstrap, names.EVENTS,
                             lambda: mix.alarm() if (mix.count + 1) % alarm_every == 0 else mix.reading(),
                             rate=rate, seconds=seconds)
        behind_at_end = intake.behind()  # includes up to one commit interval's worth
        arrived = _wait_for_pages(cluster.receiver, pages_before, set(run.alarm_sent_at), page_wait_s)
    finally:
        stop_all(running)
    delays = [arrived.get(grid, math.inf) - sent for grid, sent in run.alarm_sent_at.items()]
    first = min(run.alarm_sent_at.values(), default=0.0)
    return {"offered": rate, "sent_rate": run.rate, "seconds": run.seconds, "alarms": len(delays),
            "paged": sum(math.isfinite(d) for d in delays), "behind_at_end": behind_at_end,
            "page_wait_s": page_wait_s, **{f"p{q}": percentile(delays, q) for q in (50, 90, 99)},
            "samples": sorted((sent - first, arrived[grid] - sent) for grid, sent in run.alarm_sent_at.items()
                              if grid in arrived)}


def _wait_for_pages(receiver: Receiver, since: int, grids: set[str], wait_s: float) -> dict[str, float]:
    """Grid → arrival of the first page to its grid head, waiting up to ``wait_s`` for the rest."""
    deadline = time.monotonic() + wait_s
    while True:
        arrived: dict[str, float] = {}
        for path, at in receiver.arrivals(since):
            grid = path.removeprefix("/inbox/gh-")
            if grid in grids:
                arrived.setdefault(grid, at)
        if len(arrived) == len(grids) or time.monotonic() > deadline:
            return arrived
        time.sleep(0.2)
