"""Signed accept links: what a token claims, and every way a token is refused."""

from __future__ import annotations

import base64
import os
import stat
from datetime import datetime, timedelta, timezone

import pytest

from gridalert.config.secret import SECRET_FILE, link_secret
from gridalert.config.settings import Settings
from gridalert.notifiers.links import Claims, LinkMaker, Refused, sign, verify

SECRET = b"s3cret-for-tests"
NOW = datetime(2026, 11, 22, 18, 15, tzinfo=timezone.utc)
CLAIMS = Claims(incident_id="INC-20261122-17030577a7", step=2, person_id="gh-GSH-JHY-01-03",
                expires=int((NOW + timedelta(minutes=35)).timestamp()))


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_signed_token_verifies_to_its_claims():
    assert verify(sign(CLAIMS, SECRET), NOW, SECRET) == CLAIMS


def test_a_department_travels_in_the_token():
    claims = Claims(incident_id="I-1", step=4, person_id="fire-1", expires=CLAIMS.expires, department="fire")
    assert verify(sign(claims, SECRET), NOW, SECRET) == claims


def test_a_token_is_url_safe_and_short_enough_for_sms():
    token = sign(CLAIMS, SECRET)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert len(token) < 110


def test_signing_is_deterministic():
    assert sign(CLAIMS, SECRET) == sign(CLAIMS, SECRET)


def tampered(token: str, **changes) -> str:
    """The token with its payload changed and the original signature kept."""
    encoded, tag = token.split(".")
    fields = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode().split("\n")
    names = ["version", "incident_id", "step", "person_id", "department", "expires"]
    for name, value in changes.items():
        fields[names.index(name)] = str(value)
    return f"{b64(chr(10).join(fields).encode())}.{tag}"


@pytest.mark.parametrize("change", [
    {"person_id": "dd-GSH"},                         # someone else accepting
    {"incident_id": "INC-20261122-0000000000"},      # another incident
    {"step": 3},
    {"department": "fire"},
    {"expires": CLAIMS.expires + 86400},             # a longer life
])
def test_a_changed_payload_is_refused_as_forged(change):
    refused = verify(tampered(sign(CLAIMS, SECRET), **change), NOW, SECRET)
    assert isinstance(refused, Refused) and refused.code == "forged"


def test_a_token_signed_with_another_secret_is_refused_as_forged():
    refused = verify(sign(CLAIMS, b"another secret"), NOW, SECRET)
    assert isinstance(refused, Refused) and refused.code == "forged"


def test_a_token_past_its_expiry_is_refused_and_says_when_it_expired():
    token = sign(CLAIMS, SECRET)
    assert verify(token, NOW + timedelta(minutes=34, seconds=59), SECRET) == CLAIMS
    refused = verify(token, NOW + timedelta(minutes=35), SECRET)
    assert isinstance(refused, Refused) and refused.code == "expired" and "2026-11-22 18:50 UTC" in refused.reason


@pytest.mark.parametrize("cut", [1, 5, 20, -1, -5])
def test_a_truncated_token_is_refused(cut):
    token = sign(CLAIMS, SECRET)
    short = token[:cut] if cut > 0 else token[:cut]
    assert isinstance(verify(short, NOW, SECRET), Refused)


@pytest.mark.parametrize("token", ["", ".", "abc", "a.b.c", "!!!.???", "payload.", ".tag"])
def test_garbage_is_refused_as_malformed_or_forged(token):
    refused = verify(token, NOW, SECRET)
    assert isinstance(refused, Refused) and refused.code in ("malformed", "forged")


def test_a_signed_payload_of_another_version_is_refused():
    encoded = b64("2\nI-1\n1\ngh-1\n\n9999999999".encode())
    from gridalert.notifiers.links import _tag
    refused = verify(f"{encoded}.{b64(_tag(SECRET, base64.urlsafe_b64decode(encoded + '=' * (-len(encoded) % 4))))}",
                     NOW, SECRET)
    assert isinstance(refused, Refused) and refused.code == "malformed"


def test_ids_on_more_than_one_line_are_not_signed():
    with pytest.raises(ValueError):
        sign(Claims(incident_id="I-1\nI-2", step=1, person_id="gh-1", expires=0), SECRET)


def test_a_link_expires_the_margin_after_the_steps_deadline():
    maker = LinkMaker(SECRET, "https://ga.example.cn/", timedelta(minutes=30))
    url = maker.url(incident_id="I-1", step=2, person_id="gh-1", accept_by=NOW + timedelta(minutes=5))
    assert url.startswith("https://ga.example.cn/a/")
    claims = verify(url.rsplit("/", 1)[1], NOW, SECRET)
    assert claims == Claims(incident_id="I-1", step=2, person_id="gh-1",
                            expires=int((NOW + timedelta(minutes=35)).timestamp()))


def test_the_secret_comes_from_the_environment_when_set(tmp_path):
    settings = Settings(data_dir=tmp_path, link_secret="from-env")
    assert link_secret(settings) == b"from-env" and not (tmp_path / SECRET_FILE).exists()
    assert "from-env" not in repr(settings)


def test_without_one_a_secret_is_made_once_kept_0600_and_reused(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", link_secret=None)
    first = link_secret(settings)
    path = tmp_path / "data" / SECRET_FILE
    assert len(first) >= 32 and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert link_secret(settings) == first
