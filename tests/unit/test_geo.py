"""The grid map: loading checks, and point → grid with a fixed ownership rule."""

from __future__ import annotations

import json
import math

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridalert.config import SAMPLE_CONFIG_DIR
from gridalert.config.errors import ConfigError
from gridalert.geo import GridInfo, GridMap
from gridalert.geo.sample import build_sample_district, render
from gridalert.streams.records import UNASSIGNED, Place

DISTRICT = "测试区"

# A 2×2 block of grids (甲村), a gap of 0.01°, then one tall grid (乙村). (west, south, east, north)
RECTS = {
    "T-01": (106.60, 26.61, 106.61, 26.62),
    "T-02": (106.61, 26.61, 106.62, 26.62),
    "T-03": (106.60, 26.60, 106.61, 26.61),
    "T-04": (106.61, 26.60, 106.62, 26.61),
    "T-05": (106.63, 26.60, 106.64, 26.62),
}
FILE_ORDER = ["T-04", "T-02", "T-05", "T-03", "T-01"]  # not id order: ownership must not follow the file


def box(west, south, east, north):
    return {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]]}


def feature(grid_id, geometry, village="甲村", district=DISTRICT, **properties):
    return {"type": "Feature", "geometry": geometry, "properties": {
        "grid_id": grid_id, "grid_name": f"{grid_id}网格", "village": village, "township": "甲镇",
        "district": district, "grid_head": f"gh-{grid_id}", **properties}}


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def small_map():
    return collection(*(feature(g, box(*RECTS[g]), village="乙村" if g == "T-05" else "甲村") for g in FILE_ORDER))


def write(tmp_path, document, name="grids.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def grids(tmp_path_factory):
    return GridMap.from_geojson(write(tmp_path_factory.mktemp("map"), small_map()))


def expected_owner(lon, lat):
    """The ownership rule, written out plainly: the smallest id among grids covering the point."""
    covering = [g for g, (w, s, e, n) in RECTS.items() if w <= lon <= e and s <= lat <= n]
    return min(covering, default=None)


# --- locating -----------------------------------------------------------------------------------

@pytest.mark.parametrize("lon, lat, grid_id", [
    (106.605, 26.615, "T-01"),
    (106.615, 26.615, "T-02"),
    (106.605, 26.605, "T-03"),
    (106.615, 26.605, "T-04"),
    (106.635, 26.615, "T-05"),
])
def test_a_point_inside_a_grid_gets_that_grids_place(grids, lon, lat, grid_id):
    place = grids.locate(lon, lat)
    assert place.grid_id == grid_id and place.reason is None
    assert (place.grid_name, place.township, place.district) == (f"{grid_id}网格", "甲镇", DISTRICT)
    assert place.village == ("乙村" if grid_id == "T-05" else "甲村")


@pytest.mark.parametrize("lon, lat, grid_id", [
    (106.61, 26.615, "T-01"),   # T-01 | T-02
    (106.61, 26.605, "T-03"),   # T-03 | T-04
    (106.605, 26.61, "T-01"),   # T-01 over T-03
    (106.615, 26.61, "T-02"),   # T-02 over T-04
])
def test_a_point_on_a_shared_edge_goes_to_the_smaller_grid_id(grids, lon, lat, grid_id):
    assert [grids.locate(lon, lat).grid_id for _ in range(3)] == [grid_id] * 3


def test_a_point_at_a_corner_shared_by_four_grids_goes_to_the_smallest_grid_id(grids):
    assert grids.locate(106.61, 26.61).grid_id == "T-01"


@pytest.mark.parametrize("lon, lat, grid_id", [
    (106.60, 26.605, "T-03"),   # west edge of the district
    (106.64, 26.62, "T-05"),    # outer corner
])
def test_a_point_on_an_outer_boundary_is_in_the_grid(grids, lon, lat, grid_id):
    assert grids.locate(lon, lat).grid_id == grid_id


@pytest.mark.parametrize("lon, lat", [
    pytest.param(106.625, 26.61, id="gap between villages"),
    pytest.param(107.50, 27.00, id="outside the district"),
    pytest.param(-0.0, 0.0, id="null island"),
    pytest.param(math.nan, math.nan, id="no coordinates"),
])
def test_a_point_in_no_grid_is_unassigned_to_the_district(grids, lon, lat):
    assert grids.locate(lon, lat) == Place(district=DISTRICT, reason=UNASSIGNED)


def test_an_unassigned_place_is_keyed_to_the_district(grids):
    assert grids.locate(106.625, 26.61).partition_key == f"{UNASSIGNED}:{DISTRICT}"


def test_overlapping_grids_give_the_overlap_to_the_smaller_grid_id():
    # Built directly: a file with an overlap this large is refused by the checks (test_geo_check).
    info = lambda grid_id: GridInfo(grid_id, f"{grid_id}网格", "甲村", "甲镇", DISTRICT)  # noqa: E731
    grids = GridMap([(info("B"), shapely.box(0.0, 0.0, 2.0, 2.0)), (info("A"), shapely.box(1.0, 1.0, 3.0, 3.0))])
    assert [p.grid_id for p in grids.locate_many([0.5, 1.5, 2.5], [0.5, 1.5, 2.5])] == ["B", "A", "A"]


def test_a_multipolygon_grid_owns_each_of_its_parts_and_not_the_space_between(tmp_path):
    parts = {"type": "MultiPolygon", "coordinates": [box(0.0, 0.0, 1.0, 1.0)["coordinates"],
                                                     box(2.0, 0.0, 3.0, 1.0)["coordinates"]]}
    grids = GridMap.from_geojson(write(tmp_path, collection(feature("M-01", parts))))
    assert [p.grid_id for p in grids.locate_many([0.5, 2.5, 1.5], [0.5, 0.5, 0.5])] == ["M-01", "M-01", None]


def test_a_hole_in_a_grid_is_not_part_of_it(tmp_path):
    ring = box(0.0, 0.0, 3.0, 3.0)["coordinates"][0]
    hole = [[1.0, 1.0], [1.0, 2.0], [2.0, 2.0], [2.0, 1.0], [1.0, 1.0]]
    grids = GridMap.from_geojson(write(tmp_path, collection(feature("H", {"type": "Polygon", "coordinates": [ring, hole]}))))
    assert [p.grid_id for p in grids.locate_many([0.5, 1.5, 1.0], [0.5, 1.5, 1.5])] == ["H", None, "H"]


coordinate_values = st.floats(106.595, 106.645, allow_nan=False) | st.sampled_from([106.60, 106.61, 106.62, 106.63, 106.64])
latitude_values = st.floats(26.595, 26.625, allow_nan=False) | st.sampled_from([26.60, 26.61, 26.62])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(coordinate_values, latitude_values), max_size=40))
def test_locating_a_batch_equals_locating_each_point_and_follows_the_rule(grids, points):
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    batch = grids.locate_many(lons, lats)
    assert batch == [grids.locate(lon, lat) for lon, lat in points]
    assert [place.grid_id for place in batch] == [expected_owner(lon, lat) for lon, lat in points]


