"""The fast location path answers exactly what a plain ``covers`` test and the ownership rule say.

The rule, written out plainly in ``expected``: among the grids whose polygon covers the point
(boundary included), the one with the smallest grid_id; -1 when none does. Hypothesis throws
random points, vertices, points on and next to edges, and points on the table's own cell
borders at every map, for tables deep and shallow.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
import shapely.affinity
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridalert.geo import GridInfo, GridMap
from gridalert.geo.locator import CellTable
from gridalert.geo.synth import PRESETS, build
from gridalert.streams.records import UNASSIGNED, Place

DISTRICT = "测试区"


def info(grid_id: str, village: str = "甲村") -> GridInfo:
    return GridInfo(grid_id, f"{grid_id}网格", village, "甲镇", DISTRICT)


def rectangles() -> list[tuple[GridInfo, shapely.Geometry]]:
    """Round-number edges that line up with cell borders: the hardest case for a cell table."""
    boxes = {"R-01": (106.60, 26.61, 106.61, 26.62), "R-02": (106.61, 26.61, 106.62, 26.62),
             "R-03": (106.60, 26.60, 106.61, 26.61), "R-04": (106.61, 26.60, 106.62, 26.61),
             "R-05": (106.63, 26.60, 106.64, 26.62), "R-06": (106.5, 26.5, 106.625, 26.5625)}
    return [(info(g), shapely.box(*b)) for g, b in boxes.items()]


def irregular() -> list[tuple[GridInfo, shapely.Geometry]]:
    """A real-looking outline: a MultiPolygon grid with two holes, an island grid inside one
    hole, a concave neighbour sharing a jagged edge, and a small grid overlapping both."""
    shell = [(106.600, 26.600), (106.612, 26.598), (106.6205, 26.6043), (106.6187, 26.6121),
             (106.6236, 26.6188), (106.6101, 26.6242), (106.6033, 26.6175), (106.5981, 26.6089)]
    hole_a = [(106.6050, 26.6040), (106.6090, 26.6050), (106.6080, 26.6090), (106.6045, 26.6075)]
    hole_b = [(106.6120, 26.6150), (106.6160, 26.6150), (106.6160, 26.6190), (106.6120, 26.6190)]
    far_part = shapely.Polygon([(106.630, 26.600), (106.640, 26.601), (106.637, 26.611), (106.629, 26.608)])
    main = shapely.MultiPolygon([shapely.Polygon(shell, [hole_a, hole_b]), far_part])
    island = shapely.Polygon(hole_b)  # fills hole b exactly: shares all its edges
    concave = shapely.Polygon([(106.6205, 26.6043), (106.6280, 26.6020), (106.6290, 26.6200), (106.6236, 26.6188),
                               (106.6187, 26.6121), (106.6250, 26.6110), (106.6240, 26.6080)])
    concave = shapely.difference(concave, main)  # jagged shared edge, computed as a real GIS would
    overlap = shapely.box(106.6170, 26.6100, 106.6215, 26.6140)
    return [(info("M-01"), main), (info("M-02"), island), (info("M-03"), shapely.make_valid(concave)),
            (info("M-00"), overlap)]


def synthetic() -> list[tuple[GridInfo, shapely.Geometry]]:
    synth = build(PRESETS["small"])
    return list(synth.grids())


def null_island() -> list[tuple[GridInfo, shapely.Geometry]]:
    """The irregular map moved across lon 0 / lat 0, where subtracting coordinates is inexact."""
    return [(i, shapely.affinity.translate(g, -106.612, -26.611)) for i, g in irregular()]


MAPS = {"rectangles": rectangles, "irregular": irregular, "synthetic": synthetic, "null island": null_island}
BUDGETS = {"shallow": 1, "medium": 3_000, "default": None}  # 1: no split at all, only root leaves


@pytest.fixture(scope="module", params=[(m, b) for m in MAPS for b in BUDGETS], ids=lambda p: f"{p[0]}-{p[1]}")
def case(request):
    name, budget = request.param
    grids = MAPS[name]()
    grid_map = GridMap(grids, table_budget=BUDGETS[budget])
    ordered = sorted(grids, key=lambda g: g[0].grid_id)
    return grid_map, np.array([g for _, g in ordered], dtype=object)


def expected(polygons: np.ndarray, lons, lats) -> list[int]:
    """The ownership rule, plainly: smallest index whose polygon covers the point, else -1."""
    answers = []
    for x, y in zip(lons, lats):
        point = shapely.Point(x, y)
        covering = [i for i, polygon in enumerate(polygons) if shapely.covers(polygon, point)]
        answers.append(min(covering, default=-1))
    return answers


OFFSETS = [0.0, 1e-13, -1e-13, 1e-10, -1e-10, 9e-10, -9e-10, 1e-9, -1e-9, 1.1e-9, -1.1e-9, 1e-7, -1e-7]


@st.composite
def points(draw, polygons: np.ndarray, table: CellTable):
    """A point of one of several kinds, each aimed at a different way to get location wrong."""
    kind = draw(st.sampled_from(["anywhere", "vertex", "on edge", "cell border"]))
    west, south, east, north = shapely.total_bounds(polygons)
    if kind == "anywhere":
        return (draw(st.floats(west - 0.01, east + 0.01)), draw(st.floats(south - 0.01, north + 0.01)))
    xy = shapely.get_coordinates(polygons[draw(st.integers(0, len(polygons) - 1))])
    k = draw(st.integers(0, len(xy) - 2))
    if kind == "vertex":
        x, y = xy[k]
    elif kind == "on edge":
        t = draw(st.sampled_from([0.5, 0.25, 1 / 3]) | st.floats(0, 1))
        x, y = xy[k] + t * (xy[k + 1] - xy[k])
    else:  # exactly on a border between cells of some level of the table
        depth = draw(st.integers(0, max(table.shape.depth, 0) + 1))
        size = table._inv ** -1 / 4 ** depth
        x = table._x0 + math.floor((xy[k][0] - table._x0) / size) * size
        y = xy[k][1] if draw(st.booleans()) else table._y0 + math.floor((xy[k][1] - table._y0) / size) * size
    return (float(x) + draw(st.sampled_from(OFFSETS)), float(y) + draw(st.sampled_from(OFFSETS)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_batches_agree_with_a_plain_covers_test_and_the_ownership_rule(case, data):
    grid_map, polygons = case
    batch = data.draw(st.lists(points(polygons, grid_map.table), min_size=1, max_size=30))
    lons, lats = [p[0] for p in batch], [p[1] for p in batch]
    assert grid_map.locate_indices(lons, lats).tolist() == expected(polygons, lons, lats)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_single_point_gets_the_same_answer_as_in_a_batch(case, data):
    grid_map, polygons = case
    lon, lat = data.draw(points(polygons, grid_map.table))
    index = grid_map.table.index(lon, lat)
    assert index == expected(polygons, [lon], [lat])[0]
    assert grid_map.locate(lon, lat) == grid_map.places([index])[0]


def test_every_vertex_of_every_grid_goes_to_its_owner(case):
    grid_map, polygons = case
    xy = shapely.get_coordinates(polygons)
    assert grid_map.locate_indices(xy[:, 0], xy[:, 1]).tolist() == expected(polygons, xy[:, 0], xy[:, 1])


def test_a_large_batch_agrees_with_an_strtree_query(case):
    grid_map, polygons = case
    rng = np.random.default_rng(7)
    west, south, east, north = shapely.total_bounds(polygons)
    x, y = rng.uniform(west - 0.001, east + 0.001, 200_000), rng.uniform(south - 0.001, north + 0.001, 200_000)
    point, polygon = shapely.STRtree(polygons).query(shapely.points(x, y), predicate="intersects")
    owner = np.full(x.size, len(polygons))
    np.minimum.at(owner, point, polygon)
    assert (grid_map.locate_indices(x, y) == np.where(owner == len(polygons), -1, owner)).all()


# --- the irregular outline, by hand ---------------------------------------------------------------

@pytest.fixture(scope="module")
def irregular_map():
    return GridMap(irregular())


@pytest.mark.parametrize("lon, lat, grid_id", [
    pytest.param(106.6065, 26.6060, None, id="in hole a: in no grid"),
    pytest.param(106.6140, 26.6170, "M-02", id="in hole b: the island grid"),
    pytest.param(106.6120, 26.6170, "M-01", id="on hole b's edge: M-01 and M-02 share it, M-01 is smaller"),
    pytest.param(106.6050, 26.6100, "M-01", id="in the main part"),
    pytest.param(106.6350, 26.6050, "M-01", id="in the far part of the MultiPolygon"),
    pytest.param(106.6262, 26.6012, None, id="between the parts, below the concave grid"),
    pytest.param(106.6265, 26.6150, "M-03", id="in the concave grid"),
    pytest.param(106.6190, 26.6120, "M-00", id="in the overlap: the smallest grid_id"),
])
def test_a_point_in_an_irregular_multipolygon_with_holes(irregular_map, lon, lat, grid_id):
    assert irregular_map.locate(lon, lat).grid_id == grid_id
    assert irregular_map.locate_many([lon], [lat])[0].grid_id == grid_id


# --- edges of the API -----------------------------------------------------------------------------

def test_places_for_indices_are_the_grids_places_and_minus_one_is_unassigned(irregular_map):
    index = irregular_map.locate_indices([106.6050, 106.6065], [26.6100, 26.6060])
    assert irregular_map.places(index) == [
        Place(district=DISTRICT, grid_id="M-01", grid_name="M-01网格", village="甲村", township="甲镇"),
        Place(district=DISTRICT, reason=UNASSIGNED)]


def test_places_are_fresh_records_that_serialise_like_built_ones(irregular_map):
    first, second = irregular_map.locate(106.6050, 26.6100), irregular_map.locate(106.6050, 26.6100)
    assert first == second and first is not second
    assert first.dumps() == Place(district=DISTRICT, grid_id="M-01", grid_name="M-01网格", village="甲村",
                                  township="甲镇").dumps()
    assert Place.loads(first.dumps()) == first


def test_indices_keep_the_shape_of_the_input_and_nan_is_nowhere(irregular_map):
    table = irregular_map.table
    answer = table.indices(np.array([[106.6050, np.nan], [np.inf, 106.6140]]), np.array([[26.6100, 26.61], [26.61, 26.6170]]))
    assert answer.shape == (2, 2) and answer.tolist() == [[1, -1], [-1, 2]]  # M-00 is index 0
    assert irregular_map.locate_indices([], []).tolist() == []
    assert table.index(math.nan, 26.61) == -1 and table.index(106.6050, math.inf) == -1


def test_the_map_version_is_a_short_content_hash():
    assert GridMap(irregular()).version == GridMap(irregular()).version
    moved = [(i, shapely.affinity.translate(g, 1e-6)) if i.grid_id == "M-02" else (i, g) for i, g in irregular()]
    assert GridMap(moved).version != GridMap(irregular()).version
    assert len(GridMap(irregular()).version) == 12


def test_a_table_reports_its_size():
    shape = GridMap(synthetic()).table.shape
    assert shape.root_cells > 0 and shape.nbytes > 0 and 0 < shape.leaf_area_share < 1
