"""Benchmark: escalation-timer lateness with 100,000 open incidents (issue 9; target p99 ≤ 1 s late).

What is measured. The incident stage's clock as the worker runs it, in one process on one event
loop: a leader timer puts a ``Tick`` for each of the 4 partitions on a queue every 0.25 s
(``agents/incident.py``'s ``clock``); one clock coroutine (the ``gridalert.clock`` agent, which
takes ticks of every partition in turn) handles each tick as the agent does — ``moment = now()``,
``TimedTable.apply_due(partition, moment, book.on_tick)`` on real Faust tables
(``incident-grids``, ``incident-states`` and the timer rows, in-memory store like the worker's) and the real
``Book`` — and hands every step to the ``gridalert.incidents`` topic. Lateness of a step = the
time it was handed over (serialised, where ``topic.send`` would pass it to the producer) − its
deadline. A step still unfired when the run ends counts with its lateness so far (a lower bound),
so a clock that falls behind cannot hide its worst steps.

State. N open incidents (100,000; ``--quick`` 10,000) over the 853 grids of a Kaiyang-sized map
(``geo.synth`` preset ``kaiyang``, with a roster of a grid head per grid, a secretary per village,
a township duty officer per township, the district duty officer), grids on partitions by
murmur2(grid id) % 4 as Kafka places them. Each incident is a heat alarm opened by
``Book.on_alarm`` (no run card) at a time chosen so its first accept deadline (the sample
policies' 300 s at the grid tier) falls uniformly in the first ``window`` seconds of the run;
nobody accepts, so every incident repages and climbs tier by tier, and the open count stays N: a
steady ``N / window`` steps per second (333/s for 100,000 over 300 s), the worst case for N.

Each table write is serialised as the changelog producer would (faust's ``prepare_value`` of the
changelog topic), and so is each produced step: that CPU cost is on the clock's path in the worker.

Left out (so the figures are a lower bound on lateness): the network and the broker (the tick's own
trip through ``gridalert.ticks``, aiokafka's send of about 150 kB of changelog per due grid), the
other agents sharing the event loop (detect and notify clocks, alarms, commands, the dispatch and
notify stages that the steps feed), the 5-second audit, run cards and department timers.
Measured in-process rather than with a worker and a broker because loading 100,000 incidents
through the pipeline would page 100,000 people through notify as well, and the cost on the clock's
path is all here: the worker does exactly this work between two awaits.

Run:  python benchmarks/timers.py [--quick] [--incidents N] [--window S] [--duration S]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import yaml  # noqa: E402

from benchmarks.figures import percentile, print_figures  # noqa: E402
from benchmarks.inprocess import PARTITIONS, Changelog, offline_app, on_partition, partition_of  # noqa: E402
from gridalert.agents.incident import TICK_S, GridRows  # noqa: E402
from gridalert.agents.timers import TimedTable  # noqa: E402
from gridalert.config import SAMPLE_CONFIG_DIR  # noqa: E402
from gridalert.config.model import Policies, Roster  # noqa: E402
from gridalert.geo.synth import PRESETS, build  # noqa: E402
from gridalert.incidents.book import Book  # noqa: E402
from gridalert.incidents.routing import Responsibility  # noqa: E402
from gridalert.streams import topics as names  # noqa: E402
from gridalert.streams.records import Alarm, GridIncidents, IncidentEvent, Place, ValidEvent  # noqa: E402

TARGET_P99_S = 1.0
ACCEPT_TIMEOUT_S = 300.0  # the sample policies' grid tier: the first deadline of every incident


def district(grids) -> tuple[Policies, Roster]:
    policies = Policies.model_validate(yaml.safe_load((SAMPLE_CONFIG_DIR / "policies.yaml").read_text(encoding="utf-8")))

    def person(pid: str, role: str, area: str) -> dict:
        return {"id": pid, "name": pid, "role": role, "area": area, "channels": [f"json://127.0.0.1/inbox/{pid}"]}

    staff = [person(g.grid_head or f"gh-{g.grid_id}", "grid_head", g.grid_id) for g in grids]
    staff += [person(f"vs-{v}", "village_secretary", v) for v in sorted({g.village for g in grids})]
    staff += [person(f"td-{t}", "township_duty", t) for t in sorted({g.township for g in grids})]
    staff += [person("dd-1", "district_duty", grids[0].district), person("dl-1", "district_leader", grids[0].district)]
    return policies, Roster.model_validate({"staff": staff})


def heat_alarm(place: Place, n: int, at: datetime, rng: random.Random) -> Alarm:
    device = f"tc-{place.grid_id}-{n:04d}"
    event = ValidEvent(id=str(uuid.UUID(int=rng.getrandbits(128))), event_type="heat.reading",
                       source=f"urn:gridalert:gateway:gw-{place.grid_id}", time=at, lon=107.0, lat=27.0,
                       data={"temperature_c": 63.5, "area_px": 40}, device=device)
    return Alarm(id=f"{event.id}:heat.alarm", rule="heat.alarm", dedup_key=f"heat:{place.grid_id}:{device}",
                 severity="high", klass="own_level", title=f"异常高温 Abnormal heat — {device} — {place.grid_name}",
                 explanation=f"heat.reading from {device}: 63.5 °C ≥ 50.0 °C alarm for 3 frames (61.2, 62.8, 63.5 °C)",
                 event=event, place=place, detected_at=at)


class Clock:
    """The incident stage's table and clock agent, wired to serialise instead of send."""

    def __init__(self, book: Book):
        self.app = offline_app("bench-timers")
        self.book = book
        self.grids: TimedTable[GridIncidents] = TimedTable(self.app, "incident-grids", GridIncidents, PARTITIONS,
                                                           next_due=Book.next_due, counts=Book.counts,
                                                           rows=GridRows(self.app, PARTITIONS))
        self.incidents = self.app.topic(names.INCIDENTS, key_type=str, value_type=IncidentEvent)
        self.changelog = Changelog(self.grids.tables, names.TICKS)
        self.events: list = []

    def on(self, partition: int) -> None:
        """Table writes from here on belong to a message of ``partition``, as inside the agent."""
        self.events[:] = [on_partition(names.TICKS, partition)]

    def load(self, states: dict[str, GridIncidents]) -> None:
        for grid_id, state in states.items():
            partition = partition_of(grid_id)
            self.on(partition)
            self.grids.apply(partition, grid_id, lambda _: (state, []))

    def produce(self, key: str, step: IncidentEvent) -> None:
        self.incidents.prepare_key(key, "raw", None, {})
        self.incidents.prepare_value(step, "json", None, {})


