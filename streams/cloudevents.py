"""Validate stage core: CloudEvents 1.0 bytes (and Kafka headers) in, ``ValidEvent`` out.

Structured mode: the value is the whole event as JSON. Binary mode: the attributes are Kafka
headers ``ce_<name>`` and the value is ``data``. Anything we cannot use raises ``Rejected`` with a
reason a gateway vendor can act on; the agent sends it to the dead-letter topic. Knows nothing of
Faust or Kafka clients.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Optional

from pydantic import ValidationError

from gridalert.streams.event_types import EVENT_TYPES
from gridalert.streams.records import ValidEvent

REQUIRED = ("specversion", "id", "source", "type")
MAX_DEPTH = 32  # levels of objects and arrays in one event; a reading needs two or three
# One event, value and headers. A reading is a few hundred bytes; a citizen report's text at most
# a few kB (photos travel as URLs). Bigger is a gateway bug, dead-lettered before it is parsed.
MAX_EVENT_BYTES = 64 * 1024


class Rejected(ValueError):
    """The input is not a usable event; ``reason`` says why in one line."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def normalise_headers(headers: Optional[Iterable[Any] | Mapping[str, Any]]) -> dict[str, bytes]:
    """Kafka headers as a lower-cased dict (clients give lists of pairs or mappings)."""
    if not headers:
        return {}
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, bytes] = {}
    for key, value in pairs:
        if isinstance(value, str):
            value = value.encode()
        out[str(key).lower()] = value if value is not None else b""
    return out


def _attributes(value: bytes, headers: dict[str, bytes]) -> dict[str, Any]:
    if "ce_specversion" in headers:  # binary content mode
        attrs: dict[str, Any] = {}
        for key, raw in headers.items():
            if key.startswith("ce_"):
                try:
                    attrs[key[3:]] = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise Rejected(f"header {_cut(key)} is not UTF-8") from None
        attrs["data"] = _json(value, what="binary-mode data", root="data")
        return attrs
    document = _json(value, what="event", root="")
    if not isinstance(document, dict):
        raise Rejected(f"event must be a JSON object, got {type(document).__name__}")
    return document


