"""``gridalert geo check``: what a GIS clerk reads, on crafted bad files.

Each test breaks a clean little map in one way and looks for the line that says so: its
severity, the feature it names, and, where there is a place, lon/lat and m².
"""

from __future__ import annotations

import json
import re

import pytest
import shapely
from typer.testing import CliRunner

from gridalert.config.errors import ConfigError
from gridalert.geo import GridMap, gcj02
from gridalert.geo.checks import CheckRules
from gridalert.geo.cli import geo_app
from gridalert.geo.geojson import ImportOptions, parse_mapping
from gridalert.geo.load import MapFiles, check_map
from gridalert.geo.metric import area_m2

# A 3 × 2 block of 0.01° grids in two villages of one township. (west, south, east, north)
BOXES = {
    "C-01": (106.60, 26.61, 106.61, 26.62), "C-02": (106.61, 26.61, 106.62, 26.62), "C-03": (106.62, 26.61, 106.63, 26.62),
    "C-04": (106.60, 26.60, 106.61, 26.61), "C-05": (106.61, 26.60, 106.62, 26.61), "C-06": (106.62, 26.60, 106.63, 26.61),
}
VILLAGE = {"C-01": "东村", "C-02": "东村", "C-03": "东村", "C-04": "西村", "C-05": "西村", "C-06": "西村"}


def ring(west, south, east, north):
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def feature(grid_id, coordinates, kind="Polygon", **changes):
    properties = {"grid_id": grid_id, "grid_name": f"{grid_id}网格", "village": VILLAGE.get(grid_id, "东村"),
                  "township": "甲镇", "district": "测试区", **changes}
    return {"type": "Feature", "properties": properties, "geometry": {"type": kind, "coordinates": coordinates}}


def clean_map():
    return {"type": "FeatureCollection", "features": [feature(g, [ring(*b)]) for g, b in BOXES.items()]}


