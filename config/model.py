"""Typed models of the configuration files: roster.yaml, policies.yaml, devices.yaml.

Unknown keys are errors (a misspelt key must not silently fall back to a default). These models
check one file each; rules that span files (a roster area that names no grid) live in
``config.loader``.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from gridalert.streams.records import TIERS


def _known_tier(value: str) -> str:
    if value not in TIERS:
        raise ValueError(f"unknown tier {value!r}; tiers are {', '.join(TIERS)}")
    return value


Tier = Annotated[str, AfterValidator(_known_tier)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Role(str, Enum):
    """Who a person is in the grid organisation; decides which tier pages them."""

    unit_head = "unit_head"  # 联户长
    grid_worker = "grid_worker"  # 网格员
    grid_head = "grid_head"  # 网格长
    village_secretary = "village_secretary"  # 村/社区书记
    township_duty = "township_duty"  # 乡镇/街道值班
    district_duty = "district_duty"  # 区指挥中心值班员
    district_leader = "district_leader"
    dept_fire = "dept_fire"
    dept_power = "dept_power"
    dept_property = "dept_property"
    dept_police = "dept_police"
    dept_health = "dept_health"
    dept_civil_affairs = "dept_civil_affairs"


# The role paged first at each tier, and the kind of area it covers.
TIER_ROLE = {
    "unit": Role.unit_head,
    "grid": Role.grid_head,
    "village": Role.village_secretary,
    "township": Role.township_duty,
    "district": Role.district_duty,
}


class Person(Strict):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    role: Role
    area: str = Field(min_length=1, description="unit, grid id, village, township or district")
    phone: Optional[str] = None
    channels: list[str] = Field(min_length=1, description="apprise URLs, tried in order")


class Roster(Strict):
    staff: list[Person] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> "Roster":
        seen: set[str] = set()
        for person in self.staff:
            if person.id in seen:
                raise ValueError(f"staff id {person.id!r} appears more than once")
            seen.add(person.id)
        return self


class HeatRule(Strict):
    """Abnormal heat (异常热源): one threshold for now; two stages and persistence come later."""

    alarm_c: float = Field(default=50.0, gt=-50, lt=1000, description="alarm at or above, °C")


class WiringRule(Strict):
    """Fire-risk wiring (电气火灾隐患): residual current and arc faults (GB 14287 practice)."""

    residual_ma_alarm: float = Field(default=300.0, gt=0, description="alarm at or above, mA (300–500 typical)")
    arc_half_cycles_alarm: int = Field(default=10, ge=1, description="more than 9 arcing half-cycles in 1 s")


class Detectors(Strict):
    heat: HeatRule = HeatRule()
    wiring: WiringRule = WiringRule()


class EventClass(str, Enum):
    own_level = "own_level"  # 本级事项
    upper_level = "upper_level"  # 上级事项
    difficult = "difficult"  # 疑难事项


class Route(Strict):
    start_tier: Tier = "grid"
    severity: str = "high"
    klass: EventClass = EventClass.own_level


class TierPolicy(Strict):
    """How long a tier has to accept, and how often it is paged again before the order climbs."""

    accept_timeout_s: float = Field(default=300.0, gt=0)
    repages: int = Field(default=1, ge=0, le=20)


DEPARTMENTS = ("fire", "power", "property", "police", "health", "civil_affairs", "gas", "water")


def department_role(department: str) -> str:
    return f"dept_{department}"


class Hours(Strict):
    """A time-of-day window in the district's time zone; ``22:00-06:00`` wraps past midnight."""

    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")

    def contains(self, hhmm: str) -> bool:
        if self.start <= self.end:
            return self.start <= hhmm < self.end
        return hhmm >= self.start or hhmm < self.end


