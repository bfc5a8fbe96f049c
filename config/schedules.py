"""Typed model of ``schedules.yaml``: who of a role is on duty (值班) in an area, and when.

A schedule belongs to one area (a township, the district, …) and one roster role
(``township_duty``, ``district_duty``, …). Its rotation layers hand duty from one member to the
next at a fixed local time (daily, or weekly on a given day); its overrides put someone else on
duty for a window (leave 请假, swap 换班). All times in the file are *local* wall-clock times of
the schedule's time zone; ``incidents.oncall`` turns them into instants.

This module checks one file on its own. Rules that need the roster or the grid map (a member
must be on the roster with the schedule's role and area) live in ``config.loader``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from enum import Enum
from typing import Annotated, Any, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, field_validator, model_validator

from gridalert.config.model import Role, Strict

_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LOCAL_ISH = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}")


def _clock_time(value: Any) -> time:
    # YAML 1.1 reads an unquoted 9:00 as the number 540 (base 60); pydantic would then take it
    # as seconds after midnight. Refuse numbers instead of guessing.
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError("give a local time of day without an offset, e.g. '08:30'")
        return value
    if isinstance(value, str) and (match := _CLOCK.match(value.strip())):
        return time(int(match[1]), int(match[2]), int(match[3] or 0))
    if isinstance(value, (int, float)):
        raise ValueError(f"{value!r} is not a time of day: write it in quotes, e.g. '09:00' "
                         "(YAML reads an unquoted 9:00 as the number 540)")
    raise ValueError(f"{value!r} is not a time of day; write 'HH:MM', e.g. '08:30'")


def _local_datetime(value: Any) -> datetime:
    if isinstance(value, str):
        text = value.strip()
        try:
            if _DATE.match(text):
                value = date.fromisoformat(text)
            elif _LOCAL_ISH.match(text):
                value = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a date and time ({exc}); write 'YYYY-MM-DD HH:MM'") from None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError(f"{value.isoformat()} has a UTC offset; write the local date and time "
                             "without one (the schedule's timezone applies)")
        return value
    if isinstance(value, date):
        raise ValueError(f"{value.isoformat()} has no time of day; write a date and a time, "
                         f"e.g. '{value.isoformat()} 08:30'")
    raise ValueError(f"{value!r} is not a local date and time; write 'YYYY-MM-DD HH:MM', e.g. '2025-01-06 09:00'")


ClockTime = Annotated[time, BeforeValidator(_clock_time)]
LocalDateTime = Annotated[datetime, BeforeValidator(_local_datetime)]
PersonId = Annotated[str, Field(min_length=1)]


def known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
    return value


class Weekday(str, Enum):
    monday = "monday"
    tuesday = "tuesday"
    wednesday = "wednesday"
    thursday = "thursday"
    friday = "friday"
    saturday = "saturday"
    sunday = "sunday"

    @property
    def number(self) -> int:
        """0 for Monday, as ``datetime.weekday()`` counts."""
        return list(Weekday).index(self)


class RotationKind(str, Enum):
    daily = "daily"  # 日轮班: a new member every day at the handover time
    weekly = "weekly"  # 周轮班: a new member every week on the handover day


PERIOD_DAYS = {RotationKind.daily: 1, RotationKind.weekly: 7}


class Layer(Strict):
    """One rotation: ``members`` take turns, in order, handing over at ``handover`` local time.

    ``members[0]`` is on duty from ``start`` (which must itself be a handover) to the next
    handover, then ``members[1]``, and so on round the list. A layer with ``end`` covers nothing
    from then on: to change a rotation from a date, end the old layer there and start a new one.
    Several layers in one schedule are on duty side by side (e.g. two duty officers a shift).
    """

    name: Optional[str] = Field(default=None, min_length=1, description="e.g. 'day officer'; shown by gridalert oncall")
    kind: RotationKind = Field(description="daily or weekly")
    start: LocalDateTime = Field(description="local date and time of the first handover, to members[0]")
    handover: ClockTime = Field(description="local time of day at which the next member takes over, e.g. '08:30'")
    handover_day: Optional[Weekday] = Field(default=None, description="weekly only: the day of the handover")
    members: list[PersonId] = Field(min_length=1, description="roster ids, in turn order; a name may appear twice")
    end: Optional[LocalDateTime] = Field(default=None, description="local date and time the layer stops; none: never")

    @model_validator(mode="after")
    def _start_is_a_handover(self) -> "Layer":
        if self.kind is RotationKind.weekly and self.handover_day is None:
            raise ValueError("a weekly layer needs handover_day (monday … sunday)")
        if self.kind is RotationKind.daily and self.handover_day is not None:
            raise ValueError("handover_day is for weekly layers; a daily layer hands over every day")
        # The first shift must be a whole one, or nobody could say who is on duty before it.
        if self.start.time() != self.handover:
            raise ValueError(f"start {self.start:%Y-%m-%d %H:%M} is not at the handover time "
                             f"{self.handover:%H:%M}; start the layer at a handover, "
                             f"e.g. {self.start:%Y-%m-%d} {self.handover:%H:%M}")
        if self.handover_day is not None and self.start.weekday() != self.handover_day.number:
            raise ValueError(f"start {self.start:%Y-%m-%d} is a {self.start:%A}, but handovers are on "
                             f"{self.handover_day.value}; start the layer on a {self.handover_day.value}")
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end {self.end:%Y-%m-%d %H:%M} is not after start {self.start:%Y-%m-%d %H:%M}")
        return self


class OverrideReason(str, Enum):
    leave = "leave"  # 请假: the scheduled person is away; someone covers
    swap = "swap"  # 换班: two people trade shifts (write one override for each)
    other = "other"


class Override(Strict):
    """``person`` is on duty in [``from``, ``until``) instead of the rotation (local times)."""

    person: PersonId = Field(description="roster id of the person on duty in the window")
    from_: LocalDateTime = Field(alias="from", description="local date and time the override begins (inclusive)")
    until: LocalDateTime = Field(description="local date and time it ends (exclusive)")
    reason: OverrideReason = Field(description="leave, swap or other")
    note: Optional[str] = Field(default=None, description="free text shown by gridalert oncall, e.g. whose leave")

    @model_validator(mode="after")
    def _from_before_until(self) -> "Override":
        if self.from_ >= self.until:
            raise ValueError(f"from {self.from_:%Y-%m-%d %H:%M} is not before until {self.until:%Y-%m-%d %H:%M}")
        return self


class Schedule(Strict):
    """The duty schedule of one role in one area."""

    name: Optional[str] = Field(default=None, min_length=1, description="e.g. '区指挥中心值班'")
    area: str = Field(min_length=1, description="district, township, village or grid id, as in the roster")
    role: Role = Field(description="the roster role this schedule covers, e.g. district_duty")
    timezone: str = Field(default="Asia/Shanghai", description="IANA time zone of every time in this schedule")
    layers: list[Layer] = Field(min_length=1, description="rotations on duty side by side")
    overrides: list[Override] = Field(default_factory=list, description="windows in which someone else is on duty")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def title(self) -> str:
        return self.name or f"{self.area} {self.role.value}"


class Schedules(Strict):
    """The whole ``schedules.yaml``; empty when the file is missing (no schedules, as before)."""

    schedules: list[Schedule] = Field(default_factory=list)

    @field_validator("schedules")
    @classmethod
    def _one_per_area_and_role(cls, value: list[Schedule]) -> list[Schedule]:
        seen: dict[tuple[str, str], int] = {}
        for i, schedule in enumerate(value):
            key = (schedule.area, schedule.role.value)
            if key in seen:
                raise ValueError(f"schedules[{i}] and schedules[{seen[key]}] are both for {schedule.role.value} "
                                 f"in {schedule.area}; put their layers in one schedule")
            seen[key] = i
        return value

    def find(self, area: str, role: Role | str) -> Optional[Schedule]:
        role = role.value if isinstance(role, Role) else role
        return next((s for s in self.schedules if s.area == area and s.role.value == role), None)


def schedule_label(index: int, document: Any) -> str:
    """``schedules[2] (金华园街道 township_duty)``: how problems name a schedule."""
    items = document.get("schedules") if isinstance(document, dict) else None
    item = items[index] if isinstance(items, list) and index < len(items) else None
    if isinstance(item, dict) and item.get("area") and item.get("role"):
        return f"schedules[{index}] ({item['area']} {item['role']})"
    return f"schedules[{index}]"