def write(tmp_path, document, name="grids.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def check(tmp_path, document, **files):
    return check_map(MapFiles(write(tmp_path, document), **files))


def lines(checked):
    return [p.line() for f in checked.report.files for p in f.sorted()]


def only(checked, severity):
    found = [p for p in checked.report.errors + checked.report.warnings if p.severity.value == severity]
    assert len(found) == 1, "\n".join(lines(checked))
    return found[0]


def test_a_clean_map_has_no_problems_and_loads(tmp_path):
    checked = check(tmp_path, clean_map())
    assert lines(checked) == [] and checked.report.exit_code() == 0
    assert "no problems: the map loads" in checked.report.render()
    assert "6 grids in 2 villages, 1 townships of 测试区" in checked.report.render()


# --- rings ----------------------------------------------------------------------------------------

def test_a_bow_tie_is_repaired_into_its_two_triangles_with_a_warning(tmp_path):
    document = clean_map()
    west, south, east, north = BOXES["C-02"]
    document["features"][1]["geometry"]["coordinates"] = [[[west, south], [east, north], [east, south], [west, north], [west, south]]]
    checked = check(tmp_path, document)
    # The bow-tie covers its left and right triangles; the bottom one is now a gap inside the
    # district, the top one lies outside it (open to the north).
    repaired, gap = checked.report.warnings
    assert checked.report.errors == [] and repaired.entry == "features[1] (grid_id C-02)"
    assert repaired.message.startswith("invalid geometry: Self-intersection at lon 106.615000, lat 26.615000; repaired")
    assert "MultiPolygon of 2 parts" in repaired.message
    assert gap.entry == "gap 1" and gap.area_m2 == pytest.approx(float(area_m2([shapely.box(*BOXES["C-02"])])[0]) / 4, rel=1e-3)
    grids = GridMap.from_checked(checked)
    assert grids.locate(106.612, 26.615).grid_id == "C-02"  # the left triangle
    assert grids.locate(106.615, 26.612).grid_id is None  # the bottom triangle: the gap
    assert [w.entry for w in grids.warnings] == ["features[1] (grid_id C-02)", "gap 1"]


def test_an_unclosed_ring_is_closed_with_a_warning(tmp_path):
    document = clean_map()
    document["features"][2]["geometry"]["coordinates"][0].pop()
    problem = only(check(tmp_path, document), "warning")
    assert problem.line() == ("warning features[2] (grid_id C-03): outer ring is not closed: closed it by repeating "
                              "its first position (lon 106.620000, lat 26.610000)")


def test_a_hole_with_too_few_points_is_dropped_with_a_warning(tmp_path):
    document = clean_map()
    document["features"][0]["geometry"]["coordinates"].append([[106.603, 26.613], [106.604, 26.614], [106.603, 26.613]])
    problem = only(check(tmp_path, document), "warning")
    assert problem.message == "hole 1 has only 3 positions, so no area: dropped it"


def test_an_outer_ring_with_too_few_points_refuses_the_map(tmp_path):
    document = clean_map()
    document["features"][3]["geometry"]["coordinates"] = [[[106.60, 26.60], [106.61, 26.61], [106.60, 26.60]]]
    problem = only(check(tmp_path, document), "error")
    assert problem.entry == "features[3] (grid_id C-04)" and "outer ring has only 3 positions" in problem.message


def test_an_ambiguous_repair_is_an_error_naming_the_place(tmp_path):
    document = clean_map()
    # Two parts of one grid overlapping: union or hole? The digitiser has to say.
    document["features"][4]["geometry"] = {"type": "MultiPolygon", "coordinates": [
        [ring(106.61, 26.60, 106.618, 26.608)], [ring(106.612, 26.602, 106.62, 26.61)]]}
    checked = check(tmp_path, document)
    problem = only(checked, "error")
    assert problem.entry == "features[4] (grid_id C-05)"
    assert re.match(r"invalid geometry: Self-intersection at lon [\d.]+, lat [\d.]+; not repaired automatically because "
                    r"the two ways to repair it differ by [\d,]+ m²: fix it in a GIS tool", problem.message)
    with pytest.raises(ConfigError):
        GridMap.from_checked(checked)


# --- ids and hierarchy ----------------------------------------------------------------------------

def test_a_duplicate_grid_id_refuses_the_map_naming_both_features(tmp_path):
    document = clean_map()
    document["features"][4]["properties"]["grid_id"] = "C-01"
    problem = only(check(tmp_path, document), "error")
    assert problem.line() == "error   features[4] (grid_id C-01): duplicate grid_id C-01: features[0] has it too"


def test_a_missing_grid_id_refuses_the_map(tmp_path):
    document = clean_map()
    del document["features"][5]["properties"]["grid_id"]
    problem = only(check(tmp_path, document), "error")
    assert problem.line() == "error   features[5]: property 'grid_id' is missing; it must be a non-empty string"


def test_a_village_under_two_townships_refuses_the_map(tmp_path):
    document = clean_map()
    document["features"][2]["properties"]["township"] = "乙镇"  # C-03 of 东村, whose others are in 甲镇
    problem = only(check(tmp_path, document), "error")
    assert problem.entry == "features[2] (grid_id C-03)"
    assert problem.message.startswith("village 东村 is under township 乙镇 here (features[2] (grid_id C-03)) but under "
                                      "甲镇 in 2 other grids (first: features[0] (grid_id C-01))")


def test_hierarchy_problems_are_reported_in_the_same_run_as_broken_features(tmp_path):
    document = clean_map()
    document["features"][2]["properties"]["township"] = "乙镇"
    del document["features"][5]["properties"]["village"]
    checked = check(tmp_path, document)
    assert [p.entry for p in checked.report.files[0].sorted()] == ["features[2] (grid_id C-03)", "features[5] (grid_id C-06)"]


def test_a_repeated_grid_name_in_one_village_is_a_warning(tmp_path):
    document = clean_map()
    document["features"][1]["properties"]["grid_name"] = "C-01网格"
    problem = only(check(tmp_path, document), "warning")
    assert problem.line() == ("warning features[1] (grid_id C-02): grid_name C-01网格 is also used by "
                              "features[0] (grid_id C-01) in village 东村")


# --- overlaps and gaps ----------------------------------------------------------------------------

def test_a_small_overlap_is_a_warning_with_place_area_and_owner(tmp_path):
    document = clean_map()
    # C-05 reaches 0.0001° (about 11 m) into C-06 along their shared edge: 1% of C-06.
    document["features"][4]["geometry"]["coordinates"] = [ring(106.61, 26.60, 106.6201, 26.61)]
    problem = only(check(tmp_path, document), "warning")
    expected = float(area_m2([shapely.box(106.62, 26.60, 106.6201, 26.61)])[0])
    assert problem.entry == "features[4] (grid_id C-05)" and problem.area_m2 == pytest.approx(expected, rel=1e-6)
    assert problem.lon == pytest.approx(106.62005, abs=1e-4) and 26.60 < problem.lat < 26.61
    assert re.fullmatch(r"overlaps features\[5\] \(grid_id C-06\) by 11,\d{3} m² \(1\.0% of the smaller grid\) around "
                        r"lon 106\.62\d+, lat 26\.6\d+; points there go to C-05 \(smallest grid_id\)", problem.message)


def test_a_large_overlap_refuses_the_map(tmp_path):
    document = clean_map()
    document["features"][0]["geometry"]["coordinates"] = [ring(106.60, 26.605, 106.61, 26.62)]  # half of C-04
    checked = check(tmp_path, document)
    problem = only(checked, "error")
    assert problem.entry == "features[0] (grid_id C-01)" and "(50.0% of the smaller grid)" in problem.message
    with pytest.raises(ConfigError, match="overlaps features"):
        GridMap.from_checked(checked)


def test_a_gap_inside_the_district_is_a_warning_with_place_area_and_neighbours(tmp_path):
    document = clean_map()
    # Cut a 0.002° square notch out of C-02's middle: a hole in the district.
    document["features"][1]["geometry"]["coordinates"].append(ring(106.614, 26.614, 106.616, 26.616)[::-1])
    problem = only(check(tmp_path, document), "warning")
    expected = float(area_m2([shapely.box(106.614, 26.614, 106.616, 26.616)])[0])
    assert problem.entry == "gap 1" and problem.area_m2 == pytest.approx(expected, rel=1e-9)
    assert 106.614 < problem.lon < 106.616 and 26.614 < problem.lat < 26.616
    assert re.fullmatch(r"44,\d{3} m² in no grid around lon 106\.61\d+, lat 26\.61\d+; next to C-02; points there "
                        r"go to the district centre \(unassigned\)", problem.message)


def test_a_declared_outline_finds_gaps_at_the_edge_and_grids_outside_it(tmp_path):
    outline = {"type": "Polygon", "coordinates": [ring(106.60, 26.60, 106.64, 26.62)]}  # 0.01° wider than the grids
    document = clean_map()
    document["features"][0]["geometry"]["coordinates"] = [ring(106.599, 26.61, 106.61, 26.62)]  # pokes out west
    checked = check(tmp_path, document, outline=write(tmp_path, outline, "outline.geojson"))
    gap = [p for p in checked.report.warnings if p.entry == "gap 1"][0]
    assert gap.area_m2 == pytest.approx(float(area_m2([shapely.box(106.63, 26.60, 106.64, 26.62)])[0]), rel=1e-6)
    outside = [p for p in checked.report.warnings if p.entry.startswith("features[0]")][0]
    assert outside.message.startswith("reaches 110,") and "outside the district outline" in outside.message


def test_rounding_noise_is_counted_not_listed(tmp_path):
    document = clean_map()
    document["features"][4]["geometry"]["coordinates"] = [ring(106.61, 26.60, 106.62 + 1e-12, 26.61)]
    checked = check(tmp_path, document)
    assert lines(checked) == ["warning overlaps: 1 more overlaps under 0.01 m² each (digitising noise) not listed"]


# --- mapping, datum, units ------------------------------------------------------------------------

def test_a_property_mapping_reads_a_districts_own_names(tmp_path):
    document = clean_map()
    for f in document["features"]:
        p = f["properties"]
        f["properties"] = {"WGBM": p["grid_id"], "WGMC": p["grid_name"], "CUN": p["village"], "ZHEN": p["township"],
                           "QU": p["district"]}
    mapping = parse_mapping(["grid_id=WGBM", "grid_name=WGMC", "village=CUN", "township=ZHEN", "district=QU"])
    grids = GridMap.from_geojson(write(tmp_path, document), mapping=mapping)
    assert grids.locate(106.605, 26.615).grid_id == "C-01" and grids.get("C-01").village == "东村"
    document["features"][2]["properties"].pop("CUN")
    with pytest.raises(ConfigError) as caught:
        GridMap.from_geojson(write(tmp_path, document), mapping=mapping)
    assert caught.value.problems == [("features[2] (grid_id C-03)", "property 'CUN' (village) is missing; it must be a non-empty string")]


def test_an_unknown_name_in_a_mapping_is_refused():
    with pytest.raises(ValueError, match="unknown property name"):
        parse_mapping(["grid_code=WGBM"])


def test_gcj02_coordinates_are_converted_on_reading(tmp_path):
    document = clean_map()
    for f in document["features"]:
        xy = f["geometry"]["coordinates"][0]
        lon, lat = gcj02.to_gcj02([p[0] for p in xy], [p[1] for p in xy])
        f["geometry"]["coordinates"][0] = [[float(x), float(y)] for x, y in zip(lon, lat)]
    path = write(tmp_path, document)
    as_wgs84 = GridMap.from_geojson(path, crs="gcj02")
    as_is = GridMap.from_geojson(path)
    assert as_wgs84.locate(106.6005, 26.6195).grid_id == "C-01"  # 50 m inside C-01's corner in WGS84
    assert as_is.locate(106.6005, 26.6195).grid_id is None  # the offset (~500 m) puts it outside
    assert as_wgs84.version != as_is.version


def test_an_old_style_crs_other_than_wgs84_is_refused(tmp_path):
    document = clean_map() | {"crs": {"type": "name", "properties": {"name": "EPSG:4490"}}}
    with pytest.raises(ConfigError, match="declares 'EPSG:4490'"):
        check(tmp_path, document)


def units_file(*units):
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"unit_id": u, "grid_id": g}, "geometry": geometry} for u, g, geometry in units]}


