"""Load and check a configuration directory; every problem names file, entry and what is wrong.

Files: ``grids.geojson`` (required), ``roster.yaml`` (required), ``policies.yaml`` (optional,
defaults apply), ``devices.yaml`` (optional), ``schedules.yaml`` (optional: duty rotations; without
it everyone with a role in an area is on duty), ``units.geojson`` (optional: ten-household units
(十联户) inside the grids; with it events are located to their unit and roster areas may name a
unit, so unit heads can be paged). All files are read and every problem is collected
before anything starts, so one run of ``gridalert check`` shows the whole list.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, TypeVar

from pydantic import BaseModel, ValidationError

from gridalert.config.documents import read_yaml, validation_problems
from gridalert.config.errors import ConfigError, ConfigErrors
from gridalert.config.model import Device, Devices, Person, Policies, Roster, department_role
from gridalert.config.schedules import Schedules, schedule_label
from gridalert.geo import GridMap

if TYPE_CHECKING:
    from gridalert.geo.units import UnitInfo

M = TypeVar("M", bound=BaseModel)

GRIDS, ROSTER, POLICIES, DEVICES = "grids.geojson", "roster.yaml", "policies.yaml", "devices.yaml"
SCHEDULES, UNITS = "schedules.yaml", "units.geojson"


@dataclass(frozen=True)
class DistrictConfig:
    """Everything a worker knows about its district, checked and ready to use."""

    directory: Path
    grids: GridMap
    roster: Roster
    policies: Policies
    devices: dict[str, Device] = field(default_factory=dict)
    schedules: Schedules = field(default_factory=Schedules)

    def person(self, person_id: str) -> Optional[Person]:
        return self._people.get(person_id)

    @property
    def units(self) -> Mapping[str, UnitInfo]:
        """unit_id → ten-household unit (empty without ``units.geojson``)."""
        return self.grids.units

    @property
    def _people(self) -> dict[str, Person]:
        cached = self.__dict__.get("_people_cache")
        if cached is None:
            cached = {p.id: p for p in self.roster.staff}
            object.__setattr__(self, "_people_cache", cached)
        return cached


ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_environment(text: str, environ: Mapping[str, str]) -> tuple[str, list[str]]:
    """Replace ``${VAR}`` and ``${VAR:-default}``; return the text and the names that were unset.

    Lets a roster keep channel secrets (bot keys, SMTP passwords) and ports out of the file.
    """
    unset: list[str] = []

    def replace(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        unset.append(name)
        return match.group(0)

    return ENV_REFERENCE.sub(replace, text), unset


def _expand_channels(path: Path, document: Any, environ: Mapping[str, str]) -> None:
    staff = document.get("staff") if isinstance(document, dict) else None
    problems = []
    for i, person in enumerate(staff if isinstance(staff, list) else []):
        channels = person.get("channels") if isinstance(person, dict) else None
        for j, url in enumerate(channels if isinstance(channels, list) else []):
            if isinstance(url, str):
                channels[j], unset = expand_environment(url, environ)
                if unset:
                    problems.append((f"staff[{i}] (id {person.get('id')}).channels[{j}]",
                                     f"environment variable {', '.join(unset)} is not set"))
    reply = document.get("reporter_reply") if isinstance(document, dict) else None
    if isinstance(reply, str):
        document["reporter_reply"], unset = expand_environment(reply, environ)
        if unset:
            problems.append(("reporter_reply", f"environment variable {', '.join(unset)} is not set"))
    if problems:
        raise ConfigError(path, problems)


def _parse(path: Path, model: type[M], required: bool,
           prepare: Optional[Callable[[Path, Any], None]] = None) -> M:
    if not path.exists():
        if required:
            raise ConfigError(path, [("(file)", "missing; this file is required")])
        return model()
    document = read_yaml(path)
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(path, [("(top level)", "must be a mapping of keys to values")])
    if prepare is not None:
        prepare(path, document)
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise ConfigError(path, validation_problems(exc, document)) from None


def _load_grids(path: Path, units: Path) -> GridMap:
    """The grid map, with the units file when there is one (checked against the grids)."""
    if not path.exists():
        raise ConfigError(path, [("(file)", "missing; this file is required")])
    return GridMap.from_geojson(path, units=units if units.exists() else None)


def _areas(grids: GridMap) -> set[str]:
    """Every area a roster or schedule may name: the district, townships, villages, grids, units."""
    areas = {grids.district, *grids.units}
    for info in grids.grids.values():
        areas.update((info.grid_id, info.village, info.township, info.district))
    return areas


def _no_such_area(area: str, grids: GridMap) -> str:
    if grids.units:
        return f"{area!r} is no unit of {UNITS} nor grid, village, township or district of {GRIDS}"
    return f"{area!r} is no grid, village, township or district of {GRIDS}"


def _check_roster(path: Path, roster: Roster, grids: GridMap, policies: Optional[Policies],
                  check_url: Callable[[str], Optional[str]]) -> None:
    areas, units = _areas(grids), grids.units
    problems = []
    ids = {p.id for p in roster.staff}
    for i, person in enumerate(roster.staff):
        if person.area not in areas:
            problems.append((f"staff[{i}] (id {person.id}).area", _no_such_area(person.area, grids)))
        elif units and (person.area in units) != (person.role.value == "unit_head"):
            # Only the unit tier looks people up by unit: anyone else registered to a unit, or a
            # unit head registered to a grid, would never be paged.
            problem = (f"{person.area!r} is a ten-household unit of {UNITS}: only a unit_head covers a unit"
                       if person.area in units else
                       f"a unit_head covers a ten-household unit of {UNITS}, not {person.area!r}")
            problems.append((f"staff[{i}] (id {person.id}).area", problem))
        for j, url in enumerate(person.channels):
            problem = check_url(url)
            if problem:
                problems.append((f"staff[{i}] (id {person.id}).channels[{j}]", problem))
        if person.deputy is not None and person.deputy not in ids:
            problems.append((f"staff[{i}] (id {person.id}).deputy", f"{person.deputy!r} is not on the roster"))
    if policies is not None:
        roles = {p.role.value for p in roster.staff}
        for i, card in enumerate(policies.run_cards):
            for department in card.departments:
                if department_role(department) not in roles:
                    problems.append(("staff", f"run card {card.name!r} (policies.yaml run_cards[{i}]) sends the "
                                              f"{department} department, but no {department_role(department)} is on the roster"))
        if policies.run_cards and "district_leader" not in roles:
            problems.append(("staff", "run cards are set but no district_leader is on the roster to page when the "
                                      "joint-response clock runs out"))
    if not any(p.role.value == "district_duty" and p.area == grids.district for p in roster.staff):
        problems.append(("staff", f"no district_duty for {grids.district}: incidents outside every grid "
                                  "and unstaffed tiers would reach nobody"))
    if problems:
        raise ConfigError(path, problems)


def _check_policy_areas(path: Path, policies: Policies, grids: GridMap) -> None:
    areas = {name for info in grids.grids.values() for name in (info.grid_id, info.village, info.township)}
    problems = [(f"detectors.areas.{name}", f"{name!r} is no grid, village or township of {GRIDS}")
                for name in sorted(policies.detectors.areas) if name not in areas]
    if problems:
        raise ConfigError(path, problems)


def _parse_schedules(path: Path) -> Schedules:
    """``schedules.yaml``, with each problem's schedule named by its area and role."""
    documents: list[Any] = []
    try:
        return _parse(path, Schedules, required=False, prepare=lambda _, document: documents.append(document))
    except ConfigError as exc:
        if not documents:
            raise
        labelled = [(re.sub(r"^schedules\[(\d+)\]", lambda m: schedule_label(int(m[1]), documents[0]), entry), problem)
                    for entry, problem in exc.problems]
        raise ConfigError(path, labelled) from None