class RunCard(Strict):
    """Which departments answer together (联合处置) for which kind of alarm, where and when.

    Every listed condition must hold; an empty list means "any". The first matching card wins.
    """

    name: str = Field(min_length=1)
    event_types: list[str] = Field(default_factory=list)
    severities: list[str] = Field(default_factory=list)
    klasses: list[EventClass] = Field(default_factory=list)
    building_types: list[str] = Field(default_factory=list)
    areas: list[str] = Field(default_factory=list, description="grid ids, villages or townships")
    hours: Optional[Hours] = None
    departments: list[str] = Field(min_length=1)
    start_tier: Tier = "district"

    @field_validator("departments")
    @classmethod
    def _known_departments(cls, value: list[str]) -> list[str]:
        unknown = [d for d in value if d not in DEPARTMENTS]
        if unknown:
            raise ValueError(f"unknown department(s) {', '.join(unknown)}; departments are {', '.join(DEPARTMENTS)}")
        return value


class JointDispatch(Strict):
    """The joint-response clock and each department's own acceptance timeout."""

    clock_s: float = Field(default=300.0, gt=0, description="alarm → every department accepted")
    accept_timeout_s: float = Field(default=120.0, gt=0)
    repages: int = Field(default=1, ge=0, le=20)


class Paging(Strict):
    attempts: int = Field(default=3, ge=1, le=10)
    backoff_s: float = Field(default=1.0, ge=0)
    timeout_s: float = Field(default=10.0, gt=0)
    concurrency: int = Field(default=16, ge=1)


class Policies(Strict):
    timezone: str = "Asia/Shanghai"
    detectors: Detectors = Detectors()
    routing: dict[str, Route] = Field(default_factory=lambda: {"heat.reading": Route(), "wiring.reading": Route()})
    class_start_tier: dict[EventClass, str] = Field(
        default_factory=lambda: {EventClass.upper_level: "township", EventClass.difficult: "district"},
        description="a raised class starts at least this high",
    )
    severity_start_tier: dict[str, str] = Field(default_factory=dict,
                                                description="a severity starts at least this high, e.g. critical: township")
    tiers: dict[str, TierPolicy] = Field(default_factory=lambda: {t: TierPolicy() for t in TIERS})
    run_cards: list[RunCard] = Field(default_factory=list)
    joint_dispatch: JointDispatch = JointDispatch()
    paging: Paging = Paging()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
        return value

    @field_validator("class_start_tier", "severity_start_tier")
    @classmethod
    def _start_tiers(cls, value: dict) -> dict:
        for name, tier in value.items():
            if tier not in TIERS:
                raise ValueError(f"{getattr(name, 'value', name)}: unknown tier {tier!r}; tiers are {', '.join(TIERS)}")
        return value

    def route(self, event_type: str) -> Route:
        """The routing of an event type (the default route when policies.yaml names none)."""
        return self.routing.get(event_type, Route())

    @field_validator("tiers")
    @classmethod
    def _known_tiers(cls, value: dict[str, TierPolicy]) -> dict[str, TierPolicy]:
        unknown = sorted(set(value) - set(TIERS))
        if unknown:
            raise ValueError(f"unknown tier(s) {', '.join(unknown)}; tiers are {', '.join(TIERS)}")
        return {tier: value.get(tier, TierPolicy()) for tier in TIERS}


class Device(Strict):
    """A registered device: events may name it instead of carrying lon/lat.

    ``household`` (户) and ``resident`` tie a device to the people it watches (e.g. a solitary
    elderly resident's water meter); ``building_type`` is what it is installed in.
    """

    class BuildingType(str, Enum):
        high_rise = "high_rise"  # 高层建筑
        wooden_village = "wooden_village"  # 木结构村寨
        warehouse = "warehouse"
        residential = "residential"
        office = "office"
        other = "other"

    id: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    zone: Optional[str] = None
    household: Optional[str] = Field(default=None, min_length=1)
    resident: Optional[str] = Field(default=None, min_length=1)
    building_type: Optional[Device.BuildingType] = None


class Devices(Strict):
    devices: list[Device] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> "Devices":
        ids = [d.id for d in self.devices]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"device id(s) appear more than once: {', '.join(dupes)}")
        return self
