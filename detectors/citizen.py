"""Citizen reports (群众上报: 码上办 QR-code intake, 随手拍 snap-and-report): no threshold.

Every valid report is an alarm of its category, deduplicated by the report's id
(``data.report_id``, else the event id): a report sent twice is one incident. The title names the
category (``detectors.citizen.categories`` may give it a label, a severity and a class); the
reporter's contact stays in the event's data and never enters the title or the explanation,
which are paged. The description is a citizen's free text, so it is scrubbed as a page is
(``notifiers.privacy.scrub_free_text``): phrases about health withheld, names and phone numbers
masked — before it is stored, so the timeline does not keep what the page may not say.
Stateless: the state is always None.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Optional

from gridalert.config.model import CitizenRule, Policies
from gridalert.detectors.common import make_alarm, where_of
from gridalert.notifiers.privacy import scrub_free_text
from gridalert.streams.records import Alarm, LocatedEvent

REPORT = "citizen.report"
DESCRIPTION_CHARS = 200


def report_id(located: LocatedEvent) -> str:
    return str(located.event.data.get("report_id") or located.event.id)


class CitizenDetector:
    name = "citizen"
    event_types = ("citizen.report",)

    def __init__(self, policies: Policies, devices: Mapping[str, Any] = {}, rule: Optional[CitizenRule] = None):
        self.policies, self.devices = policies, devices
        self.rule = rule or policies.detectors.citizen

    def subject(self, located: LocatedEvent) -> str:
        return f"citizen:{report_id(located)}"

    def on_event(self, state: Optional[dict], located: LocatedEvent, now: datetime) -> tuple[Optional[dict], list[Alarm]]:
        data = located.event.data
        category = str(data["category"])
        known = self.rule.categories.get(category)
        label = (known.label if known and known.label else None) or category
        report = report_id(located)
        description = scrub_free_text(" ".join(str(data.get("description") or "").split()))
        if len(description) > DESCRIPTION_CHARS:
            description = description[:DESCRIPTION_CHARS - 1] + "…"
        parts = [f"citizen report {report} of category {category}: {description or '(no description)'}"]
        photos = data.get("photo_url")
        if photos:
            parts.append(f"photo: {photos}")
        parts.append("every valid report is an alarm; reporter contact is in the event data")
        alarm = make_alarm(
            located, self.policies, now, alarm_id=f"{report}:{REPORT}", rule=REPORT,
            dedup_key=f"citizen:{located.place.partition_key}:{report}",
            title=f"群众上报 Citizen report: {label} — {where_of(located)}",
            explanation="; ".join(parts) + f" (rule {REPORT})",
            severity=known.severity if known and known.severity else None,
            klass=known.klass.value if known and known.klass else None)
        return None, [alarm]

    def on_time(self, state: dict, now: datetime) -> tuple[Optional[dict], list[Alarm]]:
        return None, []

    def next_due(self, state: Optional[dict]) -> Optional[float]:
        return None
