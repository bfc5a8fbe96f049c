"""notifiers: retry and failover on hand-written fake channels; apprise and the inbox over real loopback HTTP."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Awaitable, Callable, TypeVar

import aiohttp
import pytest

from gridalert.notifiers import AppriseChannel, SendResult, channel_name, deliver, page_person, start_inbox

T = TypeVar("T")

SENT = SendResult.sent()
FLAKY = SendResult.transient("503 from the gateway")
BROKEN = SendResult.permanent("unsupported or malformed channel URL foo://…")


class ScriptedChannel:
    """Answers each send with the next scripted result (the last one repeats) and records the sends."""

    def __init__(self, name: str, *results: SendResult) -> None:
        self.name = name
        self.results = list(results)
        self.sent: list[tuple[str, str]] = []

    async def send(self, title: str, body: str) -> SendResult:
        self.sent.append((title, body))
        return self.results[min(len(self.sent), len(self.results)) - 1]


class RecordingJitter:
    """A random source that records each range it is asked for and always answers 0 (no waiting)."""

    def __init__(self) -> None:
        self.ceilings: list[float] = []

    def uniform(self, a: float, b: float) -> float:
        self.ceilings.append(b)
        return 0.0


def nothing_sent(_key: str) -> bool:
    return False


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)


async def eventually(probe: Callable[[], Awaitable[T]], *, timeout_s: float = 5.0, what: str) -> T:
    """The first truthy ``await probe()``; fail naming ``what`` once the deadline passes."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what} (last value: {last!r})")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- deliver: retry policy ---------------------------------------------------------------------------

def test_deliver_retries_a_retryable_failure_then_succeeds():
    channel = ScriptedChannel("json-0", FLAKY, SENT)
    result, attempts = run(deliver(channel, "t", "b", attempts=3, backoff_s=0.001))
    assert (result, attempts) == (SENT, 2)
    assert channel.sent == [("t", "b"), ("t", "b")]


def test_deliver_does_not_retry_a_permanent_failure():
    channel = ScriptedChannel("json-0", BROKEN, SENT)
    assert run(deliver(channel, "t", "b", attempts=3, backoff_s=0.001)) == (BROKEN, 1)


def test_deliver_returns_the_last_retryable_failure_once_attempts_run_out():
    channel = ScriptedChannel("json-0", FLAKY)
    assert run(deliver(channel, "t", "b", attempts=3, backoff_s=0.001)) == (FLAKY, 3)


def test_deliver_backs_off_exponentially_with_full_jitter_up_to_the_cap():
    jitter = RecordingJitter()
    run(deliver(ScriptedChannel("json-0", FLAKY), "t", "b", attempts=5, backoff_s=0.5, max_backoff_s=1.5,
                rng=jitter))
    assert jitter.ceilings == [0.5, 1.0, 1.5, 1.5]  # uniform(0, min(cap, base·2^n)); no wait after the last


def test_deliver_refuses_a_budget_of_no_attempts():
    with pytest.raises(ValueError, match="attempts"):
        run(deliver(ScriptedChannel("json-0", SENT), "t", "b", attempts=0))


# --- page_person: failover across one person's channels ----------------------------------------------

def test_page_person_fails_over_to_the_second_channel_when_the_first_fails_permanently():
    first, second = ScriptedChannel("mailto-0", BROKEN), ScriptedChannel("json-1", SENT)
    tried = run(page_person("gh-1", [first, second], "t", "b", already_sent=nothing_sent, backoff_s=0.001))
    assert tried == [("mailto-0", BROKEN, 1), ("json-1", SENT, 1)]


def test_page_person_fails_over_when_a_channel_exhausts_its_retries():
    first, second = ScriptedChannel("json-0", FLAKY), ScriptedChannel("json-1", SENT)
    tried = run(page_person("gh-1", [first, second], "t", "b", already_sent=nothing_sent, attempts=2,
                            backoff_s=0.001))
    assert tried == [("json-0", FLAKY, 2), ("json-1", SENT, 1)]


def test_page_person_stops_at_the_first_channel_that_gets_through():
    channels = [ScriptedChannel("json-0", SENT), ScriptedChannel("json-1", SENT)]
    tried = run(page_person("gh-1", channels, "t", "b", already_sent=nothing_sent))
    assert tried == [("json-0", SENT, 1)] and channels[1].sent == []


def test_page_person_reports_every_failed_channel_when_nobody_is_reached():
    channels = [ScriptedChannel("json-0", BROKEN), ScriptedChannel("json-1", BROKEN)]
    tried = run(page_person("gh-1", channels, "t", "b", already_sent=nothing_sent))
    assert [(name, result.ok) for name, result, _ in tried] == [("json-0", False), ("json-1", False)]


@pytest.mark.parametrize("sent_before", ["json-0", "json-1"])
def test_page_person_sends_nothing_again_once_a_channel_is_in_the_sent_log(sent_before):
    channels = [ScriptedChannel("json-0", SENT), ScriptedChannel("json-1", SENT)]
    tried = run(page_person("gh-1", channels, "t", "b", already_sent=lambda key: key == sent_before))
    assert tried == [] and all(c.sent == [] for c in channels)


