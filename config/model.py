"""Typed models of the configuration files: roster.yaml, policies.yaml, devices.yaml.

Unknown keys are errors (a misspelt key must not silently fall back to a default). These models
check one file each; rules that span files (a roster area that names no grid) live in
``config.loader``.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, ClassVar, Literal, Mapping, Optional, Self, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator,
                      model_validator)

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

# Everyone a tier pages, its lead role first: a grid is answered by its grid head and its grid
# workers together (网格长和网格员), since the workers are the ones who knock on the door.
TIER_ROLES = {tier: (role,) for tier, role in TIER_ROLE.items()} | {"grid": (Role.grid_head, Role.grid_worker)}


class NotifyRule(Strict):
    """One step of a person's notification rules: at ``after_s`` seconds after the order, unless it
    was accepted by then, page ``channels`` (indexes into the person's channels) and/or the deputy.

    ``{after_s: 0, channels: [0]}`` is "WeCom at once"; ``{after_s: 300, deputy: true}`` is "the
    deputy after five minutes".
    """

    after_s: float = Field(ge=0, le=7 * 86400, description="seconds after the order was issued")
    channels: list[int] = Field(default_factory=list, description="indexes into the person's channels")
    deputy: bool = Field(default=False, description="page the person's deputy at this step")

    @model_validator(mode="after")
    def _does_something(self) -> "NotifyRule":
        if not self.channels and not self.deputy:
            raise ValueError("a rule must name channels, or deputy: true, or both")
        if len(set(self.channels)) != len(self.channels):
            raise ValueError(f"channels {self.channels} name a channel twice")
        return self


class Person(Strict):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    role: Role
    area: str = Field(min_length=1, description="unit, grid id, village, township or district")
    phone: Optional[str] = None
    channels: list[str] = Field(min_length=1, description="apprise URLs, tried in order")
    deputy: Optional[str] = Field(default=None, min_length=1,
                                  description="roster id paged when every channel fails or a rule says so")
    rules: Optional[list[NotifyRule]] = Field(
        default=None, min_length=1,
        description="when to page which channel; none: channels in order at once, failing over")

    @model_validator(mode="after")
    def _rules_fit_the_person(self) -> "Person":
        if self.deputy == self.id:
            raise ValueError(f"deputy: {self.id!r} cannot be their own deputy")
        problems = []
        for i, rule in enumerate(self.rules or []):
            for j, index in enumerate(rule.channels):
                if not 0 <= index < len(self.channels):
                    problems.append(f"rules[{i}].channels[{j}]: there is no channel {index}; this person has "
                                    f"{len(self.channels)} (0 to {len(self.channels) - 1})")
            if rule.deputy and self.deputy is None:
                problems.append(f"rules[{i}].deputy: true, but the person names no deputy (add deputy: <roster id>)")
            if i and rule.after_s < self.rules[i - 1].after_s:
                problems.append(f"rules[{i}].after_s: {rule.after_s:g} comes before the previous rule's "
                                f"{self.rules[i - 1].after_s:g}; list the rules in time order")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Roster(Strict):
    staff: list[Person] = Field(min_length=1)
    reporter_reply: Optional[str] = Field(
        default=None, description="apprise URL that tells a citizen reporter the outcome; {contact} is "
                                  "replaced by the report's reporter_contact (e.g. an SMS gateway)")

    @field_validator("reporter_reply")
    @classmethod
    def _names_the_contact(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and "{contact}" not in value:
            raise ValueError("reporter_reply must contain {contact}, where the reporter's contact goes")
        return value

    @model_validator(mode="after")
    def _unique_ids(self) -> "Roster":
        seen: set[str] = set()
        for person in self.staff:
            if person.id in seen:
                raise ValueError(f"staff id {person.id!r} appears more than once")
            seen.add(person.id)
        return self


class EventClass(str, Enum):
    own_level = "own_level"  # 本级事项
    upper_level = "upper_level"  # 上级事项
    difficult = "difficult"  # 疑难事项


def _building_klass_heat() -> dict[str, "EventClass"]:
    return {"high_rise": EventClass.difficult, "wooden_village": EventClass.difficult,
            "warehouse": EventClass.upper_level}


class HeatLimits(Strict):
    """Thresholds of one camera or zone (key: device id or zone name), over the district's."""

    warning_c: Optional[float] = Field(default=None, gt=-50, lt=1000)
    alarm_c: Optional[float] = Field(default=None, gt=-50, lt=1000)


class HeatRule(Strict):
    """Abnormal heat (异常热源): two stages, persistence, rate of rise, hysteresis, zone baselines.

    A stage opens after ``persist_frames`` consecutive readings at or above it (lasting at least
    ``persist_s``); the episode ends only after ``reset_frames`` readings below ``warning_c -
    reset_c``, so a value oscillating around a threshold opens one alarm. A zone that is warm by
    nature (its learned baseline near the warning level) has its thresholds lifted by at most
    ``baseline_max_raise_c``. ``building_klass`` raises the class of alarms in such buildings.
    """

    warning_c: float = Field(default=48.0, gt=-50, lt=1000, description="warning stage at or above, °C")
    alarm_c: float = Field(default=50.0, gt=-50, lt=1000, description="alarm stage at or above, °C")
    warning_severity: str = Field(default="medium", min_length=1, description="severity of a warning-stage alarm")
    persist_frames: int = Field(default=3, ge=1, le=1000, description="consecutive readings at or above a stage")
    persist_s: float = Field(default=0.0, ge=0, description="and lasting at least this long, s")
    min_area_px: int = Field(default=4, ge=0, description="a smaller hot region does not count (glint, cigarette)")
    reset_c: float = Field(default=2.0, ge=0, description="hysteresis: episode ends below warning_c minus this")
    reset_frames: int = Field(default=3, ge=1, le=1000)
    rise_c_per_min: Optional[float] = Field(default=8.0, gt=0, description="rate-of-rise alarm, °C/min; null: off")
    rise_span_s: float = Field(default=60.0, ge=10, le=600, description="rise measured over at least this span")
    rise_floor_c: float = Field(default=35.0, description="a rise counts only at or above this temperature")
    rise_frames: int = Field(default=2, ge=1, le=100, description="consecutive readings rising that fast")
    baseline_tau_s: float = Field(default=86400.0, gt=0, description="time constant of the learned zone baseline")
    baseline_margin_c: float = Field(default=5.0, ge=0, description="thresholds stay this far above the baseline")
    baseline_max_raise_c: float = Field(default=6.0, ge=0, description="most a baseline may lift them; 0: off")
    baseline_min_readings: int = Field(default=96, ge=1, description="readings learned before a baseline counts")
    zones: dict[str, HeatLimits] = Field(default_factory=dict, description="device id or zone name -> thresholds")
    building_klass: dict[str, EventClass] = Field(default_factory=_building_klass_heat)

    @model_validator(mode="after")
    def _stages_in_order(self) -> "HeatRule":
        for name, limits in [("", HeatLimits())] + sorted(self.zones.items()):
            warning = limits.warning_c if limits.warning_c is not None else self.warning_c
            alarm = limits.alarm_c if limits.alarm_c is not None else self.alarm_c
            if warning > alarm:
                where = f"zones.{name}: " if name else ""
                raise ValueError(f"{where}warning_c {warning} is above alarm_c {alarm}")
        return self


class WiringLimits(Strict):
    """Thresholds of one monitor (key: device id), over the district's: e.g. a workshop's leakage."""

    residual_ma_warning: Optional[float] = Field(default=None, gt=0)
    residual_ma_alarm: Optional[float] = Field(default=None, gt=0)
    arc_half_cycles_alarm: Optional[int] = Field(default=None, ge=1)
    cable_c_warning: Optional[float] = Field(default=None, gt=-50, lt=1000)
    cable_c_alarm: Optional[float] = Field(default=None, gt=-50, lt=1000)
    persist_readings: Optional[int] = Field(default=None, ge=1, le=100)


class WiringRule(Strict):
    """Fire-risk wiring (电气火灾隐患): residual current, arc faults, cable temperature (GB 14287).

    Natural leakage is 100–200 mA and 300 mA can start a fire: warning at 300, alarm at 500 mA.
    Arc-fault monitoring ignores 9 or fewer arcing half-cycles in one second. Alarms never ask for
    power to be cut. ``devices`` overrides thresholds per monitor; each monitor's alarms are kept
    in its household file (一户一档, the last ``history_size``) so a recurring fault shows.
    """

    residual_ma_warning: float = Field(default=300.0, gt=0, description="warning at or above, mA")
    residual_ma_alarm: float = Field(default=500.0, gt=0, description="alarm at or above, mA (300–500 typical)")
    arc_half_cycles_alarm: int = Field(default=10, ge=1, description="more than 9 arcing half-cycles in 1 s")
    cable_c_warning: float = Field(default=60.0, gt=-50, lt=1000, description="cable temperature warning, °C")
    cable_c_alarm: float = Field(default=70.0, gt=-50, lt=1000, description="cable temperature alarm, °C (PVC: 70)")
    persist_readings: int = Field(default=2, ge=1, le=100, description="consecutive readings at or above")
    reset_ma: float = Field(default=50.0, ge=0, description="hysteresis below the residual warning level, mA")
    reset_c: float = Field(default=5.0, ge=0, description="hysteresis below the cable warning level, °C")
    reset_readings: int = Field(default=3, ge=1, le=100, description="readings below the reset level end an episode")
    warning_severity: str = Field(default="medium", min_length=1)
    history_size: int = Field(default=50, ge=1, le=1000, description="alarms kept per device (一户一档)")
    history_days: int = Field(default=30, ge=1, description="recurrence counted over this many days")
    devices: dict[str, WiringLimits] = Field(default_factory=dict, description="device id -> thresholds")
    building_klass: dict[str, EventClass] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _stages_in_order(self) -> "WiringRule":
        for name in [None] + sorted(self.devices):
            rule = self.for_device(name)
            where = f"devices.{name}: " if name else ""
            if rule.residual_ma_warning > rule.residual_ma_alarm:
                raise ValueError(f"{where}residual_ma_warning {rule.residual_ma_warning} is above "
                                 f"residual_ma_alarm {rule.residual_ma_alarm}")
            if rule.cable_c_warning > rule.cable_c_alarm:
                raise ValueError(f"{where}cable_c_warning {rule.cable_c_warning} is above cable_c_alarm "
                                 f"{rule.cable_c_alarm}")
        return self

    def for_device(self, device: Optional[str]) -> "WiringRule":
        """This rule with the device's overrides applied (itself when the device has none)."""
        limits = self.devices.get(device or "")
        if limits is None:
            return self
        changes = {k: v for k, v in limits.model_dump().items() if v is not None}
        return self.model_copy(update={**changes, "devices": {}})


M = TypeVar("M", bound=BaseModel)


def with_changes(rule: M, changes: Mapping[str, Any], where: str) -> M:
    """``rule`` with ``changes`` applied and validated like the rule itself; a problem is raised as
    a ``ValueError`` naming ``where`` and the key (e.g. ``areas.朱昌镇.activity.window_s``)."""
    try:
        return type(rule).model_validate({**rule.model_dump(), **changes})
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"{where}{'.' + key if key else ''}: {first['msg']}") from None


