"""Labelled evaluation: run the detector cores over a simulated district, in time order, no Kafka.

Per subject, the readings go through ``on_event`` in time order and ``on_time`` runs at every
deadline (as the incident stage's clock would). The alarms of all subjects then go through a
small model of the incident stage, in time order: an alarm opens an incident unless one is open
under its dedup key (a repeat), or its gateway's incident is open (recorded there, not paged); a
clearing alarm resolves its incident; a duty officer closes any other incident two hours after it
opened (the resident answered the phone; the camera saw a passing truck).

Per detector it reports: false alarms (incidents opened outside every true emergency of that
subject) per device-day, recall (true emergencies with an alarm between their onset and end,
paged or recorded on an open gateway incident) and the median and 90th-percentile delay from the
emergency's start (when it became a hazard) to its first alarm; an early warning during a fault's
onset counts as no delay. ``eval_main`` is what ``gridalert eval`` runs.
"""

from __future__ import annotations

import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Optional

from gridalert.config.model import Policies
from gridalert.detectors import build_detectors
from gridalert.detectors.simulate import Emergency, World, summary
from gridalert.incidents.kpis import percentile  # nearest rank, as the centre's key figures
from gridalert.streams.records import LocatedEvent, ValidEvent

OFFICER_CLOSES_S = 7200.0
DETECTORS = ("heat", "wiring", "activity", "gateway")


@dataclass(frozen=True)
class Fired:
    """One alarm, as much as the incident model and the scoring need."""

    t: float
    detector: str
    subject: str
    dedup_key: str
    rule: str
    clears: bool
    gateway: Optional[str]
    inhibits_gateway: Optional[str]


@dataclass
class SubjectResult:
    detector: str
    subject: str
    observed_days: float
    readings: int
    fired: list[Fired]
    emergencies: list[Emergency]
    group: str = ""


def run_subject(world: World, kind: str, i: int, policies: Policies, detectors) -> SubjectResult:
    """One subject's readings through its detector, deadlines included, in time order."""
    subject = world.subject(kind, i)
    fired: list[Fired] = []
    state: Optional[dict] = None
    detector = None
    place = subject.place

    def keep(alarms: Iterable, name: str) -> None:
        for alarm in alarms:
            fired.append(Fired(alarm.detected_at.timestamp(), name, subject.key, alarm.dedup_key, alarm.rule,
                               alarm.clears, alarm.gateway, alarm.inhibits_gateway))

    def run_deadlines(until: float) -> None:
        nonlocal state
        while state is not None:
            due = detector.next_due(state)
            if due is None or due > until:
                return
            state, alarms = detector.on_time(state, datetime.fromtimestamp(due, tz=timezone.utc))
            keep(alarms, detector.name)
            if not alarms and detector.next_due(state) == due:
                raise RuntimeError(f"{subject.key}: on_time at its deadline {due} neither fired nor moved it")

    for n, (t, device, event_type, data) in enumerate(subject.readings):
        detector = detector or detectors[event_type][0]
        run_deadlines(t)
        moment = datetime.fromtimestamp(t, tz=timezone.utc)
        event = ValidEvent(id=f"{device}:{n}", event_type=event_type, source="urn:gridalert:simulate", time=moment,
                           lon=106.6, lat=26.6, data=data, device=device)
        state, alarms = detector.on_event(state, LocatedEvent(event=event, place=place), moment)
        keep(alarms, detector.name)
    if detector is not None:
        run_deadlines(world.end)
    return SubjectResult(subject.detector, subject.key, subject.observed_days, len(subject.readings), fired,
                         subject.emergencies, subject.group)


# --- running in processes ---------------------------------------------------------------------------

_WORLD: Optional[World] = None
_DETECTORS = None
_POLICIES: Optional[Policies] = None


def _init(seed: int, residents: int, cameras: int, monitors: int, days: int, policies: Policies) -> None:
    global _WORLD, _DETECTORS, _POLICIES
    _WORLD = World(seed, residents, cameras, monitors, days)
    _POLICIES = policies
    _DETECTORS = build_detectors(policies, _WORLD.devices)


def _run_chunk(jobs: list[tuple[str, int]]) -> list[SubjectResult]:
    return [run_subject(_WORLD, kind, i, _POLICIES, _DETECTORS) for kind, i in jobs]


def run(seed: int, residents: int, cameras: int, monitors: int, days: int, policies: Optional[Policies] = None,
        workers: Optional[int] = None) -> tuple[World, list[SubjectResult]]:
    policies = policies or Policies()
    args = (seed, residents, cameras, monitors, days, policies)
    _init(*args)
    jobs = _WORLD.jobs()
    workers = workers or min(os.cpu_count() or 1, 8)
    if workers <= 1 or len(jobs) < 50:
        return _WORLD, _run_chunk(jobs)
    chunks = [jobs[k::workers * 8] for k in range(workers * 8)]
    results: list[SubjectResult] = []
    with ProcessPoolExecutor(max_workers=workers, initializer=_init, initargs=args) as pool:
        for part in pool.map(_run_chunk, chunks):
            results.extend(part)
    return _WORLD, results


# --- the incident stage, as far as scoring needs it ---------------------------------------------------

