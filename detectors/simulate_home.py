"""Synthetic daily life of solitary elderly residents (独居老人), as their meters and sensors see it.

Each resident has a routine of their own (waking, meals, naps, outings, bedtime, with noise),
holidays (children visit), sick days (sleeping late), trips away (announced through the grid
worker's app, seen by a door sensor that knows the direction, or not announced at all), a water
leak now and then, and, for some, a true emergency (a fall: from its start no motion and no water;
an appliance may be left on). Readings are what the devices send: a home hub (water, power,
motion) every 30 min, or a water meter every hour and a power meter every 30 min; a door sensor
on each door event. While the resident's gateway is down, nothing arrives.

Used by ``detectors.simulate``; nothing here knows the detectors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from random import Random
from typing import Callable

HOME, SLEEP, OUT, AWAY, DOWN = range(5)
DAY = 86400.0
HUB_S, WATER_S, POWER_S = 1800.0, 3600.0, 1800.0


def poisson(rng: Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(rng.gauss(lam, math.sqrt(lam)) + 0.5))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


@dataclass(frozen=True)
class Resident:
    """What one resident's life is like, drawn once."""

    rid: str
    hub: bool
    door: bool
    directional: bool
    wake_m: float
    wake_sd: float
    bed_m: float
    nap_p: float
    out_p: float
    out_len_m: float
    standby_kw: float
    home_kw: float
    leak_m3h: float
    use_per_min: float


def draw_resident(rng: Random, rid: str) -> Resident:
    door = rng.random() < 0.6
    return Resident(
        rid=rid, hub=rng.random() < 0.6, door=door, directional=door and rng.random() < 0.5,
        wake_m=rng.uniform(330, 450), wake_sd=rng.uniform(15, 40), bed_m=rng.uniform(1230, 1350),
        nap_p=rng.uniform(0.1, 0.8), out_p=rng.uniform(0.05, 0.6), out_len_m=rng.uniform(60, 210),
        standby_kw=rng.uniform(0.02, 0.08), home_kw=rng.uniform(0.03, 0.15),
        leak_m3h=rng.uniform(0.0005, 0.002) if rng.random() < 0.1 else 0.0,
        use_per_min=rng.uniform(1 / 120, 1 / 50))


@dataclass
class Life:
    """A resident's weeks: state changes, point events, door events and app flags."""

    changes: list           # [(t, state)] sorted, first at the start
    happenings: list        # [(t, kind)] wash, meal, shower, bathroom, door_home
    doors: list             # [(t, value)]
    flags: list             # [(t, away bool)]
    trips: list             # [(start, end, announced how)]
    emergency: tuple | None  # (start, left_on_kw)


