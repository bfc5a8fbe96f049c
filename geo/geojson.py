"""Reading grid-map files (网格图): RFC 7946 GeoJSON features, checked one by one.

Owns the file format: a FeatureCollection whose features carry a Polygon or MultiPolygon (grids,
or ten-household units) or Point/MultiPoint (units given as household points), with properties
named as the district names them (``ImportOptions.mapping``) and coordinates in WGS84, or in
GCJ-02 when declared (converted here, see ``geo.gcj02``). Each problem names the feature as
``features[12] (grid_id GY-07)`` and says what is wrong in plain words. Rings that are not
closed, holes with too few points and self-intersections are repaired where the repair is
unambiguous (see ``repair``) and reported as warnings; everything else is an error. Must not
check one feature against another (that is ``geo.checks``) or locate points.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
import shapely

from gridalert.config.errors import ConfigError
from gridalert.geo import gcj02
from gridalert.geo.metric import area_m2
from gridalert.geo.report import FileReport, Problem, error, square_metres, warning, where

REQUIRED = ("grid_id", "grid_name", "village", "township", "district")
OPTIONAL = ("grid_head",)
UNIT_REQUIRED = ("unit_id", "grid_id")
UNIT_OPTIONAL = ("unit_head",)
PROPERTY_NAMES = frozenset(REQUIRED + OPTIONAL + UNIT_REQUIRED + UNIT_OPTIONAL)
GRID_TYPES = ("Polygon", "MultiPolygon")
UNIT_TYPES = ("Polygon", "MultiPolygon", "Point", "MultiPoint")
CRS_NAMES = ("wgs84", "gcj02")
# Old-style (pre-RFC 7946) "crs" members that still mean lon/lat WGS84.
WGS84_CRS_NAMES = ("urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "EPSG:4326",
                   "urn:ogc:def:crs:EPSG::4326", "WGS84", "WGS 84")

Properties = dict[str, Optional[str]]


@dataclass(frozen=True)
class ImportOptions:
    """How to read a district's files.

    Parameters
    ----------
    mapping : mapping of str to str
        Our property name → the name the file uses, e.g. ``{"grid_id": "WGBM", "village": "CUN"}``;
        names not given are read as they are.
    crs : {"wgs84", "gcj02"}
        The coordinates' datum; GCJ-02 is converted to WGS84 on reading.
    """

    mapping: Mapping[str, str] = field(default_factory=dict)
    crs: str = "wgs84"

    def __post_init__(self) -> None:
        unknown = sorted(set(self.mapping) - PROPERTY_NAMES)
        if unknown:
            raise ValueError(f"unknown property name(s) in the mapping: {', '.join(unknown)}; "
                             f"known: {', '.join(sorted(PROPERTY_NAMES))}")
        if self.crs not in CRS_NAMES:
            raise ValueError(f"unknown crs {self.crs!r}; use one of {', '.join(CRS_NAMES)}")

    def name(self, ours: str) -> str:
        """The file's name for our property ``ours``."""
        return self.mapping.get(ours, ours)

    def describe(self) -> str:
        """A stable text of the options (part of a map's version)."""
        return json.dumps({"mapping": dict(sorted(self.mapping.items())), "crs": self.crs}, ensure_ascii=False)


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """``["grid_id=WGBM", "village=CUN"]`` → ``{"grid_id": "WGBM", "village": "CUN"}``."""
    mapping = {}
    for pair in pairs:
        ours, sep, theirs = pair.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise ValueError(f"mapping {pair!r} is not of the form ours=theirs, e.g. grid_id=WGBM")
        mapping[ours.strip()] = theirs.strip()
    ImportOptions(mapping)  # names checked here, once
    return mapping


@dataclass
class Feature:
    """A feature that passed its own checks: file position, label, properties, geometry."""

    index: int
    entry: str
    properties: Properties
    geometry: shapely.Geometry


def read_grids(path: str | Path, options: ImportOptions = ImportOptions()) -> list[tuple[Properties, shapely.Geometry]]:
    """Read ``path`` and return ``(properties, geometry)`` per grid, in file order.

    Raises ``ConfigError`` naming every error (see ``read_features``); warnings are dropped here,
    use ``geo.checks.check_map`` to see them.
    """
    features, report = read_features(read_document(path), str(path), options)
    report.raise_if_errors()
    return [(f.properties, f.geometry) for f in features]


def check_grids(document: Any, source: str | Path) -> list[tuple[Properties, shapely.Geometry]]:
    """Check a parsed GeoJSON ``document``; ``source`` names it in errors. See ``read_grids``."""
    features, report = read_features(document, str(source), ImportOptions())
    report.raise_if_errors()
    return [(f.properties, f.geometry) for f in features]


