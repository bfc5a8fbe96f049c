"""Building the cell table behind ``geo.locator.CellTable``, level by level, vectorised.

Owns the build only (the query side and the reasoning about exactness are in ``geo.locator``):
polygon edges filed into the cells they touch, cell statuses by scan line, and the split of
touched cells while the budget allows. Every step works on whole numpy arrays for all cells of a
level at once; a province (100,000 polygons, 12 M edges) builds in seconds, not minutes.

Table encoding (int32): ``v >= 0`` the whole cell is owned by polygon ``v``; ``-1`` no polygon;
``v <= -2``: ``code = -2 - v``, an even code is split node ``code // 2`` (its children are
``nodes[node * 16 : node * 16 + 16]``, row-major from the south-west), an odd code is a leaf
whose candidates are list ``k = code // 2``: ``candidates[list_start[k] : list_start[k + 1]]``.
Leaves along one shared edge have the same candidates, so lists are stored once and shared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
import shapely

MARGIN = 1e-9  # degrees (~0.1 mm): cells are classified grown by this much; see geo.locator
BRANCH = 4  # a split cell has BRANCH × BRANCH children; a power of two keeps every level exact
NONE = -1  # "in no polygon"
MAX_DEPTH = 10
BUILD_CHUNK = 1 << 18  # edges per numpy pass while building


@dataclass
class TableArrays:
    x0: float
    y0: float
    size: float  # root cell size, degrees (a power of two)
    nx: int
    ny: int
    depth: int
    root: np.ndarray
    nodes: np.ndarray
    list_start: np.ndarray  # candidate list k is candidates[list_start[k] : list_start[k + 1]]
    candidates: np.ndarray
    leaf_area_share: float


def build_table(polygons: np.ndarray, budget: int) -> TableArrays:
    """Build the table for ``polygons`` spending at most ``budget`` entries on root and nodes."""
    edges = _Edges.of(polygons)
    west, south, east, north = shapely.total_bounds(polygons)
    span = max(east - west, north - south, 1e-6)
    mean_area = float(np.sum(shapely.area(polygons))) / len(polygons)
    # Root cells about the size of an average polygon, at most ~1 M of them, a power of two in
    # size so that every cell edge at every level is an exact binary fraction.
    size = max(math.sqrt(max(mean_area, 0.0)), span / 1000.0, 1e-6)
    size = 2.0 ** math.floor(math.log2(size))
    pad = 4 * MARGIN
    x0, y0 = west - pad, south - pad
    nx = int((east + pad - x0) // size) + 1
    ny = int((north + pad - y0) // size) + 1
    t = TableArrays(x0, y0, size, nx, ny, 0, np.full(nx * ny, NONE, dtype=np.int32), np.zeros(0, np.int32),
                    np.zeros(1, np.int64), np.zeros(0, np.int32), 0.0)

    gx, gy = np.meshgrid(np.arange(nx, dtype=np.int64), np.arange(ny, dtype=np.int64), indexing="xy")
    level = _Level(gx.ravel(), gy.ravel(), t.root)
    pair_cell, pair_edge = edges.cells_of(np.arange(edges.count), t, 0, None)
    spent, depth, n_nodes = t.root.size, 0, 0
    blocks: list[np.ndarray] = []
    leaf_cells, leaf_polys, leaf_targets = [], [], []  # per level: (leaf, polygon) pairs and where leaves go
    n_leaves, leaf_area = 0, 0.0
    while True:
        cell_size = size / BRANCH ** depth
        touched = np.zeros(level.gx.size, dtype=bool)
        touched[pair_cell] = True
        split = _to_split(touched, pair_cell, pair_edge, edges, budget - spent,
                          depth < MAX_DEPTH and cell_size / BRANCH > 1000 * MARGIN)
        leaves = np.flatnonzero(touched & ~split)
        # Untouched cells: the polygons covering the centre cover the whole cell (the smallest
        # owns it). Leaves also need the polygons covering them whole (they have no edge inside).
        ask, run_of = _runs(touched, split, depth)
        q, poly = _ScanLine(edges, t, depth).covering(level.gx[ask], level.gy[ask])
        q = ask[q]
        cell, owner = _smallest_per_cell(q, poly)
        free = ~touched[cell]
        level.target[cell[free]] = owner[free]
        if run_of is not None:  # the rest of each run of untouched cells: the same as its first
            rest = np.flatnonzero(~touched & (run_of != np.arange(touched.size)))
            level.target[rest] = level.target[run_of[rest]]
        if leaves.size:
            leaf = np.full(level.gx.size, -1, dtype=np.int64)
            leaf[leaves] = n_leaves + np.arange(leaves.size)
            in_leaf = touched[pair_cell] & ~split[pair_cell]
            whole = touched[q] & ~split[q]
            leaf_cells.append(np.concatenate([leaf[pair_cell[in_leaf]], leaf[q[whole]]]))
            leaf_polys.append(np.concatenate([edges.polygon[pair_edge[in_leaf]], poly[whole]]))
            leaf_targets.append((level.target, leaves))
            n_leaves += leaves.size
            leaf_area += leaves.size * cell_size ** 2
        if not split.any():
            break
        # Split cells get BRANCH × BRANCH children each, in a new block of nodes.
        parents = np.flatnonzero(split)
        level.target[parents] = -2 - 2 * (n_nodes + np.arange(parents.size))
        n_nodes += parents.size
        spent += parents.size * BRANCH * BRANCH
        block = np.full(parents.size * BRANCH * BRANCH, NONE, dtype=np.int32)
        blocks.append(block)
        parent_of = np.full(level.gx.size, -1, dtype=np.int64)
        parent_of[parents] = np.arange(parents.size)
        sub = np.arange(BRANCH * BRANCH)
        child_gx = (level.gx[parents][:, None] * BRANCH + sub % BRANCH).ravel()
        child_gy = (level.gy[parents][:, None] * BRANCH + sub // BRANCH).ravel()
        going = split[pair_cell]
        depth += 1
        pair_cell, pair_edge = edges.cells_of(pair_edge[going], t, depth,
                                              (parent_of[pair_cell[going]], level.gx[parents], level.gy[parents]))
        level = _Level(child_gx, child_gy, block)
    t.depth = depth
    if n_leaves:
        list_of_leaf = _shared_lists(t, n_leaves, np.concatenate(leaf_cells), np.concatenate(leaf_polys), len(polygons))
        first = 0
        for target, cells in leaf_targets:
            target[cells] = -2 - (2 * list_of_leaf[first:first + cells.size] + 1)
            first += cells.size
    t.nodes = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.int32)  # after the leaves: copies
    t.leaf_area_share = leaf_area / (nx * ny * size * size)
    return t


@dataclass
class _Level:
    gx: np.ndarray  # cell coordinates at this level's resolution
    gy: np.ndarray
    target: np.ndarray  # the array (root or a node block) holding this level's values, in cell order


def _to_split(touched, pair_cell, pair_edge, edges, room: int, allowed: bool) -> np.ndarray:
    """Which touched cells to split: all, or as many as ``room`` allows, busiest first.

    Busiest = most polygons with an edge in the cell (each is a test for points there), then
    most edges. Splitting a cell costs BRANCH² entries.
    """
    split = np.zeros(touched.size, dtype=bool)
    cells = np.flatnonzero(touched)
    can = room // (BRANCH * BRANCH) if allowed else 0
    if can >= cells.size:
        split[cells] = True
    elif can > 0:
        key = np.sort(pair_cell * (edges.polygon.max() + 1) + edges.polygon[pair_edge])
        key = key[np.r_[True, key[1:] != key[:-1]]]  # distinct (cell, polygon)
        polys = np.bincount(key // (edges.polygon.max() + 1), minlength=touched.size)
        edge_count = np.bincount(pair_cell, minlength=touched.size)
        order = np.lexsort((-edge_count[cells], -polys[cells]))
        split[cells[order[:can]]] = True
    return split


def _runs(touched: np.ndarray, split: np.ndarray, depth: int) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """Which cells need a scan-line query, and for untouched cells the run they belong to.

    Below the root, children come in rows of BRANCH within their parent's block. Untouched
    neighbours in such a row share a side no edge touches, so they lie in the same polygons:
    only the first of each run of untouched cells is asked (a third of the cells, typically).
    Touched cells that stay leaves are always asked (for the polygons covering them whole).
    """
    if depth == 0:
        return np.flatnonzero(~split), None
    free = ~touched
    position = np.arange(touched.size)
    starts_row = position % BRANCH == 0
    run_start = free & (starts_row | np.r_[True, touched[:-1]])
    run_of = np.maximum.accumulate(np.where(run_start, position, 0))
    ask = np.flatnonzero(run_start | (touched & ~split))
    return ask, run_of


def _smallest_per_cell(cell: np.ndarray, poly: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For (cell, polygon) pairs: each cell once, with its smallest polygon index (the owner)."""
    if cell.size == 0:
        return cell, poly
    order = np.lexsort((poly, cell))
    cell, poly = cell[order], poly[order]
    first = np.r_[True, cell[1:] != cell[:-1]]
    return cell[first], poly[first]


