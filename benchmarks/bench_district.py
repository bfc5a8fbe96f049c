"""The benchmark's district: a synthetic grid map, its devices, a roster and policies, on disk.

``write_district(preset, directory, receiver)`` builds the ``gridalert geo synth`` preset
(``kaiyang``: 853 grids; ``province``: 100,000 grids in 88 districts), places registered devices
at synthetic households, and writes a configuration directory a worker loads like any district's:
``grids.geojson``, ``devices.yaml``, ``roster.yaml`` (every person's channel points at the
benchmark's loopback receiver) and ``policies.yaml`` (the sample's, with one reading enough to
alarm and timeouts longer than any run, so no escalation page disturbs a measurement).

Devices sit in a subset of the grids on the province map (households for 100,000 grids would take
minutes to draw); every event is still located on the whole map. Each grid with devices has a grid
head on the roster: an alarm in that grid pages that person, so the receiver's path tells which
alarm a page belongs to.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gridalert.geo import synth  # noqa: E402
from tests.support.configs import copy_sample, edit_yaml  # noqa: E402
from tests.support.receiver import Receiver  # noqa: E402

NEVER_S = 3600.0  # no tier climbs and no department clock runs out during a run
DEVICE_GRIDS = 2000  # grids with devices (and grid heads) at most: all of Kaiyang, a spread of the province
DEVICES_PER_GRID = 2  # as `gridalert geo synth --devices-out` defaults to


@dataclass(frozen=True)
class District:
    """What the event mix needs to know of a written district."""

    directory: Path
    preset: str
    grids: int
    devices: list[dict]            # devices.yaml entries (id, kind, lon, lat, building_type, resident…)
    alarm_spots: list[tuple[str, float, float]]  # (grid id, lon, lat) well inside a staffed grid


def write_district(preset: str, directory: Path, receiver: Receiver, *, seed: int = 0) -> District:
    built = synth.build(replace(synth.PRESETS[preset], seed=seed))
    staffed = _device_grids(built)
    homes = synth.households(staffed, (20, 60), seed)
    devices = synth.devices(staffed, DEVICES_PER_GRID * len(staffed.infos), homes, seed)

    copy_sample(directory)
    (directory / "schedules.yaml").unlink()  # the sample's rotations name the sample's areas
    with open(directory / "grids.geojson", "w", encoding="utf-8") as out:
        synth.write_features(out, built.features())
    with open(directory / "devices.yaml", "w", encoding="utf-8") as out:
        synth.write_devices(out, devices)
    edit_yaml(directory / "roster.yaml", lambda roster: _staff(roster, built, staffed, receiver))
    edit_yaml(directory / "policies.yaml", _bench_policies)

    points = [geometry.representative_point() for geometry in staffed.geometries]
    spots = [(info.grid_id, round(p.x, 7), round(p.y, 7)) for info, p in zip(staffed.infos, points)]
    return District(directory, preset, len(built.infos), devices, spots)


def _device_grids(built: synth.SynthMap) -> synth.SynthMap:
    """Every grid of a county; an even spread of ``DEVICE_GRIDS`` grids of a larger map."""
    if len(built.infos) <= DEVICE_GRIDS:
        return built
    picked = np.linspace(0, len(built.infos) - 1, DEVICE_GRIDS).astype(int)
    return replace(built, infos=[built.infos[i] for i in picked], geometries=built.geometries[picked],
                   urban=built.urban[picked])


def _person(pid: str, role: str, area: str, receiver: Receiver) -> dict:
    return {"id": pid, "name": pid, "role": role, "area": area, "channels": [receiver.url_for(pid)]}


def _staff(roster: dict, built: synth.SynthMap, staffed: synth.SynthMap, receiver: Receiver) -> None:
    """A grid head per staffed grid; per district its duty officer, leader and the departments the
    sample's run cards call."""
    staff = [_person(f"gh-{info.grid_id}", "grid_head", info.grid_id, receiver) for info in staffed.infos]
    for district in sorted({info.district for info in built.infos}):
        for role in ("district_duty", "district_leader", "dept_fire", "dept_power", "dept_property"):
            staff.append(_person(f"{role}-{district}", role, district, receiver))
    roster["staff"] = staff
    roster["reporter_reply"] = receiver.url_for("reporter-{contact}")


def _bench_policies(document: dict) -> None:
    document["detectors"]["heat"]["persist_frames"] = 1     # one hot frame alarms, as in the e2e tests
    document["detectors"]["wiring"]["persist_readings"] = 1
    document["detectors"]["areas"] = {}                      # the sample's township is not on this map
    document["tiers"] = {tier: {"accept_timeout_s": NEVER_S, "repages": 0} for tier in document["tiers"]}
    document["joint_dispatch"].update(clock_s=NEVER_S, accept_timeout_s=NEVER_S, repages=0)