def test_units_are_checked_against_their_grids_and_located_within_them(tmp_path):
    units = units_file(
        ("C-01-U01", "C-01", {"type": "Polygon", "coordinates": [ring(106.60, 26.61, 106.605, 26.62)]}),
        ("C-01-U02", "C-01", {"type": "MultiPoint", "coordinates": [[106.607, 26.612], [106.608, 26.613]]}),
        ("C-02-U01", "C-02", {"type": "Polygon", "coordinates": [ring(106.609, 26.61, 106.62, 26.62)]}),  # pokes into C-01
        ("C-09-U01", "C-09", {"type": "Point", "coordinates": [106.6, 26.6]}),
    )
    checked = check(tmp_path, clean_map(), units=write(tmp_path, units, "units.geojson"))
    unit_lines = [p.line() for p in checked.report.files[1].sorted()]
    assert unit_lines[0].startswith("warning features[2] (unit_id C-02-U01): reaches 110,345 m² outside grid C-02 around lon 106.6095")
    assert unit_lines[1] == "error   features[3] (unit_id C-09-U01): grid_id C-09 is no grid of the grid map"
    units["features"].pop()
    grids = GridMap.from_geojson(write(tmp_path, clean_map()), units=write(tmp_path, units, "units.geojson"))
    assert grids.unit_of(106.602, 26.615) == "C-01-U01"
    assert grids.unit_of(106.6071, 26.6121) == "C-01-U02"  # next to a household
    assert grids.unit_of(106.6095, 26.6195) is None  # far from C-01's households; C-02-U01 is another grid's
    assert sorted(grids.units) == ["C-01-U01", "C-01-U02", "C-02-U01"]


