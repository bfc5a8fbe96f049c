"""A real SMTP server on loopback (aiosmtpd) that keeps every mail it receives, per recipient.

Plays a mail box in end-to-end tests: apprise's ``mailto://127.0.0.1:<port>?mode=insecure&…``
channel (plain SMTP, no TLS, no login) delivers to it over TCP like to any mail server.
"""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def _free_port() -> int:
    # aiosmtpd's controller checks its own socket by connecting to the port it was given, so it
    # needs a real port number, not 0.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    def __init__(self) -> None:
        self.mails: list[tuple[list[str], EmailMessage]] = []
        self._lock = threading.Lock()
        self.port = _free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        mail = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._lock:
            self.mails.append((list(envelope.rcpt_tos), mail))
        return "250 OK"

    def url_for(self, address: str) -> str:
        """An apprise URL that mails ``address`` through this server: plain SMTP, no login."""
        return f"mailto://127.0.0.1:{self.port}?mode=insecure&from=gridalert@example.org&to={address}"

    def mails_to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [mail for to, mail in self.mails if address in to]

    def __enter__(self) -> "Mailbox":
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()
