"""Benchmark: the detect stage's memory per 1,000,000 monitored residents (issue 9; target ≤ 300 MB).

What is measured. The worker's detect table (``detector-states``) and its due index
(``detector-states-due``) for N solitary-elderly residents spread over the 853 grids of a
Kaiyang-sized map (``geo.synth`` preset ``kaiyang``), each resident with the inactivity detector's
three channels: a water meter, a power meter and a door sensor, one reading each (a water use, a
power use, a door opening, minutes apart). Every reading takes the worker's path: JSON bytes as
they arrive on ``gridalert.located`` → ``LocatedEvent.loads`` → ``DetectStage.reads`` (table key,
detector) → ``DetectStage.on_event`` on the subject's ``DetectorState`` → stored under its key. The
due index then holds, per partition, each key's next deadline and counts, exactly what
``TimedTable.apply`` writes (``DetectStage.next_due``/``counts``) — but built once at the end:
``apply`` copies the whole partition's index on every write that moves a deadline, which is
quadratic in residents (see the report), so 3,000,000 real ``apply`` calls would take hours.
Keys go to partition ``murmur2(grid key) % 4``, as the located topic's keys do.

Figures: the process's resident set (RSS) after building minus before, per 1,000,000 residents
(an upper bound: it includes the allocator's free space and reading temporaries it keeps); the
same from tracemalloc (the Python allocations still alive); and a breakdown by component of the
bytes one resident holds (``deep_size``: ``sys.getsizeof`` over the object graph, each shared
object counted once), also after a changelog round trip (``DetectorState.loads(dumps())``: the
form a restarted worker holds, no longer sharing strings with the readings). Then, on real Faust
tables holding the built state, one more reading through the real ``TimedTable.apply``: its time
and the changelog bytes it writes (``next_reading_ms``, ``next_reading_changelog_kb``), because
that is what the due index's size costs every reading that moves a resident's deadline.

``--quick`` builds 20,000 residents and extrapolates to 1,000,000 (linear: every resident's state
is its own), and says so. Full size builds 1,000,000 (about 9 GB and 10 minutes on 2 cores);
tracemalloc runs on a separate build (20,000 residents; 5,000 with ``--quick``) in a forked child, so neither its
traces nor its freed arenas touch the RSS figure (tracing every block of a 1,000,000-resident
build would cost more memory than the state itself).

``deep_size_mb_per_1M_after_28_days`` sizes ten residents fed 28 days of half-hourly water and
power readings and two door openings a day (the routine's whole history, 32 seen ids, the
window's water), scaled to 1,000,000: what the state grows to once residents have a history.

Left out: the other tables (incidents, sent-log, paging plans), faust's per-table bookkeeping
(offsets, standby buffers), the changelog producer's buffers, and (but for that one figure)
residents' history: the build is each resident's first day.

Run:  python benchmarks/residents.py [--quick] [--residents N]
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import random
import statistics
import sys
import time
import tracemalloc
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import yaml  # noqa: E402

from faust.streams import _current_event  # noqa: E402

from benchmarks.figures import print_figures  # noqa: E402
from benchmarks.inprocess import PARTITIONS, Changelog, offline_app, on_partition, partition_of, rss_bytes  # noqa: E402
from gridalert.agents.timers import PartitionTimers, TimedTable  # noqa: E402
from gridalert.config import SAMPLE_CONFIG_DIR  # noqa: E402
from gridalert.config.model import Policies  # noqa: E402
from gridalert.detectors.stage import DetectStage  # noqa: E402
from gridalert.geo.synth import PRESETS, build  # noqa: E402
from gridalert.streams import topics as names  # noqa: E402
from gridalert.streams.records import DetectorState, LocatedEvent, Timer  # noqa: E402

TARGET_MB = 300.0
PER = 1_000_000
T0 = datetime(2026, 11, 23, 0, 0, tzinfo=timezone.utc)  # 08:00 in Guizhou
QUICK_RESIDENTS, FULL_RESIDENTS, SAMPLE = 20_000, 1_000_000, 20_000
TRACED_RESIDENTS, TRACED_QUICK = 20_000, 5_000  # tracemalloc slows a build about 8×

_SHARED = (type(None), bool, type, type(len))


def deep_size(obj: Any, seen: Optional[set[int]] = None) -> int:
    """Bytes held by ``obj`` and everything it references that ``seen`` has not counted yet.

    Walks dicts, lists, tuples, sets and plain objects (a faust ``Record`` keeps its fields in its
    ``__dict__``), counting what ``sys.getsizeof`` reports for each object once per ``seen``: an
    object shared by many residents (an interned key, a small int) is counted where first met.
    Everything counted into ``seen`` must stay alive while ``seen`` is used: ids are reused.
    """
    seen = set() if seen is None else seen
    total, stack = 0, [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, _SHARED) or id(item) in seen:
            continue
        if isinstance(item, int) and -5 <= item <= 256:
            continue  # CPython's cached small ints
        seen.add(id(item))
        total += sys.getsizeof(item)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif not isinstance(item, (str, bytes, int, float, complex)) and hasattr(item, "__dict__"):
            stack.append(vars(item))
    return total


def policies() -> Policies:
    return Policies.model_validate(yaml.safe_load((SAMPLE_CONFIG_DIR / "policies.yaml").read_text(encoding="utf-8")))


def readings(grid, resident: str, start: datetime, rng: random.Random) -> list[bytes]:
    """One resident's three readings as the located topic carries them: water, power, door."""
    place = {"district": grid.district, "grid_id": grid.grid_id, "grid_name": grid.grid_name,
             "village": grid.village, "township": grid.township, "reason": None,
             "__faust": {"ns": "gridalert.streams.records.Place"}}
    lon, lat = 106.8 + rng.random() * 0.4, 26.9 + rng.random() * 0.4
    channels = (("wm", {"water_m3": 0.012, "interval_s": 1800}), ("pm", {"power_kwh": 0.15, "interval_s": 1800}),
                ("ds", {"door": "open"}))
    out = []
    for n, (kind, data) in enumerate(channels):
        event = {"id": str(uuid.UUID(int=rng.getrandbits(128))), "event_type": "activity.reading",
                 "source": f"urn:gridalert:gateway:gw-{grid.grid_id}",
                 "time": (start + timedelta(minutes=5 * n)).isoformat(), "lon": lon, "lat": lat,
                 "data": {"resident": resident, **data}, "device": f"{kind}-{resident}", "subject": None,
                 "__faust": {"ns": "gridalert.streams.records.ValidEvent"}}
        out.append(json.dumps({"event": event, "place": place, "map_version": "kaiyang-synth-0",
                               "__faust": {"ns": "gridalert.streams.records.LocatedEvent"}}).encode())
    return out