def live(rng: Random, who: Resident, start: float, days: int, holidays: set[int],
         emergency_p: float, first_emergency_day: int = 9) -> Life:
    changes, happenings, doors = [(start, SLEEP)], [], []
    for d in range(days):
        day0 = start + d * DAY
        holiday, sick = d in holidays, rng.random() < 0.03
        visit = holiday and rng.random() < 0.5
        wake = day0 + 60 * (rng.gauss(who.wake_m, who.wake_sd) + (rng.uniform(90, 180) if sick else 0)
                            + (30 if holiday else 0))
        bed = day0 + 60 * rng.gauss(who.bed_m, 20)
        changes.append((wake, HOME))
        happenings += [(wake + rng.uniform(0, 900), "wash"), (wake + rng.uniform(1200, 3000), "meal"),
                       (day0 + 60 * rng.gauss(705, 20), "meal"), (day0 + 60 * rng.gauss(1065, 20), "meal")]
        if rng.random() < 0.3:
            happenings.append((bed - rng.uniform(1800, 4800), "shower"))
        if rng.random() < 0.85:  # washing face and feet before bed (洗脚)
            happenings.append((bed - rng.uniform(0, 1800), "wash"))
        nap = not visit and rng.random() < who.nap_p * (1.6 if sick else 1.0)
        if nap:
            ns = day0 + 60 * rng.gauss(795, 20)
            changes += [(ns, SLEEP), (ns + 60 * rng.uniform(40, 120), HOME)]
        if not visit and not sick and rng.random() < who.out_p:
            morning = rng.random() < 0.6 or nap
            os_ = day0 + 60 * (rng.uniform(500, 640) if morning else rng.uniform(900, 960))
            length = 60 * min(rng.uniform(0.5, 1.5) * who.out_len_m, 260)
            if not morning:
                length = min(length, bed - os_ - 1800)
            if length > 900:
                changes += [(os_, OUT), (os_ + length, HOME)]
        for _ in range(poisson(rng, 1.2)):
            happenings.append((wake + rng.uniform(600, max(bed - wake - 600, 700)), "door_home"))
        if visit:
            happenings += [(day0 + 60 * rng.uniform(600, 1200), "visit") for _ in range(8)]
        changes.append((bed, SLEEP))
        for _ in range(poisson(rng, 0.8)):
            happenings.append((bed + rng.uniform(3600, 6 * 3600), "bathroom"))
    changes.sort()
    changes = _keep_order(changes)

    trips, flags = [], []
    if rng.random() < 0.35 and days > 3:
        in_holiday = [d for d in sorted(holidays) if d < days - 1]
        first = rng.choice(in_holiday) if in_holiday and rng.random() < 0.5 else rng.randrange(1, days - 1)
        leave = start + first * DAY + 60 * rng.uniform(480, 660)
        back = min(leave + DAY * rng.uniform(1, 6) + 60 * rng.uniform(-120, 240), start + days * DAY - 3600)
        how = "app" if rng.random() < 0.55 else ("door" if who.directional else "none")
        trips.append((leave, back, how))
        changes = _override(changes, leave, back, AWAY)
        if how == "app":
            flags += [(leave + rng.uniform(300, 5400), True), (back + rng.uniform(0, 12 * 3600), False)]

    emergency = None
    if rng.random() < emergency_p and days >= first_emergency_day + 2:
        for _ in range(50):
            day = rng.randrange(first_emergency_day, days - 1)
            minute = rng.uniform(480, 1080) if rng.random() < 0.75 else rng.uniform(1080, 1920)
            t = start + day * DAY + 60 * minute
            if _state_at(changes, t) in (HOME, SLEEP):
                left_on = rng.uniform(0.05, 0.15) if rng.random() < 0.2 else 0.0
                emergency = (t, left_on)
                changes = [c for c in changes if c[0] < t] + [(t, DOWN)]
                break

    for i, (t, state) in enumerate(changes[1:], 1):
        before, outside = changes[i - 1][1], (OUT, AWAY)
        if who.door and DOWN not in (before, state) and (before in outside) != (state in outside):
            leaving = state in outside
            if who.directional:
                doors.append((t, "out" if leaving else "in"))
            else:
                doors += [(t, "open"), (t + 40, "close")]
    for t, kind in happenings:
        if kind == "door_home" and who.door and _state_at(changes, t) == HOME:
            doors += [(t, "open"), (t + 60, "close")] if not who.directional else [(t, "out"), (t + 120, "in")]
    doors.sort()
    return Life(changes, sorted(happenings), doors, flags, trips, emergency)


def _keep_order(changes: list) -> list:
    """Drop changes that a later-drawn earlier change made meaningless (same state twice)."""
    result = [changes[0]]
    for t, state in changes[1:]:
        if state != result[-1][1]:
            result.append((t, state))
    return result


def _override(changes: list, a: float, b: float, state: int) -> list:
    after = _state_at(changes, b)
    kept = [c for c in changes if c[0] < a or c[0] > b]
    kept += [(a, state), (b, HOME if after in (SLEEP, HOME) else after)]
    return _keep_order(sorted(kept))


