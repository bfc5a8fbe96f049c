"""Typed records of every internal topic: the schema of the pipeline.

Each class is the value of one topic (see ``streams.topics`` and docs/architecture.md). Records
cross process boundaries, so validation is on. Pure cores take and return these records; they
import nothing of Faust but the ``Record`` base class (and a field type where a default will not do).

Times are timezone-aware ``datetime`` values, serialised as ISO 8601. Faust refuses blank
strings in ``str`` fields: optional text is ``Optional[str] = None``.
No field may be named ``type``: Faust then leaves a nested record as a plain dict when decoding
(hence ``event_type``); ``tests/unit/test_records.py`` round-trips every record to catch this.
Geometry never travels: a place is ids and names, a point is ``lon``/``lat`` (WGS84).
"""


from datetime import datetime
from typing import Optional

import faust
from faust.models.fields import StringField

RECORD_OPTIONS = {"serializer": "json", "validation": True, "isodates": True}

# Tiers, smallest first (联户 → 网格 → 村/社区 → 乡镇/街道 → 区县指挥中心).
TIERS = ("unit", "grid", "village", "township", "district")

UNASSIGNED = "unassigned"


class Place(faust.Record, **RECORD_OPTIONS):
    """Where an event happened, resolved to the grid hierarchy.

    ``grid_id`` is None when the point lies in no grid; ``reason`` then says why
    (``unassigned``) and the district centre owns the incident. ``unit_id`` is the ten-household
    unit (十联户) inside that grid, set only where the district has a units file and a unit there.
    """

    district: str
    grid_id: Optional[str] = None
    grid_name: Optional[str] = None
    village: Optional[str] = None
    township: Optional[str] = None
    reason: Optional[str] = None
    unit_id: Optional[str] = None

    @property
    def partition_key(self) -> str:
        """The key every record about this place is produced with (one grid, one partition)."""
        return self.grid_id or f"{UNASSIGNED}:{self.district}"

    def label(self) -> str:
        """A short human label: grid name and id, or the reason it has none."""
        if self.grid_id is None:
            return f"{self.district} (outside every grid: {self.reason or UNASSIGNED})"
        return f"{self.grid_name or self.grid_id} ({self.grid_id}), {self.village}, {self.township}"


class ValidEvent(faust.Record, **RECORD_OPTIONS):
    """A CloudEvent that passed validation (topic ``gridalert.validated``).

    ``lon``/``lat`` are always set: from the event itself or from the device registry.
    ``data`` keeps the readings as sent (type-specific, checked by the validator).
    """

    id: str
    event_type: str
    source: str
    time: datetime
    lon: float
    lat: float
    data: dict
    device: Optional[str] = None
    subject: Optional[str] = None


class LocatedEvent(faust.Record, **RECORD_OPTIONS):
    """A valid event with its place (topic ``gridalert.located``, keyed by grid)."""

    event: ValidEvent
    place: Place
    map_version: Optional[str] = None


class Alarm(faust.Record, **RECORD_OPTIONS):
    """A detector's verdict that something needs a person (topic ``gridalert.alarms``).

    ``dedup_key`` groups alarms into one incident while it is open; ``explanation`` says which
    readings and which rule fired, in words a duty officer can read. An alarm with ``clears``
    says the condition is over (activity resumed, the gateway is back): the open incident with
    that dedup key is resolved by the system. ``gateway`` names the gateway the device reports
    through; an incident opened by an alarm with ``inhibits_gateway`` takes those alarms in.
    """

    id: str
    rule: str
    dedup_key: str
    severity: str
    klass: str
    title: str
    explanation: str
    event: ValidEvent
    place: Place
    detected_at: datetime
    building_type: Optional[str] = None
    gateway: Optional[str] = None
    inhibits_gateway: Optional[str] = None
    clears: bool = False


class IncidentEvent(faust.Record, **RECORD_OPTIONS):
    """One step of an incident's timeline (topic ``gridalert.incidents``, keyed by grid).

    ``id`` is ``<incident_id>:<seq>`` and is the idempotency key of the projection. Each event
    carries the incident's state after the step, so a reader never needs earlier events to show it.
    """

    id: str
    incident_id: str
    seq: int
    kind: str
    status: str
    tier: str
    at: datetime
    actor: str
    detail: str
    event_type: str
    title: str
    severity: str
    klass: str
    dedup_key: str
    place: Place
    lon: float
    lat: float
    opened_at: datetime
    source_event_id: str
    explanation: str = ""
    department: Optional[str] = None
    dept_tier: Optional[str] = None
    assignee: Optional[str] = None
    command_id: Optional[str] = None
    alarm_count: int = 1
    close_reason: Optional[str] = None
    rating: Optional[int] = None
    rating_comment: Optional[str] = None
    late_s: Optional[float] = None
    reply_to: Optional[str] = None  # a citizen reporter's contact: told the outcome, never paged or stored


