"""The ``gridalert`` command: run, demo, worker, web, send, incidents, command, check, oncall.

Every expected failure (bad config, broker or database unreachable) ends with a plain message
and a non-zero exit code, never a traceback: the reader may be a duty officer at 2 a.m.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo

import typer
from pydantic import ValidationError

from gridalert.config import ConfigErrors, Settings
from gridalert.geo.cli import geo_app

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Alert and dispatch pipeline for grid-based community governance.")
app.add_typer(geo_app, name="geo")

ConfigOption = typer.Option(None, "--config", "-c", help="configuration directory (default: GRIDALERT_CONFIG_DIR or the sample district)")

EXIT_CONFIG, EXIT_UNAVAILABLE = 2, 3


def fail(message: str, code: int) -> "typer.Exit":
    typer.echo(message, err=True)
    return typer.Exit(code)


def settings_for(config_dir: Optional[Path]) -> Settings:
    if config_dir is not None:
        os.environ["GRIDALERT_CONFIG_DIR"] = str(config_dir.resolve())
    try:
        return Settings()
    except ValidationError as exc:
        lines = [f"  GRIDALERT_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg'].removeprefix('Value error, ')}"
                 for e in exc.errors()]
        raise fail("gridalert cannot start: bad environment setting\n" + "\n".join(lines), EXIT_CONFIG) from None


def load(settings: Settings):
    from gridalert.config.loader import load_config

    try:
        return load_config(settings.config_dir)
    except ConfigErrors as exc:
        raise fail(f"gridalert cannot start: the configuration has problems\n{exc.render()}", EXIT_CONFIG) from None


def unavailable(exc: Exception) -> "typer.Exit":
    return fail(f"gridalert: {exc}", EXIT_UNAVAILABLE)


@app.command()
def check(config: Optional[Path] = ConfigOption) -> None:
    """Check the configuration directory and say what it holds."""
    settings = settings_for(config)
    district = load(settings)
    typer.echo(f"{settings.config_dir}: OK — {len(district.grids)} grids in {district.grids.district}, "
               f"{len(district.roster.staff)} staff, {len(district.devices)} devices, "
               f"{len(district.schedules.schedules)} duty schedules"
               + (f", {len(district.units)} ten-household units" if district.units else ""))


def _serve(settings: Settings, *, inbox: bool, web: bool = True, then=None) -> None:
    from gridalert.runner import ChildFailed, Runner
    from gridalert.store import DatabaseUnavailable
    from gridalert.streams.broker import BrokerUnavailable

    runner = Runner(settings, inbox=inbox, web=web)
    try:
        runner.start()
        if then is not None:
            then(runner)
        typer.echo("running — press Ctrl-C to stop")
        runner.watch()
    except (BrokerUnavailable, DatabaseUnavailable, ChildFailed) as exc:
        raise unavailable(exc) from None
    except KeyboardInterrupt:
        pass
    finally:
        typer.echo("stopping…")
        runner.stop()
        typer.echo("stopped")


EmbeddedBrokerOption = typer.Option(
    None, "--embedded-broker", help="tansu (default: in memory, Faust/kafka-python clients) or kafka (Apache Kafka "
    "from Maven Central, kept in the data directory, serves librdkafka clients such as kcat too; needs Java and Maven)")


def _with_embedded_broker(settings: Settings, kind: Optional[str]) -> Settings:
    if kind is None:
        return settings
    if kind not in ("tansu", "kafka"):
        raise fail(f"--embedded-broker must be tansu or kafka, not {kind!r}", EXIT_CONFIG)
    return settings.model_copy(update={"embedded_broker": kind})


@app.command()
def run(config: Optional[Path] = ConfigOption,
        broker_port: Optional[int] = typer.Option(None, help="fixed port for the embedded broker"),
        embedded_broker: Optional[str] = EmbeddedBrokerOption,
        inbox: bool = typer.Option(True, help="start the local inbox that shows the sample roster's pages"),
        web: bool = typer.Option(True, help="start the web app that serves the pages' accept links")) -> None:
    """Run everything: the broker (embedded unless GRIDALERT_BROKER is set), worker, database, inbox, web app."""
    settings = _with_embedded_broker(settings_for(config), embedded_broker)
    if broker_port is not None:
        settings = settings.model_copy(update={"broker_port": broker_port})
    load(settings)
    _serve(settings, inbox=inbox, web=web)


@app.command()
def demo(config: Optional[Path] = ConfigOption, embedded_broker: Optional[str] = EmbeddedBrokerOption) -> None:
    """Run everything and play the 02:15 heat-alarm scenario into it; shows who was paged."""
    from gridalert.demo import play

    settings = _with_embedded_broker(settings_for(config), embedded_broker)
    district = load(settings)
    _serve(settings, inbox=True, then=lambda runner: play(runner.settings, district))


@app.command()
def worker(config: Optional[Path] = ConfigOption) -> None:
    """Run one pipeline worker on an existing cluster (GRIDALERT_BROKER); start more to scale out.

    It serves /health, /ready and /metrics on GRIDALERT_METRICS_PORT (docs/operations.md)."""
    from gridalert.logs import logging_config
    from gridalert.store import DatabaseUnavailable, upgrade
    from gridalert.streams.app import create_stage
    from gridalert.streams.broker import BrokerUnavailable, ensure_topics
    from gridalert.streams.ops import OpsServer, Worker, listen
    from gridalert.streams.topics import ALL

    settings = settings_for(config)
    district = load(settings)
    if settings.broker is None:
        raise fail("gridalert worker needs GRIDALERT_BROKER=kafka://host:port "
                   "(use `gridalert run` to start the embedded broker too)", EXIT_CONFIG)
    try:
        ensure_topics(settings.bootstrap_servers, ALL, settings.partitions)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(settings.effective_database_url)
    except (BrokerUnavailable, DatabaseUnavailable) as exc:
        raise unavailable(exc) from None
    host, port = settings.metrics_host, settings.metrics_port
    try:
        sock = listen(host, port)
    except OSError as exc:
        raise unavailable(f"worker: cannot listen on {host}:{port} for /health, /ready and /metrics: "
                          f"{exc.strerror or exc} (set GRIDALERT_METRICS_PORT to a free port, or 0 for any)") from None
    stage = create_stage(settings, district)
    Worker(stage, OpsServer(stage, sock), loglevel=settings.log_level,
           logging_config=logging_config(settings.log_format, settings.log_level)).execute_from_commandline()


@app.command()
def web(host: str = typer.Option("127.0.0.1", help="address to listen on (0.0.0.0 behind a reverse proxy)"),
        port: Optional[int] = typer.Option(None, help="port (default GRIDALERT_WEB_PORT, 8030)")) -> None:
    """Serve the accept links of pages, the command centre's API (/api), Open311 and /healthz."""
    from gridalert.web import run_web

    settings = settings_for(None)
    load(settings)  # a bad configuration stops it here, named, before it listens
    if settings.broker is None:
        raise fail("set GRIDALERT_BROKER=kafka://host:port (`gridalert run` starts the web app itself)", EXIT_CONFIG)
    try:
        run_web(settings, host, port)
    except OSError as exc:  # typically the port is taken
        raise unavailable(f"web: cannot listen on {host}:{port if port is not None else settings.web_port}: "
                          f"{exc.strerror or exc}") from None


