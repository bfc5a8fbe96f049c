"""Who is on duty (值班) now: duty schedules evaluated at an instant.

For routing, one call::

    on_duty(schedules: Schedules | Iterable[Schedule] | None, area: str, role: Role | str,
            at: datetime) -> list[str]

gives the roster ids on duty for ``role`` in ``area`` at the aware instant ``at``, in schedule
order. ``[]`` means the schedule names nobody — either there is no schedule for that area and
role, or the schedule has a gap (a layer that has not started yet or has ended). In both cases
the caller should page as it did before schedules existed (everyone with the role in the area),
so a gap in a schedule never pages fewer people than no schedule at all. ``who_is_on_call`` gives
the same answer with the reasons (which layer or override, since and until when, the next
handover) for ``gridalert oncall`` and for an incident's timeline.

The rules, in the schedule's time zone:

- A handover is an instant: at exactly the handover time the next member is on duty.
- A handover at a local time the clock skips (spring forward) happens when the clock jumps past
  it; a local time the clock shows twice (fall back) means its first occurrence. In general a
  local time stands for the first instant at which the wall clock reads that time or later.
  Every day (or week) has exactly one handover, so shifts around a time change are an hour
  shorter or longer, never skipped or doubled.
- Overrides win over the rotation in [from, until): while any override is active, the people of
  the active overrides are on duty and the rotation is not.

Every instant in an answer is an aware UTC datetime: Python compares and subtracts two datetimes
of the *same* zone by their wall clocks, which is wrong across a time change; UTC never is. Show
one with ``instant.astimezone(schedule.zone)``.

``describe`` renders an answer as ``gridalert oncall`` prints it (the roster is passed in).

Pure: no I/O, no clock reading (``at`` is an argument).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Iterable, Mapping, Optional
from zoneinfo import ZoneInfo

from gridalert.config.model import Person, Role
from gridalert.config.schedules import PERIOD_DAYS, Layer, Schedule, Schedules

UTC = timezone.utc


def wall_clock_instant(local: datetime, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the wall clock of ``zone`` reads ``local`` or later.

    An ordinary local time maps to its one instant; a repeated one (fall back) to its first
    occurrence; a skipped one (spring forward) to the instant the clock jumps over it.
    """
    local = local.replace(tzinfo=None)
    earliest_reading = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall(earliest_reading, zone) == local:
        return earliest_reading
    # In a gap, fold=0 reads the time with the offset before the jump (an instant after the
    # gap) and fold=1 with the offset after it (an instant before the gap); the jump lies
    # between. Offsets change on whole seconds, so bisect on seconds.
    before = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    after = earliest_reading
    if before > after:
        before, after = after, before
    while (after - before) > timedelta(seconds=1):
        middle = before + timedelta(seconds=((after - before) // timedelta(seconds=1)) // 2)
        if _wall(middle, zone) >= local:
            after = middle
        else:
            before = middle
    return after


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


@dataclass(frozen=True)
class Duty:
    """One person on duty and why: a rotation layer's turn, or an override."""

    person: str
    source: str  # "rotation" or "override"
    since: datetime  # when this turn or override began
    until: Optional[datetime]  # when it ends; None for a rotation that never ends with one member
    layer: Optional[int] = None  # index into schedule.layers (rotation)
    layer_name: Optional[str] = None
    next_person: Optional[str] = None  # rotation: who takes over at ``until``
    override: Optional[int] = None  # index into schedule.overrides (override)
    reason: Optional[str] = None  # override: leave, swap, other
    note: Optional[str] = None
    instead_of: tuple[str, ...] = ()  # override: whom the rotation would have put on duty


@dataclass(frozen=True)
class LayerNote:
    """Why a layer has nobody on duty: it starts later, or it has ended."""

    layer: int
    status: str  # "not_started" or "ended"
    at: datetime  # the layer's start or end


@dataclass(frozen=True)
class OnCall:
    """The answer to "who is on duty for this role in this area at this instant, and why"."""

    area: str
    role: str
    at: datetime  # the instant asked about
    schedule: Optional[Schedule]
    duties: tuple[Duty, ...] = ()
    idle_layers: tuple[LayerNote, ...] = ()
    next_change: Optional[datetime] = None  # the next instant the people on duty change; None: none ahead
    people: tuple[str, ...] = field(default=())

    @property
    def scheduled(self) -> bool:
        return self.schedule is not None


def _find(schedules: Schedules | Iterable[Schedule] | None, area: str, role: str) -> Optional[Schedule]:
    if schedules is None:
        return None
    if isinstance(schedules, Schedules):
        return schedules.find(area, role)
    return next((s for s in schedules if s.area == area and s.role.value == role), None)


class _Rotation:
    """A layer's handover instants, counted from its start: turn k runs [handover(k), handover(k+1))."""

    def __init__(self, layer: Layer, zone: ZoneInfo):
        self.layer, self.zone = layer, zone
        self.period = timedelta(days=PERIOD_DAYS[layer.kind])
        self.first = self.handover(0)
        self.end = wall_clock_instant(layer.end, zone) if layer.end is not None else None
        self.alone = len(set(layer.members)) == 1

    def handover(self, k: int) -> datetime:
        day = self.layer.start.date() + k * self.period
        return wall_clock_instant(datetime.combine(day, self.layer.handover), self.zone)

    def turn(self, at: datetime) -> int:
        """The turn in force at ``at`` (negative: before the first handover)."""
        k = (_wall(at, self.zone).date() - self.layer.start.date()) // self.period
        while self.handover(k) > at:
            k -= 1
        while self.handover(k + 1) <= at:
            k += 1
        return k

    def member(self, k: int) -> str:
        return self.layer.members[k % len(self.layer.members)]

    def covers(self, at: datetime) -> bool:
        return self.first <= at and (self.end is None or at < self.end)

    def turn_start(self, k: int) -> datetime:
        """When the person of turn ``k`` took over (a member listed twice in a row keeps on)."""
        if self.alone:
            return self.first
        j = k
        while j > 0 and self.member(j - 1) == self.member(k):
            j -= 1
        return self.handover(j)

    def turn_end(self, k: int) -> tuple[Optional[datetime], Optional[str]]:
        """When the person of turn ``k`` hands over and to whom (None, None: never)."""
        if self.alone:
            return self.end, None
        j = k + 1
        while self.member(j) == self.member(k):
            j += 1
        until = self.handover(j)
        if self.end is not None and self.end <= until:
            return self.end, None
        return until, self.member(j)

    def change_after(self, at: datetime) -> Optional[datetime]:
        """The next instant after ``at`` at which this layer starts, hands over or ends."""
        if at < self.first:
            return self.first
        if not self.covers(at):
            return None
        return self.turn_end(self.turn(at))[0]


@dataclass(frozen=True)
class _State:
    duties: tuple[Duty, ...]
    idle: tuple[LayerNote, ...]
    changes: tuple[datetime, ...]  # instants after ``at`` at which a layer or override begins or ends

    @property
    def people(self) -> tuple[str, ...]:
        return tuple(_unique(d.person for d in self.duties))


def _state(schedule: Schedule, at: datetime) -> _State:
    zone = schedule.zone
    rotation: list[Duty] = []
    idle: list[LayerNote] = []
    changes: list[datetime] = []
    for index, layer in enumerate(schedule.layers):
        turns = _Rotation(layer, zone)
        change = turns.change_after(at)
        if change is not None:
            changes.append(change)
        if not turns.covers(at):
            status, when = ("not_started", turns.first) if at < turns.first else ("ended", turns.end)
            idle.append(LayerNote(index, status, when))
            continue
        k = turns.turn(at)
        until, next_person = turns.turn_end(k)
        rotation.append(Duty(person=turns.member(k), source="rotation", since=turns.turn_start(k),
                             until=until, layer=index, layer_name=layer.name, next_person=next_person))

    overriding: list[Duty] = []
    next_override: Optional[datetime] = None
    last_override_end: Optional[datetime] = None
    for index, override in enumerate(schedule.overrides):
        begins, ends = wall_clock_instant(override.from_, zone), wall_clock_instant(override.until, zone)
        changes.extend(instant for instant in (begins, ends) if instant > at)
        if begins > at:
            next_override = begins if next_override is None else min(next_override, begins)
        if ends <= at:
            last_override_end = ends if last_override_end is None else max(last_override_end, ends)
        if begins <= at < ends:
            overriding.append(Duty(person=override.person, source="override", since=begins, until=ends,
                                   override=index, reason=override.reason.value, note=override.note,
                                   instead_of=tuple(_unique(d.person for d in rotation))))
    if overriding:
        duties = overriding
    else:
        # A turn is cut short by an override that begins before its handover, and begins late
        # when an override covered its first hours.
        duties = []
        for duty in rotation:
            if next_override is not None and (duty.until is None or duty.until > next_override):
                duty = replace(duty, until=next_override, next_person=None)
            if last_override_end is not None and duty.since < last_override_end:
                duty = replace(duty, since=last_override_end)
            duties.append(duty)
    return _State(tuple(duties), tuple(idle), tuple(sorted(set(changes))))


# How far ahead to look for the next change of people: handovers that change nobody (an override
# covering several of them) are stepped over, but a finite schedule file cannot hide more.
_LOOKAHEAD = 64


def who_is_on_call(schedules: Schedules | Iterable[Schedule] | None, area: str, role: Role | str,
                   at: datetime) -> OnCall:
    """Who is on duty for ``role`` in ``area`` at the aware instant ``at``, with the reasons.

    ``next_change`` is the next instant at which the people on duty change (a handover to
    someone else, an override beginning or ending); None if nothing changes ahead.
    """
    role, at = _role_value(role), _instant(at)
    schedule = _find(schedules, area, role)
    if schedule is None:
        return OnCall(area=area, role=role, at=at, schedule=None)
    now = _state(schedule, at)
    next_change, probe = None, now
    for _ in range(_LOOKAHEAD):
        if not probe.changes:
            break
        candidate = probe.changes[0]
        probe = _state(schedule, candidate)
        if probe.people != now.people:
            next_change = candidate
            break
    return OnCall(area=area, role=role, at=at, schedule=schedule, duties=now.duties,
                  idle_layers=now.idle, next_change=next_change, people=now.people)


def _instant(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("at must be an aware datetime (with a time zone); a naive time is ambiguous")
    return at.astimezone(UTC)


def _role_value(role: Role | str) -> str:
    return role.value if isinstance(role, Role) else str(role)


def _unique(people: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(people))


def on_duty(schedules: Schedules | Iterable[Schedule] | None, area: str, role: Role | str, at: datetime) -> list[str]:
    """Roster ids on duty for ``role`` in ``area`` at aware ``at``; ``[]``: no schedule, or a gap."""
    schedule = _find(schedules, area, _role_value(role))
    return [] if schedule is None else list(_state(schedule, _instant(at)).people)


def _when(instant: datetime, zone: ZoneInfo, with_zone: bool = False) -> str:
    instant = instant.astimezone(zone)
    zone_name = f", {zone.key}" if with_zone else ""
    offset = instant.strftime("%z")
    clock = f"{instant:%H:%M:%S}" if instant.second or instant.microsecond else f"{instant:%H:%M}"
    return f"{instant:%Y-%m-%d} {clock} {offset[:3]}:{offset[3:]} ({instant:%a}{zone_name})"


def _who(person_id: str, people: Mapping[str, Person]) -> str:
    person = people.get(person_id)
    if person is None:
        return person_id
    phone = f", phone {person.phone}" if person.phone else ", no phone on the roster"
    return f"{person.name} ({person.id}){phone}"


def _name(person_id: str, people: Mapping[str, Person]) -> str:
    person = people.get(person_id)
    return f"{person.name} ({person_id})" if person else person_id


def _why(duty: Duty, schedule: Schedule, people: Mapping[str, Person]) -> str:
    zone = schedule.zone
    if duty.source == "override":
        reason = duty.reason + (f": {duty.note}" if duty.note else "")
        text = f"override {duty.override + 1} ({reason}) from {_when(duty.since, zone)} until {_when(duty.until, zone)}"
        if duty.instead_of:
            text += ", instead of " + ", ".join(_name(p, people) for p in duty.instead_of)
        return text
    layer = schedule.layers[duty.layer]
    day = f" on {layer.handover_day.value}s" if layer.handover_day else ""
    title = f"layer {duty.layer + 1}" + (f" '{layer.name}'" if layer.name else "")
    text = f"rotation, {title} ({layer.kind.value}, handover{day} at {layer.handover:%H:%M}), since {_when(duty.since, zone)}"
    if duty.until is None:
        return text + "; no handover ahead (the only member)"
    text += f", until {_when(duty.until, zone)}"
    if duty.next_person:
        text += f", then {_name(duty.next_person, people)}"
    return text


def describe(answer: OnCall, people: Mapping[str, Person], fallback: Iterable[Person] = (),
             zone: ZoneInfo = ZoneInfo("UTC")) -> tuple[str, bool]:
    """``gridalert oncall``'s text for ``answer``, and whether anyone is on duty.

    ``people`` are the roster by id (for names and phones); ``fallback`` the roster's people with
    the role in the area, shown when no schedule names anyone. Times are shown in the schedule's
    zone, or in ``zone`` when there is no schedule.
    """
    fallback = list(fallback)
    zone = answer.schedule.zone if answer.schedule is not None else zone
    where = f"{answer.role} for {answer.area}"
    if answer.schedule is None:
        lines = [f"{where} at {_when(answer.at, zone, True)}: no duty schedule, so everyone with the role in the area is on duty"]
    else:
        lines = [f"{where} at {_when(answer.at, zone, True)}, schedule '{answer.schedule.title}'"]
    for duty in answer.duties:
        lines.append(f"on duty: {_who(duty.person, people)}")
        lines.append(f"  why: {_why(duty, answer.schedule, people)}")
    if answer.schedule is not None and not answer.duties:
        gaps = "; ".join(f"layer {n.layer + 1} {'starts' if n.status == 'not_started' else 'ended'} {_when(n.at, zone)}"
                         for n in answer.idle_layers)
        lines.append(f"nobody is scheduled at this time ({gaps or 'no layer covers it'})")
        if fallback:
            lines.append(f"without a scheduled person, the roster's {where}:")
    if not answer.duties:
        lines.extend(f"  {_who(person.id, people)}" for person in fallback)
        if not fallback:
            lines.append(f"nobody on the roster is {where}")
    if answer.next_change is not None:
        lines.append(f"next change: {_when(answer.next_change, zone)}")
    return "\n".join(lines), bool(answer.duties) or (answer.schedule is None and bool(fallback))
