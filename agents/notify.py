"""notify: every ``gridalert.dispatch.<tier>`` queue → pages (apprise) → ``gridalert.deliveries``.

Each responder of an order gets a plan (``PersonPage``) in the ``pages-by-person`` ``TimedTable``
(``agents/timers.py``), keyed ``<order id>:<person id>``: their notification rules
(``notifiers/schedule.py``; without rules, the first channel at once and failover in order), with
the next rule's deadline. Three agents share it, on the same partitions (everything is keyed by
grid, ticks are sent to every partition by number):

- ``gridalert.notify``: a new order starts each responder's plan and fires what is due at once;
- ``gridalert.notify-clock``: ``gridalert.ticks`` fire the rules that came due (SMS after two
  minutes, the deputy after five), also after a restart;
- ``gridalert.notify-stop``: ``gridalert.incidents`` steps that take the incident (accepted, a
  department accepted, resolved, closed) stop the remaining rules of its orders; when it resolved
  by itself (activity resumed, the gateway is back), everyone a page reached is told so once
  (``[已恢复]``, on the channel that reached them; ``incidents.dispatch.stand_down_text``).

The sent-log (table ``sent-log``) is keyed ``<incident>:<step>:<person>:<channel>`` and checked
before every send, under a per-key lock, so a replay, a restart, a tick racing an order or two
people sharing a deputy never page twice on a channel. A success writes the entry and its
``Delivery`` and flushes both right away; only a worker killed between the page and that flush
pages again. Every attempt is a ``Delivery``.

Each person's page ends with their own signed accept link (``notifiers/links.py``), added here
because an order names several people and carries one body.

``gridalert.reply`` reads ``gridalert.incidents`` for closed citizen reports and tells the reporter
the outcome once (``incidents/reply.py``), through the same sent-log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import AsyncIterator, Optional

from gridalert import metrics
from gridalert.agents.boundary import guard, now
from gridalert.agents.timers import TimedTable
from gridalert.config.model import Person
from gridalert.config.secret import link_secret
from gridalert.incidents.dispatch import residents_of, stand_down_text
from gridalert.incidents.reply import REPORTER, reply_for
from gridalert.logs import about
from gridalert.notifiers import AppriseChannel, SendResult, channel_name, deliver
from gridalert.notifiers.links import LinkMaker
from gridalert.notifiers.messages import with_accept_link
from gridalert.notifiers.schedule import (IMMEDIATE, Rule, advance, attempt_id, begin, deputy_needed, failover,
                                          fire, retry_channels, sent_key, stand_down_targets, stop, stops)
from gridalert.streams import topics as names
from gridalert.streams.app import Stage
from gridalert.streams.cloudevents import Rejected
from gridalert.streams.records import Delivery, DispatchOrder, IncidentEvent, PersonPage, Tick

log = logging.getLogger("gridalert.notify")


class KeyLocks:
    """One asyncio lock per key, dropped when nobody holds or awaits it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


def rules_of(person: Person) -> tuple[Rule, ...]:
    if not person.rules:
        return IMMEDIATE
    return tuple(Rule(r.after_s, tuple(r.channels), r.deputy) for r in person.rules)


def _pending(plan: Optional[PersonPage]) -> tuple[int, int]:
    return (0, 1) if plan is not None and plan.due is not None else (0, 0)


