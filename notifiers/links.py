"""Signed one-click accept links (一键接单): ``<public URL>/a/<token>``.

A token says "person P may accept step S of incident I (for department D) until E", signed
with HMAC-SHA256 over a secret only gridalert's processes know. It is a capability: whoever holds
the link can accept as P, so it expires (the step's accept deadline plus a margin) and names
one person, one step and one incident.

Format (URL-safe base64 without padding, two parts joined by ``.``)::

    payload = "1\\n<incident id>\\n<step>\\n<person id>\\n<department or empty>\\n<expiry, unix seconds>"
    token   = b64(payload) + "." + b64(HMAC-SHA256(secret, b"gridalert-accept\\n" + payload)[:16])

The version ``1`` lets a later format coexist; a 128-bit tag keeps links short for SMS.
Pure: ``sign`` and ``verify`` take the secret and the time as arguments.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional, Union

VERSION = "1"
TAG_BYTES = 16
_CONTEXT = b"gridalert-accept\n"


@dataclass(frozen=True)
class Claims:
    incident_id: str
    step: int
    person_id: str
    expires: int  # unix seconds
    department: Optional[str] = None


@dataclass(frozen=True)
class Refused:
    """Why a token is not honoured; ``reason`` is shown to the person who clicked."""

    code: str  # malformed | forged | expired
    reason: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tag(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, _CONTEXT + payload, hashlib.sha256).digest()[:TAG_BYTES]


def sign(claims: Claims, secret: bytes) -> str:
    fields = [claims.incident_id, claims.person_id, claims.department or ""]
    if any("\n" in f for f in fields) or not claims.incident_id or not claims.person_id:
        raise ValueError("incident and person ids must be non-empty and on one line")
    if not secret:
        raise ValueError("an empty secret signs nothing")
    payload = "\n".join([VERSION, claims.incident_id, str(claims.step), claims.person_id,
                         claims.department or "", str(int(claims.expires))]).encode()
    return f"{_b64(payload)}.{_b64(_tag(secret, payload))}"


def verify(token: str, now: datetime, secret: bytes) -> Union[Claims, Refused]:
    """The token's claims, or why not: malformed, forged (signature wrong) or expired."""
    malformed = Refused("malformed", "this link is incomplete or damaged; open it again from the page you received")
    try:
        encoded, tag = token.split(".")
        payload, given = _unb64(encoded), _unb64(tag)
    except (ValueError, binascii.Error):
        return malformed
    if not hmac.compare_digest(_tag(secret, payload), given):
        return Refused("forged", "this link was not issued by gridalert, or it was altered")
    try:
        version, incident_id, step, person_id, department, expires = payload.decode().split("\n")
        claims = Claims(incident_id=incident_id, step=int(step), person_id=person_id, expires=int(expires),
                        department=department or None)
    except ValueError:
        return malformed
    if version != VERSION:
        return malformed
    if now.timestamp() >= claims.expires:
        return Refused("expired", f"this link expired at {datetime.fromtimestamp(claims.expires, timezone.utc):%Y-%m-%d %H:%M} UTC; "
                                  "use `gridalert command accept` or ask the duty officer")
    return claims


@dataclass(frozen=True)
class LinkMaker:
    """Accept links for one deployment: its secret, public URL and expiry margin."""

    secret: bytes
    public_url: str
    margin: timedelta

    def url(self, *, incident_id: str, step: int, person_id: str, accept_by: datetime,
            department: Optional[str] = None) -> str:
        claims = Claims(incident_id=incident_id, step=step, person_id=person_id, department=department,
                        expires=int((accept_by + self.margin).timestamp()))
        return f"{self.public_url.rstrip('/')}/a/{sign(claims, self.secret)}"
