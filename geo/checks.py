"""Checks across grids: hierarchy, overlaps, gaps and the district outline.

Owns the rules that need more than one feature: a village under two townships, grids that
overlap, places inside the district that no grid covers, grids outside a declared outline.
Each problem gives a point inside it (lon/lat) and its area in m² (``geo.metric``: an
equal-area projection; shapely alone would give square degrees). Must not read files.

Severity: a village under two townships or an overlap above ``overlap_error_share`` of the
smaller grid is an error (routing would be ambiguous or a grid is plainly wrong); a small
overlap, a gap, a grid outside the outline, a repeated grid name are warnings: the map loads,
and the ownership rule (smallest grid_id; the district centre for points in no grid) applies.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from gridalert.geo.metric import area_m2
from gridalert.geo.report import Problem, error, square_metres, warning, where


@dataclass(frozen=True)
class CheckRules:
    """Thresholds of the map checks (m² are real square metres on the ground).

    ``ignore_below_m2``: overlaps and gaps smaller than this are rounding noise of digitising,
    counted in one line but not listed; ``overlap_error_share``: an overlap larger than this
    share of the smaller grid's area refuses the map; ``max_listed``: lines per kind of problem
    before the rest are summed up in one line.
    """

    ignore_below_m2: float = 0.01
    overlap_error_share: float = 0.05
    max_listed: int = 500


def hierarchy(entries: Sequence[str], props: Sequence[dict]) -> list[Problem]:
    """A village under two townships (error); a township under two districts, a repeated grid
    name in one village (warnings)."""
    problems: list[Problem] = []
    by_village: dict[tuple, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    by_township: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, p in enumerate(props):
        by_village[(p["district"], p["village"])][p["township"]].append(i)
        by_township[p["township"]][p["district"]].append(i)
    for (district, village), townships in by_village.items():
        if len(townships) > 1:
            main = _main(townships)
            for township, members in townships.items():
                if township != main:
                    first = townships[main][0]
                    problems.append(error(entries[members[0]], (
                        f"village {village} is under township {township} here ({_grids(members, entries)}) but under "
                        f"{main} in {len(townships[main])} other grids (first: {entries[first]}); a village belongs "
                        "to one township: correct the village or the township name"), (members[0],)))
    for township, districts in by_township.items():
        if len(districts) > 1:
            main = _main(districts)
            for district, members in districts.items():
                if district != main:
                    problems.append(warning(entries[members[0]], (
                        f"township {township} is in district {district} here ({_grids(members, entries)}) but in "
                        f"{main} in {len(districts[main])} other grids; a roster entry naming {township} would be "
                        "ambiguous"), (members[0],)))
    names: dict[tuple, int] = {}
    for i, p in enumerate(props):
        key = (p["district"], p["township"], p["village"], p["grid_name"])
        if key in names:
            problems.append(warning(entries[i], f"grid_name {p['grid_name']} is also used by {entries[names[key]]} "
                                                f"in village {p['village']}", (i,)))
        else:
            names[key] = i
    return problems


def _main(groups: dict[str, list[int]]) -> str:
    """The group most features are in (ties: the smallest name): taken as the intended one."""
    return min(groups, key=lambda name: (-len(groups[name]), name))


def _grids(members: list[int], entries: Sequence[str]) -> str:
    shown = ", ".join(entries[m] for m in members[:3])
    return shown + (f" and {len(members) - 3} more" if len(members) > 3 else "")


def is_coverage(geometries: np.ndarray) -> bool:
    """True when no two grids overlap and neighbours share identical edges (GEOS coverage rules)."""
    return len(geometries) < 2 or bool(shapely.coverage_is_valid(geometries))


def overlaps(entries: Sequence[str], ids: Sequence[str], geometries: np.ndarray, rules: CheckRules,
             coverage: bool) -> list[Problem]:
    """Every pair of grids whose interiors overlap, with the overlap's area and a point in it."""
    if coverage:
        return []
    # Only grids with edges GEOS finds invalid as a coverage can be in an overlap.
    suspect = np.flatnonzero(~shapely.is_empty(shapely.coverage_invalid_edges(geometries)))
    tree = shapely.STRtree(geometries)
    a, b = tree.query(geometries[suspect], predicate="intersects")
    a = suspect[a]
    keep = a < b
    a, b = a[keep], b[keep]
    shared = shapely.intersection(geometries[a], geometries[b])
    shared = np.array([polygonal(g) for g in shared], dtype=object)
    area = area_m2(shared)
    big = area >= rules.ignore_below_m2
    problems, small = [], int(np.count_nonzero((area > 0) & ~big))
    grid_area = area_m2(geometries)
    for i, j, piece, m2 in zip(a[big], b[big], shared[big], area[big]):
        first, second = (i, j) if i < j else (j, i)  # file order
        owner = min(ids[i], ids[j])
        point = shapely.point_on_surface(piece)
        share = m2 / min(grid_area[i], grid_area[j])
        make = error if share > rules.overlap_error_share else warning
        problems.append(make(entries[first], (
            f"overlaps {entries[second]} by {square_metres(m2)} ({share:.1%} of the smaller grid) around "
            f"{where(point.x, point.y)}; points there go to {owner} (smallest grid_id)"),
            (first,), lon=point.x, lat=point.y, area_m2=float(m2)))
    problems = _capped(problems, rules, "overlaps")
    if small:
        problems.append(warning("overlaps", f"{small} more overlaps under {square_metres(rules.ignore_below_m2)} each "
                                            "(digitising noise) not listed", (float("inf"),)))
    return problems