def register(stage: Stage) -> None:
    app, topics, config = stage.app, stage.topics, stage.config
    paging = config.policies.paging
    sent_log = app.Table("sent-log", key_type=str, value_type=str, partitions=stage.settings.partitions)
    plans: TimedTable[PersonPage] = TimedTable(app, "pages-by-person", PersonPage, stage.settings.partitions,
                                               next_due=lambda p: p.due if p is not None else None,
                                               counts=_pending)
    queues = app.topic(*(t.get_topic_name() for t in topics.dispatch.values()),
                       key_type=str, value_type=DispatchOrder)
    ticks = app.topic(names.TICKS, key_type=str, value_type=Tick)
    limit = asyncio.Semaphore(paging.concurrency)
    residents = residents_of(config.devices)
    plan_locks, send_locks = KeyLocks(), KeyLocks()
    links = LinkMaker(link_secret(stage.settings), stage.settings.effective_public_url,
                      timedelta(seconds=stage.settings.link_margin_s))

    def is_sent(order_id: str, person_id: str, channel: str) -> bool:
        # ``<order>:<person>`` → channel is the key of releases before the per-channel sent-log
        return (sent_key(order_id, person_id, channel) in sent_log
                or sent_log.get(f"{order_id}:{person_id}") == channel)

    async def page_channel(plan: PersonPage, person_id: str, url: str, index: int, *, rule: int | str,
                           cause: str, deputy_for: Optional[str] = None) -> bool:
        """Page on one channel unless the sent-log has it; True when it got through (now or before)."""
        name = channel_name(url, index)
        key = sent_key(plan.order_id, person_id, name)
        async with send_locks.hold(key):
            if is_sent(plan.order_id, person_id, name):
                return True

            async def report(attempt: int, result: SendResult) -> None:
                metrics.delivery_attempt(name, result.ok, result.retryable)
                if result.ok:
                    sent_log[key] = name
                await topics.deliveries.send(key=plan.place.partition_key, value=Delivery(
                    id=attempt_id(key, rule, attempt), incident_id=plan.incident_id, step=plan.step,
                    person_id=person_id, channel=name, ok=result.ok, attempts=attempt, at=now(),
                    error=result.error, sent_key=key, cause=cause, rule=rule if isinstance(rule, int) else None,
                    deputy_for=deputy_for, retryable=None if result.ok else result.retryable))
                if result.ok:
                    # The sent-log entry and its delivery reach the log now, not at the next commit:
                    # a worker killed after this never pages this channel again for this step.
                    await app.producer.flush()

            # each person's page carries their own signed accept link (a deputy's: the deputy's)
            body = with_accept_link(plan.body, links.url(
                incident_id=plan.incident_id, step=plan.step, person_id=person_id,
                accept_by=plan.accept_by or plan.start, department=plan.department), config.policies.language)
            with about(incident_id=plan.incident_id):  # a tick's page has no incident in its context
                async with limit:
                    result, _ = await deliver(AppriseChannel(url, name, timeout_s=paging.timeout_s), plan.title,
                                              body, attempts=paging.attempts, backoff_s=paging.backoff_s,
                                              on_attempt=report)
            if not result.ok:
                metrics.delivery_failed(name)
            return result.ok

    async def page_deputy(plan: PersonPage, person: Person) -> bool:
        """True when the deputy got the page."""
        deputy = config.person(person.deputy) if person.deputy else None
        if deputy is None:
            log.warning("%s could not be reached for %s and has no deputy on the roster", person.id, plan.order_id,
                        extra={"incident_id": plan.incident_id})
            return False
        for index, url in enumerate(deputy.channels):
            if await page_channel(plan, deputy.id, url, index, rule="deputy", cause="deputy", deputy_for=person.id):
                return True
        log.warning("neither %s nor their deputy %s could be reached for %s", person.id, deputy.id, plan.order_id,
                    extra={"incident_id": plan.incident_id})
        return False

    async def run_plan(partition: int, key: str) -> None:
        """Fire what is due of one person's plan; store how far it got only after the sends."""
        async with plan_locks.hold(key):
            plan = plans.get(key)
            if plan is None or plan.due is None or plan.due > now():
                return  # nothing due: e.g. a tick that listed the key before the round that moved its deadline
            person = config.person(plan.person_id)
            if person is None:
                await topics.deliveries.send(key=plan.place.partition_key, value=Delivery(
                    id=f"{plan.order_id}:{plan.person_id}:-", incident_id=plan.incident_id, step=plan.step,
                    person_id=plan.person_id, channel="-", ok=False, attempts=0, at=now(), cause="rule",
                    error="not on the roster any more"))
                plans.apply(partition, key, lambda s: (stop(s, "not on the roster"), []))
                return
            urls = person.channels
            sent = {i for i, url in enumerate(urls) if is_sent(plan.order_id, person.id, channel_name(url, i))}
            firing = fire(rules_of(person), elapsed_s=(now() - plan.start).total_seconds(),
                          next_rule=plan.next_rule, sent=sent, accepted=plan.stopped is not None)
            got: set[int] = set()
            failed: set[int] = set()
            for index in firing.channels:
                ok = await page_channel(plan, person.id, urls[index], index, rule=firing.label, cause="rule")
                (got if ok else failed).add(index)
            if firing.channels and not got:
                for index in failover(len(urls), sent=sent, failed=failed):
                    if await page_channel(plan, person.id, urls[index], index, rule=firing.label, cause="failover"):
                        got.add(index)
                        break
                    failed.add(index)
            retrying = retry_channels(len(urls), unreached=plan.unreached, sent=sent, firing=firing)
            for index in retrying:  # nobody was reached last round: every channel again, in order
                if await page_channel(plan, person.id, urls[index], index, rule=f"retry{plan.unreached}",
                                      cause="retry"):
                    got.add(index)
                    break
                failed.add(index)
            wants_deputy = firing.deputy or deputy_needed(len(urls), sent=sent | got, failed=failed)
            deputy_now = wants_deputy and not plan.deputy_paged
            deputy_reached = await page_deputy(plan, person) if deputy_now else False
            tried = bool(firing.channels or retrying or deputy_now)
            reached = bool(got) or deputy_reached
            retry_at = None
            if tried and not reached and not sent:
                if paging.unreached_retry_s > 0:
                    retry_at = now() + timedelta(seconds=paging.unreached_retry_s)
                log.warning("could not page %s for %s on any channel%s", person.id, plan.order_id,
                            f"; trying again at {retry_at.isoformat(timespec='seconds')}" if retry_at else "",
                            extra={"incident_id": plan.incident_id})
            plans.apply(partition, key, lambda s: (advance(s, firing, deputy_paged=deputy_now, reached=reached,
                                                           retry_at=retry_at), []))

    async def start(partition: int, order: DispatchOrder, person_id: str) -> None:
        person = config.person(person_id)
        rules = rules_of(person) if person is not None else IMMEDIATE
        key = f"{order.id}:{person_id}"
        plans.apply(partition, key, lambda s: (begin(s, order, person_id, rules), []))
        await run_plan(partition, key)

    def reporter(step: IncidentEvent, person_id: str, name: str, key: str, cause: str, *,
                 logged_as: Optional[str] = None):
        """The ``on_attempt`` of a page outside any plan (a stand-down, a reporter's reply): every
        attempt a ``Delivery``; once it got through, the sent-log (under ``logged_as`` if given)."""
        async def report(attempt: int, result: SendResult) -> None:
            metrics.delivery_attempt(name, result.ok, result.retryable)
            if result.ok:
                sent_log[logged_as or key] = name
            await topics.deliveries.send(key=step.place.partition_key, value=Delivery(
                id=attempt_id(key, cause, attempt), incident_id=step.incident_id, step=step.seq,
                person_id=person_id, channel=name, ok=result.ok, attempts=attempt, at=now(),
                error=result.error, sent_key=key, cause=cause, retryable=None if result.ok else result.retryable))
            if result.ok:
                await app.producer.flush()
        return report

    async def stand_down(step: IncidentEvent, title: str, body: str) -> None:
        """Tell everyone a page reached for this incident, once, that it resolved by itself."""
        paged = []
        for plan in [p for p in plans.rows.table.values() if p.incident_id == step.incident_id]:
            paged.append((plan.order_id, plan.person_id))
            person = config.person(plan.person_id)
            if person is not None and person.deputy:
                paged.append((plan.order_id, person.deputy))

        def channels_of(person_id: str) -> list[str]:
            person = config.person(person_id)
            return person.channels if person is not None else []

        def was_sent(order_id: str, person_id: str, index: int) -> bool:
            return is_sent(order_id, person_id, channel_name(channels_of(person_id)[index], index))

        for person_id, index in stand_down_targets(paged, channels_of, was_sent):
            url = channels_of(person_id)[index]
            name = channel_name(url, index)
            key = sent_key(step.id, person_id, name)
            async with send_locks.hold(key):
                if key in sent_log:
                    continue
                async with limit:
                    result, _ = await deliver(AppriseChannel(url, name, timeout_s=paging.timeout_s), title, body,
                                              attempts=paging.attempts, backoff_s=paging.backoff_s,
                                              on_attempt=reporter(step, person_id, name, key, "stand_down"))
                if not result.ok:
                    metrics.delivery_failed(name)

    @app.agent(queues, name="gridalert.notify")
    async def notify(stream):
        async for event in stream.events():
            async with guard(event, "notify", topics.dead_letters):
                order: DispatchOrder = event.value
                if not order.responders:
                    raise Rejected(f"order {order.id} names no responder; nobody could be paged")
                await asyncio.gather(*(start(event.message.partition, order, p) for p in order.responders))

    @app.agent(ticks, name="gridalert.notify-clock")
    async def on_tick(stream):
        async for event in stream.events():
            async with guard(event, "notify-clock", topics.dead_letters):
                partition = event.message.partition
                await asyncio.gather(*(run_plan(partition, key) for key in plans.due_keys(partition, now())))

    @app.agent(topics.incidents, name="gridalert.notify-stop")
    async def on_incident_step(stream):
        async for event in stream.events():
            async with guard(event, "notify-stop", topics.dead_letters):
                step: IncidentEvent = event.value
                partition, reason = event.message.partition, f"{step.kind} by {step.actor}"
                for key in list(plans.partition(partition).due):
                    plan = plans.get(key)
                    if (plan is not None and plan.incident_id == step.incident_id
                            and stops(plan.department, kind=step.kind, status=step.status, department=step.department)):
                        plans.apply(partition, key, lambda s: (stop(s, reason), []))
                told = stand_down_text(step, config.policies, residents)
                if told is not None:
                    await stand_down(step, *told)
                if step.kind == "closed":
                    # finished plans are kept until then, so a replayed order does not fire them again
                    for key in [k for k, p in plans.rows.table.items() if p.incident_id == step.incident_id]:
                        plans.apply(partition, key, lambda s: (None, []))

    @app.agent(topics.incidents, name="gridalert.reply")
    async def reply(stream):
        async for event in stream.events():
            async with guard(event, "reply", topics.dead_letters):
                step = event.value
                try:
                    found = reply_for(step, config.roster.reporter_reply)
                except LookupError as problem:
                    raise Rejected(str(problem)) from None
                if found is None or found.sent_key in sent_log:
                    continue
                name = channel_name(found.url, 0)
                key = f"{step.incident_id}:{step.seq}:{REPORTER}:{name}"
                result, _ = await deliver(AppriseChannel(found.url, name, timeout_s=paging.timeout_s), found.title,
                                          found.body, attempts=paging.attempts, backoff_s=paging.backoff_s,
                                          on_attempt=reporter(step, REPORTER, name, key, "reply",
                                                              logged_as=found.sent_key))
                if not result.ok:
                    metrics.delivery_failed(name)
