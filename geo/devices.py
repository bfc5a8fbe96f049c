"""The device registry (设备登记): where each registered device is, for events naming only the device.

Owns reading devices.yaml into ``Device`` records (``config.model``: id, kind, lon, lat and the
optional zone, household, resident and building_type) and looking them up by id; can convert
GCJ-02 positions and list devices that lie in no grid. Must not locate events or watch files
(``geo.reload`` does that, so a moved device takes effect without a restart).

Example devices.yaml::

    devices:
      - id: wm-jy-0107
        kind: water_meter
        lon: 106.6312
        lat: 26.6208
        household: GSH-JHY-01-03-U02-07
        resident: r-0107
        building_type: residential
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Optional

from pydantic import ValidationError

from gridalert.config.documents import read_yaml, validation_problems
from gridalert.config.errors import ConfigError
from gridalert.config.model import Device, Devices
from gridalert.geo import gcj02
from gridalert.geo.report import Problem, warning, where


class DeviceRegistry(Mapping[str, Device]):
    """Registered devices by id (read-only mapping; ``get`` gives None for an unknown id).

    Examples
    --------
    >>> registry = DeviceRegistry([Device(id="hd-1", kind="heat_detector", lon=106.63, lat=26.62)])
    >>> registry.get("hd-1").lon, registry.get("nope")
    (106.63, None)
    """

    def __init__(self, devices: Iterable[Device], version: str = ""):
        self._by_id = {device.id: device for device in devices}
        self.version = version

    @classmethod
    def from_yaml(cls, path: str | Path, data: Optional[bytes] = None, *, crs: str = "wgs84",
                  version: str = "") -> DeviceRegistry:
        """Read devices.yaml (or its ``data``); ``ConfigError`` naming every bad entry."""
        path = Path(path)
        document = _read_yaml(path, data)
        try:
            devices = Devices.model_validate(document).devices
        except ValidationError as exc:
            raise ConfigError(path, validation_problems(exc, document)) from None
        if crs == "gcj02":
            devices = _to_wgs84(devices)
        elif crs != "wgs84":
            raise ValueError(f"unknown crs {crs!r}; use wgs84 or gcj02")
        return cls(devices, version)

    def __getitem__(self, device_id: str) -> Device:
        return self._by_id[device_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def __repr__(self) -> str:
        return f"<DeviceRegistry: {len(self)} devices, version {self.version or '-'}>"

    def outside_grids(self, grids) -> list[Problem]:
        """Warnings for devices that lie in no grid of ``grids`` (a GridMap): their events would go
        to the district centre as unassigned, which is rarely what was meant."""
        ids = list(self._by_id)
        if not ids:
            return []
        lons = [self._by_id[i].lon for i in ids]
        lats = [self._by_id[i].lat for i in ids]
        found = grids.locate_indices(lons, lats)
        return [warning(f"devices (id {i})", f"at {where(x, y)} lies in no grid: its events go to the district "
                                             "centre (unassigned)", (n,), lon=x, lat=y)
                for n, (i, x, y, g) in enumerate(zip(ids, lons, lats, found)) if g < 0]


def _to_wgs84(devices: list[Device]) -> list[Device]:
    lon, lat = gcj02.to_wgs84([d.lon for d in devices], [d.lat for d in devices])
    return [d.model_copy(update={"lon": float(x), "lat": float(y)}) for d, x, y in zip(devices, lon, lat)]


def _read_yaml(path: Path, data: Optional[bytes]) -> Any:
    document = read_yaml(path, data)
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ConfigError(path, [("(top level)", "must be a mapping with a 'devices' list")])
    return document
