"""The command centre's HTTP API (aiohttp): incidents, the live grid map, key figures, event intake.

Mounted at ``/api`` of the web app (``gridalert.web``). Every route needs
``Authorization: Bearer <token>`` (``gridalert token create``);
the token's person (their roster role and area, ``incidents.access``) decides what it sees and
may do. An incident outside the caller's scope is answered like one that does not exist.

- ``GET  /api/incidents``        filter: status, type, tier, township, village, grid, since, until, limit
- ``GET  /api/incidents/{id}``   with its timeline, departments and deliveries
- ``POST /api/incidents/{id}/commands``   accept, on_scene, resolve, verify, close, return, escalate,
  reassign, reopen, rate, silence: the same command as ``gridalert command``, given by the token's
  person; answers the incident stage's outcome
- ``GET  /api/map``              the grids as GeoJSON, each with its open incidents and the worst severity
- ``GET  /api/kpis``             key figures of a day or month (period, date; date=today: the district's), as ``gridalert report``
- ``POST /api/events``           CloudEvents over HTTP (structured, batch or binary mode) to ``gridalert.events``
- ``GET  /api/stream``           server-sent events: every incident of the caller's area as it changes
- ``GET  /api/openapi.json``     this API, described

The API reads the projection and writes only to Kafka topics: it never writes incident state.
Blocking work (SQL, kafka-python) runs in the default thread pool.
"""

from __future__ import annotations

import asyncio
import functools
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional
from zoneinfo import ZoneInfo

from aiohttp import web

from gridalert.config import Settings
from gridalert.deadlines import (RESOLVED, SILENCED, accept_by, accept_deadlines, department_accept_by, disposal_limits,
                                 dispose_by, dispose_deadlines)
from gridalert.incidents.dispatch import LEAD_KINDS
from gridalert.incidents.access import Scope, can_see, intake_refusal, scope_of
from gridalert.store import (find_incident, get_timeline, list_deliveries, list_departments, open_incidents_by_grid,
                             search_incidents)
from gridalert.store.tokens import find_token
from gridalert.streams.cloudevents import Rejected, parse_event
from gridalert.streams.producer import event_key
from gridalert.streams.topics import EVENTS

SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
MAX_LIMIT = 1000
_dumps = functools.partial(json.dumps, ensure_ascii=False, default=str)


def reply(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def problem(status: int, message: str) -> web.Response:
    return reply({"error": message}, status)


@dataclass
class Api:
    settings: Settings
    district: Any  # config.loader.DistrictConfig
    sessions: Callable
    grid_features: list[dict]
    send_timeout_s: float = 10.0
    send: Optional[Callable] = None  # Command -> None: produce to gridalert.commands (commanding's)
    wait_s: float = 15.0
    _producer: Any = field(default=None, repr=False)

    def producer(self):
        if self._producer is None:
            from kafka import KafkaProducer

            self._producer = KafkaProducer(bootstrap_servers=self.settings.bootstrap_servers, acks="all",
                                           client_id="gridalert-api",
                                           max_block_ms=int(self.send_timeout_s * 1000),
                                           bootstrap_timeout_ms=int(self.send_timeout_s * 1000))
        return self._producer

    def read(self, fn: Callable, *args, **kwargs):
        """Run ``fn(*args, session=…, **kwargs)`` in a short read-only session."""
        with self.sessions() as session:
            return fn(*args, session=session, **kwargs)


API = web.AppKey("api", Api)
SCOPE = "gridalert.scope"


async def blocking(fn: Callable, *args, **kwargs):
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args, **kwargs))


@web.middleware
async def authenticate(request: web.Request, handler):
    api = request.app[API]
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        text = header[7:]
    else:  # Open311 clients send the key as a parameter, in the query or the form
        text = request.query.get("api_key")
        if not text and request.can_read_body:
            text = (await request.post()).get("api_key")
    if not text:
        return problem(401, "send Authorization: Bearer <token> (gridalert token create)")
    row = await blocking(api.read, find_token, str(text))
    if row is None:
        return problem(401, "this token is unknown or revoked")
    person = api.district.person(row.person_id) if row.person_id else None
    if row.person_id and person is None:
        return problem(401, f"this token's person {row.person_id} is no longer on the roster")
    request[SCOPE] = scope_of(person, viewer_area=row.viewer_area, viewer_kind=row.viewer_kind or "district")
    return await handler(request)


