"""Who answers at which tier: the roster resolved against a place (派单).

"Small matters stay in the unit, big matters in the grid, hard matters in the centre": an
incident starts at its policy's tier and, when nobody on the roster covers that tier for the
place, goes to the next tier up — never to nobody. The district tier always answers if the roster
has a district duty officer (the loader checks areas; the sample has one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from gridalert.config.model import TIER_ROLE, Person, Roster
from gridalert.streams.records import TIERS, Place


def area_of(place: Place, tier: str) -> Optional[str]:
    """The area name a tier's staff are registered under for this place (None: no such area)."""
    return {
        "unit": None,  # ten-household units arrive with the unit map (geo issue)
        "grid": place.grid_id,
        "village": place.village,
        "township": place.township,
        "district": place.district,
    }[tier]


@dataclass(frozen=True)
class Assignment:
    tier: str
    people: tuple[Person, ...]
    note: str


class Responsibility:
    """Index of the roster by (role, area); answers "who is responsible here at this tier"."""

    def __init__(self, roster: Roster):
        self._by_role_area: dict[tuple[str, str], list[Person]] = {}
        for person in roster.staff:
            self._by_role_area.setdefault((person.role.value, person.area), []).append(person)

    def at(self, tier: str, place: Place) -> list[Person]:
        area = area_of(place, tier)
        if area is None:
            return []
        return list(self._by_role_area.get((TIER_ROLE[tier].value, area), []))

    def assign(self, place: Place, start_tier: str) -> Assignment:
        """The first tier from ``start_tier`` upward that has someone; the note says what was skipped."""
        if place.grid_id is None:
            # In no grid: only the district centre can own it (an unassigned point).
            people = self.at("district", place)
            names = ", ".join(f"{p.name} ({p.role.value})" for p in people) or "nobody on the roster"
            return Assignment("district", tuple(people),
                              f"dispatched to district tier: {names}; the point is in no grid "
                              f"({place.reason or 'unassigned'})")
        skipped = []
        for tier in TIERS[TIERS.index(start_tier):]:
            people = self.at(tier, place)
            if people:
                names = ", ".join(f"{p.name} ({p.role.value})" for p in people)
                note = f"dispatched to {tier} tier: {names}"
                if skipped:
                    note += "; skipped " + "; ".join(skipped)
                return Assignment(tier, tuple(people), note)
            area = area_of(place, tier)
            skipped.append(f"{tier} (no {TIER_ROLE[tier].value} on the roster for {area or 'this place'})")
        return Assignment("district", (), "nobody on the roster at any tier; skipped " + "; ".join(skipped))
