"""The validate stage: what a gateway may send, and the reason it gets when it may not."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest

from gridalert.streams.cloudevents import MAX_EVENT_BYTES, Rejected, parse_event


@dataclass
class Dev:
    lon: float
    lat: float


DEVICES = {"tc-1": Dev(106.631, 26.621)}


def event(**overrides) -> dict:
    base = {
        "specversion": "1.0", "id": "e-1", "source": "urn:gw:7", "type": "heat.reading",
        "time": "2026-11-23T02:15:00+08:00", "data": {"lon": 106.63, "lat": 26.62, "temperature_c": 63.5},
    }
    base.update(overrides)
    return base


def raw(document) -> bytes:
    return json.dumps(document).encode()


def test_structured_event_becomes_a_valid_event_with_its_point_and_offset():
    valid = parse_event(raw(event()))
    assert (valid.id, valid.event_type, valid.lon, valid.lat) == ("e-1", "heat.reading", 106.63, 26.62)
    assert valid.time.utcoffset() == timedelta(hours=8)
    assert valid.data["temperature_c"] == 63.5


def test_registered_device_gives_the_point():
    valid = parse_event(raw(event(data={"device": "tc-1", "temperature_c": 40})), devices=DEVICES)
    assert (valid.lon, valid.lat, valid.device) == (106.631, 26.621, "tc-1")


def test_binary_mode_reads_attributes_from_ce_headers():
    headers = [("ce_specversion", b"1.0"), ("ce_id", b"b-1"), ("ce_source", b"urn:gw"),
               ("ce_type", b"heat.reading"), ("ce_time", b"2026-11-23T02:15:00Z"),
               ("content-type", b"application/json")]
    valid = parse_event(raw({"lon": 106.6, "lat": 26.6, "temperature_c": 20}), headers)
    assert valid.id == "b-1" and valid.time.utcoffset() == timedelta(0)


def test_vendor_extra_fields_are_kept():
    valid = parse_event(raw(event(data={"lon": 1, "lat": 2, "temperature_c": 3, "firmware": "v2"})))
    assert valid.data["firmware"] == "v2"


@pytest.mark.parametrize("message, reason", [
    (b"", "empty message"),
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe", "not UTF-8"),
    (raw([1, 2]), "must be a JSON object"),
    (raw(event(specversion="0.3")), "specversion must be '1.0'"),
    (raw({k: v for k, v in event().items() if k != "id"}), "missing CloudEvents attribute(s): id"),
    (raw(event(type="smoke.reading")), "unknown event type 'smoke.reading'"),
    (raw({k: v for k, v in event().items() if k != "time"}), "missing CloudEvents attribute: time"),
    (raw(event(time="2026-11-23T02:15:00")), "no UTC offset"),
    (raw(event(time="yesterday")), "not RFC 3339"),
    (raw(event(data="hot")), "'data' must be a JSON object"),
    (raw(event(data={"temperature_c": 60})), "lon/lat (WGS84) or a registered device"),
    (raw(event(data={"device": "nope", "temperature_c": 60})), "'nope' is not registered"),
    (raw(event(data={"lon": 200, "lat": 26, "temperature_c": 60})), "data.lon 200 is outside"),
    (raw(event(data={"lon": "106", "lat": 26, "temperature_c": 60})), "data.lon must be a number"),
    (raw(event(data={"lon": 106, "lat": 26})), "data.temperature_c: Field required"),
    (raw(event(data={"lon": 106, "lat": 26, "temperature_c": "hot"})), "data.temperature_c"),
    # pydantic's lax mode would read these as 63.5 °C, 1 °C and 1 px
    (raw(event(data={"lon": 106, "lat": 26, "temperature_c": "63.5"})), "data.temperature_c: must be a number, not text"),
    (raw(event(data={"lon": 106, "lat": 26, "temperature_c": True})), "must be a number, not true or false"),
    (raw(event(data={"lon": 106, "lat": 26, "temperature_c": 60, "hot_area_px": True})),
     "data.hot_area_px: must be a number, not true or false"),
    (raw(event(type="activity.reading", data={"lon": 106, "lat": 26, "interval_s": 60})),
     "data: needs at least one of water_m3"),
])
def test_unusable_input_is_rejected_with_a_reason_a_vendor_can_act_on(message, reason):
    with pytest.raises(Rejected) as caught:
        parse_event(message, devices=DEVICES)
    assert reason in caught.value.reason


def padded(size: int) -> bytes:
    """A valid structured event of exactly ``size`` bytes (a vendor field takes up the slack)."""
    document = event(data={"lon": 106.63, "lat": 26.62, "temperature_c": 63.5, "padding": ""})
    slack = size - len(raw(document))
    document["data"]["padding"] = "x" * slack
    message = raw(document)
    assert len(message) == size
    return message


def test_an_event_of_exactly_the_size_limit_is_valid():
    assert parse_event(padded(MAX_EVENT_BYTES)).id == "e-1"


def test_one_byte_over_the_size_limit_is_rejected_saying_its_size_and_the_limit():
    with pytest.raises(Rejected) as caught:
        parse_event(padded(MAX_EVENT_BYTES + 1))
    assert caught.value.reason == f"event is {MAX_EVENT_BYTES + 1} bytes; the limit is {MAX_EVENT_BYTES}"


def test_the_size_is_checked_before_the_event_is_parsed():
    with pytest.raises(Rejected) as caught:
        parse_event(b"{not json" + b" " * MAX_EVENT_BYTES)
    assert "the limit is" in caught.value.reason


def test_in_binary_mode_the_headers_count_towards_the_size():
    headers = [("ce_specversion", b"1.0"), ("ce_id", b"b-1"), ("ce_source", b"urn:gw"),
               ("ce_type", b"heat.reading"), ("ce_time", b"2026-11-23T02:15:00Z"),
               ("ce_subject", b"s" * MAX_EVENT_BYTES)]
    with pytest.raises(Rejected) as caught:
        parse_event(raw({"lon": 106.6, "lat": 26.6, "temperature_c": 20}), headers)
    assert "the limit is" in caught.value.reason
