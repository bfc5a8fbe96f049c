"""The command centre's API on a real SQLite projection: tokens, scopes, incidents, the map, key figures.

The API runs in-process on a loopback port (aiohttp's test server); event intake against a real
broker is in ``tests/e2e/test_api.py``.
"""

from __future__ import annotations

import asyncio
import dataclasses
from types import SimpleNamespace
from datetime import datetime, timedelta, timezone

import pytest
from aiohttp.test_utils import TestClient, TestServer

from aiohttp import web

from gridalert.api import API, make_api
from gridalert.open311 import make_open311
from gridalert.config import SAMPLE_CONFIG_DIR, Settings
from gridalert.config.loader import load_config
from gridalert.config.model import Person
from gridalert.incidents.book import Book
from gridalert.incidents.routing import Responsibility
from gridalert.store import make_engine, make_sessionmaker, record_incident_events, upgrade
from gridalert.store.tokens import create_token, revoke_token
from gridalert.streams.records import Place
from tests.support.district import POLICIES, command, detect, reading

NOW = datetime.now(timezone.utc).replace(microsecond=0)
TOWER = Place(district="观山湖区", grid_id="GSH-JHY-01-03", grid_name="金融城社区第3网格", village="金融城社区",
              township="金华园街道")
FARM = Place(district="观山湖区", grid_id="GSH-ZC-03-01", grid_name="毛寨村第1网格", village="毛寨村", township="朱昌镇")
# a ten-household unit head (联户长): on the roster, but unit areas are not on incidents, so the token covers nothing
UNIT_HEAD = Person(id="uh-JHY-01-03-1", name="联户长甲", role="unit_head", area="GSH-JHY-01-03-U1",
                   channels=["json://127.0.0.1/inbox/uh-JHY-01-03-1"])


@pytest.fixture(scope="module")
def district():
    return load_config(SAMPLE_CONFIG_DIR, check_url=lambda url: None)


@pytest.fixture
def world(tmp_path, district, monkeypatch):
    """A projection with a heat incident in the tower's grid (accepted) and a wooden-village wiring
    incident in 朱昌镇 dispatched to fire and power; a token per kind of user."""
    url = f"sqlite:///{tmp_path / 'g.db'}"
    upgrade(url)
    sessions = make_sessionmaker(make_engine(url))
    incidents, state, steps = Book(POLICIES, Responsibility(district.roster)), None, []
    heat = detect(reading("h-1", 80.0, place=TOWER), POLICIES, NOW)
    wiring = detect(reading("w-1", event_type="wiring.reading", device="wm-1", place=FARM,
                            data={"residual_current_ma": 520, "building_type": "wooden_village"}), POLICIES, NOW)
    report = detect(reading("q-1", event_type="citizen.report", device=None, place=TOWER, data={
        "category": "fire_lane_blocked", "report_id": "311-feedbeef0001", "reporter_contact": "13800001234"}),
        POLICIES, NOW)
    for alarm in (heat, wiring, report):
        state, out = incidents.on_alarm(state, alarm, NOW)
        steps += out
    tower_id = steps[0].incident_id
    state, out, _ = incidents.on_command(state, command("accept", tower_id, "gh-GSH-JHY-01-03"), NOW + timedelta(minutes=1))
    steps += out
    report_id = next(s.incident_id for s in steps if "311-" in s.dedup_key)
    for action, actor, extra in [("accept", "gh-GSH-JHY-01-03", {}), ("resolve", "gh-GSH-JHY-01-03", {}),
                                 ("verify", "dd-GSH-1", {}), ("close", "dd-GSH-1", {"reason": "fixed"})]:
        state, out, refused = incidents.on_command(state, command(action, report_id, actor, cid=f"c-311-{action}",
                                                                  **extra), NOW)
        assert refused is None and out, refused
        steps += out
    tokens = {}
    with sessions.begin() as session:
        record_incident_events(steps, session=session)
        for person in ("dd-GSH-1", "td-JHY", "td-ZC", "gh-GSH-JHY-01-03", "fire-GSH-1", UNIT_HEAD.id):
            tokens[person] = create_token(session=session, person_id=person)[1]
        tokens["viewer"] = create_token(session=session, viewer_area="金华园街道", viewer_kind="township")[1]
        revoked, tokens["revoked"] = create_token(session=session, person_id="dd-GSH-1")
        revoke_token(revoked.id, session=session)
    monkeypatch.setenv("GRIDALERT_BROKER", "kafka://127.0.0.1:1")  # nothing listens: intake must say so
    settings = Settings()
    # the API's roster has the unit head too; the incident stage's does not (nobody pages unit heads here)
    with_unit_head = dataclasses.replace(district, roster=district.roster.model_copy(
        update={"staff": [*district.roster.staff, UNIT_HEAD]}))

    def worker(command) -> None:
        """What the incident stage and the recorder do with a command: apply it, project its steps."""
        nonlocal state
        state, out, _ = incidents.on_command(state, command, datetime.now(timezone.utc))
        with sessions.begin() as session:
            record_incident_events(out, session=session)

    def app() -> web.Application:  # an aiohttp app lives on one event loop: a new one per call
        root = web.Application()
        root.router.add_get("/healthz", lambda request: web.json_response({"status": "ok"}))
        api = make_api(settings, with_unit_head, sessions, send_timeout_s=2, send=worker, wait_s=5)
        root.add_subapp("/api", api)
        root.add_subapp("/open311/v2", make_open311(api[API]))
        return root

    farm = next(s.incident_id for s in steps if s.incident_id not in (tower_id, report_id))

    def later(action: str, incident_id: str, actor: str) -> None:
        """Apply one more command and project its step, as the worker would."""
        nonlocal state
        state, out, refused = incidents.on_command(state, command(action, incident_id, actor, cid=f"c-later-{action}"),
                                                   datetime.now(timezone.utc))
        assert refused is None and out, refused
        with sessions.begin() as session:
            record_incident_events(out, session=session)

    return SimpleNamespace(app=app, tokens=tokens, found={"tower": tower_id, "farm": farm, "report": report_id},
                           later=later)


