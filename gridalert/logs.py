"""Log lines as text (the default, for people) or as one JSON object per line (for a log collector).

``GRIDALERT_LOG_FORMAT=json`` turns the second on for the worker and the web app. A JSON line
carries ``time``, ``level``, ``logger`` and ``message``, the traceback as ``exc`` when there is
one, and ``incident_id`` / ``event_id`` when the log call is about one: given as
``extra={"incident_id": ...}``, or set for a whole block with ``about(...)`` (the agent boundary
does this for every message it handles, so any line logged while handling it names it).

Must not: decide what is logged, or print anything itself.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import logging.config
import sys
from datetime import datetime, timezone
from typing import Iterator, Optional

IDS = ("incident_id", "event_id")
FORMATS = ("text", "json")

_about: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("gridalert_log_ids", default={})


@contextlib.contextmanager
def about(**ids: Optional[str]) -> Iterator[None]:
    """Every line logged inside the block, in this task and the tasks it starts, names these ids."""
    token = _about.set({**_about.get(), **{k: v for k, v in ids.items() if v}})
    try:
        yield
    finally:
        _about.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; non-ASCII text (place names) kept as it is."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        for name, value in _about.get().items():
            line[name] = value
        for name in IDS:
            value = getattr(record, name, None)
            if value:
                line[name] = str(value)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.stack_info:
            line["exc"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(fmt: str, level: str) -> Optional[dict]:
    """A ``logging.config.dictConfig`` for the format: None keeps the process's own text format
    (Faust's, for the worker); ``json`` sends JSON lines to stdout."""
    if fmt != "json":
        return None
    return {"version": 1, "disable_existing_loggers": False,
            "formatters": {"json": {"()": JsonFormatter}},
            "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "json",
                                     "stream": "ext://sys.stdout"}},
            "root": {"level": level.upper(), "handlers": ["default"]}}


def configure(fmt: str, level: str) -> None:
    """Set up logging for a process that is not a Faust worker (the web app)."""
    config = logging_config(fmt, level)
    if config is None:
        logging.basicConfig(level=level.upper(), stream=sys.stderr,
                            format="[%(asctime)s] [%(levelname)s] %(name)s: %(message)s")
    else:
        logging.config.dictConfig(config)

