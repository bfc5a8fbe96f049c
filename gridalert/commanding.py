"""Giving a command about an incident from outside the worker, and reading its outcome.

One code path for ``gridalert command`` and the accept web app (``gridalert.web``): find which
partition owns the incident (its grid, from the projection), build the ``Command``, produce it to
``gridalert.commands``, then poll the projection for the timeline step the command produced.
Neither caller writes state: the incident stage decides, and a refusal comes back as a
``command_refused`` step whose detail says why.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Optional

from gridalert.store import find_command_outcome, find_incident
from gridalert.store.models import TimelineEntry
from gridalert.streams.commands import new_command
from gridalert.streams.records import Command


class NoSuchIncident(LookupError):
    pass


def incident_command(action: str, actor: str, incident_id: str, *, sessions, **fields: Any) -> Command:
    """The command about a known incident, keyed to the partition that owns it."""
    with sessions() as session:
        incident = find_incident(incident_id, session=session)
    if incident is None:
        raise NoSuchIncident(incident_id)
    key = incident.grid_id or f"unassigned:{incident.district}"
    return new_command(action, actor, key, incident_id=incident.id, **fields)


def wait_for_outcome(sessions, command_id: str, *, timeout_s: float, poll_s: float = 0.3,
                     sleep: Callable[[float], None] = time.sleep) -> Optional[TimelineEntry]:
    """The step the command produced, or None if none was recorded within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        with sessions() as session:
            outcome = find_command_outcome(command_id, session=session)
            if outcome is not None:
                session.expunge(outcome)
                return outcome
        if time.monotonic() >= deadline:
            return None
        sleep(poll_s)