# --- the command ----------------------------------------------------------------------------------

runner = CliRunner()


def test_check_exits_0_on_a_clean_map_and_prints_its_version(tmp_path):
    result = runner.invoke(geo_app, ["check", str(write(tmp_path, clean_map()))])
    assert result.exit_code == 0, result.output
    assert "no problems: the map loads" in result.output and re.search(r"version [0-9a-f]{12}", result.output)


def test_check_exits_0_on_warnings_and_1_with_strict(tmp_path):
    document = clean_map()
    document["features"][2]["geometry"]["coordinates"][0].pop()
    path = write(tmp_path, document)
    assert runner.invoke(geo_app, ["check", str(path)]).exit_code == 0
    result = runner.invoke(geo_app, ["check", str(path), "--strict"])
    assert result.exit_code == 1 and "1 warning: the map loads" in result.output


def test_check_exits_2_on_errors_listing_each_on_its_own_line(tmp_path):
    document = clean_map()
    document["features"][4]["properties"]["grid_id"] = "C-01"
    del document["features"][5]["properties"]["village"]
    result = runner.invoke(geo_app, ["check", str(write(tmp_path, document))])
    assert result.exit_code == 2
    assert "  error   features[4] (grid_id C-01): duplicate grid_id C-01: features[0] has it too\n" in result.output
    assert "  error   features[5] (grid_id C-06): property 'village' is missing" in result.output
    assert "2 errors, 0 warnings: the map is refused (nothing is loaded)" in result.output


