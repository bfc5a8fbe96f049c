"""The grid map of one district and point → grid (网格) location.

Owns the grids' geometries (shapely, in lon/lat WGS84), their place in the hierarchy
(grid → village/community 村/社区 → township/street 乡镇/街道 → district 区), the ownership rule
for points and the map's version. Geometry stays inside this package: callers get grid indices,
``GridInfo`` and ``Place`` values, never shapes, so nothing geometric reaches a topic. Must not
parse files (that is ``geo.load`` and ``geo.geojson``) or know about topics.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Optional

import numpy as np
import shapely
from numpy.typing import ArrayLike

from gridalert.geo.locator import CellTable
from gridalert.streams.records import UNASSIGNED, Place

if TYPE_CHECKING:
    from gridalert.geo.checks import CheckRules
    from gridalert.geo.report import Problem
    from gridalert.geo.units import UnitInfo, UnitMap


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
    """A district's grids, indexed for locating points one at a time or in batches.

    Parameters
    ----------
    grids : iterable of (GridInfo, shapely.Geometry)
        Each grid with its valid Polygon or MultiPolygon in lon/lat. Use ``from_geojson`` to load
        and check files; this constructor trusts its input except for empty maps and duplicate ids.
    version : str, optional
        The map version recorded with every located event (``from_geojson``: a hash of the
        files); by default a hash of the grids' ids, names and shapes.
    warnings : sequence of Problem
        What the checks found and let through (``from_geojson`` fills it); kept for logging.
    units : sequence of (UnitInfo, geometry), optional
        Ten-household units (十联户), for ``unit_of``.

    Notes
    -----
    Ownership rule: a point lies in a grid if the grid covers it, boundary included. A point
    covered by several grids (a shared edge or corner, or an overlap) belongs to the one with the
    smallest ``grid_id`` in string order, whatever the order of the file. A point in no grid (or
    with NaN coordinates) is located to the map's ``district`` with reason ``unassigned``.

    The map's ``district`` is the ``district`` property of its grids; if they name several, the
    one named most often (ties: the smallest name). A GridMap never changes after it is built;
    a new map file makes a new GridMap (see ``geo.reload``).
    """

    def __init__(self, grids: Iterable[tuple[GridInfo, shapely.Geometry]], *, version: Optional[str] = None,
                 warnings: Sequence[Problem] = (), units: Optional[Sequence[tuple[UnitInfo, shapely.Geometry]]] = None,
                 table_budget: Optional[int] = None):
        ordered = sorted(grids, key=lambda grid: grid[0].grid_id)
        if not ordered:
            raise ValueError("a grid map needs at least one grid")
        infos = tuple(info for info, _ in ordered)
        by_id = {info.grid_id: info for info in infos}
        if len(by_id) != len(infos):
            raise ValueError("grid ids must be unique")
        # Index i is the i-th smallest grid_id, so the owner of a point is its smallest covering index.
        self._infos = infos
        self._ids = np.array([info.grid_id for info in infos], dtype=object)
        self._table = CellTable(np.array([geometry for _, geometry in ordered], dtype=object), budget=table_budget)
        self._by_id: Mapping[str, GridInfo] = MappingProxyType(by_id)
        counts = Counter(info.district for info in infos)
        self.district: str = min(counts, key=lambda name: (-counts[name], name))
        self._version = version
        self.warnings: tuple[Problem, ...] = tuple(warnings)
        self._places = _PlaceCache(infos, self.district)
        self._units: Optional[UnitMap] = None
        if units is not None:
            from gridalert.geo.units import UnitMap

            self._units = UnitMap(units)

    @classmethod
    def from_geojson(cls, path: str | Path, *, units: str | Path | None = None, outline: str | Path | None = None,
                     mapping: Optional[Mapping[str, str]] = None, crs: str = "wgs84",
                     rules: Optional[CheckRules] = None) -> GridMap:
        """Load and check a GeoJSON FeatureCollection of grids (and its units and outline).

        Parameters
        ----------
        path : str or Path
            The grids (see ``docs/geo.md`` for the format).
        units, outline : str or Path, optional
            A ten-household units file; a declared district outline (else: the grids' union).
        mapping : mapping of str to str, optional
            Our property name → the file's, e.g. ``{"grid_id": "WGBM"}``.
        crs : {"wgs84", "gcj02"}
            The files' datum; GCJ-02 is converted to WGS84.
        rules : CheckRules, optional
            Thresholds of the map checks.

        Raises ``ConfigError`` naming every error found; nothing is half-loaded. Warnings (a
        repaired ring, a small overlap, a gap) do not stop loading; they are in ``warnings``.

        Examples
        --------
        >>> from gridalert.config import SAMPLE_CONFIG_DIR
        >>> grids = GridMap.from_geojson(SAMPLE_CONFIG_DIR / "grids.geojson")
        >>> grids.district, grids.locate(106.6310, 26.6210).village
        ('观山湖区', '金融城社区')
        """
        from gridalert.geo.load import MapFiles, check_map
        from gridalert.geo.geojson import ImportOptions
        from gridalert.geo.checks import CheckRules

        files = MapFiles(Path(path), Path(units) if units else None, Path(outline) if outline else None,
                         ImportOptions(dict(mapping or {}), crs), rules or CheckRules())
        return cls.from_checked(check_map(files))

    @classmethod
    def from_checked(cls, checked) -> GridMap:
        """A map from ``geo.load.check_map``'s result; ``ConfigError`` if it found errors."""
        checked.raise_if_errors()
        return cls(checked.grids, version=checked.version, warnings=checked.report.warnings, units=checked.units)

    # --- the map as a lookup -----------------------------------------------------------------

    @property
    def grids(self) -> Mapping[str, GridInfo]:
        """Read-only mapping grid_id → GridInfo."""
        return self._by_id

    def get(self, grid_id: str) -> Optional[GridInfo]:
        """The grid with this id, or None."""
        return self._by_id.get(grid_id)

    @property
    def version(self) -> str:
        """Short content hash identifying this map; record it with every located event."""
        if self._version is None:
            digest = hashlib.sha256()
            for info, wkb in zip(self._infos, shapely.to_wkb(self._table.polygons)):
                digest.update(repr(info).encode("utf-8") + wkb)
            self._version = digest.hexdigest()[:12]
        return self._version

    @property
    def grid_ids(self) -> np.ndarray:
        """grid_id of every index (object array), so ``grid_ids[locate_indices(...)]`` works (mind -1)."""
        return self._ids

    def info_at(self, index: int) -> Optional[GridInfo]:
        """The grid at an index from ``locate_indices``; None for -1."""
        return None if index < 0 else self._infos[index]

    def __len__(self) -> int:
        return len(self._infos)

    def __repr__(self) -> str:
        return f"<GridMap {self.district}: {len(self)} grids, version {self.version}>"

    # --- locating ----------------------------------------------------------------------------

    def locate_indices(self, lons: ArrayLike, lats: ArrayLike) -> np.ndarray:
        """Grid index per point (int64; -1: in no grid, or NaN) — the fast path for batches.

        Exactly the ownership rule (see the class notes), at millions of points per second.

        Examples
        --------
        >>> from gridalert.config import SAMPLE_CONFIG_DIR
        >>> grids = GridMap.from_geojson(SAMPLE_CONFIG_DIR / "grids.geojson")
        >>> found = grids.locate_indices([106.6310, 106.6260], [26.6210, 26.6190])
        >>> [grids.info_at(i).grid_id if i >= 0 else None for i in found]
        ['GSH-JHY-01-03', None]
        """
        x = np.asarray(lons, dtype=float)
        y = np.asarray(lats, dtype=float)
        if x.ndim != 1 or x.shape != y.shape:
            raise ValueError(f"lons and lats must be 1-d arrays of equal length, got shapes {x.shape} and {y.shape}")
        return self._table.indices(x, y)

    def places(self, indices: ArrayLike) -> list[Place]:
        """One ``Place`` per grid index (-1 gives the district's unassigned place)."""
        make = self._places.make
        return [make(i) for i in np.asarray(indices).tolist()]

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
        places = self.places(self.locate_indices(lons, lats))
        if self._units is not None and places:
            units = self._units.locate_many(lons, lats, [place.grid_id for place in places])
            for place, unit in zip(places, units.tolist()):
                if unit >= 0:
                    place.unit_id = self._units.infos[unit].unit_id
        return places

    def locate(self, lon: float, lat: float) -> Place:
        """Locate one point (same answers as ``locate_many``, without numpy's per-call overhead).

        With a units file, the place also names its ten-household unit, looked up only inside the
        grid just found (a unit never moves a point to another grid).
        """
        place = self._places.make(self._table.index(float(lon), float(lat)))
        if self._units is not None and place.grid_id is not None:
            place.unit_id = self._units.locate(lon, lat, place.grid_id)
        return place

    def unit_of(self, lon: float, lat: float, place: Optional[Place] = None) -> Optional[str]:
        """The ten-household unit (十联户) of a point, or None (no units file, or none there)."""
        if self._units is None:
            return None
        place = place or self.locate(lon, lat)
        if place.unit_id is not None:
            return place.unit_id
        grid_id = place.grid_id
        return None if grid_id is None else self._units.locate(lon, lat, grid_id)

    @property
    def units(self) -> Mapping[str, UnitInfo]:
        """unit_id → UnitInfo (empty without a units file)."""
        return MappingProxyType(dict(self._units.by_id)) if self._units is not None else MappingProxyType({})

    @property
    def table(self) -> CellTable:
        """The location index (for benchmarks and capacity planning)."""
        return self._table


class _PlaceCache:
    """One validated ``Place`` per grid, copied on demand.

    Building a faust ``Place`` runs its field validation (about 7 µs); copying a validated one is
    about 0.4 µs. Copies, not shared instances, because records are mutable and travel on. The
    copy is checked once against a freshly built record; should a faust upgrade change what a
    record holds, the cache falls back to building records the ordinary way.
    """

    def __init__(self, infos: Sequence[GridInfo], district: str):
        self._infos = infos
        self._district = district
        self._templates = [self._build(i) for i in range(len(infos))] + [self._build(-1)]
        self._mutable = [k for k, v in vars(self._templates[-1]).items() if isinstance(v, (list, set, dict))]
        probe = self._copy(self._templates[0])
        self._fast = probe == self._build(0) and probe.to_representation() == self._build(0).to_representation()

    def _build(self, index: int) -> Place:
        if index < 0:
            return Place(district=self._district, reason=UNASSIGNED)
        info = self._infos[index]
        return Place(district=info.district, grid_id=info.grid_id, grid_name=info.grid_name,
                     village=info.village, township=info.township)

    def _copy(self, template: Place) -> Place:
        place = object.__new__(Place)
        state = vars(place)
        state.update(vars(template))
        for key in self._mutable:
            state[key] = state[key].copy()
        return place

    def make(self, index: int) -> Place:
        if not self._fast:
            return self._build(index)
        return self._copy(self._templates[index])  # index -1 is the unassigned template