class DetectTable:
    """The detect stage's tables as the worker's in-memory store holds them (key → record), and the
    in-memory due index of each partition."""

    def __init__(self, stage: DetectStage):
        self.stage = stage
        self.states: dict[str, DetectorState] = {}
        self.timers: dict[str, Timer] = {}
        self.index: dict[int, PartitionTimers] = {}

    def apply(self, located: LocatedEvent) -> None:
        for key, detector in self.stage.reads(located):
            after, _ = self.stage.on_event(detector, self.states.get(key), located, located.event.time)
            if after is None:
                self.states.pop(key, None)
            else:
                self.states[key] = after

    def build_index(self) -> None:
        """Each subject's ``Timer`` row and each partition's due index, as ``TimedTable.apply`` leaves them."""
        self.index = {p: PartitionTimers() for p in range(PARTITIONS)}
        for key, record in self.states.items():
            partition = partition_of(key.split("|", 1)[0])
            when = self.stage.next_due(record)
            due = when.timestamp() if when is not None else None
            counts = tuple(self.stage.counts(record))
            if due is not None or any(counts):
                self.timers[key] = Timer(partition=partition, due=due, open=counts[0], pending=counts[1])
                self.index[partition].set(key, due, counts)


def kaiyang_grids() -> list:
    return [info for info, _ in build(PRESETS["kaiyang"]).grids()]


