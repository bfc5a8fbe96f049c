"""The fault suite's fixed event script and the invariants every fault test ends on.

The script: heat alarms in distinct grids of the sample district, sent in phases around a fault.
Some are accepted by their grid head from the command line before the fault (their orders stop at
the grid); the rest nobody accepts, so each climbs grid → village → township and stops there
(the township and district wait an hour). Whatever the fault, at the end:

- every alarm opened exactly one incident;
- every expected page reached the right person exactly once, and nobody else was paged for it
  (at the township, the duty officer on duty by ``schedules.yaml``, not the whole team);
- every due escalation step fired exactly once (village, then township; never the district);
- the database projection equals the incident log (``gridalert.incidents``, read back from Kafka).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterator

from kafka import KafkaConsumer, TopicPartition

from gridalert.store import get_timeline, list_deliveries, list_incidents
from gridalert.streams.topics import INCIDENTS
from tests.support.pipeline import alarm_in, chain_of, gridalert_command
from tests.support.waiting import wait_until

# Two grids accepted before the fault; the others climb. Distinct grids: one incident each.
ACCEPTED = ["GSH-JHY-01-01", "GSH-SJC-01-02"]
CLIMBING = ["GSH-JHY-01-02", "GSH-JHY-02-01", "GSH-JHY-03-01", "GSH-SJC-01-03", "GSH-SJC-02-01",
            "GSH-SJC-03-01", "GSH-ZC-01-02", "GSH-ZC-02-01", "GSH-ZC-03-01", "GSH-JHY-02-03"]


@dataclass
class Script:
    pipeline: object
    district: object
    alarms: dict[str, dict] = field(default_factory=dict)  # grid → the event sent
    accepted: list[str] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)  # grid → its status at the end, if not the default

    @property
    def sessions(self):
        return self.pipeline.sessions

    def alarm(self, *grids: str) -> None:
        for grid in grids:
            assert grid not in self.alarms, f"{grid}: one alarm per grid in the script"
            self.alarms[grid] = alarm_in(self.pipeline, grid)

    def sent(self, grid: str, event: dict) -> None:
        """An alarm for ``grid`` that reached the broker some other way (the CLI, the API)."""
        assert grid not in self.alarms, f"{grid}: one alarm per grid in the script"
        self.alarms[grid] = event

    def incident_of(self, grid: str, *, timeout_s: float = 90):
        event_id = self.alarms[grid]["id"]

        def opened():
            with self.sessions() as session:
                return [i for i in list_incidents(session=session, limit=1000) if i.source_event_id == event_id]

        return wait_until(opened, timeout_s=timeout_s, what=f"the incident of {grid}")[0]

    def accept_before_the_fault(self, grids: list[str] = ACCEPTED) -> None:
        """Alarms that their grid heads accept from the command line, each confirmed in the database."""
        self.alarm(*grids)
        for grid in grids:
            head = chain_of(self.district, grid)[0]
            incident = self.incident_of(grid)
            wait_until(lambda: self.pages(head, incident.id), timeout_s=60, what=f"{head}'s page for {grid}")
            result = gridalert_command(self.pipeline, "accept", incident.id, "--by", head)
            assert result.returncode == 0, result.stdout + result.stderr
            self.accepted.append(grid)

    def pages(self, person: str, incident_id: str) -> list[dict]:
        return [p for p in self.pipeline.receiver.pages_for(person) if incident_id in p.get("message", "")]

    def expected_pages(self) -> dict[str, dict[str, int]]:
        """incident id → person → pages: the grid head only if accepted, else grid, village, township
        — the township's duty officer being the one its schedule names when the incident climbed
        there (金华园街道's team takes turns), or now while it has not climbed yet."""
        expected = {}
        for grid in self.alarms:
            incident = self.incident_of(grid)
            chain = chain_of(self.district, grid, self.climbed_at(incident.id, "township"))
            reached = chain[:1] if grid in self.accepted else chain[:3]
            expected[incident.id] = {person: 1 for person in reached}
        return expected

    def climbed_at(self, incident_id: str, tier: str):
        with self.sessions() as session:
            steps = get_timeline(incident_id, session=session)
        return next((s.at for s in steps if s.kind == "escalated" and s.tier == tier), None)

    def settle(self, *, timeout_s: float = 240) -> None:
        """Wait until every expected page arrived, its delivery is in the database and the
        projection caught up with the log; what arrives twice shows in the counts after."""
        for incident_id, persons in self.expected_pages().items():
            for person in persons:
                wait_until(lambda: self.pages(person, incident_id), timeout_s=timeout_s,
                           what=f"{person}'s page for {incident_id}")
                wait_until(lambda: self.delivered(person, incident_id), timeout_s=timeout_s,
                           what=f"the delivery to {person} for {incident_id} in the database")
        wait_until(lambda: projection_matches_log(self.pipeline) is None, timeout_s=timeout_s,
                   what="the database projection to catch up with the incident log")

    def delivered(self, person: str, incident_id: str) -> bool:
        with self.sessions() as session:
            return any(d.ok and d.person_id == person for d in list_deliveries(incident_id, session=session))

    def assert_invariants(self) -> None:
        self.settle()
        with self.sessions() as session:
            incidents = list_incidents(session=session, limit=1000)
        by_event = Counter(i.source_event_id for i in incidents)
        for grid, event in self.alarms.items():
            assert by_event[event["id"]] == 1, f"{grid}: {by_event[event['id']]} incidents for one alarm"
        assert len(incidents) == len(self.alarms), "incidents nobody raised an alarm for"

        everyone = {p.id for p in self.district.roster.staff}
        for incident_id, persons in self.expected_pages().items():
            got = {person: len(self.pages(person, incident_id)) for person in everyone}
            got = {person: n for person, n in got.items() if n}
            assert got == persons, f"{incident_id}: pages {got}, expected {persons}"

        for grid in self.alarms:
            incident = self.incident_of(grid)
            with self.sessions() as session:
                steps = get_timeline(incident.id, session=session)
            climbs = [s.tier for s in steps if s.kind == "escalated"]
            if grid in self.accepted:
                assert climbs == [], f"{grid}: accepted, yet it climbed to {climbs}"
                assert incident.status == self.status.get(grid, "accepted"), f"{grid}: {incident.status}"
                kinds = Counter(s.kind for s in steps)
                assert kinds["accepted"] == 1 and all(n == 1 for n in kinds.values()), f"{grid}: steps {kinds}"
            else:
                assert climbs == ["village", "township"], f"{grid}: climbs {climbs}"
        assert projection_matches_log(self.pipeline) is None


def read_topic(bootstrap: list[str], topic: str) -> Iterator[bytes]:
    """The values on ``topic`` from its beginning to its end offsets now, partition by partition."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
                             consumer_timeout_ms=1000)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            for records in consumer.poll(timeout_ms=1000).values():
                for record in records:
                    if record.offset < end[TopicPartition(record.topic, record.partition)]:
                        yield record.value
    finally:
        consumer.close()


def incident_log(bootstrap: list[str]) -> dict[str, dict[int, dict]]:
    """``gridalert.incidents`` read from the beginning: incident id → seq → event (as JSON)."""
    log: dict[str, dict[int, dict]] = defaultdict(dict)
    for value in read_topic(bootstrap, INCIDENTS):
        event = json.loads(value)
        before = log[event["incident_id"]].get(event["seq"])
        if before is not None and before["kind"] != event["kind"]:
            raise AssertionError(f"{event['id']} is in the log twice as different steps: "
                                 f"{before['kind']} and {event['kind']}")
        log[event["incident_id"]][event["seq"]] = event
    return dict(log)


def projection_matches_log(pipeline) -> str | None:
    """None when the database holds exactly the incident log; otherwise the first difference."""
    log = incident_log(pipeline.bootstrap)
    with pipeline.sessions() as session:
        rows = {i.id: i for i in list_incidents(session=session, limit=10_000)}
        timelines = {incident_id: [(s.seq, s.kind, s.status, s.tier) for s in get_timeline(incident_id, session=session)]
                     for incident_id in log}
    if set(rows) != set(log):
        return f"incidents only in the database: {sorted(set(rows) - set(log))}; only in the log: {sorted(set(log) - set(rows))}"
    for incident_id, events in log.items():
        seqs = sorted(events)
        if seqs != list(range(1, len(seqs) + 1)):
            return f"{incident_id}: the log's steps are {seqs}, not 1..{len(seqs)}"
        expected = [(e["seq"], e["kind"], e["status"], e["tier"]) for e in (events[s] for s in seqs)]
        if timelines[incident_id] != expected:
            return f"{incident_id}: timeline {timelines[incident_id]} but the log has {expected}"
        last, row = events[seqs[-1]], rows[incident_id]
        if (row.last_seq, row.status, row.tier) != (last["seq"], last["status"], last["tier"]):
            return f"{incident_id}: row at {row.last_seq} {row.status}/{row.tier}, log at {last['seq']} {last['status']}/{last['tier']}"
    return None
