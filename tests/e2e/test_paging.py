"""Paging that reaches the person on duty: notification rules, failover, the deputy, SMTP, SIGKILL.

Real broker, real worker, real database; every phone is the loopback HTTP receiver (told to
answer 503 for some channels), one person's mail box is a real SMTP server. Each test uses its own
grid of the sample district, with that grid head's channels and rules set by ``roster_change``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from gridalert.store import get_timeline, list_deliveries
from tests.support.mailbox import Mailbox
from tests.support.pipeline import alarm_in, gridalert_command, incidents_where
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

FAILOVER = "GSH-JHY-01-02"      # WeCom (channel 0) answers 503: the SMS channel gets the page
DEPUTY = "GSH-JHY-01-03"        # every channel answers 503: the deputy is paged once
LATER = "GSH-JHY-02-01"         # SMS after SMS_AFTER_S when nobody accepts
ACCEPTED = "GSH-JHY-02-02"      # the same rule, accepted before it is due: no SMS
MAILED = "GSH-JHY-03-01"        # the only channel is e-mail, over real SMTP
KILLED = "GSH-JHY-03-02"        # the worker is SIGKILLed right after the first page
SMS_AFTER_S = 12.0
KILL_SMS_AFTER_S = 8.0
DEPUTY_ID = "gh-GSH-SJC-01-01"  # stands in for the head of DEPUTY


def head(grid: str) -> str:
    return f"gh-{grid}"


@pytest.fixture(scope="module")
def mailbox(module_database_url):
    with Mailbox() as box:
        yield box


@pytest.fixture(scope="module")
def policies_change():
    def quick_retries(document: dict) -> None:
        document["paging"].update(attempts=2, backoff_s=0.05, timeout_s=5.0)
    return quick_retries


@pytest.fixture(scope="module")
def roster_change(receiver, mailbox):
    def edit(roster: dict) -> None:
        people = {p["id"]: p for p in roster["staff"]}

        def two_channels(grid: str) -> list[str]:
            return [receiver.url_for(f"{head(grid)}-wecom"), receiver.url_for(f"{head(grid)}-sms")]

        people[head(FAILOVER)]["channels"] = two_channels(FAILOVER)
        people[head(DEPUTY)].update(channels=two_channels(DEPUTY), deputy=DEPUTY_ID)
        for grid, after in ((LATER, SMS_AFTER_S), (ACCEPTED, SMS_AFTER_S), (KILLED, KILL_SMS_AFTER_S)):
            people[head(grid)].update(channels=two_channels(grid),
                                      rules=[{"after_s": 0, "channels": [0]}, {"after_s": after, "channels": [1]}])
        people[head(MAILED)]["channels"] = [mailbox.url_for(f"{head(MAILED)}@example.org")]
        receiver.failing.update({f"/inbox/{head(FAILOVER)}-wecom",
                                 f"/inbox/{head(DEPUTY)}-wecom", f"/inbox/{head(DEPUTY)}-sms"})
    return edit


def incident_of(sessions, event):
    [incident] = wait_until(lambda: incidents_where(sessions, lambda i: i.source_event_id == event["id"]),
                            timeout_s=60, what="the incident in the database")
    return incident


def rows(sessions, incident_id, person_id=None, ready=lambda rows: bool(rows), what="delivery rows"):
    def read():
        with sessions() as session:
            found = [d for d in list_deliveries(incident_id, session=session)
                     if person_id is None or d.person_id == person_id]
        return found if ready(found) else None
    return wait_until(read, timeout_s=60, what=what)


def issued_at(sessions, incident_id, step):
    with sessions() as session:
        return next(s.at for s in get_timeline(incident_id, session=session) if s.seq == step)


def test_when_the_first_channel_fails_the_second_gets_the_page_once(pipeline, sessions):
    incident = incident_of(sessions, alarm_in(pipeline, FAILOVER))
    wait_until(lambda: pipeline.receiver.pages_for(f"{head(FAILOVER)}-sms"), timeout_s=60, what="the SMS page")
    found = rows(sessions, incident.id, head(FAILOVER), ready=lambda r: any(d.ok for d in r), what="the ok row")
    assert [(d.channel, d.ok, d.attempts, d.cause) for d in found] == [
        ("json-0", False, 1, "rule"), ("json-0", False, 2, "rule"), ("json-1", True, 1, "failover")]
    assert all(d.retryable for d in found if not d.ok)
    assert len(pipeline.receiver.pages_for(f"{head(FAILOVER)}-sms")) == 1
    assert pipeline.receiver.pages_for(f"{head(FAILOVER)}-wecom") == []


def test_when_every_channel_fails_the_deputy_is_paged_once(pipeline, sessions):
    incident = incident_of(sessions, alarm_in(pipeline, DEPUTY))
    [page] = wait_until(lambda: pipeline.receiver.pages_for(DEPUTY_ID), timeout_s=60, what="the deputy's page")
    assert incident.grid_name in page["title"] and incident.id in page["message"]
    [deputy] = rows(sessions, incident.id, DEPUTY_ID, what="the deputy's row")
    assert (deputy.ok, deputy.cause, deputy.deputy_for) == (True, "deputy", head(DEPUTY))
    failed = rows(sessions, incident.id, head(DEPUTY), ready=lambda r: len(r) == 4, what="four failed attempts")
    assert not any(d.ok for d in failed)
    assert len(pipeline.receiver.pages_for(DEPUTY_ID)) == 1


def test_a_rule_pages_the_second_channel_after_its_delay_only_if_nobody_accepted(pipeline, sessions):
    waiting = incident_of(sessions, alarm_in(pipeline, LATER))
    taken = incident_of(sessions, alarm_in(pipeline, ACCEPTED))
    wait_until(lambda: pipeline.receiver.pages_for(f"{head(ACCEPTED)}-wecom"), timeout_s=30, what="the first page")
    result = gridalert_command(pipeline, "accept", taken.id, "--by", head(ACCEPTED))
    assert result.returncode == 0, result.stdout + result.stderr

    # the unaccepted one: WeCom at once, SMS once, SMS_AFTER_S later
    [sms] = wait_until(lambda: pipeline.receiver.pages_for(f"{head(LATER)}-sms"), timeout_s=60,
                       what="the SMS after the rule's delay")
    assert waiting.grid_name in sms["title"] and waiting.id in sms["message"]
    found = rows(sessions, waiting.id, head(LATER), ready=lambda r: len(r) == 2, what="both rows")
    first, second = sorted(found, key=lambda d: d.at)
    assert (first.channel, first.rule, second.channel, second.rule) == ("json-0", 0, "json-1", 1)
    # rules count from the order's issue (the dispatched step), not from the first page
    assert (second.at - issued_at(sessions, waiting.id, second.step)).total_seconds() >= SMS_AFTER_S - 0.1

    # the accepted one: its SMS was due at about the same time; give it three seconds more, then
    # it must not have come
    [first_page] = rows(sessions, taken.id, head(ACCEPTED))
    start = issued_at(sessions, taken.id, first_page.step)
    wait_until(lambda: datetime.now(timezone.utc) - start >= timedelta(seconds=SMS_AFTER_S + 3),
               timeout_s=SMS_AFTER_S + 30, what="the accepted person's SMS time to pass")
    assert pipeline.receiver.pages_for(f"{head(ACCEPTED)}-sms") == []
    assert [d.channel for d in rows(sessions, taken.id, head(ACCEPTED))] == ["json-0"]
    assert len(pipeline.receiver.pages_for(f"{head(LATER)}-sms")) == 1
    assert len(pipeline.receiver.pages_for(f"{head(ACCEPTED)}-wecom")) == 1


def test_a_page_is_delivered_over_smtp_to_a_real_mail_server(pipeline, sessions, mailbox):
    incident = incident_of(sessions, alarm_in(pipeline, MAILED))
    address = f"{head(MAILED)}@example.org"
    [mail] = wait_until(lambda: mailbox.mails_to(address), timeout_s=60, what="the mail")
    assert incident.grid_name in mail["Subject"]
    assert MAILED in mail.get_body(preferencelist=("plain", "html")).get_content()
    [row] = rows(sessions, incident.id, head(MAILED))
    assert (row.channel, row.ok) == ("mailto-0", True)


def test_a_worker_killed_right_after_a_page_pages_nobody_twice_and_keeps_the_rule(pipeline, sessions):
    # a worker that commits once a minute: when it is killed after the page, the order's offset is
    # certainly not committed, so its successor handles the order again
    pipeline.worker.env["GRIDALERT_COMMIT_INTERVAL_S"] = "60"
    pipeline.restart_worker(kill=False)
    event = alarm_in(pipeline, KILLED)
    incident = incident_of(sessions, event)
    # SIGKILL as soon as the page is recorded: the restarted worker sees the order again and must
    # find the page in the sent-log (or the plan that recorded it) instead of paging again
    rows(sessions, incident.id, head(KILLED), ready=lambda r: any(d.ok for d in r), what="the first page's row")
    pipeline.restart_worker(kill=True)
    wait_until(lambda: pipeline.receiver.pages_for(f"{head(KILLED)}-sms"), timeout_s=90,
               what="the SMS due after the restart")
    found = rows(sessions, incident.id, head(KILLED), ready=lambda r: len(r) >= 2, what="both rows")
    assert sorted((d.channel, d.ok) for d in found) == [("json-0", True), ("json-1", True)]
    assert len(pipeline.receiver.pages_for(f"{head(KILLED)}-wecom")) == 1
    assert len(pipeline.receiver.pages_for(f"{head(KILLED)}-sms")) == 1
