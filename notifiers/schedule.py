"""Per-person notification rules: which channel to page when, failover, the deputy, sent-log keys.

A pure core (no Faust, no I/O, no clock): the notify agent asks it what to send now and when to
come back, and stores the answer in its durable table. Rules count from the moment the order was
issued, so a replay or a restart computes the same schedule.

- ``fire``: given the rules, the seconds since the order, the first rule not yet fired, the
  channels already in the sent-log and whether the order was accepted, the channels to page now,
  whether the deputy is due, and when the next rule is due.
- ``failover``: when none of a firing's channels got through, the person's other channels, in
  order; ``deputy_needed``: every channel failed and none ever got through, so the deputy is paged.
- ``retry_channels``: a person nobody could reach (every channel and the deputy failed: the SMS
  gateway is down, the phone company's API hangs) is tried again on every channel every
  ``paging.unreached_retry_s`` until someone is reached or the order ends: never given up on.
- ``stops``: whether an incident step (accepted, a department accepted, resolved, closed) ends
  an order's remaining rules.
- ``sent_key`` / ``attempt_id``: the idempotency key of a page on one channel, and the id of one
  attempt at it.

Must not: send, read the sent-log itself, or know apprise URLs; channels are indexes here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import AbstractSet, Callable, Iterable, Optional, Sequence

from gridalert.streams.records import DispatchOrder, PersonPage

# Incident statuses after which nobody needs paging for any order of the incident.
FINISHED = ("resolved", "verified", "closed")
# Incident statuses that mean someone took the incident (接单): the tier's orders stop.
TAKEN = ("accepted", "on_scene")


@dataclass(frozen=True)
class Rule:
    """At ``after_s`` seconds after the order, page these channels (indexes) and/or the deputy."""

    after_s: float
    channels: tuple[int, ...] = ()
    deputy: bool = False


# A person without rules: the first channel at once; failover tries the others in order.
IMMEDIATE: tuple[Rule, ...] = (Rule(0.0, (0,)),)


@dataclass(frozen=True)
class Firing:
    """What is due now. ``rules`` fired (indexes); ``channels`` to send, in order, none already sent."""

    rules: tuple[int, ...]
    channels: tuple[int, ...]
    deputy: bool
    next_rule: int
    next_due_s: Optional[float]

    @property
    def label(self) -> int:
        """The rule a delivery of this firing is recorded under: the last one that fired."""
        return self.rules[-1] if self.rules else -1


def fire(rules: Sequence[Rule], *, elapsed_s: float, next_rule: int, sent: AbstractSet[int],
         accepted: bool) -> Firing:
    """The rules due ``elapsed_s`` after the order, from ``next_rule`` on (rules are in time order).

    Several rules due at once (a worker that was down past two steps) fire together: their channels
    are merged in order, each once. A channel in ``sent`` is not paged again. Accepted: nothing
    fires, ever again.
    """
    if accepted:
        return Firing((), (), False, len(rules), None)
    due = tuple(i for i in range(next_rule, len(rules)) if rules[i].after_s <= elapsed_s)
    after = next_rule + len(due)
    channels = tuple(dict.fromkeys(c for i in due for c in rules[i].channels if c not in sent))
    return Firing(rules=due, channels=channels, deputy=any(rules[i].deputy for i in due), next_rule=after,
                  next_due_s=rules[after].after_s if after < len(rules) else None)


def failover(n_channels: int, *, sent: AbstractSet[int], failed: AbstractSet[int]) -> tuple[int, ...]:
    """The channels to try, in order, when none of a firing's channels got through."""
    return tuple(c for c in range(n_channels) if c not in sent and c not in failed)


def deputy_needed(n_channels: int, *, sent: AbstractSet[int], failed: AbstractSet[int]) -> bool:
    """True when every one of the person's channels failed and none has ever got through."""
    return not sent and n_channels > 0 and all(c in failed for c in range(n_channels))