def open_incidents(book: Book, grids, count: int, start: datetime, window: float,
                   rng: random.Random) -> dict[str, GridIncidents]:
    """``count`` unaccepted incidents, their first deadlines uniform over [start, start + window]."""
    places = [Place(district=g.district, grid_id=g.grid_id, grid_name=g.grid_name, village=g.village,
                    township=g.township) for g in grids]
    states: dict[str, GridIncidents] = {}
    for n in range(count):
        place = places[n % len(places)]
        opened = start + timedelta(seconds=rng.uniform(0, window) - ACCEPT_TIMEOUT_S)
        one, _ = book.on_alarm(None, heat_alarm(place, n // len(places), opened, rng), opened)
        state = states.setdefault(place.grid_id, GridIncidents(incidents={}, open_keys={}, silences=[], seen=[]))
        state.incidents.update(one.incidents)  # each grid's incidents merged as on_alarm would leave them,
        state.open_keys.update(one.open_keys)  # without copying the grid's state once per alarm
        state.seen.extend(one.seen)
    return states


async def drive(clock: Clock, base: datetime, duration: float) -> dict:
    """Tick for ``duration`` seconds of wall time; the virtual clock starts at ``base``."""
    started = time.monotonic()

    def now() -> datetime:
        return base + timedelta(seconds=time.monotonic() - started)

    queue: asyncio.Queue = asyncio.Queue()
    lateness: list[float] = []
    tick_costs: list[float] = []
    queue_waits: list[float] = []
    steps_per_tick: list[int] = []

    async def leader_timer() -> None:
        # like faust's app.timer: one tick per interval; after the loop was blocked, no catch-up burst
        while time.monotonic() - started < duration:
            for partition in range(PARTITIONS):
                queue.put_nowait((partition, time.monotonic()))
            await asyncio.sleep(TICK_S)
        queue.put_nowait(None)

    async def clock_agent() -> None:
        while (item := await queue.get()) is not None and time.monotonic() - started < duration:
            partition, sent = item
            begun = time.monotonic()
            queue_waits.append(begun - sent)
            clock.on(partition)
            moment = now()
            fired = clock.grids.apply_due(partition, moment, lambda s: clock.book.on_tick(s, moment),
                                          late=lambda e: e.late_s)
            for key, step in fired:
                clock.produce(key, step)
                if step.late_s is not None:
                    lateness.append(step.late_s + (now() - moment).total_seconds())
                await asyncio.sleep(0)  # ``await topics.incidents.send`` yields to the loop here
            tick_costs.append(time.monotonic() - begun)
            steps_per_tick.append(len(fired))

    await asyncio.gather(leader_timer(), clock_agent())
    end = now()
    overdue = [(end - d.due).total_seconds() for p in range(PARTITIONS) for key in clock.grids.partition(p).due
               for inc in clock.grids.get(key).incidents.values() for d in inc.deadlines if d.due < end]
    return {"lateness": lateness, "overdue": overdue, "tick_costs": tick_costs, "queue_waits": queue_waits,
            "steps_per_tick": steps_per_tick, "seconds": time.monotonic() - started}


def run(quick: bool = False, incidents: Optional[int] = None, window: float = ACCEPT_TIMEOUT_S,
        duration: Optional[float] = None) -> dict:
    incidents = incidents or (10_000 if quick else 100_000)
    duration = duration or (20.0 if quick else 120.0)
    grids = [info for info, _ in build(PRESETS["kaiyang"]).grids()]
    policies, roster = district(grids)
    book = Book(policies, Responsibility(roster))
    base = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
    loading = time.perf_counter()
    states = open_incidents(book, grids, incidents, base, window, random.Random(0))
    clock = Clock(book)
    clock.load(states)
    load_s = time.perf_counter() - loading
    state_kb = statistics.mean(len(s.dumps()) for s in list(states.values())[:50]) / 1024
    del states
    gc.collect()
    clock.changelog.bytes = 0
    result = asyncio.run(drive(clock, base, duration))
    late = result["lateness"] + result["overdue"]
    costs = [c * 1000 for c in result["tick_costs"]]
    steps = len(result["lateness"])
    p99 = percentile(late, 99)
    return {
        "open_incidents": incidents,
        "grids": len(grids),
        "partitions": PARTITIONS,
        "deadline_window_s": window,
        "run_s": round(result["seconds"], 1),
        "load_s": round(load_s, 1),
        "grid_state_kb": round(state_kb, 1),
        "steps_fired": steps,
        "steps_due_per_s": round(incidents / window, 1),
        "steps_fired_per_s": round(steps / result["seconds"], 1),
        "steps_overdue_unfired_at_end": len(result["overdue"]),
        "lateness_p50_ms": round(percentile(late, 50) * 1000, 1),
        "lateness_p90_ms": round(percentile(late, 90) * 1000, 1),
        "lateness_p99_ms": round(p99 * 1000, 1),
        "lateness_max_ms": round(max(late, default=float("nan")) * 1000, 1),
        "ticks_handled": len(costs),
        "tick_cost_p50_ms": round(percentile(costs, 50), 2),
        "tick_cost_p99_ms": round(percentile(costs, 99), 2),
        "tick_cost_max_ms": round(max(costs, default=float("nan")), 2),
        "cost_per_step_ms": round(sum(costs) / steps, 3) if steps else float("nan"),
        "tick_queue_wait_p99_ms": round(percentile(result["queue_waits"], 99) * 1000, 1),
        "changelog_mb_per_s": round(clock.changelog.bytes / result["seconds"] / 2**20, 1),
        "target_p99_ms": TARGET_P99_S * 1000,
        "target_met": p99 <= TARGET_P99_S,
    }


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 incidents for 20 s")
    parser.add_argument("--incidents", type=int, default=None)
    parser.add_argument("--window", type=float, default=ACCEPT_TIMEOUT_S,
                        help="first deadlines spread over this many seconds from the start")
    parser.add_argument("--duration", type=float, default=None, help="seconds of ticking (default 120; quick 20)")
    args = parser.parse_args(argv)
    figures = run(quick=args.quick, incidents=args.incidents, window=args.window, duration=args.duration)
    print_figures(figures)


if __name__ == "__main__":
    main()