def _read_events(source: str) -> list[bytes]:
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    stripped = text.strip()
    try:
        document = json.loads(stripped)
    except json.JSONDecodeError:
        # JSON lines: every non-blank line is one message, sent as it is (malformed ones too:
        # the pipeline dead-letters them, which is what a gateway vendor wants to see).
        return [line.encode() for line in stripped.splitlines() if line.strip()]
    items = document if isinstance(document, list) else [document]
    return [json.dumps(item, ensure_ascii=False).encode() for item in items]


@app.command()
def send(source: str = typer.Argument(..., help="a JSON file (one event or an array), JSON lines, or - for stdin")) -> None:
    """Produce CloudEvents to gridalert.events (needs GRIDALERT_BROKER)."""
    from gridalert.streams.producer import produce_events

    settings = settings_for(None)
    if settings.broker is None:
        raise fail("set GRIDALERT_BROKER=kafka://host:port (`gridalert run` prints the address)", EXIT_CONFIG)
    try:
        messages = _read_events(source)
    except OSError as exc:
        raise fail(f"cannot read {source}: {exc.strerror}", EXIT_CONFIG) from None
    try:
        produce_events(settings.bootstrap_servers, messages)
    except Exception as exc:  # kafka-python's errors: say where we tried
        raise unavailable(f"cannot send to {settings.broker}: {exc}") from None
    typer.echo(f"sent {len(messages)} event(s) to gridalert.events at {settings.broker}")


