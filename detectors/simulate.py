"""A labelled synthetic district: weeks of readings with injected true emergencies and their start times.

``World(seed, residents, cameras, monitors, days)`` draws a district once (grids, gateways with
their outages, the device registry); ``world.subject(kind, i)`` then draws one subject's readings
in time order, with its true emergencies. Every subject has its own random stream (seeded by
seed, kind and number), so subjects can be drawn in any order, or in several processes, and the
result is the same.

What is in it (see docs/detectors.md, "Evaluation"):

- residents (``simulate_home``): routines with noise, naps, outings, holidays (National Day week),
  sick days, trips away (announced or not), leaks, appliances left on; falls as emergencies;
- gateways: a heartbeat every 5 min (1 % lost), short blips of 4–10 min, and outages of an
  hour to a day (the gateway's emergencies); residents behind a silent gateway send nothing;
- thermal cameras: rooftops with a daily cycle, indoor scenes, warm plant rooms that oscillate
  around the warning level; passing hot vehicles, glints, the sun breaking through; fires
  (fast, or smouldering) as emergencies;
- wiring monitors: normal leakage 80–200 mA (some old circuits 230–260 mA), inrush spikes,
  plug-in arcs (≤ 9), rare motor arcs (10–14 for one second); leakage faults, recurring arcing
  and overheating cables as emergencies, each from the moment it becomes a hazard.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from random import Random
from typing import Optional

from gridalert.config.model import Device
from gridalert.detectors.simulate_home import DAY, draw_resident, live, poisson, readings
from gridalert.streams.records import Place

LOCAL = timezone(timedelta(hours=8))
START = datetime(2026, 9, 21, tzinfo=LOCAL).timestamp()  # scoring starts on a Monday; National Day week is days 10–16
WARMUP_DAYS = {"resident": 14, "gateway": 1, "camera": 1, "monitor": 1}  # enrolled this long before scoring
HOLIDAYS = set(range(10, 17))
DISTRICT = "模拟区"
RESIDENTS_PER_GRID, RESIDENTS_PER_GATEWAY = 40, 20
HEARTBEAT_S = 300.0
KINDS = ("resident", "gateway", "camera", "monitor")


@dataclass(frozen=True)
class Emergency:
    """A true emergency: the subject that should alarm, from when (``start``: it is a hazard),
    until when. ``onset`` is when the fault began, if earlier (a cable warming towards 70 °C): an
    alarm from then on is early, not false."""

    detector: str
    subject: str
    kind: str
    start: float
    end: float
    daytime: bool
    onset: Optional[float] = None

    def covers(self, t: float) -> bool:
        return (self.onset if self.onset is not None else self.start) - 1e-3 <= t <= self.end


@dataclass
class Subject:
    detector: str
    key: str
    place: Place
    readings: list  # [(t, device, event_type, data)] in time order, from the warm-up on
    emergencies: list[Emergency] = field(default_factory=list)
    observed_days: float = 0.0  # scored days outside emergencies
    group: str = ""  # e.g. the household's kit


def local_hour(t: float) -> float:
    return ((t + 8 * 3600) % DAY) / 3600


def is_daytime(t: float) -> bool:
    return 8 <= local_hour(t) < 18


class World:
    def __init__(self, seed: int, residents: int, cameras: int, monitors: int, days: int):
        self.seed, self.days = seed, days
        self.counts = {"resident": residents, "camera": cameras, "monitor": monitors,
                       "gateway": math.ceil(residents / RESIDENTS_PER_GATEWAY)}
        self.start, self.end = START, START + days * DAY
        grids = max(1, math.ceil(residents / RESIDENTS_PER_GRID), math.ceil((cameras + monitors) / 40))
        self.places = [Place(district=DISTRICT, grid_id=f"SIM-G{g:03d}", grid_name=f"模拟第{g + 1}网格",
                             village=f"模拟村{g // 5 + 1}", township="模拟镇") for g in range(grids)]
        self.outages = [self._outages(g) for g in range(self.counts["gateway"])]
        self.devices = self._registry()

    def begin(self, kind: str) -> float:
        """When the subject's readings begin: scoring starts at ``start``, after a warm-up."""
        return self.start - WARMUP_DAYS[kind] * DAY

    def rng(self, kind: str, i: int) -> Random:
        return Random(f"{self.seed}:{kind}:{i}")

    def jobs(self) -> list[tuple[str, int]]:
        return [(kind, i) for kind in KINDS for i in range(self.counts[kind])]

    def place_of(self, kind: str, i: int) -> Place:
        if kind == "resident":
            return self.places[(i // RESIDENTS_PER_GRID) % len(self.places)]
        if kind == "gateway":
            return self.places[(i * RESIDENTS_PER_GATEWAY // RESIDENTS_PER_GRID) % len(self.places)]
        return self.places[(i if kind == "camera" else i + 7) % len(self.places)]

    def subject(self, kind: str, i: int) -> Subject:
        return getattr(self, f"_{kind}")(i)

    # --- registry ------------------------------------------------------------------------------

    def _registry(self) -> dict[str, Device]:
        devices: dict[str, Device] = {}
        for i in range(self.counts["resident"]):
            rid, gateway = f"r{i:05d}", f"gw{i // RESIDENTS_PER_GATEWAY:04d}"
            for suffix, kind in (("hub", "activity_hub"), ("wm", "water_meter"), ("em", "power_meter"),
                                 ("door", "door_sensor")):
                devices[f"{rid}-{suffix}"] = Device(id=f"{rid}-{suffix}", kind=kind, lon=106.6, lat=26.6,
                                                    resident=rid, household=f"h-{rid}", gateway=gateway,
                                                    special_attention=True)
        for i in range(self.counts["camera"]):
            building = ("high_rise", "warehouse", "wooden_village", "office", "residential")[i % 5]
            devices[f"tc{i:05d}"] = Device(id=f"tc{i:05d}", kind="thermal_camera", lon=106.6, lat=26.6,
                                           building_type=building, zone=f"zone-{i}")
        for i in range(self.counts["monitor"]):
            building = ("wooden_village", "residential", "wooden_village", "warehouse")[i % 4]
            devices[f"wm{i:05d}"] = Device(id=f"wm{i:05d}", kind="wiring_monitor", lon=106.6, lat=26.6,
                                           building_type=building, household=f"h-wm{i:05d}")
        return devices

    # --- gateways -----------------------------------------------------------------------------

    def _outages(self, g: int) -> list[tuple[float, float, bool]]:
        """(start, end, counts as an emergency): outages of an hour or more, and short blips."""
        rng = self.rng("outage", g)
        found = []
        for _ in range(poisson(rng, self.days / 25)):
            a = self.start + rng.uniform(DAY, self.end - self.start - 3600)
            length = min(max(rng.lognormvariate(math.log(7200), 0.9), 3600), 30 * 3600)
            found.append((a, min(a + length, self.end), True))
        for _ in range(poisson(rng, self.days / 5)):
            a = self.start + rng.uniform(0, self.end - self.start - 3600)
            found.append((a, a + rng.uniform(240, 600), False))
        found.sort()
        merged: list[tuple[float, float, bool]] = []
        for a, b, real in found:
            if merged and a <= merged[-1][1]:
                pa, pb, preal = merged[-1]
                merged[-1] = (pa, max(pb, b), preal or real)
            else:
                merged.append((a, b, real))
        return merged

    def gateway_down(self, g: int):
        outages = self.outages[g]
        starts = [o[0] for o in outages]

        def down(t: float) -> bool:
            k = bisect.bisect_right(starts, t) - 1
            return k >= 0 and t < outages[k][1]
        return down

    def _gateway(self, g: int) -> Subject:
        rng, down = self.rng("gateway", g), self.gateway_down(g)
        gid = f"gw{g:04d}"
        online = min(RESIDENTS_PER_GATEWAY, self.counts["resident"] - g * RESIDENTS_PER_GATEWAY) * 2
        beats = []
        t = self.begin("gateway") + rng.uniform(0, HEARTBEAT_S)
        while t < self.end:
            if not down(t) and rng.random() >= 0.01:
                beats.append((t, gid, "gateway.heartbeat", {"gateway": gid, "devices_online": online}))
            t += HEARTBEAT_S + rng.uniform(-5, 5)
        emergencies = [Emergency("gateway", f"gateway:{gid}", "outage", a, b, is_daytime(a))
                       for a, b, real in self.outages[g] if real]
        return Subject("gateway", f"gateway:{gid}", self.place_of("gateway", g), beats, emergencies, self.days)

    # --- residents ----------------------------------------------------------------------------

    def _resident(self, i: int) -> Subject:
        rng = self.rng("resident", i)
        who = draw_resident(rng, f"r{i:05d}")
        warmup = WARMUP_DAYS["resident"]
        life = live(rng, who, self.begin("resident"), self.days + warmup, {d + warmup for d in HOLIDAYS},
                    emergency_p=0.15, first_emergency_day=warmup)
        sent = readings(rng, who, life, self.begin("resident"), self.days + warmup,
                        self.gateway_down(i // RESIDENTS_PER_GATEWAY))
        rows = [(t, device, "activity.reading", data) for t, device, data in sent]
        key = f"activity:{who.rid}"
        emergencies, observed_until = [], self.end
        if life.emergency:
            t = life.emergency[0]
            emergencies.append(Emergency("activity", key, "fall", t, min(t + 3 * DAY, self.end), is_daytime(t)))
            observed_until = t
        kit = "hub with motion sensor" if who.hub else "water and power meters only"
        return Subject("activity", key, self.place_of("resident", i), rows, emergencies,
                       (observed_until - self.start) / DAY, kit + (", door sensor" if who.door else ""))

    # --- thermal cameras ----------------------------------------------------------------------

    def _camera(self, i: int) -> Subject:
        rng = self.rng("camera", i)
        device = f"tc{i:05d}"
        scene = rng.choices(("roof", "indoor", "warm"), (0.6, 0.3, 0.1))[0]
        night, amp = rng.uniform(12, 20), rng.uniform(10, 25)
        warm_mean, warm_amp, warm_period = rng.uniform(44.5, 46.5), rng.uniform(1.0, 2.5), rng.uniform(1200, 3600)
        step = 300.0 if scene == "warm" else 600.0

        def base(t: float) -> float:
            if scene == "warm":
                return warm_mean + warm_amp * math.sin(2 * math.pi * t / warm_period) + rng.gauss(0, 0.4)
            if scene == "indoor":
                return 23 + 2 * math.sin(2 * math.pi * (local_hour(t) - 9) / 24) + rng.gauss(0, 0.3)
            h = local_hour(t)
            sun = max(0.0, math.sin(math.pi * (h - 7) / 12)) ** 1.5 if 7 <= h <= 19 else 0.0
            return night + amp * sun + rng.gauss(0, 0.8)

        rows: list = []
        t = self.begin("camera") + rng.uniform(0, step)
        while t < self.end:
            rows.append([t, base(t), rng.randint(0, 3)])
            t += step
        for day in range(-WARMUP_DAYS["camera"], self.days):
            for _ in range(poisson(rng, 0.6)):
                t0 = self.start + day * DAY + rng.uniform(0, DAY)
                what = rng.random()
                if what < 0.5:  # a vehicle or a person with a hot object passes
                    hot = rng.uniform(55, 90)
                    rows += [[t0 + 15 * k, hot - 5 * k, rng.randint(20, 300)] for k in range(rng.randint(1, 2))]
                elif what < 0.8:  # a glint: hot but tiny
                    rows.append([t0, rng.uniform(50, 70), rng.randint(1, 3)])
                elif scene == "roof" and 9 <= local_hour(t0) < 16:  # the sun breaks through
                    now = base(t0)
                    rows += [[t0 + 15 * k, now + 2.0 * k, rng.randint(30, 200)] for k in range(4)]
        emergencies = []
        if rng.random() < 0.1 and self.days > 2:
            fire_t = self.start + rng.uniform(DAY, self.end - self.start - 3 * 3600)
            fast = rng.random() < 0.6
            rate = rng.uniform(5, 30) if fast else rng.uniform(0.5, 2.0)
            cap = rng.uniform(120, 400) if fast else rng.uniform(60, 90)
            length = 3 * 3600
            every = 15.0 if fast else max(15.0, min(600.0, 120.0 / rate))
            t0_temp = base(fire_t)
            rows = [r for r in rows if not fire_t <= r[0] < fire_t + length]
            t = fire_t
            while t < fire_t + length and t < self.end:
                minutes = (t - fire_t) / 60
                temp = min(t0_temp + rate * minutes, cap) + rng.gauss(0, 0.5)
                rows.append([t, temp, int(min(5 + 30 * minutes * rate / 10, 500))])
                t += every
            emergencies.append(Emergency("heat", f"heat:{device}", "fire" if fast else "smoulder", fire_t,
                                         fire_t + length, is_daytime(fire_t)))
        rows.sort(key=lambda r: r[0])
        out = [(t, device, "heat.reading", {"temperature_c": round(temp, 1), "hot_area_px": area,
                                             "zone": f"zone-{i}"}) for t, temp, area in rows if t < self.end]
        return Subject("heat", f"heat:{device}", self.place_of("camera", i), out, emergencies, self.days)

    # --- wiring monitors ----------------------------------------------------------------------

    def _monitor(self, i: int) -> Subject:
        rng = self.rng("monitor", i)
        device = f"wm{i:05d}"
        leak0 = rng.uniform(230, 260) if rng.random() < 0.03 else rng.uniform(80, 200)
        cable0 = rng.uniform(25, 35)

        def normal(t: float) -> dict:
            h = local_hour(t)
            return {"residual_current_ma": round(leak0 + 15 * math.sin(2 * math.pi * h / 24) + rng.gauss(0, 8), 1),
                    "arc_half_cycles": 0 if rng.random() < 0.97 else rng.randint(1, 5),
                    "cable_temperature_c": round(cable0 + 5 * math.sin(2 * math.pi * (h - 9) / 24) + rng.gauss(0, 0.5), 1)}

        rows: list = []
        t = self.begin("monitor") + rng.uniform(0, 900)
        while t < self.end:
            rows.append((t, normal(t)))
            t += 900
        for day in range(-WARMUP_DAYS["monitor"], self.days):
            for _ in range(poisson(rng, 1.0)):
                t0 = self.start + day * DAY + rng.uniform(0, DAY)
                spike = normal(t0)
                what = rng.random()
                if what < 0.6:  # inrush of an appliance
                    spike["residual_current_ma"] = round(leak0 + rng.uniform(80, 250), 1)
                elif what < 0.95:  # plugging in: a few arcing half-cycles, ignored by the standard
                    spike["arc_half_cycles"] = rng.randint(1, 9)
                else:  # a motor's brushes: one second over the limit
                    spike["arc_half_cycles"] = rng.randint(10, 14)
                rows += [(t0, spike), (t0 + 30, normal(t0 + 30))]
        emergencies: list[Emergency] = []
        if rng.random() < 0.12 and self.days > 3:
            kind = rng.choices(("leakage", "arcing", "overheat"), (0.5, 0.3, 0.2))[0]
            emergencies, fault_rows, cut = self._fault(rng, kind, device, normal, leak0, cable0)
            rows = [r for r in rows if not any(a <= r[0] < b for a, b in cut)] + fault_rows
        rows.sort(key=lambda r: r[0])
        out = [(t, device, "wiring.reading", data) for t, data in rows if t < self.end]
        return Subject("wiring", f"wiring:{device}", self.place_of("monitor", i), out, emergencies, self.days)

    def _fault(self, rng: Random, kind: str, device: str, normal, leak0: float, cable0: float):
        key = f"wiring:{device}"
        t0 = self.start + rng.uniform(DAY, self.end - self.start - DAY)
        rows, emergencies, cut = [], [], []
        if kind == "arcing":  # recurs: an episode on one to three days
            for n in range(rng.randint(1, 3)):
                a = t0 + n * DAY * rng.uniform(1, 4)
                if a > self.end - 7200:
                    break
                b = a + 60 * rng.uniform(10, 60)
                t = a
                while t < b:
                    data = normal(t)
                    data["arc_half_cycles"] = rng.randint(12, 60) if rng.random() < 0.8 else rng.randint(0, 9)
                    rows.append((t, data))
                    t += 30
                cut.append((a, b))
                emergencies.append(Emergency("wiring", key, "arcing", a, b, is_daytime(a)))
            return emergencies, rows, cut
        ramp, hold = 60 * rng.uniform(10, 120), 3600 * rng.uniform(2, 12)
        if kind == "leakage":
            peak, first, limit, field_name = rng.uniform(350, 900), leak0, 300.0, "residual_current_ma"
        else:
            peak, first, limit, field_name = rng.uniform(75, 95), cable0, 70.0, "cable_temperature_c"
        b = min(t0 + ramp + hold, self.end)
        t, hazard = t0, None
        while t < b:
            value = first + (peak - first) * min((t - t0) / ramp, 1.0) + rng.gauss(0, 3 if kind == "leakage" else 0.5)
            data = normal(t)
            data[field_name] = round(value, 1)
            rows.append((t, data))
            if hazard is None and value >= limit:
                hazard = t
            t += 30 if value >= limit * 0.8 else 120
        cut.append((t0, b))
        if hazard is not None:
            emergencies.append(Emergency("wiring", key, kind, hazard, b, is_daytime(hazard), onset=t0))
        return emergencies, rows, cut


def summary(world: World) -> str:
    c = world.counts
    return (f"{c['resident']} residents, {c['gateway']} gateways, {c['camera']} cameras, {c['monitor']} monitors, "
            f"{world.days} days from {datetime.fromtimestamp(world.start, LOCAL):%Y-%m-%d}, seed {world.seed}")
