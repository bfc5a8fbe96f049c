"""The accept links' signing secret: ``GRIDALERT_LINK_SECRET``, else one kept in the data directory.

Every process that signs (workers) or verifies (the web app) must hold the same secret. In
production set ``GRIDALERT_LINK_SECRET`` on all of them. For the demo and a single machine, the
first process to need it writes a random one to ``<data dir>/link-secret`` (mode 0600, created
exclusively, so two processes starting together still agree) and later ones read it.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from gridalert.config.settings import Settings

SECRET_FILE = "link-secret"


def link_secret(settings: Settings) -> bytes:
    if settings.link_secret is not None and settings.link_secret.get_secret_value():
        return settings.link_secret.get_secret_value().encode()
    path = Path(settings.data_dir).resolve() / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(32))
    return _read(path)


def _read(path: Path) -> bytes:
    # a process that lost the race may read before the winner has written: wait for the content
    for _ in range(50):
        text = path.read_text().strip()
        if text:
            return text.encode()
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty: delete it, or set GRIDALERT_LINK_SECRET")