class PerSubject(Strict):
    """A rule a subject (a resident, a gateway) may change for itself: ``<SUBJECTS>[id]`` holds
    the keys that differ, checked at start-up like the rule's own values."""

    SUBJECTS: ClassVar[str]

    @model_validator(mode="after")
    def _subjects_are_valid_rules(self) -> Self:
        for name in sorted(getattr(self, self.SUBJECTS)):
            self.for_subject(name)
        return self

    def for_subject(self, name: Optional[str]) -> Self:
        """This rule with the subject's overrides applied (itself when the subject has none)."""
        changes = getattr(self, self.SUBJECTS).get(name or "")
        if not changes:
            return self
        return with_changes(self, {**changes, self.SUBJECTS: {}}, f"{self.SUBJECTS}.{name}")


class ActivityRule(PerSubject):
    """Solitary-elderly inactivity (独居老人): every channel silent, or a learned routine missed.

    Water counts as activity from ``water_event_m3`` in one reading (above the meter's learned
    leak flow); the all-silent rule also needs less than ``window_water_m3`` in the whole window
    (Shanghai/Shenzhen: 0.01 m³ in 12 h). Power counts above the meter's learned standby plus
    ``power_margin_kw``. The routine rule learns, for every half-hour of the day, how often this
    household shows a sign of life then (last ``history_days``); a silence through half-hours that
    are rarely all silent (rarer than ``routine_odds``) alarms early. A silence that began at the
    door must also outlast the household's longest outing × ``routine_factor`` + ``routine_margin_s``.
    Known absence (door "out", the app's away flag) suppresses both.
    """

    window_s: float = Field(default=43200.0, gt=0, description="all channels silent this long: alarm (12 h)")
    window_water_m3: float = Field(default=0.01, ge=0, description="less water than this in the window is silence")
    water_event_m3: float = Field(default=0.003, gt=0, description="water in one reading that counts as activity")
    power_margin_kw: float = Field(default=0.1, gt=0, description="mean power above standby that counts, kW")
    stale_s: float = Field(default=3600.0, gt=0, description="no reading at all this long: the data is missing")
    routine: bool = Field(default=True, description="alarm earlier when the household's routine is missed")
    routine_min_days: int = Field(default=14, ge=1, description="days learned before the routine counts")
    routine_min_outings: int = Field(default=3, ge=1, description="outings learned before they count")
    routine_odds: float = Field(default=1e-5, gt=0, lt=1, description="a silence rarer than this under the "
                                "household's habits is unusual")
    routine_factor: float = Field(default=1.25, ge=1.0, description="a silence from the door: × the longest outing")
    routine_margin_s: float = Field(default=2700.0, ge=0, description="... plus this")
    routine_min_s: float = Field(default=5400.0, gt=0, description="never earlier than this after the last activity")
    history_days: int = Field(default=28, ge=1, le=120)
    residents: dict[str, dict[str, Any]] = Field(default_factory=dict, description="resident id -> the keys "
                                                 "that differ for that resident, e.g. {window_s: 21600}")
    SUBJECTS: ClassVar[str] = "residents"