def populate(table: DetectTable, residents: int, grids: list, seed: int = 0) -> float:
    """Feed ``residents`` residents' readings through the detect path; seconds taken."""
    rng = random.Random(seed)
    started = time.perf_counter()
    for r in range(residents):
        grid = grids[r % len(grids)]
        start = T0 + timedelta(seconds=rng.randrange(3600))
        for payload in readings(grid, f"{grid.grid_id}-r{r // len(grids):05d}", start, rng):
            table.apply(LocatedEvent.loads(payload))
    table.build_index()
    return time.perf_counter() - started


def breakdown(table: DetectTable, sample: int) -> dict[str, float]:
    """Bytes per resident by component, over the first ``sample`` residents (shared objects once)."""
    seen: set[int] = set()
    parts: dict[str, int] = {}

    def add(name: str, obj: Any) -> None:
        parts[name] = parts.get(name, 0) + deep_size(obj, seen)

    keys = list(table.states)[:sample]
    for key in keys:
        record = table.states[key]
        add("key", key)
        for name, value in record.state.items():  # the detector's own JSON state, by field
            group = name if name in ("days", "surprise", "last", "meters", "water", "outings") else "other fields"
            add(f"state.{group}", value)
        add("state dict", record.state)
        add("seen ids", record.seen)
        add("record shell", record)  # the Record object, its __dict__, validation bookkeeping
    partition_share = len(keys) / max(len(table.states), 1)
    for name in ("due", "counts", "heap"):
        entries = sum(deep_size(getattr(index, name), seen) for index in table.index.values())
        parts[f"due index.{name}"] = int(entries * partition_share)  # what is left after the keys
    parts["timer rows"] = int(deep_size(table.timers, seen) * partition_share)
    per = {f"bytes_{name}": round(size / len(keys), 1) for name, size in sorted(parts.items(), key=lambda p: -p[1])}
    dict_slots = sys.getsizeof(table.states) / len(table.states)
    per["bytes_table dict slot"] = round(dict_slots, 1)
    per["bytes_total"] = round(sum(v for v in per.values()), 1)
    restored = [DetectorState.loads(table.states[k].dumps()) for k in keys]
    per["bytes_total_after_changelog_restore"] = round(
        (deep_size(restored) - sys.getsizeof(restored)) / len(keys) + per["bytes_key"] + dict_slots
        + per["bytes_due index.due"] + per["bytes_due index.counts"] + per["bytes_due index.heap"]
        + per["bytes_timer rows"], 1)
    return per


def next_reading_cost(table: DetectTable, grids: list, repeat: int = 5) -> dict:
    """One more reading of an existing resident through the real ``TimedTable.apply``, on Faust
    tables holding the built state: milliseconds and changelog bytes (serialised as the changelog
    producer would), i.e. what every reading that moves a deadline costs at this size."""
    app = offline_app("bench-residents")
    timed = TimedTable(app, "detector-states", DetectorState, PARTITIONS, next_due=table.stage.next_due,
                       counts=table.stage.counts)
    changelog = Changelog(timed.tables, names.LOCATED)
    timed.rows.table.data.update(table.states)  # references, not copies
    timed.timers.data.update(table.timers)
    timed._partitions = table.index  # what ``TimedTable.rebuild`` makes of the timer rows
    rng, times = random.Random(1), []
    for n in range(repeat):
        grid = grids[n]
        payload = readings(grid, f"{grid.grid_id}-r00000", T0 + timedelta(hours=2), rng)[0]
        located = LocatedEvent.loads(payload)
        partition = partition_of(located.place.partition_key)
        event = on_partition(names.LOCATED, partition)
        changelog.bytes, started = 0, time.perf_counter()
        for key, detector in table.stage.reads(located):
            timed.apply(partition, key, lambda r: table.stage.on_event(detector, r, located, located.event.time))
        times.append(time.perf_counter() - started)
    del event
    _current_event.set(None)
    return {"next_reading_ms": round(statistics.median(times) * 1000, 3),
            "next_reading_changelog_kb": round(changelog.bytes / 1024, 1)}


