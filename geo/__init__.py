"""The grid map: GeoJSON import and checks, point → grid (网格) location, devices, hot reload.

``GridMap`` holds one district's grids and locates points (an exact cell table, see
``geo.locator``); ``GridInfo`` is one grid's ids and names. ``geo.load`` reads and checks a
district's files into a report (``geo.report``); ``geo.reload`` swaps in changed maps and
device registries without a restart; ``geo.synth`` builds synthetic maps; ``geo.sample`` the
sample district. Geometry never leaves this package: records carry ids and names, never shapes.

Names are imported on first use, so ``gridalert geo …`` and ``gridalert --help`` do not pay for
loading the record types (faust) they never touch.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

_EXPORTS = {
    "GridInfo": "gridalert.geo.gridmap",
    "GridMap": "gridalert.geo.gridmap",
    "DeviceRegistry": "gridalert.geo.devices",
    "ReloadingGridMap": "gridalert.geo.reload",
    "ReloadingDevices": "gridalert.geo.reload",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from gridalert.geo.devices import DeviceRegistry
    from gridalert.geo.gridmap import GridInfo, GridMap
    from gridalert.geo.reload import ReloadingDevices, ReloadingGridMap


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gridalert.geo' has no attribute {name!r}")