# --- incidents ------------------------------------------------------------------------------------

SCOPE_FILTER = {"district": "district", "township": "township", "village": "village", "grid": "grid_id",
                "department": "department"}
QUERY_FILTER = {"status": "status", "type": "event_type", "tier": "tier", "township": "township",
                "village": "village", "grid": "grid_id"}


def incident_json(row) -> dict:
    return {"id": row.id, "status": row.status, "tier": row.tier, "type": row.type, "title": row.title,
            "severity": row.severity, "klass": row.klass, "explanation": row.explanation,
            "place": {"district": row.district, "township": row.township, "village": row.village,
                      "grid_id": row.grid_id, "grid_name": row.grid_name},
            "lon": row.lon, "lat": row.lat, "opened_at": row.opened_at.isoformat(),
            "updated_at": row.updated_at.isoformat(), "seq": row.last_seq, "assignee": row.assignee,
            "alarm_count": row.alarm_count,
            "close_reason": row.close_reason, "rating": row.rating}


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return None if moment is None else moment.isoformat()


def _time(text: Optional[str], name: str) -> Optional[datetime]:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise web.HTTPBadRequest(text=_dumps({"error": f"{name}: {text!r} is not an ISO 8601 time"}),
                                 content_type="application/json") from None
    if moment.tzinfo is None:
        raise web.HTTPBadRequest(text=_dumps({"error": f"{name}: give a time zone, e.g. {text}+08:00"}),
                                 content_type="application/json")
    return moment


async def incidents(request: web.Request) -> web.Response:
    api, scope, query = request.app[API], request[SCOPE], request.query
    filters: dict[str, Any] = {column: query[name] for name, column in QUERY_FILTER.items() if name in query}
    if scope.kind not in SCOPE_FILTER:
        return reply({"incidents": [], "scope": scope.describe()})
    column = SCOPE_FILTER[scope.kind]
    if filters.get(column, scope.name) != scope.name:
        return reply({"incidents": [], "scope": scope.describe()})  # asked for an area outside its own
    filters[column] = scope.name
    try:
        limit = min(int(query.get("limit", 100)), MAX_LIMIT)
    except ValueError:
        return problem(400, f"limit: {query['limit']!r} is not a number")
    rows = await blocking(api.read, search_incidents, since=_time(query.get("since"), "since"),
                          until=_time(query.get("until"), "until"), limit=limit, **filters)
    found = [incident_json(r) for r in rows]
    accepts = await blocking(api.read, accept_deadlines, [(i["id"], i["status"]) for i in found],
                             api.district.policies)
    disposals = await blocking(api.read, dispose_deadlines, rows, api.district.policies)
    for item in found:  # gridalert.deadlines: when the tier paged last must accept, when to resolve by
        item["accept_by"] = _iso(accepts.get(item["id"]))
        item["dispose_by"] = _iso(disposals.get(item["id"]))
    return reply({"incidents": found, "scope": scope.describe()})


def _visible(incident_id: str, scope: Scope, *, session):
    """(row, its departments) when the incident exists and the scope may see it, else None."""
    row = find_incident(incident_id, session=session)
    return None if row is None else seen_by(scope, row, session=session)


def seen_by(scope: Scope, row, *, session):
    """(row, its departments) when the scope may see this incident row, else None."""
    departments = list_departments(row.id, session=session)
    if not can_see(scope, district=row.district, township=row.township, village=row.village, grid_id=row.grid_id,
                   departments=[d.department for d in departments]):
        return None
    return row, departments


