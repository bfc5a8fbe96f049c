"""The duty officer's dashboard in a real browser: headless Chromium renders the page that
``gridalert web`` serves, against the real pipeline, and we read what a duty officer would see.

Chromium comes from Debian's packages (``.ci/chromium.sh``; CI exports ``GRIDALERT_TEST_CHROMIUM``).
Without it the test is skipped on a developer's machine and fails where a browser run was asked
for: ``CI`` set, or ``GRIDALERT_TEST_CHROMIUM`` set (to a path that is not a runnable browser).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from tests.e2e.test_api import token_for
from tests.support.pipeline import alarm_in, http, incidents_where
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

CHROMIUM_ENV = "GRIDALERT_TEST_CHROMIUM"
SAMPLE_GRIDS = 34
GRID = "GSH-JHY-01-02"


@pytest.fixture(scope="module")
def chromium() -> str:
    found = os.environ.get(CHROMIUM_ENV) or next(
        (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
    if found and os.access(found, os.X_OK):
        return found
    skip_or_fail(f"no Chromium at {found}" if found else
                 f"no Chromium: set {CHROMIUM_ENV} or run `bash .ci/chromium.sh` (apt-get install chromium)")


def skip_or_fail(reason: str) -> None:
    """Skip a browser test on a developer's machine; fail it where a browser run was asked for
    (``CI``, or ``GRIDALERT_TEST_CHROMIUM`` as ``.ci/run`` exports it): a silent skip there would
    hide a broken install."""
    if os.environ.get("CI") or os.environ.get(CHROMIUM_ENV):
        pytest.fail(reason)
    pytest.skip(reason)


def browse(chromium: str, url: str, tmp_path, *what: str) -> subprocess.CompletedProcess:
    return subprocess.run([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'chromium-profile'}",
                           "--window-size=1400,1400", "--hide-scrollbars", "--virtual-time-budget=15000", *what, url],
                          capture_output=True, text=True, timeout=120)


def rendered(chromium: str, url: str, tmp_path) -> str:
    """The page's DOM after its scripts ran (fetches, map, charts), as Chromium serialises it.

    With ``GRIDALERT_TEST_SCREENSHOT=file.png`` set, a screenshot of the page too, to look at.
    """
    run = browse(chromium, url, tmp_path, "--dump-dom")
    assert run.returncode == 0 and "<html" in run.stdout, run.stderr[-3000:]
    if os.environ.get("GRIDALERT_TEST_SCREENSHOT"):
        browse(chromium, url, tmp_path, f"--screenshot={os.environ['GRIDALERT_TEST_SCREENSHOT']}")
    return run.stdout


def tag_with(dom: str, tag: str, attribute: str, value: str) -> str:
    match = re.search(rf'<{tag}\b[^>]*\b{attribute}="{re.escape(value)}"[^>]*>', dom)
    assert match, f"no <{tag} {attribute}={value!r}> in the page"
    return match.group(0)


def test_the_duty_officer_sees_the_grids_the_new_incident_in_its_tier_and_the_key_figures(
        pipeline, sessions, web, chromium, tmp_path):
    token = token_for(pipeline, "dd-GSH-1")
    event = alarm_in(pipeline, GRID)
    [incident] = wait_until(lambda: incidents_where(sessions, lambda i: i.source_event_id == event["id"]
                                                    and i.status == "dispatched"),
                            timeout_s=60, what="the heat alarm's incident, dispatched")

    dom = rendered(chromium, f"{web}/#token={token}&incident={incident.id}", tmp_path)

    grids = re.findall(r'<path\b[^>]*\bdata-grid-id="([^"]+)"', dom)
    assert len(grids) == len(set(grids)) == SAMPLE_GRIDS  # every grid of the sample map drawn once
    assert 'data-severity="high"' in tag_with(dom, "path", "data-grid-id", GRID)
    assert 'data-severity="none"' in tag_with(dom, "path", "data-grid-id", "GSH-ZC-03-01")

    tier = re.search(r'<section\b[^>]*data-tier="grid"[^>]*>(.*?)</section>', dom, re.S)
    assert tier and f'data-incident-id="{incident.id}"' in tier.group(1), "the incident is not in the grid tier"
    item = re.search(rf'<li\b[^>]*data-incident-id="{re.escape(incident.id)}"[^>]*>(.*?)</li>', dom, re.S).group(1)
    assert incident.title in item and "已派单" in item  # in Chinese by default
    assert re.search(r'data-clock="deadline"[^>]*>接单时限 \d\d:\d\d<', item), item  # the accept countdown

    kpis = re.search(r'<section\b[^>]*id="kpis"[^>]*>(.*?)</section>', dom, re.S).group(0)
    assert 'data-state="drawn"' in kpis
    for chart in ("chart-rates", "chart-p90", "chart-means", "chart-departments", "chart-dept-times"):
        assert re.search(rf'id="{chart}".*?<svg', kpis, re.S), chart
    assert token not in dom  # the token left the address bar

    detail = re.search(r'<section\b[^>]*id="detail"[^>]*>(.*?)</section>', dom, re.S).group(0)
    assert "hidden" not in detail[:detail.index(">")] and incident.id in detail  # opened by #incident=
    assert {"accept", "on_scene", "resolve", "verify", "close", "escalate", "return", "reassign", "silence", "rate",
            "reopen"} <= \
        set(re.findall(r'data-action="(\w+)"', detail))
    assert "已派单" in detail and "处置经过" in detail  # its timeline, in Chinese
    # both its deadlines count down: accept (dispatched), and resolve within the on-time limit
    assert re.search(r'data-deadline="accept_by"[^>]*>接单时限 \d\d:\d\d<', detail), detail
    assert re.search(r'data-deadline="dispose_by"[^>]*>处置时限 (\d+天 )?\d+:\d\d:\d\d<', detail), detail


def test_the_web_app_serves_the_page_libraries_from_npm_and_nothing_else_of_node_modules(web):
    status, text = http("GET", f"{web}/static/vendor/leaflet/leaflet.js")
    assert status == 200 and "Leaflet" in text[:400]
    assert http("GET", f"{web}/static/vendor/leaflet/../../package.json")[0] == 404
    assert http("GET", f"{web}/static/vendor/tslib/tslib.js")[0] == 404  # only the page's libraries
