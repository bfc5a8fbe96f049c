"""API tokens: shown once, stored hashed, refused when altered or revoked."""

from __future__ import annotations

import pytest

from gridalert.store import ApiToken
from gridalert.store.tokens import create_token, find_token, list_tokens, revoke_token




def test_a_token_is_found_by_its_text_and_only_its_hash_is_stored(sessions):
    with sessions.begin() as session:
        row, text = create_token(session=session, person_id="gh-1", label="郭刚's phone")
    with sessions() as session:
        assert find_token(text, session=session).person_id == "gh-1"
        stored = session.get(ApiToken, row.id)
        assert text.split("_", 2)[2] not in stored.secret_sha256 and len(stored.secret_sha256) == 64


@pytest.mark.parametrize("damage", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # another secret
    lambda t: t.replace("gat_", "xyz_"),
    lambda t: t.rsplit("_", 1)[0],
    lambda t: "",
])
def test_an_altered_token_is_refused(sessions, damage):
    with sessions.begin() as session:
        _, text = create_token(session=session, viewer_area="金华园街道", viewer_kind="township")
    with sessions() as session:
        assert find_token(damage(text), session=session) is None


def test_a_revoked_token_is_refused_and_stays_listed(sessions):
    with sessions.begin() as session:
        row, text = create_token(session=session, person_id="dd-1")
    with sessions.begin() as session:
        assert revoke_token(row.id, session=session).revoked_at is not None
    with sessions() as session:
        assert find_token(text, session=session) is None
        assert [t.id for t in list_tokens(session=session)] == [row.id]


def test_a_token_is_a_persons_or_a_viewers_never_both():
    with pytest.raises(ValueError):
        create_token(session=None, person_id="dd-1", viewer_area="观山湖区")


def test_the_token_commands_create_list_and_revoke(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "GRIDALERT_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}"}
    run = lambda *args: subprocess.run([sys.executable, "-m", "gridalert", "token", *args], env=env,  # noqa: E731
                                       capture_output=True, text=True, timeout=60)
    made = run("create", "--person", "td-JHY", "--label", "duty desk")
    assert made.returncode == 0, made.stderr
    assert "covers township 金华园街道" in made.stdout
    token_id = made.stdout.split()[1]
    assert f"gat_{token_id}_" in made.stdout
    assert token_id in run("list").stdout and "live" in run("list").stdout
    assert run("revoke", token_id).returncode == 0
    assert "revoked" in run("list").stdout
    nobody = run("create", "--person", "ghost")
    assert nobody.returncode == 2 and "'ghost' is not on the roster" in nobody.stderr
    assert run("create", "--viewer", "朱昌镇").returncode == 0
