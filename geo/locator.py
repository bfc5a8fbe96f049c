"""Point → grid index, exactly and fast: an adaptive cell table over the map (网格定位索引).

Owns the index only: it knows polygons by position (index 0 … n-1) and answers with an int array
(-1: no grid). Which grid owns a point covered by several is the caller's rule made simple here:
the *smallest index* among the polygons that cover the point (``GridMap`` orders its grids by
grid_id, so that is the smallest grid_id). Must not know grid ids, files or records.

How it works
------------
The map's bounding box is cut into square root cells, each about the size of an average grid.
A cell that no polygon edge touches is answered by the table alone: the polygon that covers its
centre (found once, at build time) covers all of it. A cell that edges touch is split 4 × 4,
level by level (busiest cells first) while the memory budget allows; where splitting stops, the cell is a *leaf* with
a short list of candidate polygons (those with an edge in it, plus any that cover it whole),
sorted by index. A point in a leaf is tested against its candidates with
``shapely.intersects_xy`` (covers semantics: the boundary belongs to the polygon), smallest index
first, so the first hit is the owner and most points need one test.

Exactness. A point's cell is computed exactly wherever coordinates do not straddle 0° (the
difference of two nearby doubles is exact, and cell sizes are powers of two); on top of that,
every classification is made on the cell grown by ``MARGIN`` degrees (about 0.1 mm), far more
than any rounding in the build or near 0°. So a point always lies in the grown box of the cell it
is filed under: a table answer is the covers answer, and a leaf's candidates include every
polygon that could cover the point. Whole cells get their status from a scan line through their
centres, which lie at least half a cell from any edge, so rounding cannot flip them. Hence
answers are identical to a plain ``covers`` test plus the ownership rule, boundaries and vertices
included (``tests/unit/test_geo_locate.py`` checks this with hypothesis).

Why not an STRtree query? Its predicates prepare the query side (the points), not the polygons,
so each point costs a full point-in-polygon test on every polygon whose box holds it; most
points here never touch a polygon at all. Why not prepared polygons? GEOS builds a prepared
polygon's index on its second use, hundreds of MB at a province's 100,000 grids, and that does
not pay for polygons of a hundred-odd vertices tested a couple of times per leaf.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import ArrayLike

from gridalert.geo.cells import BRANCH, NONE, build_table

CHUNK = 1 << 16  # points per numpy pass


@dataclass(frozen=True)
class Shape:
    """Size of a built table: for benchmarks and capacity planning."""

    root_cells: int
    nodes: int
    candidate_lists: int
    candidates: int
    depth: int
    leaf_area_share: float  # share of the root area that needs a polygon test
    nbytes: int


def default_budget(polygons: int) -> int:
    """Table entries for a map of ``polygons``: 2 M up to ~8,000 polygons, then 240 per polygon, ≤ 24 M."""
    return int(min(24_000_000, max(2_000_000, 240 * polygons)))


class CellTable:
    """Locate points in polygons by table lookup, with exact polygon tests only near edges.

    Parameters
    ----------
    polygons : array_like of shapely Polygon or MultiPolygon
        Valid, in lon/lat degrees. Index i in answers means ``polygons[i]``.
    budget : int, optional
        Most table entries (4 bytes each) for the root and split cells; by default
        ``default_budget(n)``: 2 M (8 MB) for a county, growing to 24 M (96 MB) for a province.
        More entries: finer cells near edges, fewer polygon tests, slower builds.

    Examples
    --------
    >>> a, b = shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)
    >>> table = CellTable([a, b])
    >>> table.indices([0.5, 1.0, 1.5, 3.0], [0.5, 0.5, 0.5, 0.5]).tolist()   # shared edge → 0
    [0, 0, 1, -1]
    >>> table.index(1.0, 1.0), table.index(float("nan"), 0.0)
    (0, -1)
    """

    def __init__(self, polygons: ArrayLike, *, budget: int | None = None):
        self._polygons = np.asarray(polygons, dtype=object)
        n = len(self._polygons)
        if n == 0:
            raise ValueError("a cell table needs at least one polygon")
        budget = budget if budget is not None else default_budget(n)
        built = build_table(self._polygons, budget)
        self._x0, self._y0, self._inv = built.x0, built.y0, 1.0 / built.size
        self._nx, self._ny, self._depth = built.nx, built.ny, built.depth
        self._root, self._nodes = built.root, built.nodes
        self._list_start, self._candidates = built.list_start, built.candidates
        self._leaf_area_share = built.leaf_area_share

    # --- queries ---------------------------------------------------------------------------

    def indices(self, lons: ArrayLike, lats: ArrayLike) -> np.ndarray:
        """The owning polygon's index for each point (int64), or -1; NaN gives -1.

        Parameters
        ----------
        lons, lats : array_like of float
            Same shape, any shape (the answer has it too).
        """
        x = np.asarray(lons, dtype=float)
        y = np.asarray(lats, dtype=float)
        if x.shape != y.shape:
            raise ValueError(f"lons and lats must have the same shape, got {x.shape} and {y.shape}")
        x, y = x.ravel(), y.ravel()
        owner = np.empty(x.size, dtype=np.int64)
        # Chunks keep numpy's temporaries in cache (and out of fresh, page-faulting memory):
        # about three times faster than one pass over millions of points.
        for first in range(0, x.size, CHUNK):
            owner[first:first + CHUNK] = self._chunk(x[first:first + CHUNK], y[first:first + CHUNK])
        return owner.reshape(np.shape(lons))

    def _chunk(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        owner = np.full(x.size, NONE, dtype=np.int64)
        u = (x - self._x0) * self._inv
        w = (y - self._y0) * self._inv
        inside = (u >= 0) & (u < self._nx) & (w >= 0) & (w < self._ny)  # False for NaN
        at = np.flatnonzero(inside)
        if at.size == 0:
            return owner
        u, w = u[at], w[at]
        value = self._root[w.astype(np.int64) * self._nx + u.astype(np.int64)].astype(np.int64)
        scale = 1.0
        leaf_at, leaf_list = [], []
        for _ in range(self._depth + 1):
            deeper = np.flatnonzero(value <= -2)
            if deeper.size == 0:
                break
            code = -2 - value[deeper]
            is_leaf = (code & 1) == 1
            leaf_at.append(deeper[is_leaf])
            leaf_list.append(code[is_leaf] >> 1)
            value[deeper[is_leaf]] = NONE
            rows, node = deeper[~is_leaf], code[~is_leaf] >> 1
            scale *= BRANCH  # exact: a power of two
            gx = np.floor(u[rows] * scale).astype(np.int64) % BRANCH
            gy = np.floor(w[rows] * scale).astype(np.int64) % BRANCH
            value[rows] = self._nodes[node * (BRANCH * BRANCH) + gy * BRANCH + gx]
        if leaf_at:
            rows = np.concatenate(leaf_at)
            value[rows] = self._resolve(np.concatenate(leaf_list), x[at[rows]], y[at[rows]])
        owner[at] = value
        return owner

    def index(self, lon: float, lat: float) -> int:
        """One point's owner index, or -1.

        Same table and same answers as ``indices``; written out in plain Python because numpy's
        per-call overhead would dominate a batch of one (about 20 µs against 2 µs).
        """
        u = (lon - self._x0) * self._inv
        w = (lat - self._y0) * self._inv
        if not (0 <= u < self._nx and 0 <= w < self._ny):  # also rejects NaN
            return NONE
        value = self._root.item(int(w) * self._nx + int(u))
        scale = 1.0
        while value <= -2:
            code = -2 - value
            if code & 1:
                return self._resolve_one(code >> 1, lon, lat)
            scale *= BRANCH
            gx = math.floor(u * scale) % BRANCH
            gy = math.floor(w * scale) % BRANCH
            value = self._nodes.item((code >> 1) * (BRANCH * BRANCH) + gy * BRANCH + gx)
        return value

    def _resolve(self, lists: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Test points in leaves against their candidates, smallest index first; first hit owns."""
        owner = np.full(lists.size, NONE, dtype=np.int64)
        start = self._list_start[lists]
        count = self._list_start[lists + 1] - start
        todo = np.arange(lists.size)
        rank = 0
        while todo.size:
            todo = todo[count[todo] > rank]
            if todo.size == 0:
                break
            candidate = self._candidates[start[todo] + rank]
            # Sorting by polygon keeps each polygon's coordinates hot in cache across its points.
            order = np.argsort(candidate, kind="stable")
            todo, candidate = todo[order], candidate[order]
            hit = shapely.intersects_xy(self._polygons[candidate], x[todo], y[todo])
            owner[todo[hit]] = candidate[hit]
            todo = todo[~hit]
            rank += 1
        return owner

    def _resolve_one(self, candidates: int, lon: float, lat: float) -> int:
        for k in range(self._list_start.item(candidates), self._list_start.item(candidates + 1)):
            candidate = self._candidates.item(k)
            # A one-element array, not the geometry itself: shapely would prepare (and keep
            # preparing) a scalar geometry, which is the memory cost this table avoids.
            if shapely.intersects_xy(self._polygons[candidate:candidate + 1], lon, lat)[0]:
                return candidate
        return NONE

    @property
    def polygons(self) -> np.ndarray:
        """The polygons, by index (read-only view)."""
        view = self._polygons.view()
        view.flags.writeable = False
        return view

    # --- size ------------------------------------------------------------------------------

    @property
    def shape(self) -> Shape:
        nbytes = self._root.nbytes + self._nodes.nbytes + self._list_start.nbytes + self._candidates.nbytes
        return Shape(self._root.size, self._nodes.size // (BRANCH * BRANCH), self._list_start.size - 1,
                     self._candidates.size, self._depth, self._leaf_area_share, nbytes)


