"""Hot reload: a new map or device file changes routing for new events only, never half-loaded."""

from __future__ import annotations

import json
import logging

import pytest

from gridalert.config.errors import ConfigError
from gridalert.config.model import Device
from gridalert.geo import DeviceRegistry, ReloadingDevices, ReloadingGridMap
from gridalert.geo.load import version_of

POINT = (106.605, 26.605)


def grid(grid_id, west, south, east, north):
    return {"type": "Feature", "properties": {"grid_id": grid_id, "grid_name": f"{grid_id}网格", "village": "甲村",
                                              "township": "甲镇", "district": "测试区"},
            "geometry": {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north],
                                                             [west, south]]]}}


# Map A: POINT lies in A-1. Map B: the boundary moved west, POINT now lies in A-2.
MAP_A = {"type": "FeatureCollection", "features": [grid("A-1", 106.60, 26.60, 106.61, 26.61), grid("A-2", 106.61, 26.60, 106.62, 26.61)]}
MAP_B = {"type": "FeatureCollection", "features": [grid("A-1", 106.60, 26.60, 106.603, 26.61), grid("A-2", 106.603, 26.60, 106.62, 26.61)]}


def write(path, document):
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def maps(tmp_path):
    path = tmp_path / "grids.geojson"
    write(path, MAP_A)
    return path, ReloadingGridMap(path, min_interval_s=0)


def test_a_changed_map_is_used_for_new_events_with_its_new_version(maps):
    path, reloading = maps
    before = reloading.current
    assert before.locate(*POINT).grid_id == "A-1"
    assert reloading.version == before.version == version_of([path.read_bytes()])
    write(path, MAP_B)
    assert reloading.maybe_reload() is True
    after = reloading.current
    assert after.locate(*POINT).grid_id == "A-2" and reloading.version == after.version != before.version
    # An event already being handled keeps the map (and version) it started with.
    assert before.locate(*POINT).grid_id == "A-1"


def test_an_unchanged_map_is_not_reloaded(maps):
    path, reloading = maps
    first = reloading.current
    assert reloading.maybe_reload() is False
    path.write_bytes(path.read_bytes())  # rewritten with the same content: same version, no reload
    assert reloading.maybe_reload() is False and reloading.current is first


def test_a_broken_map_keeps_the_old_one_logs_why_and_does_not_raise(maps, caplog):
    path, reloading = maps
    version = reloading.version
    broken = json.loads(json.dumps(MAP_B))
    broken["features"][1]["properties"]["grid_id"] = "A-1"
    write(path, broken)
    with caplog.at_level(logging.ERROR, logger="gridalert.geo"):
        assert reloading.maybe_reload() is False
    assert reloading.version == version and reloading.current.locate(*POINT).grid_id == "A-1"
    assert "refused; keeping version" in caplog.text and "duplicate grid_id A-1" in caplog.text
    caplog.clear()
    assert reloading.maybe_reload() is False and caplog.text == ""  # the same bad file is reported once
    write(path, MAP_B)  # fixed
    assert reloading.maybe_reload() is True and reloading.current.locate(*POINT).grid_id == "A-2"


def test_a_half_written_file_keeps_the_old_map(maps):
    path, reloading = maps
    path.write_text(json.dumps(MAP_B)[:50], encoding="utf-8")
    assert reloading.maybe_reload() is False and reloading.current.locate(*POINT).grid_id == "A-1"


def test_a_file_missing_for_a_moment_keeps_the_old_map(maps):
    path, reloading = maps
    path.unlink()
    assert reloading.maybe_reload() is False and reloading.current.locate(*POINT).grid_id == "A-1"


def test_checks_happen_at_most_once_per_interval(tmp_path):
    path = tmp_path / "grids.geojson"
    write(path, MAP_A)
    now = [100.0]
    reloading = ReloadingGridMap(path, min_interval_s=5, clock=lambda: now[0])
    write(path, MAP_B)
    assert reloading.maybe_reload() is False  # too soon: not even looked at
    now[0] += 5
    assert reloading.maybe_reload() is True


def test_a_map_that_cannot_be_loaded_at_start_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        ReloadingGridMap(tmp_path / "nope.geojson")


def test_warnings_of_a_loaded_map_are_logged(tmp_path, caplog):
    document = json.loads(json.dumps(MAP_A))
    document["features"][0]["geometry"]["coordinates"][0].pop()  # unclosed ring: repaired, warned
    path = tmp_path / "grids.geojson"
    write(path, document)
    with caplog.at_level(logging.WARNING, logger="gridalert.geo"):
        reloading = ReloadingGridMap(path)
    assert "loaded with 1 warnings" in caplog.text and "is not closed" in caplog.text
    assert len(reloading.current.warnings) == 1


# --- devices --------------------------------------------------------------------------------------

DEVICES_A = "devices:\n  - {id: wm-1, kind: water_meter, lon: 106.605, lat: 26.605, household: h-1, resident: r-1, building_type: residential}\n"
DEVICES_B = "devices:\n  - {id: wm-1, kind: water_meter, lon: 106.615, lat: 26.605, household: h-1, resident: r-1, building_type: residential}\n"


def test_a_moved_device_takes_effect_without_a_restart(tmp_path, maps):
    _, grids = maps
    path = tmp_path / "devices.yaml"
    path.write_text(DEVICES_A, encoding="utf-8")
    devices = ReloadingDevices(path, min_interval_s=0)
    device = devices.get("wm-1")
    assert grids.current.locate(device.lon, device.lat).grid_id == "A-1"
    assert (device.household, device.resident, device.building_type) == ("h-1", "r-1", Device.BuildingType.residential)
    path.write_text(DEVICES_B, encoding="utf-8")
    assert devices.maybe_reload() is True
    moved = devices.get("wm-1")
    assert grids.current.locate(moved.lon, moved.lat).grid_id == "A-2" and devices.get("nope") is None
    assert "wm-1" in devices and len(devices) == 1


def test_a_bad_device_file_keeps_the_old_registry(tmp_path, caplog):
    path = tmp_path / "devices.yaml"
    path.write_text(DEVICES_A, encoding="utf-8")
    devices = ReloadingDevices(path, min_interval_s=0)
    path.write_text(DEVICES_A.replace("residential", "castle"), encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="gridalert.geo"):
        assert devices.maybe_reload() is False
    assert devices.get("wm-1").lon == 106.605
    assert "devices[0] (id wm-1).building_type: Input should be 'high_rise'" in caplog.text


def test_the_registry_names_every_bad_entry(tmp_path):
    path = tmp_path / "devices.yaml"
    path.write_text("devices:\n  - {id: a, kind: k, lon: 200, lat: 26}\n  - {id: b, kind: k, lat: 26, colour: red}\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        DeviceRegistry.from_yaml(path)
    assert [entry for entry, _ in caught.value.problems] == ["devices[0] (id a).lon", "devices[1] (id b).lon",
                                                             "devices[1] (id b).colour"]


def test_gcj02_device_positions_are_converted(tmp_path):
    path = tmp_path / "devices.yaml"
    path.write_text(DEVICES_A, encoding="utf-8")
    plain, converted = DeviceRegistry.from_yaml(path), DeviceRegistry.from_yaml(path, crs="gcj02")
    assert plain.get("wm-1").lon == 106.605 and converted.get("wm-1").lon != 106.605
    assert converted.get("wm-1").household == "h-1"
