"""Ten-household units (十联户): units.geojson in the configuration, the unit on the located place,
and the unit tier paging its unit head (联户长) — opt-in: without the file nothing changes."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from gridalert.config import ConfigErrors
from gridalert.config.loader import load_config
from gridalert.config.model import Roster
from gridalert.incidents.book import Book
from gridalert.incidents.dispatch import make_order
from gridalert.incidents.routing import Responsibility
from gridalert.notifiers.messages import PageFacts, page_body
from gridalert.streams.records import Place
from tests.support.configs import edit_yaml, unit_feature, write_units
from tests.support.district import POLICIES, ROSTER, T0, TOWER, detect, person, reading

GRID = "GSH-JHY-01-03"  # the sample grid (106.628–106.634, 26.616–26.622), cut in two units
WEST, EAST = "JHY-01-03-U1", "JHY-01-03-U2"
IN_WEST, IN_EAST = (106.6295, 26.619), (106.6325, 26.619)


def units_in(config_dir, west_head=None):
    write_units(config_dir, unit_feature(WEST, GRID, (106.628, 26.616, 106.631, 26.622), west_head),
                unit_feature(EAST, GRID, (106.631, 26.616, 106.634, 26.622)))


def add_staff(config_dir, *people):
    edit_yaml(config_dir / "roster.yaml", lambda d: d["staff"].extend(people))


def problems_of(config_dir) -> str:
    with pytest.raises(ConfigErrors) as caught:
        load_config(config_dir)
    return caught.value.render()


# ---- configuration ---------------------------------------------------------------------------

def test_without_a_units_file_the_district_has_no_units_and_places_no_unit(config_dir):
    district = load_config(config_dir)
    assert dict(district.units) == {} and district.grids.locate(*IN_EAST).unit_id is None


def test_a_unit_head_registered_to_a_unit_of_the_units_file_loads(config_dir):
    units_in(config_dir)
    add_staff(config_dir, person("uh-east", "联户长乙", "unit_head", EAST))
    district = load_config(config_dir)
    assert sorted(district.units) == [WEST, EAST] and district.person("uh-east").area == EAST


@pytest.mark.parametrize("role, area, problem", [
    ("unit_head", "JHY-01-03-U9", "'JHY-01-03-U9' is no unit of units.geojson nor grid"),
    ("grid_worker", EAST, f"'{EAST}' is a ten-household unit of units.geojson: only a unit_head covers a unit"),
    ("unit_head", GRID, f"a unit_head covers a ten-household unit of units.geojson, not '{GRID}'"),
])
def test_roster_areas_and_units_must_agree(config_dir, role, area, problem):
    units_in(config_dir)
    add_staff(config_dir, person("x-1", "某人", role, area))
    message = problems_of(config_dir)
    assert "roster.yaml: staff[" in message and f"(id x-1).area: {problem}" in message, message


def test_without_a_units_file_a_unit_area_is_still_refused_as_before(config_dir):
    add_staff(config_dir, person("uh-east", "联户长乙", "unit_head", EAST))
    assert f"'{EAST}' is no grid, village, township or district of grids.geojson" in problems_of(config_dir)


def test_a_bad_units_file_names_file_entry_and_problem(config_dir):
    write_units(config_dir, unit_feature("U-X", "GSH-NOWHERE", (106.628, 26.616, 106.631, 26.622)))
    message = problems_of(config_dir)
    assert f"{config_dir / 'units.geojson'}: features[0] (unit_id U-X): grid_id GSH-NOWHERE is no grid" in message


def test_gridalert_check_counts_the_units_and_refuses_a_bad_file_with_exit_2(config_dir):
    units_in(config_dir)
    check = [sys.executable, "-m", "gridalert", "check", "--config", str(config_dir)]
    ok = subprocess.run(check, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "2 ten-household units" in ok.stdout, ok.stdout + ok.stderr
    (config_dir / "units.geojson").write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                                              '"properties": {"grid_id": "GSH-JHY-01-03"}, "geometry": null}]}',
                                              encoding="utf-8")
    bad = subprocess.run(check, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "units.geojson: features[0]" in bad.stderr, bad.stderr
    assert "Traceback" not in bad.stderr + bad.stdout


# ---- locate ----------------------------------------------------------------------------------

def test_the_located_place_names_its_unit_inside_the_grid_found(config_dir):
    units_in(config_dir)
    grids = load_config(config_dir).grids
    assert (grids.locate(*IN_WEST).unit_id, grids.locate(*IN_EAST).unit_id) == (WEST, EAST)
    assert grids.locate(*IN_EAST).grid_id == GRID


def test_located_in_batches_the_places_name_the_same_units(config_dir):
    units_in(config_dir)
    grids = load_config(config_dir).grids
    lons, lats = [IN_WEST[0], IN_EAST[0], 106.605, 106.626], [IN_WEST[1], IN_EAST[1], 26.605, 26.619]
    assert [p.unit_id for p in grids.locate_many(lons, lats)] == [WEST, EAST, None, None]  # no unit; no grid
    assert [p.unit_id for p in grids.locate_many(lons, lats)] == [grids.locate(x, y).unit_id for x, y in zip(lons, lats)]


def test_a_place_with_its_unit_survives_the_topic():
    place = Place(district="观山湖区", grid_id=GRID, village="金融城社区", township="金华园街道", unit_id=EAST)
    assert Place.loads(place.dumps()) == place and Place.loads(place.dumps()).unit_id == EAST


# ---- routing ---------------------------------------------------------------------------------

IN_UNIT = Place(**{**TOWER.asdict(), "unit_id": "G-01-U1"})
UNIT_HEADS = Roster.model_validate({"staff": [*[p.model_dump(mode="json") for p in ROSTER.staff],
                                              person("uh-1", "刘洋", "unit_head", "G-01-U1"),
                                              person("uh-2", "孙丽", "unit_head", "G-01-U2")]})
FROM_UNIT = POLICIES.model_copy(update={"routing": {**POLICIES.routing, "heat.reading": POLICIES.routing[
    "heat.reading"].model_copy(update={"start_tier": "unit"})}, "tiers": {**POLICIES.tiers, "unit": POLICIES.tiers[
        "village"]}})


class Unit:
    """A units file's entry as routing sees it (``DistrictConfig.units``)."""

    def __init__(self, unit_head):
        self.unit_head = unit_head


