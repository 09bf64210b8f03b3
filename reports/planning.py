"""The planning-meeting report (DESIGN.md §8, DOMAIN.md «планёрки»): a month or an ISO week
against the previous one.

`collect` gathers every figure (from `reports.metrics`, the same functions the dashboard
uses); `tables` turns them into plain tables, which the PDF prints and `reports.export`
writes as CSV/XLSX, so the printed and exported numbers cannot differ; `write_planning`
lays out the PDF with charts.

Scope: the cards *filed* in the period at the site (all sites when None). Overdue items and
the agenda are taken over every card open at the judging moment that was filed before the
period ended (an old open risk still needs the meeting's decision). Deterministic: the only
clock is `generated_at`, and `now` (deadlines judged) defaults to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from forms import risk as risk_rules
from forms.card import Card
from forms.config import Config
from forms.display import MINUS, Display
from forms.store.repo import CardQuery, Store
from reports import charts, metrics
from reports.document import FRAME_WIDTH, Furniture, Metadata, ReportDocument
from reports.scope import (
    Period,
    parse_period,
    period_months,
    period_name,
    previous_period,
    trailing_periods,
)
from reports.styles import Styles, cell, grid, heading, stylesheet, text

TREND_PERIODS = 6
TOP = 10  # rows of the motivation tables


@dataclass(frozen=True)
class PlanningData:
    period: Period
    previous: Period
    site: str | None
    now: datetime
    cards: list[Card]
    previous_cards: list[Card]
    current: metrics.PeriodFigures
    before: metrics.PeriodFigures
    trend: list[tuple[Period, dict[str, int]]]  # cards by kind per period, oldest first
    recurring: list[metrics.Recurrence]
    overdue: list[metrics.DeadlineItem]
    agenda: list[Card]
    motivation: metrics.Motivation
    ltifr: metrics.Ltifr | None
    ltifr_before: metrics.Ltifr | None


def collect(store: Store, config: Config, *, period: Period, site: str | None,
            now: datetime) -> PlanningData:
    """Every figure of the report, from two store queries."""
    window = trailing_periods(period, TREND_PERIODS)
    previous = previous_period(period)
    cards_in_window = store.list_cards(CardQuery(filed_from=window[0].start,
                                                 filed_to=period.end, site=site),
                                       newest_first=False)
    buckets: list[list[Card]] = [[] for _ in window]
    for card in cards_in_window:
        for i, p in enumerate(window):
            if p.contains(card.filed_at):
                buckets[i].append(card)
                break
    cards, previous_cards = buckets[-1], buckets[-2]
    earlier = [c for bucket in buckets[:-1] for c in bucket]
    open_cards = store.list_cards(CardQuery(filed_to=period.end, site=site, open_only=True),
                                  newest_first=False)
    return PlanningData(
        period=period, previous=previous, site=site, now=now, cards=cards,
        previous_cards=previous_cards,
        current=metrics.summarize(cards, config, now),
        before=metrics.summarize(previous_cards, config, now),
        trend=[(p, metrics.count_by(b, "kind")) for p, b in zip(window, buckets, strict=True)],
        recurring=metrics.recurring_problems(cards, earlier),
        overdue=metrics.overdue_items(open_cards, config, now),
        agenda=metrics.agenda(open_cards, config),
        motivation=metrics.motivation(cards),
        ltifr=metrics.ltifr(config, period_months(period), site),
        ltifr_before=metrics.ltifr(config, period_months(previous), site),
    )


# ---- tables: what the PDF prints and the export writes -------------------------------------


@dataclass(frozen=True)
class MetricTable:
    key: str  # a stable machine name: the CSV `table` column, the XLSX sheet name
    title: str
    columns: list[str]
    rows: list[list[Any]]  # raw values: str, int, float or None (no value)


def _delta(fmt: Display, ch: metrics.Change, digits: int = 0, *, percent: bool = True) -> str:
    """«+3 (+12 %)», «−0,62», «±0»."""
    out = fmt.signed(ch.delta, digits)
    if percent and ch.percent is not None and ch.delta:
        out += f" ({'+' if ch.percent > 0 else MINUS}{fmt.percent(abs(ch.percent))})"
    return out


def _count_table(key: str, title: str, first: str, current: dict[str, int],
                 previous: dict[str, int], label: Any, fmt: Display) -> MetricTable:
    rows = [[label(k), ch.current, ch.previous, ch.delta]
            for k, ch in metrics.compare_counts(current, previous).items()]
    return MetricTable(key, title, [first, fmt.t("report.planning.current"),
                                    fmt.t("report.planning.previous"),
                                    fmt.t("report.planning.change")], rows)


def tables(data: PlanningData, fmt: Display) -> list[MetricTable]:
    c, p = data.current, data.before
    t = fmt.t
    cols = [t("report.planning.figure"), t("report.planning.current"),
            t("report.planning.previous"), t("report.planning.change")]
    key_rows: list[list[Any]] = [[t("report.planning.k.cards"), c.cards, p.cards,
                                  c.cards - p.cards]]
    for kind in fmt.config.kinds:
        a, b = c.by_kind.get(kind, 0), p.by_kind.get(kind, 0)
        key_rows.append([fmt.kind(kind), a, b, a - b])

    def pair(label: str, a: float | None, b: float | None, digits: int = 1) -> list[Any]:
        """Hours and percentages to 0.1; the loyalty index and LTIFR to 0.001."""
        diff = None if a is None or b is None else round(a - b, digits)
        return [label, None if a is None else round(a, digits),
                None if b is None else round(b, digits), diff]

    key_rows.append(pair(t("report.planning.k.ack_median"), c.acknowledge.median_hours,
                         p.acknowledge.median_hours))
    key_rows.append(pair(t("report.planning.k.resolve_median"), c.resolve.median_hours,
                         p.resolve.median_hours))
    key_rows.append(pair(t("report.planning.k.resolve_mean"), c.resolve.mean_hours,
                         p.resolve.mean_hours))
    for kind in metrics.DEADLINE_KINDS:
        key_rows.append(pair(t("report.planning.k.sla", what=fmt.label("deadlines", kind)),
                             c.sla[kind].percent, p.sla[kind].percent))
    key_rows.append(pair(t("report.planning.k.actions_on_time"), c.actions.on_time_percent,
                         p.actions.on_time_percent))
    key_rows.append(pair(t("report.planning.k.loyalty"), c.loyalty.value, p.loyalty.value, 3))
    if data.ltifr is not None or data.ltifr_before is not None:
        key_rows.append(pair(t("report.planning.k.ltifr"),
                             data.ltifr.value if data.ltifr else None,
                             data.ltifr_before.value if data.ltifr_before else None, 3))
    out = [MetricTable("key_figures", t("report.planning.key_heading"), cols, key_rows)]
    for key, dim, a, b, lst in (
        ("by_category", "category", c.by_category, p.by_category, "hazard_categories"),
        ("by_site", "site", c.by_site, p.by_site, "sites"),
        ("by_department", "department", c.by_department, p.by_department, "departments"),
        ("complaint_causes", "cause", c.by_cause, p.by_cause, "complaint_causes"),
        ("emotional_states", "emotional_state", c.by_emotional_state, p.by_emotional_state,
         "emotional_states"),
        ("complaint_outcomes", "outcome", c.by_outcome, p.by_outcome, "complaint_outcomes"),
    ):
        out.append(_count_table(key, t(f"report.planning.t.{key}"), fmt.field(dim), a, b,
                                lambda k, lst=lst: fmt.label(lst, k), fmt))
    out.append(_count_table("steps_skipped", t("report.planning.t.steps_skipped"),
                            t("report.planning.step"),
                            c.steps_skipped, p.steps_skipped,
                            lambda k: fmt.label("complaint_steps", k), fmt))
    out.append(MetricTable(
        "sla", t("report.planning.t.sla"),
        [t("report.planning.deadline"), t("report.planning.due"), t("report.planning.on_time"),
         t("report.planning.percent")],
        [[fmt.label("deadlines", k), s.due, s.on_time,
          None if s.percent is None else round(s.percent, 1)] for k, s in c.sla.items()]))
    out.append(MetricTable(
        "recurring", t("report.planning.t.recurring"),
        [t("report.planning.problem"), t("report.card.site"), t("report.planning.location"),
         t("report.planning.cards"), t("report.planning.repeats")],
        [[fmt.label("hazard_categories" if r.kind == "hazard" else "complaint_causes",
                     r.category), fmt.label("sites", r.site), r.location or "—", r.count,
          len(r.repeats_of_closed)] for r in data.recurring]))
    out.append(MetricTable(
        "overdue", t("report.planning.t.overdue"),
        [t("report.overdue.card"), t("report.overdue.title"), t("report.overdue.deadline"),
         t("report.overdue.due"), t("report.overdue.owner"), t("report.overdue.escalated")],
        [[fmt.card_number(i.card.id), i.card.title, fmt.label("deadlines", i.status.deadline.kind),
          fmt.moment(i.status.deadline.due), fmt.person(i.owner),
          fmt.person(i.status.escalated_to) if i.status.escalated_to else "—"]
         for i in data.overdue]))
    out.append(MetricTable(
        "agenda", t("report.planning.t.agenda"),
        [t("report.overdue.card"), t("report.overdue.title"), t("report.planning.state"),
         t("report.risk.band"), t("report.card.supervisor"), t("report.card.filed_at")],
        [[fmt.card_number(a.id), a.title, fmt.state(a.state, a.kind),
          fmt.band(a.risk_band) if a.risk_band else "—", fmt.person(a.supervisor),
          fmt.day(a.filed_at)] for a in data.agenda]))
    kinds = list(fmt.config.kinds)
    kind_cols = [fmt.kind(k) for k in kinds]
    out.append(MetricTable(
        "best_worker", t("report.planning.t.best_worker"),
        [t("report.planning.person"), *kind_cols, t("report.summary.total")],
        [[fmt.person(p_.key), *(p_.by_kind.get(k, 0) for k in kinds), p_.total]
         for p_ in data.motivation.people[:TOP]]))
    out.append(MetricTable(
        "best_unit", t("report.planning.t.best_unit"),
        [t("report.planning.unit"), *kind_cols, t("report.summary.total")],
        [[fmt.label("departments", u.key), *(u.by_kind.get(k, 0) for k in kinds), u.total]
         for u in data.motivation.units[:TOP]]))
    return out


# ---- the PDF ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanningSummary:
    path: Path
    period: str
    site: str | None
    cards: int
    previous_cards: int
    pages: int


def write_planning(store: Store, config: Config, *, period: str, site: str | None, out: Path,
                   lang: str | None = None, generated_at: datetime,
                   now: datetime | None = None) -> PlanningSummary:
    """Write the planning-meeting PDF for `period` ("2026-10" or "2026-W43") at `site`.

    Raises BadInput("bad_report_period") for a period string of another shape.
    """
    if generated_at.tzinfo is None or (now is not None and now.tzinfo is None):
        raise ValueError("generated_at and now must be timezone-aware")
    fmt = Display.create(config, lang)
    p = parse_period(period, fmt.tz)
    judged_at = now or generated_at
    data = collect(store, config, period=p, site=site, now=judged_at)
    st = stylesheet()
    story = _story(data, fmt, st, generated_at)
    title = fmt.t("report.planning.title")
    name = fmt.period(p.first, p.last)
    site_text = fmt.label("sites", site) if site else fmt.t("report.all_sites")
    doc = ReportDocument(
        out,
        Metadata(title=f"{title}, {name}",
                 subject=fmt.t("report.planning.subject", period=_range(p, fmt),
                               previous=_range(data.previous, fmt), site=site_text),
                 lang=fmt.lang),
        Furniture(
            header=" · ".join([title, name, site_text]),
            footer=fmt.t("report.footer", generated=fmt.moment(generated_at),
                         zone=fmt.zone_note()),
            page_label=lambda page, total: fmt.t("report.page", page=page, total=total),
        ),
    )
    pages = doc.render(story)
    return PlanningSummary(out, period_name(p), site, len(data.cards), len(data.previous_cards),
                           pages)


def _range(p: Period, fmt: Display) -> str:
    return fmt.days(p.first, p.last)


def _story(data: PlanningData, fmt: Display, st: Styles,
           generated_at: datetime) -> list[Flowable]:
    t = fmt.t
    by_key = {tb.key: tb for tb in tables(data, fmt)}
    story: list[Flowable] = [
        text(t("report.planning.title"), st.title),
        text(fmt.compared((data.period.first, data.period.last),
                          (data.previous.first, data.previous.last)), st.subtitle),
    ]
    head_rows = [
        ("report.planning.period", _range(data.period, fmt)),
        ("report.planning.previous_period", _range(data.previous, fmt)),
        ("report.heading.site", fmt.label("sites", data.site) if data.site
         else t("report.all_sites")),
        ("report.heading.timezone", fmt.zone_name(generated_at)),
        ("report.heading.generated_at", fmt.moment(generated_at)),
        ("report.heading.judged_at", fmt.moment(data.now)),
    ]
    story.append(grid([[cell(t(k), st.cell_bold), cell(v, st.cell)] for k, v in head_rows],
                      [55 * mm, FRAME_WIDTH - 55 * mm], header=False, zebra=False))
    if not data.cards:
        story += [Spacer(1, 3 * mm), text(t("report.planning.empty"), st.body)]

    story += _table_section(by_key["key_figures"], fmt, st)
    story += _charts(data, fmt, st)
    for key in ("by_category", "by_site", "by_department"):
        story += _table_section(by_key[key], fmt, st)

    # Complaints: what customers felt and how the five steps were followed.
    story += heading(t("report.planning.complaints_heading"), st.h1, 50 * mm)
    loyalty = data.current.loyalty
    story.append(text(t("report.planning.loyalty", value=fmt.number(loyalty.value, 2),
                        positive=fmt.number(loyalty.positive),
                        negative=fmt.number(loyalty.negative),
                        previous=fmt.number(data.before.loyalty.value, 2)), st.body))
    for key in ("complaint_causes", "emotional_states", "complaint_outcomes", "steps_skipped"):
        story += _table_section(by_key[key], fmt, st, level=st.h3)

    story += _table_section(by_key["sla"], fmt, st)
    story += _table_section(by_key["recurring"], fmt, st,
                            widths=[50 * mm, 38 * mm, 0.0, 20 * mm, 22 * mm])
    story += _table_section(by_key["overdue"], fmt, st,
                            widths=[19 * mm, 0.0, 22 * mm, 26 * mm, 32 * mm, 32 * mm])
    story += _table_section(by_key["agenda"], fmt, st,
                            widths=[19 * mm, 0.0, 26 * mm, 20 * mm, 34 * mm, 21 * mm])
    story += heading(t("report.planning.motivation_heading"), st.h1, 50 * mm)
    story.append(text(t("report.planning.motivation_note",
                        anonymous=fmt.number(data.motivation.anonymous)), st.note))
    for key in ("best_worker", "best_unit"):
        story += _table_section(by_key[key], fmt, st, level=st.h3)
    story += heading(t("report.planning.ltifr_heading"), st.h1, 30 * mm)
    if data.ltifr is None:
        story.append(text(t("report.planning.ltifr_none"), st.note))
    else:
        months = [parse_period(m, fmt.tz) for m in data.ltifr.months]
        story.append(text(t("report.planning.ltifr", value=fmt.number(data.ltifr.value, 2),
                            injuries=fmt.number(data.ltifr.injuries),
                            hours=fmt.number(data.ltifr.man_hours),
                            months=", ".join(fmt.period(m.first, m.last) for m in months)),
                          st.body))
    return story


def _table_section(table: MetricTable, fmt: Display, st: Styles, *, level: Any = None,
                   widths: Sequence[float] | None = None
                   ) -> list[Flowable]:
    story = heading(table.title, level or st.h1, 35 * mm)
    if not table.rows:
        return [*story, text(fmt.t("report.planning.none"), st.note)]
    numeric = table.key not in ("overdue", "agenda", "recurring")
    rows: list[list[object]] = [[cell(c, st.cell_head) for c in table.columns]]
    for raw in table.rows:
        row: list[object] = [cell(raw[0], st.cell)]
        for i, v in enumerate(raw[1:], start=1):
            is_change = numeric and i == len(raw) - 1 and len(table.columns) == 4 and \
                table.key != "sla"
            if isinstance(v, str):
                row.append(cell(v, st.cell))
            elif is_change:
                prev, cur = raw[2], raw[1]
                ch = metrics.Change(cur, prev) if cur is not None and prev is not None else None
                # Hours, percentages and the index change by points: a % of them misleads
                # (a % of a %, or of a negative index), so only counts get one.
                rate = isinstance(cur, float) or isinstance(prev, float)
                small = ch is not None and max(abs(cur), abs(prev)) < 1.5  # loyalty index
                row.append(cell(_delta(fmt, ch, (2 if small else 1) if rate else 0,
                                       percent=not rate)
                                if ch else "—", st.cell_right))
            elif isinstance(v, float):
                row.append(cell(fmt.number(v, 2 if abs(v) < 1.5 and v != 0 else 1),
                                st.cell_right))
            else:
                row.append(cell(fmt.number(v), st.cell_right))
        rows.append(row)
    if widths is None:
        first = 70 * mm if len(table.columns) <= 4 else 55 * mm
        rest = (FRAME_WIDTH - first) / (len(table.columns) - 1)
        col_widths = [first] + [rest] * (len(table.columns) - 1)
    else:
        col_widths = list(widths)
        col_widths[col_widths.index(0.0)] = FRAME_WIDTH - sum(col_widths)
    return [*story, grid(rows, col_widths)]


def _charts(data: PlanningData, fmt: Display, st: Styles) -> list[Flowable]:
    t = fmt.t
    names = [fmt.period_short(p.first, p.last) for p in (data.period, data.previous)]
    story: list[Flowable] = heading(t("report.planning.charts_heading"), st.h1, 80 * mm)
    cats = metrics.compare_counts(data.current.by_category, data.before.by_category)
    if cats:
        labels = [fmt.label("hazard_categories", k) for k in cats]
        story.append(KeepTogether([
            text(t("report.planning.chart.categories"), st.h3),
            charts.grouped_bars(labels, [[ch.current for ch in cats.values()],
                                         [ch.previous for ch in cats.values()]], names,
                                FRAME_WIDTH)]))
    kinds = list(fmt.config.kinds)
    story.append(KeepTogether([
        text(t("report.planning.chart.trend", count=len(data.trend)), st.h3),
        charts.trend_lines([fmt.period_short(p.first, p.last) for p, _ in data.trend],
                           [[counts.get(k, 0) for _, counts in data.trend] for k in kinds],
                           [fmt.kind(k) for k in kinds], FRAME_WIDTH)]))
    story.append(KeepTogether([
        text(t("report.planning.chart.sla", period=fmt.period(data.period.first,
                                                               data.period.last)), st.h3),
        charts.percent_bars([fmt.label("deadlines", k) for k in metrics.DEADLINE_KINDS],
                            [data.current.sla[k].percent for k in metrics.DEADLINE_KINDS],
                            FRAME_WIDTH, t("report.planning.nothing_due"), fmt.percent)]))
    dist = data.current.risk
    if dist.assessed:
        cfg = fmt.config
        colors_ = {b["name"]: b["color"] for b in cfg.risk["bands"]}
        story.append(KeepTogether([
            text(t("report.heatmap.heading"), st.h3),
            charts.heat_map(dist.levels, risk_rules.matrix(cfg), dist.cells, colors_,
                            t("report.heatmap.likelihood"), t("report.heatmap.severity")),
            text(fmt.tally("bands", dist.bands), st.note)]))
    return story