@app.command()
def incidents(incident_id: Optional[str] = typer.Argument(None, help="show one incident's timeline and pages"),
              status: Optional[str] = typer.Option(None, help="only incidents in this status"),
              limit: int = typer.Option(50, help="at most this many")) -> None:
    """List incidents from the database (newest first), or show one with its timeline."""
    from gridalert.incidents.report import render_incident, render_list
    from sqlalchemy import inspect, make_url

    from gridalert.store import DatabaseUnavailable, make_engine, make_sessionmaker, safe_url

    settings = settings_for(None)
    url = settings.effective_database_url
    parsed = make_url(url)
    missing_file = parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").exists()
    try:
        engine = None if missing_file else make_engine(url)
        if engine is None or not inspect(engine).has_table("incidents"):
            raise fail(f"no gridalert database at {safe_url(url)} yet: `gridalert run` creates it, "
                       "or set GRIDALERT_DATABASE_URL to the one your workers use", EXIT_UNAVAILABLE)
        sessions = make_sessionmaker(engine)
        with sessions() as session:
            text = (render_incident(incident_id, session=session) if incident_id
                    else render_list(session=session, status=status, limit=limit))
    except DatabaseUnavailable as exc:
        raise unavailable(exc) from None
    typer.echo(text)


@app.command()
def audit() -> None:
    """How each partition's timers stand: open incidents, pending steps, steps that fired late."""
    from gridalert.incidents.report import render_audit
    from gridalert.store import DatabaseUnavailable, make_engine, make_sessionmaker

    settings = settings_for(None)
    try:
        with make_sessionmaker(make_engine(settings.effective_database_url))() as session:
            typer.echo(render_audit(session=session))
    except DatabaseUnavailable as exc:
        raise unavailable(exc) from None


def _silence_scope(settings: Settings, grid: Optional[str], device: Optional[str]) -> tuple[str, dict]:
    """The partition key and scope of a grid or device maintenance window."""
    district = load(settings)
    if grid:
        if district.grids.get(grid) is None:
            raise fail(f"no grid {grid} in {settings.config_dir}", EXIT_CONFIG)
        return grid, {"scope": "grid", "target": grid}
    registered = district.devices.get(device or "")
    if registered is None:
        raise fail(f"no device {device} in {settings.config_dir}/devices.yaml", EXIT_CONFIG)
    place = district.grids.locate(registered.lon, registered.lat)
    return place.partition_key, {"scope": "device", "target": device}


