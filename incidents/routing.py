"""Who answers at which tier: the roster resolved against a place (派单).

"Small matters stay in the unit, big matters in the grid, hard matters in the centre": an
incident starts at its policy's tier and, when nobody on the roster covers that tier for the
place, goes to the next tier up — never to nobody. A tier's people are those of its roles
(``TIER_ROLES``): at the grid tier the grid head and the grid workers of that grid. Departments
(fire, power, …) are found the same way: their duty staff for the smallest area that covers the
place. Where ``schedules.yaml`` has a duty rotation for a role and area, only those on duty at
the step's time are paged (``incidents.oncall.on_duty``); a gap in a schedule falls back to
everyone with the role there.

The unit tier (联户) exists only where the district has a units file: the place then names its
ten-household unit, whose heads are the roster's ``unit_head`` for that unit id, or else the
person the units file names as ``unit_head`` if that is a roster id. A place with no unit, or a
unit with nobody, goes on to the grid tier like any unstaffed tier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Mapping, Optional

from gridalert.config.model import TIER_ROLES, Person, Role, Roster, department_role
from gridalert.config.schedules import Schedules
from gridalert.incidents.oncall import on_duty
from gridalert.streams.records import TIERS, Place

if TYPE_CHECKING:
    from gridalert.geo.units import UnitInfo

AREA_ROLE_TIER = {role.value: tier for tier, roles in TIER_ROLES.items() for role in roles}


def area_of(place: Place, tier: str) -> Optional[str]:
    """The area name a tier's staff are registered under for this place (None: no such area)."""
    return {
        "unit": place.unit_id,  # None without a units file, or outside every unit
        "grid": place.grid_id,
        "village": place.village,
        "township": place.township,
        "district": place.district,
    }[tier]


def tier_above(tier: str) -> Optional[str]:
    index = TIERS.index(tier)
    return TIERS[index + 1] if index + 1 < len(TIERS) else None


@dataclass(frozen=True)
class Assignment:
    tier: str
    people: tuple[Person, ...]
    note: str


def _names(people) -> str:
    return ", ".join(f"{p.name} ({p.role.value})" for p in people)


class Responsibility:
    """Index of the roster by (role, area); answers "who is responsible here at this tier"."""

    def __init__(self, roster: Roster, schedules: Optional[Schedules] = None, units: Mapping[str, UnitInfo] = {}):
        """``units``: the district's ten-household units (``DistrictConfig.units``), for the heads
        the units file names."""
        self._schedules = schedules
        self._unit_heads = {unit_id: info.unit_head for unit_id, info in units.items() if info.unit_head}
        self._by_role_area: dict[tuple[str, str], list[Person]] = {}
        self._people = {p.id: p for p in roster.staff}
        for person in roster.staff:
            self._by_role_area.setdefault((person.role.value, person.area), []).append(person)

    def person(self, person_id: str) -> Optional[Person]:
        return self._people.get(person_id)

    def _with_role(self, role: str, tier: str, place: Place, when: Optional[datetime]) -> list[Person]:
        """Who holds ``role`` for the place's area at ``tier``: those the duty schedule names at
        ``when``, else (no schedule, or a gap in it) everyone with the role there."""
        area = area_of(place, tier)
        if not area:
            return []
        if when is not None and self._schedules:
            scheduled = [self._people[i] for i in on_duty(self._schedules, area, role, when) if i in self._people]
            if scheduled:
                return scheduled
        return list(self._by_role_area.get((role, area), []))

    def at(self, tier: str, place: Place, when: Optional[datetime] = None) -> list[Person]:
        """Everyone the tier pages for the place: each of the tier's roles, each by its schedule."""
        people = [p for role in TIER_ROLES[tier] for p in self._with_role(role.value, tier, place, when)]
        if tier == "unit" and not people and place.unit_id is not None:
            named = self._people.get(self._unit_heads.get(place.unit_id, ""))
            people = [named] if named is not None else []
        return list({p.id: p for p in people}.values())

    def assign(self, place: Place, start_tier: str, when: Optional[datetime] = None) -> Assignment:
        """The first tier from ``start_tier`` upward that has someone; the note says what was skipped."""
        if place.grid_id is None:
            # In no grid: only the district centre can own it (an unassigned point).
            people = self.at("district", place, when)
            return Assignment("district", tuple(people),
                              f"dispatched to district tier: {_names(people) or 'nobody on the roster'}; "
                              f"the point is in no grid ({place.reason or 'unassigned'})")
        skipped = []
        for tier in TIERS[TIERS.index(start_tier):]:
            people = self.at(tier, place, when)
            if people:
                note = f"dispatched to {tier} tier: {_names(people)}"
                if skipped:
                    note += "; skipped " + "; ".join(skipped)
                return Assignment(tier, tuple(people), note)
            area = area_of(place, tier)
            roles = " or ".join(role.value for role in TIER_ROLES[tier])
            skipped.append(f"{tier} (no {roles} on the roster for {area or 'this place'})")
        return Assignment("district", (), "nobody on the roster at any tier; skipped " + "; ".join(skipped))

    def department(self, place: Place, department: str, start_tier: str = "grid",
                   when: Optional[datetime] = None) -> Assignment:
        """The department's duty staff for the smallest area from ``start_tier`` up that has any."""
        role = department_role(department)
        for tier in TIERS[TIERS.index(start_tier):]:
            people = self._with_role(role, tier, place, when)
            if people:
                return Assignment(tier, tuple(people), f"{department} department at {tier} tier: {_names(people)}")
        return Assignment("district", (), f"nobody of the {department} department on the roster")

    def leaders(self, place: Place, when: Optional[datetime] = None) -> list[Person]:
        return self._with_role(Role.district_leader.value, "district", place, when)

    def tier_of(self, person: Person) -> str:
        return AREA_ROLE_TIER.get(person.role.value, "district")