def settled_resident_bytes(grids: list, days: int = 28, residents: int = 10) -> float:
    """Bytes one resident's state holds after ``days`` of readings (the routine's whole history):
    water and power every half-hour (water in the morning and evening), the door twice a day."""
    table, rng = DetectTable(DetectStage(policies())), random.Random(2)
    for r in range(residents):
        grid, resident = grids[r], f"{grids[r].grid_id}-r{r:05d}"
        for slot in range(days * 48):
            at = T0 + timedelta(minutes=30 * slot)
            hour = (at.hour + 8) % 24
            water = 0.02 if hour in (7, 12, 18, 19) else 0.0
            water_payload, power_payload, door_payload = readings(grid, resident, at, rng)
            table.apply(LocatedEvent.loads(water_payload.replace(b'"water_m3": 0.012', f'"water_m3": {water}'.encode())))
            table.apply(LocatedEvent.loads(power_payload))
            if hour in (9, 16) and at.minute == 0:
                table.apply(LocatedEvent.loads(door_payload))
    seen: set[int] = set()
    detectors = list(table.stage.detectors(None).values())
    deep_size(detectors, seen)  # shared by every resident, not state
    return sum(deep_size(key, seen) + deep_size(record, seen) for key, record in table.states.items()) / len(table.states)


def _traced(residents: int) -> tuple[int, float]:
    """tracemalloc's count of the live bytes a build of ``residents`` leaves; and its seconds."""
    table, grids = DetectTable(DetectStage(policies())), kaiyang_grids()
    table.stage.detectors(None)
    gc.collect()
    tracemalloc.start()
    seconds = populate(table, residents, grids)
    gc.collect()
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return current, seconds


def run(quick: bool = False, residents: Optional[int] = None) -> dict:
    residents = residents or (QUICK_RESIDENTS if quick else FULL_RESIDENTS)
    scale = PER / residents
    traced_n = min(residents, TRACED_QUICK if quick else TRACED_RESIDENTS)
    with multiprocessing.get_context("fork").Pool(1) as pool:  # its arenas must not be reused below
        traced, _ = pool.apply(_traced, (traced_n,))

    table, grids = DetectTable(DetectStage(policies())), kaiyang_grids()
    table.stage.detectors(None)  # the map and the detectors are built before the baseline
    gc.collect()
    before = rss_bytes()
    seconds = populate(table, residents, grids)
    gc.collect()
    rss = rss_bytes() - before
    parts = breakdown(table, min(SAMPLE, residents))
    rss_mb = rss * scale / 2**20
    cost = next_reading_cost(table, grids)
    settled = settled_resident_bytes(grids)
    return {
        "residents_built": residents,
        "extrapolated_to_1M": residents != PER,
        "readings": 3 * residents,
        "detector_states": len(table.states),
        "due_index_entries": sum(len(i.due) for i in table.index.values()),
        "timer_rows": len(table.timers),
        "build_s": round(seconds, 1),
        "us_per_reading": round(seconds / (3 * residents) * 1e6, 1),
        "rss_mb_per_1M": round(rss_mb, 1),
        "tracemalloc_mb_per_1M": round(traced * PER / traced_n / 2**20, 1),
        "tracemalloc_residents": traced_n,
        "deep_size_mb_per_1M": round(parts["bytes_total"] * PER / 2**20, 1),
        "deep_size_mb_per_1M_after_restore": round(parts["bytes_total_after_changelog_restore"] * PER / 2**20, 1),
        "deep_size_mb_per_1M_after_28_days": round(settled * PER / 2**20, 1),
        "target_mb_per_1M": TARGET_MB,
        "target_met": rss_mb <= TARGET_MB,
        "over_target_x": round(rss_mb / TARGET_MB, 1),
        **cost,
        **parts,
    }


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_RESIDENTS:,} residents, extrapolated")
    parser.add_argument("--residents", type=int, default=None, help="build this many instead")
    args = parser.parse_args(argv)
    figures = run(quick=args.quick, residents=args.residents)
    if figures["extrapolated_to_1M"]:
        print(f"built {figures['residents_built']:,} residents; per-1,000,000 figures are extrapolated (×"
              f"{PER / figures['residents_built']:g})")
    print_figures(figures)


if __name__ == "__main__":
    main()