def _shared_lists(t: TableArrays, leaves: int, leaf: np.ndarray, poly: np.ndarray, n: int) -> np.ndarray:
    """Store each distinct candidate list once (neighbouring leaves along an edge share theirs).

    Sets ``t.list_start`` and ``t.candidates`` (lists sorted by polygon index, no repeats) and
    returns the list number of every leaf.
    """
    key = np.sort(leaf.astype(np.int64) * n + poly)
    key = key[np.r_[True, key[1:] != key[:-1]]]
    leaf, poly = key // n, key % n
    start = np.searchsorted(leaf, np.arange(leaves + 1))
    count = np.diff(start)
    # Hash each list (position-weighted, wrapping uint64 arithmetic), group equal hashes, and
    # check that lists with equal hashes are really equal before sharing them.
    position = np.arange(leaf.size) - np.repeat(start[:-1], count)
    mix = (poly.astype(np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
    mix ^= (position.astype(np.uint64) + np.uint64(1)) * np.uint64(0xC2B2AE3D27D4EB4F)
    mix = mix * np.uint64(0x165667B19E3779F9) + (mix >> np.uint64(29))
    digest = np.zeros(leaves, dtype=np.uint64)
    _add_by_group(digest, leaf, mix)
    digest ^= count.astype(np.uint64) * np.uint64(0x27D4EB2F165667C5)
    order = np.argsort(digest, kind="stable")
    first = np.r_[True, digest[order][1:] != digest[order][:-1]]
    group = np.cumsum(first) - 1
    representative = order[first][group]  # per leaf in ``order``: the first leaf with its hash
    list_of_leaf = np.empty(leaves, dtype=np.int64)
    list_of_leaf[order] = group
    _check_same_lists(order, representative, start, count, poly)
    reps = order[first]
    rep_count = count[reps]
    t.list_start = np.r_[0, np.cumsum(rep_count)].astype(np.int64)
    take = np.repeat(start[:-1][reps], rep_count) + np.arange(rep_count.sum()) - np.repeat(t.list_start[:-1], rep_count)
    t.candidates = poly[take].astype(np.int32)
    return list_of_leaf


def _add_by_group(total: np.ndarray, group: np.ndarray, value: np.ndarray) -> None:
    """total[g] += value for sorted ``group`` (wrapping), without np.add.at's slowness."""
    bounds = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sums = np.add.reduceat(value, bounds)
    total[group[bounds]] += sums


def _check_same_lists(leaves, representative, start, count, poly) -> None:
    differs = count[leaves] != count[representative]
    if not differs.any():
        c = count[leaves]
        a = np.repeat(start[:-1][leaves], c) + np.arange(c.sum()) - np.repeat(np.cumsum(c) - c, c)
        b = np.repeat(start[:-1][representative], c) + np.arange(c.sum()) - np.repeat(np.cumsum(c) - c, c)
        differs = poly[a] != poly[b]
    if differs.any():  # a 64-bit hash collision: astronomically unlikely, but never silently wrong
        raise RuntimeError("candidate list hash collision; please report this map")


@dataclass
class _Edges:
    """Every ring segment of every polygon: edge i runs from (x[i], y[i]) to (x[i+1], y[i+1])."""

    x: np.ndarray
    y: np.ndarray
    start: np.ndarray  # index of each edge's first point in x, y
    polygon: np.ndarray

    @property
    def count(self) -> int:
        return self.start.size

    @classmethod
    def of(cls, polygons: np.ndarray) -> _Edges:
        parts, part_of = shapely.get_parts(polygons, return_index=True)  # get_rings skips multi-parts
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        xy, ring_of = shapely.get_coordinates(rings, return_index=True)
        start = np.flatnonzero(ring_of[1:] == ring_of[:-1])
        polygon = part_of[ring_part[ring_of[start]]].astype(np.int64)
        return cls(np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1]), start, polygon)

    def ends(self, edge: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        i = self.start[edge]
        return self.x[i], self.y[i], self.x[i + 1], self.y[i + 1]

    def cells_of(self, edge: np.ndarray, t: TableArrays, depth: int,
                 parents: Optional[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        """(cell, edge) pairs: the cells of level ``depth`` whose grown box each edge touches.

        At depth 0, ``cell`` is a root index; deeper, ``parents`` gives each edge's split parent
        (its position among the parents) and the parents' coordinates, and ``cell`` is
        ``parent * 16 + sub``. Works in chunks: numpy temporaries of a few MB are reused from the
        heap, where ones of hundreds of MB are fresh pages each time (most of the build's time).
        """
        cells, edges = [], []
        for first in range(0, edge.size, BUILD_CHUNK):
            part = slice(first, first + BUILD_CHUNK)
            chunk_parents = None if parents is None else (parents[0][part], parents[1], parents[2])
            cell, kept = self._cells_of(edge[part], t, depth, chunk_parents)
            cells.append(cell)
            edges.append(kept)
        if not cells:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(cells), np.concatenate(edges)

    def _cells_of(self, edge, t, depth, parents):
        scale = BRANCH ** depth / t.size
        grow = MARGIN * scale
        x1, y1, x2, y2 = self.ends(edge)
        lo_x = np.floor((np.minimum(x1, x2) - t.x0) * scale - grow).astype(np.int64)
        hi_x = np.floor((np.maximum(x1, x2) - t.x0) * scale + grow).astype(np.int64)
        lo_y = np.floor((np.minimum(y1, y2) - t.y0) * scale - grow).astype(np.int64)
        hi_y = np.floor((np.maximum(y1, y2) - t.y0) * scale + grow).astype(np.int64)
        if parents is None:
            min_x, min_y = 0, 0
            lo_x, hi_x = np.maximum(lo_x, 0), np.minimum(hi_x, t.nx - 1)
            lo_y, hi_y = np.maximum(lo_y, 0), np.minimum(hi_y, t.ny - 1)
        else:
            parent, parent_gx, parent_gy = parents
            min_x, min_y = parent_gx[parent] * BRANCH, parent_gy[parent] * BRANCH
            lo_x, hi_x = np.maximum(lo_x, min_x), np.minimum(hi_x, min_x + BRANCH - 1)
            lo_y, hi_y = np.maximum(lo_y, min_y), np.minimum(hi_y, min_y + BRANCH - 1)
        nx = hi_x - lo_x + 1
        count = nx * (hi_y - lo_y + 1)
        # Most edges are short and lie in one cell; only the others are expanded and box-tested.
        one = np.flatnonzero(count == 1)
        many = np.flatnonzero(count > 1)
        pair = np.repeat(many, count[many])
        k = np.arange(pair.size) - np.repeat(np.cumsum(count[many]) - count[many], count[many])
        cx = lo_x[pair] + k % nx[pair]
        cy = lo_y[pair] + k // nx[pair]
        touch = _segment_touches_box(x1[pair], y1[pair], x2[pair], y2[pair], t.x0 + cx / scale,
                                     t.y0 + cy / scale, 1 / scale)
        pair = np.concatenate([one, pair[touch]])
        cx = np.concatenate([lo_x[one], cx[touch]])
        cy = np.concatenate([lo_y[one], cy[touch]])
        if parents is None:
            cell = cy * t.nx + cx
        else:
            cell = parent[pair] * (BRANCH * BRANCH) + (cy - min_y[pair]) * BRANCH + (cx - min_x[pair])
        return cell, edge[pair]


def _segment_touches_box(x1, y1, x2, y2, bx, by, size) -> np.ndarray:
    """Whether each segment touches its box grown by MARGIN, given that their extents overlap.

    True unless all four corners lie strictly on one side of the segment's line. Rounding here is
    about 1e-16 of the coordinates, far inside the margin, so no touching edge is ever missed.
    """
    lo_x, lo_y, hi_x, hi_y = bx - MARGIN, by - MARGIN, bx + size + MARGIN, by + size + MARGIN
    dx, dy = x2 - x1, y2 - y1
    side = [dx * (cy - y1) - dy * (cx - x1) for cx, cy in ((lo_x, lo_y), (hi_x, lo_y), (hi_x, hi_y), (lo_x, hi_y))]
    return (np.minimum.reduce(side) <= 0) & (np.maximum.reduce(side) >= 0)


class _ScanLine:
    """Which polygons cover given cell centres, from crossings along each centre's row.

    A horizontal line through a row of centres crosses polygon edges; between consecutive
    crossings of one polygon (in x order) the line is alternately outside and inside it. The
    straddle rule is GEOS's (an edge counts if exactly one endpoint lies strictly above the line),
    so a vertex on the line counts once or twice exactly as it should. Centres of untouched cells
    lie at least half a cell from every edge, so rounding in the crossing x cannot matter.
    """

    def __init__(self, edges: _Edges, t: TableArrays, depth: int):
        self.edges, self.t = edges, t
        self.size = t.size / BRANCH ** depth

    def _crossings(self, edges: slice, row_y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, polygon, x) where the edges ``edges`` cross the rows' centre lines."""
        e = self.edges
        first = e.start[edges]
        ex1, ey1, ex2, ey2 = e.x[first], e.y[first], e.x[first + 1], e.y[first + 1]
        low, high = np.minimum(ey1, ey2), np.maximum(ey1, ey2)
        a = np.searchsorted(row_y, low, side="left")
        count = np.searchsorted(row_y, high, side="left") - a  # rows with low <= y < high
        pair = np.repeat(np.arange(first.size), count)
        row = a[pair] + np.arange(pair.size) - np.repeat(np.cumsum(count) - count, count)
        y = row_y[row]
        # From the lower endpoint, so an edge shared by two polygons (once forwards, once
        # backwards) gives both the very same crossing x.
        up = ey1[pair] <= ey2[pair]
        xa, ya = np.where(up, ex1[pair], ex2[pair]), np.where(up, ey1[pair], ey2[pair])
        xb, yb = np.where(up, ex2[pair], ex1[pair]), np.where(up, ey2[pair], ey1[pair])
        x = xa + (y - ya) * (xb - xa) / (yb - ya)
        return row, e.polygon[edges][pair], x

    def covering(self, gx: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(query, polygon) pairs: every polygon covering the centre of cell (gx, gy)."""
        empty = np.zeros(0, dtype=np.int64)
        if gx.size == 0:
            return empty, empty
        t, size = self.t, self.size
        rows = np.unique(gy)
        row_y = t.y0 + (rows + 0.5) * size  # the same expression as the queries' y below
        parts = [self._crossings(slice(first, first + BUILD_CHUNK), row_y)
                 for first in range(0, self.edges.count, BUILD_CHUNK)]
        row, poly, x = (np.concatenate([p[k] for p in parts]) for k in range(3))
        # Inside intervals: one polygon's crossings on one row, in x order, pair up (in, out).
        order = np.lexsort((x, row * (int(poly.max()) + 1 if poly.size else 1) + poly))
        row, poly, x = row[order], poly[order], x[order]
        i_row, i_poly, start, end = row[0::2], poly[0::2], x[0::2], x[1::2]
        # Stab each query with the intervals of its row, by a combined (row, x) sort key. The
        # key's rounding (< 1e-9°) only reorders intervals that start next to the query, i.e.
        # polygons with an edge in its cell, and every hit is confirmed exactly below.
        stride = 2.0 ** math.ceil(math.log2(2 * (t.nx * t.size) + 1))
        key_start = i_row * stride + (start - t.x0)
        order = np.argsort(key_start, kind="stable")
        i_row, i_poly, start, end, key_start = i_row[order], i_poly[order], start[order], end[order], key_start[order]
        reach = np.maximum.accumulate(i_row * stride + (end - t.x0)) if end.size else end
        q_row = np.searchsorted(rows, gy)
        qx = t.x0 + (gx + 0.5) * size
        q_key = q_row * stride + (qx - t.x0)
        pos = np.searchsorted(key_start, q_key, side="right") - 1
        out_q, out_p = [], []
        q = np.arange(gx.size)
        while q.size:
            p = pos[q]
            alive = (p >= 0)
            q, p = q[alive], p[alive]
            alive = (i_row[p] == q_row[q]) & (reach[p] >= q_key[q] - 1e-6)
            q, p = q[alive], p[alive]
            hit = (start[p] <= qx[q]) & (end[p] >= qx[q])
            out_q.append(q[hit])
            out_p.append(i_poly[p[hit]])
            pos[q] -= 1
        return np.concatenate(out_q), np.concatenate(out_p)
