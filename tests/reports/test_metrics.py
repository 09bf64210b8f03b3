"""reports.metrics on hand-built cards whose figures are known in advance."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from forms.card import Action, Card, Rating
from forms.config import Config, load_config, load_raw
from forms.errors import BadInput
from reports import metrics
from reports.scope import (
    Period,
    parse_period,
    period_months,
    period_name,
    previous_period,
    trailing_periods,
)

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(day: int, hour: int = 9, month: int = 10) -> datetime:
    """Moscow wall time as aware UTC."""
    return datetime(2026, month, day, hour, tzinfo=MSK).astimezone(UTC)


def card(n: int, kind: str = "hazard", *, state: str = "filed", reporter: str | None = "ivanov",
         filed: datetime | None = None, **fields: Any) -> Card:
    c = Card(id=f"0000000{n}-0000-7000-8000-00000000000{n % 10}", kind=kind, state=state,
             reporter=reporter, anonymous=reporter is None, supervisor="petrov",
             chain=["petrov", "fedorov", "kuznetsova"], filed_at=filed or at(5),
             fields={"title": f"card {n}", "site": "sever", **fields})
    return c


def rating(severity: int, likelihood: int, band: str) -> Rating:
    return Rating(severity, 1, likelihood, "ok", severity, likelihood, severity * likelihood,
                  band)


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config()


# ---- no cards at all -------------------------------------------------------------------------

def test_no_cards_gives_zeros_and_nones(config: Config) -> None:
    f = metrics.summarize([], config, NOW)
    assert f.cards == 0 and f.by_kind == {} and f.by_site == {}
    assert f.acknowledge == metrics.DurationStats(0, None, None)
    assert f.resolve.median_hours is None
    assert all(s.due == 0 and s.percent is None for s in f.sla.values())
    assert f.loyalty.value is None
    assert f.steps_skipped == dict.fromkeys(config.lists["complaint_steps"], 0)
    assert f.risk.assessed == 0 and f.risk.cells == {}
    assert f.actions == metrics.ActionTimeliness(0, 0, 0, 0)
    assert f.actions.on_time_percent is None
    assert metrics.recurring_problems([]) == []
    m = metrics.motivation([])
    assert m.people == [] and m.units == [] and m.anonymous == 0
    assert metrics.agenda([], config) == []
    assert metrics.change(3, 0).percent is None and metrics.change(3, 0).delta == 3


# ---- counts and changes ----------------------------------------------------------------------

def test_counts_by_dimension_largest_first(config: Config) -> None:
    cards = [card(1, category="fire", department="synthesis"),
             card(2, category="fire"),
             card(3, category="height", department="synthesis"),
             card(4, "complaint", cause="premises", outcome="satisfied", sentiment="positive"),
             card(5, "complaint", cause="premises", outcome="threats")]
    assert metrics.count_by(cards, "kind") == {"hazard": 3, "complaint": 2}
    assert metrics.count_by(cards, "category") == {"fire": 2, "height": 1}
    assert metrics.count_by(cards, "department") == {"": 3, "synthesis": 2}
    assert metrics.count_by(cards, "cause", kind="complaint") == {"premises": 2}
    assert metrics.count_by(cards, "outcome") == {"satisfied": 1, "threats": 1}
    with pytest.raises(ValueError):
        metrics.count_by(cards, "colour")
    changes = metrics.compare_counts({"fire": 4, "height": 1}, {"fire": 2, "ppe": 3})
    assert list(changes) == ["fire", "height", "ppe"]
    assert changes["fire"].delta == 2 and changes["fire"].percent == 100.0
    assert changes["height"].percent is None
    assert changes["ppe"].delta == -3 and changes["ppe"].percent == -100.0


# ---- speed and SLA ---------------------------------------------------------------------------

def test_times_and_in_sla_percent(config: Config) -> None:
    # Complaints: acknowledge within 24 h, resolve within one working day.
    a = card(1, "complaint", state="closed", filed=at(5, 9))  # Monday 09:00
    a.acknowledged_at, a.closed_at = at(5, 10), at(5, 11)  # 1 h, 2 h: both on time
    b = card(2, "complaint", state="closed", filed=at(5, 9))
    b.acknowledged_at, b.closed_at = at(6, 15), at(8, 9)  # 30 h and 72 h: both late
    c = card(3, "complaint", filed=at(5, 9))  # never answered: both overdue by November
    d = card(4, "complaint", filed=NOW - timedelta(hours=1))  # not due yet: not counted
    cards = [a, b, c, d]
    ack = metrics.time_to_acknowledge(cards)
    assert (ack.count, ack.median_hours, ack.mean_hours) == (2, 15.5, 15.5)
    res = metrics.time_to_resolve(cards)
    assert (res.count, res.median_hours, res.mean_hours) == (2, 37.0, 37.0)
    sla = metrics.sla_compliance(cards, config, NOW)
    assert (sla["acknowledge"].due, sla["acknowledge"].on_time) == (3, 1)
    assert (sla["resolve"].due, sla["resolve"].on_time) == (3, 1)
    assert sla["acknowledge"].percent == pytest.approx(100 / 3)
    assert sla["assess"].due == 0 and sla["assess"].percent is None
    overdue = metrics.overdue_items(cards, config, NOW)
    assert [(i.card.id, i.status.deadline.kind) for i in overdue] == [
        (c.id, "acknowledge"), (c.id, "resolve")]
    assert all(i.owner == "petrov" for i in overdue)
    # A month overdue: escalated past the supervisor, up the chain.
    escalated = metrics.escalated_items(cards, config, NOW)
    assert {i.status.escalated_to for i in escalated} == {"kuznetsova"}


def test_reopened_card_counts_for_resolve_only_once_closed_again(config: Config) -> None:
    closed = card(1, "complaint", state="closed", filed=at(5, 9))
    closed.acknowledged_at, closed.closed_at = at(5, 10), at(5, 12)
    reopened = replace(closed, id="reopened", state="reopened", closed_at=None,
                       reopened_at=at(6, 9), reopen_count=1)
    reclosed = replace(reopened, id="reclosed", state="closed", closed_at=at(7, 9))
    res = metrics.time_to_resolve([closed, reopened, reclosed])
    assert res.count == 2  # the reopened card is open: not resolved
    assert res.median_hours == pytest.approx((3 + 48) / 2)  # re-closed: from first filing
    # A repeat of a closed card at the same place is a recurring problem.
    first = card(5, category="fire", location="Склад", state="closed", filed=at(1))
    first.closed_at = at(2)
    again = card(6, category="fire", location="  склад ", filed=at(10))
    (rec,) = metrics.recurring_problems([again], earlier=[first])
    assert rec.cards == (again,) and rec.repeats_of_closed == (again,)
    assert (rec.category, rec.site, rec.location) == ("fire", "sever", "склад")


# ---- complaints ------------------------------------------------------------------------------

def test_loyalty_index_and_steps_skipped(config: Config) -> None:
    cards = [card(1, "complaint", sentiment="positive"),
             card(2, "complaint", sentiment="positive"),
             card(3, "complaint", sentiment="positive"),
             card(4, "complaint", steps_done=["empathy", "apology"]),  # default: negative
             card(5, "hazard", sentiment="positive")]  # not a complaint: ignored
    li = metrics.loyalty_index(cards)
    assert (li.positive, li.negative, li.value) == (3, 1, 0.5)
    assert metrics.loyalty_index([card(1, "complaint")]).value == -1.0
    skipped = metrics.steps_skipped(cards, config)
    assert skipped == {"questions": 1, "help": 1, "satisfaction": 1, "empathy": 0,
                       "apology": 0}


# ---- recurring, risk, actions ------------------------------------------------------------------

def test_recurring_problems_group_by_category_site_location() -> None:
    cards = [card(1, category="fire", location="Цех 1", filed=at(3)),
             card(2, category="fire", location="цех 1", filed=at(4)),
             card(3, category="fire", location="Цех 2", filed=at(5)),
             card(4, category="height", filed=at(6)),
             card(5, category="height", filed=at(7), site="yug"),
             card(6, "safety_idea", filed=at(8)), card(7, "safety_idea", filed=at(9))]
    (rec,) = metrics.recurring_problems(cards)
    assert [c.id for c in rec.cards] == [cards[0].id, cards[1].id]
    assert rec.repeats_of_closed == ()


def test_risk_distribution_and_agenda(config: Config) -> None:
    a = card(1, state="actions")
    a.risk_initial = rating(5, 4, "critical")
    b = card(2, state="closed")
    b.risk_initial, b.risk_residual = rating(3, 4, "high"), rating(2, 1, "low")
    c = card(3, state="assessing")
    c.risk_initial = rating(3, 4, "high")
    d = card(4, state="filed")  # not assessed, waiting for a decision
    e = card(5, "complaint", state="filed", filed=at(1))  # waiting too
    dist = metrics.risk_distribution([a, b, c, d, e], config)
    assert dist.bands == {"low": 0, "medium": 0, "high": 2, "critical": 1}
    assert dist.cells == {(5, 4): 1, (3, 4): 2} and dist.not_assessed == 1
    current = metrics.risk_distribution([a, b, c, d, e], config, rating="current")
    assert current.bands["low"] == 1 and current.bands["high"] == 1
    assert metrics.agenda([a, b, c, d, e], config) == [a, c, e, d]


def test_actions_on_time_and_late(config: Config) -> None:
    c = card(1, state="actions")
    c.actions = {
        "a1": Action("a1", "on time", "ivanov", "2026-10-07", status="done",
                     done_at=at(7, 16)),  # before the end of that working day
        "a2": Action("a2", "late", "ivanov", "2026-10-07", status="done", done_at=at(8, 10)),
        "a3": Action("a3", "overdue", "petrov", "2026-10-20"),
        "a4": Action("a4", "pending", "petrov", "2026-12-20"),
        "a5": Action("a5", "cancelled", "petrov", "2026-10-01", status="cancelled"),
    }
    t = metrics.action_timeliness([c], config, NOW)
    assert (t.on_time, t.late, t.open_overdue, t.open) == (1, 1, 1, 1)
    assert t.on_time_percent == 50.0
    assert [la.action.id for la in t.late_actions] == ["a2"]


# ---- LTIFR -----------------------------------------------------------------------------------

def test_ltifr_from_configured_man_hours(config: Config) -> None:
    assert metrics.ltifr(config, ["2026-10"]) is None  # nothing configured
    cfg = replace(config, ltifr={
        "man_hours": {"2026-10": {"sever": 1_200_000, "yug": 800_000}, "2026-09": 500_000},
        "lost_time_injuries": {"2026-10": {"sever": 1, "yug": 2}}})
    whole = metrics.ltifr(cfg, ["2026-10"])
    assert whole is not None and whole.value == 1.5 and whole.injuries == 3
    sever = metrics.ltifr(cfg, ["2026-10"], "sever")
    assert sever is not None and sever.value == pytest.approx(1 / 1.2)
    assert metrics.ltifr(cfg, ["2026-09"], "sever") is None  # only a company-wide figure
    sept = metrics.ltifr(cfg, ["2026-09"])
    assert sept is not None and sept.value == 0.0


# ---- motivation and anonymity ----------------------------------------------------------------

def test_motivation_never_credits_anonymous_cards_to_a_person() -> None:
    cards = [card(1, reporter="ivanov", department="synthesis"),
             card(2, "safety_idea", reporter="ivanov", department="synthesis"),
             card(3, reporter="kozlov", department="repair"),
             card(4, reporter=None, department="repair"),
             card(5, reporter=None)]
    m = metrics.motivation(cards)
    assert [(t.key, t.total) for t in m.people] == [("ivanov", 2), ("kozlov", 1)]
    assert m.people[0].by_kind == {"hazard": 1, "safety_idea": 1}
    assert [(t.key, t.total) for t in m.units] == [("repair", 2), ("synthesis", 2)]
    assert m.anonymous == 2


def test_only_anonymous_cards(config: Config) -> None:
    cards = [card(1, reporter=None, department="repair"), card(2, reporter=None)]
    m = metrics.motivation(cards)
    assert m.people == [] and m.anonymous == 2
    assert [(t.key, t.total) for t in m.units] == [("repair", 1)]
    f = metrics.summarize(cards, config, NOW)
    assert f.cards == 2 and f.by_kind == {"hazard": 2}


# ---- periods, and a month with a daylight-saving change ----------------------------------------

def test_named_periods() -> None:
    month = parse_period("2026-10", MSK)
    assert (month.first, month.last) == (date(2026, 10, 1), date(2026, 10, 31))
    assert period_name(month) == "2026-10" and period_name(previous_period(month)) == "2026-09"
    week = parse_period("2026-w43", MSK)
    assert (week.first, week.last) == (date(2026, 10, 19), date(2026, 10, 25))
    assert period_name(previous_period(week)) == "2026-W42"
    assert period_months(week) == ["2026-10"]
    jan = parse_period("2026-01", MSK)
    assert period_name(previous_period(jan)) == "2025-12"
    assert [period_name(p) for p in trailing_periods(jan, 3)] == ["2025-11", "2025-12",
                                                                  "2026-01"]
    for bad in ("2026-13", "2026-W54", "October", "", "2026-1", "2025-W53"):
        with pytest.raises(BadInput) as err:
            parse_period(bad, MSK)
        assert err.value.key == "bad_report_period"


def test_period_crossing_a_dst_change(tmp_path: Path) -> None:
    raw = load_raw()
    raw["sla"]["calendar"]["timezone"] = "Europe/Berlin"
    (tmp_path / "sla.json").write_text(json.dumps(raw["sla"]), "utf-8")
    berlin_config = load_config(tmp_path)
    berlin = ZoneInfo("Europe/Berlin")
    october = parse_period("2026-10", berlin)  # summer time ends on 25 October
    # Same-zone subtraction in Python is wall-clock time: compare real time in UTC.
    assert october.end.astimezone(UTC) - october.start.astimezone(UTC) == timedelta(days=31,
                                                                                    hours=1)
    first = datetime(2026, 10, 1, 0, 30, tzinfo=berlin)  # 30 Sep 22:30 UTC
    last = datetime(2026, 10, 31, 23, 30, tzinfo=berlin)  # 31 Oct 22:30 UTC
    after = datetime(2026, 11, 1, 0, 30, tzinfo=berlin)
    assert october.contains(first) and october.contains(last) and not october.contains(after)
    # Noon to noon across the change is 25 real hours, even given as Berlin wall times.
    c = card(1, "complaint", state="closed", filed=datetime(2026, 10, 24, 12, tzinfo=berlin))
    c.acknowledged_at = datetime(2026, 10, 25, 12, tzinfo=berlin)
    c.closed_at = c.acknowledged_at
    assert metrics.time_to_resolve([c]).median_hours == 25.0
    assert metrics.time_to_acknowledge([c]).median_hours == 25.0
    # Acknowledge within 24 h: 25 real hours is late, whatever the wall clock says.
    sla = metrics.sla_compliance([c], berlin_config, NOW)
    assert (sla["acknowledge"].due, sla["acknowledge"].on_time) == (1, 0)
    spring = Period(date(2026, 3, 29), date(2026, 3, 29), berlin)
    assert spring.end.astimezone(UTC) - spring.start.astimezone(UTC) == timedelta(hours=23)
