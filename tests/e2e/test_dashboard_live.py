"""A night at the dashboard, in a real browser: an alarm arrives without reloading, the duty
officer accepts it with a click, the countdown stops; once resolved, the incident waits under
待核实 / 办结 / 评价, where the duty officer finds it to verify, close and rate it.

Playwright for Python drives Debian's chromium (``executable_path``; nothing is downloaded). The
page's Chinese is drawn with Noto Sans CJK SC from the ``report`` extra (``mplfonts``) through a
fontconfig file of the test's own, so the screenshot is readable on machines without CJK fonts.
``GRIDALERT_DASHBOARD_SCREENSHOT=docs/images/dashboard.png`` keeps the screenshot (README shows it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.e2e.test_api import token_for
from tests.e2e.test_dashboard import chromium  # noqa: F401 - the fixture: Debian's chromium, or skip/fail
from tests.e2e.test_dashboard import CHROMIUM_ENV, skip_or_fail
from tests.support.pipeline import alarm_in, incidents_where
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

GRID = "GSH-JHY-03-02"
SAMPLE_GRIDS = 34


def fontconfig(tmp_path: Path) -> dict[str, str]:
    """Environment for chromium: the system's fonts plus Noto Sans CJK SC."""
    try:
        import mplfonts
    except ImportError:
        return {}
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
                    f'<dir>{Path(mplfonts.__file__).parent / "fonts"}</dir>'
                    f'<cachedir>{tmp_path / "fontcache"}</cachedir></fontconfig>', encoding="utf-8")
    return {"FONTCONFIG_FILE": str(conf)}


def playwright_sync_api():
    """Playwright's sync API; when it cannot be imported, skipped or failed as a missing Chromium is."""
    try:
        from playwright import sync_api
    except ImportError as exc:
        skip_or_fail(f"Playwright for Python cannot be imported ({exc}): pip install -e '.[dev]'")
    return sync_api


@pytest.mark.parametrize("asked_for, outcome", [
    ({CHROMIUM_ENV: "/usr/bin/chromium"}, pytest.fail.Exception),  # .ci/run exports it
    ({"CI": "true"}, pytest.fail.Exception),
    ({}, pytest.skip.Exception),  # a developer's machine without the browser tools
])
def test_without_playwright_the_browser_test_fails_where_a_browser_run_was_asked_for(monkeypatch, asked_for, outcome):
    monkeypatch.setitem(sys.modules, "playwright", None)  # `from playwright import …` raises ImportError
    for name in (CHROMIUM_ENV, "CI"):
        monkeypatch.delenv(name, raising=False)
    for name, value in asked_for.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(outcome, match="Playwright for Python cannot be imported"):
        playwright_sync_api()


def test_an_alarm_appears_live_and_is_accepted_from_the_dashboard(pipeline, sessions, web, chromium, tmp_path):  # noqa: F811
    sync_api = playwright_sync_api()
    token = token_for(pipeline, "dd-GSH-1")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            env={**os.environ, **fontconfig(tmp_path)})
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
            page.goto(f"{web}/#token={token}")
            expect = sync_api.expect
            expect(page.locator("#map path[data-grid-id]")).to_have_count(SAMPLE_GRIDS, timeout=30_000)
            page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page

            event = alarm_in(pipeline, GRID)
            [incident] = wait_until(lambda: incidents_where(sessions, lambda i: i.source_event_id == event["id"]),
                                    timeout_s=60, what="the incident in the database")
            item = page.locator(f'#queue li[data-incident-id="{incident.id}"]')
            expect(item).to_be_visible(timeout=30_000)
            expect(item).to_have_attribute("data-status", "dispatched")
            expect(item.locator('[data-clock="deadline"]')).to_contain_text("接单时限")
            expect(page.locator(f'#map path[data-grid-id="{GRID}"]')).to_have_attribute(
                "data-severity", "high", timeout=30_000)

            item.click()
            page.locator('#detail-body button[data-action="accept"]').click()
            expect(page.locator("#detail-body .outcome.ok")).to_be_visible(timeout=30_000)
            expect(item).to_have_attribute("data-status", "accepted", timeout=30_000)
            expect(item.locator('[data-clock="deadline"]')).to_have_count(0)  # the countdown stopped
            # the next deadline runs: resolved within the class's limit, the one the on-time rate uses
            expect(item.locator('[data-clock="dispose"]')).to_contain_text("处置时限")
            expect(page.locator('#detail-body [data-deadline="dispose_by"]')).to_contain_text("处置时限",
                                                                                            timeout=30_000)
            expect(page.locator("#kpi-note")).not_to_contain_text("无事件", timeout=30_000)  # figures follow live
            page.locator('#detail-body button[data-action="silence"]').click()  # 60 minutes by default
            expect(page.locator("#detail-body .outcome.ok")).to_contain_text("silenced until", timeout=30_000)
            assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
            assert "null" not in page.locator("#detail-body").inner_text()  # no absent section shown as "null"

            # One step in the page: the stream may redraw the detail between finding a button and scrolling to it.
            page.evaluate("document.querySelector('#detail-body button[data-action=\"accept\"]')?.scrollIntoView()")
            shot = os.environ.get("GRIDALERT_DASHBOARD_SCREENSHOT") or str(tmp_path / "dashboard.png")
            page.screenshot(path=shot, full_page=True)
            assert Path(shot).stat().st_size > 50_000

            # Resolved, it leaves the queue; the duty officer reaches it again from the follow-up
            # section, with no address typed, and takes it through verify, close and rate.
            def waiting(status: str):
                return page.locator(f'#follow-up [data-follow-up="{status}"] li[data-incident-id="{incident.id}"]')

            page.locator('#detail-body button[data-action="resolve"]').click()
            expect(waiting("resolved")).to_be_visible(timeout=30_000)
            expect(item).to_have_count(0)  # gone from the open queue
            page.locator("#detail-close").click()
            expect(page.locator("#detail")).to_be_hidden()
            waiting("resolved").click()
            expect(page.locator("#detail-body .status.st-resolved")).to_be_visible(timeout=30_000)
            page.locator('#detail-body button[data-action="verify"]').click()
            expect(waiting("verified")).to_be_visible(timeout=30_000)
            waiting("verified").click()
            expect(page.locator("#detail-body .status.st-verified")).to_be_visible(timeout=30_000)
            page.locator('#detail-body .with-reason select[aria-label="原因"]').select_option("fixed")
            page.locator('#detail-body button[data-action="close"]').click()
            expect(waiting("closed")).to_be_visible(timeout=30_000)
            waiting("closed").click()
            expect(page.locator("#detail-body .status.st-closed")).to_be_visible(timeout=30_000)
            page.locator('#detail-body button[data-action="rate"]').click()  # 5★ by default
            expect(page.locator(f'#follow-up li[data-incident-id="{incident.id}"]')).to_have_count(0, timeout=30_000)
            assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
        finally:
            browser.close()
    with sessions() as session:
        from gridalert.store import get_timeline
        steps = get_timeline(incident.id, session=session)
    assert [(s.kind, s.actor) for s in steps if s.kind in ("accepted", "resolved", "verified", "closed", "rated")] == [
        ("accepted", "dd-GSH-1"), ("resolved", "dd-GSH-1"), ("verified", "dd-GSH-1"), ("closed", "dd-GSH-1"),
        ("rated", "dd-GSH-1")]
