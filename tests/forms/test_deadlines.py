"""SLA deadlines: what is due when, reminders, overdue marks and escalation up the chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from forms.card import Action, Card, Rating
from forms.config import load_config
from forms.deadlines import (
    Deadline,
    compute_deadlines,
    evaluate,
    is_overdue,
    next_due,
)

CONFIG = load_config()
MSK = timezone(timedelta(hours=3))
HAZARD_CHAIN = ["petrov", "fedorov", "kuznetsova"]


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK).astimezone(UTC)


def card(kind: str = "complaint", filed_at: datetime | None = None, **changes: Any) -> Card:
    defaults: dict[str, Any] = {
        "complaint": {"supervisor": "novikova", "chain": ["novikova", "zaitseva"]},
        "hazard": {"supervisor": "petrov", "chain": list(HAZARD_CHAIN)},
        "safety_idea": {"supervisor": "zaitseva", "chain": ["zaitseva"]},
    }.get(kind, {})
    defaults["state"] = "filed" if filed_at else "draft"
    return Card(id="c1", kind=kind, filed_at=filed_at, **{**defaults, **changes})


def rating(band: str) -> Rating:
    return Rating(degree=1, scale=1, frequency=1, compliance="ok", severity=1, likelihood=1,
                  score=1, band=band)


def by_kind(deadlines: list[Deadline], kind: str) -> Deadline:
    return next(d for d in deadlines if d.kind == kind)


def status(c: Card, kind: str, now: datetime) -> Any:
    return next(s for s in evaluate(c, CONFIG, now) if s.deadline.kind == kind)


MONDAY_10 = msk(2026, 3, 16, 10)
FRIDAY_16 = msk(2026, 3, 13, 16)


# --- the complaint defaults (DOMAIN §3: answer within 24 h, solve within one day) ---------

def test_complaint_must_be_acknowledged_within_24_calendar_hours() -> None:
    deadlines = compute_deadlines(card(filed_at=FRIDAY_16), CONFIG)
    assert by_kind(deadlines, "acknowledge").due == msk(2026, 3, 14, 16)  # Saturday


def test_complaint_must_be_resolved_within_one_working_day() -> None:
    assert by_kind(compute_deadlines(card(filed_at=FRIDAY_16), CONFIG), "resolve").due == msk(
        2026, 3, 16, 16
    )
    assert by_kind(compute_deadlines(card(filed_at=MONDAY_10), CONFIG), "resolve").due == msk(
        2026, 3, 17, 10
    )


def test_complaint_has_no_assess_deadline() -> None:
    kinds = [d.kind for d in compute_deadlines(card(filed_at=MONDAY_10), CONFIG)]
    assert kinds == ["acknowledge", "resolve"]


def test_card_deadlines_belong_to_the_supervisor() -> None:
    deadlines = compute_deadlines(card(filed_at=MONDAY_10), CONFIG)
    assert {d.owner for d in deadlines} == {"novikova"}
    assert {d.ref for d in deadlines} == {None}


def test_unfiled_card_has_no_deadlines() -> None:
    draft = card()
    assert compute_deadlines(draft, CONFIG) == []
    assert evaluate(draft, CONFIG, MONDAY_10) == []
    assert next_due(draft, CONFIG) is None
    assert not is_overdue(draft, CONFIG, MONDAY_10)


def test_card_with_unconfigured_profile_has_no_deadlines() -> None:
    assert compute_deadlines(card("retired_kind", filed_at=MONDAY_10), CONFIG) == []


# --- hazards: assess, risk bands, actions ------------------------------------------------

def test_hazard_is_acknowledged_in_4_business_hours_and_assessed_in_2_days() -> None:
    deadlines = compute_deadlines(card("hazard", filed_at=FRIDAY_16), CONFIG)
    assert [d.kind for d in deadlines] == ["acknowledge", "assess", "resolve"]
    assert by_kind(deadlines, "acknowledge").due == msk(2026, 3, 16, 11)
    assert by_kind(deadlines, "assess").due == msk(2026, 3, 17, 16)


def test_resolve_time_follows_the_risk_band() -> None:
    def resolve_due(**changes: Any) -> datetime:
        c = card("hazard", filed_at=MONDAY_10, **changes)
        return by_kind(compute_deadlines(c, CONFIG), "resolve").due

    assert resolve_due() == msk(2026, 4, 6, 10)  # 15 working days, the default
    assert resolve_due(risk_initial=rating("critical")) == msk(2026, 3, 18, 10)
    assert resolve_due(risk_initial=rating("high")) == msk(2026, 3, 23, 10)
    # Once verified, the residual band is the one that counts.
    assert resolve_due(risk_initial=rating("critical"), risk_residual=rating("low")) == msk(
        2026, 4, 27, 10
    )


def test_band_missing_from_profile_uses_default() -> None:
    c = card("safety_idea", filed_at=MONDAY_10, risk_initial=rating("critical"))
    assert by_kind(compute_deadlines(c, CONFIG), "resolve").due == msk(2026, 4, 13, 10)  # 20bd


def test_each_live_action_has_a_deadline_at_the_end_of_its_day() -> None:
    actions = {
        "a1": Action(id="a1", title="Fence the pit", owner="kozlov", due="2026-03-18"),
        "a2": Action(id="a2", title="Old plan", owner="kozlov", due="2026-03-18",
                     status="cancelled"),
        "a3": Action(id="a3", title="Train staff", owner="ivanov", due="2026-05-01",
                     status="done", done_at=msk(2026, 4, 30, 12)),
    }
    c = card("hazard", filed_at=MONDAY_10, actions=actions)
    action_deadlines = [d for d in compute_deadlines(c, CONFIG) if d.kind == "action"]
    assert action_deadlines == [
        Deadline("action", msk(2026, 3, 18, 17), None, "kozlov", "a1"),
        # 1 May is a holiday: due at the end of the next working day.
        Deadline("action", msk(2026, 5, 4, 17), msk(2026, 4, 30, 12), "ivanov", "a3"),
    ]


# --- profiles, reopen, closing -----------------------------------------------------------

def test_whistleblowing_profile_follows_the_eu_directive_clocks() -> None:
    c = card("hazard", filed_at=msk(2026, 1, 31, 10), sla_profile="whistleblowing")
    deadlines = compute_deadlines(c, CONFIG)
    assert [d.kind for d in deadlines] == ["acknowledge", "resolve"]
    assert by_kind(deadlines, "acknowledge").due == msk(2026, 2, 7, 10)
    assert by_kind(deadlines, "resolve").due == msk(2026, 4, 30, 10)


def test_reopened_card_gets_a_new_resolve_clock() -> None:
    c = card(filed_at=MONDAY_10, state="reopened", acknowledged_at=MONDAY_10,
             reopened_at=msk(2026, 3, 20, 16))
    assert by_kind(compute_deadlines(c, CONFIG), "resolve").due == msk(2026, 3, 23, 16)


def test_closed_card_meets_its_open_deadlines_at_closing() -> None:
    closed = msk(2026, 3, 18, 12)
    actions = {"a1": Action(id="a1", title="x", owner="kozlov", due="2026-03-20")}
    c = card("hazard", filed_at=MONDAY_10, state="closed", closed_at=closed, actions=actions,
             acknowledged_at=msk(2026, 3, 16, 11), assessed_at=msk(2026, 3, 16, 12))
    deadlines = compute_deadlines(c, CONFIG)
    assert [d.met_at for d in deadlines] == [
        msk(2026, 3, 16, 11), msk(2026, 3, 16, 12), closed, closed
    ]
    assert next_due(c, CONFIG) is None
    assert not is_overdue(c, CONFIG, msk(2027, 1, 1))


def test_rejected_card_owes_nothing() -> None:
    c = card(filed_at=MONDAY_10, state="rejected", closed_at=msk(2026, 3, 20, 9))
    statuses = evaluate(c, CONFIG, msk(2026, 4, 1))
    assert not any(s.overdue or s.remind for s in statuses)
    assert all(s.late for s in statuses)  # both clocks had run out when it was rejected


# --- status at a moment ------------------------------------------------------------------

def test_deadline_is_not_overdue_at_its_due_time_but_just_after() -> None:
    c = card("hazard", filed_at=MONDAY_10)
    due = msk(2026, 3, 16, 14)
    assert not status(c, "acknowledge", due).overdue
    assert status(c, "acknowledge", due + timedelta(seconds=1)).overdue
    assert not is_overdue(c, CONFIG, due)
    assert is_overdue(c, CONFIG, due + timedelta(seconds=1))


def test_met_deadline_is_late_not_overdue() -> None:
    c = card(filed_at=FRIDAY_16, acknowledged_at=msk(2026, 3, 16, 9))
    s = status(c, "acknowledge", msk(2026, 3, 20))
    assert (s.overdue, s.late, s.remind, s.escalation_level) == (False, True, False, 0)
    on_time = status(card(filed_at=FRIDAY_16, acknowledged_at=FRIDAY_16), "acknowledge",
                     msk(2026, 3, 20))
    assert (on_time.overdue, on_time.late) == (False, False)


def test_reminder_comes_remind_before_the_deadline_in_working_time() -> None:
    # Complaint filed Monday 10:00: resolve due Tuesday 10:00, reminder 2 business hours before,
    # which is Tuesday 08:00 (the night does not count).
    c = card(filed_at=MONDAY_10, acknowledged_at=MONDAY_10)
    assert not status(c, "resolve", msk(2026, 3, 16, 20)).remind
    assert status(c, "resolve", msk(2026, 3, 17, 8)).remind
    assert status(c, "resolve", msk(2026, 3, 17, 10)).remind
    after = status(c, "resolve", msk(2026, 3, 17, 10, 1))
    assert (after.remind, after.overdue) == (False, True)


def test_overdue_card_escalates_to_next_in_chain() -> None:
    c = card("hazard", filed_at=MONDAY_10)  # acknowledge due Monday 14:00
    fresh = status(c, "acknowledge", msk(2026, 3, 16, 14, 1))
    assert (fresh.escalation_level, fresh.escalated_to) == (1, "fedorov")


def test_escalation_climbs_one_level_per_business_day_overdue() -> None:
    c = card("hazard", filed_at=MONDAY_10)
    assert status(c, "acknowledge", msk(2026, 3, 17, 13, 59)).escalation_level == 1
    second = status(c, "acknowledge", msk(2026, 3, 17, 14))
    assert (second.escalation_level, second.escalated_to) == (2, "kuznetsova")


def test_escalation_stops_at_the_top_of_the_chain() -> None:
    c = card("hazard", filed_at=MONDAY_10)
    top = status(c, "acknowledge", msk(2026, 6, 1))
    assert (top.escalation_level, top.escalated_to) == (2, "kuznetsova")


def test_escalation_waits_over_weekends() -> None:
    # Due Friday 17:00 (filed Friday 13:00 + 4bh); one business day overdue is Monday 17:00.
    c = card("hazard", filed_at=msk(2026, 3, 13, 13))
    assert status(c, "acknowledge", msk(2026, 3, 16, 16, 59)).escalation_level == 1
    assert status(c, "acknowledge", msk(2026, 3, 16, 17)).escalation_level == 2


def test_calendar_escalation_counts_plain_time() -> None:
    c = card("hazard", filed_at=MONDAY_10, sla_profile="whistleblowing")
    due = msk(2026, 3, 23, 10)
    assert status(c, "acknowledge", due + timedelta(days=7, seconds=-1)).escalation_level == 1
    assert status(c, "acknowledge", due + timedelta(days=7)).escalation_level == 2


def test_single_person_chain_cannot_escalate() -> None:
    c = card("safety_idea", filed_at=MONDAY_10)
    s = status(c, "acknowledge", msk(2026, 6, 1))
    assert s.overdue
    assert (s.escalation_level, s.escalated_to) == (0, None)


def test_action_deadline_escalates_from_its_owner() -> None:
    actions = {"a1": Action(id="a1", title="x", owner="kozlov", due="2026-03-17")}
    c = card("hazard", filed_at=MONDAY_10, acknowledged_at=MONDAY_10, actions=actions)
    s = status(c, "action", msk(2026, 3, 17, 17, 30))
    assert s.deadline.owner == "kozlov"
    assert (s.overdue, s.escalated_to) == (True, "fedorov")


def test_next_due_is_the_earliest_unmet_deadline() -> None:
    c = card("hazard", filed_at=MONDAY_10)
    assert next_due(c, CONFIG) == msk(2026, 3, 16, 14)
    acknowledged = card("hazard", filed_at=MONDAY_10, acknowledged_at=MONDAY_10)
    assert next_due(acknowledged, CONFIG) == msk(2026, 3, 18, 10)  # assess, 2bd


# --- the projection's index query must agree with the full evaluation --------------------

moments = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2027, 6, 30), timezones=st.just(UTC)
)
offsets = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60))


@st.composite
def cards(draw: st.DrawFn) -> Card:
    kind = draw(st.sampled_from(["hazard", "complaint", "safety_idea", "unknown"]))
    filed = draw(st.one_of(st.none(), moments))
    c = card(kind, filed_at=filed,
             chain=draw(st.lists(st.sampled_from(HAZARD_CHAIN), max_size=3)),
             sla_profile=draw(st.sampled_from([None, None, "whistleblowing", "hazard"])))
    if filed is None:
        return c
    c.state = draw(st.sampled_from(["filed", "assessing", "actions", "verifying", "reopened",
                                    "closed", "rejected"]))

    def later() -> datetime | None:
        return draw(st.one_of(st.none(), offsets.map(lambda o: filed + o)))

    c.acknowledged_at, c.assessed_at = later(), later()
    c.risk_initial = draw(st.one_of(st.none(), st.sampled_from(
        ["low", "medium", "high", "critical", "retired"]).map(rating)))
    if c.state == "reopened":
        c.reopened_at = filed + draw(offsets)
    if c.state in ("closed", "rejected"):
        c.closed_at = later()
    for n in range(draw(st.integers(0, 3))):
        due = (filed + draw(offsets)).date()
        status_ = draw(st.sampled_from(["open", "done", "cancelled"]))
        c.actions[f"a{n}"] = Action(id=f"a{n}", title="t", owner="kozlov", due=due.isoformat(),
                                    status=status_, done_at=later() if status_ == "done" else None)
    return c


@given(cards(), moments)
def test_overdue_is_exactly_next_due_before_now(c: Card, now: datetime) -> None:
    due = next_due(c, CONFIG)
    statuses = evaluate(c, CONFIG, now)
    assert is_overdue(c, CONFIG, now) == (due is not None and due < now)
    assert is_overdue(c, CONFIG, now) == any(s.overdue for s in statuses)


@given(cards(), moments)
def test_statuses_are_consistent(c: Card, now: datetime) -> None:
    for s in evaluate(c, CONFIG, now):
        assert not (s.overdue and s.late)
        assert not (s.overdue and s.remind)
        assert s.escalation_level == 0 or s.overdue
        assert s.escalation_level <= max(len(c.chain) - 1, 0)
        assert s.escalated_to == (c.chain[s.escalation_level] if s.escalation_level else None)
        if not c.is_open:
            assert s.deadline.met_at is not None


@given(cards(), moments, offsets)
def test_escalation_never_goes_down_as_time_passes(c: Card, now: datetime, wait: timedelta) -> None:
    before = [s.escalation_level for s in evaluate(c, CONFIG, now)]
    after = [s.escalation_level for s in evaluate(c, CONFIG, now + wait)]
    assert all(a >= b for a, b in zip(after, before, strict=True))
