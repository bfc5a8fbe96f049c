"""The worker's operational surface: ``/health``, ``/ready`` and ``/metrics`` on its own small port.

A small aiohttp server (not Faust's web, which would also serve Faust's own pages) that starts
before the app, so ``/health`` answers while the worker still joins its group and recovers its
tables, and stops after it, so ``/ready`` says "stopping" while a SIGTERM drains the stream.

- ``GET /health``: 200 whenever the event loop answers (liveness).
- ``GET /ready``: 200 once Faust's worker is ready (group joined, tables recovered), no rebalance
  or recovery is under way and a broker accepts a connection; else 503 with the reason.
- ``GET /metrics``: Prometheus text: the counters of ``gridalert.metrics.WORKER`` and the state
  read at scrape time (consumer lag, open and overdue incidents per tier).

Must not: change the pipeline's state; every read here is of this worker's memory, except the
broker's TCP check.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from datetime import datetime, timezone
from typing import Iterator, Optional

import faust
import mode
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from gridalert import metrics
from gridalert.streams.app import Stage
from gridalert.streams.topics import ALL

log = logging.getLogger("gridalert.ops")
BROKER_CHECK_S = 1.0


def listen(host: str, port: int) -> socket.socket:
    """Bind the port now, so a taken port stops the worker with a message before Faust starts."""
    return socket.create_server((host, port))


def not_ready(*, started: bool, stopping: bool, rebalancing: bool, recovering: bool,
              broker: Optional[str]) -> Optional[str]:
    """Why the worker is not ready, or None when it is. ``broker``: why no broker answered, or None."""
    if stopping:
        return "stopping: finishing the messages in hand and leaving the consumer group"
    if not started:
        return "starting: joining the consumer group and recovering tables"
    if rebalancing:
        return "rebalancing: partitions are moving between workers"
    if recovering:
        return "recovering tables after a rebalance"
    return broker


async def broker_unreachable(servers: list[str], timeout_s: float = BROKER_CHECK_S) -> Optional[str]:
    """None if any bootstrap server accepts a TCP connection within ``timeout_s``; else why not."""
    problems = []
    for server in servers:
        host, _, port = server.rpartition(":")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host.strip("[]"), int(port)), timeout_s)
        except (OSError, ValueError, asyncio.TimeoutError) as exc:
            problems.append(f"{server} ({exc.strerror if isinstance(exc, OSError) and exc.strerror else 'no answer'})")
            continue
        writer.close()
        return None
    return "broker unreachable: " + ", ".join(problems)


class PipelineState:
    """A Prometheus collector: what this worker holds, read when Prometheus scrapes."""

    def __init__(self, stage: Stage, server: "OpsServer"):
        self.stage, self.server = stage, server

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("gridalert_worker_ready", "1 when the worker is ready (as /ready, without its "
                                "broker check)", value=int(self.server.why_not_ready() is None))
        lag = GaugeMetricFamily("gridalert_consumer_lag", "Messages written but not yet committed by this worker's "
                                "consumer group, per partition it owns", labels=["topic", "partition"])
        open_ = GaugeMetricFamily("gridalert_open_incidents", "Open incidents of the partitions this worker owns",
                                  labels=["tier"])
        overdue = GaugeMetricFamily("gridalert_overdue_incidents", "Open incidents whose next step's deadline "
                                    "passed more than a second ago", labels=["tier"])
        if self.server.faust_ready:  # before that the consumer and the tables are not there to read
            for tp, behind in sorted(partition_lags(self.stage.app).items()):
                lag.add_metric([tp.topic, str(tp.partition)], behind)
            incidents = self.stage.owned_incidents() if self.stage.owned_incidents else []
            by_tier, late = metrics.incidents_by_tier(incidents, datetime.now(timezone.utc))
            for tier, count in by_tier.items():
                open_.add_metric([tier], count)
                overdue.add_metric([tier], late[tier])
        yield from (lag, open_, overdue)


def partition_lags(app: faust.App) -> dict:
    """Lag of each pipeline partition assigned to this worker (changelogs and standbys left out)."""
    consumer = app.consumer
    try:
        assigned = [tp for tp in consumer.assignment() if tp.topic in ALL]
    except Exception:  # noqa: BLE001 - no consumer yet, or between two assignments: nothing to say
        return {}
    highwaters = {}
    for tp in assigned:
        try:
            highwaters[tp] = consumer.highwater(tp)
        except Exception:  # noqa: BLE001 - revoked since the assignment was read
            continue
    # Faust keeps the offsets it committed itself; there is no public accessor for them
    committed = {tp: consumer._committed_offset.get(tp) for tp in assigned}
    return metrics.consumer_lag(highwaters, committed)


class OpsServer(mode.Service):
    """Serves /health, /ready and /metrics on ``sock`` for as long as the worker runs."""

    def __init__(self, stage: Stage, sock: socket.socket, **kwargs):
        super().__init__(**kwargs)
        self.stage, self.sock = stage, sock
        self.faust_ready = False  # Faust's worker said "Ready" (see ``Worker``)
        self.registry = CollectorRegistry()
        self.registry.register(PipelineState(stage, self))
        self._runner: Optional[web.AppRunner] = None

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"http://{host}:{port}/"

    async def on_start(self) -> None:
        app = web.Application()
        app.router.add_get("/health", self.health)
        app.router.add_get("/ready", self.readiness)
        app.router.add_get("/metrics", self.metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, self.sock).start()
        log.info("health and metrics on %s (/health, /ready, /metrics)", self.url)

    async def on_stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    def why_not_ready(self) -> Optional[str]:
        """What keeps the worker from being ready, the broker aside."""
        app = self.stage.app
        return not_ready(started=self.faust_ready, stopping=app.should_stop or self.should_stop,
                         rebalancing=app.rebalancing, recovering=app.in_recovery, broker=None)

    async def readiness(self, request: web.Request) -> web.Response:
        reason = self.why_not_ready()
        if reason is None:
            reason = await broker_unreachable(self.stage.settings.bootstrap_servers)
        if reason is not None:
            return web.json_response({"ready": False, "reason": reason}, status=503)
        return web.json_response({"ready": True})

    async def metrics(self, request: web.Request) -> web.Response:
        body = generate_latest(metrics.WORKER) + generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


class Worker(faust.Worker):
    """Faust's worker, with the ops server started first and told when Faust is ready."""

    def __init__(self, stage: Stage, ops: OpsServer, **kwargs):
        super().__init__(stage.app, ops, **kwargs)
        self.ops = ops

    async def on_startup_finished(self) -> None:
        await super().on_startup_finished()
        self.ops.faust_ready = True