def read_document(path: str | Path, data: Optional[bytes] = None) -> Any:
    """Parse the file (or ``data``, its bytes already read); ``ConfigError`` if unreadable or not JSON."""
    path = Path(path)
    try:
        raw = path.read_bytes() if data is None else data
        text = raw.decode("utf-8-sig")  # GIS tools on Windows often write a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [("(file)", f"cannot be read: {exc}")]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(path, [(f"line {exc.lineno}, column {exc.colno}", f"not valid JSON: {exc.msg}")]) from None


def read_features(document: Any, source: str, options: ImportOptions, *, required: Sequence[str] = REQUIRED,
                  optional: Sequence[str] = OPTIONAL, kinds: Sequence[str] = GRID_TYPES,
                  what: str = "grid") -> tuple[list[Feature], FileReport]:
    """Check every feature on its own; return the good ones and the report of all problems.

    The first name in ``required`` is the feature's id: it labels the feature in every line and
    must be unique. A feature with any error is left out of the result (the caller refuses the
    file if the report has errors, so a half-good file is never used).
    """
    report = FileReport(source)
    features = _features(document, source, report)
    id_name = required[0]
    shapes: list[_Shape] = []
    found: list[Feature] = []
    first_index: dict[str, int] = {}
    for i, raw in enumerate(features):
        entry = _entry(i, raw, options.name(id_name), id_name)
        problems: list[Problem] = []
        if not isinstance(raw, dict) or raw.get("type") != "Feature":
            report.add([error(entry, "not a GeoJSON Feature (an object with \"type\": \"Feature\")", (i,))])
            continue
        properties = _properties(raw.get("properties"), entry, i, options, required, optional, problems)
        key = properties.get(id_name)
        if key is not None and key in first_index:
            problems.append(error(entry, f"duplicate {id_name} {key}: features[{first_index[key]}] has it too", (i,)))
        elif key is not None:
            first_index[key] = i
        shape = _shape(raw.get("geometry"), entry, i, kinds, what, problems)
        report.add(problems)
        if shape is not None and not any(p.is_error for p in problems):
            shapes.append(shape)
            found.append(Feature(i, entry, properties, None))
    if not features:
        label = "a grid map" if what == "grid" else f"a file of {what}s"
        report.add([error("features", f"is empty: {label} needs at least one {what}")])
    _coordinates(shapes, options, report)
    good = [f for f, s in zip(found, shapes) if s.ok]
    geometries = _build([s for s in shapes if s.ok], report)
    for feature, geometry in zip(good, geometries):
        feature.geometry = geometry
    return [f for f in good if f.geometry is not None], report


# --- the collection and the properties -----------------------------------------------------------

def _features(document: Any, source: str, report: FileReport) -> list[Any]:
    kind = document.get("type") if isinstance(document, dict) else type(document).__name__
    if kind != "FeatureCollection":
        raise ConfigError(source, [("(top level)", f"not a GeoJSON FeatureCollection (type is {kind!r})")])
    crs = document.get("crs")
    if crs is not None:
        name = crs.get("properties", {}).get("name") if isinstance(crs, dict) and isinstance(crs.get("properties"), dict) else None
        if name not in WGS84_CRS_NAMES:
            raise ConfigError(source, [("crs", f"declares {name or crs!r}; grid maps must be lon/lat in WGS84 (RFC 7946) "
                                               "or GCJ-02 (declare it with --crs gcj02): reproject the file first")])
    features = document.get("features")
    if not isinstance(features, list):
        raise ConfigError(source, [("features", "missing or not a list of features")])
    return features


def _entry(index: int, feature: Any, file_name: str, id_name: str) -> str:
    properties = feature.get("properties") if isinstance(feature, dict) else None
    key = properties.get(file_name) if isinstance(properties, dict) else None
    label = f" ({id_name} {key})" if isinstance(key, str) and key.strip() else ""
    return f"features[{index}]{label}"


def _properties(properties: Any, entry: str, i: int, options: ImportOptions, required, optional, problems) -> Properties:
    found: Properties = {}
    if not isinstance(properties, dict):
        names = ", ".join(options.name(n) for n in required)
        problems.append(error(entry, f"has no properties; required: {names}", (i,)))
        return found
    for name in (*required, *optional):
        theirs = options.name(name)
        label = repr(theirs) if theirs == name else f"{theirs!r} ({name})"
        value = properties.get(theirs)
        if value is None and name in optional:
            found[name] = None
        elif not isinstance(value, str) or not value.strip():
            what = "missing" if value is None else "empty" if isinstance(value, str) else repr(value)
            problems.append(error(entry, f"property {label} is {what}; it must be a non-empty string", (i,)))
        else:
            found[name] = value.strip()
    return found