def _show(value: Any, limit: int = 60) -> str:
    """``repr`` of a value for a reason, cut short: a reason stays one short line whatever was sent."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


_FLOAT_RANGE = "numbers must fit a 64-bit float (about ±1.8e308)"
# Digits of the largest double, and a sign: a longer integer is out of range whatever its digits.
_MAX_INTEGER_CHARS = len(str(int(sys.float_info.max))) + 1


def _no_constant(name: str) -> Any:
    raise Rejected(f"{name} is not a JSON number (RFC 8259): numbers must be finite")


def _integer(text: str) -> int:
    # Checked before int(): past 4300 digits Python refuses with an error about its own settings.
    if len(text) > _MAX_INTEGER_CHARS:
        raise Rejected(f"a number has {len(text)} digits; {_FLOAT_RANGE}")
    return int(text)


def _json(value: bytes, *, what: str, root: str) -> Any:
    """Strict JSON (RFC 8259) that every later stage can carry; ``root`` prefixes paths in reasons."""
    try:
        document = json.loads(value.decode("utf-8"), parse_constant=_no_constant, parse_int=_integer)
    except UnicodeDecodeError:
        raise Rejected(f"{what} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise Rejected(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise Rejected(f"{what} nests deeper than {MAX_DEPTH} levels") from None
    _check_tree(document, root, what, 0)
    return document


def _check_tree(node: Any, path: str, what: str, depth: int) -> None:
    """Refuse what ``json.loads`` lets through but the next stages cannot carry: a number no 64-bit
    float holds (``1e999``), text with an unpaired surrogate escape (``"\\ud800"``: no UTF-8
    encoder writes it, so the record could not be sent on or stored), nesting deeper than
    ``MAX_DEPTH`` (the serializer of the next topic would run out of stack)."""
    if depth > MAX_DEPTH:
        raise Rejected(f"{what} nests deeper than {MAX_DEPTH} levels")
    here = _cut(path or what, 120)  # where, in a reason
    if isinstance(node, dict):
        for key, child in node.items():
            _check_text(key, f"a key in {here}")
            _check_tree(child, f"{path}.{_segment(key)}" if path else _segment(key), what, depth + 1)
    elif isinstance(node, list):
        for index, child in enumerate(node):
            _check_tree(child, f"{path or what}[{index}]", what, depth + 1)
    elif isinstance(node, str):
        _check_text(node, here)
    elif isinstance(node, float) and not math.isfinite(node):
        raise Rejected(f"{here}: {_FLOAT_RANGE}")
    elif isinstance(node, int) and abs(node) > sys.float_info.max:
        raise Rejected(f"{here}: {_FLOAT_RANGE}")


def _check_text(text: str, where: str) -> None:
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise Rejected(f"{where}: {_show(text)} has an unpaired UTF-16 surrogate escape, "
                       "which is not Unicode text") from None


def _segment(key: str) -> str:
    """A key as a step of a path in a reason: escaped when it is not printable (a newline in a key
    must not break the reason's one line)."""
    return _cut(key if key.isprintable() else repr(key)[1:-1])


def _cut(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…"


def _time(text: Any) -> datetime:
    if not isinstance(text, str):
        raise Rejected("attribute 'time' must be an RFC 3339 string, e.g. 2026-11-23T02:15:00+08:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Rejected(f"attribute 'time' is not RFC 3339: {_show(text)}") from None
    if moment.tzinfo is None:
        raise Rejected(f"attribute 'time' has no UTC offset: {_show(text)} (add +08:00 or Z)")
    try:
        moment.astimezone(timezone.utc)  # the next stages compare and convert times; 0001-01-01+08:00 cannot be
    except OverflowError:
        raise Rejected(f"attribute 'time' is out of range: {_show(text)}") from None
    return moment


def _coordinate(data: dict[str, Any], name: str, low: float, high: float) -> float:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Rejected(f"data.{name} must be a number, got {_show(value)}")
    if not low <= value <= high:
        raise Rejected(f"data.{name} {_show(value)} is outside {low}..{high} (WGS84 degrees)")
    return float(value)


def _position(data: dict[str, Any], devices: Mapping[str, Any]) -> tuple[float, float, Optional[str]]:
    device = data.get("device")
    if device is not None and not (isinstance(device, str) and device):
        raise Rejected(f"data.device must be a non-empty string, got {_show(device)}")
    if "lon" in data or "lat" in data:
        return _coordinate(data, "lon", -180, 180), _coordinate(data, "lat", -90, 90), device
    if device is None:
        raise Rejected("data must carry lon/lat (WGS84) or a registered device id")
    known = devices.get(device)
    if known is None:
        raise Rejected(f"data.device {_show(device)} is not registered in devices.yaml and the event has no lon/lat")
    return known.lon, known.lat, device


def parse_event(
    value: Optional[bytes],
    headers: Optional[Iterable[Any] | Mapping[str, Any]] = None,
    *,
    devices: Mapping[str, Any] = {},
) -> ValidEvent:
    """Turn one Kafka message into a ``ValidEvent`` or raise ``Rejected``.

    ``devices`` maps registered device ids to objects with ``lon`` and ``lat``.
    """
    if not value:
        raise Rejected("empty message")
    kafka_headers = normalise_headers(headers)
    size = len(value) + sum(len(k) + len(v) for k, v in kafka_headers.items())
    if size > MAX_EVENT_BYTES:  # before parsing: no time spent on it, and nothing huge travels on
        raise Rejected(f"event is {size} bytes; the limit is {MAX_EVENT_BYTES}")
    attrs = _attributes(value, kafka_headers)
    missing = [name for name in REQUIRED if not attrs.get(name)]
    if missing:
        raise Rejected(f"missing CloudEvents attribute(s): {', '.join(missing)}")
    if attrs["specversion"] != "1.0":
        raise Rejected(f"specversion must be '1.0', got {_show(attrs['specversion'])}")
    for name in ("id", "source", "type"):
        if not isinstance(attrs[name], str):
            raise Rejected(f"attribute {name!r} must be a string")
    event_type = attrs["type"]
    readings_model = EVENT_TYPES.get(event_type)
    if readings_model is None:
        known = ", ".join(sorted(EVENT_TYPES))
        raise Rejected(f"unknown event type {_show(event_type)}; known types: {known}")
    if "time" not in attrs:
        raise Rejected("missing CloudEvents attribute: time (RFC 3339 with offset)")
    moment = _time(attrs["time"])
    data = attrs.get("data")
    if not isinstance(data, dict):
        raise Rejected("attribute 'data' must be a JSON object")
    lon, lat, device = _position(data, devices)
    try:
        readings_model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(["data", *(_cut(str(p)) for p in first["loc"])])
        problem = first["msg"].removeprefix("Value error, ")  # pydantic's prefix for our own checks
        raise Rejected(f"{where}: {problem} for type {event_type}") from None
    subject = attrs.get("subject")
    return ValidEvent(
        id=attrs["id"],
        event_type=event_type,
        source=attrs["source"],
        time=moment,
        lon=lon,
        lat=lat,
        data=data,
        device=device,
        subject=subject if isinstance(subject, str) and subject else None,  # optional: blank is none
    )
