"""The documented event types and the readings each must carry (docs/events.md).

One table, keyed by the CloudEvents ``type``: a new event type adds one model here and one
detector in ``detectors/``. Readings models accept extra vendor fields but check the ones we use.
"""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field


class Readings(BaseModel):
    model_config = ConfigDict(extra="allow")


class HeatReadings(Readings):
    """``heat.reading``: a thermal camera or heat detector (异常热源)."""

    temperature_c: float = Field(ge=-60, le=1500, description="hottest object temperature, °C")
    hot_area_px: Optional[int] = Field(default=None, ge=0, description="size of the hot region, pixels")
    camera: Optional[str] = None
    zone: Optional[str] = None
    building_type: Optional[str] = None


class WiringReadings(Readings):
    """``wiring.reading``: an electrical fire monitor on a household or building circuit (电气火灾)."""

    residual_current_ma: float = Field(ge=0, le=100_000, description="residual (leakage) current, mA")
    arc_half_cycles: Optional[int] = Field(default=None, ge=0, description="arcing half-cycles in the last second")
    cable_temperature_c: Optional[float] = Field(default=None, ge=-60, le=1500)
    circuit: Optional[str] = None
    building_type: Optional[str] = None


EVENT_TYPES: dict[str, type[Readings]] = {
    "heat.reading": HeatReadings,
    "wiring.reading": WiringReadings,
}