# --- geometry ------------------------------------------------------------------------------------

@dataclass
class _Shape:
    """One feature's coordinates, parsed: polygon parts as rings, or points."""

    index: int
    entry: str
    kind: str
    parts: list[list[np.ndarray]]  # polygons: parts → rings → (n, 2) arrays; points: [[array]]
    ok: bool = True


def _shape(geometry: Any, entry: str, i: int, kinds: Sequence[str], what: str, problems: list[Problem]) -> Optional[_Shape]:
    if not isinstance(geometry, dict):
        problems.append(error(entry, "has no geometry", (i,)))
        return None
    kind = geometry.get("type")
    if kind not in kinds:
        allowed = " or ".join(kinds) if len(kinds) <= 2 else ", ".join(kinds[:-1]) + " or " + kinds[-1]
        problems.append(error(entry, f"geometry is a {kind}; a {what} must be a {allowed}", (i,)))
        return None
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list):
        problems.append(error(entry, f"{kind} geometry has no coordinates list", (i,)))
        return None
    try:
        if kind in ("Point", "MultiPoint"):
            points = [coordinates] if kind == "Point" else coordinates
            parts = [[_positions(points)]] if points else []
        else:
            polygons = [coordinates] if kind == "Polygon" else coordinates
            parts = [[_positions(ring) for ring in _list(polygon)] for polygon in _list(polygons)]
    except ValueError as exc:
        problems.append(error(entry, f"{kind} coordinates are malformed: {exc}", (i,)))
        return None
    if not any(len(part) for part in parts):
        problems.append(error(entry, "geometry is empty", (i,)))
        return None
    shape = _Shape(i, entry, kind, parts)
    if kind in GRID_TYPES:
        _close_rings(shape, problems)
    return shape


def _list(value: Any) -> list:
    if not isinstance(value, list):
        raise ValueError(f"expected a list, found {type(value).__name__}")
    return value


def _positions(ring: Any) -> np.ndarray:
    positions = _list(ring)
    if positions and not all(isinstance(p, list) and len(p) >= 2 for p in positions):
        raise ValueError("a position must be a list [lon, lat]")
    try:
        xy = np.array([p[:2] for p in positions], dtype=float).reshape(-1, 2)
    except (TypeError, ValueError):
        raise ValueError("positions must be numbers") from None
    return xy


def _close_rings(shape: _Shape, problems: list[Problem]) -> None:
    """Close open rings (warning); drop holes with too few points (warning); short shells: error."""
    multi = shape.kind == "MultiPolygon" and len(shape.parts) > 1
    kept_parts = []
    for p, rings in enumerate(shape.parts):
        kept = []
        for r, ring in enumerate(rings):
            name = ("outer ring" if r == 0 else f"hole {r}") + (f" of part {p + 1}" if multi else "")
            given = len(ring)
            is_open = given > 0 and not np.array_equal(ring[0], ring[-1])
            if is_open:
                ring = np.vstack([ring, ring[:1]])
            if len(ring) < 4:
                count = f"only {given} position{'s' if given != 1 else ''}{' and is not closed' if is_open else ''}"
                if r == 0:
                    problems.append(error(shape.entry, f"{name} has {count}; a ring needs at least 4 positions, "
                                                       "the last repeating the first", (shape.index,)))
                    shape.ok = False
                else:
                    problems.append(warning(shape.entry, f"{name} has {count}, so no area: dropped it", (shape.index,)))
                continue
            if is_open:
                problems.append(warning(shape.entry, f"{name} is not closed: closed it by repeating its first position "
                                                     f"({where(*ring[0])})", (shape.index,)))
            kept.append(ring)
        kept_parts.append(kept)
    shape.parts = kept_parts


def _coordinates(shapes: list[_Shape], options: ImportOptions, report: FileReport) -> None:
    """Range-check every position at once, then convert GCJ-02 → WGS84 if declared."""
    arrays = [ring for s in shapes for part in s.parts for ring in part]
    if not arrays:
        return
    owner = np.repeat(np.arange(len(shapes)), [sum(len(r) for part in s.parts for r in part) for s in shapes])
    xy = np.concatenate(arrays)
    lon, lat = xy[:, 0], xy[:, 1]
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    for k in np.unique(owner[bad]):
        x, y = xy[np.flatnonzero(bad & (owner == k))[0]]
        hint = " (lon and lat swapped?)" if abs(y) <= 180 and abs(x) <= 90 else ""
        report.add([error(shapes[k].entry, f"coordinates outside lon [-180, 180] / lat [-90, 90]: found lon {x:g}, lat {y:g}{hint}; "
                                           "GeoJSON positions are lon, lat in WGS84 degrees", (shapes[k].index,))])
        shapes[k].ok = False
    if options.crs == "gcj02":
        lon, lat = gcj02.to_wgs84(np.where(bad, 0.0, lon), np.where(bad, 0.0, lat))
        xy = np.column_stack([lon, lat])
        at = 0
        for s in shapes:
            for part in s.parts:
                for r, ring in enumerate(part):
                    part[r] = xy[at:at + len(ring)]
                    at += len(ring)


