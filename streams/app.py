"""The one Faust app: settings, topics with their record types, and every stage registered.

``create_app`` builds a fresh app for given settings and district config, so a worker process,
a test and a benchmark each get their own (``create_stage`` also gives what the worker's /metrics
reads). Stages are registered from ``agents/``; this module holds no stage logic.
"""

from __future__ import annotations

import asyncio
import gc
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional

import faust

from gridalert.config.loader import DEVICES, GRIDS, UNITS, DistrictConfig
from gridalert.geo.reload import ReloadingDevices, ReloadingGridMap
from gridalert.config.settings import Settings
from gridalert.streams import topics as names
from gridalert.streams.consumer import GridApp
from gridalert.streams.recovery import GridTableManager
from gridalert.streams.records import Alarm, DeadLetter, Delivery, DispatchOrder, IncidentEvent, LocatedEvent, ValidEvent


@dataclass
class Topics:
    """Faust topic handles, typed by the record each carries."""

    events: faust.TopicT
    dead_letters: faust.TopicT
    validated: faust.TopicT
    located: faust.TopicT
    alarms: faust.TopicT
    incidents: faust.TopicT
    dispatch: dict[str, faust.TopicT]
    deliveries: faust.TopicT

    @classmethod
    def declare(cls, app: faust.App) -> "Topics":
        def topic(name: str, value_type: type) -> faust.TopicT:
            return app.topic(name, key_type=str, value_type=value_type)

        return cls(
            events=app.topic(names.EVENTS, key_type=bytes, value_type=bytes, value_serializer="raw"),
            dead_letters=topic(names.DEAD_LETTERS, DeadLetter),
            validated=topic(names.VALIDATED, ValidEvent),
            located=topic(names.LOCATED, LocatedEvent),
            alarms=topic(names.ALARMS, Alarm),
            incidents=topic(names.INCIDENTS, IncidentEvent),
            dispatch={tier: topic(name, DispatchOrder) for tier, name in names.DISPATCH.items()},
            deliveries=topic(names.DELIVERIES, Delivery),
        )


@dataclass
class Stage:
    """What every agent module's ``register`` gets: the app, its topics, settings and district.

    ``maps`` and ``devices`` follow their files: a new grid map or a moved device applies to the
    next event without a restart (a file with errors is refused and the old one kept).
    """

    app: faust.App
    topics: Topics
    settings: Settings
    config: DistrictConfig
    maps: ReloadingGridMap
    devices: Mapping[str, Any]
    # set by the incident stage: the incidents of the partitions this worker owns (for /metrics)
    owned_incidents: Optional[Callable[[], list]] = None

    def reload(self) -> None:
        """Cheap unless a file changed (a stat at most once a second); blocking, so the app runs
        it in a thread every second and agents only read ``maps.current`` and ``devices``."""
        changed = self.maps.maybe_reload()
        if isinstance(self.devices, ReloadingDevices):
            changed = self.devices.maybe_reload() or changed
        if changed:
            settle_long_lived()


def settle_long_lived() -> None:
    """Move every object alive now out of the cyclic garbage collector's sight (``gc.freeze``).

    A loaded map is millions of long-lived objects (a province's 100,000 grids: geometries, their
    index, a Place per grid). Each full collection walked them all, and a busy worker makes one
    every few seconds: on the province map a worker used 1,073 µs of CPU per event without this
    and 960 µs with it (docs/performance.md). Frozen objects are still freed when nothing refers
    to them any more (a map replaced by a reload goes with its last reference); only garbage in
    reference cycles among them would stay, which a map does not make.
    """
    gc.freeze()


def create_app(settings: Settings, config: DistrictConfig) -> faust.App:
    return create_stage(settings, config).app


def create_stage(settings: Settings, config: DistrictConfig) -> Stage:
    """The app with every stage registered, and what the worker's /metrics reads of them."""
    from gridalert.agents import register_all
    from gridalert.agents.boundary import DEAD_LETTER_LOG

    # GridApp: faust.App whose consumer never skips a record it fetched (streams/consumer.py).
    app = GridApp(
        settings.app_id,
        broker=settings.broker,
        store="memory://",
        datadir=str(settings.data_dir / "faust"),  # not "<app id>-data" in whatever directory it was started from
        autodiscover=False,
        topic_partitions=settings.partitions,
        topic_allow_declare=True,
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
        broker_rebalance_timeout=settings.rebalance_timeout_s,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=min(1.0, settings.session_timeout_s / 4),
        broker_commit_interval=settings.commit_interval_s,
        producer_acks=-1,
        producer_max_request_size=names.DEAD_LETTER_MAX_MESSAGE_BYTES,  # the biggest record we send
        key_serializer="raw",
        value_serializer="json",
        # Seeks the stream partitions before resuming them after table recovery: faust's own order
        # loses or repeats events when a worker starts on a backlog (see streams/recovery.py).
        TableManager=GridTableManager,
    )
    devices_file, units_file = config.directory / DEVICES, config.directory / UNITS
    devices = ReloadingDevices(devices_file) if devices_file.exists() else config.devices
    stage = Stage(app=app, topics=Topics.declare(app), settings=settings, config=config,
                  maps=ReloadingGridMap(config.directory / GRIDS, units=units_file if units_file.exists() else None),
                  devices=devices)
    register_all(stage)
    settle_long_lived()  # the map, the device registry and the district are here for the worker's life

    @app.timer(interval=1.0)
    async def follow_files() -> None:
        # Off the event loop: loading a changed county map takes seconds, a province map a minute.
        await asyncio.to_thread(stage.reload)

    @app.timer(interval=DEAD_LETTER_LOG.interval_s)
    async def log_dead_letters() -> None:
        DEAD_LETTER_LOG.flush()  # the count of a flood's tail, once it has stopped

    return stage
