"""Citizen reports through Open311 GeoReport v2, for existing 12345-style and QR-code front ends.

Mounted at ``/open311/v2`` of the web app, behind the API's token check (a front end sends its
token as ``api_key`` or as a bearer token):

- ``GET  services.json``               the district's report categories (``detectors.citizen.categories``)
- ``POST requests.json``               a report (form fields per GeoReport v2): becomes a
  ``citizen.report`` event on ``gridalert.events``; answers the ``service_request_id``.
  Refused (403) to read-only viewer tokens and to persons whose role covers no incidents.
- ``GET  requests/{id}.json``          its status: ``open`` until the incident is resolved, then
  ``closed`` with the outcome in ``status_notes``. A request whose incident lies outside the
  token's area is answered like one not yet known (``open``, received): no title, place or time.
- ``GET  requests.json?service_request_id=a,b``   several at once

The reporter's phone or e-mail becomes the report's ``reporter_contact``: never paged, and told
the outcome when the incident is closed (``incidents.reply``). Errors follow the GeoReport form:
``[{"code": 400, "description": "…"}]``.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Optional

from aiohttp import web

from gridalert.api import API, SCOPE, Api, _produce, authenticate, blocking, seen_by
from gridalert.incidents.access import Scope, intake_refusal
from gridalert.incidents.reply import OUTCOMES
from gridalert.store import find_incident_by_dedup_suffix
from gridalert.streams.cloudevents import Rejected, parse_event

DONE = ("resolved", "verified", "closed")


def errors(status: int, description: str) -> web.Response:
    return web.json_response([{"code": status, "description": description}], status=status,
                             dumps=lambda d: json.dumps(d, ensure_ascii=False))


def answer(data) -> web.Response:
    return web.json_response(data, dumps=lambda d: json.dumps(d, ensure_ascii=False))


async def services(request: web.Request) -> web.Response:
    categories = request.app[API].district.policies.detectors.citizen.categories
    return answer([{"service_code": code, "service_name": category.label or code, "description": category.label or code,
                    "metadata": False, "type": "realtime", "keywords": "", "group": "gridalert"}
                   for code, category in sorted(categories.items())])


def report_event(form, request_id: str, now: datetime) -> dict:
    """The ``citizen.report`` CloudEvent for a GeoReport v2 request's form."""
    def number(name: str) -> Optional[float]:
        value = form.get(name)
        try:
            return float(value) if value not in (None, "") else None
        except ValueError:
            raise Rejected(f"{name} must be a number, got {value!r}") from None

    contact = form.get("phone") or form.get("email")
    data = {"category": form.get("service_code"), "report_id": request_id, "lon": number("long"), "lat": number("lat"),
            "description": form.get("description"), "photo_url": form.get("media_url"),
            "reporter_contact": contact, "address": form.get("address_string")}
    return {"specversion": "1.0", "id": request_id, "source": "urn:gridalert:open311", "type": "citizen.report",
            "time": now.isoformat(), "datacontenttype": "application/json",
            "data": {k: v for k, v in data.items() if v not in (None, "")}}


async def create(request: web.Request) -> web.Response:
    api: Api = request.app[API]
    refused = intake_refusal(request[SCOPE])
    if refused:
        return errors(403, refused)
    form = await request.post()
    code = form.get("service_code")
    if not code:
        return errors(400, "service_code is required (GET services.json lists them)")
    categories = api.district.policies.detectors.citizen.categories
    if categories and code not in categories:
        return errors(400, f"unknown service_code {code!r}; known: {', '.join(sorted(categories))}")
    if not form.get("lat") or not form.get("long"):
        return errors(400, "lat and long are required (the place of the report)")
    request_id = f"311-{uuid.uuid4().hex[:12]}"
    try:
        event = report_event(form, request_id, datetime.now(timezone.utc))
        value = json.dumps(event, ensure_ascii=False).encode()
        parse_event(value, devices=api.district.devices)
    except Rejected as exc:
        return errors(400, str(exc))
    try:
        await blocking(_produce, api, [(value, [])])
    except Exception as exc:  # nothing acknowledged: the front end must send again
        return errors(503, f"cannot reach the broker, send again: {exc}")
    return answer([{"service_request_id": request_id, "service_notice": "已受理 received",
                    "account_id": None}])


def _status(scope: Scope, request_id: str, *, session) -> dict:
    found = find_incident_by_dedup_suffix(request_id, session=session)
    if found is not None and seen_by(scope, found, session=session) is None:
        found = None  # another area's report: answered like one whose incident is not open yet
    if found is None:
        return {"service_request_id": request_id, "status": "open", "status_notes": "已受理 received"}
    closed = found.status in DONE
    notes = OUTCOMES.get(found.close_reason or "", found.close_reason) if closed else f"处理中 {found.status}"
    return {"service_request_id": request_id, "status": "closed" if closed else "open",
            "status_notes": notes or "已办结 dealt with", "service_name": found.title, "service_code": found.type,
            "requested_datetime": found.opened_at.isoformat(), "updated_datetime": found.updated_at.isoformat(),
            "lat": found.lat, "long": found.lon, "agency_responsible": found.township or found.district}


async def one(request: web.Request) -> web.Response:
    api = request.app[API]
    request_id = request.match_info["request_id"]
    return answer([await blocking(api.read, _status, request[SCOPE], request_id)])


async def several(request: web.Request) -> web.Response:
    api = request.app[API]
    wanted = [r for r in request.query.get("service_request_id", "").split(",") if r]
    if not wanted:
        return errors(400, "give service_request_id=a,b (listing every request is not offered)")
    return answer([await blocking(api.read, _status, request[SCOPE], r) for r in wanted[:100]])


def make_open311(api: Api) -> web.Application:
    """Open311 as a sub-application sharing the API's state and token check; mount at ``/open311/v2``."""
    app = web.Application(middlewares=[authenticate])
    app[API] = api
    app.router.add_get("/services.json", services)
    app.router.add_post("/requests.json", create)
    app.router.add_get("/requests/{request_id}.json", one)
    app.router.add_get("/requests.json", several)
    return app
