"""Who may see and do what in the command centre's API: the roster decides, per token.

A token belongs to a person on the roster (or is a read-only viewer of an area). The person's
role and area give the scope:

| role | sees | may |
|---|---|---|
| district duty officer, district leader | the district | every command |
| township duty | incidents in their township | every command but rating |
| village secretary, grid head, grid worker | their village / grid | accept, on scene, resolve, return, escalate, silence |
| department duty (fire, power, …) | incidents dispatched to their department | accept, on scene, resolve, return for their department |
| viewer | the area named on the token | nothing (read only) |

Ten-household unit heads see nothing (they accept by the page's link; the incidents the API
lists carry no unit). Sending events (the
CloudEvents intake, Open311 reports) is writing too: viewers and those who see nothing may not.
Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from gridalert.config.model import Person
from gridalert.incidents.routing import AREA_ROLE_TIER

# the tier roles of routing (grid head, village secretary, …; not unit heads: the stored incidents
# the API lists carry no unit), plus those who share their areas
AREA_ROLES = {**{role: tier for role, tier in AREA_ROLE_TIER.items() if tier != "unit"},
              "district_leader": "district", "grid_worker": "grid"}
FIELD_ACTIONS = ("accept", "on_scene", "resolve", "return", "escalate", "silence")
DEPARTMENT_ACTIONS = ("accept", "on_scene", "resolve", "return")
CENTRE_ONLY = ("rate",)


@dataclass(frozen=True)
class Scope:
    """What one token covers: ``kind`` is district, township, village, grid, department or none."""

    kind: str
    name: str
    person_id: Optional[str] = None
    read_only: bool = False

    def describe(self) -> str:
        what = f"{self.kind} {self.name}" if self.kind != "none" else "nothing"
        return f"{what}{' (read only)' if self.read_only else ''}"


def scope_of(person: Optional[Person], *, viewer_area: Optional[str] = None, viewer_kind: str = "district") -> Scope:
    """A person's scope from the roster, or a read-only viewer's of ``viewer_area``."""
    if person is None:
        return Scope(viewer_kind, viewer_area or "", read_only=True)
    role = person.role.value
    if role in AREA_ROLES:
        return Scope(AREA_ROLES[role], person.area, person.id)
    if role.startswith("dept_"):
        return Scope("department", role.removeprefix("dept_"), person.id)
    return Scope("none", person.area, person.id)


def can_see(scope: Scope, *, district: str, township: Optional[str], village: Optional[str],
            grid_id: Optional[str], departments: Iterable[str] = ()) -> bool:
    """May this scope see an incident at this place, dispatched to these departments?"""
    if scope.kind == "district":
        return scope.name == district
    if scope.kind == "township":
        return scope.name == township
    if scope.kind == "village":
        return scope.name == village
    if scope.kind == "grid":
        return scope.name == grid_id
    if scope.kind == "department":
        return scope.name in set(departments)
    return False


def intake_refusal(scope: Scope) -> Optional[str]:
    """Why this scope may not send events or citizen reports (None: it may)."""
    if scope.read_only:
        return "this token is read only: it may not send events"
    if scope.kind == "none":
        return "this person's role covers no incidents: it may not send events"
    return None


def refusal(scope: Scope, action: str, department: Optional[str] = None) -> Optional[str]:
    """Why this scope may not give ``action`` on an incident it can see (None: it may)."""
    if scope.read_only:
        return "this token is read only"
    if scope.kind == "department":
        if action not in DEPARTMENT_ACTIONS:
            return f"department duty may {', '.join(DEPARTMENT_ACTIONS)} only"
        if department != scope.name:
            return f"department duty of {scope.name} acts for {scope.name} only (department={scope.name})"
        return None
    if scope.kind in ("village", "grid") and action not in FIELD_ACTIONS:
        return f"{scope.kind} staff may {', '.join(FIELD_ACTIONS)}; the command centre does the rest"
    if scope.kind == "township" and action in CENTRE_ONLY:
        return "only the district command centre records the reporter's rating"
    if scope.kind == "none":
        return "this person's role covers no incidents"
    return None
