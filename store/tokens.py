"""API tokens: created once and shown once, kept as a SHA-256 of their secret, revocable.

A token reads ``gat_<id>_<secret>``: ``id`` finds the row, the secret is compared in constant time
with the stored hash. Data functions take the caller's session and never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridalert.store.models import ApiToken

PREFIX = "gat"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(*, session: Session, person_id: Optional[str] = None, viewer_area: Optional[str] = None,
                 viewer_kind: Optional[str] = None, label: str = "") -> tuple[ApiToken, str]:
    """A new token for a person, or a read-only one for an area; returns the row and the token text."""
    if (person_id is None) == (viewer_area is None):
        raise ValueError("a token is either a person's or a viewer's of one area")
    token_id, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    row = ApiToken(id=token_id, secret_sha256=_digest(secret), person_id=person_id, viewer_area=viewer_area,
                   viewer_kind=viewer_kind, label=label, created_at=datetime.now(timezone.utc), revoked_at=None)
    session.add(row)
    return row, f"{PREFIX}_{token_id}_{secret}"


def find_token(text: str, *, session: Session) -> Optional[ApiToken]:
    """The live token ``text`` names, or None (unknown, wrong secret, revoked, malformed)."""
    parts = text.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    row = session.get(ApiToken, parts[1])
    if row is None or row.revoked_at is not None:
        return None
    return row if hmac.compare_digest(row.secret_sha256, _digest(parts[2])) else None


def revoke_token(token_id: str, *, session: Session) -> Optional[ApiToken]:
    row = session.get(ApiToken, token_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = datetime.now(timezone.utc)
    return row


def list_tokens(*, session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at)))
