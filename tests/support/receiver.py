"""A real HTTP receiver on loopback that records what apprise's json:// channel posts to it.

Plays every person's phone in end-to-end tests: ``pages_for(person_id)`` is what reached them.
It can be told to fail (HTTP 503) for some paths, to test failover and retries; and, as a whole,
to answer every page with an error (``outage("error")``) or to hang without answering
(``outage("hang")``) until ``recover()``. A page that hung is not recorded: the sender gave up on
it, so it never reached the phone.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal, Optional

HANG_AT_MOST_S = 600


class Receiver:
    def __init__(self) -> None:
        self.pages: list[tuple[str, dict]] = []
        self.arrived: list[float] = []  # wall time (time.time()) each page of ``pages`` arrived
        self.failing: set[str] = set()
        self.refused = 0  # pages answered with an error or left hanging during an outage
        self._outage: Optional[str] = None
        self._recovered = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.rstrip("/")
                outage = receiver._outage
                if outage is not None:
                    with receiver._lock:
                        receiver.refused += 1
                    if outage == "hang":
                        receiver._recovered.wait(HANG_AT_MOST_S)
                        self.close_connection = True
                        return  # no answer at all: the sender timed out long ago
                if outage == "error" or path in receiver.failing:
                    self.send_response(503)
                    self.end_headers()
                    return
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = {"raw": body.decode("utf-8", "replace")}
                with receiver._lock:
                    receiver.pages.append((path, payload))
                    receiver.arrived.append(time.time())
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url_for(self, person_id: str) -> str:
        return f"json://127.0.0.1:{self.port}/inbox/{person_id}"

    def pages_for(self, person_id: str) -> list[dict]:
        with self._lock:
            return [p for path, p in self.pages if path == f"/inbox/{person_id}"]

    def arrivals(self, since: int = 0) -> list[tuple[str, float]]:
        """(path, wall time) of every page from the ``since``-th on, in arrival order."""
        with self._lock:
            return list(zip((path for path, _ in self.pages[since:]), self.arrived[since:]))

    def outage(self, kind: Literal["error", "hang"]) -> None:
        """Every page from now on fails: HTTP 503 (``error``) or no answer at all (``hang``)."""
        self._recovered.clear()
        self._outage = kind

    def recover(self) -> None:
        self._outage = None
        self._recovered.set()

    def __enter__(self) -> "Receiver":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.recover()
        self.server.shutdown()
        self.server.server_close()