def test_the_unit_tier_pages_the_unit_head_of_the_places_unit():
    assignment = Responsibility(UNIT_HEADS).assign(IN_UNIT, "unit")
    assert (assignment.tier, [p.id for p in assignment.people]) == ("unit", ["uh-1"])  # not uh-2 of another unit


@pytest.mark.parametrize("place, roster, skipped", [
    (TOWER, UNIT_HEADS, "no unit_head on the roster for this place"),  # located to no unit
    (Place(**{**TOWER.asdict(), "unit_id": "G-01-U7"}), UNIT_HEADS, "no unit_head on the roster for G-01-U7"),
    (IN_UNIT, ROSTER, "no unit_head on the roster for G-01-U1"),  # nobody registered to units at all
])
def test_no_unit_or_nobody_in_it_falls_through_to_the_grid(place, roster, skipped):
    assignment = Responsibility(roster).assign(place, "unit")
    assert (assignment.tier, [p.id for p in assignment.people]) == ("grid", ["gh-1"])
    assert f"skipped unit ({skipped})" in assignment.note


def test_the_head_the_units_file_names_is_paged_when_the_roster_registers_nobody_to_the_unit():
    units = {"G-01-U1": Unit("gh-1"), "G-01-U2": Unit("老刘")}  # a roster id; a plain name
    who = Responsibility(ROSTER, units=units)
    assert [p.id for p in who.at("unit", IN_UNIT)] == ["gh-1"]
    assert who.assign(Place(**{**TOWER.asdict(), "unit_id": "G-01-U2"}), "unit").tier == "grid"
    assert [p.id for p in Responsibility(UNIT_HEADS, units=units).at("unit", IN_UNIT)] == ["uh-1"]  # roster first


def test_a_policy_starting_at_the_unit_pages_the_unit_head_once_then_climbs_to_the_grid():
    who = Responsibility(UNIT_HEADS)
    book = Book(FROM_UNIT, who)
    state, steps = book.on_alarm(None, detect(reading("e-1", 80.0, place=IN_UNIT), FROM_UNIT, T0), T0)
    [first] = [s for s in steps if s.kind == "dispatched"]
    assert first.tier == "unit" and make_order(first, who, FROM_UNIT).responders == ["uh-1"]
    later = []
    for seconds in range(0, 180, 5):
        state, out = book.on_tick(state, T0 + timedelta(seconds=seconds))
        later += out
    climbed = [s for s in later if s.kind == "escalated"]
    assert [(s.kind, s.tier) for s in later][:1] == [("escalated", "grid")]
    assert make_order(climbed[0], who, FROM_UNIT).responders == ["gh-1"]


@pytest.mark.parametrize("language, where", [
    ("zh", "地点：十联户 G-01-U1，金融城第1网格 (G-01)，金融城社区，金华园街道"),
    ("en", "Place: unit G-01-U1, 金融城第1网格 (G-01), 金融城社区, 金华园街道"),
])
def test_the_page_names_the_unit_before_the_grid(language, where):
    facts = PageFacts(kind="dispatched", event_type="heat.reading", tier="unit", title="异常热源报警",
                      explanation="temperature 63.5 °C", detail="", place=IN_UNIT, lon=106.631, lat=26.621,
                      opened_at=T0, incident_id="INC-1", accept_by=T0 + timedelta(seconds=300))
    assert page_body(facts, language).splitlines()[0] == where


def test_oncall_answers_for_a_unit_with_its_unit_head(config_dir):
    units_in(config_dir)
    add_staff(config_dir, person("uh-east", "联户长乙", "unit_head", EAST))
    result = subprocess.run([sys.executable, "-m", "gridalert", "oncall", "--config", str(config_dir), "--area", EAST],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "联户长乙" in result.stdout, result.stdout + result.stderr
