"""notifiers: getting a page to a person (派单 reaches a phone), and the demo inbox that plays the phone.

Owns:
- ``channel``: the ``Channel`` interface, ``SendResult`` (ok / retryable / secret-free error) and
  ``AppriseChannel``, one apprise URL per channel; ``channel_name`` gives URLs stable, secret-free names.
- ``delivery``: the retry policy (``deliver``: exponential backoff, full jitter, retryable failures
  only) and failover across one person's channels (``page_person``).
- ``schedule``: the pure core of per-person notification rules (which channel when, failover,
  the deputy, what stops them) and the sent-log keys; the notify agent keeps its answers durable.
- ``inbox``: the local aiohttp app that receives apprise ``json://`` pages in demos and tests.

Must not: touch Kafka or Faust, hold incident state, or remember what was sent. The notify agent
owns the durable sent-log and plans and pages people concurrently; this package answers "did it
get through, is it worth trying again, and what is due next?".
"""

from typing import Any

from gridalert.notifiers.channel import AppriseChannel, Channel, SendResult, channel_name
from gridalert.notifiers.delivery import deliver, page_person

__all__ = [
    "AppriseChannel",
    "Channel",
    "SendResult",
    "channel_name",
    "deliver",
    "make_inbox_app",
    "page_person",
    "start_inbox",
]


def __getattr__(name: str) -> Any:
    # The inbox is imported on first use, not here: ``python -m gridalert.notifiers.inbox`` would
    # otherwise find its module already imported by this package and runpy would warn.
    if name in ("make_inbox_app", "start_inbox"):
        from gridalert.notifiers import inbox

        return getattr(inbox, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
