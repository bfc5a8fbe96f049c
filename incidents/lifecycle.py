"""The incident lifecycle as one table: which command may act on which status, and what follows.

    new ─dispatch─▶ dispatched ─accept─▶ accepted ─on_scene─▶ on_scene ─resolve─▶ resolved
                       │  ▲                 │                                    │
               return  │  │ escalate/       └──────────resolve───────────────────┤
          (退单, one    ▼  │ reassign/timeout                                      ▼
           tier up) returned                                  verified ◀─verify─┘
                                                                 │ close(fixed)
    closed ◀──close(unfounded | duplicate | not_responsible) from any open status
    closed ─rate─▶ closed (rated once, 1–5)      resolved | verified | closed ─reopen─▶ reopened ─▶ dispatched

Nothing here knows about time, Kafka or people; ``refusal`` says in words why a command cannot
apply, and that sentence is what the person who gave it reads.
"""

from __future__ import annotations

from typing import Optional

OPEN = ("new", "dispatched", "accepted", "on_scene", "returned", "reopened")
STATUSES = OPEN + ("resolved", "verified", "closed")
CLOSE_REASONS = ("fixed", "unfounded", "duplicate", "not_responsible")

# action → statuses it may act on
ALLOWED: dict[str, tuple[str, ...]] = {
    "accept": ("new", "dispatched"),
    "on_scene": ("accepted",),
    "resolve": ("accepted", "on_scene"),
    "verify": ("resolved",),
    "close": STATUSES[:-1],
    "return": ("dispatched", "accepted"),
    "escalate": ("new", "dispatched", "accepted", "on_scene"),
    "reassign": ("new", "dispatched", "accepted", "on_scene"),
    "reopen": ("resolved", "verified", "closed"),
    "rate": ("closed",),
    "silence": OPEN,
}

# what the person should do instead, by status
HINT = {
    "new": "it has not been dispatched yet",
    "dispatched": "accept it first",
    "accepted": "it is accepted; resolve it when the hazard is removed",
    "on_scene": "it is being handled on scene; resolve it when done",
    "resolved": "it is resolved; verify or reopen it",
    "verified": "it is verified; close it",
    "closed": "it is closed; reopen it to act on it again",
}

ACTIONS = tuple(ALLOWED)


def refusal(action: str, status: str, *, reason: Optional[str] = None, score: Optional[int] = None,
            rated: bool = False, department: Optional[str] = None) -> Optional[str]:
    """Why ``action`` cannot apply to an incident in ``status`` (None: it can)."""
    if action not in ALLOWED:
        return f"unknown action {action!r}; actions are {', '.join(ACTIONS)}"
    if department and action == "accept":
        return None  # a department's acceptance is checked against the department's own state
    if status not in ALLOWED[action]:
        return f"cannot {action.replace('_', ' ')} an incident that is {status.replace('_', ' ')}: {HINT.get(status, '')}"
    if action == "close":
        if reason not in CLOSE_REASONS:
            return f"close needs a reason: one of {', '.join(CLOSE_REASONS)}"
        if reason == "fixed" and status != "verified":
            return f"cannot close as fixed an incident that is {status.replace('_', ' ')}: it must be resolved and verified first"
    if action == "return" and not reason:
        return "return (退单) needs a reason, e.g. 'not in our grid' or 'needs the power company'"
    if action == "rate":
        if rated:
            return "this incident has been rated already"
        if score is None or not 1 <= score <= 5:
            return "a rating is a score from 1 to 5"
    return None