class GatewayRule(PerSubject):
    """A gateway that misses its heartbeats for ``silence_s`` opens one gateway alarm."""

    silence_s: float = Field(default=1800.0, gt=0, description="no heartbeat this long: the gateway is silent")
    gateways: dict[str, dict[str, Any]] = Field(default_factory=dict, description="gateway id -> the keys that "
                                                "differ for it, e.g. {silence_s: 7200} for one that beats hourly")
    SUBJECTS: ClassVar[str] = "gateways"


class CitizenCategory(Strict):
    """How one category of citizen report (随手拍, 码上办) is labelled and classed."""

    label: Optional[str] = Field(default=None, min_length=1, description="title text, e.g. 消防通道堵塞")
    severity: Optional[str] = Field(default=None, min_length=1)
    klass: Optional[EventClass] = None


class CitizenRule(Strict):
    """Every valid citizen report is an alarm of its category; no threshold."""

    categories: dict[str, CitizenCategory] = Field(default_factory=dict)


class AreaDetectors(Strict):
    """One area's thresholds (a grid id, village or township): only the keys that differ, e.g. a
    village that alarms on 24 h of silence (Taicang practice) instead of 12 h."""

    heat: dict[str, Any] = Field(default_factory=dict)
    wiring: dict[str, Any] = Field(default_factory=dict)
    activity: dict[str, Any] = Field(default_factory=dict)
    gateway: dict[str, Any] = Field(default_factory=dict)


