"""Telling a citizen reporter the outcome (回访): one short message when their report is closed.

The reporter's contact travels on the incident's own timeline (``IncidentEvent.reply_to``), not
in dispatch orders, pages or the database; the district's ``reporter_reply`` URL (roster.yaml)
says how to reach it, e.g. an SMS gateway. Pure: the notify stage sends and keeps the sent-log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional
from urllib.parse import quote
from zoneinfo import ZoneInfo

from gridalert.streams.records import IncidentEvent

LOCAL_TIME = ZoneInfo("Asia/Shanghai")
REPORTER = "reporter"  # the Delivery's person id for a reply
OUTCOMES = {  # close reasons (incidents.lifecycle.CLOSE_REASONS) as a reporter reads them
    "fixed": "已处置 fixed",
    "unfounded": "经核实未发现问题 nothing found on inspection",
    "duplicate": "已与同一问题的其他反映合并处理 handled with another report of the same problem",
    "not_responsible": "已转交主管部门 passed to the responsible department",
}


@dataclass(frozen=True)
class Reply:
    sent_key: str
    url: str
    title: str
    body: str


def reply_for(event: IncidentEvent, reply_url: Optional[str]) -> Optional[Reply]:
    """The reply a closing step owes its reporter; None for every other step.

    Raises ``LookupError`` when a reporter is owed a reply but the district has no way to send it.
    """
    if event.kind != "closed" or not event.reply_to:
        return None
    if not reply_url:
        raise LookupError(f"incident {event.incident_id} was reported by a citizen, but roster.yaml has no "
                          f"reporter_reply URL to tell them the outcome")
    opened = event.opened_at.astimezone(LOCAL_TIME)
    outcome = OUTCOMES.get(event.close_reason or "", event.close_reason or "已办结 dealt with")
    body = (f"您于 {opened:%m-%d %H:%M} 反映的问题已办结：{outcome}。感谢您的反映！"
            f" Your report of {opened:%m-%d %H:%M} is closed: {outcome}. Thank you. ({event.incident_id})")
    return Reply(sent_key=f"{event.incident_id}:{REPORTER}",
                 url=reply_url.replace("{contact}", quote(event.reply_to, safe="")),
                 title=f"办结回复 Outcome: {event.title}", body=body)
