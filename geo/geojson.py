"""Reading a grid map (网格图) from GeoJSON: checked features, or every problem at once.

Owns the file format (an RFC 7946 FeatureCollection of Polygon/MultiPolygon grids) and its
checks. Each problem names the feature as ``features[12] (grid_id GY-07)`` and says what is
wrong in plain words; if there is any problem, one ``ConfigError`` lists them all and nothing is
returned. Must not locate points or build records: that is ``geo.gridmap``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry import shape

from gridalert.config.errors import ConfigError

REQUIRED = ("grid_id", "grid_name", "village", "township", "district")
OPTIONAL = ("grid_head",)
GRID_TYPES = ("Polygon", "MultiPolygon")

Properties = dict[str, Optional[str]]


def read_grids(path: str | Path) -> list[tuple[Properties, shapely.Geometry]]:
    """Read ``path`` and return ``(properties, geometry)`` per grid, in file order.

    Parameters
    ----------
    path : str or Path
        A GeoJSON FeatureCollection. Properties ``grid_id``, ``grid_name``, ``village``,
        ``township`` and ``district`` are required non-empty strings; ``grid_head`` is optional.
        Other properties are ignored.

    Returns
    -------
    list of (dict, shapely.Geometry)
        The properties named above (``grid_head`` may be None) and a valid, non-empty
        Polygon or MultiPolygon in lon/lat (WGS84).

    Raises
    ------
    ConfigError
        Listing every problem found: unreadable file, not JSON (with line and column), not a
        FeatureCollection, a feature without geometry or of another geometry type, a missing or
        empty property, a duplicate grid_id, an invalid geometry (with shapely's reason), or
        coordinates outside lon [-180, 180] / lat [-90, 90].
    """
    return check_grids(_read_json(Path(path)), path)


def check_grids(document: Any, source: str | Path) -> list[tuple[Properties, shapely.Geometry]]:
    """Check a parsed GeoJSON ``document``; ``source`` names it in errors. See ``read_grids``."""
    features = _features(document, source)
    problems: list[tuple[int, str, str]] = []
    grids: list[tuple[int, Properties, shapely.Geometry]] = []
    first_index: dict[str, int] = {}
    for i, feature in enumerate(features):
        entry = _entry(i, feature)
        found = _check_feature(feature)
        problems.extend((i, entry, problem) for problem in found.problems)
        grid_id = found.properties.get("grid_id")
        if grid_id is not None and grid_id in first_index:
            problems.append((i, entry, f"duplicate grid_id {grid_id}: features[{first_index[grid_id]}] has it too"))
        elif grid_id is not None:
            first_index[grid_id] = i
        if found.geometry is not None:
            grids.append((i, found.properties, found.geometry))
    problems.extend(_geometry_problems(grids, features))
    if not features:
        problems.append((0, "features", "is empty: a grid map needs at least one grid"))
    if problems:
        problems.sort(key=lambda problem: problem[0])  # stable: a feature's problems stay together
        raise ConfigError(source, [(entry, problem) for _, entry, problem in problems])
    return [(properties, geometry) for _, properties, geometry in grids]


@dataclass
class _Found:
    """What one feature yielded: its properties, its geometry (if one could be built), problems."""

    properties: Properties = field(default_factory=dict)
    geometry: Optional[shapely.Geometry] = None
    problems: list[str] = field(default_factory=list)


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")  # GIS tools on Windows often write a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [("(file)", f"cannot be read: {exc}")]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(path, [(f"line {exc.lineno}, column {exc.colno}", f"not valid JSON: {exc.msg}")]) from None


def _features(document: Any, source: str | Path) -> list[Any]:
    kind = document.get("type") if isinstance(document, dict) else type(document).__name__
    if kind != "FeatureCollection":
        raise ConfigError(source, [("(top level)", f"not a GeoJSON FeatureCollection (type is {kind!r})")])
    features = document.get("features")
    if not isinstance(features, list):
        raise ConfigError(source, [("features", "missing or not a list of features")])
    return features


def _entry(index: int, feature: Any) -> str:
    properties = feature.get("properties") if isinstance(feature, dict) else None
    grid_id = properties.get("grid_id") if isinstance(properties, dict) else None
    label = f" (grid_id {grid_id})" if isinstance(grid_id, str) and grid_id.strip() else ""
    return f"features[{index}]{label}"


def _check_feature(feature: Any) -> _Found:
    found = _Found()
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        found.problems.append("not a GeoJSON Feature (an object with \"type\": \"Feature\")")
        return found
    _check_properties(feature.get("properties"), found)
    _check_geometry(feature.get("geometry"), found)
    return found


def _check_properties(properties: Any, found: _Found) -> None:
    if not isinstance(properties, dict):
        found.problems.append(f"has no properties; required: {', '.join(REQUIRED)}")
        return
    for name in REQUIRED + OPTIONAL:
        value = properties.get(name)
        if value is None and name in OPTIONAL:
            found.properties[name] = None
        elif not isinstance(value, str) or not value.strip():
            what = "missing" if value is None else "empty" if isinstance(value, str) else repr(value)
            found.problems.append(f"property {name!r} is {what}; it must be a non-empty string")
        else:
            found.properties[name] = value.strip()


def _check_geometry(geometry: Any, found: _Found) -> None:
    if not isinstance(geometry, dict):
        found.problems.append("has no geometry")
        return
    kind = geometry.get("type")
    if kind not in GRID_TYPES:
        found.problems.append(f"geometry is a {kind}; a grid must be a Polygon or MultiPolygon")
        return
    if not isinstance(geometry.get("coordinates"), list):
        found.problems.append(f"{kind} geometry has no coordinates list")
        return
    try:
        found.geometry = shape(geometry)
    except (ValueError, TypeError, IndexError, GEOSException) as exc:
        found.problems.append(f"{kind} coordinates are malformed: {exc}")


def _geometry_problems(grids: Sequence[tuple[int, Properties, shapely.Geometry]], features: list[Any]) -> list[tuple[int, str, str]]:
    """Empty, out-of-range and invalid geometries, checked for all grids at once."""
    if not grids:
        return []
    indices = [i for i, _, _ in grids]
    geometries = np.array([geometry for _, _, geometry in grids], dtype=object)
    empty = shapely.is_empty(geometries)
    reasons = shapely.is_valid_reason(geometries)
    problems = []
    for i, geometry, is_empty, reason in zip(indices, geometries, empty, reasons):
        entry = _entry(i, features[i])
        if is_empty:
            problems.append((i, entry, "geometry is empty"))
            continue
        outside = _first_outside(shapely.get_coordinates(geometry))
        if outside is not None:
            problems.append((i, entry, outside))
        if reason != "Valid Geometry":
            problems.append((i, entry, f"invalid geometry: {reason}"))
    return problems


def _first_outside(xy: np.ndarray) -> Optional[str]:
    lon, lat = xy[:, 0], xy[:, 1]
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if not bad.any():
        return None
    x, y = xy[np.argmax(bad)]
    hint = " (lon and lat swapped?)" if abs(y) <= 180 and abs(x) <= 90 else ""
    return (f"coordinates outside lon [-180, 180] / lat [-90, 90]: found lon {x:g}, lat {y:g}{hint}; "
            "GeoJSON positions are lon, lat in WGS84 degrees")