class Detectors(Strict):
    heat: HeatRule = HeatRule()
    wiring: WiringRule = WiringRule()
    activity: ActivityRule = ActivityRule()
    gateway: GatewayRule = GatewayRule()
    citizen: CitizenRule = CitizenRule()
    areas: dict[str, AreaDetectors] = Field(default_factory=dict, description="per-area overrides; the "
                                            "smallest area of an event that has one wins (grid, village, township)")

    @model_validator(mode="after")
    def _areas_are_valid_rules(self) -> "Detectors":
        for name in sorted(self.areas):
            self.for_area(name)
        return self

    def area_of(self, *areas: Optional[str]) -> Optional[str]:
        """The first of ``areas`` (smallest first) that has overrides."""
        return next((a for a in areas if a and a in self.areas), None)

    def for_area(self, name: Optional[str]) -> "Detectors":
        """These thresholds with the area's overrides applied (itself when the area has none)."""
        overrides = self.areas.get(name or "")
        if overrides is None:
            return self
        merged = {}
        for detector in ("heat", "wiring", "activity", "gateway"):
            changes, base = getattr(overrides, detector), getattr(self, detector)
            merged[detector] = with_changes(base, changes, f"areas.{name}.{detector}") if changes else base
        return self.model_copy(update={**merged, "areas": {}})


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
    unreached_retry_s: float = Field(
        default=30.0, ge=0, description="a person nobody could reach on any channel, nor their deputy, is tried "
        "again this often until reached or the order ends; 0: give up after one round")


class Policies(Strict):
    timezone: str = "Asia/Shanghai"
    disposal_s: dict[EventClass, float] = Field(
        default_factory=lambda: {EventClass.own_level: 86400.0, EventClass.upper_level: 3 * 86400.0,
                                 EventClass.difficult: 7 * 86400.0},
        description="time from the alarm to resolution that counts as on time (按期处置), per class")
    language: Literal["zh", "en"] = Field(default="zh", description="language of pages: zh (简体中文) or en")
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
    elderly resident's water meter); ``building_type`` is what it is installed in. ``gateway`` is
    the gateway the device reports through: while that gateway is silent, the device's alarms are
    recorded on the gateway's incident instead of paging.
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
    gateway: Optional[str] = Field(default=None, min_length=1, description="the gateway it reports through")
    special_attention: Optional[bool] = Field(
        default=None, description="特别关注: a watched resident's device; false stops the inactivity watch")


class Devices(Strict):
    devices: list[Device] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> "Devices":
        ids = [d.id for d in self.devices]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"device id(s) appear more than once: {', '.join(dupes)}")
        return self
