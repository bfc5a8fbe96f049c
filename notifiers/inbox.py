"""The demo inbox: a local web app that plays every person's phone.

apprise's ``json://host:port/inbox/<person_id>`` channel POSTs
``{"version": "1.0", "title": …, "message": …, "attachments": [], "type": "info"}`` to
``/inbox/<person_id>``; the inbox keeps each page in memory with the time it arrived and shows them:

- ``GET /``                    HTML, newest first, grouped by person (refreshes every 5 s)
- ``GET /api/pages``           JSON list of every page, in arrival order
- ``GET /api/pages/<person>``  the same for one person
- ``GET /health``              ``{"status": "ok", "pages": n}``

Run it alone with ``python -m gridalert.notifiers.inbox --port 8025``. It is a demo and test aid:
no authentication, memory only (the oldest pages are dropped past ``max_pages``), never a
production receiver.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import html
import itertools
import json
import signal
from collections import deque
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

_dumps = functools.partial(json.dumps, ensure_ascii=False)


@dataclass(frozen=True)
class Page:
    seq: int
    person_id: str
    received_at: str  # ISO 8601, UTC
    title: str
    message: str
    type: str


class Inbox:
    """Every page received, in arrival order."""

    def __init__(self, max_pages: int = 10_000) -> None:
        self._pages: deque[Page] = deque(maxlen=max_pages)
        self._seq = itertools.count(1)

    def record(self, person_id: str, title: str, message: str, type_: str) -> Page:
        page = Page(seq=next(self._seq), person_id=person_id,
                    received_at=datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                    title=title, message=message, type=type_)
        self._pages.append(page)
        return page

    def pages(self, person_id: str | None = None) -> list[Page]:
        return [p for p in self._pages if person_id is None or p.person_id == person_id]

    def __len__(self) -> int:
        return len(self._pages)


INBOX = web.AppKey("inbox", Inbox)


def _bad_request(problem: str) -> web.Response:
    return web.json_response({"error": problem}, status=400, dumps=_dumps)


async def receive(request: web.Request) -> web.Response:
    person_id = request.match_info["person_id"]
    raw = await request.read()
    try:
        payload: Any = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as e:
        return _bad_request(f"the body is not JSON ({e}); send apprise's json:// payload "
                            '{"title": "...", "message": "..."}')
    if not isinstance(payload, dict):
        return _bad_request(f"the body is JSON but not an object (got {type(payload).__name__})")
    fields = {key: payload.get(key, "") for key in ("title", "message", "type")}
    wrong = [key for key, value in fields.items() if not isinstance(value, str)]
    if wrong:
        return _bad_request(f"these fields must be strings: {', '.join(wrong)}")
    page = request.app[INBOX].record(person_id, fields["title"], fields["message"], fields["type"])
    return web.json_response({"ok": True, "seq": page.seq}, dumps=_dumps)


async def all_pages(request: web.Request) -> web.Response:
    return web.json_response([asdict(p) for p in request.app[INBOX].pages()], dumps=_dumps)


async def person_pages(request: web.Request) -> web.Response:
    pages = request.app[INBOX].pages(request.match_info["person_id"])
    return web.json_response([asdict(p) for p in pages], dumps=_dumps)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "pages": len(request.app[INBOX])})


_STYLE = """
body { font-family: system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif;
       margin: 2em; max-width: 60em; color: #222; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
.page { margin: .6em 0 1em; } .title { font-weight: 600; }
.meta { color: #777; font-size: .85em; } .message { white-space: pre-wrap; margin-top: .2em; }
"""


def render(inbox: Inbox) -> str:
    """The HTML page: people with the most recent page first, each person's pages newest first."""
    by_person: dict[str, list[Page]] = {}
    for page in reversed(inbox.pages()):
        by_person.setdefault(page.person_id, []).append(page)
    e = html.escape
    parts = ['<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">',
             '<meta http-equiv="refresh" content="5">',
             f"<title>gridalert inbox</title><style>{_STYLE}</style></head><body>",
             f"<h1>gridalert inbox</h1><p class=meta>{len(inbox)} page(s); refreshes every 5 s</p>"]
    if not by_person:
        parts.append("<p>No pages yet.</p>")
    for person_id, pages in by_person.items():
        parts.append(f'<h2 id="{e(person_id)}">{e(person_id)} <span class=meta>({len(pages)})</span></h2>')
        for p in pages:
            parts.append(f'<div class=page><div class=title>{e(p.title) or "(no title)"}</div>'
                         f'<div class=meta>#{p.seq} · {e(p.received_at)} · {e(p.type)}</div>'
                         f'<div class=message>{e(p.message)}</div></div>')
    parts.append("</body></html>")
    return "".join(parts)


async def index(request: web.Request) -> web.Response:
    return web.Response(text=render(request.app[INBOX]), content_type="text/html", charset="utf-8")


def make_inbox_app(max_pages: int = 10_000) -> web.Application:
    app = web.Application()
    app[INBOX] = Inbox(max_pages)
    app.router.add_post("/inbox/{person_id}", receive)
    app.router.add_get("/", index)
    app.router.add_get("/api/pages", all_pages)
    app.router.add_get("/api/pages/{person_id}", person_pages)
    app.router.add_get("/health", health)
    return app


async def start_inbox(host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, int]:
    """Serve a new inbox on ``host:port`` (0 = any free port); return its runner and the bound port.

    Stop it with ``await runner.cleanup()``.
    """
    runner = web.AppRunner(make_inbox_app(), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound_port = runner.addresses[0][1]
    except BaseException:
        await runner.cleanup()
        raise
    return runner, bound_port


async def _serve(host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # SIGTERM is how ``gridalert run`` stops its children; both end in a clean shutdown.
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows' loop
            loop.add_signal_handler(signum, stop.set)
    runner, bound = await start_inbox(host, port)
    print(f"gridalert inbox on http://{host}:{bound}/ (Ctrl-C to stop)", flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
    print("gridalert inbox stopped", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gridalert.notifiers.inbox",
                                     description="gridalert's demo inbox: shows every page sent to json://HOST:PORT/inbox/<person>")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8025, help="port to listen on; 0 picks a free one (default 8025)")
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve(args.host, args.port))
    except KeyboardInterrupt:
        pass  # Ctrl-C before the signal handlers were in place: still a normal stop
    except OSError as e:  # typically the port is taken
        raise SystemExit(f"gridalert inbox: cannot listen on {args.host}:{args.port}: {e.strerror or e}")


if __name__ == "__main__":
    main()
