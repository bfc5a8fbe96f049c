"""The grid map of one district and point → grid (网格) location.

Owns the grids' geometries (shapely, in lon/lat WGS84), their place in the hierarchy
(grid → village/community 村/社区 → township/street 乡镇/街道 → district 区) and the ownership
rule for points. Geometry stays inside this module: callers get ``GridInfo`` and ``Place``
values, never shapes, so nothing geometric reaches a topic. Must not parse files (that is
``geo.geojson``) or know about topics.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Optional

import numpy as np
import shapely
from numpy.typing import ArrayLike

from gridalert.geo.geojson import read_grids
from gridalert.streams.records import UNASSIGNED, Place


@dataclass(frozen=True)
class GridInfo:
    """One grid's ids and names; ``grid_head`` (网格长) is a staff id, or None if not given."""

    grid_id: str
    grid_name: str
    village: str
    township: str
    district: str
    grid_head: Optional[str] = None


class GridMap:
    """A district's grids, indexed for locating many points at once.

    Parameters
    ----------
    grids : iterable of (GridInfo, shapely.Geometry)
        Each grid with its Polygon or MultiPolygon in lon/lat. Use ``from_geojson`` to load and
        check a file; this constructor trusts its input except for empty maps and duplicate ids.

    Notes
    -----
    Ownership rule: a point lies in a grid if the grid covers it, boundary included. A point
    covered by several grids (a shared edge or corner, or an overlap) belongs to the one with the
    smallest ``grid_id`` in string order, whatever the order of the file. A point in no grid is
    located to the map's ``district`` with reason ``unassigned``.

    The map's ``district`` is the ``district`` property of its grids; if they name several, the
    one named most often (ties: the smallest name).
    """

    def __init__(self, grids: Iterable[tuple[GridInfo, shapely.Geometry]]):
        ordered = sorted(grids, key=lambda grid: grid[0].grid_id)
        if not ordered:
            raise ValueError("a grid map needs at least one grid")
        infos = tuple(info for info, _ in ordered)
        by_id = {info.grid_id: info for info in infos}
        if len(by_id) != len(infos):
            raise ValueError("grid ids must be unique")
        # Tree index i is the i-th smallest grid_id, so the owner of a point is its smallest hit.
        self._infos = infos
        self._tree = shapely.STRtree([geometry for _, geometry in ordered])
        self._by_id: Mapping[str, GridInfo] = MappingProxyType(by_id)
        counts = Counter(info.district for info in infos)
        self.district: str = min(counts, key=lambda name: (-counts[name], name))

    @classmethod
    def from_geojson(cls, path: str | Path) -> GridMap:
        """Load and check a GeoJSON FeatureCollection of grids.

        Raises ``ConfigError`` naming every bad feature (see ``geo.geojson.read_grids``);
        nothing is half-loaded.

        Examples
        --------
        >>> from gridalert.config import SAMPLE_CONFIG_DIR
        >>> grids = GridMap.from_geojson(SAMPLE_CONFIG_DIR / "grids.geojson")
        >>> grids.district, grids.locate(106.6310, 26.6210).village
        ('观山湖区', '金融城社区')
        """
        return cls((GridInfo(**properties), geometry) for properties, geometry in read_grids(path))

    @property
    def grids(self) -> Mapping[str, GridInfo]:
        """Read-only mapping grid_id → GridInfo."""
        return self._by_id

    def get(self, grid_id: str) -> Optional[GridInfo]:
        """The grid with this id, or None."""
        return self._by_id.get(grid_id)

    def __len__(self) -> int:
        return len(self._infos)

    def __repr__(self) -> str:
        return f"<GridMap {self.district}: {len(self)} grids>"

    def locate_many(self, lons: ArrayLike, lats: ArrayLike) -> list[Place]:
        """Locate points given as arrays of longitudes and latitudes (WGS84 degrees).

        Parameters
        ----------
        lons, lats : array_like of float
            One-dimensional, of equal length.

        Returns
        -------
        list of Place
            One per point, in input order. A point on a grid's boundary is in that grid; a point
            in several grids goes to the smallest grid_id; a point in no grid (or with NaN
            coordinates) gets ``Place(district=self.district, reason="unassigned")``.

        Examples
        --------
        >>> from gridalert.config import SAMPLE_CONFIG_DIR
        >>> grids = GridMap.from_geojson(SAMPLE_CONFIG_DIR / "grids.geojson")
        >>> [place.grid_id for place in grids.locate_many([106.6310, 106.6260], [26.6210, 26.6190])]
        ['GSH-JHY-01-03', None]
        """
        x = np.asarray(lons, dtype=float)
        y = np.asarray(lats, dtype=float)
        if x.ndim != 1 or x.shape != y.shape:
            raise ValueError(f"lons and lats must be 1-d arrays of equal length, got shapes {x.shape} and {y.shape}")
        points = shapely.points(x, y)
        point_index, grid_index = self._tree.query(points, predicate="intersects")
        owner = np.full(len(points), len(self._infos))  # len(...) stands for "no grid"
        np.minimum.at(owner, point_index, grid_index)
        return [self._place(i) for i in owner.tolist()]

    def locate(self, lon: float, lat: float) -> Place:
        """Locate one point: ``locate_many`` on a batch of one."""
        return self.locate_many([lon], [lat])[0]

    def _place(self, index: int) -> Place:
        if index == len(self._infos):
            return Place(district=self.district, reason=UNASSIGNED)
        info = self._infos[index]
        return Place(district=info.district, grid_id=info.grid_id, grid_name=info.grid_name,
                     village=info.village, township=info.township)
