"""The command centre's API on the real pipeline: events in over HTTP, incidents and commands out.

The web app runs as its own process (``gridalert web``) beside the worker; tokens are made with
``gridalert token create`` as an operator would.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import uuid
from datetime import datetime, timezone

import pytest

from tests.support.pipeline import chain_of, heat, http, incidents_where, point_in, timeline_once
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


def token_for(pipeline, person: str) -> str:
    made = subprocess.run([sys.executable, "-m", "gridalert", "token", "create", "--person", person],
                          env=pipeline.worker.env, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    return next(word for word in made.stdout.split() if word.startswith("gat_"))


def api(method: str, url: str, token: str, body=None, content_type: str = "application/json", headers=None):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body, ensure_ascii=False).encode()
    status, text = http(method, url, data=data, headers={"Authorization": f"Bearer {token}",
                                                          "Content-Type": content_type, **(headers or {})})
    return status, json.loads(text)


def test_an_event_posted_over_http_becomes_an_incident_the_grid_head_accepts_through_the_api(
        pipeline, district, sessions, web):
    grid = "GSH-SJC-01-02"
    head = chain_of(district, grid)[0]
    duty, grid_head = token_for(pipeline, "dd-GSH-1"), token_for(pipeline, head)
    lon, lat = point_in(pipeline.config_dir, grid)
    event = heat(77.0, lon=lon, lat=lat, device=f"tc-{uuid.uuid4().hex[:6]}")
    status, body = api("POST", f"{web}/api/events", duty, event, "application/cloudevents+json")
    assert (status, body["rejected"]) == (202, 0), body

    status, body = api("POST", f"{web}/api/events", duty, b'{"specversion": "1.0", "id":',
                       "application/cloudevents+json")
    assert status == 400 and "not valid JSON" in body["results"][0]["reason"]

    [incident] = wait_until(lambda: incidents_where(sessions, lambda i: i.source_event_id == event["id"]),
                            timeout_s=60, what="the incident of the event posted over HTTP")
    status, body = api("GET", f"{web}/api/incidents?grid={grid}", grid_head)
    assert status == 200 and incident.id in {i["id"] for i in body["incidents"]}

    status, body = api("POST", f"{web}/api/incidents/{incident.id}/commands", grid_head, {"action": "accept"})
    assert status == 200 and body["outcome"] == "accepted", body
    steps = timeline_once(sessions, incident.id, lambda steps: any(s.kind == "accepted" for s in steps),
                          what="the acceptance in the timeline")
    assert [s.actor for s in steps if s.kind == "accepted"] == [head]


def test_a_binary_mode_event_and_an_open311_report_reach_the_pipeline(pipeline, district, sessions, web):
    grid = "GSH-SJC-02-02"
    duty = token_for(pipeline, "dd-GSH-1")
    lon, lat = point_in(pipeline.config_dir, grid)
    event_id = f"bin-{uuid.uuid4().hex[:8]}"
    status, body = api("POST", f"{web}/api/events", duty,
                       {"lon": lon, "lat": lat, "device": f"tc-{event_id}", "temperature_c": 81.5},
                       headers={"ce-specversion": "1.0", "ce-id": event_id, "ce-source": "urn:test:http",
                                "ce-type": "heat.reading", "ce-time": datetime.now(timezone.utc).isoformat()})
    assert status == 202, body
    wait_until(lambda: incidents_where(sessions, lambda i: i.source_event_id == event_id), timeout_s=60,
               what="the incident of the binary-mode event")

    form = urllib.parse.urlencode({"api_key": duty, "service_code": "fire_lane_blocked", "lat": lat, "long": lon,
                                   "description": "消防通道被堵", "phone": "13800009999"}).encode()
    status, text = http("POST", f"{web}/open311/v2/requests.json", data=form,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, text
    request_id = json.loads(text)[0]["service_request_id"]
    [incident] = wait_until(lambda: incidents_where(sessions, lambda i: request_id in i.dedup_key), timeout_s=60,
                            what="the Open311 report's incident")
    assert incident.type == "citizen.report" and "消防通道堵塞" in incident.title
    status, text = http("GET", f"{web}/open311/v2/requests/{request_id}.json?api_key={duty}")
    assert status == 200 and json.loads(text)[0]["status"] == "open"
