"""Benchmark: how many events/s Faust itself moves per worker, with no gridalert code (issue 9).

The pipeline benchmark compares gridalert with a bare aiokafka loop. This one measures what lies
between: minimal Faust apps of the pipeline's shape, each in a worker process of its own, over the
same event mix on the same broker, **in the same run** as the bare loop:

- ``agent``: one agent; decode the JSON, one awaited ``send`` per event (the obvious way);
- ``agent+table``: the same, plus one table write per event (a changelog message);
- ``two agents+table``: an agent as above sends each event to a middle topic, a second agent
  reads it there and writes a table row per event: gridalert's intake → detect, without gridalert.

The worker settings are gridalert's (``producer_acks=-1``, memory store, 4 partitions, commits
every 2.8 s). Events/s is counted from the first send of a pre-loaded burst to the group having
committed its input topics to the end (an upper bound by up to one commit interval, as in the
pipeline benchmark).

Run:  python benchmarks/faust_floor.py --docs     (about 3 minutes; ``make bench`` runs it after the
                                                   pipeline; --docs rewrites docs/performance.md's
                                                   section "What Faust itself allows")
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHAPES = ("agent", "agent+table", "two agents+table")
COMMIT_INTERVAL_S = 2.8  # gridalert's default (GRIDALERT_COMMIT_INTERVAL_S)


def floor_app(shape: str, broker: str, app_id: str, topic_prefix: str, partitions: int):
    """The minimal Faust app of ``shape``: ``<prefix>.in`` → (``<prefix>.mid`` →) ``<prefix>.out``."""
    import json

    import faust

    app = faust.App(app_id, broker=broker, store="memory://", autodiscover=False, web_enabled=False,
                    topic_partitions=partitions, topic_allow_declare=True, consumer_auto_offset_reset="earliest",
                    broker_commit_interval=COMMIT_INTERVAL_S, producer_acks=-1, key_serializer="raw",
                    value_serializer="raw")
    source = app.topic(f"{topic_prefix}.in", key_type=bytes, value_type=bytes)
    middle = app.topic(f"{topic_prefix}.mid", key_type=bytes, value_type=bytes)
    sink = app.topic(f"{topic_prefix}.out", key_type=bytes, value_type=bytes)
    table = app.Table("floor-state", key_type=str, value_type=bytes, partitions=partitions) if "table" in shape else None

    if shape == "two agents+table":
        @app.agent(source)
        async def first(stream):
            async for event in stream.events():
                json.loads(event.value)
                await middle.send(key=event.key, value=event.value)

        @app.agent(middle)
        async def second(stream):
            async for event in stream.events():
                value = json.loads(event.value)
                table[value.get("source", "")] = event.value
                await sink.send(key=event.key, value=event.value)
    else:
        @app.agent(source)
        async def only(stream):
            async for event in stream.events():
                value = json.loads(event.value)
                if table is not None:
                    table[value.get("source", "")] = event.value
                await sink.send(key=event.key, value=event.value)

    return app


def run_worker(shape: str, broker: str, app_id: str, prefix: str, partitions: int) -> None:
    from faust import Worker

    app = floor_app(shape, broker, app_id, prefix, partitions)
    Worker(app, loglevel="INFO").execute_from_commandline()


def measure(count: int, say=print) -> dict:
    from benchmarks import phases
    from benchmarks.bench_district import write_district
    from tests.support.receiver import Receiver

    base = Path(tempfile.mkdtemp(prefix="faust-floor-"))
    results: dict = {"events": count}
    with Receiver() as receiver:
        cluster = phases.Cluster.start(base, receiver)
        try:
            district = write_district("kaiyang", base / "kaiyang", receiver)
            results["reference"] = phases.reference(cluster, district, count * 5)["rate"]
            say(f"bare aiokafka loop: {results['reference']:,.0f} events/s")
            for shape in SHAPES:
                results[shape] = _one(cluster, district, shape, count, base)
                say(f"{shape}: {results[shape]['rate']:,.0f} events/s, "
                    f"{results[shape]['cpu_us_per_event']:,.0f} µs worker CPU per event")
        finally:
            cluster.stop()
    return results


def _one(cluster, district, shape: str, count: int, base: Path) -> dict:
    from benchmarks import kafka_io, phases
    from benchmarks.workload import EventMix
    from gridalert.streams.broker import ensure_topics

    prefix = f"floor.{shape.replace(' ', '-').replace('+', '-')}.{uuid.uuid4().hex[:6]}"
    app_id = f"floor-{uuid.uuid4().hex[:8]}"
    inputs = (f"{prefix}.in", f"{prefix}.mid") if shape == "two agents+table" else (f"{prefix}.in",)
    ensure_topics(cluster.bootstrap, (f"{prefix}.in", f"{prefix}.mid", f"{prefix}.out"), 4)
    kafka_io.start_at_end(cluster.admin, app_id, inputs)
    log = base / f"{app_id}.log"
    broker = f"kafka://{cluster.bootstrap[0]}"
    with open(log, "wb") as out:
        worker = subprocess.Popen([sys.executable, __file__, "--worker", shape, "--broker", broker, "--app-id", app_id,
                                   "--prefix", prefix], stdout=out, stderr=subprocess.STDOUT, cwd=base)
    try:
        deadline = time.monotonic() + 120
        while b"Ready" not in log.read_bytes():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the {shape} worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        time.sleep(phases.SETTLE_S)  # the group's assignment settles, as in the pipeline benchmark
        progress = kafka_io.Progress(cluster.admin, app_id, inputs)
        messages = EventMix(district, seed=3, prefix=app_id).messages(count, alarm_every=10**9)
        cpu_before, sent_at = phases.process_cpu_seconds(worker.pid), time.time()
        kafka_io.preload(cluster.bootstrap, f"{prefix}.in", messages)
        drained_at = progress.wait_drained(timeout_s=600, alive=lambda: worker.poll() is None)
        if drained_at is None:
            raise RuntimeError(f"the {shape} worker did not drain:\n{log.read_text(errors='replace')[-3000:]}")
        cpu = phases.process_cpu_seconds(worker.pid) - cpu_before
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    return {"rate": count / (drained_at - sent_at), "cpu_us_per_event": cpu / count * 1e6}


def table(results: dict) -> str:
    reference = results["reference"]
    lines = ["| loop | events/s | share of the bare loop | worker CPU per event |", "|---|---|---|---|",
             f"| bare aiokafka consume→produce (reference) | {reference:,.0f} | 100% |  |"]
    for shape in SHAPES:
        figures = results[shape]
        lines.append(f"| Faust: {shape} | {figures['rate']:,.0f} | {figures['rate'] / reference:.1%} | "
                     f"{figures['cpu_us_per_event']:,.0f} µs |")
    return "\n".join(lines)


def section(results: dict, started: str, minutes: float) -> str:
    from benchmarks.pipeline import machine

    return "\n".join([
        "The floor under the pipeline's figures: minimal Faust apps of its shape, with no gridalert code,",
        "against the same bare aiokafka loop **in the same run on the same broker**, by",
        "`benchmarks/faust_floor.py` (its docstring says what each loop does). Worker CPU per event is",
        "the steadier figure: a burst's events/s is bounded by the 2.8 s commit interval when it is short.",
        "",
        f"**Machine.** {machine('Apache Kafka 4.1.1 (one KRaft node, 4 partitions)')}.",
        "",
        f"**Command** (repository root, project venv; `make bench` runs it; {minutes:.0f} min, {started}):",
        "",
        "```",
        "python benchmarks/faust_floor.py --docs",
        "```",
        "",
        table(results),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000, help="pre-loaded events per Faust loop")
    parser.add_argument("--docs", action="store_true", help="rewrite docs/performance.md's section with the figures")
    parser.add_argument("--worker", choices=SHAPES, help=argparse.SUPPRESS)
    parser.add_argument("--broker", help=argparse.SUPPRESS)
    parser.add_argument("--app-id", help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        run_worker(args.worker, args.broker, args.app_id, args.prefix, 4)
        return 0
    started, began = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), time.monotonic()
    results = measure(args.events)
    print()
    print(table(results))
    if args.docs:
        from benchmarks.figures import replace_section

        doc = ROOT / "docs" / "performance.md"
        doc.write_text(replace_section(doc.read_text(encoding="utf-8"), "What Faust itself allows",
                                       section(results, started, (time.monotonic() - began) / 60)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