# --- channel names and URL validation ----------------------------------------------------------------

@pytest.mark.parametrize("url, index, name", [
    ("json://127.0.0.1:8025/inbox/gh-1", 0, "json-0"),
    ("mailto://user:s3cret@example.com", 1, "mailto-1"),
    ("JSONS://Host/x", 2, "jsons-2"),
    ("no scheme at all s3cret", 3, "unknown-3"),
])
def test_channel_name_is_the_scheme_and_position_and_nothing_else(url, index, name):
    assert channel_name(url, index) == name


@pytest.mark.parametrize("url", ["notaurl", "foo://bar", "json://", "json://user:s3cret@"])
def test_a_url_apprise_cannot_parse_fails_permanently_without_showing_it(url):
    result = run(AppriseChannel(url, "x-0", timeout_s=2).send("t", "b"))
    assert (result.ok, result.retryable) == (False, False)
    assert result.error.startswith("unsupported or malformed channel URL") and "s3cret" not in result.error
    assert AppriseChannel.validate(url) == result.error


def test_validate_accepts_a_url_apprise_can_parse():
    assert AppriseChannel.validate("json://127.0.0.1:8025/inbox/gh-1") is None


# --- AppriseChannel over real loopback HTTP ----------------------------------------------------------

async def get_json(port: int, path: str):
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}{path}") as response:
        assert response.status == 200
        return await response.json()


def test_apprise_json_channel_delivers_a_chinese_page_to_the_inbox():
    title, body = "高温告警：金融城第1网格 63.5 °C", "请网格长王芳立即到场核查（派单 #1）"

    async def scenario():
        runner, port = await start_inbox("127.0.0.1", 0)
        try:
            channel = AppriseChannel(f"json://127.0.0.1:{port}/inbox/gh-1", "json-0", timeout_s=5)
            result = await channel.send(title, body)
            pages = await eventually(lambda: get_json(port, "/api/pages/gh-1"), what="a page for gh-1")
            return result, pages, await get_json(port, "/api/pages/other")
        finally:
            await runner.cleanup()

    result, pages, other = run(scenario())
    assert result == SENT
    assert [(p["person_id"], p["title"], p["message"], p["type"]) for p in pages] == [("gh-1", title, body, "info")]
    assert other == []


def test_a_closed_port_fails_retryably_within_the_timeout_and_hides_the_password():
    channel = AppriseChannel(f"json://user:s3cret@127.0.0.1:{closed_port()}/x?+Authorization=Bearer%20t0ken",
                             "json-0", timeout_s=5)
    started = time.monotonic()
    result = run(channel.send("t", "b"))
    assert time.monotonic() - started < 5
    assert (result.ok, result.retryable) == (False, True)
    assert "s3cret" not in result.error and "t0ken" not in result.error
    assert "s3cret" not in repr(channel) and "t0ken" not in repr(channel)


def test_an_endpoint_that_never_answers_times_out_retryably():
    async def scenario():
        silent = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
        port = silent.sockets[0].getsockname()[1]
        async with silent:
            started = time.monotonic()
            result = await AppriseChannel(f"json://127.0.0.1:{port}/x", "json-0", timeout_s=0.3).send("t", "b")
            return result, time.monotonic() - started

    result, elapsed = run(scenario())
    assert (result.ok, result.retryable) == (False, True) and "within 0.3 s" in result.error
    assert elapsed < 2


# --- the inbox itself --------------------------------------------------------------------------------

def test_inbox_answers_400_with_a_reason_to_a_body_that_is_not_json():
    async def scenario():
        runner, port = await start_inbox("127.0.0.1", 0)
        try:
            async with aiohttp.ClientSession() as http:
                async with http.post(f"http://127.0.0.1:{port}/inbox/gh-1", data=b"title=hi") as response:
                    answer = response.status, await response.json()
            return answer, await get_json(port, "/api/pages")
        finally:
            await runner.cleanup()

    (status, body), pages = run(scenario())
    assert status == 400 and "not JSON" in body["error"]
    assert pages == []


def test_inbox_page_shows_people_newest_first_with_text_escaped():
    async def scenario():
        runner, port = await start_inbox("127.0.0.1", 0)
        try:
            async with aiohttp.ClientSession() as http:
                for person, title in [("gh-1", "第一条"), ("dd-1", "<script>x</script>"), ("gh-1", "第二条")]:
                    payload = json.dumps({"version": "1.0", "title": title, "message": "m", "type": "info"})
                    async with http.post(f"http://127.0.0.1:{port}/inbox/{person}", data=payload) as response:
                        assert response.status == 200
                async with http.get(f"http://127.0.0.1:{port}/") as response:
                    return response.headers["Content-Type"], await response.text(), await get_json(port, "/health")
        finally:
            await runner.cleanup()

    content_type, page, health = run(scenario())
    assert content_type == "text/html; charset=utf-8"
    assert page.index("第二条") < page.index("第一条")            # newest first within a person
    assert page.index(">gh-1 ") < page.index(">dd-1 ")              # the person paged last comes first
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
    assert health == {"status": "ok", "pages": 3}
