"""Metres on the WGS84 ellipsoid for a planar library: areas and distances of lon/lat shapes.

shapely is planar, so an area computed on lon/lat degrees is in "square degrees" and shrinks with
latitude. This module projects each shape to a local metric plane first. The projection is the
ellipsoidal sinusoidal one, centred on the shape itself:

    x = (lon - lon0) · N(lat) · cos(lat),    y = m(lat) - m(lat0)

with ``N`` the prime-vertical radius and ``m`` the meridian arc length. It is exactly equal-area on
the ellipsoid (its Jacobian is ``N cos(lat) · M``, the ellipsoid's own area element), so areas are
right at any size; centring it on each shape keeps shear, and so distance error, negligible at
district scale. No pyproj needed. Must not know about grids or files.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import ArrayLike

# WGS84 ellipsoid.
A = 6378137.0
F = 1 / 298.257223563
E2 = F * (2 - F)

# Meridian arc series coefficients (Helmert), good to well under a millimetre.
_E4, _E6 = E2 * E2, E2 * E2 * E2
_A0 = 1 + 3 / 4 * E2 + 45 / 64 * _E4 + 175 / 256 * _E6
_A2 = 3 / 8 * (E2 + 3 / 4 * _E4 + 15 / 128 * _E6)
_A4 = 15 / 256 * (_E4 + 3 / 4 * _E6)
_A6 = 35 / 3072 * _E6


def meridian_arc(lat: ArrayLike) -> np.ndarray:
    """Distance in metres along a meridian from the equator to latitude ``lat`` (degrees)."""
    phi = np.radians(np.asarray(lat, dtype=float))
    return A * (1 - E2) * (_A0 * phi - _A2 * np.sin(2 * phi) + _A4 * np.sin(4 * phi) - _A6 * np.sin(6 * phi))


def parallel_radius(lat: ArrayLike) -> np.ndarray:
    """Radius in metres of the parallel at latitude ``lat`` (degrees): N(lat) · cos(lat)."""
    phi = np.radians(np.asarray(lat, dtype=float))
    return A * np.cos(phi) / np.sqrt(1 - E2 * np.sin(phi) ** 2)


def to_local(lon: ArrayLike, lat: ArrayLike, lon0: ArrayLike, lat0: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Project lon/lat (degrees) to metres east and north of (lon0, lat0), equal-area.

    Examples
    --------
    One minute of latitude is about 1847 m at 26.6° N; one of longitude about 1660 m:

    >>> x, y = to_local([106.0 + 1 / 60], [26.6 + 1 / 60], 106.0, 26.6)
    >>> round(float(x[0])), round(float(y[0]))
    (1660, 1847)
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x = np.radians(lon - np.asarray(lon0, dtype=float)) * parallel_radius(lat)
    y = meridian_arc(lat) - meridian_arc(lat0)
    return x, y


def project_local(geometries: ArrayLike) -> np.ndarray:
    """Each geometry projected to metres around its own bounding-box centre (see module notes)."""
    geometries = np.asarray(geometries, dtype=object)
    bounds = shapely.bounds(geometries)
    centre_lon = (bounds[..., 0] + bounds[..., 2]) / 2
    centre_lat = (bounds[..., 1] + bounds[..., 3]) / 2
    _, owner = shapely.get_coordinates(geometries, return_index=True)

    def transform(xy: np.ndarray) -> np.ndarray:
        x, y = to_local(xy[:, 0], xy[:, 1], centre_lon.ravel()[owner], centre_lat.ravel()[owner])
        return np.column_stack([x, y])

    return shapely.transform(geometries, transform)


def area_m2(geometries: ArrayLike) -> np.ndarray:
    """Area in square metres of lon/lat geometries (0 for points, lines and empty ones).

    Examples
    --------
    A 0.01° × 0.01° square at 26.6° N is about 0.995 km by 1.108 km:

    >>> square = shapely.box(106.60, 26.60, 106.61, 26.61)
    >>> round(float(area_m2([square])[0]) / 1e6, 3)
    1.104
    """
    geometries = np.asarray(geometries, dtype=object)
    if geometries.size == 0:
        return np.zeros(geometries.shape)
    result = np.zeros(geometries.shape)
    nonempty = ~shapely.is_empty(geometries) & ~shapely.is_missing(geometries)
    if nonempty.any():
        result[nonempty] = shapely.area(project_local(geometries[nonempty]))
    return result


def distance_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> np.ndarray:
    """Distance in metres between nearby points (local projection around the first point).

    Accurate to well under 0.1 % up to tens of kilometres, which is all a district needs.
    """
    x, y = to_local(lon2, lat2, lon1, lat1)
    return np.hypot(x, y)
