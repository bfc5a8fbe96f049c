"""The documented event types and the readings each must carry (docs/events.md).

One table, keyed by the CloudEvents ``type``: a new event type adds one model here and one
detector in ``detectors/``. Readings models accept extra vendor fields but check the ones we use.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


def _json_number(value: Any) -> Any:
    # Pydantic's lax mode would read true as 1 and "63.5" as 63.5: a gateway that sends them has a
    # bug its vendor should hear of (a dead letter), not a reading of 1 °C.
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    if isinstance(value, (str, bytes)):
        raise ValueError("must be a number, not text")
    return value


Number = Annotated[float, BeforeValidator(_json_number)]
Count = Annotated[int, BeforeValidator(_json_number)]


class Readings(BaseModel):
    model_config = ConfigDict(extra="allow")


class HeatReadings(Readings):
    """``heat.reading``: a thermal camera or heat detector (异常热源)."""

    temperature_c: Number = Field(ge=-60, le=1500, description="hottest object temperature, °C")
    hot_area_px: Optional[Count] = Field(default=None, ge=0, description="size of the hot region, pixels")
    camera: Optional[str] = None
    zone: Optional[str] = None
    building_type: Optional[str] = None


class WiringReadings(Readings):
    """``wiring.reading``: an electrical fire monitor on a household or building circuit (电气火灾)."""

    residual_current_ma: Number = Field(ge=0, le=100_000, description="residual (leakage) current, mA")
    arc_half_cycles: Optional[Count] = Field(default=None, ge=0, description="arcing half-cycles in the last second")
    cable_temperature_c: Optional[Number] = Field(default=None, ge=-60, le=1500)
    circuit: Optional[str] = None
    building_type: Optional[str] = None


class ActivityReadings(Readings):
    """``activity.reading``: a watched resident's meter or sensor (独居老人), or the grid worker's app.

    Each reading carries the channels its device measures, over ``interval_s`` (else the time
    since that device's previous reading): water and electricity used, door events (``out``/``in``
    from a sensor that knows the direction), motion count. The grid worker's app sends ``away``
    (true: the resident is known to be away; false: back) with ``resident``.
    """

    water_m3: Optional[Number] = Field(default=None, ge=0, le=100, description="water used in the interval, m³")
    power_kwh: Optional[Number] = Field(default=None, ge=0, le=1000, description="electricity used in the interval, kWh")
    door: Optional[Literal["open", "close", "out", "in"]] = None
    motion: Optional[Count] = Field(default=None, ge=0, description="motion detections in the interval")
    interval_s: Optional[Number] = Field(default=None, gt=0, le=86400)
    away: Optional[bool] = None
    resident: Optional[str] = Field(default=None, min_length=1)
    gateway: Optional[str] = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _says_something(self) -> "ActivityReadings":
        if all(v is None for v in (self.water_m3, self.power_kwh, self.door, self.motion, self.away)):
            raise ValueError("needs at least one of water_m3, power_kwh, door, motion, away")
        return self


class GatewayHeartbeat(Readings):
    """``gateway.heartbeat``: a gateway says it is alive, and how many of its devices are online."""

    gateway: str = Field(min_length=1)
    devices_online: Optional[Count] = Field(default=None, ge=0)
    devices_total: Optional[Count] = Field(default=None, ge=0)


class CitizenReport(Readings):
    """``citizen.report``: a resident's or volunteer's report (码上办, 随手拍); every one is an alarm."""

    category: str = Field(min_length=1, max_length=64)
    description: Optional[str] = Field(default=None, max_length=4000)
    photo_url: Optional[str] = Field(default=None, max_length=2000)
    report_id: Optional[str] = Field(default=None, min_length=1, max_length=200)
    reporter_contact: Optional[str] = Field(default=None, max_length=200, description="kept in the data, never paged")


EVENT_TYPES: dict[str, type[Readings]] = {
    "heat.reading": HeatReadings,
    "wiring.reading": WiringReadings,
    "activity.reading": ActivityReadings,
    "gateway.heartbeat": GatewayHeartbeat,
    "citizen.report": CitizenReport,
}
