"""The accept web app (一键接单): where the link in a page leads.

- ``GET  /a/<token>``  a small confirmation page (zh + en) with one button. Opening the link
  accepts nothing: chat apps and SMS filters fetch links to show previews, and a preview must
  not accept on the person's behalf.
- ``POST /a/<token>``  verifies the token (``notifiers/links.py``), then gives exactly the
  command ``gridalert command accept <incident> --by <person> [--department D]`` gives
  (``gridalert.commanding``) and waits for its outcome in the projection: accepted, already
  accepted, or the incident stage's reason for refusing.
- ``GET  /healthz``, ``GET /health``  ``{"status": "ok"}`` (liveness).
- ``GET  /ready``      200 when the database answers, else 503 with the reason.
- ``GET  /metrics``    Prometheus text: requests by route and status, commands produced or failed.
- ``/api/…``, ``/open311/v2/…``  the command centre's API (``gridalert.api``, ``gridalert.open311``).
- ``/``, ``/static/…``  the duty officer's dashboard page (``gridalert.dashboard``).

A forged, altered or expired token gets a 403 page and produces nothing. The app holds no
state: it produces to ``gridalert.commands`` and reads the SQL projection, like the CLI.
Run by ``gridalert run``/``demo`` as a child process, or alone: ``gridalert web``.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import signal
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Optional

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from gridalert import metrics
from gridalert.commanding import NoSuchIncident, incident_command, wait_for_outcome
from gridalert.config.secret import link_secret
from gridalert.config.settings import Settings
from gridalert.notifiers.links import Claims, Refused, verify
from gridalert.streams.records import Command

log = logging.getLogger("gridalert.web")


@dataclass
class Context:
    secret: bytes
    sessions: object  # sqlalchemy sessionmaker
    send: Callable[[Command], None]
    wait_s: float = 15.0
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)


CONTEXT = web.AppKey("context", Context)

_STYLE = """body { font-family: system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif;
 margin: 1.5em auto; max-width: 32em; padding: 0 1em; color: #222; font-size: 1.1em; line-height: 1.5 }
.en { color: #555; } button { font-size: 1.3em; padding: .6em 2.2em; margin-top: 1em; }
.ok { color: #176b2c } .no { color: #a61b1b } code { font-size: .9em }"""


def _page(title_zh: str, title_en: str, lines: list[str], *, status: int = 200, form: bool = False) -> web.Response:
    e = html.escape
    parts = ['<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             '<meta name="robots" content="noindex">',
             f"<title>{e(title_zh)} {e(title_en)}</title><style>{_STYLE}</style></head><body>",
             f'<h1 class="{"ok" if status < 300 else "no"}">{e(title_zh)}<br><span class=en>{e(title_en)}</span></h1>']
    parts += [f"<p>{line}</p>" for line in lines]
    if form:
        parts.append('<form method="post"><button type="submit">确认接单 Accept</button></form>')
    parts.append("</body></html>")
    return web.Response(text="".join(parts), status=status, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def _refused_page(refused: Refused) -> web.Response:
    return _page("链接无效", "This link cannot be used", [html.escape(refused.reason)], status=403)


def _what(claims: Claims) -> str:
    e = html.escape
    dept = f"，部门 department <b>{e(claims.department)}</b>" if claims.department else ""
    return f"事件 Incident <code>{e(claims.incident_id)}</code>{dept}，接单人 accepted by <b>{e(claims.person_id)}</b>"


def _claims(request: web.Request) -> Claims | Refused:
    context = request.app[CONTEXT]
    return verify(request.match_info["token"], context.now(), context.secret)


async def confirm(request: web.Request) -> web.Response:
    claims = _claims(request)
    if isinstance(claims, Refused):
        return _refused_page(claims)
    return _page("确认接单？", "Accept this incident?",
                 [_what(claims), "点击下方按钮接单。Press the button to accept."], form=True)


def outcome_words(outcome, claims: Claims) -> tuple[int, str, str, str]:
    """(HTTP status, zh heading, en heading, detail) for the step an accept command produced."""
    if outcome is None:
        return 202, "已发送，尚未确认", "Sent; no outcome yet", \
            "接单指令已发出，结果稍后可在系统中查看。The command was sent; its outcome is not recorded yet."
    if outcome.kind in ("accepted", "dept_accepted"):
        return 200, "已接单", "Accepted", outcome.detail
    already = ("has accepted already" in outcome.detail if claims.department
               else outcome.status in ("accepted", "on_scene"))
    if already:
        who = f" ({outcome.assignee})" if outcome.assignee and not claims.department else ""
        return 200, "已接单（此前已接）", "Already accepted", f"already accepted{who}; nothing changed"
    return 409, "未能接单", "Not accepted", outcome.detail.removeprefix("accept refused: ")


async def accept(request: web.Request) -> web.Response:
    claims = _claims(request)
    if isinstance(claims, Refused):
        log.warning("refused an accept link: %s", claims.code)
        return _refused_page(claims)
    context = request.app[CONTEXT]
    try:
        command = await asyncio.to_thread(incident_command, "accept", claims.person_id, claims.incident_id,
                                          sessions=context.sessions, department=claims.department)
        await asyncio.to_thread(context.send, command)
    except NoSuchIncident:
        return _page("找不到事件", "No such incident", [_what(claims)], status=404)
    except Exception as exc:  # broker or database down: say so, the person can retry or call
        log.exception("could not give the accept command", extra={"incident_id": claims.incident_id})
        return _page("暂时无法接单", "Cannot accept right now",
                     [f"请稍后重试或电话联系值班员。Try again, or phone the duty officer. ({html.escape(type(exc).__name__)})"],
                     status=503)
    outcome = await asyncio.to_thread(wait_for_outcome, context.sessions, command.id, timeout_s=context.wait_s)
    status, zh, en, detail = outcome_words(outcome, claims)
    return _page(zh, en, [_what(claims), html.escape(detail)], status=status)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _ping(sessions) -> None:
    with sessions() as session:
        session.execute(text("SELECT 1"))


async def ready(request: web.Request) -> web.Response:
    """Ready when the database answers: every page but the accept form reads it."""
    try:
        await asyncio.wait_for(asyncio.to_thread(_ping, request.app[CONTEXT].sessions), timeout=5)
    except asyncio.TimeoutError:
        return web.json_response({"ready": False, "reason": "the database did not answer within 5 s"}, status=503)
    except Exception as exc:  # noqa: BLE001 - DatabaseUnavailable says where and why, password hidden
        return web.json_response({"ready": False, "reason": str(exc).splitlines()[0] if str(exc) else
                                  type(exc).__name__}, status=503)
    return web.json_response({"ready": True})


async def scrape(request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(metrics.WEB), headers={"Content-Type": CONTENT_TYPE_LATEST})


def route_of(request: web.Request) -> str:
    """The route's pattern (``/api/incidents/{incident_id}``), never the path: ids would make a
    series each."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def measure(request: web.Request, handler) -> web.StreamResponse:
    started, status = time.perf_counter(), 499  # 499: the client went away before the answer
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    except Exception:
        status = 500
        raise
    finally:
        route = route_of(request)
        metrics.HTTP_REQUESTS.labels(route, request.method, str(status)).inc()
        metrics.HTTP_SECONDS.labels(route).observe(time.perf_counter() - started)


def counted(send: Callable[[Command], None]) -> Callable[[Command], None]:
    """``send``, counting each command produced, or not because the broker did not take it."""
    def send_counted(command: Command) -> None:
        try:
            send(command)
        except Exception:
            metrics.COMMANDS.labels(command.action, "failed").inc()
            raise
        metrics.COMMANDS.labels(command.action, "sent").inc()
    return send_counted


def make_web_app(context: Context, *, settings: Optional[Settings] = None, district=None) -> web.Application:
    """The accept links; with the district's configuration also the API (``/api``) and Open311."""
    app = web.Application(middlewares=[measure])
    app[CONTEXT] = context
    app.router.add_get("/a/{token}", confirm)
    app.router.add_post("/a/{token}", accept)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/health", healthz)
    app.router.add_get("/ready", ready)
    app.router.add_get("/metrics", scrape)
    if district is not None and settings is not None:
        from gridalert.api import API, make_api
        from gridalert.open311 import make_open311

        api = make_api(settings, district, context.sessions, send=context.send)
        app.add_subapp("/api", api)
        app.add_subapp("/open311/v2", make_open311(api[API]))
        from gridalert.dashboard import add_dashboard

        add_dashboard(app)
    return app


def context_for(settings: Settings) -> Context:
    from gridalert.store import make_engine, make_sessionmaker
    from gridalert.streams.commands import send_command

    if settings.broker is None:
        raise ValueError("the web app needs GRIDALERT_BROKER=kafka://host:port")
    bootstrap = settings.bootstrap_servers
    return Context(secret=link_secret(settings),
                   sessions=make_sessionmaker(make_engine(settings.effective_database_url)),
                   send=counted(lambda command: send_command(bootstrap, command)))


async def serve(settings: Settings, host: str, port: int, *,
                say: Callable[[str], None] = lambda m: print(m, flush=True)) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # SIGTERM is how ``gridalert run`` stops its children
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    from gridalert.config.loader import load_config

    district = load_config(settings.config_dir)  # the runner checked it; a bad file stops `gridalert web` alone
    runner = web.AppRunner(make_web_app(context_for(settings), settings=settings, district=district), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        say(f"gridalert web on http://{host}:{runner.addresses[0][1]}/ (links: {settings.effective_public_url}/a/…)")
        await stop.wait()
    finally:
        await runner.cleanup()
    say("gridalert web stopped")


def run_web(settings: Settings, host: str, port: Optional[int] = None) -> None:
    from gridalert.logs import configure

    configure(settings.log_format, settings.log_level)

    def say(message: str) -> None:  # a JSON log keeps even "listening on" a JSON line
        if settings.log_format == "json":
            log.info("%s", message)
        else:
            print(message, flush=True)

    try:
        asyncio.run(serve(settings, host, settings.web_port if port is None else port, say=say))
    except KeyboardInterrupt:
        pass