@app.command("command")
def command_(action: str = typer.Argument(..., help="accept, on_scene, resolve, verify, close, return, escalate, "
                                                   "reassign, reopen, rate, silence"),
             incident_id: Optional[str] = typer.Argument(None, help="the incident (not needed to silence a grid or device)"),
             by: str = typer.Option(..., "--by", help="your staff id (recorded as the actor)"),
             reason: Optional[str] = typer.Option(None, help="why: needed to close (fixed, unfounded, duplicate, "
                                                             "not_responsible) and to return"),
             department: Optional[str] = typer.Option(None, help="accept for this department of a joint dispatch"),
             score: Optional[int] = typer.Option(None, help="rating, 1-5"),
             comment: Optional[str] = typer.Option(None),
             minutes: Optional[float] = typer.Option(None, help="silence for this many minutes"),
             to_tier: Optional[str] = typer.Option(None), to_person: Optional[str] = typer.Option(None),
             grid: Optional[str] = typer.Option(None, help="silence this grid (maintenance window)"),
             device: Optional[str] = typer.Option(None, help="silence this registered device"),
             wait: float = typer.Option(15.0, help="seconds to wait for the outcome (0: do not wait)")) -> None:
    """Give a command about an incident; it goes to the partition that owns it, and the outcome is shown."""
    from datetime import datetime, timedelta, timezone

    from gridalert.commanding import NoSuchIncident, incident_command, wait_for_outcome
    from gridalert.incidents.lifecycle import ACTIONS
    from gridalert.store import DatabaseUnavailable, make_engine, make_sessionmaker
    from gridalert.streams.commands import new_command, send_command

    if action not in ACTIONS:
        raise fail(f"unknown action {action!r}; actions are {', '.join(ACTIONS)}", EXIT_CONFIG)
    settings = settings_for(None)
    if settings.broker is None:
        raise fail("set GRIDALERT_BROKER=kafka://host:port (`gridalert run` prints the address)", EXIT_CONFIG)
    until = datetime.now(timezone.utc) + timedelta(minutes=minutes) if minutes else None
    fields = dict(reason=reason, department=department, score=score, comment=comment, until=until,
                  to_tier=to_tier, to_person=to_person)
    try:
        sessions = make_sessionmaker(make_engine(settings.effective_database_url))
        if (grid or device) and action == "silence" and incident_id is None:
            if minutes is None:
                raise fail("a maintenance window needs --minutes", EXIT_CONFIG)
            key, scope = _silence_scope(settings, grid, device)
            command = new_command(action, by, key, **fields, **scope)
        else:
            try:
                command = incident_command(action, by, incident_id or "", sessions=sessions, **fields)
            except NoSuchIncident:
                raise fail(f"no incident {incident_id} in {settings.effective_database_url}", EXIT_CONFIG) from None
        send_command(settings.bootstrap_servers, command)
    except DatabaseUnavailable as exc:
        raise unavailable(exc) from None
    except typer.Exit:
        raise
    except Exception as exc:  # kafka-python's errors: say where we tried
        raise unavailable(f"cannot send to {settings.broker}: {exc}") from None
    typer.echo(f"sent {action} ({command.id})")
    if wait <= 0 or command.incident_id is None:
        return
    outcome = wait_for_outcome(sessions, command.id, timeout_s=wait)
    if outcome is not None:
        typer.echo(f"{outcome.kind}: {outcome.detail} (status {outcome.status}, tier {outcome.tier})")
        raise typer.Exit(1 if outcome.kind == "command_refused" else 0)
    typer.echo(f"no outcome recorded within {wait:.0f} s; `gridalert incidents {incident_id}` shows it later")


def _parse_at(text: Optional[str]):
    """``--at``: ISO 8601, naive or with an offset; None for now (aware, UTC)."""
    from datetime import datetime, timezone

    if text is None or text.strip().lower() == "now":
        return datetime.now(timezone.utc)
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise fail(f"--at: {text!r} is not an ISO 8601 time, e.g. 2025-01-30T10:00 (the schedule's time zone) "
                   "or 2025-01-30T10:00+08:00", EXIT_CONFIG) from None


def _area_kinds(grids) -> dict[str, str]:
    kinds: dict[str, str] = {}
    for info in grids.grids.values():
        kinds.setdefault(info.grid_id, "grid")
        kinds.setdefault(info.village, "village")
        kinds.setdefault(info.township, "township")
    kinds[grids.district] = "district"
    return kinds


