"""Wait on a condition with a deadline (never sleep-and-hope)."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], *, timeout_s: float = 30.0, what: str = "condition",
               poll_s: float = 0.1) -> T:
    """Return the first truthy value of ``condition()``; fail naming ``what`` after the deadline."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(poll_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what} (last value: {last!r})")