class Deadline(faust.Record, **RECORD_OPTIONS):
    """A step that must happen at ``due`` unless the incident's fencing token has moved on."""

    due: datetime
    action: str
    token: int
    department: Optional[str] = None


class DepartmentState(faust.Record, **RECORD_OPTIONS):
    """One department of a joint dispatch (联合处置): its own acceptance and escalation."""

    department: str
    status: str
    tier: str
    token: int = 0
    repages: int = 0
    accepted_by: Optional[str] = None


class Silence(faust.Record, **RECORD_OPTIONS):
    """A maintenance window or silence: new alarms in scope are recorded but nobody is paged."""

    id: str
    scope: str
    target: str
    until: datetime
    actor: str
    reason: Optional[str] = None


class IncidentState(faust.Record, **RECORD_OPTIONS):
    """Everything the incident stage needs to take an incident's next step.

    ``last`` is the latest timeline event (the incident as the world sees it); ``token`` is the
    fencing token that acceptance, resolution and silences rotate, so a deadline set under an
    older token never fires.
    """

    last: IncidentEvent
    token: int
    repages: int
    deadlines: list[Deadline]
    departments: dict[str, DepartmentState]
    silenced_until: Optional[datetime] = None
    inhibits_gateway: Optional[str] = None


class GridIncidents(faust.Record, **RECORD_OPTIONS):
    """The incident stage's durable state for one grid (a table row, keyed like the grid).

    ``incidents`` holds open incidents and recently closed ones (they may still be rated or
    reopened); ``open_keys`` maps a dedup key to its open incident; ``seen`` holds the most recent
    event and command ids applied here, so a replay changes nothing.
    """

    incidents: dict[str, IncidentState]
    open_keys: dict[str, str]
    silences: list[Silence]
    seen: list[str]


class DetectorState(faust.Record, **RECORD_OPTIONS):
    """The detect stage's durable state for one subject of one grid (table key
    ``<grid key>|<detector>|<subject>``: a camera, a monitor, a resident, a gateway).

    ``state`` is the detector's own plain JSON data, deadlines included, so a restarted worker
    knows who has been silent since when (``area`` names the overrides its thresholds came from, if
    any); ``seen`` holds the latest event ids applied, so a
    gateway's retry is not counted as a second reading.
    """

    detector: str
    subject: str
    state: dict
    seen: list[str]
    area: Optional[str] = None  # the area whose thresholds (detectors.areas) apply


class Timer(faust.Record, **RECORD_OPTIONS):
    """One key's timers at a glance (a table row keyed like the state it describes).

    ``partition`` is the partition the key lives in, so a worker rebuilds each partition's
    in-memory due index from these rows after a rebalance; ``due`` is the epoch second of the
    key's earliest deadline, or an earlier time to wake up and look again (None: nothing pending);
    ``open``/``pending`` are what the audit counts (open incidents and pending deadlines for the
    incident stage). Written only when one of them moves (a deadline moving later: once the earlier
    time has come), and deleted when the key has neither a deadline nor anything to count.
    """

    partition: int
    due: Optional[float] = None
    open: int = 0
    pending: int = 0


class LateSteps(faust.Record, **RECORD_OPTIONS):
    """A partition's steps that fired more than a second after their deadline (e.g. after an
    outage), for the audit (a table row keyed by partition number, written only when one does)."""

    late_steps: int = 0
    max_late_s: float = 0.0


class GridHead(faust.Record, **RECORD_OPTIONS):
    """A grid's incident state without the incidents: what ``GridIncidents`` holds besides them,
    and the ids of the incidents, each kept in its own row (``<grid key>/<incident id>``), so a
    step of one incident writes that incident, not the whole grid (see ``agents/incident.py``)."""

    incident_ids: list[str]
    open_keys: dict[str, str]
    silences: list[Silence]
    seen: list[str]


