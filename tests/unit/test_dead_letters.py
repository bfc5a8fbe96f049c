"""The dead letter of any message: built whatever the message holds, and readable back as sent."""

from __future__ import annotations

import base64
import logging
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from aiokafka.record.default_records import DefaultRecordBatchBuilder

from gridalert.agents.boundary import DeadLetterLog, dead_letter_for
from gridalert.config.loader import load_config
from gridalert.config.settings import SAMPLE_CONFIG_DIR, Settings
from gridalert.streams.app import create_app
from gridalert.streams.cloudevents import MAX_EVENT_BYTES
from gridalert.streams.records import DeadLetter
from gridalert.streams.topics import (CONFIGS, DEAD_LETTER_MAX_MESSAGE_BYTES, DEAD_LETTERS, EVENT_MAX_MESSAGE_BYTES,
                                      EVENTS)


def message(value, key=None, headers=None):
    """What the agent boundary reads of a Faust event."""
    return SimpleNamespace(message=SimpleNamespace(value=value, key=key, headers=headers, topic="gridalert.events",
                                                   partition=2, offset=41))


def original_of(letter: DeadLetter) -> bytes:
    return base64.b64decode(letter.original) if letter.original_encoding == "base64" else letter.original.encode()


def test_an_empty_message_with_an_empty_key_gets_a_dead_letter():
    # Faust refuses "" in a plain str field: this crashed the validate agent, over and over
    letter = DeadLetter.loads(dead_letter_for(message(b"", key=b""), "validate", "empty message").dumps())
    assert (letter.original, letter.key, letter.reason) == ("", "", "empty message")


def test_a_message_without_a_value_gets_a_dead_letter():
    letter = dead_letter_for(message(None), "validate", "empty message")
    assert letter.original == "" and letter.key is None


def test_a_value_that_is_not_utf8_is_kept_in_base64():
    letter = dead_letter_for(message(b"\xff\xfe{"), "validate", "event is not UTF-8 text")
    assert letter.original_encoding == "base64" and original_of(letter) == b"\xff\xfe{"


@settings(max_examples=300, deadline=None)
@given(value=st.none() | st.binary(max_size=300) | st.text(max_size=100).map(str.encode),
       key=st.none() | st.binary(max_size=20),
       headers=st.lists(st.tuples(st.text(max_size=10), st.none() | st.binary(max_size=20)), max_size=3))
def test_any_message_gets_a_dead_letter_that_round_trips_with_its_original(value, key, headers):
    letter = dead_letter_for(message(value, key, headers), "validate", "some reason")
    assert DeadLetter.loads(letter.dumps()) == letter
    assert original_of(letter) == (value or b"")


def test_the_dead_letter_of_the_largest_event_the_events_topic_takes_fits_the_dead_letter_topic():
    # the worst case for JSON: every byte a control character, escaped as \u0001 (six bytes)
    key, headers = b"\x01" * 100, [("ce_x", b"\x01" * 100)]
    value = b"\x01" * (EVENT_MAX_MESSAGE_BYTES - 300)
    letter = dead_letter_for(message(value, key, headers), "validate",
                             f"event is {len(value)} bytes; the limit is {MAX_EVENT_BYTES}")
    size = DefaultRecordBatchBuilder.estimate_size_in_bytes(b"gridalert.events", letter.dumps(), [])
    assert 6 * len(value) < size <= DEAD_LETTER_MAX_MESSAGE_BYTES
    assert create_app(Settings(broker="kafka://127.0.0.1:9"), load_config(SAMPLE_CONFIG_DIR, check_url=lambda url: None)
                      ).conf.producer_max_request_size >= size
    assert CONFIGS[DEAD_LETTERS]["max.message.bytes"] == str(DEAD_LETTER_MAX_MESSAGE_BYTES)
    assert CONFIGS[EVENTS]["max.message.bytes"] == str(EVENT_MAX_MESSAGE_BYTES)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records]


def test_a_flood_of_rejected_input_logs_the_first_at_once_then_one_line_per_interval(caplog):
    clock = Clock()
    dead = DeadLetterLog(interval_s=10, clock=clock, logger=logging.getLogger("test.dead"))
    with caplog.at_level(logging.INFO, logger="test.dead"):
        dead.rejected("validate", "gridalert.events[0]@1", "empty message")
        for offset in range(2, 1001):
            dead.rejected("validate", f"gridalert.events[0]@{offset}", "not valid JSON")
        assert lines(caplog) == ["validate: dead-lettered gridalert.events[0]@1: empty message"]
        clock.now += 10
        dead.rejected("validate", "gridalert.events[1]@7", "unknown event type 'x'")
    assert lines(caplog)[1:] == ["validate: dead-lettered 1000 more messages, the latest gridalert.events[1]@7: "
                                 "unknown event type 'x'"]


def test_the_tail_of_a_flood_is_logged_by_flush_once_the_interval_has_passed(caplog):
    clock = Clock()
    dead = DeadLetterLog(interval_s=10, clock=clock, logger=logging.getLogger("test.dead"))
    with caplog.at_level(logging.INFO, logger="test.dead"):
        for offset in range(3):
            dead.rejected("validate", f"gridalert.events[0]@{offset}", "empty message")
        dead.flush()  # too early: still within the interval
        assert len(lines(caplog)) == 1
        clock.now += 10
        dead.flush()
        dead.flush()  # nothing more pending
    assert lines(caplog)[1:] == ["validate: dead-lettered 2 more messages, the latest gridalert.events[0]@2: empty message"]


def test_each_stage_logs_its_own_first_rejection(caplog):
    dead = DeadLetterLog(interval_s=10, clock=Clock(), logger=logging.getLogger("test.dead"))
    with caplog.at_level(logging.INFO, logger="test.dead"):
        dead.rejected("validate", "gridalert.events[0]@1", "empty message")
        dead.rejected("incident", "gridalert.commands[0]@1", "unknown incident")
    assert len(lines(caplog)) == 2