def district_union(geometries: np.ndarray, coverage: bool) -> shapely.Geometry:
    """All grids as one shape: the district outline when none is declared."""
    return shapely.coverage_union_all(geometries) if coverage else shapely.union_all(geometries)


def gaps(ids: Sequence[str], geometries: np.ndarray, union: shapely.Geometry, outline: shapely.Geometry | None,
         rules: CheckRules) -> list[Problem]:
    """Places inside the district outline that no grid covers: holes in the union of the grids,
    or, with a declared outline, what of the outline the grids leave uncovered."""
    if outline is None:
        rings = [ring for part in shapely.get_parts(union) for ring in part.interiors]
        holes = np.array([shapely.Polygon(ring) for ring in rings], dtype=object)
        if holes.size:  # an island grid inside a hole is not part of the gap
            tree = shapely.STRtree(geometries)
            inside, grid = tree.query(holes, predicate="contains_properly")
            for k in np.unique(inside):
                holes[k] = polygonal(shapely.difference(holes[k], shapely.union_all(geometries[grid[inside == k]])))
    else:
        holes = np.array([g for g in shapely.get_parts(shapely.difference(outline, union))
                          if g.geom_type == "Polygon"], dtype=object)
    if holes.size == 0:
        return []
    area = area_m2(holes)
    big = np.flatnonzero(area >= rules.ignore_below_m2)
    big = big[np.argsort(-area[big], kind="stable")]  # the largest gaps first
    tree = shapely.STRtree(geometries)
    hole, grid = tree.query(holes[big], predicate="intersects")
    problems = []
    for n, k in enumerate(big):
        point = shapely.point_on_surface(holes[k])
        near = sorted(ids[g] for g in grid[hole == n])
        nearby = f"; next to {', '.join(near[:4])}{' …' if len(near) > 4 else ''}" if near else ""
        problems.append(warning(f"gap {n + 1}", (
            f"{square_metres(area[k])} in no grid around {where(point.x, point.y)}{nearby}; points there "
            "go to the district centre (unassigned)"), (float("inf"), n), lon=point.x, lat=point.y, area_m2=float(area[k])))
    problems = _capped(problems, rules, "gaps")
    small = int(np.count_nonzero((area > 0) & (area < rules.ignore_below_m2)))
    if small:
        problems.append(warning("gaps", f"{small} more gaps under {square_metres(rules.ignore_below_m2)} each "
                                        "(digitising noise) not listed", (float("inf"), len(big))))
    return problems


def outside_outline(entries: Sequence[str], geometries: np.ndarray, outline: shapely.Geometry,
                    rules: CheckRules) -> list[Problem]:
    """Grids reaching outside a declared district outline (warning: they still load)."""
    beyond = shapely.difference(geometries, outline)
    area = area_m2(beyond)
    problems = []
    for i in np.flatnonzero(area >= rules.ignore_below_m2):
        point = shapely.point_on_surface(beyond[i])
        problems.append(warning(entries[i], f"reaches {square_metres(area[i])} outside the district outline around "
                                            f"{where(point.x, point.y)}", (i,), lon=point.x, lat=point.y,
                                area_m2=float(area[i])))
    return _capped(problems, rules, "grids outside the outline")


def _capped(problems: list[Problem], rules: CheckRules, what: str) -> list[Problem]:
    if len(problems) <= rules.max_listed:
        return problems
    rest = problems[rules.max_listed:]
    kinds = Counter(p.severity.value for p in rest)
    summary = ", ".join(f"{n} {k}s" for k, n in sorted(kinds.items()))
    make = error if kinds.get("error") else warning
    return problems[:rules.max_listed] + [make(what, f"{len(rest)} more not listed ({summary})", (float("inf"), 1e18))]


def polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    parts = [p for p in shapely.get_parts(geometry) if p.geom_type == "Polygon" and not p.is_empty]
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
