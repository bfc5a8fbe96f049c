"""Synthetic maps: the numbers asked for, an exact tiling, realistic vertex counts, same seed same map."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import shapely

from gridalert.geo import GridMap
from gridalert.geo.synth import PRESETS, SynthSpec, build, devices, households, spec_for, unit_features, write_features


@pytest.fixture(scope="module")
def kaiyang():
    return build(PRESETS["kaiyang"])


def test_the_kaiyang_preset_has_the_countys_numbers(kaiyang):
    infos = kaiyang.infos
    assert len(infos) == 853
    assert len({(i.district, i.village) for i in infos}) == 136
    assert len({(i.district, i.township) for i in infos}) == 18
    assert {i.district for i in infos} == {"开阳县"}


def test_grids_tile_exactly_with_50_to_200_vertices(kaiyang):
    geometries = kaiyang.geometries
    assert shapely.is_valid(geometries).all()
    assert shapely.coverage_is_valid(geometries)  # no overlaps; neighbours share identical vertices
    union = shapely.coverage_union_all(geometries)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0  # no gaps
    vertices = shapely.get_num_coordinates(geometries) - 1  # the closing position repeats the first
    assert vertices.min() >= 50 and vertices.max() <= 200


def test_every_village_sits_in_one_township(kaiyang):
    township_of = {}
    for info in kaiyang.infos:
        assert township_of.setdefault(info.village, info.township) == info.township


def test_the_same_seed_gives_the_same_map_and_another_seed_another():
    first, again, other = build(PRESETS["small"]), build(PRESETS["small"]), build(spec_for("small", seed=1))
    assert first.infos == again.infos and all(shapely.equals_exact(first.geometries, again.geometries, 0))
    assert not all(shapely.equals_exact(first.geometries, other.geometries, 0))


def test_a_custom_outline_is_filled(kaiyang):
    outline = shapely.Polygon([(107.0, 27.0), (107.2, 27.0), (107.1, 27.2)])
    synth = build(SynthSpec(grids=60, villages=12, townships=3, outline=outline, seed=5))
    assert len(synth.infos) == 60
    union = shapely.coverage_union_all(synth.geometries)
    # Grids whose centre lies inside are kept whole, so the edge is ragged: mostly inside.
    assert shapely.intersection(union, outline).area / union.area > 0.9


def test_gaps_are_holes_inside_the_district():
    synth = build(spec_for("small", gaps=2, grids=60, villages=10))
    union = shapely.coverage_union_all(synth.geometries)
    assert len(synth.infos) == 60 and sum(len(p.interiors) for p in shapely.get_parts(union)) == 2


def test_a_written_map_loads_and_locates_like_the_built_one(tmp_path):
    synth = build(PRESETS["small"])
    path = tmp_path / "grids.geojson"
    with open(path, "w", encoding="utf-8") as out:
        assert write_features(out, synth.features()) == 36
    from_file, built = GridMap.from_geojson(path), GridMap(synth.grids())
    assert from_file.warnings == () and len(from_file) == 36
    rng = np.random.default_rng(0)
    west, south, east, north = shapely.total_bounds(synth.geometries)
    x, y = rng.uniform(west, east, 20_000), rng.uniform(south, north, 20_000)
    assert (from_file.locate_indices(x, y) == built.locate_indices(x, y)).all()


def test_households_form_units_of_ten_inside_their_grid_and_devices_sit_at_households():
    synth = build(PRESETS["small"])
    homes = households(synth, (12, 25), seed=2)
    grids = GridMap(synth.grids())
    found = grids.locate_many([h.lon for h in homes], [h.lat for h in homes])
    assert [p.grid_id for p in found] == [h.grid_id for h in homes]
    units = list(unit_features(homes))
    assert all(1 <= len(u["geometry"]["coordinates"]) <= 10 for u in units)
    assert {u["properties"]["grid_id"] for u in units} == {i.grid_id for i in synth.infos}
    entries = devices(synth, 50, homes, seed=2)
    assert len(entries) == 50 and all(e["household"].startswith(e["household"][:-3]) for e in entries)
    assert {e["building_type"] for e in entries} <= {"high_rise", "wooden_village", "warehouse", "residential", "office", "other"}
    json.dumps(entries)  # plain data, ready for devices.yaml


def test_impossible_numbers_are_refused():
    with pytest.raises(ValueError, match="districts ≤ townships ≤ villages ≤ grids"):
        SynthSpec(grids=5, villages=9, townships=3)


def test_write_features_streams_one_feature_per_line():
    text = io.StringIO()
    write_features(text, iter([{"type": "Feature", "properties": {}, "geometry": None}] * 2))
    assert text.getvalue().count("\n") == 4 and json.loads(text.getvalue())["features"][1]["type"] == "Feature"