def _detail(incident_id: str, scope: Scope, policies, *, session) -> Optional[dict]:
    found = _visible(incident_id, scope, session=session)
    if found is None:
        return None
    row, departments = found
    timeline = get_timeline(incident_id, session=session)
    lead = next((s for s in reversed(timeline) if s.kind in (*LEAD_KINDS, SILENCED)), None)
    department_due = department_accept_by(row.status, timeline, departments, policies)
    return {**incident_json(row),
            "accept_by": _iso(accept_by(row.status, lead, policies)),
            "dispose_by": _iso(dispose_by(row.status, row.opened_at, row.klass, policies,
                                          resolved_once=any(s.kind == RESOLVED for s in timeline))),
            "timeline": [{"seq": s.seq, "kind": s.kind, "status": s.status, "tier": s.tier, "at": s.at.isoformat(),
                          "actor": s.actor, "detail": s.detail, "department": s.department, "late_s": s.late_s}
                         for s in timeline],
            "departments": [{"department": d.department, "tier": d.tier, "status": d.status,
                             "accepted_by": d.accepted_by, "accept_by": _iso(department_due.get(d.department))}
                            for d in departments],
            "deliveries": [{"step": d.step, "person_id": d.person_id, "channel": d.channel, "ok": d.ok,
                            "attempts": d.attempts, "at": d.at.isoformat(), "error": d.error}
                           for d in list_deliveries(incident_id, session=session)]}


async def incident(request: web.Request) -> web.Response:
    incident_id = request.match_info["incident_id"]
    api = request.app[API]
    found = await blocking(api.read, _detail, incident_id, request[SCOPE], api.district.policies)
    if found is None:
        return problem(404, f"no incident {incident_id} in your area")
    return reply(found)


# --- commands -------------------------------------------------------------------------------------

COMMAND_FIELDS = {"reason": str, "department": str, "score": int, "comment": str, "to_tier": str,
                  "to_person": str, "minutes": float}


async def give_command(request: web.Request) -> web.Response:
    """One command about one incident, by the token's person; the outcome as the incident stage decided."""
    from gridalert.commanding import NoSuchIncident, incident_command, wait_for_outcome
    from gridalert.incidents.access import refusal
    from gridalert.incidents.lifecycle import ACTIONS

    api, scope = request.app[API], request[SCOPE]
    incident_id = request.match_info["incident_id"]
    try:
        body = await request.json()
    except ValueError:
        return problem(400, 'send a JSON object, e.g. {"action": "accept"}')
    if not isinstance(body, dict) or body.get("action") not in ACTIONS:
        return problem(400, f"action must be one of {', '.join(ACTIONS)}")
    fields: dict[str, Any] = {}
    for name, kind in COMMAND_FIELDS.items():
        if body.get(name) is not None:
            try:
                fields[name] = kind(body[name])
            except (TypeError, ValueError):
                return problem(400, f"{name}: {body[name]!r} is not a {kind.__name__}")
    action = body["action"]
    if await blocking(api.read, _visible, incident_id, scope) is None:
        return problem(404, f"no incident {incident_id} in your area")
    refused = refusal(scope, action, fields.get("department"))
    if refused:
        return problem(403, f"{action} refused: {refused}")
    minutes = fields.pop("minutes", None)
    if minutes is not None:
        fields["until"] = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    try:
        command = await blocking(incident_command, action, scope.person_id, incident_id, sessions=api.sessions,
                                 **fields)
        await blocking(api.send, command)
    except NoSuchIncident:
        return problem(404, f"no incident {incident_id}")
    except Exception as exc:  # kafka-python's errors: nothing was acknowledged
        return problem(503, f"cannot reach the broker, send again: {exc}")
    outcome = await blocking(wait_for_outcome, api.sessions, command.id, timeout_s=api.wait_s)
    if outcome is None:
        return reply({"command_id": command.id, "outcome": None,
                      "detail": f"sent; no outcome within {api.wait_s:.0f} s, see the incident's timeline"}, 202)
    return reply({"command_id": command.id, "outcome": outcome.kind, "detail": outcome.detail,
                  "status": outcome.status, "tier": outcome.tier},
                 409 if outcome.kind == "command_refused" else 200)


# --- live updates ---------------------------------------------------------------------------------

STREAM_POLL_S = 1.0
STREAM_LAG_S = 30.0  # steps reach the projection a little after their time, partitions out of step


