"""GCJ-02 (火星坐标, the offset datum of Chinese web maps) to and from WGS84, vectorised.

Chinese map services (Amap/Gaode, Tencent, the GCJ-02 layer of most apps) publish coordinates
shifted from WGS84 by a deliberately obfuscated, position-dependent offset of a few hundred
metres. Grid maps drawn on such a base map carry that offset; GPS devices do not. The forward
formula (WGS84 → GCJ-02) is public and widely reimplemented; it has no closed-form inverse, so
``to_wgs84`` inverts it by fixed-point iteration, which converges to well below a millimetre in a
handful of steps because the offset changes slowly with position.

Outside the rough bounding box of China the offset is defined as zero: such points are returned
unchanged (as every public implementation does). Must not know about grids or files.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

# The formula's own constants: the Krasovsky 1940 ellipsoid, as in the original algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323

# The box the formula treats as "China"; outside it GCJ-02 equals WGS84.
CHINA_LON = (72.004, 137.8347)
CHINA_LAT = (0.8293, 55.8271)

# Stop when a step moves less than this (degrees; about 1 µm) or after MAX_STEPS.
TOLERANCE_DEG = 1e-11
MAX_STEPS = 30


def in_china(lon: ArrayLike, lat: ArrayLike) -> np.ndarray:
    """True where the GCJ-02 offset applies (the formula's rough bounding box of China)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return (lon >= CHINA_LON[0]) & (lon <= CHINA_LON[1]) & (lat >= CHINA_LAT[0]) & (lat <= CHINA_LAT[1])


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 shift in degrees (dlon, dlat) at WGS84 position lon, lat (no box test)."""
    x, y = lon - 105.0, lat - 35.0
    waves = 20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += (waves + 20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)
             + 160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y / 30.0 * np.pi)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (waves + 20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)
             + 150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    # The two polynomials above are in metres-like units; scale them by the ellipsoid's radii.
    phi = np.radians(lat)
    w = 1 - _EE * np.sin(phi) ** 2
    dlat = dlat * 180.0 / ((_A * (1 - _EE)) / (w * np.sqrt(w)) * np.pi)
    dlon = dlon * 180.0 / (_A / np.sqrt(w) * np.cos(phi) * np.pi)
    return dlon, dlat


def to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 → GCJ-02 (degrees). Points outside China and NaN come back unchanged.

    Examples
    --------
    >>> lon, lat = to_gcj02([121.5272106], [31.1774276])   # Shanghai
    >>> round(float(lon[0]), 6), round(float(lat[0]), 6)
    (121.531542, 31.175304)
    """
    lon, lat = np.array(lon, dtype=float), np.array(lat, dtype=float)
    shifted = in_china(lon, lat)
    dlon, dlat = _offset(lon[shifted], lat[shifted])
    lon[shifted] += dlon
    lat[shifted] += dlat
    return lon, lat


def to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → WGS84 (degrees), iterated until the forward formula reproduces the input.

    Solves ``to_gcj02(w) == g`` for ``w`` by ``w ← w - (to_gcj02(w) - g)``, starting at
    ``w = g``; each step cuts the error by a factor of several hundred, so a few steps reach
    ``TOLERANCE_DEG``. Points outside China (tested on the input) and NaN come back unchanged.

    Examples
    --------
    >>> lon, lat = to_wgs84([121.531541859215], [31.17530398364597])
    >>> round(float(lon[0]), 7), round(float(lat[0]), 7)
    (121.5272106, 31.1774276)
    >>> to_wgs84([2.35], [48.86])   # Paris: no offset outside China
    (array([2.35]), array([48.86]))
    """
    g_lon, g_lat = np.array(lon, dtype=float), np.array(lat, dtype=float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    active = in_china(g_lon, g_lat)
    todo = np.flatnonzero(active)
    for _ in range(MAX_STEPS):
        if todo.size == 0:
            break
        dlon, dlat = _offset(w_lon[todo], w_lat[todo])
        err_lon = w_lon[todo] + dlon - g_lon[todo]
        err_lat = w_lat[todo] + dlat - g_lat[todo]
        w_lon[todo] -= err_lon
        w_lat[todo] -= err_lat
        todo = todo[np.maximum(np.abs(err_lon), np.abs(err_lat)) > TOLERANCE_DEG]
    return w_lon, w_lat