def call(app, method: str, path: str, token: str | None = None, **kwargs):
    async def go():
        async with TestClient(TestServer(app())) as client:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = await client.request(method, path, headers={**headers, **kwargs.pop("headers", {})}, **kwargs)
            return response.status, await response.json()
    return asyncio.run(go())


def ids(body) -> set[str]:
    return {i["id"] for i in body["incidents"]}


def test_without_a_good_token_only_health_answers(world):
    app, tokens = world.app, world.tokens
    assert call(app, "GET", "/healthz") == (200, {"status": "ok"})
    status, body = call(app, "GET", "/api/incidents")
    assert status == 401 and "Bearer" in body["error"]
    assert call(app, "GET", "/api/incidents", "gat_00000000_nope")[0] == 401
    status, body = call(app, "GET", "/api/incidents", tokens["revoked"])
    assert status == 401 and "revoked" in body["error"]
    assert call(app, "GET", "/api/openapi.json")[0] == 401


def test_each_person_lists_the_incidents_of_their_area(world):
    app, tokens, found = world.app, world.tokens, world.found
    assert ids(call(app, "GET", "/api/incidents", tokens["dd-GSH-1"])[1]) == set(found.values())
    assert ids(call(app, "GET", "/api/incidents", tokens["td-JHY"])[1]) == {found["tower"], found["report"]}
    assert ids(call(app, "GET", "/api/incidents", tokens["td-ZC"])[1]) == {found["farm"]}
    assert ids(call(app, "GET", "/api/incidents", tokens["gh-GSH-JHY-01-03"])[1]) == {found["tower"], found["report"]}
    assert ids(call(app, "GET", "/api/incidents", tokens["fire-GSH-1"])[1]) == {found["farm"]}  # dispatched to fire
    assert ids(call(app, "GET", "/api/incidents", tokens["viewer"])[1]) == {found["tower"], found["report"]}
    assert ids(call(app, "GET", "/api/incidents?township=朱昌镇", tokens["td-JHY"])[1]) == set()