def outcomes(fired: list[Fired]) -> list[tuple[Fired, str]]:
    """Each alarm's fate: opened, repeat, inhibited or cleared (see the module docstring)."""
    open_at: dict[str, float] = {}
    gateway_open: dict[str, str] = {}
    result = []
    for alarm in sorted(fired, key=lambda a: (a.t, a.clears)):
        opened = open_at.get(alarm.dedup_key)
        if opened is not None and not alarm.dedup_key.startswith("gateway:") and alarm.t - opened > OFFICER_CLOSES_S:
            del open_at[alarm.dedup_key]
            opened = None
        if alarm.clears:
            open_at.pop(alarm.dedup_key, None)
            gateway_open = {g: k for g, k in gateway_open.items() if k != alarm.dedup_key}
            result.append((alarm, "cleared"))
        elif opened is not None:
            result.append((alarm, "repeat"))
        elif alarm.gateway and alarm.gateway in gateway_open:
            result.append((alarm, "inhibited"))
        else:
            open_at[alarm.dedup_key] = alarm.t
            if alarm.inhibits_gateway:
                gateway_open[alarm.inhibits_gateway] = alarm.dedup_key
            result.append((alarm, "opened"))
    return result


@dataclass
class Score:
    devices: int = 0
    device_days: float = 0.0
    readings: int = 0
    emergencies: int = 0
    detected: int = 0
    false_alarms: int = 0
    inhibited: int = 0
    delays: list[float] = field(default_factory=list)
    day_delays: list[float] = field(default_factory=list)
    missed: list[Emergency] = field(default_factory=list)


def score(results: list[SubjectResult], scored_from: float) -> dict[str, Score]:
    """Per detector, and per detector and group (``"activity/<kit>"``): the figures of the table.

    Alarms before ``scored_from`` (the warm-up, while routines are learned) are not scored.
    """
    scores: dict[str, Score] = {name: Score() for name in DETECTORS}
    fates = outcomes([a for r in results for a in r.fired])
    by_subject: dict[str, list[tuple[Fired, str]]] = {}
    for alarm, fate in fates:
        if alarm.t >= scored_from:
            by_subject.setdefault(alarm.subject, []).append((alarm, fate))
    for r in results:
        for key in [r.detector] + ([f"{r.detector}/{r.group}"] if r.group else []):
            _add(scores.setdefault(key, Score()), r, by_subject.get(r.subject, []))
    return scores


def _add(s: Score, r: SubjectResult, mine: list[tuple[Fired, str]]) -> None:
    s.devices += 1
    s.device_days += r.observed_days
    s.readings += r.readings
    s.inhibited += sum(1 for _, fate in mine if fate == "inhibited")
    for alarm, fate in mine:
        if fate == "opened" and not any(e.covers(alarm.t) for e in r.emergencies):
            s.false_alarms += 1
    for e in r.emergencies:
        s.emergencies += 1
        first = next((a.t for a, fate in mine if fate != "cleared" and e.covers(a.t)), None)
        if first is None:
            s.missed.append(e)
            continue
        s.detected += 1
        delay = max(first - e.start, 0.0)
        s.delays.append(delay)
        if e.daytime:
            s.day_delays.append(delay)


def duration(seconds: Optional[float]) -> str:
    if seconds is None:
        return "–"
    if seconds < 600:
        return f"{seconds:.0f} s"
    if seconds < 3 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def table(scores: dict[str, Score]) -> str:
    head = ("| detector | devices | device-days | readings | emergencies | recall | false alarms | per device-day "
            "| median delay | p90 delay | inhibited |")
    lines = [head, "|" + "---|" * 11]

    def row(name: str, s: Score, delays: list[float], emergencies: int, detected: int) -> str:
        recall = f"{detected / emergencies:.1%}" if emergencies else "–"
        rate = f"{s.false_alarms / s.device_days:.4f}" if s.device_days else "–"
        return (f"| {name} | {s.devices} | {s.device_days:.0f} | {s.readings} | {emergencies} | {recall} | "
                f"{s.false_alarms} | {rate} | {duration(statistics.median(delays) if delays else None)} | "
                f"{duration(percentile(delays, 0.9))} | {s.inhibited} |")

    def daytime(name: str, s: Score) -> str:
        day_total = len(s.day_delays) + sum(1 for e in s.missed if e.daytime)
        return row(name, s, s.day_delays, day_total, len(s.day_delays))

    for name in DETECTORS:
        s = scores[name]
        lines.append(row(name, s, s.delays, s.emergencies, s.detected))
        if name == "activity":
            lines.append(daytime("activity, emergencies starting 08–18 h", s))
            for key in sorted(k for k in scores if k.startswith("activity/")):
                lines.append(daytime(f"… 08–18 h, {key.split('/', 1)[1]}", scores[key]))
    missed = [e for name in DETECTORS for e in scores[name].missed]
    if missed:
        lines.append("")
        lines.append("missed: " + ", ".join(
            f"{e.subject} {e.kind} at {datetime.fromtimestamp(e.start, timezone.utc):%m-%d %H:%MZ}" for e in missed))
    return "\n".join(lines)


def eval_main(seed: int, residents: int, cameras: int, monitors: int, days: int) -> str:
    """Simulate, detect, score; print the table and return it."""
    began = time.monotonic()
    world, results = run(seed, residents, cameras, monitors, days)
    text = (f"gridalert eval: {summary(world)}; default policies\n\n{table(score(results, world.start))}\n\n"
            f"{sum(r.readings for r in results)} readings in {time.monotonic() - began:.0f} s")
    print(text)
    return text