def _changed_since(scope: Scope, since: Optional[datetime], *, session) -> list[dict]:
    """The caller's incidents whose row changed after ``since`` (all open ones when None), oldest first."""
    if scope.kind not in SCOPE_FILTER:
        return []
    rows = search_incidents(session=session, updated_after=since, limit=MAX_LIMIT,
                            **{SCOPE_FILTER[scope.kind]: scope.name})
    if since is None:
        rows = [r for r in rows if r.status not in ("resolved", "verified", "closed")]
    return [incident_json(r) for r in sorted(rows, key=lambda r: (r.updated_at, r.id))]


async def stream(request: web.Request) -> web.StreamResponse:
    """``text/event-stream``: first the open incidents, then each incident whose row changes.

    Each message is ``event: incident`` with the incident's JSON, sent once per step (``seq``);
    a comment line every 15 s keeps proxies from closing the connection. Polls the projection
    once a second, looking back ``STREAM_LAG_S`` so a step projected late is not missed.
    """
    api, scope = request.app[API], request[SCOPE]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    sent: dict[str, int] = {}
    since: Optional[datetime] = None
    quiet = 0.0
    while True:
        polled_at = datetime.now(timezone.utc)
        fresh = [item for item in await blocking(api.read, _changed_since, scope, since)
                 if sent.get(item["id"], 0) < item["seq"]]
        for item in fresh:
            sent[item["id"]] = item["seq"]
            await response.write(f"event: incident\nid: {item['id']}:{item['seq']}\ndata: {_dumps(item)}\n\n".encode())
        since = polled_at - timedelta(seconds=STREAM_LAG_S)
        quiet = 0.0 if fresh else quiet + STREAM_POLL_S
        if quiet >= 15:
            await response.write(b": still here\n\n")
            quiet = 0.0
        await asyncio.sleep(STREAM_POLL_S)


# --- the map --------------------------------------------------------------------------------------

def _map(api: Api, scope: Scope, *, session) -> dict:
    open_by_grid = open_incidents_by_grid(session=session)
    dispatched_to_it = ({i.id for i in search_incidents(session=session, department=scope.name, limit=None)}
                        if scope.kind == "department" else set())
    features = []
    for feature in api.grid_features:
        props = feature.get("properties") or {}
        place = {"district": props.get("district") or api.district.grids.district, "township": props.get("township"),
                 "village": props.get("village"), "grid_id": props.get("grid_id")}
        if scope.kind != "department" and not can_see(scope, **place):
            continue
        mine = [i for i in open_by_grid.get(props.get("grid_id"), [])
                if scope.kind != "department" or i.id in dispatched_to_it]
        worst = max(mine, key=lambda i: SEVERITY_RANK.get(i.severity, -1), default=None)
        features.append({"type": "Feature", "geometry": feature.get("geometry"), "properties": {
            **props, "open": len(mine), "worst_severity": worst.severity if worst else None,
            "incidents": [{"id": i.id, "title": i.title, "severity": i.severity, "status": i.status,
                           "tier": i.tier} for i in mine]}})
    unassigned = [i for i in open_by_grid.get(None, []) if scope.kind == "district"]
    return {"type": "FeatureCollection", "features": features,
            "unassigned": [incident_json(i) for i in unassigned], "scope": scope.describe()}


async def grid_map(request: web.Request) -> web.Response:
    api = request.app[API]
    return reply(await blocking(api.read, _map, api, request[SCOPE]))


# --- key figures ----------------------------------------------------------------------------------

async def kpis(request: web.Request) -> web.Response:
    from gridalert.report import period_of, rows_for

    api, scope = request.app[API], request[SCOPE]
    if scope.kind not in ("district", "township"):
        return problem(403, "key figures are for the district centre and township duty")
    tz = ZoneInfo(api.district.policies.timezone)
    kind, when, local_today = request.query.get("period", "day"), request.query.get("date"), datetime.now(tz).date()
    if when == "today":  # the district's today (its policies' timezone), whatever the browser's clock says
        when = local_today.isoformat() if kind == "day" else f"{local_today:%Y-%m}"
    try:
        period = period_of(kind, when, tz, local_today)
    except ValueError as exc:
        return problem(400, str(exc))
    rows = await blocking(api.read, rows_for, period, disposal_limits(api.district.policies))
    if scope.kind == "township":
        rows = [r for r in rows if r["scope"] == "township" and r["name"] == scope.name]
    return reply({"period": period.label, "since": period.since.isoformat(), "until": period.until.isoformat(),
                  "rows": rows})


