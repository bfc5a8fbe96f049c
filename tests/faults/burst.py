"""The malformed burst: a seeded mix of bad events, a district's normal readings and a few alarms.

``make_burst(seed, total, ...)`` gives the same messages for the same arguments. Each bad message
is keyed ``burst:<category>:<n>`` and knows a fragment its dead letter's reason must contain
(dead letters keep the original key, so each is matched to its record). Good messages are keyed by
their camera, as gateways do, and know the grid their point lies in. Duplicates are earlier good
messages sent again, byte for byte, later in the burst (a gateway's retry).

Bad categories, after the issue: malformed (not JSON, or JSON but not an object, or empty),
not UTF-8, oversized, wrongly typed fields, out-of-range values, missing attributes, unknown type,
bad time.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Optional

from gridalert.streams.cloudevents import MAX_EVENT_BYTES
from tests.support.pipeline import BEIJING

GOOD, DUPLICATE, ALARM = "good", "duplicate", "alarm"
BAD = ("malformed", "not-utf8", "oversized", "wrong-type", "out-of-range", "missing", "unknown-type", "bad-time")
# Share of the bad messages per category; oversized ones are counted apart (they are big).
BAD_WEIGHTS = {"malformed": 3, "not-utf8": 2, "wrong-type": 3, "out-of-range": 3, "missing": 2, "unknown-type": 1,
               "bad-time": 1}
OVERSIZED_BYTES = (70_000, 300_000)
# Close to what gridalert.events accepts (1 MiB per message, streams/topics.py): its dead letter,
# all control characters escaped in JSON, is six times its size.
LARGEST_BYTES = 1_000_000
ALARM_C = 80.0


@dataclass(frozen=True)
class Message:
    key: bytes
    value: Optional[bytes]
    category: str
    expect: str = ""  # bad: a fragment of its dead letter's reason
    event_id: Optional[str] = None  # good, duplicate, alarm: the CloudEvents id
    grid: Optional[str] = None  # good, duplicate, alarm: the grid its point lies in
    headers: Optional[list[tuple[str, bytes]]] = None

    @property
    def bad(self) -> bool:
        return self.category in BAD


@dataclass
class Burst:
    messages: list[Message]
    alarms: dict[str, dict] = field(default_factory=dict)  # grid → the alarm event, as tests.faults.script keeps them

    def counts(self) -> Counter:
        return Counter(m.category for m in self.messages)

    @property
    def bad(self) -> dict[bytes, Message]:
        return {m.key: m for m in self.messages if m.bad}

    def passed(self) -> Counter:
        """event id → how many times it must pass validation: once per copy sent."""
        return Counter(m.event_id for m in self.messages if not m.bad)


def _event(event_id: str, camera: str, lon: float, lat: float, at: datetime, temperature: float) -> dict:
    return {"specversion": "1.0", "id": event_id, "source": "urn:test:burst-gw", "type": "heat.reading",
            "time": at.isoformat(), "data": {"lon": lon, "lat": lat, "device": camera, "temperature_c": temperature,
                                             "hot_area_px": 60}}


def _raw(document) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


# -- one generator per bad category: (rng, a valid event to spoil) → (value, headers, reason fragment) ----

Spoiled = tuple[Optional[bytes], Optional[list[tuple[str, bytes]]], str]


def _malformed(rng: random.Random, event: dict) -> Spoiled:
    text = _raw(event)
    shape = rng.randrange(6)
    if shape == 0:
        return text[: rng.randrange(1, len(text) - 1)], None, "not valid JSON"  # cut off mid-send
    if shape == 1:
        return text + b"}", None, "not valid JSON"
    if shape == 2:
        return text.replace(b'"', b"'"), None, "not valid JSON"
    if shape == 3:
        junk = bytes(rng.randrange(32, 127) for _ in range(rng.randrange(200)))
        page = b"<html><body><h1>502 Bad Gateway</h1>" + junk
        return page, None, "not valid JSON"  # a proxy's error page instead of the event
    if shape == 4:
        return _raw(rng.choice([[event], "heat", 42, None, True])), None, "must be a JSON object"
    return rng.choice([b"", None]), None, "empty message"


def _not_utf8(rng: random.Random, event: dict) -> Spoiled:
    shape = rng.randrange(3)
    if shape == 0:
        text = bytearray(_raw(event))
        text[rng.randrange(len(text))] = rng.randrange(0x80, 0x100)  # a stray high byte
        return bytes(text), None, "UTF-8"
    if shape == 1:
        event["data"]["zone"] = "金融城写字楼A座屋顶"
        return json.dumps(event, ensure_ascii=False).encode("gb18030"), None, "not UTF-8"  # a GBK gateway
    # binary mode with an attribute header in GBK
    headers = [("ce_specversion", b"1.0"), ("ce_id", event["id"].encode()), ("ce_source", "网关".encode("gb18030")),
               ("ce_type", b"heat.reading"), ("ce_time", event["time"].encode())]
    return _raw(event["data"]), headers, "header ce_source is not UTF-8"


def _oversized(rng: random.Random, event: dict, size: int, filler: Optional[bytes] = None) -> Spoiled:
    """An event of about ``size`` bytes: a firmware dump in a vendor field. ASCII filler costs its
    size again in the dead letter; CJK twice (JSON escapes it); raw control characters (not valid
    JSON, but the size is checked first) six times."""
    filler = filler or rng.choice([b"x", b"x", b"x", "热".encode(), "热".encode(), b"\x01"])
    event["data"]["firmware_dump"] = "@@"
    head, tail = _raw(event).split(b"@@")
    value = head + filler * ((size - len(head) - len(tail)) // len(filler)) + tail
    return value, None, f"event is {len(value)} bytes; the limit is {MAX_EVENT_BYTES}"


def _wrong_type(rng: random.Random, event: dict) -> Spoiled:
    data = event["data"]
    shape = rng.randrange(7)
    if shape == 0:
        data["temperature_c"] = rng.choice(["hot", "63.5", [63.5], {"value": 63.5}, None, True])
        return _raw(event), None, "data.temperature_c"
    if shape == 1:
        data[rng.choice(["lon", "lat"])] = rng.choice(["106.63", None, [106.63], True])
        return _raw(event), None, "must be a number"
    if shape == 2:
        data["hot_area_px"] = rng.choice([1.5, "140", [1], False])
        return _raw(event), None, "data.hot_area_px"
    if shape == 3:
        name = rng.choice(["id", "source", "type"])
        event[name] = rng.choice([7, 1.5, ["x"], {"x": 1}, True])
        return _raw(event), None, f"attribute '{name}' must be a string"
    if shape == 4:
        event["data"] = rng.choice([[data], "hot", 42])
        return _raw(event), None, "'data' must be a JSON object"
    if shape == 5:
        event["time"] = rng.choice([1763835300, 1.5, ["2026-11-23T02:15:00+08:00"]])
        return _raw(event), None, "'time' must be an RFC 3339 string"
    data["device"] = rng.choice([7, "", ["tc"], {"id": "tc"}])
    return _raw(event), None, "data.device must be a non-empty string"


def _out_of_range(rng: random.Random, event: dict) -> Spoiled:
    data = event["data"]
    shape = rng.randrange(7)
    if shape == 0:
        data["lon"] = rng.choice([-1, 1]) * rng.uniform(180.001, 10_000)
        return _raw(event), None, "data.lon"
    if shape == 1:
        data["lat"] = rng.choice([-1, 1]) * rng.uniform(90.001, 10_000)
        return _raw(event), None, "data.lat"
    if shape == 2:
        data["temperature_c"] = rng.uniform(1500.01, 1e9)
        return _raw(event), None, "data.temperature_c: Input should be less than or equal to 1500"
    if shape == 3:
        data["temperature_c"] = rng.uniform(-1e6, -60.01)
        return _raw(event), None, "data.temperature_c: Input should be greater than or equal to -60"
    if shape == 4:
        data["hot_area_px"] = -rng.randrange(1, 10_000)
        return _raw(event), None, "data.hot_area_px: Input should be greater than or equal to 0"
    if shape == 5:  # what json.dumps writes for a float('nan') a firmware divided into
        data[rng.choice(["temperature_c", "lon", "vendor_ratio"])] = rng.choice([float("nan"), float("inf")])
        return json.dumps(event).encode(), None, "is not a JSON number"
    data["lon"] = "__BIG__"
    return json.dumps(event).encode().replace(b'"__BIG__"', b"1e999"), None, "numbers must fit a 64-bit float"


def _missing(rng: random.Random, event: dict) -> Spoiled:
    shape = rng.randrange(4)
    if shape == 0:
        names = rng.sample(["specversion", "id", "source", "type"], rng.randrange(1, 5))
        for name in names:
            event.pop(name)
        return _raw(event), None, "missing CloudEvents attribute(s)"
    if shape == 1:
        event.pop("time")
        return _raw(event), None, "missing CloudEvents attribute: time"
    if shape == 2:
        event["data"].pop("temperature_c")
        return _raw(event), None, "data.temperature_c: Field required"
    for name in ("lon", "lat", "device"):
        event["data"].pop(name)
    return _raw(event), None, "data must carry lon/lat (WGS84) or a registered device id"


def _unknown_type(rng: random.Random, event: dict) -> Spoiled:
    event["type"] = rng.choice(["smoke.reading", "heat.Reading", "heat", "com.vendor.thermal.v2", "热源"]) + (
        "" if rng.random() < 0.5 else f".{rng.randrange(100)}")
    return _raw(event), None, "unknown event type"


def _bad_time(rng: random.Random, event: dict) -> Spoiled:
    moment = datetime.fromisoformat(event["time"])
    shape = rng.randrange(3)
    if shape == 0:
        event["time"] = moment.replace(tzinfo=None).isoformat()  # local time without its offset
        return _raw(event), None, "has no UTC offset"
    if shape == 1:
        event["time"] = rng.choice([moment.strftime("%Y/%m/%d %H:%M:%S"), "yesterday", "", "2026-02-30T00:00:00Z"])
        return _raw(event), None, "attribute 'time'"  # not RFC 3339, or missing when blank
    event["time"] = "0001-01-01T00:00:00+14:00"
    return _raw(event), None, "attribute 'time' is out of range"


SPOIL: dict[str, Callable[[random.Random, dict], Spoiled]] = {
    "malformed": _malformed, "not-utf8": _not_utf8, "wrong-type": _wrong_type, "out-of-range": _out_of_range,
    "missing": _missing, "unknown-type": _unknown_type, "bad-time": _bad_time,
}


# -- the burst ------------------------------------------------------------------------------------

def make_burst(*, seed: int, total: int, points: dict[str, tuple[float, float]], alarm_grids: list[str],
               cameras: int = 300, readings_per_camera: int = 20, duplicates: int = 2000,
               alarm_copies: int = 4, oversized: int = 150, start: Optional[datetime] = None) -> Burst:
    """``total`` messages: normal readings (``cameras`` × ``readings_per_camera``, steady and below
    every heat threshold), one alarm per grid of ``alarm_grids`` (sent ``alarm_copies`` times),
    ``duplicates`` resent readings, ``oversized`` events of 70–300 kB plus one of ~1 MB, and bad
    events of the other categories for the rest. ``points`` maps each grid to a point inside it."""
    rng = random.Random(seed)
    start = start or datetime.now(BEIJING) - timedelta(hours=2)
    grids = sorted(points)
    camera_grid = {f"burst-tc-{c:04d}": grids[c % len(grids)] for c in range(cameras)}
    steady = {camera: round(rng.uniform(15.0, 34.0), 1) for camera in camera_grid}  # below the rise floor too

    slots: list[tuple[float, str, int]] = []  # (position in the burst, kind, index)
    good = cameras * readings_per_camera
    for n in range(good):
        slots.append((rng.random(), GOOD, n))
    for n, _ in enumerate(alarm_grids):
        slots.append((rng.uniform(0.05, 0.6), ALARM, n))
    n_bad = total - good - len(alarm_grids) * alarm_copies - duplicates
    if n_bad < oversized + 1:
        raise ValueError(f"{total} messages leave no room for {oversized + 1} oversized ones")
    kinds = rng.choices(list(BAD_WEIGHTS), weights=list(BAD_WEIGHTS.values()), k=n_bad - oversized - 1)
    kinds += ["oversized"] * (oversized + 1)
    for n, kind in enumerate(kinds):
        slots.append((rng.random(), kind, n))
    slots.sort()

    messages: list[Message] = []
    positions: list[float] = []
    seen_per_camera: Counter = Counter()
    big = 0
    burst = Burst(messages)
    for position, kind, n in slots:
        if kind == GOOD:  # camera n % cameras, its readings in order, 30 s apart
            camera = f"burst-tc-{n % cameras:04d}"
            grid = camera_grid[camera]
            reading = seen_per_camera[camera]
            seen_per_camera[camera] += 1
            event = _event(f"burst-{camera}-{reading:03d}", camera, *points[grid],
                           start + timedelta(seconds=30 * reading), steady[camera])
            message = Message(camera.encode(), _raw(event), GOOD, event_id=event["id"], grid=grid)
        elif kind == ALARM:
            grid = alarm_grids[n]
            camera = f"burst-alarm-{n:02d}"
            event = _event(f"burst-alarm-{grid}", camera, *points[grid], datetime.now(BEIJING), ALARM_C)
            burst.alarms[grid] = event
            message = Message(camera.encode(), _raw(event), ALARM, event_id=event["id"], grid=grid)
        else:
            grid = rng.choice(grids)
            template = _event(f"burst-bad-{kind}-{n}", f"burst-bad-{n % 97}", *points[grid],
                              start + timedelta(seconds=rng.randrange(7200)), round(rng.uniform(15, 34), 1))
            if kind == "oversized":
                if big == 0:
                    value, headers, expect = _oversized(rng, template, LARGEST_BYTES, b"\x01")
                else:
                    value, headers, expect = _oversized(rng, template, rng.randrange(*OVERSIZED_BYTES))
                big += 1
            else:
                value, headers, expect = SPOIL[kind](rng, template)
            message = Message(f"burst:{kind}:{n}".encode(), value, kind, expect=expect, headers=headers)
        messages.append(message)
        positions.append(position)

    # duplicates: a good message again, byte for byte, somewhere after the first copy
    originals = [i for i, m in enumerate(messages) if m.category == GOOD]
    resent = [(rng.uniform(positions[i], 1.0), messages[i]) for i in rng.sample(originals, duplicates)]
    alarm_at = [i for i, m in enumerate(messages) if m.category == ALARM]
    resent += [(rng.uniform(positions[i], 1.0), messages[i]) for i in alarm_at for _ in range(alarm_copies - 1)]
    merged = sorted([*zip(positions, range(len(messages)), messages),
                     *((p, len(messages) + k, m) for k, (p, m) in enumerate(resent))])
    burst.messages[:] = [m if k < len(messages) else _as_duplicate(m) for _, k, m in merged]
    assert len(burst.messages) == total, (len(burst.messages), total)
    return burst


def _as_duplicate(message: Message) -> Message:
    return Message(message.key, message.value, DUPLICATE, event_id=message.event_id, grid=message.grid)
