"""A household's learned routine (作息): how likely a sign of life is in each half-hour of the day.

Kept as plain data in the activity detector's state (all JSON-safe):

- ``days``: ``[[local day, active, excluded], ...]`` for the last ``history_days``: bit k of
  ``active`` is set when half-hour k of that day showed a sign of life; bit k of ``excluded`` when
  that half-hour says nothing about life at home (the resident was away or out through the door,
  or no data arrived). Masks are 48-bit integers.
- ``surprise``: ``[day, [first, later], days learned]``, derived once a day from ``days``: for
  half-hour k, how surprising its silence is as the first half-hour of a silence, and later in one
  (see ``learn``).
- ``outings``: ``[[local day, longest_s], ...]``: silences that began at the door (probably an
  outing, seen by a sensor that cannot tell out from in).

A silence is unusual when the silent half-hours since it began add up to more surprise than
``-ln(routine_odds)``: it would happen less than once in ``1 / routine_odds`` times if this
household kept its habits. That is the power utilities' "missed morning routine", for every time
of day: half-hours in which the resident is nearly always active (getting up, cooking) add a lot;
nights and naps, when silence is normal, add little. A silence that began at the door must in
addition outlast the longest outing (times ``routine_factor`` plus ``routine_margin_s``).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Optional

from gridalert.config.model import ActivityRule

SLOT_S = 1800.0
SLOTS = 48
MAX_Q = 0.9  # no half-hour is ever certain: one silent half-hour adds at most -ln(0.1) ≈ 2.3
PRIOR = 3.0  # a conditional share from few days leans on the share of all days, as if from this many


def local_slot_day(t: float, tz) -> tuple[int, int]:
    """(half-hour of the local day 0–47, local day number)."""
    moment = datetime.fromtimestamp(t, tz=tz)
    return moment.hour * 2 + moment.minute // 30, moment.toordinal()


def touch(days: list, t: float, tz, history_days: int) -> list:
    """The days with an entry for ``t``'s day (a day with readings is a learned day). Pure."""
    day = local_slot_day(t, tz)[1]
    if days and days[-1][0] >= day:
        return days
    return [e for e in days if e[0] > day - history_days - 1] + [[day, 0, 0]]


def mark(days: list, a: float, b: float, tz, history_days: int, *, excluded: bool = False) -> list:
    """The days with every half-hour from ``a`` to ``b`` marked active (or excluded). Pure."""
    which = 2 if excluded else 1
    first_slot, first_day = local_slot_day(a, tz)
    last_slot, last_day = local_slot_day(b, tz) if b > a else (first_slot, first_day)
    if first_day == last_day and days and days[-1][0] == last_day:  # the common case: today only
        entry = list(days[-1])
        entry[which] |= ((1 << (last_slot - first_slot + 1)) - 1) << first_slot
        return days[:-1] + [entry]
    entries = {e[0]: list(e) for e in days if e[0] > last_day - history_days - 1}
    for day in range(max(first_day, last_day - history_days), last_day + 1):
        low = first_slot if day == first_day else 0
        high = last_slot if day == last_day else SLOTS - 1
        entry = entries.setdefault(day, [day, 0, 0])
        entry[which] |= ((1 << (high - low + 1)) - 1) << low
    return [entries[d] for d in sorted(entries)]


def learn(days: list, today: int, history_days: int) -> tuple[list, int]:
    """The surprise of each silent half-hour, from the days before ``today``; and the days learned.

    Two numbers per half-hour k: ``-ln(1 - q)`` with q the share of days with a sign of life in k
    after one in k-1 (the first half-hour of a silence), and with q the share after a silent k-1
    (every later one). Silence runs on (a nap, an outing): the second is what keeps a household
    that often goes quiet for hours from alarming when it does. Few samples lean on the share of
    all days (Laplace smoothed); no share goes above ``MAX_Q``.
    """
    learned = [e for e in days if today - history_days <= e[0] < today]
    by_day = {e[0]: e for e in days}
    first, later = [], []
    for k in range(SLOTS):
        bit = 1 << k
        counts = [[0, 0], [0, 0]]  # [previous half-hour silent, active] -> [days, of which active now]
        marginal = [0, 0]
        for e in learned:
            if e[2] & bit:
                continue
            now_active = 1 if e[1] & bit else 0
            marginal[0] += 1
            marginal[1] += now_active
            if k:
                prev_active, prev_excluded = e[1] >> (k - 1) & 1, e[2] >> (k - 1) & 1
            else:
                before = by_day.get(e[0] - 1)
                if before is None:
                    continue
                prev_active, prev_excluded = before[1] >> (SLOTS - 1) & 1, before[2] >> (SLOTS - 1) & 1
            if prev_excluded:
                continue
            counts[prev_active][0] += 1
            counts[prev_active][1] += now_active
        q = (marginal[1] + 0.5) / (marginal[0] + 1)
        for (n, active), into in ((counts[1], first), (counts[0], later)):
            share = min((active + PRIOR * q) / (n + PRIOR), MAX_Q)
            into.append(round(-math.log(1.0 - share), 4))
    return [first, later], len(learned)


def record_outing(outings: list, start: float, length_s: float, tz, history_days: int) -> list:
    """The outings with one more silence that began at the door; one entry per day. Pure."""
    day = local_slot_day(start, tz)[1]
    kept = [e for e in outings if e[0] > day - history_days]
    if kept and kept[-1][0] == day:
        return kept[:-1] + [[day, max(kept[-1][1], length_s)]]
    return kept + [[day, length_s]]


def unusual_at(surprise: list[float], learned: int, outings: list, start: float, at_door: bool, tz,
               rule: ActivityRule) -> Optional[tuple[float, float, list[int]]]:
    """When (epoch seconds) the silence that began at ``start`` becomes unusual, the surprise then,
    and the half-hours that made it so; None when the routine is not learned or never would be
    surprised within the all-silent window (then that window alone counts)."""
    if learned < rule.routine_min_days:
        return None
    slot, _ = local_slot_day(start, tz)
    slot_start = start - (start % SLOT_S)  # half-hours are aligned to the epoch (time zones are whole hours here)
    limit = -math.log(rule.routine_odds)
    first, later = surprise
    total, telling, k = 0.0, [], 1
    due = None
    while k * SLOT_S <= rule.window_s:
        index = (slot + k) % SLOTS
        total += (first if k == 1 else later)[index]
        telling.append(index)
        end = slot_start + (k + 1) * SLOT_S
        if total >= limit:
            due = max(end, start + rule.routine_min_s)
            break
        k += 1
    if due is None:
        return None
    if at_door:
        day = local_slot_day(start, tz)[1]
        recent = [length for d, length in outings if d > day - rule.history_days]
        if len(recent) < rule.routine_min_outings:
            return None
        due = max(due, start + max(recent) * rule.routine_factor + rule.routine_margin_s)
    return due, total, telling
