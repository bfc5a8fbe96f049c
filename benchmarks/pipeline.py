"""Benchmark: the whole pipeline against the Kafka client's own limit, in one run on one broker (issue 9).

On one single-node Apache Kafka (KRaft, 4 partitions per topic), in this order:

1. **Reference** — a bare aiokafka consume→produce loop (``kafka_io.passthrough``) moving the same
   event mix between two topics: the most one Python process moves with this client.
2. **Throughput** — ``gridalert worker`` processes started and settled, then a burst of the mix
   (``workload.EventMix``: heat, activity and wiring readings, gateway heartbeats, a few citizen
   reports; 0.6% alarms, each paging one grid head at a loopback receiver) sent into
   gridalert.events; the time from its first send to the group having committed every stage's
   topic to its end, on
   a Kaiyang-sized (853 grids) and a province-sized (100,000 grids) synthetic map
   (``bench_district``), with one worker and with two.
3. **Latency** — one worker on the Kaiyang map; a producer sends the mix at a steady 1,000 and
   5,000 events/s; for each alarm event (5 a second, plus citizen reports) the time from handing
   it to the Kafka client (``producer.send``) to the first page's arrival at the receiver.
4. **Timers and residents** — ``benchmarks/timers.py`` and ``benchmarks/residents.py`` (their own
   ``run(quick)``), when present (``--helpers``; ``--quick`` skips them).

Prints a Markdown table; writes it, the raw figures (JSON) and a plot under ``--results``; a full
run also rewrites the "Pipeline" section of docs/performance.md and docs/performance-pipeline.png.

Run:  make bench                                  (about 15 minutes on 2 cores)
      python benchmarks/pipeline.py --quick       (a smoke run: Kaiyang, one worker, 200/s; under a minute)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import sys
import shutil
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout: benchmarks.*, tests.support.*, gridalert

from benchmarks import phases  # noqa: E402
from benchmarks.bench_district import write_district  # noqa: E402
from benchmarks.figures import MAP_NAMES, markdown_table, plot, rate, replace_section, rows  # noqa: E402
from tests.support.receiver import Receiver  # noqa: E402

DOC = ROOT / "docs" / "performance.md"
DOC_PLOT = ROOT / "docs" / "performance-pipeline.png"
HELPERS = ("timers", "residents")


@dataclass(frozen=True)
class Plan:
    reference_events: int
    maps: tuple[str, ...]
    workers: tuple[int, ...]
    events: dict[str, int]          # pre-loaded messages per map
    rates: tuple[int, ...]          # offered events/s of the latency runs (200/s: below saturation)
    paced_s: float
    page_wait_s: float              # after a paced run, how long its pages may still come


FULL = Plan(reference_events=200_000, maps=("kaiyang", "province"), workers=(1, 2),
            events={"kaiyang": 20_000, "province": 20_000}, rates=(200, 1_000, 5_000), paced_s=20.0,
            page_wait_s=120.0)
QUICK = Plan(reference_events=20_000, maps=("kaiyang",), workers=(1,), events={"kaiyang": 2_000},
             rates=(200,), paced_s=3.0, page_wait_s=20.0)


# -- measuring ---------------------------------------------------------------------------------------

def measure(plan: Plan, base: Path, results: dict, checkpoint, say=print) -> dict:
    """Every phase of ``plan`` on one broker, in order; ``checkpoint(results)`` after each, so a run
    cut short still leaves the figures it has (``--from-json``)."""
    results.update(throughput={}, latency={})
    with Receiver() as receiver:
        cluster = phases.Cluster.start(base, receiver)
        try:
            districts = {}
            for preset in plan.maps:
                started = time.perf_counter()
                districts[preset] = write_district(preset, base / preset, receiver)
                say(f"{preset}: map and devices written in {time.perf_counter() - started:.0f} s")
            results["reference"] = phases.reference(cluster, districts[plan.maps[0]], plan.reference_events)
            say(f"reference: {rate(results['reference']['rate'])}")
            checkpoint(results)
            for preset in plan.maps:
                for workers in plan.workers:
                    figures = phases.throughput(cluster, districts[preset], workers=workers, count=plan.events[preset])
                    results["throughput"][f"{preset}/{workers}"] = figures
                    say(f"{preset}, {workers} worker(s): {rate(figures['rate'])} ({json.dumps(figures)})")
                    checkpoint(results)
            for offered in plan.rates:
                figures = phases.latency(cluster, districts[plan.maps[0]], rate=offered, seconds=plan.paced_s,
                                         page_wait_s=plan.page_wait_s)
                results["latency"][str(offered)] = figures
                say(f"latency at {offered}/s: " + json.dumps({k: v for k, v in figures.items() if k != "samples"}))
                checkpoint(results)
        finally:
            cluster.stop()
    return results


def run_helpers(mode: str, say=print) -> dict[str, dict]:
    """Figures of benchmarks/timers.py and benchmarks/residents.py (``run(quick=...)``), each skipped
    if absent; ``mode`` is full, quick or skip."""
    found: dict[str, dict] = {}
    if mode == "skip":
        say("timers, residents: skipped (--helpers skip)")
        return found
    for name in HELPERS:
        path = ROOT / "benchmarks" / f"{name}.py"
        if not path.exists():
            say(f"{name}: skipped, benchmarks/{name}.py is not there yet")
            continue
        spec = importlib.util.spec_from_file_location(f"benchmarks.{name}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # as an import would: dataclasses and pickling look it up there
        spec.loader.exec_module(module)
        started = time.perf_counter()
        found[name] = module.run(quick=mode == "quick")
        say(f"{name} ({mode}, {time.perf_counter() - started:.0f} s):")
        say("  " + json.dumps(found[name], default=str))
    return found


def machine(broker: str) -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU")
    memory_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                         if line.startswith("MemTotal")))
    from importlib.metadata import version

    return (f"{os.cpu_count()} cores ({model}), {memory_kb / 2**20:.0f} GB RAM; Python {platform.python_version()}, "
            f"faust-streaming {version('faust-streaming')}, aiokafka {version('aiokafka')}; {broker}")


# -- reporting ---------------------------------------------------------------------------------------

def section(results: dict, table: str, command: str) -> str:
    return "\n".join([
        "The whole pipeline (intake: validate and locate, in batches → detect → incident → dispatch → notify → record) against",
        "a bare aiokafka consume→produce loop, **in the same run on the same broker**, by",
        "`benchmarks/pipeline.py` (what each figure measures and how: its docstring and `benchmarks/phases.py`).",
        "Throughput is events/s of a burst of 20,000 (sent in a second or two to workers already running",
        "and settled) from its first send to the consumer group having committed every stage's topic to",
        "its end (Faust commits every 2.8 s, so the time is an upper bound by up to one interval). Latency is from handing an alarm event to the Kafka client to its page's",
        "arrival at the loopback receiver (HTTP, apprise `json://`), for the alarms among a steady mix.",
        "",
        f"**Machine.** {results['machine']}. Load average {results.get('load_start', math.nan):.1f} at the start, "
        f"{results.get('load_end', math.nan):.1f} at the end (1-minute; other work may share the machine).",
        "",
        f"**Command** (repository root, project venv; `make bench` runs it without options; "
        f"{results.get('wall_s', math.nan) / 60:.0f} min, {results['date']}; timers and residents run {results.get('helpers_mode', 'full')}):",
        "",
        "```",
        command,
        "```",
        "",
        table,
        "",
        "![Throughput of the reference and the pipeline runs; latency percentiles at each offered rate]"
        "(performance-pipeline.png)",
        "",
        "Why a target is missed, and what would move it: the next section (written by hand after the run).",
    ])


def report(results: dict, out: Path, *, update_docs: bool, command: str) -> str:
    table = markdown_table(rows(results))
    out.mkdir(parents=True, exist_ok=True)
    (out / "pipeline.json").write_text(json.dumps(results, indent=2, default=str))
    (out / "pipeline.md").write_text(table + "\n")
    throughput = {"bare aiokafka (reference)": results["reference"]["rate"]}
    throughput |= {f"{MAP_NAMES[k.split('/')[0]]}, {k.split('/')[1]} worker(s)": v["rate"]
                   for k, v in results["throughput"].items()}
    latencies = {f"{int(k):,}/s offered": v["samples"] for k, v in results["latency"].items()}
    plot(out / "pipeline.png", throughput, latencies, title=f"{results['machine']}; {results['date']}")
    if update_docs:
        DOC_PLOT.write_bytes((out / "pipeline.png").read_bytes())
        DOC.write_text(replace_section(DOC.read_text(encoding="utf-8"), "Pipeline", section(results, table, command)),
                       encoding="utf-8")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: Kaiyang, one worker, small counts")
    parser.add_argument("--results", type=Path, default=ROOT / ".gridalert" / "bench",
                        help="where the table, the JSON figures and the plot go")
    parser.add_argument("--no-docs", action="store_true", help="leave docs/performance.md alone (--quick never writes it)")
    parser.add_argument("--helpers", choices=("full", "quick", "skip"),
                        help="how to run benchmarks/timers.py and residents.py (default: full; skip with --quick, "
                             "as their quick runs alone take two minutes)")
    parser.add_argument("--events", type=int, help="pre-loaded messages per throughput run (default: the plan's)")
    parser.add_argument("--from-json", type=Path, metavar="FILE",
                        help="measure nothing: report the figures of an earlier run's pipeline.json again")
    args = parser.parse_args(argv)
    if args.from_json:
        results = json.loads(args.from_json.read_text())
        print(report(results, args.results, update_docs=not args.no_docs, command=results["command"]))
        return 0
    plan = QUICK if args.quick else FULL
    if args.events:
        plan = replace(plan, events={preset: args.events for preset in plan.maps})
    results = run(plan, args.results, helpers=args.helpers or ("skip" if args.quick else "full"),
                  command=" ".join(["python benchmarks/pipeline.py", *(sys.argv[1:] if argv is None else argv)]))
    print(report(results, args.results, update_docs=not (args.quick or args.no_docs), command=results["command"]))
    return 0


def run(plan: Plan, out: Path, *, helpers: str, command: str) -> dict:
    """Measure everything ``plan`` says, then the helpers; the figures, also left in ``out``."""
    from gridalert.streams.apache_kafka import version

    started = time.monotonic()
    results: dict = {"command": command, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                     "machine": machine(f"Apache Kafka {version()} (one KRaft node, {phases.PARTITIONS} partitions)"),
                     "load_start": os.getloadavg()[0], "helpers_mode": helpers}
    scratch = out / "run"  # broker data, maps, worker logs: kept until the next run
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)

    def checkpoint(partial: dict) -> None:
        partial.update(wall_s=time.monotonic() - started, load_end=os.getloadavg()[0])
        (out / "pipeline.json").write_text(json.dumps(partial, indent=2, default=str))

    def say(line: str) -> None:
        print(f"[{time.monotonic() - started:5.0f} s] {line}", flush=True)

    measure(plan, scratch, results, checkpoint, say)
    shutil.rmtree(scratch / "kafka", ignore_errors=True)
    results["helpers"] = run_helpers(helpers, say)
    checkpoint(results)
    return results

if __name__ == "__main__":
    sys.exit(main())
