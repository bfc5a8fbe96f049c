"""Benchmark: point → grid location at county (853 grids) and province (100,000 grids) scale.

Compares gridalert's cell table (``geo.locator.CellTable`` behind ``GridMap``) with the obvious
baseline, ``shapely.STRtree.query(points, predicate="within")`` plus smallest-index ownership,
measured in the same run on the same synthetic maps (``geo.synth`` presets, 50–200 vertices per
grid) and the same points (uniform over the map's bounding box, so some fall outside every grid).

Run:  python benchmarks/geo_locate.py            (both maps, about 2 minutes on 2 cores)
      python benchmarks/geo_locate.py --quick    (county only, fewer points, about 10 s)
      python benchmarks/geo_locate.py --sweep    (also the province at half/double memory, ~4 min)

Timings are the best of ``--repeat`` runs (the machine may be shared); memory is what the index
holds after building (tracemalloc sees numpy arrays; GEOS allocations show only in the RSS delta).
Prints one table; paste it into docs/performance.md with the machine line above it.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from benchmarks.inprocess import rss_bytes  # noqa: E402
from gridalert.geo.gridmap import GridMap  # noqa: E402
from gridalert.geo.synth import PRESETS, build  # noqa: E402


@dataclass
class Row:
    map: str
    method: str
    build_s: float
    index_mb: float
    rss_mb: float
    single: float  # points per second
    batch_random: float
    batch_sorted: float
    places: float = float("nan")


def rss_mb() -> float:
    return rss_bytes() / 2**20


def best(repeat: int, fn) -> float:
    """Best wall time of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measured_build(make):
    gc.collect()
    rss0 = rss_mb()
    tracemalloc.start()
    start = time.perf_counter()
    value = make()
    seconds = time.perf_counter() - start
    traced, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    gc.collect()
    return value, seconds, traced / 2**20, rss_mb() - rss0


