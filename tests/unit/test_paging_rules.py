"""Notification rules (notifiers/schedule.py): what to page now and when next, failover, the deputy,
sent-log keys; and their checks in roster.yaml."""

from __future__ import annotations

import asyncio
import shutil
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from gridalert.config import ConfigErrors, SAMPLE_CONFIG_DIR
from gridalert.config.loader import load_config
from gridalert.notifiers import SendResult, deliver
from gridalert.notifiers.schedule import (IMMEDIATE, Firing, Rule, advance, attempt_id, begin, deputy_needed,
                                          failover, fire, retry_channels, sent_key, stand_down_targets, stop, stops)
from gridalert.streams.records import DispatchOrder, Place

# WeCom at once, SMS after 2 minutes, the deputy after 5 (the example of docs/paging.md)
WECOM_SMS_DEPUTY = (Rule(0, (0,)), Rule(120, (1,)), Rule(300, deputy=True))
T0 = datetime(2025, 1, 30, 2, 15, tzinfo=timezone.utc)


# --- fire: what is due now, and when next ------------------------------------------------------------

@pytest.mark.parametrize("case, elapsed_s, next_rule, sent, accepted, expected", [
    ("at once: the first channel, SMS due at 120 s",
     0, 0, set(), False, Firing((0,), (0,), False, 1, 120)),
    ("before 2 minutes nothing more is due",
     119.9, 1, {0}, False, Firing((), (), False, 1, 120)),
    ("at 2 minutes without acceptance: SMS",
     120, 1, {0}, False, Firing((1,), (1,), False, 2, 300)),
    ("at 5 minutes: the deputy, nothing after",
     300, 2, {0, 1}, False, Firing((2,), (), True, 3, None)),
    ("a worker down for 6 minutes fires every missed rule at once",
     360, 0, set(), False, Firing((0, 1, 2), (0, 1), True, 3, None)),
    ("a channel already in the sent-log is not paged again",
     120, 0, {0, 1}, False, Firing((0, 1), (), False, 2, 300)),
    ("accepted: nothing fires, ever",
     120, 1, {0}, True, Firing((), (), False, 3, None)),
    ("every rule fired: nothing left",
     900, 3, {0, 1}, False, Firing((), (), False, 3, None)),
])
def test_fire(case, elapsed_s, next_rule, sent, accepted, expected):
    assert fire(WECOM_SMS_DEPUTY, elapsed_s=elapsed_s, next_rule=next_rule, sent=sent, accepted=accepted) == expected


def test_a_person_without_rules_is_paged_on_the_first_channel_at_once_and_never_again():
    assert fire(IMMEDIATE, elapsed_s=0, next_rule=0, sent=set(), accepted=False) == Firing((0,), (0,), False, 1, None)


def test_rules_due_together_page_each_channel_once_in_order():
    rules = (Rule(0, (1, 0)), Rule(0, (0, 2)))
    assert fire(rules, elapsed_s=0, next_rule=0, sent=set(), accepted=False).channels == (1, 0, 2)


# --- failover and the deputy ----------------------------------------------------------------------------

@pytest.mark.parametrize("sent, failed, expected", [
    (set(), {0}, (1, 2)),       # WeCom failed: SMS next, then the third
    (set(), {1}, (0, 2)),       # a later rule's channel failed: the others, in order
    ({2}, {0}, (1,)),           # never the channel already sent
    (set(), {0, 1, 2}, ()),     # nothing left
])
def test_failover_tries_the_other_channels_in_order(sent, failed, expected):
    assert failover(3, sent=sent, failed=failed) == expected


@pytest.mark.parametrize("sent, failed, expected", [
    (set(), {0, 1}, True),      # every channel failed: page the deputy
    (set(), {0}, False),        # one channel not tried yet
    ({0}, {1}, False),          # reached before on WeCom: the person has the page
])
def test_the_deputy_is_needed_only_when_every_channel_failed_and_none_ever_got_through(sent, failed, expected):
    assert deputy_needed(2, sent=sent, failed=failed) is expected


# --- stops: acceptance ends the rules ------------------------------------------------------------------

@pytest.mark.parametrize("order_department, kind, status, department, expected", [
    (None, "accepted", "accepted", None, True),
    (None, "on_scene", "on_scene", None, True),
    (None, "repaged", "dispatched", None, False),
    (None, "escalated", "dispatched", None, False),
    (None, "resolved", "resolved", None, True),
    ("fire", "dept_accepted", "dispatched", "fire", True),
    ("fire", "dept_accepted", "dispatched", "power", False),   # another department accepted
    ("fire", "accepted", "accepted", None, False),              # the centre took it; fire has not
    ("fire", "closed", "closed", None, True),
])
def test_which_incident_steps_stop_an_orders_rules(order_department, kind, status, department, expected):
    assert stops(order_department, kind=kind, status=status, department=department) is expected


# --- the durable plan ----------------------------------------------------------------------------------