class Command(faust.Record, **RECORD_OPTIONS):
    """A person's instruction about an incident or a grid (topic ``gridalert.commands``).

    Keyed like the grid (``partition_key``), so the partition that owns the incident applies it in
    order with every other change. Web and CLI only produce these; they never write state.
    """

    id: str
    action: str
    actor: str
    at: datetime
    partition_key: str
    incident_id: Optional[str] = None
    reason: Optional[str] = None
    department: Optional[str] = None
    score: Optional[int] = None
    comment: Optional[str] = None
    until: Optional[datetime] = None
    to_tier: Optional[str] = None
    to_person: Optional[str] = None
    scope: Optional[str] = None
    target: Optional[str] = None


class Tick(faust.Record, **RECORD_OPTIONS):
    """The clock, sent to every partition of ``gridalert.ticks``: fire what has come due."""

    at: datetime


class PartitionAudit(faust.Record, **RECORD_OPTIONS):
    """How one partition's timers stand (topic ``gridalert.audit``): pending and overdue steps."""

    id: str
    partition: int
    at: datetime
    open_incidents: int
    pending_steps: int
    overdue_steps: int
    max_overdue_s: float


class DispatchOrder(faust.Record, **RECORD_OPTIONS):
    """An order to a tier's response queue (topics ``gridalert.dispatch.<tier>``).

    Names responders by person id only: contact details stay in the roster, never on a topic
    that departments' own systems may read.
    """

    id: str
    incident_id: str
    step: int
    tier: str
    title: str
    body: str
    place: Place
    responders: list[str]
    issued_at: datetime
    accept_by: datetime
    department: Optional[str] = None


class Delivery(faust.Record, **RECORD_OPTIONS):
    """One attempt at paging one person on one channel, and its result (topic ``gridalert.deliveries``).

    ``sent_key`` is ``<incident_id>:<step>:<person_id>:<channel>``, the sent-log key; ``id`` is
    ``<sent_key>:<rule>:<attempt>`` (``rule`` is the person's rule index, ``deputy``, or ``retry<n>``
    for the n-th round after nobody was reached), so every attempt is its own record and row.
    ``attempts`` is this attempt's number on that channel in that firing (1 for the first).
    ``cause``: ``rule`` (a notification rule, or the first channel of a person without rules),
    ``failover`` (the channels before it failed), ``deputy`` (paged for ``deputy_for``), ``retry``
    (a later round: nobody was reached before), ``reply`` (a citizen reporter told the outcome),
    ``stand_down`` (someone paged told the incident resolved by itself).
    ``channel`` is the channel's name (scheme and position), never the URL with its secrets.
    """

    id: str
    incident_id: str
    step: int
    person_id: str
    channel: str
    ok: bool
    attempts: int
    at: datetime
    error: Optional[str] = None
    sent_key: Optional[str] = None
    cause: Optional[str] = None
    rule: Optional[int] = None
    deputy_for: Optional[str] = None
    retryable: Optional[bool] = None


class PersonPage(faust.Record, **RECORD_OPTIONS):
    """One person's paging for one order: the notify stage's durable timer (table ``pages-by-person``,
    key ``<order id>:<person id>``).

    ``start`` is the order's issue time: rules count from it. ``next_rule`` is the first rule not
    yet fired; ``due`` when it fires (None: nothing left). ``stopped`` says why no more rules fire
    (the incident was accepted, resolved …). ``deputy_paged``: the deputy is paged once at most.
    ``unreached``: consecutive rounds that reached nobody; while it is above 0 the plan is due
    again ``paging.unreached_retry_s`` later.
    """

    order_id: str
    incident_id: str
    step: int
    person_id: str
    title: str
    body: str
    place: Place
    start: datetime
    due: Optional[datetime] = None
    next_rule: int = 0
    deputy_paged: bool = False
    department: Optional[str] = None
    stopped: Optional[str] = None
    accept_by: Optional[datetime] = None  # the order's deadline: the accept link expires after it
    unreached: int = 0  # rounds in a row that reached nobody: the plan retries until one does


class DeadLetter(faust.Record, **RECORD_OPTIONS):
    """Input the pipeline could not use, with why and where it came from (``gridalert.events.dlq``).

    ``original`` holds the original value: UTF-8 text when it decodes, else base64 with
    ``original_encoding`` set to ``base64``. Nothing is dropped without one of these: an empty
    message (or an empty key) is kept as "", which Faust refuses in a plain ``str`` field.
    """

    reason: str
    stage: str
    topic: str
    partition: int
    offset: int
    at: datetime
    original: str = StringField(allow_blank=True)
    original_encoding: str = "utf-8"
    key: Optional[str] = StringField(required=False, allow_blank=True, default=None)
    headers: Optional[dict] = None
