"""A real HTTP receiver on loopback that records what apprise's json:// channel posts to it.

Plays every person's phone in end-to-end tests: ``pages_for(person_id)`` is what reached them.
It can be told to fail (HTTP 503) for some paths, to test failover and retries.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self) -> None:
        self.pages: list[tuple[str, dict]] = []
        self.failing: set[str] = set()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.rstrip("/")
                if path in receiver.failing:
                    self.send_response(503)
                    self.end_headers()
                    return
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = {"raw": body.decode("utf-8", "replace")}
                with receiver._lock:
                    receiver.pages.append((path, payload))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url_for(self, person_id: str) -> str:
        return f"json://127.0.0.1:{self.port}/inbox/{person_id}"

    def pages_for(self, person_id: str) -> list[dict]:
        with self._lock:
            return [p for path, p in self.pages if path == f"/inbox/{person_id}"]

    def __enter__(self) -> "Receiver":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