def order() -> DispatchOrder:
    return DispatchOrder(id="I-1:2", incident_id="I-1", step=2, tier="grid", title="t", body="b",
                         place=Place(district="观山湖区", grid_id="G-1"), responders=["gh-1"], issued_at=T0,
                         accept_by=T0 + timedelta(minutes=5))


def test_a_plan_counts_from_the_orders_issue_time_and_a_replay_keeps_it():
    plan = begin(None, order(), "gh-1", WECOM_SMS_DEPUTY)
    assert (plan.start, plan.due, plan.next_rule) == (T0, T0, 0)
    moved = plan.derive(next_rule=1, due=T0 + timedelta(seconds=120))
    assert begin(moved, order(), "gh-1", WECOM_SMS_DEPUTY) is moved


def test_advance_sets_the_next_deadline_and_never_fires_a_rule_twice():
    plan = begin(None, order(), "gh-1", WECOM_SMS_DEPUTY)
    after_first = advance(plan, fire(WECOM_SMS_DEPUTY, elapsed_s=0, next_rule=0, sent=set(), accepted=False),
                          deputy_paged=False)
    assert (after_first.next_rule, after_first.due) == (1, T0 + timedelta(seconds=120))
    stale = Firing((0,), (0,), False, 1, 120)
    later = after_first.derive(next_rule=2, due=T0 + timedelta(seconds=300))
    assert advance(later, stale, deputy_paged=False) == later  # an older firing does not move it back


def test_a_stopped_plan_has_no_deadline_and_stays_stopped():
    plan = stop(begin(None, order(), "gh-1", WECOM_SMS_DEPUTY), "accepted by gh-1")
    assert (plan.due, plan.stopped) == (None, "accepted by gh-1")
    # a firing that was under way when the acceptance arrived does not restart it
    after = advance(plan, Firing((0,), (0,), False, 1, 120), deputy_paged=True)
    assert (after.due, after.stopped, after.deputy_paged) == (None, "accepted by gh-1", True)
    assert stop(after, "closed by x").stopped == "accepted by gh-1"


def test_a_round_that_reached_nobody_comes_back_to_try_every_channel_again():
    plan = begin(None, order(), "gh-1", IMMEDIATE)
    first = fire(IMMEDIATE, elapsed_s=0, next_rule=0, sent=set(), accepted=False)
    retry_at = T0 + timedelta(seconds=30)
    unreached = advance(plan, first, deputy_paged=True, retry_at=retry_at)
    assert (unreached.due, unreached.unreached) == (retry_at, 1)  # not given up on: no rule is left
    later = fire(IMMEDIATE, elapsed_s=30, next_rule=unreached.next_rule, sent=set(), accepted=False)
    assert later.channels == () and retry_channels(2, unreached=1, sent=set(), firing=later) == (0, 1)
    again = advance(unreached, later, deputy_paged=False, retry_at=T0 + timedelta(seconds=60))
    assert (again.due, again.unreached) == (T0 + timedelta(seconds=60), 2)
    reached = advance(again, later, deputy_paged=False, reached=True)
    assert (reached.due, reached.unreached) == (None, 0)  # got through: nothing more to do


def test_a_retry_never_postpones_a_rule_that_is_due_sooner_nor_revives_a_stopped_plan():
    plan = begin(None, order(), "gh-1", WECOM_SMS_DEPUTY)  # SMS rule at 120 s
    first = fire(WECOM_SMS_DEPUTY, elapsed_s=0, next_rule=0, sent=set(), accepted=False)
    assert advance(plan, first, deputy_paged=False, retry_at=T0 + timedelta(seconds=300)).due == T0 + timedelta(seconds=120)
    stopped = stop(plan, "accepted by gh-1")
    assert advance(stopped, first, deputy_paged=False, retry_at=T0 + timedelta(seconds=30)).due is None


def test_no_retry_round_once_a_channel_got_through_or_while_a_rule_fires():
    firing = fire(IMMEDIATE, elapsed_s=0, next_rule=0, sent=set(), accepted=False)
    idle = fire(IMMEDIATE, elapsed_s=60, next_rule=1, sent=set(), accepted=False)
    assert retry_channels(2, unreached=0, sent=set(), firing=idle) == ()  # the last round reached someone
    assert retry_channels(2, unreached=1, sent={1}, firing=idle) == ()  # a channel got through before
    assert retry_channels(2, unreached=1, sent=set(), firing=firing) == ()  # the rule's own round pages now


# --- sent-log keys and attempt ids ----------------------------------------------------------------------

def test_the_sent_log_key_is_incident_step_person_channel():
    assert sent_key("I-1:2", "gh-1", "json-0") == "I-1:2:gh-1:json-0"


def test_each_attempt_has_its_own_id_per_rule_and_number():
    key = sent_key("I-1:2", "gh-1", "json-0")
    ids = {attempt_id(key, rule, n) for rule in (0, 1, "deputy") for n in (1, 2)}
    assert len(ids) == 6 and all(i.startswith(key + ":") for i in ids)