def _state_at(changes: list, t: float) -> int:
    state = changes[0][1]
    for when, s in changes:
        if when > t:
            break
        state = s
    return state


def minutes_by_state(changes: list, a: float, b: float, cursor: int) -> tuple[list[float], int]:
    """Minutes spent in each state during [a, b); ``cursor`` speeds up walking forward."""
    spent = [0.0] * 5
    while cursor + 1 < len(changes) and changes[cursor + 1][0] <= a:
        cursor += 1
    i, t = cursor, a
    while t < b:
        following = changes[i + 1][0] if i + 1 < len(changes) else b
        end = min(following, b)
        spent[changes[i][1]] += (end - t) / 60.0
        t = end
        if i + 1 >= len(changes):
            break
        i += 1
    return spent, cursor


def readings(rng: Random, who: Resident, life: Life, start: float, days: int,
             down: Callable[[float], bool]) -> list[tuple[float, str, dict]]:
    """The readings the resident's devices send: ``(t, device, data)``, time-ordered."""
    end = start + days * DAY
    out: list[tuple[float, str, dict]] = []
    happen = life.happenings
    left_on = life.emergency[1] if life.emergency else 0.0
    streams = [(f"{who.rid}-hub", HUB_S, ("water", "power", "motion"))] if who.hub else [
        (f"{who.rid}-wm", WATER_S, ("water",)), (f"{who.rid}-em", POWER_S, ("power",))]
    for device, step, measures in streams:
        offset = rng.uniform(0, step)
        cursor, h_i = 0, 0
        t = start + offset
        while t < end:
            a = t - step
            spent, cursor = minutes_by_state(life.changes, a, t, cursor)
            home, sleep, down_m = spent[HOME], spent[SLEEP], spent[DOWN]
            water, kwh, motion = who.leak_m3h * step / 3600, 0.0, 0
            while h_i < len(happen) and happen[h_i][0] < a:
                h_i += 1
            j = h_i
            while j < len(happen) and happen[j][0] < t:
                kind = happen[j][1]
                state = _state_at_cached(life.changes, happen[j][0], cursor)
                if kind == "bathroom" and state == SLEEP:
                    water += 0.006
                    motion += 2
                elif state == HOME and kind in ("wash", "meal", "shower", "visit"):
                    water += {"wash": 0.008, "meal": 0.004, "shower": 0.04, "visit": 0.003}[kind]
                    kwh += rng.uniform(0.15, 0.45) if kind == "meal" else 0.02
                    motion += 3
                j += 1
            for _ in range(poisson(rng, home * who.use_per_min)):
                water += rng.uniform(0.002, 0.009)
            motion += poisson(rng, 0.45 * home)
            hours = step / 3600
            kwh += max(who.standby_kw * hours * (1 + rng.gauss(0, 0.15)), 0.0)
            kwh += who.home_kw * home / 60 + left_on * down_m / 60
            kwh += who.home_kw * 0.3 * sleep / 60 * (rng.random() < 0.1)
            if not down(t):
                data: dict = {"interval_s": step}
                if "water" in measures:
                    data["water_m3"] = round(water, 4)
                if "power" in measures:
                    data["power_kwh"] = round(kwh, 2)
                if "motion" in measures:
                    data["motion"] = motion
                out.append((t, device, data))
            t += step
    for t, value in life.doors:
        if t < end and not down(t):
            out.append((t, f"{who.rid}-door", {"door": value}))
    for t, away in life.flags:
        if t < end:
            out.append((t, f"{who.rid}-app", {"away": away, "resident": who.rid}))
    out.sort(key=lambda r: r[0])
    return out


def _state_at_cached(changes: list, t: float, cursor: int) -> int:
    i = max(cursor - 1, 0)
    while i + 1 < len(changes) and changes[i + 1][0] <= t:
        i += 1
    while i > 0 and changes[i][0] > t:
        i -= 1
    return changes[i][1]
