"""JSON log lines: one object per line, with the incident and event a line is about."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest

from gridalert.logs import JsonFormatter, about, logging_config


@pytest.fixture
def lines():
    """A logger whose lines are formatted as in a JSON log; yields (logger, parsed lines)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("gridalert.test-logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_a_line_has_time_level_logger_and_message(lines):
    logger, read = lines
    logger.warning("could not page %s on any channel", "gh-1")
    [line] = read()
    assert line["level"] == "warning" and line["logger"] == "gridalert.test-logs"
    assert line["message"] == "could not page gh-1 on any channel"
    assert line["time"].endswith("+00:00") and "T" in line["time"]
    assert "incident_id" not in line and "event_id" not in line


def test_ids_given_with_the_call_are_fields(lines):
    logger, read = lines
    logger.info("paged", extra={"incident_id": "INC-7"})
    assert read()[0]["incident_id"] == "INC-7"


def test_every_line_inside_about_names_the_ids_and_none_after(lines):
    logger, read = lines
    with about(incident_id="INC-1", event_id="ev-1"):
        logger.info("inside")
    logger.info("after")
    inside, after = read()
    assert (inside["incident_id"], inside["event_id"]) == ("INC-1", "ev-1")
    assert "incident_id" not in after


def test_a_task_started_inside_about_carries_its_ids(lines):
    logger, read = lines

    async def page():
        logger.info("from a task the message's handler started")

    async def handle():
        with about(event_id="ev-2"):
            await asyncio.create_task(page())

    asyncio.run(handle())
    assert read()[0]["event_id"] == "ev-2"


def test_place_names_stay_readable_and_a_traceback_is_one_field(lines):
    logger, read = lines
    try:
        raise ValueError("坏了")
    except ValueError:
        logger.exception("金融城社区 failed")
    [line] = read()
    assert line["message"] == "金融城社区 failed"
    assert "ValueError: 坏了" in line["exc"] and "\n" not in json.dumps(line, ensure_ascii=False)


def test_text_keeps_the_process_own_format_and_json_configures_stdout():
    assert logging_config("text", "info") is None
    config = logging_config("json", "info")
    assert config["root"]["level"] == "INFO" and config["handlers"]["default"]["stream"] == "ext://sys.stdout"
