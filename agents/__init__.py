"""Thin Faust agents, one module per pipeline stage; each consumes, calls a pure core, produces.

    events → validate → validated → locate → located → detect → alarms → incident → incidents
    incidents → dispatch → dispatch.<tier> → notify → deliveries;  incidents, deliveries → record

Agents hold no domain logic: that is in ``streams.cloudevents``, ``geo``, ``detectors``,
``incidents`` and ``notifiers``. Every message passes ``boundary.guard``: nothing is lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gridalert.streams.app import Stage


def register_all(stage: "Stage") -> None:
    from gridalert.agents import detect, dispatch, incident, locate, notify, record, validate

    for module in (validate, locate, detect, incident, dispatch, notify, record):
        module.register(stage)
