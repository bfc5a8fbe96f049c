"""Key figures of a command centre (考核指标), computed from incidents and their timelines.

Centres are judged by response rate (响应率), completion rate (办结率), on-time disposal rate
(按期处置率) and satisfaction rate (满意率), and by how long each stage takes: alarm → dispatch →
accept → on scene → resolved, each reported at its 90th percentile (a mean hides the night an
incident waited an hour). Pure: ``Case`` values in, figures out; ``store.kpi_cases`` reads them.

Definitions (every rate says what it divides by, so a centre can check it by hand):

- response rate: incidents someone accepted ÷ incidents dispatched to a person;
- completion rate: incidents resolved (by a person or by themselves), verified or closed ÷ all;
- on-time disposal rate: incidents resolved within the class's limit (``policies.disposal_s``)
  of the alarm ÷ incidents resolved;
- satisfaction rate: ratings of 4 or 5 ÷ ratings;
- MTTA, MTTR: mean time from the alarm to the first acceptance, to the first resolution.

Per joint-dispatch department (联合处置部门) the same figures count the incidents dispatched to
that department (its orders): its own acceptance gives the response rate, MTTA and the p90
dispatch → accept; completion, on time, satisfaction and MTTR are those of the incidents, as
the department shares them with whoever resolved them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterable, Mapping, Optional

STAGES = ("alarm → dispatch", "dispatch → accept", "accept → on scene", "on scene → resolved")
DONE = ("resolved", "verified", "closed")
SATISFIED_FROM = 4


@dataclass(frozen=True)
class Step:
    kind: str
    at: datetime
    department: Optional[str] = None


@dataclass(frozen=True)
class Case:
    """One incident as the figures see it: where, what class, its status, rating and steps in order."""

    incident_id: str
    township: str
    klass: str
    status: str
    opened_at: datetime
    steps: tuple[Step, ...]
    rating: Optional[int] = None

    def first(self, *kinds: str, department: Optional[str] = None) -> Optional[datetime]:
        return next((s.at for s in self.steps if s.kind in kinds and s.department == department), None)


def case_of(incident, timeline) -> Case:
    """A ``Case`` from a projected incident row and its timeline rows (``store``)."""
    return Case(incident_id=incident.id, township=incident.township or incident.district, klass=incident.klass,
                status=incident.status, opened_at=incident.opened_at, rating=incident.rating,
                steps=tuple(Step(e.kind, e.at, e.department) for e in timeline))


def percentile(values: list[float], q: float) -> Optional[float]:
    """Nearest-rank percentile (the value at or below which ``q`` of the values fall)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def stage_seconds(case: Case) -> dict[str, float]:
    """How long each stage took, for the stages this incident went through."""
    opened, dispatched = case.opened_at, case.first("dispatched")
    accepted, on_scene, resolved = case.first("accepted"), case.first("on_scene"), case.first("resolved")
    spans = {STAGES[0]: (opened, dispatched), STAGES[1]: (dispatched, accepted),
             STAGES[2]: (accepted, on_scene), STAGES[3]: (on_scene or accepted, resolved)}
    return {name: (end - start).total_seconds() for name, (start, end) in spans.items() if start and end}


def ratio(part: int, whole: int) -> Optional[float]:
    return part / whole if whole else None


def mean(values: list[float]) -> Optional[float]:
    return sum(values) / len(values) if values else None


def disposal_due(opened_at: datetime, limit_s: Optional[float]) -> Optional[datetime]:
    """The moment by which an incident must be resolved to count as on time (按期处置); None: no limit.

    The on-time rate and the dashboard's disposal countdown (``gridalert.deadlines``) both use it.
    """
    return None if limit_s is None else opened_at + timedelta(seconds=limit_s)


@dataclass
class Figures:
    incidents: int = 0
    dispatched: int = 0
    accepted: int = 0
    completed: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    to_accept: list[float] = field(default_factory=list)
    to_resolve: list[float] = field(default_factory=list)
    stages: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in STAGES})

    def add(self, case: Case, limit_s: Optional[float]) -> None:
        self.incidents += 1
        accepted, resolved = case.first("accepted"), case.first("resolved")
        self.dispatched += case.first("dispatched") is not None
        self.accepted += accepted is not None
        self.completed += case.status in DONE
        if accepted:
            self.to_accept.append((accepted - case.opened_at).total_seconds())
        if resolved:
            due = disposal_due(case.opened_at, limit_s)
            self.resolved += 1
            self.resolved_on_time += due is None or resolved <= due
            self.to_resolve.append((resolved - case.opened_at).total_seconds())
        if case.rating is not None:
            self.rated += 1
            self.satisfied += case.rating >= SATISFIED_FROM
        for name, seconds in stage_seconds(case).items():
            self.stages[name].append(seconds)

    def row(self) -> dict[str, Optional[float]]:
        """The figures as one table row (rates 0–1, times in seconds; None: nothing to measure)."""
        return {
            "incidents": self.incidents,
            "response_rate": ratio(self.accepted, self.dispatched),
            "completion_rate": ratio(self.completed, self.incidents),
            "on_time_rate": ratio(self.resolved_on_time, self.resolved),
            "satisfaction_rate": ratio(self.satisfied, self.rated),
            "mtta_s": mean(self.to_accept),
            "mttr_s": mean(self.to_resolve),
            **{f"p90 {name} (s)": percentile(values, 0.9) for name, values in self.stages.items()},
        }


def figures(cases: Iterable[Case], limits_s: Mapping[str, float],
            group: Callable[[Case], str] = lambda case: "all") -> dict[str, Figures]:
    """The figures per group (e.g. per township), groups in name order."""
    found: dict[str, Figures] = {}
    for case in cases:
        found.setdefault(group(case), Figures()).add(case, limits_s.get(case.klass))
    return dict(sorted(found.items()))


def department_figures(cases: Iterable[Case], limits_s: Mapping[str, float]) -> dict[str, dict[str, Optional[float]]]:
    """The figures per joint-dispatch department, over the incidents dispatched to it (its orders)."""
    shared: dict[str, Figures] = {}
    to_accept: dict[str, list[Optional[float]]] = {}  # dispatch → the department's acceptance, None: never
    alarm_to_accept: dict[str, list[float]] = {}
    for case in cases:
        for department in sorted({s.department for s in case.steps if s.kind == "dept_dispatched"}):
            shared.setdefault(department, Figures()).add(case, limits_s.get(case.klass))
            sent = case.first("dept_dispatched", department=department)
            accepted = case.first("dept_accepted", department=department)
            to_accept.setdefault(department, []).append((accepted - sent).total_seconds() if accepted else None)
            if accepted:
                alarm_to_accept.setdefault(department, []).append((accepted - case.opened_at).total_seconds())
    rows = {}
    for department, found in sorted(shared.items()):
        answered = [t for t in to_accept[department] if t is not None]
        row = found.row()
        rows[department] = {
            "orders": found.incidents, "response_rate": ratio(len(answered), found.incidents),
            **{key: row[key] for key in ("completion_rate", "on_time_rate", "satisfaction_rate")},
            "mtta_s": mean(alarm_to_accept.get(department, [])), "mttr_s": row["mttr_s"],
            "p90 dispatch → accept (s)": percentile(answered, 0.9)}
    return rows
