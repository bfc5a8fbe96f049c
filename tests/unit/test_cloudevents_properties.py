"""parse_event on anything a gateway, a buggy firmware or a stranger may send.

The property: ``parse_event`` returns a ``ValidEvent`` that the next stages can carry, or raises
``Rejected`` with a one-line reason; never any other exception. Another exception would still be
dead-lettered by the agent boundary, but as "validate failed: <exception>" with a traceback in the
worker's log, which tells a vendor nothing.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridalert.streams.cloudevents import MAX_DEPTH, MAX_EVENT_BYTES, Rejected, parse_event
from gridalert.streams.records import ValidEvent


@dataclass
class Dev:
    lon: float
    lat: float


DEVICES = {"tc-1": Dev(106.631, 26.621), "hub-1": Dev(106.64, 26.63)}
PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(value: Any, headers: Any = None) -> ValidEvent | None:
    """The event as the validate stage would send it on, or None when rejected with a usable reason."""
    try:
        valid = parse_event(value, headers, devices=DEVICES)
    except Rejected as exc:
        assert exc.reason.strip(), "rejected without a reason"
        assert "\n" not in exc.reason, f"a reason is one line: {exc.reason!r}"
        assert len(exc.reason) <= 2000, f"a reason should not quote the event back: {len(exc.reason)} characters"
        return None
    assert_carriable(valid)
    return valid


def assert_carriable(valid: ValidEvent) -> None:
    """What the validate agent and the next stages do with an accepted event must work."""
    wire = valid.dumps()  # the record as the validated topic carries it
    assert ValidEvent.loads(wire) == valid
    # Kafka clients in other languages read it: strict JSON (no NaN), valid UTF-8 (no lone surrogates)
    strict = json.dumps(valid.asdict(), default=str, allow_nan=False, ensure_ascii=False)
    strict.encode("utf-8")
    (valid.device or valid.id).encode("utf-8")  # the agent's key when the gateway gave none
    assert math.isfinite(valid.lon) and math.isfinite(valid.lat)
    valid.time.astimezone()  # later stages convert it to the district's time zone


# -- values -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Raw:
    """JSON text dropped in as is: what json.dumps would never write (NaN, 1e999, 5000 digits …)."""

    text: str


RAW_TOKENS = [Raw(t) for t in (
    "NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1e308", "4.9e-324", "-0.0",
    "9" * 309, "-" + "9" * 320, "1" * 5000, '"\\ud800"', '"a\\udfffb"', '"\\ud83d\\ude00"',
    "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5), "[" * 5000 + "]" * 5000,
    '{"a":' * 3000 + "1" + "}" * 3000, '"' + "x" * (MAX_EVENT_BYTES + 10) + '"', '"' + "热" * 20000 + '"',
    '""', '" "', "true", "null", "{}", "[]",
)]

texts = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "1.0", "heat.reading", "tc-1", "\x00", "热源", "2026-11-23T02:15:00+08:00",
                     "\ud800", "x\udc00"]),
    st.integers(min_value=1, max_value=70_000).map(lambda n: "y" * n),
)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10 ** 400), max_value=10 ** 400),
    st.floats(allow_nan=True, allow_infinity=True), texts,
)
json_values = st.recursive(
    scalars, lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=12,
)
junk = st.one_of(json_values, st.sampled_from(RAW_TOKENS))
bad_times = st.one_of(st.sampled_from([
    "2026-11-23T02:15:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-02-30T00:00:00Z",
    "2026-11-23T24:00:00Z", "2026-11-23T02:15:00+25:00", "yesterday", "", "2026-11-23 02:15:00+08:00",
    "2026-11-23T02:15:00.123456789+08:00", "+20261-01-01T00:00:00Z",
]), texts)


def to_json(value: Any) -> str:
    """JSON text of a document that may hold ``Raw`` tokens (spliced in after json.dumps)."""
    raws: list[str] = []

    def mark(node: Any) -> Any:
        if isinstance(node, Raw):
            raws.append(node.text)
            return f"\x00RAW{len(raws) - 1}\x00"
        if isinstance(node, dict):
            return {k: mark(v) for k, v in node.items()}
        if isinstance(node, list):
            return [mark(v) for v in node]
        return node

    text = json.dumps(mark(value))  # NaN/Infinity as Python writes them: a gateway bug we must survive
    for index, raw in enumerate(raws):
        text = text.replace(json.dumps(f"\x00RAW{index}\x00"), raw)
    return text


def encoded(value: Any) -> bytes:
    return to_json(value).encode("utf-8", "surrogatepass")


# -- valid events and their mutations -------------------------------------------------------------

def base_events() -> list[dict]:
    def event(event_type: str, data: dict) -> dict:
        return {"specversion": "1.0", "id": f"{event_type}-1", "source": "urn:gw:7", "type": event_type,
                "time": "2026-11-23T02:15:00+08:00", "subject": "roof", "data": data}

    return [
        event("heat.reading", {"lon": 106.63, "lat": 26.62, "temperature_c": 63.5, "hot_area_px": 140}),
        event("heat.reading", {"device": "tc-1", "temperature_c": 40, "zone": "A座"}),
        event("wiring.reading", {"lon": 106.6, "lat": 26.6, "residual_current_ma": 350, "arc_half_cycles": 3}),
        event("activity.reading", {"device": "hub-1", "water_m3": 0.006, "motion": 14, "interval_s": 1800}),
        event("gateway.heartbeat", {"lon": 106.6, "lat": 26.6, "gateway": "gw-1", "devices_online": 23}),
        event("citizen.report", {"lon": 106.6, "lat": 26.6, "category": "fire_lane_blocked", "report_id": "QR-1"}),
    ]


BASES = base_events()
ATTRIBUTES = ["specversion", "id", "source", "type", "time", "subject", "data", "datacontenttype"]
DATA_FIELDS = ["lon", "lat", "device", "temperature_c", "hot_area_px", "residual_current_ma", "arc_half_cycles",
               "water_m3", "motion", "door", "interval_s", "away", "gateway", "devices_online", "category",
               "description", "report_id", "firmware"]


@st.composite
def mutated_events(draw) -> dict:
    document = json.loads(json.dumps(draw(st.sampled_from(BASES))))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        where = draw(st.sampled_from(["attribute", "data"]))
        target = document if where == "attribute" or not isinstance(document.get("data"), dict) else document["data"]
        name = draw(st.sampled_from(ATTRIBUTES if target is document else DATA_FIELDS))
        action = draw(st.sampled_from(["set", "set", "delete"]))
        if action == "delete":
            target.pop(name, None)
        elif name == "time":
            target[name] = draw(bad_times)
        else:
            target[name] = draw(junk)
    return document


def binary_mode(document: dict) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The same event as a binary-mode message: attributes as ce_ headers, data as the value."""
    headers = []
    for name, value in document.items():
        if name == "data":
            continue
        text = value if isinstance(value, str) else to_json(value)
        headers.append((f"ce_{name}", text.encode("utf-8", "surrogatepass")))
    return encoded(document.get("data")), headers


