"""notify: every ``gridalert.dispatch.<tier>`` queue → pages (apprise) → ``gridalert.deliveries``.

The sent-log is a Faust table keyed ``<order id>:<person id>``, checked before paging a person and
written (and flushed to its changelog) right after a page got through, so a replayed order pages
nobody twice; only a worker killed in the milliseconds between a page and that flush pages again. People of one order
are paged concurrently (bounded); each person's channels are tried in order until one succeeds.

Each person's page ends with their own signed accept link (``notifiers/links.py``), added here
because an order names several people and carries one body.

``gridalert.reply`` reads ``gridalert.incidents`` for closed citizen reports and tells the reporter
the outcome once (``incidents/reply.py``), through the same sent-log.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from gridalert.agents.boundary import guard, now
from gridalert.config.secret import link_secret
from gridalert.incidents.reply import REPORTER, reply_for
from gridalert.notifiers import AppriseChannel, channel_name, deliver, page_person
from gridalert.notifiers.links import LinkMaker
from gridalert.notifiers.messages import with_accept_link
from gridalert.streams.app import Stage
from gridalert.streams.cloudevents import Rejected
from gridalert.streams.records import Delivery, DispatchOrder

log = logging.getLogger("gridalert.notify")


def register(stage: Stage) -> None:
    topics, config = stage.topics, stage.config
    paging = config.policies.paging
    sent_log = stage.app.Table("sent-log", key_type=str, value_type=str, partitions=stage.settings.partitions)
    queues = stage.app.topic(*(t.get_topic_name() for t in topics.dispatch.values()),
                             key_type=str, value_type=DispatchOrder)
    limit = asyncio.Semaphore(paging.concurrency)
    links = LinkMaker(link_secret(stage.settings), stage.settings.effective_public_url,
                      timedelta(seconds=stage.settings.link_margin_s))

    async def page(order: DispatchOrder, person_id: str) -> list[Delivery]:
        sent_key = f"{order.id}:{person_id}"
        if sent_key in sent_log:
            return []
        person = config.person(person_id)
        if person is None:
            return [Delivery(id=f"{order.id}:{person_id}:-", incident_id=order.incident_id, step=order.step,
                             person_id=person_id, channel="-", ok=False, attempts=0, at=now(),
                             error="not on the roster any more")]
        channels = [AppriseChannel(url, channel_name(url, i), timeout_s=paging.timeout_s)
                    for i, url in enumerate(person.channels)]
        async with limit:
            body = with_accept_link(order.body, links.url(
                incident_id=order.incident_id, step=order.step, person_id=person_id, accept_by=order.accept_by,
                department=order.department), config.policies.language)
            tried = await page_person(person_id, channels, order.title, body,
                                      already_sent=lambda _name: False,
                                      attempts=paging.attempts, backoff_s=paging.backoff_s)
        deliveries = []
        for name, result, attempts in tried:
            deliveries.append(Delivery(id=f"{order.id}:{person_id}:{name}", incident_id=order.incident_id,
                                       step=order.step, person_id=person_id, channel=name, ok=result.ok,
                                       attempts=attempts, at=now(), error=result.error))
            if result.ok:
                sent_log[sent_key] = name
        if not any(d.ok for d in deliveries):
            log.warning("could not page %s for %s on any channel", person_id, order.id)
        return deliveries

    @stage.app.agent(queues, name="gridalert.notify")
    async def notify(stream):
        async for event in stream.events():
            async with guard(event, "notify", topics.dead_letters):
                order = event.value
                if not order.responders:
                    raise Rejected(f"order {order.id} names no responder; nobody could be paged")
                results = await asyncio.gather(*(page(order, p) for p in order.responders))
                deliveries = [d for batch in results for d in batch]
                if any(d.ok for d in deliveries):
                    # Make the sent-log durable now, not at the next commit: a worker killed after
                    # this point never pages these people again for this step.
                    await stage.app.producer.flush()
                for delivery in deliveries:
                    await topics.deliveries.send(key=order.place.partition_key, value=delivery)

    @stage.app.agent(topics.incidents, name="gridalert.reply")
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
                result, attempts = await deliver(AppriseChannel(found.url, name, timeout_s=paging.timeout_s),
                                                 found.title, found.body, attempts=paging.attempts,
                                                 backoff_s=paging.backoff_s)
                if result.ok:
                    sent_log[found.sent_key] = name
                    await stage.app.producer.flush()
                await topics.deliveries.send(key=step.place.partition_key, value=Delivery(
                    id=f"{step.incident_id}:{step.seq}:{REPORTER}:{name}", incident_id=step.incident_id,
                    step=step.seq, person_id=REPORTER, channel=name, ok=result.ok, attempts=attempts, at=now(),
                    error=result.error))
