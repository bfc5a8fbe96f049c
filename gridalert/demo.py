"""The demo scenario: the 02:15 abnormal-heat alarm on an office tower, and what goes wrong around it.

Plays a short script into a running pipeline and narrates what a duty officer would see:
a normal reading (nothing), three hot frames (an incident and a page to the grid head), the same
frame again (nothing new), a later hot reading of the same fire (nobody paged twice), malformed
input and an unknown type (dead-letter topic), and hot frames outside every grid (the district
duty officer is paged).
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

from gridalert.config.loader import DistrictConfig
from gridalert.config.settings import Settings
from gridalert.streams.producer import produce_events

ACCEPT_LINK = re.compile(r"https?://\S+/a/[A-Za-z0-9_.-]+")
CAMERA = "tc-jrc-01"  # thermal camera on the Financial City office tower (devices.yaml)
GAP_POINT = (106.6260, 26.6190)  # between villages: in no grid (see geo.sample)
BEIJING = timezone(timedelta(hours=8))


def heat(event_id: str, temperature: float, *, at: datetime, **where) -> dict:
    data = {"temperature_c": temperature, **where}
    return {"specversion": "1.0", "id": event_id, "source": "urn:gridalert:demo:thermal",
            "type": "heat.reading", "time": at.isoformat(), "datacontenttype": "application/json",
            "data": data}


def scenario(run_id: str, now: datetime) -> list[tuple[str, bytes]]:
    """(what a person should notice, message) pairs, in the order they are sent.

    The camera sends a frame every 5 s; the detector alarms after three frames at or above 50 °C
    (``detectors.heat.persist_frames``), so one hot frame (a reflection) would page nobody.
    """
    at = now.astimezone(BEIJING)
    frame = lambda n: at + timedelta(seconds=5 * n)  # noqa: E731
    roof = {"device": CAMERA, "zone": "A座屋顶空调外机 rooftop AC unit"}
    third = heat(f"demo-{run_id}-4", 63.5, at=frame(3), **roof)
    # a roadside camera between villages: its frames share a device id, so they keep their order
    gap = {"device": "tc-gap-01", "lon": GAP_POINT[0], "lat": GAP_POINT[1]}
    steps = [
        ("normal reading 36.5 °C: nothing happens", heat(f"demo-{run_id}-1", 36.5, at=frame(0), **roof)),
        ("61.2 and 62.8 °C: hot, but not yet for three frames", heat(f"demo-{run_id}-2", 61.2, at=frame(1), **roof)),
        (None, heat(f"demo-{run_id}-3", 62.8, at=frame(2), **roof)),
        ("63.5 °C, the third hot frame: incident opened, grid head paged", third),
        ("the same frame again (gateway retry): nothing new", third),
        ("58.0 °C a minute later: the same fire, nobody paged twice",
         heat(f"demo-{run_id}-5", 58.0, at=frame(12), **roof)),
        ("69–71 °C for three frames outside every grid: district duty officer paged (never dropped)",
         heat(f"demo-{run_id}-6", 69.0, at=frame(0), **gap)),
        (None, heat(f"demo-{run_id}-7", 70.2, at=frame(1), **gap)),
        (None, heat(f"demo-{run_id}-8", 71.0, at=frame(2), **gap)),
    ]
    messages = [(note, json.dumps(event, ensure_ascii=False).encode()) for note, event in steps]
    messages.append(("malformed JSON: dead-letter topic, with the reason", b'{"specversion": "1.0", "id": '))
    messages.append(("unknown type smoke.reading: dead-letter topic",
                     json.dumps({**heat(f"demo-{run_id}-9", 40, at=at, device=CAMERA), "type": "smoke.reading"}).encode()))
    return messages


def inbox_pages(port: int) -> list[dict]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/pages", timeout=5) as response:
        return json.loads(response.read())


def play(settings: Settings, district: DistrictConfig, *, say=print, wait_s: float = 90) -> list[dict]:
    run_id = uuid.uuid4().hex[:6]
    messages = scenario(run_id, datetime.now(timezone.utc))
    say("\nplaying the demo scenario:")
    for note, _ in messages:
        if note:
            say(f"  → {note}")
    before = len(inbox_pages(settings.inbox_port))
    produce_events(settings.bootstrap_servers, [m for _, m in messages])
    expected = 2  # the grid head for the tower, the district duty officer for the gap
    deadline = time.monotonic() + wait_s
    pages: list[dict] = []
    while time.monotonic() < deadline:
        pages = inbox_pages(settings.inbox_port)[before:]
        if len(pages) >= expected:
            break
        time.sleep(0.5)
    say(f"\npages received by the inbox ({len(pages)}):")
    for page in pages:
        person = district.person(page.get("person_id", ""))
        who = f"{person.name} ({person.role.value}, {person.area})" if person else page.get("person_id")
        say(f"  {who}: {page.get('title')}")
        link = ACCEPT_LINK.search(page.get("message", ""))
        if link:
            say(f"    accept (open in a browser, press the button): {link.group(0)}")
    if len(pages) < expected:
        say(f"  (expected {expected} within {wait_s:.0f} s; see {settings.data_dir / 'worker.log'})")
    say(f"\nwhere to look:\n"
        f"  pages per person:   http://127.0.0.1:{settings.inbox_port}/\n"
        f"  dashboard:          http://127.0.0.1:{settings.web_port}/   (sign in with a token from "
        f"`gridalert token create --person dd-GSH-1`)\n"
        f"  incidents:          gridalert incidents   (GRIDALERT_DATABASE_URL={settings.effective_database_url})\n"
        f"  one timeline:       gridalert incidents <INCIDENT-ID>\n"
        f"  send your own:      GRIDALERT_BROKER={settings.broker} gridalert send events.json\n")
    return pages
