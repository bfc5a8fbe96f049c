"""Benchmark: what gridalert's own code costs per event in the intake and detect stages, in-process.

The pipeline benchmark's worker CPU per event is Faust, aiokafka and gridalert together. This one
runs only gridalert's part, on the benchmark's event mix (Kaiyang map, 10,000 readings), with no
broker: ``parse_event`` (validate), ``GridMap.locate_many`` (locate, one batch), the
``LocatedEvent`` encode and decode a hop between the two stages costs, and the detect stage's
``TimedTable.apply`` of ``DetectStage.on_event`` on faust tables whose changelog is serialised but
not sent (``benchmarks.inprocess.Changelog``), with how many changelog writes an event makes.

Run:  python benchmarks/stage_costs.py      (about 20 seconds; prints one JSON object)
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_district import write_district  # noqa: E402
from benchmarks.inprocess import Changelog, offline_app, on_partition, partition_of  # noqa: E402
from benchmarks.workload import EventMix  # noqa: E402
from gridalert.agents.timers import TimedTable  # noqa: E402
from gridalert.config.loader import load_config  # noqa: E402
from gridalert.detectors.stage import DetectStage  # noqa: E402
from gridalert.geo.gridmap import GridMap  # noqa: E402
from gridalert.streams import topics as names  # noqa: E402
from gridalert.streams.cloudevents import parse_event  # noqa: E402
from gridalert.streams.records import DetectorState, LocatedEvent  # noqa: E402
from tests.support.receiver import Receiver  # noqa: E402


def timed(work):
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def run(count: int = 10_000) -> dict:
    with Receiver() as receiver:
        district = write_district("kaiyang", Path(tempfile.mkdtemp(prefix="stage-costs-")) / "kaiyang", receiver)
    config = load_config(district.directory)
    grids = GridMap.from_geojson(district.directory / "grids.geojson")
    messages = EventMix(district, seed=2).messages(count, alarm_every=10**9)
    valid, parse_s = timed(lambda: [parse_event(m.value, [], devices=config.devices) for m in messages])
    places, locate_s = timed(lambda: grids.locate_many([v.lon for v in valid], [v.lat for v in valid]))
    located = [LocatedEvent(event=v, place=p, map_version=grids.version) for v, p in zip(valid, places)]
    blobs, dumps_s = timed(lambda: [event.dumps() for event in located])
    decoded, loads_s = timed(lambda: [LocatedEvent.loads(blob) for blob in blobs])

    core = DetectStage(config.policies, config.devices)
    app = offline_app("bench-stage-costs")
    table = TimedTable(app, "detector-states", DetectorState, 4, next_due=core.next_due, counts=core.counts)
    changelog = Changelog(table.tables, names.LOCATED)
    moment = datetime.now(timezone.utc)

    def detect() -> None:
        for event in decoded:
            partition = partition_of(event.place.partition_key)
            current = on_partition(names.LOCATED, partition)
            for key, detector in core.reads(event):
                table.apply(partition, key, lambda s: core.on_event(detector, s, event, moment))
            del current

    _, detect_s = timed(detect)
    per_event = {"validate_us": parse_s, "locate_us": locate_s, "located_encode_us": dumps_s,
                 "located_decode_us": loads_s, "detect_us": detect_s}
    figures = {name: round(seconds / count * 1e6, 1) for name, seconds in per_event.items()}
    figures["total_us"] = round(sum(figures.values()), 1)
    figures["changelog_writes_per_event"] = {name: round(n / count, 3) for name, n in changelog.writes.items()}
    figures["changelog_bytes_per_event"] = round(changelog.bytes / count)
    return {"events": count, **figures}


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