def stops(order_department: Optional[str], *, kind: str, status: str, department: Optional[str]) -> bool:
    """Whether an incident step ends the remaining rules of an order.

    A department's order (联合处置) stops when that department accepts; any order stops when the
    incident is resolved, verified or closed; a tier's order stops when the incident is accepted.
    """
    if status in FINISHED:
        return True
    if order_department is not None:
        return kind == "dept_accepted" and department == order_department
    return status in TAKEN


def sent_key(order_id: str, person_id: str, channel: str) -> str:
    """``<incident>:<step>:<person>:<channel>``: a page of one order to one person on one channel."""
    return f"{order_id}:{person_id}:{channel}"


def attempt_id(key: str, rule: int | str, attempt: int) -> str:
    """The ``Delivery`` id of one attempt: the sent-log key, the rule (or ``deputy``), the attempt."""
    return f"{key}:{rule}:{attempt}"


# --- the durable state of one person's paging for one order -------------------------------------

def begin(state: Optional[PersonPage], order: DispatchOrder, person_id: str,
          rules: Sequence[Rule]) -> PersonPage:
    """A new plan anchored at the order's issue time; an existing one (a replay) is kept as it is."""
    if state is not None:
        return state
    return PersonPage(order_id=order.id, incident_id=order.incident_id, step=order.step, person_id=person_id,
                      title=order.title, body=order.body, place=order.place, start=order.issued_at,
                      due=order.issued_at + timedelta(seconds=rules[0].after_s), department=order.department,
                      accept_by=order.accept_by)


def advance(state: Optional[PersonPage], firing: Firing, *, deputy_paged: bool,
            reached: bool = False, retry_at: Optional[datetime] = None) -> Optional[PersonPage]:
    """The plan after a round: rules never fire twice, a stopped plan stays stopped.

    ``reached``: the round got a page through (to the person or their deputy). ``retry_at``: the
    round reached nobody and the person has never been reached, so the plan comes back then to
    try every channel again (``unreached`` counts such rounds), unless a rule is due sooner.
    """
    if state is None:
        return None
    next_rule = max(state.next_rule, firing.next_rule)
    due: Optional[datetime]
    if state.stopped is not None:
        due = None
    elif firing.next_rule < state.next_rule:
        due = state.due  # a firing older than the stored plan: the newer one set the deadline
    else:
        due = None if firing.next_due_s is None else state.start + timedelta(seconds=firing.next_due_s)
    unreached = 0 if reached else state.unreached
    if retry_at is not None and not reached and state.stopped is None:
        unreached += 1
        due = retry_at if due is None else min(due, retry_at)
    return state.derive(next_rule=next_rule, due=due, deputy_paged=state.deputy_paged or deputy_paged,
                        unreached=unreached)


def retry_channels(n_channels: int, *, unreached: int, sent: AbstractSet[int], firing: Firing) -> tuple[int, ...]:
    """The channels of a retry round: after a round that reached nobody, when no rule fires now and
    nothing ever got through, every channel again, in order (the first that gets through ends it)."""
    if unreached == 0 or firing.channels or sent:
        return ()
    return tuple(range(n_channels))


def stop(state: Optional[PersonPage], reason: str) -> Optional[PersonPage]:
    """No more rules fire for this plan."""
    if state is None or state.stopped is not None:
        return state
    return state.derive(stopped=reason, due=None)


def stand_down_targets(paged: Iterable[tuple[str, str]], channels_of: Callable[[str], Sequence[str]],
                       was_sent: Callable[[str, str, int], bool]) -> list[tuple[str, int]]:
    """Whom to tell that an incident resolved by itself (已恢复), and on which channel.

    ``paged`` is the (order id, person id) of every page planned for the incident, deputies
    included; ``was_sent(order id, person id, channel index)`` says a page got through there.
    Each person who got a page is told once, on the first channel that reached them; people whose
    pages never got through were not disturbed and are not now.
    """
    told: dict[str, int] = {}
    for order_id, person_id in paged:
        reached = [i for i in range(len(channels_of(person_id))) if was_sent(order_id, person_id, i)]
        if reached and (person_id not in told or reached[0] < told[person_id]):
            told[person_id] = reached[0]
    return sorted(told.items())
