"""Thin Faust agents, one module per pipeline stage; each consumes, calls a pure core, produces.

    events → intake (validate, locate) → located → detect → alarms → incident → incidents
    incidents → dispatch → dispatch.<tier> → notify → deliveries;  incidents, deliveries → record

Agents hold no domain logic: that is in ``streams.cloudevents``, ``geo``, ``detectors``,
``incidents`` and ``notifiers``. Every message passes ``boundary.guard``: nothing is lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gridalert.streams.app import Stage


def register_all(stage: "Stage") -> None:
    from gridalert.agents import detect, dispatch, incident, intake, locate, notify, record

    for module in (intake, locate, detect, incident, dispatch, notify, record):
        module.register(stage)
