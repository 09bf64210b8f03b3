"""The audit report (DESIGN.md §8): every card filed in a period, with its full record.

Layout: a heading with the scope (period, site, timezone), when it was generated, and the
SHA-256 of the event log slice it was built from; a summary (cards by kind × state, cards
overdue at the judging moment with their missed deadlines); then one section per card.

The same store, configuration and `generated_at` give the same bytes: nothing reads the
clock (`now` defaults to `generated_at`), cards come in filing order, and the PDF is written
in ReportLab's invariant mode.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer

from forms import risk
from forms.card import Card
from forms.config import Config
from forms.deadlines import DeadlineStatus
from forms.display import Display
from forms.store.repo import Store
from reports import charts, metrics
from reports.card_section import LABEL_WIDTH, card_section
from reports.document import FRAME_WIDTH, Furniture, Metadata, ReportDocument, SectionMark
from reports.scope import LogSlice, Period, Scope, scope_log_slice
from reports.styles import Styles, cell, grid, heading, stylesheet, text


@dataclass(frozen=True)
class AuditSummary:
    """What was written, for the caller to show or log."""

    path: Path
    date_from: date
    date_to: date
    site: str | None
    cards: int
    events: int
    overdue: int  # cards with at least one deadline overdue at the judging moment
    pages: int
    sha256: str  # of the event log slice (see reports.scope)


def write_audit(
    store: Store,
    config: Config,
    *,
    date_from: date,
    date_to: date,
    site: str | None,
    out: Path,
    lang: str | None = None,
    generated_at: datetime,
    now: datetime | None = None,
    department: str | None = None,
    blobs: Path | None = None,
) -> AuditSummary:
    """Write the audit PDF of the cards filed from `date_from` to `date_to` (both included,
    in the site calendar's timezone) at `site` (None: all) to `out`.

    `generated_at` is printed as the generation time and is the only clock the report reads;
    deadlines are judged at `now`, which defaults to it. `lang` defaults to the user's.
    `department` narrows the scope to one department; `blobs` is the folder of photo blobs
    (`<sha256>.jpg`), without which photos are counted but not printed.
    Raises BadInput("bad_period") when the period is reversed.
    """
    if generated_at.tzinfo is None or (now is not None and now.tzinfo is None):
        raise ValueError("generated_at and now must be timezone-aware")
    fmt = Display.create(config, lang)
    scope = Scope(Period(date_from, date_to, fmt.tz), site, department)
    judged_at = now or generated_at
    log = scope_log_slice(store, scope)
    tally = _tally(store, scope, config, judged_at)
    st = stylesheet()

    def story() -> Iterator[Flowable]:
        # A generator: the document draws card sections from it as layout proceeds, and the
        # cards come from the store a batch at a time, so 10,000 cards are never all in
        # memory with their histories, nor all their flowables.
        yield from _heading(scope, log, len(tally.cards), generated_at, judged_at, fmt, st)
        if not tally.cards:
            yield text(fmt.t("report.audit.empty"), st.body)
            return
        yield from _summary(tally, judged_at, fmt, st)
        yield from _risks(tally, fmt, st)
        yield from _section(fmt.t("report.audit.cards_heading"), st, 60 * mm)
        for batch in _batches(store, scope):
            for card in batch:
                statuses = metrics.deadline_statuses(card, config, judged_at)
                yield from card_section(card, statuses, fmt, st, blobs)

    period = _period_text(scope.period, fmt)
    title = fmt.t("report.audit.title")
    doc = ReportDocument(
        out,
        Metadata(title=f"{title}, {period}", subject=_scope_text(scope, fmt),
                 keywords=(f"sha256:{log.sha256}",), lang=fmt.lang),
        Furniture(
            header=" · ".join([title, period, _site_text(scope, fmt)] + (
                [fmt.label("departments", scope.department)] if scope.department else [])),
            footer=fmt.t("report.footer", generated=fmt.moment(generated_at),
                         zone=fmt.zone_note()),
            page_label=lambda page, total: fmt.t("report.page", page=page, total=total),
            continued=lambda section: fmt.t("report.continued", section=section),
        ),
    )
    pages = doc.render(story())
    overdue = len({c.id for c, _ in tally.overdue})
    return AuditSummary(out, date_from, date_to, site, len(tally.cards), log.events, overdue,
                        pages, log.sha256)


BATCH = 200  # cards read from the store at a time


def _batches(store: Store, scope: Scope) -> Iterator[list[Card]]:
    """The cards in scope in filing order (as `cards_in_scope`), BATCH at a time."""
    offset = 0
    while batch := store.list_cards(scope.query(), limit=BATCH, offset=offset,
                                    newest_first=False):
        yield batch
        offset += len(batch)


def _light(card: Card) -> Card:
    """What the summary tables need of a card: no history, comments or actions."""
    return replace(card, fields={"title": card.title}, history=[], comments=[], actions={},
                   conflicts=[])


@dataclass(frozen=True)
class _Tally:
    cards: list[Card]  # light copies, filing order
    overdue: list[tuple[Card, DeadlineStatus]]  # every overdue deadline, card order
    late_actions: list[metrics.LateAction]


def _tally(store: Store, scope: Scope, config: Config, judged_at: datetime) -> _Tally:
    """The first pass: the figures of the summary and risk sections, batch by batch."""
    cards: list[Card] = []
    overdue: list[tuple[Card, DeadlineStatus]] = []
    late: list[metrics.LateAction] = []
    for batch in _batches(store, scope):
        for card in batch:
            light = _light(card)
            cards.append(light)
            overdue += [(light, s) for s in
                        metrics.overdue(metrics.deadline_statuses(card, config, judged_at))]
        late += [replace(la, card=_light(la.card)) for la in
                 metrics.action_timeliness(batch, config, judged_at).late_actions]
    late.sort(key=lambda a: (a.due, a.card.id, a.action.id))
    return _Tally(cards, overdue, late)


def _period_text(period: Period, fmt: Display) -> str:
    return fmt.period(period.first, period.last)


def _scope_text(scope: Scope, fmt: Display) -> str:
    parts = [fmt.t("report.scope.period", period=_period_text(scope.period, fmt)),
             fmt.t("report.scope.site", site=_site_text(scope, fmt))]
    if scope.department:
        parts.append(fmt.t("report.scope.department",
                           department=fmt.label("departments", scope.department)))
    return "; ".join(parts)


def _site_text(scope: Scope, fmt: Display) -> str:
    return fmt.label("sites", scope.site) if scope.site else fmt.t("report.all_sites")


def _heading(scope: Scope, log: LogSlice, cards: int, generated_at: datetime,
             judged_at: datetime, fmt: Display, st: Styles) -> list[Flowable]:
    rows = [
        ("report.heading.period", fmt.days(scope.period.first, scope.period.last)),
        ("report.heading.timezone", fmt.zone_name(generated_at)),
        ("report.heading.site", _site_text(scope, fmt)),
    ]
    if scope.department:
        rows.append(("report.heading.department", fmt.label("departments", scope.department)))
    rows += [
        ("report.heading.generated_at", fmt.moment(generated_at)),
        ("report.heading.judged_at", fmt.moment(judged_at)),
        ("report.heading.cards", fmt.number(cards)),
        ("report.heading.events", fmt.number(log.events)),
    ]
    table_rows: list[list[object]] = [[cell(fmt.t(k), st.cell_bold), cell(v, st.cell)]
                                      for k, v in rows]
    table_rows.append([cell(fmt.t("report.heading.digest"), st.cell_bold),
                       cell(log.sha256, st.mono)])
    widths = [LABEL_WIDTH + 16 * mm, FRAME_WIDTH - LABEL_WIDTH - 16 * mm]
    return [
        text(fmt.t("report.audit.title"), st.title),
        text(fmt.t("report.audit.subtitle"), st.subtitle),
        grid(table_rows, widths, header=False, zebra=False),
        Spacer(1, 1.5 * mm),
        text(fmt.t("report.heading.digest_note"), st.note),
    ]


def _summary(tally: _Tally, judged_at: datetime, fmt: Display,
             st: Styles) -> list[Flowable]:
    counts = metrics.kind_state_counts(tally.cards, fmt.config)
    # States down, kinds across: eight states never fit as columns once labels are Russian.
    head: list[object] = [cell(fmt.t("report.summary.state"), st.cell_head)]
    head += [cell(fmt.kind(k), st.cell_head) for k in counts.kinds]
    head.append(cell(fmt.t("report.summary.total"), st.cell_head))
    rows: list[list[object]] = [head]
    for state in counts.states:
        rows.append([cell(fmt.state(state), st.cell)]
                    + [cell(_count(fmt, counts.get(k, state)), st.cell_right)
                       for k in counts.kinds]
                    + [cell(_count(fmt, counts.state_total(state)), st.cell_right)])
    rows.append([cell(fmt.t("report.summary.total"), st.cell_bold)]
                + [cell(fmt.number(counts.kind_total(k)), st.cell_right_bold)
                   for k in counts.kinds]
                + [cell(fmt.number(counts.total), st.cell_right_bold)])
    first = 42 * mm
    columns = len(counts.kinds) + 1
    widths = [first] + [(FRAME_WIDTH - first) / columns] * columns
    story: list[Flowable] = [
        *_section(fmt.t("report.summary.heading"), st, 60 * mm),
        grid(rows, widths, ("LINEABOVE", (0, -1), (-1, -1), 0.8, st.cell.textColor)),
    ]
    late = tally.overdue
    overdue_cards = len({c.id for c, _ in late})
    story.append(Spacer(1, 2 * mm))
    story.append(text(fmt.t("report.summary.overdue", at=fmt.moment(judged_at),
                            count=overdue_cards), st.body))
    if late:
        story.append(_overdue_table(late, fmt, st))
    return story


def _count(fmt: Display, n: int) -> str:
    """A count in a table, blank for none (a grid of zeros hides the few that matter)."""
    return fmt.number(n) if n else ""


def _overdue_table(late: list[tuple[Card, DeadlineStatus]], fmt: Display,
                   st: Styles) -> Flowable:
    head = ["report.overdue.card", "report.overdue.title", "report.overdue.deadline",
            "report.overdue.due", "report.overdue.owner", "report.overdue.escalated"]
    rows: list[list[object]] = [[cell(fmt.t(k), st.cell_head) for k in head]]
    for card, s in late:
        rows.append([cell(fmt.card_number(card.id), st.mono), cell(card.title, st.cell),
                     cell(fmt.label("deadlines", s.deadline.kind), st.cell),
                     cell(fmt.moment(s.deadline.due), st.cell),
                     cell(fmt.person(s.deadline.owner), st.cell),
                     cell(fmt.person(s.escalated_to) if s.escalated_to else "—", st.cell)])
    widths = [19 * mm, 0.0, 24 * mm, 26 * mm, 32 * mm, 32 * mm]
    widths[1] = FRAME_WIDTH - sum(widths)
    return grid(rows, widths)


def _section(title: str, st: Styles, room: float) -> list[Flowable]:
    """A top-level heading that is also a top-level bookmark."""
    return [CondPageBreak(room), SectionMark("", outline=title, level=0), text(title, st.h1)]


def _risks(tally: _Tally, fmt: Display, st: Styles) -> list[Flowable]:
    """Risk heat map, escalated deadlines and actions done late."""
    config = fmt.config
    story = _section(fmt.t("report.audit.risk_heading"), st, 90 * mm)
    dist = metrics.risk_distribution(tally.cards, config)
    if dist.assessed:
        band_colors = {b["name"]: b["color"] for b in config.risk["bands"]}
        story.append(KeepTogether([
            text(fmt.t("report.heatmap.heading"), st.h3),
            charts.heat_map(dist.levels, risk.matrix(config), dist.cells, band_colors,
                            fmt.t("report.heatmap.likelihood"),
                            fmt.t("report.heatmap.severity")),
            text(fmt.tally("bands", dist.bands), st.note)]))
    else:
        story.append(text(fmt.t("report.risk.not_assessed"), st.note))

    story += heading(fmt.t("report.audit.escalated"), st.h3)
    escalated = sorted(((c, s) for c, s in tally.overdue if s.escalated_to),
                       key=lambda cs: (cs[1].deadline.due, cs[0].id))
    if escalated:
        story.append(_overdue_table(escalated, fmt, st))
    else:
        story.append(text(fmt.t("report.audit.escalated_none"), st.note))

    story += heading(fmt.t("report.audit.late_actions"), st.h3)
    if not tally.late_actions:
        story.append(text(fmt.t("report.audit.late_actions_none"), st.note))
        return story
    head = ["report.overdue.card", "report.actions.title", "report.actions.owner",
            "report.actions.due", "report.actions.done_at"]
    rows: list[list[object]] = [[cell(fmt.t(k), st.cell_head) for k in head]]
    for la in tally.late_actions:
        rows.append([cell(fmt.card_number(la.card.id), st.mono), cell(la.action.title, st.cell),
                     cell(fmt.person(la.action.owner), st.cell), cell(fmt.moment(la.due), st.cell),
                     cell(fmt.moment(la.done_at), st.cell)])
    widths = [19 * mm, 0.0, 40 * mm, 27 * mm, 27 * mm]
    widths[1] = FRAME_WIDTH - sum(widths)
    story.append(grid(rows, widths))
    return story