def strtree_owner(tree: shapely.STRtree, n_polygons: int, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    point, polygon = tree.query(shapely.points(x, y), predicate="within")
    owner = np.full(x.size, n_polygons)
    np.minimum.at(owner, point, polygon)
    return np.where(owner == n_polygons, -1, owner)


def bench_budget(label: str, synth, budget: int, x, y, xs, ys, n_single: int, repeat: int) -> Row:
    """The cell table alone at another memory budget (entries of 4 bytes)."""
    print(f"  … table at a budget of {budget:,} entries", file=sys.stderr, flush=True)
    grids, seconds, _, rss = measured_build(lambda: GridMap(synth.grids(), table_budget=budget))
    t_random = best(repeat, lambda: grids.locate_indices(x, y))
    t_sorted = best(repeat, lambda: grids.locate_indices(xs, ys))
    sx, sy = x[:n_single].tolist(), y[:n_single].tolist()
    index = grids.table.index
    t_single = best(repeat, lambda: [index(a, b) for a, b in zip(sx, sy)])
    shape = grids.table.shape
    return Row(label, f"cell table, budget {budget / 1e6:g} M ({shape.leaf_area_share:.1%} of area tested)", seconds,
               shape.nbytes / 2**20, rss, n_single / t_single, x.size / t_random, x.size / t_sorted)


def bench_map(name: str, preset: str, n_batch: int, n_single: int, repeat: int, seed: int,
              budgets: tuple[int, ...] = ()) -> list[Row]:
    print(f"[{name}] building the synthetic map …", file=sys.stderr, flush=True)
    synth = build(PRESETS[preset])
    polygons = synth.geometries
    vertices = int(shapely.get_num_coordinates(polygons).sum())
    rng = np.random.default_rng(seed)
    west, south, east, north = shapely.total_bounds(polygons)
    x, y = rng.uniform(west, east, n_batch), rng.uniform(south, north, n_batch)

    print(f"[{name}] {len(polygons):,} grids, {vertices:,} vertices; building the cell table …", file=sys.stderr, flush=True)
    grids, table_s, table_mb, table_rss = measured_build(lambda: GridMap(synth.grids()))
    table = grids.table
    size = table.shape.nbytes / 2**20
    # Sorted by root cell (row-major), as a gateway batching by area would deliver them.
    u = np.floor((x - table._x0) * table._inv)
    w = np.floor((y - table._y0) * table._inv)
    order = np.lexsort((u, w))
    xs, ys = x[order], y[order]

    print(f"[{name}] timing the cell table …", file=sys.stderr, flush=True)
    found = grids.locate_indices(x, y)
    t_random = best(repeat, lambda: grids.locate_indices(x, y))
    t_sorted = best(repeat, lambda: grids.locate_indices(xs, ys))
    sx, sy = x[:n_single].tolist(), y[:n_single].tolist()
    index = table.index
    t_single = best(repeat, lambda: [index(a, b) for a, b in zip(sx, sy)])
    n_places = min(n_single, 200_000)
    t_places = best(repeat, lambda: grids.locate_many(x[:n_places], y[:n_places]))

    print(f"[{name}] building and timing the STRtree baseline …", file=sys.stderr, flush=True)
    tree, tree_s, tree_mb, tree_rss = measured_build(lambda: shapely.STRtree(polygons))
    check = min(n_batch, 200_000)
    baseline = strtree_owner(tree, len(polygons), x[:check], y[:check])
    # "within" leaves out points exactly on boundaries; random points never are, so they agree.
    agree = bool((baseline == found[:check]).all())
    n_tree = min(n_batch, 1_000_000)
    tb_random = best(repeat, lambda: strtree_owner(tree, len(polygons), x[:n_tree], y[:n_tree]))
    tb_sorted = best(repeat, lambda: strtree_owner(tree, len(polygons), xs[:n_tree], ys[:n_tree]))
    n_tree_single = min(n_single, 20_000)
    pts = [shapely.Point(a, b) for a, b in zip(sx[:n_tree_single], sy[:n_tree_single])]
    tb_single = best(repeat, lambda: [tree.query(p, predicate="within") for p in pts])

    label = f"{name} ({len(polygons):,} grids, {vertices / len(polygons):.0f} vertices/grid)"
    shape = table.shape
    print(f"[{name}] table: {shape.root_cells:,} root cells, {shape.nodes:,} split cells, depth {shape.depth}, "
          f"{shape.candidate_lists:,} candidate lists, {shape.leaf_area_share:.1%} of the area needs a polygon test; "
          f"agrees with STRtree on {check:,} points: {agree}", file=sys.stderr, flush=True)
    if not agree:
        raise SystemExit("the cell table disagrees with the STRtree baseline: not a benchmark, a bug")
    rows = [
        Row(label, f"cell table (gridalert; {shape.leaf_area_share:.1%} of area tested)", table_s, size, table_rss,
            n_single / t_single, n_batch / t_random, n_batch / t_sorted, n_places / t_places),
        Row(label, "STRtree within (baseline)", tree_s, tree_mb, tree_rss, n_tree_single / tb_single,
            n_tree / tb_random, n_tree / tb_sorted),
    ]
    del grids, tree
    for budget in budgets:
        rows.append(bench_budget(label, synth, budget, x, y, xs, ys, n_single, repeat))
    return rows


def render(rows: list[Row]) -> str:
    head = ("| map | method | build s | index MB | RSS Δ MB | single pts/s | batch pts/s (random) "
            "| batch pts/s (sorted by cell) | Places/s |")
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        places = "" if np.isnan(r.places) else f"{r.places / 1e6:.2f} M"
        lines.append(f"| {r.map} | {r.method} | {r.build_s:.1f} | {r.index_mb:.0f} | {r.rss_mb:.0f} | {_rate(r.single)} | "
                     f"{_rate(r.batch_random)} | {_rate(r.batch_sorted)} | {places} |")
    return "\n".join(lines)


def _rate(per_s: float) -> str:
    return f"{per_s / 1e6:.2f} M" if per_s >= 1e5 else f"{per_s / 1e3:.0f} k"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, shapely {shapely.__version__}, "
            f"GEOS {shapely.geos_version_string}, numpy {np.__version__}; load average {load}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="county map only, fewer points")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing; the best counts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sweep", action="store_true",
                        help="also time the province table at half and double the default memory budget")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(machine())
    rows = bench_map("county", "kaiyang", 200_000 if args.quick else 2_000_000, 20_000 if args.quick else 200_000,
                     args.repeat, args.seed)
    if not args.quick:
        budgets = (12_000_000, 48_000_000) if args.sweep else ()
        rows += bench_map("province", "province", 2_000_000, 200_000, args.repeat, args.seed, budgets)
    print(render(rows))
    print(f"total {time.perf_counter() - started:.0f} s; load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