# --- event intake ---------------------------------------------------------------------------------

def _messages(request_headers, body: bytes) -> list[tuple[bytes, list[tuple[str, bytes]]]]:
    """(value, Kafka headers) for each event of a request, in the CloudEvents HTTP binding's modes."""
    content_type = request_headers.get("Content-Type", "").split(";")[0].strip().lower()
    if "ce-specversion" in {k.lower() for k in request_headers}:  # binary mode: attributes in headers
        headers = [(f"ce_{k[3:].lower()}", v.encode()) for k, v in request_headers.items() if k.lower().startswith("ce-")]
        return [(body, headers)]
    if content_type == "application/cloudevents-batch+json":
        try:
            batch = json.loads(body)
        except ValueError:
            return [(body, [])]  # the validate stage dead-letters it with the reason
        if isinstance(batch, list):
            return [(json.dumps(item, ensure_ascii=False).encode(), []) for item in batch]
    return [(body, [])]


def _produce(api: Api, messages: list[tuple[bytes, list]]) -> None:
    producer = api.producer()  # first use: connects, or fails after send_timeout_s
    futures = [producer.send(EVENTS, key=event_key(value), value=value, headers=headers or None)
               for value, headers in messages]
    producer.flush(timeout=api.send_timeout_s)
    for future in futures:
        future.get(timeout=api.send_timeout_s)


async def events(request: web.Request) -> web.Response:
    """Every event goes to ``gridalert.events``, good or bad (the validate stage dead-letters the bad
    ones with their reason); the reply says at once which ones will be dead-lettered and why."""
    api = request.app[API]
    refused = intake_refusal(request[SCOPE])
    if refused:
        return problem(403, refused)
    messages = _messages(request.headers, await request.read())
    verdicts = []
    for value, headers in messages:
        try:
            parse_event(value, headers, devices=api.district.devices)
            verdicts.append({"accepted": True})
        except Rejected as exc:
            verdicts.append({"accepted": False, "reason": str(exc), "sent_to": "gridalert.events.dlq"})
    try:
        await blocking(_produce, api, messages)
    except Exception as exc:  # kafka-python's errors: the caller must retry, nothing was acknowledged
        return problem(503, f"cannot reach the broker, send again: {exc}")
    bad = [v for v in verdicts if not v["accepted"]]
    return reply({"events": len(verdicts), "rejected": len(bad), "results": verdicts}, 400 if bad else 202)


# --- the rest -------------------------------------------------------------------------------------

async def openapi(request: web.Request) -> web.Response:
    from gridalert.openapi import DESCRIPTION

    return reply(DESCRIPTION)


def load_grid_features(path) -> list[dict]:
    with open(path, encoding="utf-8") as source:
        return json.load(source).get("features", [])


def make_api(settings: Settings, district, sessions, *, send_timeout_s: float = 10.0,
             send: Optional[Callable] = None, wait_s: float = 15.0) -> web.Application:
    """The API as an aiohttp sub-application, to mount at ``/api``."""
    from gridalert.config.loader import GRIDS

    if send is None:
        from gridalert.streams.commands import send_command

        def send(command) -> None:
            send_command(settings.bootstrap_servers, command, timeout_s=send_timeout_s)
    api = web.Application(middlewares=[authenticate])
    api[API] = Api(settings, district, sessions, load_grid_features(district.directory / GRIDS), send_timeout_s,
                   send, wait_s)
    api.router.add_get("/openapi.json", openapi)
    api.router.add_get("/incidents", incidents)
    api.router.add_get("/incidents/{incident_id}", incident)
    api.router.add_post("/incidents/{incident_id}/commands", give_command)
    api.router.add_get("/map", grid_map)
    api.router.add_get("/kpis", kpis)
    api.router.add_post("/events", events)
    api.router.add_get("/stream", stream)

    async def close_producer(app: web.Application) -> None:
        producer = app[API]._producer
        if producer is not None:
            await blocking(producer.close, 5)

    api.on_cleanup.append(close_producer)
    return api