def _check_schedules(path: Path, schedules: Schedules, roster: Roster, grids: GridMap) -> None:
    """Every schedule's area is on the map; everyone it names is on the roster with its role.

    Rotation members must also be registered to the schedule's area (the roster stays the one
    place that says who belongs where); an override may bring in a person of the same role from
    another area, e.g. a neighbouring township's duty officer covering a leave.
    """
    areas = _areas(grids)
    people = {p.id: p for p in roster.staff}
    problems = []

    def holds_role(person_id: str, role: str, area: Optional[str]) -> Optional[str]:
        person = people.get(person_id)
        if person is None:
            return f"{person_id!r} is not on the roster ({ROSTER})"
        if person.role.value != role:
            return f"{person_id!r} ({person.name}) is {person.role.value} on the roster, not {role}"
        if area is not None and person.area != area:
            return (f"{person_id!r} ({person.name}) is {role} for {person.area} on the roster, not for {area}; "
                    "a person from another area may cover by an override")
        return None

    for i, schedule in enumerate(schedules.schedules):
        label, role = f"schedules[{i}] ({schedule.area} {schedule.role.value})", schedule.role.value
        if schedule.area not in areas:
            problems.append((f"{label}.area", _no_such_area(schedule.area, grids)))
        for j, layer in enumerate(schedule.layers):
            for m, member in enumerate(layer.members):
                problem = holds_role(member, role, schedule.area)
                if problem:
                    problems.append((f"{label}.layers[{j}].members[{m}]", problem))
        for o, override in enumerate(schedule.overrides):
            problem = holds_role(override.person, role, None)
            if problem:
                problems.append((f"{label}.overrides[{o}].person", problem))
    if problems:
        raise ConfigError(path, problems)


def _check_url_with_apprise(url: str) -> Optional[str]:
    from gridalert.notifiers.channel import AppriseChannel

    return AppriseChannel.validate(url)


def load_config(directory: Path, *, check_url: Callable[[str], Optional[str]] = _check_url_with_apprise,
                environ: Optional[Mapping[str, str]] = None) -> DistrictConfig:
    """Read every file of ``directory``; raise ``ConfigErrors`` listing all problems found.

    Channel URLs in the roster may use ``${VAR}`` / ``${VAR:-default}`` (``environ`` defaults to
    the process environment).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigErrors([ConfigError(directory, [("(directory)", "does not exist or is not a directory")])])
    errors: list[ConfigError] = []

    def attempt(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except ConfigError as exc:
            errors.append(exc)
            return None

    grids = attempt(lambda: _load_grids(directory / GRIDS, directory / UNITS))
    environ = os.environ if environ is None else environ
    roster = attempt(lambda: _parse(directory / ROSTER, Roster, required=True,
                                    prepare=lambda path, doc: _expand_channels(path, doc, environ)))
    policies = attempt(lambda: _parse(directory / POLICIES, Policies, required=False))
    devices = attempt(lambda: _parse(directory / DEVICES, Devices, required=False))
    schedules = attempt(lambda: _parse_schedules(directory / SCHEDULES))
    if grids is not None and roster is not None:
        attempt(lambda: _check_roster(directory / ROSTER, roster, grids, policies, check_url))
        if schedules is not None:
            attempt(lambda: _check_schedules(directory / SCHEDULES, schedules, roster, grids))
    if grids is not None and policies is not None:
        attempt(lambda: _check_policy_areas(directory / POLICIES, policies, grids))
    if errors:
        raise ConfigErrors(errors)
    return DistrictConfig(
        directory=directory,
        grids=grids,
        roster=roster,
        policies=policies,
        devices={d.id: d for d in devices.devices},
        schedules=schedules,
    )