@app.command()
def oncall(area: str = typer.Option(..., "--area", help="district, township, village, grid or unit id, e.g. 金华园街道"),
           at: Optional[str] = typer.Option(None, "--at", help="ISO 8601 time (default now); without an offset it "
                                                               "is read in the schedule's time zone"),
           role: Optional[str] = typer.Option(None, "--role", help="roster role (default: the duty role of the "
                                                                   "area's tier, e.g. township_duty)"),
           config: Optional[Path] = ConfigOption) -> None:
    """Who is on duty for a role in an area at a time, their phone, and why (schedules.yaml)."""
    from gridalert.config.model import TIER_ROLE, Role
    from gridalert.incidents.oncall import describe, wall_clock_instant, who_is_on_call

    settings = settings_for(config)
    district = load(settings)
    kinds = _area_kinds(district.grids) | {unit_id: "unit" for unit_id in district.units}  # unit heads' rotations
    if area not in kinds:
        by_kind = {kind: sorted(a for a, k in kinds.items() if k == kind) for kind in ("district", "township", "village")}
        raise fail(f"no area {area!r} in {settings.config_dir}; known areas: district {', '.join(by_kind['district'])}; "
                   f"townships {', '.join(by_kind['township'])}; villages {', '.join(by_kind['village'])}; "
                   f"or a grid id such as {min(district.grids.grids)}", EXIT_CONFIG)
    roles = [r.value for r in Role]
    role = role or TIER_ROLE[kinds[area]].value
    if role not in roles:
        raise fail(f"--role: unknown role {role!r}; roles are {', '.join(roles)}", EXIT_CONFIG)
    instant = _parse_at(at)
    if instant.tzinfo is None:
        schedule = district.schedules.find(area, role)
        zone = schedule.zone if schedule is not None else ZoneInfo(district.policies.timezone)
        instant = wall_clock_instant(instant, zone)
    answer = who_is_on_call(district.schedules, area, role, instant)
    people = {p.id: p for p in district.roster.staff}
    fallback = [p for p in district.roster.staff if p.role.value == role and p.area == area]
    text, anyone = describe(answer, people, fallback, ZoneInfo(district.policies.timezone))
    typer.echo(text)
    if not anyone:
        raise typer.Exit(1)