# -- the properties ----------------------------------------------------------------------------

@PROPERTY
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_are_rejected_with_a_reason_or_accepted(value):
    outcome(value)


@PROPERTY
@given(json_values)
def test_arbitrary_json_is_rejected_with_a_reason_or_accepted(document):
    outcome(encoded(document))


def test_a_key_with_a_newline_is_escaped_in_the_reason_that_names_the_path():
    # found by the property above: the reason quoted the key's newline raw and broke its line
    with pytest.raises(Rejected) as caught:
        parse_event(encoded({"\n": {"\ud800": None}}), None, devices=DEVICES)
    assert "\n" not in caught.value.reason and "\\n" in caught.value.reason


@PROPERTY
@given(mutated_events())
def test_a_valid_event_with_wrong_missing_or_out_of_range_values_never_crashes_the_validator(document):
    outcome(encoded(document))


@PROPERTY
@given(mutated_events())
def test_binary_mode_with_wrong_missing_or_out_of_range_attributes_never_crashes_the_validator(document):
    value, headers = binary_mode(document)
    outcome(value, headers)


@PROPERTY
@given(st.sampled_from(BASES), st.lists(st.tuples(st.text(max_size=12), st.binary(max_size=40)), max_size=4))
def test_any_extra_kafka_headers_leave_a_structured_event_valid_or_rejected(document, headers):
    outcome(encoded(document), headers)


@pytest.mark.parametrize("document", BASES, ids=[f"{d['type']}-{i}" for i, d in enumerate(BASES)])
def test_the_unmutated_events_are_valid(document):
    # without this, a validator that rejected everything would satisfy every property above
    assert outcome(encoded(document)) is not None
    value, headers = binary_mode(document)
    assert outcome(value, headers) is not None


# Each of these once raised another exception in parse_event, or passed it only to fail in a later
# stage (NaN in a vendor field, a time of year 1); now each is refused with its reason.
@pytest.mark.parametrize("name, value, reason", [
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, None),  # over the size limit: refused before parsing
    ("deep nesting within the size limit", b"[" * 20_000 + b"]" * 20_000, f"nests deeper than {MAX_DEPTH} levels"),
    ("nesting the serializer cannot follow", encoded({**BASES[0], "data": {**BASES[0]["data"], "x": Raw("[" * 900 + "]" * 900)}}),
     f"nests deeper than {MAX_DEPTH} levels"),
    ("a 5000-digit number", encoded({**BASES[0], "data": {**BASES[0]["data"], "lon": Raw("1" * 5000)}}), "digits"),
    ("a 400-digit longitude", encoded({**BASES[0], "data": {**BASES[0]["data"], "lon": Raw("1" * 400)}}),
     "digits"),
    ("a blank device id", encoded({**BASES[0], "data": {**BASES[0]["data"], "device": ""}}),
     "data.device must be a non-empty string"),
    ("an unpaired surrogate in the id", encoded({**BASES[0], "id": "\ud800"}), "unpaired UTF-16 surrogate"),
    ("an unpaired surrogate in a vendor field", encoded({**BASES[0], "data": {**BASES[0]["data"], "fw": "v\udfff"}}),
     "data.fw"),
    ("NaN in a vendor field", encoded({**BASES[0], "data": {**BASES[0]["data"], "fw": Raw("NaN")}}),
     "NaN is not a JSON number"),
    ("1e999 as a longitude", encoded({**BASES[0], "data": {**BASES[0]["data"], "lon": Raw("1e999")}}),
     "data.lon: numbers must fit a 64-bit float"),
    ("a time that is not a time in UTC", encoded({**BASES[0], "time": "0001-01-01T00:00:00+14:00"}),
     "attribute 'time' is out of range"),
])
def test_inputs_the_validator_once_crashed_on_or_let_through_are_rejected_by_name(name, value, reason):
    with pytest.raises(Rejected) as caught:
        parse_event(value, devices=DEVICES)
    assert (reason or "the limit is") in caught.value.reason


def test_a_blank_subject_counts_as_no_subject():
    valid = outcome(encoded({**BASES[0], "subject": ""}))
    assert valid is not None and valid.subject is None


def test_a_character_outside_the_basic_plane_written_as_a_surrogate_pair_is_text():
    valid = outcome(encoded({**BASES[0], "data": {**BASES[0]["data"], "zone": Raw('"\\ud83d\\udd25"')}}))
    assert valid is not None and valid.data["zone"] == "🔥"
