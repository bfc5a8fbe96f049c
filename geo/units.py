"""Ten-household units (十联户) inside grids: reading, checks, and point → unit.

Owns the units file: a FeatureCollection with ``unit_id``, ``grid_id`` (optional ``unit_head``)
whose geometry is the unit's area (Polygon/MultiPolygon) or its households (Point/MultiPoint),
property names mapped like the grids'. A point is in the unit whose area covers it (smallest
unit_id on shared edges), or, for units given as households, the unit of the nearest household
of the same grid within ``household_reach_m``. Must not decide grids: a unit is only looked up
inside the grid the point is already located to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import shapely

from gridalert.geo.checks import CheckRules
from gridalert.geo.geojson import UNIT_OPTIONAL, UNIT_REQUIRED, UNIT_TYPES, ImportOptions, read_features
from gridalert.geo.metric import area_m2, distance_m
from gridalert.geo.report import FileReport, square_metres, warning, where
from gridalert.geo.report import error as error_line

HOUSEHOLD_REACH_M = 100.0  # a household point speaks for its house and yard, not for the street


@dataclass(frozen=True)
class UnitInfo:
    """One ten-household unit: its id, its grid, its head (联户长; None if not given)."""

    unit_id: str
    grid_id: str
    unit_head: Optional[str] = None
    households: int = 0  # household points given for it (0 for units given as areas)


def read_units(document: Any, source: str, options: ImportOptions, grids: Mapping[str, shapely.Geometry],
               rules: CheckRules = CheckRules()) -> tuple[list[tuple[UnitInfo, shapely.Geometry]], FileReport]:
    """Check the units file against the grids; return the units and the report."""
    features, report = read_features(document, source, options, required=UNIT_REQUIRED, optional=UNIT_OPTIONAL,
                                     kinds=UNIT_TYPES, what="ten-household unit")
    units = []
    for f in features:
        grid_id = f.properties["grid_id"]
        grid = grids.get(grid_id)
        if grid is None:
            report.add([error_line(f.entry, f"grid_id {grid_id} is no grid of the grid map", (f.index,))])
            continue
        points = f.geometry.geom_type in ("Point", "MultiPoint")
        if points:
            xy = shapely.get_coordinates(f.geometry)
            outside = ~shapely.intersects_xy(np.array([grid], dtype=object), xy[:, 0], xy[:, 1])
            if outside.any():
                x, y = xy[np.argmax(outside)]
                report.add([warning(f.entry, f"{int(outside.sum())} of {len(xy)} households lie outside grid {grid_id} "
                                             f"(first at {where(x, y)})", (f.index,), lon=float(x), lat=float(y))])
        else:
            beyond = shapely.difference(f.geometry, grid)
            m2 = float(area_m2([beyond])[0])
            if m2 >= rules.ignore_below_m2:
                point = shapely.point_on_surface(beyond)
                report.add([warning(f.entry, f"reaches {square_metres(m2)} outside grid {grid_id} around "
                                             f"{where(point.x, point.y)}", (f.index,), lon=point.x, lat=point.y, area_m2=m2)])
        count = len(shapely.get_coordinates(f.geometry)) if points else 0
        units.append((UnitInfo(f.properties["unit_id"], grid_id, f.properties.get("unit_head"), count), f.geometry))
    per_grid = {}
    for info, _ in units:
        per_grid[info.grid_id] = per_grid.get(info.grid_id, 0) + 1
    report.summary = f"{len(units):,} ten-household units in {len(per_grid):,} grids"
    return units, report


class UnitMap:
    """Point → ten-household unit, within the grid a point was located to.

    Parameters
    ----------
    units : sequence of (UnitInfo, geometry)
    household_reach_m : float
        How far from its nearest household a point may be and still count for that unit.
    """

    def __init__(self, units: Sequence[tuple[UnitInfo, shapely.Geometry]], household_reach_m: float = HOUSEHOLD_REACH_M):
        ordered = sorted(units, key=lambda unit: unit[0].unit_id)
        self.infos: tuple[UnitInfo, ...] = tuple(info for info, _ in ordered)
        self.by_id: Mapping[str, UnitInfo] = {info.unit_id: info for info in self.infos}
        geometries = np.array([geometry for _, geometry in ordered], dtype=object)
        self._grid_of = np.array([info.grid_id for info in self.infos], dtype=object)
        is_area = np.array([g.geom_type in ("Polygon", "MultiPolygon") for g in geometries], dtype=bool)
        self._areas = np.flatnonzero(is_area)
        self._area_tree = shapely.STRtree(geometries[self._areas]) if self._areas.size else None
        self._area_geoms = geometries[self._areas]
        # Households: one point each, labelled with its unit.
        homes, home_unit = shapely.get_parts(geometries[~is_area], return_index=True)
        self._home_unit = np.flatnonzero(~is_area)[home_unit]
        self._home_tree = shapely.STRtree(homes) if len(homes) else None
        self._homes_xy = shapely.get_coordinates(homes)
        self._reach = household_reach_m

    def __len__(self) -> int:
        return len(self.infos)

    def locate(self, lon: float, lat: float, grid_id: Optional[str]) -> Optional[str]:
        """The unit_id for a point located to ``grid_id``, or None."""
        found = self.locate_many([lon], [lat], [grid_id])[0]
        return None if found < 0 else self.infos[found].unit_id

    def locate_many(self, lons, lats, grid_ids) -> np.ndarray:
        """Unit index per point (-1: none), given the grid each point was located to."""
        x, y = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
        grid = np.asarray(grid_ids, dtype=object)
        unit = np.full(x.size, -1, dtype=np.int64)
        if self._area_tree is not None:
            point, hit = self._area_tree.query(shapely.points(x, y), predicate="intersects")
            candidate = self._areas[hit]
            same = self._grid_of[candidate] == grid[point]
            point, candidate = point[same], candidate[same]
            order = np.lexsort((candidate, point))  # smallest unit_id first
            point, candidate = point[order], candidate[order]
            first = np.r_[True, point[1:] != point[:-1]] if point.size else np.zeros(0, dtype=bool)
            unit[point[first]] = candidate[first]
        todo = np.flatnonzero((unit < 0) & np.isfinite(x) & np.isfinite(y))
        if self._home_tree is not None and todo.size:
            # Nearest household of the same grid: ask for all within the reach (in degrees of
            # latitude, generously), then measure in metres.
            reach_deg = self._reach / 110_000 * 1.5
            point, home = self._home_tree.query(shapely.points(x[todo], y[todo]), predicate="dwithin",
                                                distance=reach_deg / max(np.cos(np.radians(np.nanmax(np.abs(y[todo])))), 0.1))
            candidate = self._home_unit[home]
            same = self._grid_of[candidate] == grid[todo[point]]
            point, home, candidate = point[same], home[same], candidate[same]
            metres = distance_m(x[todo[point]], y[todo[point]], self._homes_xy[home, 0], self._homes_xy[home, 1])
            close = metres <= self._reach
            point, candidate, metres = point[close], candidate[close], metres[close]
            order = np.lexsort((candidate, metres, point))
            point, candidate = point[order], candidate[order]
            first = np.r_[True, point[1:] != point[:-1]] if point.size else np.zeros(0, dtype=bool)
            unit[todo[point[first]]] = candidate[first]
        return unit