@app.command()
def report(period: str = typer.Option("day", "--period", help="day or month"),
           when: Optional[str] = typer.Option(None, "--date", help="the day (YYYY-MM-DD) or month (YYYY-MM); "
                                              "default: yesterday, or last month"),
           out: Path = typer.Option(Path("."), "--out", help="folder for kpi-<period>.csv and kpi-<period>.png"),
           config: Optional[Path] = ConfigOption) -> None:
    """Key figures of a day or a month (response, completion, on-time, satisfaction, stage times) as CSV and PNG."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from gridalert.deadlines import disposal_limits
    from gridalert.report import period_of, write_report
    from gridalert.store import DatabaseUnavailable, make_engine, make_sessionmaker

    settings = settings_for(config)
    district = load(settings)
    tz = ZoneInfo(district.policies.timezone)
    try:
        chosen = period_of(period, when, tz, datetime.now(tz).date())
    except ValueError as exc:
        raise fail(str(exc), EXIT_CONFIG) from None
    try:
        with make_sessionmaker(make_engine(settings.effective_database_url))() as session:
            csv_path, png_path, rows = write_report(
                session, district=district.grids.district, period=chosen, out_dir=out,
                limits_s=disposal_limits(district.policies))
    except DatabaseUnavailable as exc:
        raise unavailable(exc) from None
    whole = next((r for r in rows if r["scope"] == "district"), None)
    typer.echo(f"{chosen.label}: {whole['incidents'] if whole else 0} incident(s); wrote {csv_path} and {png_path}")


token_app = typer.Typer(no_args_is_help=True, help="Bearer tokens of the command centre's API (stored hashed).")
app.add_typer(token_app, name="token")


def _token_sessions(settings: Settings):
    from gridalert.store import make_engine, make_sessionmaker, upgrade

    upgrade(settings.effective_database_url)
    return make_sessionmaker(make_engine(settings.effective_database_url))


@token_app.command("create")
def token_create(person: Optional[str] = typer.Option(None, "--person", help="roster id: the token sees and does "
                                                     "what the person's role and area allow"),
                 viewer: Optional[str] = typer.Option(None, "--viewer", help="an area (district, township, village "
                                                      "or grid id): a read-only token for it"),
                 label: str = typer.Option("", "--label", help="a note, e.g. whose device"),
                 config: Optional[Path] = ConfigOption) -> None:
    """Create a token; it is printed once and cannot be shown again."""
    from gridalert.incidents.access import scope_of
    from gridalert.store import DatabaseUnavailable
    from gridalert.store.tokens import create_token

    settings = settings_for(config)
    district = load(settings)
    if (person is None) == (viewer is None):
        raise fail("give either --person ID or --viewer AREA", EXIT_CONFIG)
    kinds = _area_kinds(district.grids)
    if person is not None and district.person(person) is None:
        raise fail(f"{person!r} is not on the roster ({district.directory / 'roster.yaml'})", EXIT_CONFIG)
    if viewer is not None and viewer not in kinds:
        raise fail(f"{viewer!r} is no district, township, village or grid of the map", EXIT_CONFIG)
    try:
        with _token_sessions(settings).begin() as session:
            row, text = create_token(session=session, person_id=person, viewer_area=viewer,
                                     viewer_kind=kinds.get(viewer or ""), label=label)
            token_id = row.id
    except DatabaseUnavailable as exc:
        raise unavailable(exc) from None
    scope = scope_of(district.person(person) if person else None, viewer_area=viewer,
                     viewer_kind=kinds.get(viewer or "", "district"))
    typer.echo(f"token {token_id} for {person or 'a viewer'}: covers {scope.describe()}\n{text}\n"
               "(shown once: store it now)")


@token_app.command("revoke")
def token_revoke(token_id: str = typer.Argument(..., help="the token's id (the part after gat_)"),
                 config: Optional[Path] = ConfigOption) -> None:
    """Revoke a token at once; requests with it are refused from now on."""
    from gridalert.store.tokens import revoke_token

    settings = settings_for(config)
    with _token_sessions(settings).begin() as session:
        row = revoke_token(token_id, session=session)
    if row is None:
        raise fail(f"no token {token_id}", EXIT_CONFIG)
    typer.echo(f"token {token_id} revoked")


@token_app.command("list")
def token_list(config: Optional[Path] = ConfigOption) -> None:
    """Every token: id, whose, created, revoked (never the secret)."""
    from gridalert.store.tokens import list_tokens

    settings = settings_for(config)
    with _token_sessions(settings)() as session:
        rows = list_tokens(session=session)
        for row in rows:
            whose = row.person_id or f"viewer of {row.viewer_area}"
            state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "live"
            typer.echo(f"{row.id}  {whose:<24} created {row.created_at:%Y-%m-%d %H:%M} UTC  {state}  {row.label}")
    if not rows:
        typer.echo("no tokens")


@app.command("eval")
def eval_(seed: int = typer.Option(7, "--seed", help="the simulated district's random seed"),
          residents: int = typer.Option(2000, "--residents", help="solitary elderly residents watched"),
          cameras: int = typer.Option(1000, "--cameras", help="thermal cameras"),
          monitors: int = typer.Option(1000, "--monitors", help="electrical fire monitors"),
          days: int = typer.Option(28, "--days", help="days scored (after a warm-up in which routines are learned)")) -> None:
    """Run the detectors over a simulated district with labelled emergencies; print the table."""
    from gridalert.detectors.evaluate import eval_main

    eval_main(seed, residents, cameras, monitors, days)


def main() -> None:
    app()