def test_filters_narrow_the_list(world):
    app, tokens, found = world.app, world.tokens, world.found
    duty = tokens["dd-GSH-1"]
    assert ids(call(app, "GET", "/api/incidents?status=accepted", duty)[1]) == {found["tower"]}
    assert ids(call(app, "GET", "/api/incidents?type=wiring.reading", duty)[1]) == {found["farm"]}
    assert ids(call(app, "GET", "/api/incidents?status=closed", duty)[1]) == {found["report"]}
    later = (NOW + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert ids(call(app, "GET", "/api/incidents", duty, params={"since": later})[1]) == set()
    status, body = call(app, "GET", "/api/incidents", duty, params={"since": "2026-11-23T10:00"})
    assert status == 400 and "give a time zone" in body["error"]


def test_an_incident_outside_the_area_is_not_found_and_one_inside_has_its_timeline(world):
    app, tokens, found = world.app, world.tokens, world.found
    status, body = call(app, "GET", f"/api/incidents/{found['farm']}", tokens["td-JHY"])
    assert status == 404 and "in your area" in body["error"]
    status, body = call(app, "GET", f"/api/incidents/{found['tower']}", tokens["td-JHY"])
    assert status == 200 and [s["kind"] for s in body["timeline"]] == ["opened", "dispatched", "accepted"]
    status, body = call(app, "GET", f"/api/incidents/{found['farm']}", tokens["fire-GSH-1"])
    assert {d["department"] for d in body["departments"]} == {"fire", "power"}


def test_the_map_colours_each_grid_by_its_worst_open_incident(world):
    app, tokens = world.app, world.tokens
    status, body = call(app, "GET", "/api/map", tokens["dd-GSH-1"])
    grids = {f["properties"]["grid_id"]: f["properties"] for f in body["features"]}
    assert status == 200 and len(grids) == 34
    assert grids["GSH-JHY-01-03"]["open"] == 1 and grids["GSH-JHY-01-03"]["worst_severity"] == "high"
    assert grids["GSH-JHY-01-01"]["open"] == 0 and grids["GSH-JHY-01-01"]["worst_severity"] is None
    township = call(app, "GET", "/api/map", tokens["td-JHY"])[1]
    assert {f["properties"]["township"] for f in township["features"]} == {"金华园街道"}
    fire = {f["properties"]["grid_id"]: f["properties"]["open"] for f in call(app, "GET", "/api/map", tokens["fire-GSH-1"])[1]["features"]}
    assert fire["GSH-ZC-03-01"] == 1 and fire["GSH-JHY-01-03"] == 0  # only what was dispatched to fire


def test_key_figures_are_for_the_centre_and_townships(world):
    app, tokens = world.app, world.tokens
    day = NOW.astimezone(timezone(timedelta(hours=8))).date().isoformat()
    status, body = call(app, "GET", f"/api/kpis?period=day&date={day}", tokens["dd-GSH-1"])
    district_row = next(r for r in body["rows"] if r["scope"] == "district")
    assert status == 200 and district_row["incidents"] == 3 and district_row["response_rate"] == 2 / 3
    rows = call(app, "GET", f"/api/kpis?period=day&date={day}", tokens["td-JHY"])[1]["rows"]
    assert [(r["scope"], r["name"]) for r in rows] == [("township", "金华园街道")]
    assert call(app, "GET", "/api/kpis", tokens["gh-GSH-JHY-01-03"])[0] == 403


def test_event_intake_says_which_events_are_bad_and_that_the_broker_is_down(world):
    app, tokens = world.app, world.tokens
    status, body = call(app, "POST", "/api/events", tokens["dd-GSH-1"], data=b'{"specversion": "1.0", "id":',
                        headers={"Content-Type": "application/cloudevents+json"})
    assert status == 503 and "cannot reach the broker" in body["error"]


EVENT = b'{"specversion": "1.0", "id": "e-1", "source": "urn:test", "type": "heat.reading"}'
REPORT = {"service_code": "fire_hazard", "lat": "26.62", "long": "106.63", "phone": "13800001234"}


@pytest.mark.parametrize("who, why", [
    ("viewer", "read only"),
    (UNIT_HEAD.id, "covers no incidents"),
])
def test_tokens_that_may_not_write_cannot_send_events_or_citizen_reports(world, who, why):
    app, token = world.app, world.tokens[who]
    status, body = call(app, "POST", "/api/events", token, data=EVENT,
                        headers={"Content-Type": "application/cloudevents+json"})
    assert status == 403 and why in body["error"] and "may not send events" in body["error"]
    status, body = call(app, "POST", "/open311/v2/requests.json", data={"api_key": token, **REPORT})
    assert status == 403 and why in body[0]["description"]
    status, body = call(app, "POST", "/open311/v2/requests.json", token, data=REPORT)  # as a bearer token too
    assert status == 403 and body[0]["code"] == 403


@pytest.mark.parametrize("who", ["td-JHY", "gh-GSH-JHY-01-03", "fire-GSH-1"])
def test_staff_tokens_may_send_events_and_citizen_reports(world, who):
    app, token = world.app, world.tokens[who]
    # past the access check: the (absent) broker is all that stops them
    status, body = call(app, "POST", "/api/events", token, data=EVENT,
                        headers={"Content-Type": "application/cloudevents+json"})
    assert status == 503 and "cannot reach the broker" in body["error"]
    status, body = call(app, "POST", "/open311/v2/requests.json", data={"api_key": token, **REPORT})
    assert status == 503 and "send again" in body[0]["description"]


@pytest.mark.parametrize("who, sees", [
    ("dd-GSH-1", True),
    ("td-JHY", True),
    ("gh-GSH-JHY-01-03", True),
    ("viewer", True),  # a viewer of 金华园街道, where the report was made
    ("td-ZC", False),
    ("fire-GSH-1", False),  # the report was never dispatched to fire
    (UNIT_HEAD.id, False),
])
def test_open311_status_shows_a_request_only_inside_the_tokens_area(world, who, sees):
    app, token = world.app, world.tokens[who]
    for path in ("/open311/v2/requests/311-feedbeef0001.json",
                 "/open311/v2/requests.json?service_request_id=311-feedbeef0001"):
        status, [request] = call(app, "GET", path, token)
        assert status == 200 and request["service_request_id"] == "311-feedbeef0001"
        if sees:
            assert request["status"] == "closed" and request["status_notes"] == "已处置 fixed"
            assert request["service_code"] == "citizen.report" and request["lat"] is not None
        else:  # the same answer as a request not known yet: nothing about its place, title or outcome
            assert request == {"service_request_id": "311-feedbeef0001", "status": "open",
                               "status_notes": "已受理 received"}


def test_the_api_describes_itself(world):
    app, tokens = world.app, world.tokens
    status, body = call(app, "GET", "/api/openapi.json", tokens["viewer"])
    assert status == 200 and body["openapi"].startswith("3.") and "/api/incidents/{incident_id}" in body["paths"]


# What the web app answers that is no part of the API: the page and its files, the signed accept
# links (HTML for a phone), and the operators' probes and scrape
NOT_IN_THE_API = {"/", "/static/dashboard/{name}", "/static/vendor/{library}/{path}", "/a/{token}", "/health",
                  "/ready", "/metrics"}


def registered_routes(app: web.Application) -> set[tuple[str, str]]:
    """(method, path) of every route of an aiohttp app and of the sub-apps mounted in it (once
    mounted, a sub-app's paths carry its prefix)."""
    found = set()
    for resource in app.router.resources():
        if isinstance(resource, web.PrefixedSubAppResource):
            found |= registered_routes(resource._app)
            continue
        found |= {(route.method, resource.canonical) for route in resource if route.method != "HEAD"}
    return found


def test_every_route_of_the_web_app_is_in_the_openapi_description(district, monkeypatch, tmp_path):
    from gridalert.openapi import DESCRIPTION
    from gridalert.web import Context, make_web_app

    monkeypatch.setenv("GRIDALERT_BROKER", "kafka://127.0.0.1:1")
    context = Context(secret=b"s", sessions=make_sessionmaker(make_engine(f"sqlite:///{tmp_path / 'g.db'}")),
                      send=lambda command: None)
    routes = registered_routes(make_web_app(context, settings=Settings(), district=district))
    described = {(method.upper(), path) for path, item in DESCRIPTION["paths"].items() for method in item}
    assert {("GET", "/api/stream"), ("POST", "/open311/v2/requests.json")} <= routes  # the walk reaches sub-apps
    assert {r for r in routes if r[1] not in NOT_IN_THE_API} - described == set()
    assert described - routes == set()  # and nothing is described that is not served


def test_open311_lists_the_categories_and_takes_the_api_key_as_a_parameter(world):
    app, tokens = world.app, world.tokens
    status, body = call(app, "GET", f"/open311/v2/services.json?api_key={tokens['viewer']}")
    assert status == 200 and {"service_code": "fire_lane_blocked", "service_name": "消防通道堵塞 fire lane blocked",
                               "description": "消防通道堵塞 fire lane blocked", "metadata": False, "type": "realtime",
                               "keywords": "", "group": "gridalert"} in body
    assert call(app, "GET", "/open311/v2/services.json")[0] == 401


def test_open311_refuses_a_request_it_cannot_use_and_says_why(world):
    app, tokens = world.app, world.tokens
    key = tokens["dd-GSH-1"]
    status, body = call(app, "POST", "/open311/v2/requests.json", data={"api_key": key, "service_code": "ufo",
                                                                         "lat": "26.62", "long": "106.63"})
    assert status == 400 and "unknown service_code 'ufo'" in body[0]["description"]
    status, body = call(app, "POST", "/open311/v2/requests.json", data={"api_key": key,
                                                                         "service_code": "fire_hazard"})
    assert status == 400 and "lat and long are required" in body[0]["description"]
    status, body = call(app, "POST", "/open311/v2/requests.json", data={
        "api_key": key, "service_code": "fire_hazard", "lat": "26.62", "long": "106.63", "phone": "13800001234"})
    assert status == 503 and "send again" in body[0]["description"]


def test_open311_tells_the_status_and_the_outcome_in_words(world):
    app, tokens = world.app, world.tokens
    status, body = call(app, "GET", "/open311/v2/requests/311-feedbeef0001.json", tokens["viewer"])
    assert status == 200 and body[0]["status"] == "closed" and body[0]["status_notes"] == "已处置 fixed"
    unknown = call(app, "GET", "/open311/v2/requests.json?service_request_id=311-0000", tokens["viewer"])[1]
    assert unknown == [{"service_request_id": "311-0000", "status": "open", "status_notes": "已受理 received"}]


def test_the_stream_sends_the_open_incidents_then_each_change_once(world, tmp_path):
    app, tokens, found = world.app, world.tokens, world.found

    async def go():
        async with TestClient(TestServer(app())) as client:
            response = await client.get("/api/stream", headers={"Authorization": f"Bearer {tokens['td-JHY']}"})
            assert response.headers["Content-Type"] == "text/event-stream"
            first = await asyncio.wait_for(response.content.readuntil(b"\n\n"), timeout=10)
            await asyncio.get_running_loop().run_in_executor(None, world.later, "on_scene", found["tower"],
                                                             "gh-GSH-JHY-01-03")
            seen = []
            while not any(f"id: {found['tower']}:" in m and "on_scene" in m for m in seen):
                seen.append((await asyncio.wait_for(response.content.readuntil(b"\n\n"), timeout=10)).decode())
            return response.status, first.decode(), seen

    status, first, then = asyncio.run(go())
    assert status == 200 and first.startswith("event: incident\nid: " + found["tower"])
    assert '"status": "accepted"' in first  # the closed citizen report is not among the open ones
    assert then[-1].startswith(f"event: incident\nid: {found['tower']}:4")
    assert len([m for m in then if found["tower"] in m]) == 1  # each step once
    assert len(then) <= 2  # besides it, at most the citizen report closed a moment before


def test_a_command_through_the_api_is_the_token_persons_and_answers_the_outcome(world):
    app, tokens, found = world.app, world.tokens, world.found
    path = f"/api/incidents/{found['farm']}/commands"
    status, body = call(app, "POST", path, tokens["fire-GSH-1"], json={"action": "accept", "department": "fire"})
    assert status == 200 and body["outcome"] == "dept_accepted"
    status, body = call(app, "POST", path, tokens["fire-GSH-1"], json={"action": "accept", "department": "power"})
    assert status == 403 and "acts for fire only" in body["error"]
    status, body = call(app, "POST", path, tokens["td-JHY"], json={"action": "accept"})
    assert status == 404  # not in 金华园街道
    status, body = call(app, "POST", f"/api/incidents/{found['tower']}/commands", tokens["td-JHY"],
                        json={"action": "close", "reason": "fixed"})
    assert status == 409 and body["outcome"] == "command_refused" and "resolved and verified first" in body["detail"]
    assert call(app, "POST", path, tokens["viewer"], json={"action": "accept"})[0] == 404
    status, body = call(app, "POST", path, tokens["dd-GSH-1"], json={"action": "fly"})
    assert status == 400 and "action must be one of" in body["error"]


def test_a_dispatched_incident_lists_when_its_tier_must_accept_and_an_accepted_one_does_not(world, district):
    app, tokens, found = world.app, world.tokens, world.found
    rows = {i["id"]: i for i in call(app, "GET", "/api/incidents", tokens["dd-GSH-1"])[1]["incidents"]}
    farm = call(app, "GET", f"/api/incidents/{found['farm']}", tokens["dd-GSH-1"])[1]
    paged = [s for s in farm["timeline"] if s["kind"] in ("dispatched", "escalated")][-1]
    timeout = district.policies.tiers[paged["tier"]].accept_timeout_s
    assert rows[found["farm"]]["status"] == "dispatched"
    assert datetime.fromisoformat(rows[found["farm"]]["accept_by"]) == \
        datetime.fromisoformat(paged["at"]) + timedelta(seconds=timeout)
    assert rows[found["tower"]]["accept_by"] is None  # accepted: nobody is waiting
    assert rows[found["report"]]["accept_by"] is None


def test_an_open_incident_lists_when_it_must_be_resolved_to_count_as_on_time(world, district):
    app, tokens, found = world.app, world.tokens, world.found
    rows = {i["id"]: i for i in call(app, "GET", "/api/incidents", tokens["dd-GSH-1"])[1]["incidents"]}
    for name in ("tower", "farm"):  # accepted, dispatched: the alarm plus the class's disposal limit
        row = rows[found[name]]
        limit = district.policies.disposal_s[row["klass"]]
        assert datetime.fromisoformat(row["dispose_by"]) == \
            datetime.fromisoformat(row["opened_at"]) + timedelta(seconds=limit)
    assert rows[found["report"]]["dispose_by"] is None  # closed: on time or not, it is settled
    tower = call(app, "GET", f"/api/incidents/{found['tower']}", tokens["dd-GSH-1"])[1]
    assert (tower["accept_by"], tower["dispose_by"]) == (None, rows[found["tower"]]["dispose_by"])


def test_the_detail_lists_when_each_department_must_accept(world, district):
    app, tokens, found = world.app, world.tokens, world.found
    path = f"/api/incidents/{found['farm']}"
    farm = call(app, "GET", path, tokens["dd-GSH-1"])[1]
    paged = {s["department"]: s["at"] for s in farm["timeline"] if s["kind"] == "dept_dispatched"}
    timeout = timedelta(seconds=district.policies.joint_dispatch.accept_timeout_s)
    assert {d["department"]: datetime.fromisoformat(d["accept_by"]) for d in farm["departments"]} == \
        {name: datetime.fromisoformat(at) + timeout for name, at in paged.items()}
    assert farm["accept_by"] is not None  # the lead tier's clock runs too
    status, body = call(app, "POST", f"{path}/commands", tokens["fire-GSH-1"],
                        json={"action": "accept", "department": "fire"})
    assert status == 200, body
    fire = next(d for d in call(app, "GET", path, tokens["dd-GSH-1"])[1]["departments"] if d["department"] == "fire")
    assert fire["status"] == "accepted" and fire["accept_by"] is None


def test_the_role_and_area_matrix_for_commands(world):
    app, tokens, found = world.app, world.tokens, world.found
    farm, tower = f"/api/incidents/{found['farm']}/commands", f"/api/incidents/{found['tower']}/commands"
    # a grid head can neither see nor accept another grid's incident
    assert call(app, "GET", f"/api/incidents/{found['farm']}", tokens["gh-GSH-JHY-01-03"])[0] == 404
    assert call(app, "POST", farm, tokens["gh-GSH-JHY-01-03"], json={"action": "accept"})[0] == 404
    # a viewer sees its area's incident and may not command it
    status, body = call(app, "POST", tower, tokens["viewer"], json={"action": "on_scene"})
    assert status == 403 and "read only" in body["error"]
    # a revoked token is refused before anything else
    assert call(app, "POST", tower, tokens["revoked"], json={"action": "on_scene"})[0] == 401
    # the grid head may act on their own grid's incident
    status, body = call(app, "POST", tower, tokens["gh-GSH-JHY-01-03"], json={"action": "on_scene"})
    assert status == 200 and body["outcome"] == "on_scene"


def give(world, who: str, incident: str, **body) -> tuple[int, dict]:
    return call(world.app, "POST", f"/api/incidents/{world.found[incident]}/commands", world.tokens[who], json=body)


def actors(world, incident: str) -> list[tuple[str, str]]:
    """(step kind, who gave it) of an incident's timeline after it opened and was first dispatched."""
    body = call(world.app, "GET", f"/api/incidents/{world.found[incident]}", world.tokens["dd-GSH-1"])[1]
    return [(s["kind"], s["actor"]) for s in body["timeline"][2:]]


def check(answer: tuple[int, dict], status: int, expect: str) -> None:
    """200: ``expect`` is the outcome step; otherwise words of the refusal (403: the scope's, 409: the stage's)."""
    code, body = answer
    assert code == status, body
    if status == 200:
        assert body["outcome"] == expect, body
    else:
        assert expect in (body.get("detail") or body.get("error")), body


GH, DUTY, TOWNSHIP = "gh-GSH-JHY-01-03", "dd-GSH-1", "td-JHY"


def test_the_centre_verifies_closes_and_rates_what_the_grid_resolved_and_a_township_reopens_it(world):
    for who, body, status, expect in [
        (GH, {"action": "resolve"}, 200, "resolved"),
        (GH, {"action": "verify"}, 403, "the command centre does the rest"),
        (DUTY, {"action": "close", "reason": "fixed"}, 409, "must be resolved and verified first"),
        (DUTY, {"action": "verify"}, 200, "verified"),
        (GH, {"action": "close", "reason": "fixed"}, 403, "the command centre does the rest"),
        (DUTY, {"action": "close", "reason": "fixed"}, 200, "closed"),
        (TOWNSHIP, {"action": "rate", "score": 4}, 403, "only the district command centre"),
        (DUTY, {"action": "rate", "score": 9}, 409, "a score from 1 to 5"),
        (DUTY, {"action": "rate", "score": 4, "comment": "来得快"}, 200, "rated"),
        (DUTY, {"action": "rate", "score": 5}, 409, "rated already"),
        (TOWNSHIP, {"action": "reopen", "reason": "又冒烟了"}, 200, "reopened"),
    ]:
        check(give(world, who, "tower", **body), status, expect)
    detail = call(world.app, "GET", f"/api/incidents/{world.found['tower']}", world.tokens[DUTY])[1]
    assert detail["rating"] == 4 and detail["status"] == "dispatched" and detail["close_reason"] is None
    assert [a for a in actors(world, "tower") if a[0] != "command_refused"] == [
        ("accepted", GH), ("resolved", GH), ("verified", DUTY), ("closed", DUTY), ("rated", DUTY),
        ("reopened", TOWNSHIP), ("dispatched", TOWNSHIP)]


def test_a_return_needs_a_reason_and_sends_the_incident_a_tier_up(world):
    check(give(world, GH, "tower", action="return"), 409, "needs a reason")
    check(give(world, GH, "tower", action="return", reason="不在本网格"), 200, "returned")
    detail = call(world.app, "GET", f"/api/incidents/{world.found['tower']}", world.tokens[DUTY])[1]
    assert (detail["status"], detail["tier"]) == ("dispatched", "village")
    assert "不在本网格" in detail["timeline"][-2]["detail"]
    # the wooden-village wiring alarm is held at the district, the top tier: nowhere to return it to
    check(give(world, "td-ZC", "farm", action="return", reason="需要供电公司"), 409, "top tier")
    assert actors(world, "tower")[-3:] == [("command_refused", GH), ("returned", GH), ("dispatched", GH)]


def test_escalate_and_reassign_move_the_incident_to_another_tier_or_person(world):
    for who, body, status, expect, tier in [
        (GH, {"action": "escalate"}, 200, "escalated", "village"),
        (GH, {"action": "reassign", "to_tier": "grid"}, 403, "the command centre does the rest", "village"),
        (DUTY, {"action": "reassign", "to_tier": "township"}, 200, "reassigned", "township"),
        (DUTY, {"action": "reassign", "to_person": "nobody-1"}, 409, "not on the roster", "township"),
        (DUTY, {"action": "reassign", "to_person": GH}, 200, "reassigned", "grid"),
    ]:
        check(give(world, who, "tower", **body), status, expect)
        assert call(world.app, "GET", f"/api/incidents/{world.found['tower']}", world.tokens[DUTY])[1]["tier"] == tier
    assert [a for a in actors(world, "tower") if a[0] != "command_refused"] == [
        ("accepted", GH), ("escalated", GH), ("reassigned", DUTY), ("reassigned", DUTY)]


def test_the_tier_village_township_until_and_limit_filters(world):
    app, found, duty = world.app, world.found, world.tokens[DUTY]
    listed = lambda **params: ids(call(app, "GET", "/api/incidents", duty, params=params)[1])  # noqa: E731
    assert listed(tier="district") == {found["farm"]}  # the wooden-village wiring alarm starts at the top
    assert listed(tier="grid") == {found["tower"], found["report"]}
    assert listed(village="金融城社区") == {found["tower"], found["report"]}
    assert listed(village="金融城社区", status="accepted") == {found["tower"]}  # filters combine
    assert listed(township="朱昌镇") == {found["farm"]}  # the district may narrow to any township
    assert listed(until=NOW.isoformat()) == set()  # opened before: all three opened at NOW
    assert listed(until=(NOW + timedelta(seconds=1)).isoformat()) == set(found.values())
    newest = call(app, "GET", "/api/incidents", duty)[1]["incidents"][0]["id"]
    assert listed(limit="1") == {newest}
    status, body = call(app, "GET", "/api/incidents?limit=many", duty)
    assert status == 400 and "limit" in body["error"]
    status, body = call(app, "GET", "/api/incidents", duty, params={"until": "tomorrow"})
    assert status == 400 and "ISO 8601" in body["error"]


def test_today_is_the_districts_day_whatever_the_callers_clock_says(world):
    app, tokens = world.app, world.tokens
    beijing = timezone(timedelta(hours=8))  # the sample policies' Asia/Shanghai
    before = datetime.now(beijing).date()
    status, body = call(app, "GET", "/api/kpis?period=day&date=today", tokens["dd-GSH-1"])
    after = datetime.now(beijing).date()
    assert status == 200 and body["period"] in {before.isoformat(), after.isoformat()}
    month = call(app, "GET", "/api/kpis?period=month&date=today", tokens["dd-GSH-1"])[1]
    assert month["period"] in {f"{before:%Y-%m}", f"{after:%Y-%m}"}