def test_locating_an_empty_batch_gives_no_places(grids):
    assert grids.locate_many([], []) == []


def test_locating_arrays_of_different_lengths_is_a_programming_error(grids):
    with pytest.raises(ValueError, match="equal length"):
        grids.locate_many([106.6, 106.61], [26.6])


# --- the map as a lookup ------------------------------------------------------------------------

def test_the_map_lists_its_grids_by_id(grids):
    assert len(grids) == 5 and sorted(grids.grids) == sorted(RECTS)
    assert grids.get("T-05") == GridInfo("T-05", "T-05网格", "乙村", "甲镇", DISTRICT, "gh-T-05")
    assert grids.get("T-99") is None


def test_grid_head_is_optional(tmp_path):
    document = collection(feature("T-01", box(*RECTS["T-01"]), grid_head=None))
    assert GridMap.from_geojson(write(tmp_path, document)).get("T-01").grid_head is None


def test_the_map_district_is_the_one_most_features_name(tmp_path):
    document = collection(feature("A-1", box(0.0, 0.0, 1.0, 1.0), district="乙区"),
                          feature("B-1", box(1.0, 0.0, 2.0, 1.0), district="甲区"),
                          feature("B-2", box(2.0, 0.0, 3.0, 1.0), district="甲区"))
    grids = GridMap.from_geojson(write(tmp_path, document))
    assert grids.district == "甲区"
    assert [p.district for p in grids.locate_many([0.5, 1.5, 9.0], [0.5, 0.5, 9.0])] == ["乙区", "甲区", "甲区"]


# --- configuration errors -----------------------------------------------------------------------

def set_in(index, *path, value):
    def change(document):
        node = document["features"][index]
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def drop_property(index, name):
    return lambda document: document["features"][index]["properties"].pop(name)