def test_different_channels_steps_and_people_never_share_a_key():
    keys = {sent_key(o, p, c) for o in ("I-1:2", "I-1:3") for p in ("gh-1", "dd-1") for c in ("json-0", "mailto-1")}
    assert len(keys) == 8


# --- deliver reports every attempt ---------------------------------------------------------------------

class Flaky:
    name = "json-0"

    def __init__(self, *results: SendResult) -> None:
        self.results = list(results)

    async def send(self, title: str, body: str) -> SendResult:
        return self.results.pop(0)


def test_deliver_reports_every_attempt_with_its_number_and_result():
    seen = []

    async def record(attempt, result):
        seen.append((attempt, result.ok))

    failing, ok = SendResult.transient("503"), SendResult.sent()
    asyncio.run(deliver(Flaky(failing, failing, ok), "t", "b", attempts=3, backoff_s=0, on_attempt=record))
    assert seen == [(1, False), (2, False), (3, True)]


# --- roster.yaml: rules and deputies -------------------------------------------------------------------

@pytest.fixture
def config_dir(tmp_path):
    target = tmp_path / "district"
    shutil.copytree(SAMPLE_CONFIG_DIR, target)
    return target


def edit_first_person(config_dir, **changes):
    path = config_dir / "roster.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["staff"][0].update(changes)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return document["staff"][0]["id"]


TWO = ["json://127.0.0.1:8025/inbox/a", "json://127.0.0.1:8025/inbox/b"]



def test_rules_and_a_deputy_load(config_dir):
    person = edit_first_person(config_dir, channels=TWO, deputy="dd-GSH-1",
                               rules=[{"after_s": 0, "channels": [0]}, {"after_s": 120, "channels": [1]},
                                      {"after_s": 300, "deputy": True}])
    loaded = load_config(config_dir).person(person)
    assert loaded.deputy == "dd-GSH-1" and [r.after_s for r in loaded.rules] == [0, 120, 300]


@pytest.mark.parametrize("changes, problem", [
    (dict(rules=[{"after_s": 0, "channels": [2]}]), "rules[0].channels[0]: there is no channel 2; this person has 2"),
    (dict(rules=[{"after_s": 300, "deputy": True}]), "rules[0].deputy: true, but the person names no deputy"),
    (dict(rules=[{"after_s": 120, "channels": [1]}, {"after_s": 0, "channels": [0]}]),
     "rules[1].after_s: 0 comes before the previous rule's 120"),
    (dict(rules=[{"after_s": 0}]), "a rule must name channels, or deputy: true"),
    (dict(rules=[{"after_s": -1, "channels": [0]}]), "greater than or equal to 0"),
    (dict(rules=[{"after_s": 0, "channel": [0]}]), "unknown key"),
    (dict(rules=[]), "at least 1"),
    (dict(deputy="nobody-here"), "deputy: 'nobody-here' is not on the roster"),
])
def test_bad_rules_and_deputies_name_the_file_and_the_person(config_dir, changes, problem):
    person = edit_first_person(config_dir, channels=TWO, **changes)
    with pytest.raises(ConfigErrors) as caught:
        load_config(config_dir)
    message = caught.value.render()
    line = next((l for l in message.splitlines() if problem in l), None)
    assert line is not None, message
    assert line.startswith(f"{config_dir / 'roster.yaml'}: staff[0] (id {person})"), line


def test_a_person_cannot_be_their_own_deputy(config_dir):
    person = edit_first_person(config_dir, channels=TWO)
    edit_first_person(config_dir, deputy=person)
    with pytest.raises(ConfigErrors, match="cannot be their own deputy"):
        load_config(config_dir)


CHANNELS = {"gh-1": ["mailto://a", "tgram://b"], "dep-1": ["mailto://c"], "vh-1": ["mailto://d"]}


@pytest.mark.parametrize("paged, sent, told", [
    ([("INC-1:2", "gh-1")], {("INC-1:2", "gh-1", 1)}, [("gh-1", 1)]),                 # on the channel that reached
    ([("INC-1:2", "gh-1"), ("INC-1:5", "gh-1")], {("INC-1:2", "gh-1", 1), ("INC-1:5", "gh-1", 0)},
     [("gh-1", 0)]),                                                                       # once, however often paged
    ([("INC-1:2", "gh-1"), ("INC-1:2", "dep-1")], {("INC-1:2", "dep-1", 0)}, [("dep-1", 0)]),  # a deputy who stood in
    ([("INC-1:2", "vh-1")], set(), []),                                                    # never reached: left alone
])
def test_a_stand_down_goes_once_to_each_person_a_page_reached(paged, sent, told):
    assert stand_down_targets(paged, CHANNELS.__getitem__, lambda o, p, i: (o, p, i) in sent) == told