def _build(shapes: list[_Shape], report: FileReport) -> list[Optional[shapely.Geometry]]:
    """shapely geometries; invalid polygons repaired where that is safe (warning), else error."""
    geometries = [_geometry(s) for s in shapes]
    if not geometries:
        return []
    reasons = shapely.is_valid_reason(np.array(geometries, dtype=object))
    for k, (shape, reason) in enumerate(zip(shapes, reasons)):
        if reason == "Valid Geometry" or shape.kind not in GRID_TYPES:
            continue
        problem, geometries[k] = repair(geometries[k], reason, shape.entry, (shape.index,))
        report.add([problem])
    return geometries


def _geometry(shape: _Shape) -> shapely.Geometry:
    if shape.kind in ("Point", "MultiPoint"):
        points = shapely.points(shape.parts[0][0])
        return points[0] if shape.kind == "Point" else shapely.multipoints(points)
    polygons = [shapely.Polygon(rings[0], rings[1:]) for rings in shape.parts if rings]
    return polygons[0] if shape.kind == "Polygon" else shapely.MultiPolygon(polygons)


def repair(geometry: shapely.Geometry, reason: str, entry: str, order: tuple) -> tuple[Problem, Optional[shapely.Geometry]]:
    """Repair an invalid polygon if the repair is unambiguous: a warning and the repair, or an error.

    Unambiguous means: GEOS's two repair methods ("structure": shells minus holes; "linework":
    every enclosed area alternately in and out) give the same area, and the repair adds nothing
    outside the feature's own outer rings. A bow-tie (two triangles meeting at a point), a spike,
    a duplicated hole or parts touching along an edge pass; overlapping parts, a hole crossing
    its shell or an inverted ring do not, because what the digitiser meant is not clear.
    """
    location = _reason_place(reason)
    what = reason.split("[")[0]
    at = f" at {where(*location)}" if location else ""
    structure = _polygonal(shapely.make_valid(geometry, method="structure", keep_collapsed=False))
    linework = _polygonal(shapely.make_valid(geometry, method="linework"))
    shells = _polygonal(shapely.make_valid(shapely.multipolygons([shapely.Polygon(p.exterior) for p in shapely.get_parts(geometry)]),
                                           method="structure", keep_collapsed=False))
    area = float(area_m2([structure])[0])
    tolerance = max(1e-6 * area, 1e-4)  # m²: noise of the overlay itself, not a change of shape
    ambiguous = float(area_m2([shapely.symmetric_difference(structure, linework)])[0])
    added = float(area_m2([shapely.difference(structure, shells)])[0])
    if structure.is_empty or ambiguous > tolerance or added > tolerance:
        why = ("nothing with an area is left" if structure.is_empty
               else f"the two ways to repair it differ by {square_metres(max(ambiguous, added))}")
        return error(entry, f"invalid geometry: {what}{at}; not repaired automatically because {why}: fix it in a GIS tool",
                     order, lon=location[0] if location else None, lat=location[1] if location else None), None
    before = float(area_m2([geometry])[0]) if what != "Self-intersection" else None
    change = f" (area {square_metres(before)} → {square_metres(area)})" if before is not None and abs(before - area) > tolerance else ""
    shape = "" if structure.geom_type == geometry.geom_type else f" (now a {structure.geom_type} of {shapely.get_num_geometries(structure)} parts)"
    return warning(entry, f"invalid geometry: {what}{at}; repaired{shape}{change}, please check it",
                   order, lon=location[0] if location else None, lat=location[1] if location else None, area_m2=area), structure


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    parts = [p for p in shapely.get_parts(geometry) if p.geom_type in ("Polygon", "MultiPolygon") and not p.is_empty]
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


def _reason_place(reason: str) -> Optional[tuple[float, float]]:
    """GEOS puts the place of the problem in brackets: ``Self-intersection[106.615 26.615]``."""
    if "[" not in reason:
        return None
    try:
        x, y = reason.split("[", 1)[1].rstrip("]").split()[:2]
        return float(x), float(y)
    except ValueError:
        return None