def test_check_on_a_missing_or_broken_file_is_a_plain_message_and_exit_2(tmp_path):
    result = runner.invoke(geo_app, ["check", str(tmp_path / "nope.geojson")])
    assert result.exit_code == 2 and "no such grid map file" in result.output and "Traceback" not in result.output
    (tmp_path / "broken.geojson").write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    result = runner.invoke(geo_app, ["check", str(tmp_path / "broken.geojson")])
    assert result.exit_code == 2 and "not valid JSON" in result.output and "Traceback" not in result.output


def test_check_with_a_mapping_and_gcj02_options(tmp_path):
    document = clean_map()
    for f in document["features"]:
        f["properties"]["WGBM"] = f["properties"].pop("grid_id")
    result = runner.invoke(geo_app, ["check", str(write(tmp_path, document)), "--mapping", "grid_id=WGBM", "--crs", "gcj02"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(geo_app, ["check", str(write(tmp_path, document)), "--mapping", "grid=WGBM"])
    assert result.exit_code == 2 and "unknown property name(s) in the mapping: grid" in result.output


def test_check_lists_devices_in_no_grid(tmp_path):
    devices = tmp_path / "devices.yaml"
    devices.write_text("devices:\n  - {id: in, kind: heat_detector, lon: 106.605, lat: 26.615}\n"
                       "  - {id: out, kind: heat_detector, lon: 106.7, lat: 26.7}\n", encoding="utf-8")
    result = runner.invoke(geo_app, ["check", str(write(tmp_path, clean_map())), "--devices", str(devices)])
    assert result.exit_code == 0
    assert ("warning devices (id out): at lon 106.700000, lat 26.700000 lies in no grid: its events go to the "
            "district centre (unassigned)") in result.output


def test_synth_writes_a_map_that_checks_clean(tmp_path):
    out, units, devices = tmp_path / "g.geojson", tmp_path / "u.geojson", tmp_path / "d.yaml"
    result = runner.invoke(geo_app, ["synth", "--grids", "40", "--villages", "8", "--townships", "2", "--seed", "3",
                                     "--out", str(out), "--units-out", str(units), "--devices-out", str(devices)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(geo_app, ["check", str(out), "--units", str(units), "--devices", str(devices), "--strict"])
    assert result.exit_code == 0, result.output
    assert "40 grids in 8 villages, 2 townships" in result.output and "80 devices" in result.output


def test_rules_are_adjustable():
    assert CheckRules(overlap_error_share=0.5).overlap_error_share == 0.5
    with pytest.raises(ValueError, match="unknown crs"):
        ImportOptions(crs="bd09")
