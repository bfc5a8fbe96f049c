"""Synthetic grid maps (合成网格图) for demos, tests and benchmarks, deterministic by seed.

Owns the tessellation and the invented hierarchy; writes nothing but what it is asked to. A map is
a jittered lattice of quadrilateral grids inside an outline polygon; every lattice edge is
densified once, with a smooth random wiggle, and both neighbours use that same vertex list (one
forwards, one backwards), so neighbours share identical vertices and the map tiles exactly: no
slivers and no gaps except the ones asked for (``gaps``). Grids have 50–200 vertices, like real
hand-digitised grids. Townships and villages are contiguous-ish groups of grids (nearest-seed
regions), numbered north to south, west to east. Geometry is invented; names are invented from
common place-name syllables; nothing here is a survey of a real place.

Presets follow the domain brief: ``kaiyang`` is a Kaiyang-sized county (18 townships, 136
villages, 853 grids); ``province`` is Guizhou-sized (88 districts, 1,500 townships, 17,000
villages, 100,000 grids); ``small`` is a quick three-township district around Guiyang.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional, TextIO

import numpy as np
import shapely

from gridalert.geo.gridmap import GridInfo

# Rough, invented outlines (lon, lat), counter-clockwise.
GUIYANG_OUTLINE = ((106.50, 26.50), (106.64, 26.44), (106.82, 26.49), (106.90, 26.62), (106.84, 26.76),
                   (106.66, 26.81), (106.52, 26.73), (106.46, 26.61))
KAIYANG_OUTLINE = ((106.80, 26.83), (107.02, 26.79), (107.22, 26.93), (107.27, 27.12), (107.16, 27.30),
                   (106.95, 27.36), (106.80, 27.22), (106.72, 27.02))
GUIZHOU_OUTLINE = ((103.75, 25.20), (104.50, 24.70), (105.60, 24.65), (106.70, 25.00), (107.70, 25.30),
                   (108.70, 25.60), (109.50, 26.30), (109.40, 27.50), (108.80, 28.60), (107.50, 29.20),
                   (106.40, 28.75), (105.30, 28.10), (104.40, 27.40), (103.65, 26.50))

SYLLABLES = tuple("龙花溪清白云乌当开阳息烽修文南明观山湖青岩马场高坡黔灵沙坝石板麦架久长羊昌永温宅吉禾丰顶方"
                  "新安平坪寨桥河水田江洞岭峰林竹松金银铜宝兴隆福寿和光东西北上中兰桂梅荷泉井塘坎谷坳冲坑湾")

BUILDING_TYPES_RURAL = ("wooden_village", "wooden_village", "residential", "warehouse", "other")
BUILDING_TYPES_URBAN = ("high_rise", "high_rise", "residential", "office", "warehouse", "other")
DEVICE_KINDS = ("thermal_camera", "heat_detector", "residual_current_monitor", "arc_fault_detector",
                "water_meter", "power_meter", "door_sensor", "motion_sensor")
PER_RESIDENT_KINDS = ("water_meter", "power_meter", "door_sensor", "motion_sensor")


@dataclass(frozen=True)
class SynthSpec:
    """What to build. ``outline`` is a shapely Polygon/MultiPolygon in lon/lat (WGS84)."""

    grids: int
    villages: int
    townships: int
    districts: int = 1
    seed: int = 0
    outline: Optional[shapely.Geometry] = None
    district_names: tuple[str, ...] = ()
    district_codes: tuple[str, ...] = ()
    gaps: int = 0
    min_vertices: int = 50
    max_vertices: int = 200

    def __post_init__(self) -> None:
        if not 1 <= self.districts <= self.townships <= self.villages <= self.grids:
            raise ValueError("need 1 ≤ districts ≤ townships ≤ villages ≤ grids, got "
                             f"{self.districts}/{self.townships}/{self.villages}/{self.grids}")
        if not 8 <= self.min_vertices <= self.max_vertices:
            raise ValueError("need 8 ≤ min_vertices ≤ max_vertices")
        if not 0 <= self.gaps < self.grids // 4 + 1:
            raise ValueError("gaps must be between 0 and a quarter of the grids")


PRESETS: dict[str, SynthSpec] = {
    "small": SynthSpec(grids=36, villages=9, townships=3, outline=shapely.Polygon(GUIYANG_OUTLINE),
                       district_names=("合成区",), district_codes=("HC",)),
    "kaiyang": SynthSpec(grids=853, villages=136, townships=18, outline=shapely.Polygon(KAIYANG_OUTLINE),
                         district_names=("开阳县",), district_codes=("KY",)),
    "province": SynthSpec(grids=100_000, villages=17_000, townships=1_500, districts=88,
                          outline=shapely.Polygon(GUIZHOU_OUTLINE)),
}


@dataclass
class SynthMap:
    """A built synthetic map: grid records and geometries, ordered by grid_id."""

    spec: SynthSpec
    infos: list[GridInfo]
    geometries: np.ndarray  # shapely Polygons, lon/lat, aligned with ``infos``
    urban: np.ndarray  # bool per grid: in a community (社区) rather than a village (村)
    outline: shapely.Geometry = field(repr=False)

    def grids(self) -> Iterator[tuple[GridInfo, shapely.Geometry]]:
        """``(GridInfo, geometry)`` pairs, ready for ``GridMap(...)``."""
        return zip(self.infos, self.geometries)

    def features(self) -> Iterator[dict]:
        """The grids as GeoJSON Feature dicts (one at a time, so a province fits in memory)."""
        for info, geometry in zip(self.infos, self.geometries):
            properties = {"grid_id": info.grid_id, "grid_name": info.grid_name, "village": info.village,
                          "township": info.township, "district": info.district, "grid_head": info.grid_head}
            yield {"type": "Feature", "id": info.grid_id, "properties": properties,
                   "geometry": shapely.geometry.mapping(geometry)}


def build(spec: SynthSpec) -> SynthMap:
    """Build the map ``spec`` describes; the same spec always gives the same map.

    Examples
    --------
    >>> synth = build(PRESETS["small"])
    >>> len(synth.infos), len({i.village for i in synth.infos}), len({i.township for i in synth.infos})
    (36, 9, 3)
    >>> bool(shapely.coverage_is_valid(synth.geometries))
    True
    """
    rng = np.random.default_rng(spec.seed)
    outline = spec.outline if spec.outline is not None else shapely.Polygon(GUIYANG_OUTLINE)
    lattice = _Lattice.fit(outline, spec.grids + spec.gaps, rng)
    cells = lattice.cells_inside(outline, spec.grids + spec.gaps)
    if spec.gaps:
        cells = _drop_inner_cells(lattice, cells, outline, spec.gaps, rng)
    geometries = lattice.polygons(cells, spec, rng)
    centres = lattice.centres(cells)
    district, township, village = _hierarchy(centres, spec, rng)
    infos, urban, order = _name_grids(centres, district, township, village, spec, rng)
    return SynthMap(spec, infos, geometries[order], urban, outline)


class _Lattice:
    """Jittered lattice nodes over the outline's bounding box, in square local units.

    Local units: ``u = (lon - lon_min) · cos(lat0)``, ``v = lat - lat_min`` (degrees of latitude),
    so lattice cells are square on the ground, not in degrees.
    """

    def __init__(self, outline: shapely.Geometry, spacing: float, rng: np.random.Generator):
        west, south, east, north = outline.bounds
        self.west, self.south = west, south
        self.scale = float(np.cos(np.radians((south + north) / 2)))
        self.spacing = spacing
        self.nx = int(np.ceil((east - west) * self.scale / spacing)) + 1
        self.ny = int(np.ceil((north - south) / spacing)) + 1
        jitter = 0.15 * spacing  # keeps every quad convex with corner angles above ~45°
        i, j = np.meshgrid(np.arange(self.nx + 1), np.arange(self.ny + 1), indexing="ij")
        self.u = (i - 0.5) * spacing + rng.uniform(-jitter, jitter, i.shape)
        self.v = (j - 0.5) * spacing + rng.uniform(-jitter, jitter, j.shape)

    @classmethod
    def fit(cls, outline: shapely.Geometry, count: int, rng: np.random.Generator) -> _Lattice:
        """A lattice with at least ``count`` cells whose centres lie inside ``outline``."""
        west, south, east, north = outline.bounds
        scale = np.cos(np.radians((south + north) / 2))
        spacing = float(np.sqrt(outline.area * scale / count))
        state = rng.bit_generator.state
        for _ in range(60):
            rng.bit_generator.state = state  # same jitter draw for every trial spacing
            lattice = cls(outline, spacing, rng)
            inside = int(lattice._inside(outline).sum())
            if count <= inside <= max(count * 1.03, count + 3):
                return lattice
            spacing *= float(np.sqrt(inside / count)) * (0.995 if inside < count else 1.0) if inside else 0.5
        if inside < count:
            raise ValueError(f"cannot fit {count} grids inside the outline")
        return lattice

    def _corners(self) -> tuple[np.ndarray, ...]:
        u, v = self.u, self.v
        return u[:-1, :-1], u[1:, :-1], u[1:, 1:], u[:-1, 1:], v[:-1, :-1], v[1:, :-1], v[1:, 1:], v[:-1, 1:]

    def _centres_uv(self) -> tuple[np.ndarray, np.ndarray]:
        u0, u1, u2, u3, v0, v1, v2, v3 = self._corners()
        return (u0 + u1 + u2 + u3) / 4, (v0 + v1 + v2 + v3) / 4

    def _inside(self, outline: shapely.Geometry) -> np.ndarray:
        cu, cv = self._centres_uv()
        return shapely.contains_xy(outline, *self.to_lonlat(cu, cv))

    def to_lonlat(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.west + u / self.scale, self.south + v

    def cells_inside(self, outline: shapely.Geometry, count: int) -> np.ndarray:
        """Flat indices of exactly ``count`` cells: inside the outline, those nearest its edge dropped."""
        inside = np.flatnonzero(self._inside(outline).ravel())
        if len(inside) > count:
            lon, lat = self.centres(inside)
            depth = shapely.distance(outline.boundary, shapely.points(lon, lat))
            inside = np.sort(inside[np.argsort(-depth, kind="stable")[:count]])
        return inside

    def centres(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cu, cv = self._centres_uv()
        return self.to_lonlat(cu.ravel()[cells], cv.ravel()[cells])

    def polygons(self, cells: np.ndarray, spec: SynthSpec, rng: np.random.Generator) -> np.ndarray:
        """One counter-clockwise polygon per cell, edges densified and shared exactly."""
        nodes_u, nodes_v = self.u.ravel(), self.v.ravel()
        node = lambda i, j: i * (self.ny + 1) + j  # noqa: E731 - flat index of lattice node (i, j)
        # Edges: horizontal h(i, j) = node(i,j)→node(i+1,j); vertical w(i, j) = node(i,j)→node(i,j+1).
        hi, hj = np.meshgrid(np.arange(self.nx), np.arange(self.ny + 1), indexing="ij")
        wi, wj = np.meshgrid(np.arange(self.nx + 1), np.arange(self.ny), indexing="ij")
        start = np.concatenate([node(hi, hj).ravel(), node(wi, wj).ravel()])
        end = np.concatenate([node(hi + 1, hj).ravel(), node(wi, wj + 1).ravel()])
        h_edge = lambda i, j: i * (self.ny + 1) + j  # noqa: E731
        w_edge = lambda i, j: self.nx * (self.ny + 1) + i * self.ny + j  # noqa: E731
        # Intermediate vertices per edge: four edges of k each make 4 + 4k vertices per grid.
        k_min = max(1, (spec.min_vertices - 4 + 3) // 4)
        k_max = max(k_min, (spec.max_vertices - 4) // 4)
        k = rng.integers(k_min, k_max + 1, len(start))
        mid_u, mid_v = _wiggle(nodes_u[start], nodes_v[start], nodes_u[end], nodes_v[end], k, self.spacing, rng)
        all_u = np.concatenate([nodes_u, mid_u])
        all_v = np.concatenate([nodes_v, mid_v])
        first_mid = len(nodes_u) + np.concatenate([[0], np.cumsum(k)[:-1]])
        lon, lat = self.to_lonlat(all_u, all_v)
        # Rounded once per vertex, so shared vertices stay identical (and a GeoJSON round trip is exact).
        lon, lat = np.round(lon, 7), np.round(lat, 7)

        ci, cj = np.divmod(cells, self.ny)
        edges = np.stack([h_edge(ci, cj), w_edge(ci + 1, cj), h_edge(ci, cj + 1), w_edge(ci, cj)], axis=1)
        corners = np.stack([node(ci, cj), node(ci + 1, cj), node(ci + 1, cj + 1), node(ci, cj + 1)], axis=1)
        forward = np.array([True, True, False, False])  # bottom, right forwards; top, left backwards
        # Each ring is: corner, edge vertices, corner, ..., first corner again (closing the ring).
        part_start = np.empty((len(cells), 9), dtype=np.int64)
        part_len = np.ones((len(cells), 9), dtype=np.int64)
        part_step = np.ones((len(cells), 9), dtype=np.int64)
        part_start[:, 0:8:2] = corners
        part_start[:, 8] = corners[:, 0]
        ke = k[edges]
        part_len[:, 1:8:2] = ke
        part_start[:, 1:8:2] = np.where(forward, first_mid[edges], first_mid[edges] + ke - 1)
        part_step[:, 1:8:2] = np.where(forward, 1, -1)
        lengths = part_len.ravel()
        part = np.repeat(np.arange(lengths.size), lengths)
        offset = np.arange(part.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        vertex = part_start.ravel()[part] + part_step.ravel()[part] * offset
        ring_of = part // 9
        rings = shapely.linearrings(lon[vertex], lat[vertex], indices=ring_of)
        return shapely.polygons(rings)


def _wiggle(u0, v0, u1, v1, k, spacing, rng) -> tuple[np.ndarray, np.ndarray]:
    """``k[e]`` points along each edge e, offset sideways by a smooth wiggle that is 0 at both ends.

    The offset is at most 5 % of the lattice spacing and tapers like sin(πt), so a wiggly edge
    stays within about 13° of its chord near a corner: neighbouring edges cannot cross.
    """
    edge = np.repeat(np.arange(len(k)), k)
    m = np.arange(edge.size) - np.repeat(np.cumsum(k) - k, k) + 1
    t = (m + rng.uniform(-0.3, 0.3, edge.size)) / (k[edge] + 1)
    f1, f2 = rng.integers(1, 3, len(k)), rng.integers(3, 6, len(k))
    p1, p2 = rng.uniform(0, 2 * np.pi, len(k)), rng.uniform(0, 2 * np.pi, len(k))
    shape = 0.6 * np.sin(2 * np.pi * f1[edge] * t + p1[edge]) + 0.4 * np.sin(2 * np.pi * f2[edge] * t + p2[edge])
    offset = 0.05 * spacing * np.sin(np.pi * t) * shape
    du, dv = u1 - u0, v1 - v0
    length = np.hypot(du, dv)
    nu, nv = -dv / length, du / length
    return (u0[edge] + t * du[edge] + offset * nu[edge], v0[edge] + t * dv[edge] + offset * nv[edge])


def _drop_inner_cells(lattice: _Lattice, cells: np.ndarray, outline, gaps: int, rng) -> np.ndarray:
    """Leave ``gaps`` cells deep inside the outline out of the map: intentional gaps."""
    lon, lat = lattice.centres(cells)
    depth = shapely.distance(outline.boundary, shapely.points(lon, lat))
    deep = np.flatnonzero(depth > np.quantile(depth, 0.5))
    dropped = rng.choice(deep, size=gaps, replace=False)
    return np.delete(cells, dropped)


def _allocate(total: int, sizes: np.ndarray) -> np.ndarray:
    """Split ``total`` parts over groups by size (largest remainder), each ≥ 1 and ≤ its size."""
    share = sizes / sizes.sum() * total
    parts = np.clip(np.floor(share).astype(int), 1, sizes)
    while parts.sum() < total:
        room = np.flatnonzero(parts < sizes)
        parts[room[np.argmax((share - parts)[room])]] += 1
    while parts.sum() > total:
        room = np.flatnonzero(parts > 1)
        parts[room[np.argmin((share - parts)[room])]] -= 1
    return parts


def _split(x: np.ndarray, y: np.ndarray, group: np.ndarray, total: int, rng) -> np.ndarray:
    """Cut every group of points into nearest-seed regions, ``total`` regions in all; global labels."""
    groups = np.unique(group)
    sizes = np.array([np.count_nonzero(group == g) for g in groups])
    parts = _allocate(total, sizes)
    label = np.empty(len(x), dtype=np.int64)
    next_label = 0
    for g, count in zip(groups, parts):
        members = np.flatnonzero(group == g)
        seeds = rng.choice(members, size=count, replace=False)
        tree = shapely.STRtree(shapely.points(x[seeds], y[seeds]))
        _, nearest = tree.query_nearest(shapely.points(x[members], y[members]), all_matches=False)
        label[members] = next_label + nearest
        next_label += count
    return label


def _hierarchy(centres, spec: SynthSpec, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lon, lat = centres
    x = lon * np.cos(np.radians(lat.mean()))  # nearest-seed distances on the ground, not in degrees
    district = _split(x, lat, np.zeros(len(x), dtype=int), spec.districts, rng)
    township = _split(x, lat, district, spec.townships, rng)
    village = _split(x, lat, township, spec.villages, rng)
    return district, township, village


def _reading_order(lon: np.ndarray, lat: np.ndarray, label: np.ndarray, within: np.ndarray) -> np.ndarray:
    """Number each label 1.. within its parent, north to south then west to east (by mean centre)."""
    labels = np.unique(label)
    mean_lon = np.bincount(label, lon)[labels] / np.bincount(label)[labels]
    mean_lat = np.bincount(label, lat)[labels] / np.bincount(label)[labels]
    parent = np.zeros(labels.max() + 1, dtype=np.int64)
    parent[label] = within
    number = np.zeros(labels.max() + 1, dtype=np.int64)
    order = np.lexsort((np.round(mean_lon, 3), -np.round(mean_lat, 2), parent[labels]))
    ranked = labels[order]
    first = np.r_[True, parent[ranked][1:] != parent[ranked][:-1]]
    run_start = np.maximum.accumulate(np.where(first, np.arange(len(ranked)), 0))
    number[ranked] = np.arange(len(ranked)) - run_start + 1
    return number


def _names(count: int, suffixes: Sequence[str], rng) -> list[str]:
    """``count`` distinct invented place names, e.g. 龙溪镇, 白岩村."""
    n = len(SYLLABLES)
    length = 2 if count <= n * (n - 1) // 2 else 3
    picked = rng.choice(n ** length, size=count, replace=False)
    names = []
    for code, suffix in zip(picked, rng.choice(list(suffixes), size=count)):
        letters = [SYLLABLES[(code // n ** p) % n] for p in range(length)]
        names.append("".join(letters) + suffix)
    return names


def _name_grids(centres, district, township, village, spec: SynthSpec, rng):
    lon, lat = centres
    n_d = spec.districts
    d_names = list(spec.district_names) + _names(max(0, n_d - len(spec.district_names)), ("县", "区", "市"), rng)
    d_codes = list(spec.district_codes) + [f"D{d + 1:03d}" for d in range(len(spec.district_codes), n_d)]
    d_number = _reading_order(lon, lat, district, np.zeros(len(lon), dtype=int))
    t_number = _reading_order(lon, lat, township, district)
    v_number = _reading_order(lon, lat, village, township)
    g_number = _reading_order(lon, lat, np.arange(len(lon)), village)
    urban_village = rng.random(village.max() + 1) < 0.25
    t_names = np.empty(township.max() + 1, dtype=object)
    v_names = np.empty(village.max() + 1, dtype=object)
    # Township names are unique across the whole map (a roster names townships without their
    # district); village names within their district, as the checks require.
    t_names[np.unique(township)] = _names(len(np.unique(township)), ("镇", "镇", "乡", "街道"), rng)
    for d in np.unique(district):
        vs = np.unique(village[district == d])
        v_names[vs] = [name + ("社区" if urban_village[v] else "村") for v, name in zip(vs, _names(len(vs), ("",), rng))]
    infos = []
    for g in range(len(lon)):
        d, t, v = district[g], township[g], village[g]
        code = d_codes[d_number[d] - 1]
        grid_id = f"{code}-{t_number[t]:02d}-{v_number[v]:02d}-{g_number[g]:02d}"
        infos.append(GridInfo(grid_id, f"{v_names[v]}第{g_number[g]}网格", v_names[v], t_names[t],
                              d_names[d_number[d] - 1], f"gh-{grid_id}"))
    order = sorted(range(len(infos)), key=lambda g: infos[g].grid_id)
    return [infos[g] for g in order], urban_village[village][order], np.array(order)


# --- households, ten-household units (十联户) and devices -------------------------------------------

@dataclass(frozen=True)
class Household:
    household_id: str
    unit_id: str
    grid_id: str
    lon: float
    lat: float


def households(synth: SynthMap, per_grid: tuple[int, int] = (20, 60), seed: int = 0) -> list[Household]:
    """Random household points inside every grid, grouped ten at a time into units (十联户)."""
    rng = np.random.default_rng(seed + 7919)
    wanted = rng.integers(per_grid[0], per_grid[1] + 1, len(synth.infos))
    lon, lat, owner = _points_inside(synth.geometries, wanted, rng)
    result = []
    for g, info in enumerate(synth.infos):
        mine = np.flatnonzero(owner == g)
        mine = mine[np.lexsort((lon[mine], -np.round(lat[mine], 3)))]  # units of neighbours, not random houses
        for n, h in enumerate(mine):
            unit_id = f"{info.grid_id}-U{n // 10 + 1:02d}"
            result.append(Household(f"{unit_id}-{n % 10 + 1:02d}", unit_id, info.grid_id, float(lon[h]), float(lat[h])))
    return result


def _points_inside(geometries: np.ndarray, wanted: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    bounds = shapely.bounds(geometries)
    lon_parts, lat_parts, owner_parts = [], [], []
    missing = wanted.copy()
    while missing.any():
        owner = np.repeat(np.arange(len(geometries)), missing * 2)
        # Rounded before the test, as they will be written: a point must stay inside its grid.
        x = np.round(rng.uniform(bounds[owner, 0], bounds[owner, 2]), 7)
        y = np.round(rng.uniform(bounds[owner, 1], bounds[owner, 3]), 7)
        keep = shapely.contains_xy(geometries[owner], x, y)
        owner, x, y = owner[keep], x[keep], y[keep]
        rank = np.arange(len(owner)) - np.searchsorted(owner, owner)
        keep = rank < missing[owner]
        lon_parts.append(x[keep])
        lat_parts.append(y[keep])
        owner_parts.append(owner[keep])
        missing -= np.bincount(owner[keep], minlength=len(geometries))
    owner = np.concatenate(owner_parts)
    order = np.argsort(owner, kind="stable")
    return np.concatenate(lon_parts)[order], np.concatenate(lat_parts)[order], owner[order]


def unit_features(homes: Sequence[Household]) -> Iterator[dict]:
    """Ten-household units as GeoJSON features: unit_id, grid_id, MultiPoint of the households."""
    by_unit: dict[str, list[Household]] = {}
    for home in homes:
        by_unit.setdefault(home.unit_id, []).append(home)
    for unit_id, members in by_unit.items():
        yield {"type": "Feature", "id": unit_id,
               "properties": {"unit_id": unit_id, "grid_id": members[0].grid_id, "unit_head": f"uh-{unit_id}",
                              "households": [home.household_id for home in members]},
               "geometry": {"type": "MultiPoint", "coordinates": [[home.lon, home.lat] for home in members]}}


def devices(synth: SynthMap, count: int, homes: Sequence[Household] = (), seed: int = 0) -> list[dict]:
    """``count`` registered devices (devices.yaml entries) at households, or at random grid points."""
    rng = np.random.default_rng(seed + 104729)
    urban_of = {info.grid_id: bool(u) for info, u in zip(synth.infos, synth.urban)}
    if homes:
        picked = [homes[i] for i in rng.choice(len(homes), size=count, replace=count > len(homes))]
        places = [(h.lon, h.lat, h.grid_id, h.household_id) for h in picked]
    else:
        grid = rng.integers(0, len(synth.infos), count)
        lon, lat, owner = _points_inside(synth.geometries, np.bincount(grid, minlength=len(synth.infos)), rng)
        places = [(float(x), float(y), synth.infos[g].grid_id, None) for x, y, g in zip(lon, lat, owner)]
    result = []
    for n, (lon, lat, grid_id, household) in enumerate(places):
        kind = str(rng.choice(DEVICE_KINDS))
        building = str(rng.choice(BUILDING_TYPES_URBAN if urban_of[grid_id] else BUILDING_TYPES_RURAL))
        entry = {"id": f"dev-{n + 1:06d}", "kind": kind, "lon": lon, "lat": lat, "building_type": building}
        if household is not None:
            entry["household"] = household
            if kind in PER_RESIDENT_KINDS:
                entry["resident"] = f"r-{household}"
        result.append(entry)
    return result


# --- writing --------------------------------------------------------------------------------------

def write_features(out: TextIO, features: Iterator[dict]) -> int:
    """A FeatureCollection with one feature per line (diff-friendly, like the sample); returns count."""
    out.write('{"type": "FeatureCollection", "features": [\n')
    count = 0
    for feature in features:
        out.write((",\n" if count else "") + json.dumps(feature, ensure_ascii=False))
        count += 1
    out.write("\n]}\n")
    return count


def write_devices(out: TextIO, entries: Sequence[dict]) -> None:
    """devices.yaml text (flow style per device: one line each)."""
    out.write("# Synthetic devices written by `gridalert geo synth`; positions are WGS84 lon/lat.\ndevices:\n")
    for entry in entries:
        out.write("  - " + json.dumps(entry, ensure_ascii=False) + "\n")  # JSON is valid YAML flow style


def spec_for(preset: Optional[str], *, townships=None, villages=None, grids=None, districts=None, seed=None,
             outline=None, gaps=None) -> SynthSpec:
    """A preset (default ``small``) with any of its numbers overridden."""
    base = PRESETS[preset or "small"]
    changes = {name: value for name, value in (("townships", townships), ("villages", villages), ("grids", grids),
                                               ("districts", districts), ("seed", seed), ("outline", outline),
                                               ("gaps", gaps)) if value is not None}
    return replace(base, **changes)


def read_outline(path: Path) -> shapely.Geometry:
    """An outline polygon from GeoJSON: a geometry, a Feature or a FeatureCollection (unioned)."""
    document = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    if document.get("type") == "FeatureCollection":
        shapes = [shapely.geometry.shape(f["geometry"]) for f in document["features"]]
    elif document.get("type") == "Feature":
        shapes = [shapely.geometry.shape(document["geometry"])]
    else:
        shapes = [shapely.geometry.shape(document)]
    outline = shapely.union_all(shapely.make_valid(np.array(shapes, dtype=object)))
    if outline.is_empty or outline.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"{path}: the outline must be a Polygon or MultiPolygon")
    return outline