@pytest.mark.parametrize("change, entry, problem", [
    pytest.param(set_in(2, "properties", "grid_id", value="T-04"), "features[2] (grid_id T-04)",
                 "duplicate grid_id T-04: features[0] has it too", id="duplicate grid_id"),
    pytest.param(drop_property(1, "village"), "features[1] (grid_id T-02)", "property 'village' is missing", id="missing property"),
    pytest.param(set_in(1, "properties", "township", value="  "), "features[1] (grid_id T-02)", "property 'township' is empty",
                 id="empty property"),
    pytest.param(drop_property(3, "grid_id"), "features[3]", "property 'grid_id' is missing", id="missing grid_id"),
    pytest.param(set_in(3, "properties", "grid_id", value=7), "features[3]", "property 'grid_id' is 7; it must be a non-empty string", id="grid_id not text"),
    pytest.param(set_in(4, "geometry", value={"type": "LineString", "coordinates": [[106.6, 26.6], [106.61, 26.61]]}),
                 "features[4] (grid_id T-01)", "geometry is a LineString; a grid must be a Polygon or MultiPolygon",
                 id="bad geometry type"),
    pytest.param(set_in(0, "geometry", value=None), "features[0] (grid_id T-04)", "has no geometry", id="no geometry"),
    pytest.param(set_in(2, "geometry", value=box(26.60, 106.63, 26.62, 106.64)), "features[2] (grid_id T-05)",
                 "outside lon [-180, 180] / lat [-90, 90]: found lon 26.6, lat 106.63 (lon and lat swapped?)",
                 id="coordinates out of range"),
    pytest.param(set_in(2, "geometry", "coordinates", value=[[[106.6, 26.6], [106.61, 26.61]]]), "features[2] (grid_id T-05)",
                 "outer ring has only 2 positions and is not closed; a ring needs at least 4", id="too few positions"),
    pytest.param(set_in(2, "geometry", "coordinates", value=[[[106.6, 26.6], "x"]]), "features[2] (grid_id T-05)",
                 "Polygon coordinates are malformed: a position must be a list [lon, lat]", id="malformed position"),
    pytest.param(set_in(2, "geometry", value={"type": "Polygon", "coordinates": []}), "features[2] (grid_id T-05)",
                 "geometry is empty", id="empty geometry"),
    pytest.param(set_in(1, "type", value="Polygon"), "features[1] (grid_id T-02)", "not a GeoJSON Feature", id="not a feature"),
    pytest.param(lambda d: d.update(type="Feature"), "(top level)", "not a GeoJSON FeatureCollection (type is 'Feature')",
                 id="not a feature collection"),
    pytest.param(lambda d: d.update(features=[]), "features", "a grid map needs at least one grid", id="no features"),
])
def test_a_bad_grid_file_names_the_entry_and_the_problem(tmp_path, change, entry, problem):
    document = small_map()
    change(document)
    path = write(tmp_path, document)
    with pytest.raises(ConfigError) as caught:
        GridMap.from_geojson(path)
    assert caught.value.file == str(path)
    assert any(e == entry and problem in p for e, p in caught.value.problems), caught.value.render()


def test_every_problem_in_the_file_is_reported_at_once(tmp_path):
    document = small_map()
    set_in(1, "geometry", value=None)(document)
    drop_property(3, "village")(document)
    with pytest.raises(ConfigError) as caught:
        GridMap.from_geojson(write(tmp_path, document))
    assert [entry for entry, _ in caught.value.problems] == ["features[1] (grid_id T-02)", "features[3] (grid_id T-03)"]


def test_a_file_that_is_not_json_names_line_and_column(tmp_path):
    path = tmp_path / "grids.geojson"
    path.write_text('{"type": "FeatureCollection",\n "features": [\n  {"type": "Feature",,}\n]}', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        GridMap.from_geojson(path)
    assert caught.value.problems == [("line 3, column 22", "not valid JSON: Expecting property name enclosed in double quotes")]


# --- the sample district ------------------------------------------------------------------------

SAMPLE = SAMPLE_CONFIG_DIR / "grids.geojson"


def test_the_sample_district_loads_with_30_or_more_grids():
    grids = GridMap.from_geojson(SAMPLE)
    assert grids.district == "观山湖区" and len(grids) >= 30
    assert len({info.township for info in grids.grids.values()}) == 3


@pytest.mark.parametrize("lon, lat, village, grid_id", [
    pytest.param(106.6310, 26.6210, "金融城社区", "GSH-JHY-01-03", id="Financial City office tower (demo camera)"),
    pytest.param(106.6318, 26.6214, "金融城社区", "GSH-JHY-01-03", id="tower B switch room (demo detector)"),
    pytest.param(106.6260, 26.6190, None, None, id="demo gap between villages"),
])
def test_the_demo_points_land_where_the_demo_says(lon, lat, village, grid_id):
    place = GridMap.from_geojson(SAMPLE).locate(lon, lat)
    assert (place.village, place.grid_id) == (village, grid_id)


def test_the_committed_sample_is_what_the_generator_writes():
    assert SAMPLE.read_text(encoding="utf-8") == render(build_sample_district())
