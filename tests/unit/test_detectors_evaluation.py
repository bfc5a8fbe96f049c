"""The labelled evaluation: a small fixed district in CI; recall must stay at 100 %."""

from __future__ import annotations

import pytest

from gridalert.detectors.evaluate import Fired, eval_main, outcomes, run, score
from gridalert.detectors.simulate import World

SMALL = dict(seed=4, residents=60, cameras=40, monitors=40, days=21)


@pytest.fixture(scope="module")
def small():
    world, results = run(**SMALL)
    return world, results, score(results, world.start)


@pytest.mark.parametrize("detector", ["heat", "wiring", "activity", "gateway"])
def test_every_true_emergency_of_the_small_district_is_detected(small, detector):
    _, _, scores = small
    found = scores[detector]
    assert found.emergencies > 0, f"the fixed seed has no {detector} emergency: choose another"
    assert found.detected == found.emergencies, f"missed: {found.missed}"


@pytest.mark.parametrize("detector, most", [("heat", 0.01), ("wiring", 0.01), ("gateway", 0.01), ("activity", 0.05)])
def test_false_alarms_stay_rare(small, detector, most):
    _, _, scores = small
    found = scores[detector]
    assert found.false_alarms / found.device_days <= most


def test_sensor_alarms_come_within_minutes_and_smoulders_within_two_hours(small):
    _, _, scores = small
    assert max(scores["wiring"].delays) <= 300 and max(scores["heat"].delays) <= 7200


def test_a_subject_is_drawn_the_same_whatever_the_order():
    world = World(9, 20, 2, 2, 12)
    later = world.subject("resident", 3).readings
    world.subject("camera", 1)
    assert World(9, 20, 2, 2, 12).subject("resident", 3).readings == later


def test_the_table_has_a_row_per_detector():
    text = eval_main(seed=5, residents=20, cameras=5, monitors=5, days=12)
    for name in ("| heat |", "| wiring |", "| activity |", "| gateway |", "08–18 h"):
        assert name in text


def fired(t, key, *, clears=False, gateway=None, inhibits=None, subject="s"):
    return Fired(t, "activity", subject, key, "r", clears, gateway, inhibits)


def test_the_incident_model_opens_repeats_inhibits_and_clears():
    alarms = [
        fired(0, "gateway:G:gw-1", inhibits="gw-1"),
        fired(10, "activity:G:r-1", gateway="gw-1"),
        fired(20, "activity:G:r-2"),
        fired(30, "activity:G:r-2"),
        fired(40, "gateway:G:gw-1", clears=True),
        fired(50, "activity:G:r-1", gateway="gw-1"),
        fired(60, "activity:G:r-2", clears=True),
        fired(20 + 7201, "activity:G:r-2"),
    ]
    assert [fate for _, fate in outcomes(alarms)] == [
        "opened", "inhibited", "opened", "repeat", "cleared", "opened", "cleared", "opened"]
