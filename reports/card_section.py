"""One card as an audit record: what was reported, how it was rated, what was done, and when.

Every part reads from the folded card and its deadline statuses only, so the planning report
or a single-card printout can reuse the same pieces. An anonymous card shows "anonymous" where
a reporter would be and "anonymous" as the actor of its own events; nothing else about the
reporter exists to print.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from PIL import Image as PILImage
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    HRFlowable,
    Image,
    KeepTogether,
    Spacer,
    Table,
    TableStyle,
)

from forms import risk
from forms.card import Card, Rating
from forms.deadlines import DeadlineStatus
from forms.display import Display
from reports import fonts
from reports.document import FRAME_WIDTH, SectionMark
from reports.styles import (
    ALERT,
    RULE,
    Styles,
    cell,
    grid,
    heading,
    markup,
    record_grid,
    text,
)

ALERT_HEX = "#" + ALERT.hexval()[2:]

LABEL_WIDTH = 34 * mm
_SHOWN_ABOVE = frozenset({"title", "site", "department"})


def card_section(card: Card, statuses: list[DeadlineStatus], fmt: Display,
                 st: Styles, blobs: Path | None = None) -> list[Flowable]:
    label = f"№ {fmt.card_number(card.id)} «{card.title}»"
    head: list[Flowable] = [
        CondPageBreak(45 * mm),
        SectionMark(label, outline=label, level=1),
        HRFlowable(width="100%", thickness=0.6, color=RULE, spaceBefore=2, spaceAfter=4),
        text(card.title or "—", st.h2),
        text(" · ".join((fmt.kind(card.kind), f"№ {fmt.card_number(card.id)}",
                         fmt.state(card.state, card.kind))), st.note),
        _overview(card, statuses, fmt, st),
    ]
    story: list[Flowable] = [KeepTogether(head)]
    story += _fields(card, fmt, st)
    story += _photos(card, fmt, st, blobs)
    kind = fmt.config.kind(card.kind)
    if kind is not None and kind.risk:
        story += _risk(card, fmt, st)
    story += _outcome(card, fmt, st)
    story += _actions(card, fmt, st)
    story += _conflicts(card, fmt, st)
    story += _history(card, fmt, st)
    story.append(Spacer(1, 4 * mm))
    return story


def _overview(card: Card, statuses: list[DeadlineStatus], fmt: Display, st: Styles) -> Flowable:
    f = card.fields
    reporter = fmt.actor(None) if card.anonymous else fmt.person(card.reporter)
    pairs = [
        ("report.card.site", fmt.label("sites", f.get("site")),
         "report.card.department", fmt.label("departments", f.get("department"))),
        ("report.card.filed_at", fmt.moment(card.filed_at),
         "report.card.reporter", reporter),
        ("report.card.supervisor", fmt.person(card.supervisor),
         "report.card.closed_at", fmt.moment(card.closed_at)),
    ]
    # Kind and state are in the line under the title; the full id is what `safecard show`
    # and an auditor's query take.
    rows: list[list[object]] = [[cell(fmt.t("report.card.id"), st.cell_bold),
                                 cell(card.id, st.mono), "", ""]]
    rows += [[cell(fmt.t(a), st.cell_bold), cell(va, st.cell),
              cell(fmt.t(b), st.cell_bold), cell(vb, st.cell)] for a, va, b, vb in pairs]
    rows.append([cell(fmt.t("report.card.deadlines"), st.cell_bold),
                 markup(_deadline_text(statuses, fmt), st.cell), "", ""])
    value_width = (FRAME_WIDTH - 2 * LABEL_WIDTH) / 2
    return grid(rows, [LABEL_WIDTH, value_width, LABEL_WIDTH, value_width],
                ("SPAN", (1, 0), (-1, 0)), ("SPAN", (1, -1), (-1, -1)), header=False,
                zebra=False)


def _deadline_text(statuses: list[DeadlineStatus], fmt: Display) -> str:
    """Markup listing the deadlines missed (in red) or met late; one calm line otherwise."""
    parts = []
    for s in statuses:
        d = s.deadline
        what = fmt.label("deadlines", d.kind)
        if s.overdue:
            line = fmt.t("report.deadline.overdue", what=what, due=fmt.moment(d.due))
            if s.escalated_to:
                line += " " + fmt.t("report.deadline.escalated", to=fmt.person(s.escalated_to))
            parts.append(f'<font color="{ALERT_HEX}">{escape(line)}</font>')
        elif s.late:
            parts.append(escape(fmt.t("report.deadline.late", what=what, due=fmt.moment(d.due),
                                      met=fmt.moment(d.met_at))))
    if not parts:
        return escape(fmt.t("report.deadline.all_met" if statuses else "report.deadline.none"))
    return "<br/>".join(parts)


def _fields(card: Card, fmt: Display, st: Styles) -> list[Flowable]:
    kind = fmt.config.kind(card.kind)
    specs = [s for s in (kind.fields if kind else ()) if s.name not in _SHOWN_ABOVE]
    short = [s for s in specs if s.type != "longtext"]
    long = [s for s in specs if s.type == "longtext" and card.fields.get(s.name)]
    story: list[Flowable] = []
    if short:
        rows = [[cell(fmt.field(s.name), st.cell_bold),
                 cell(fmt.value(s, card.fields.get(s.name)), st.cell)] for s in short]
        story.append(Spacer(1, 2 * mm))
        story.append(grid(rows, [LABEL_WIDTH, FRAME_WIDTH - LABEL_WIDTH], header=False,
                          zebra=False))
    for s in long:
        story += heading(fmt.field(s.name), st.label, 15 * mm)
        story.append(text(card.fields[s.name], st.body))
    if kind is None:  # a kind this configuration no longer knows: print what there is
        for name, value in sorted(card.fields.items()):
            if name not in _SHOWN_ABOVE:
                story.append(text(f"{fmt.field(name)}: {value}", st.body))
    return story


PHOTO_BOX = (55 * mm, 45 * mm)  # the largest a photo is printed, width × height


def _photos(card: Card, fmt: Display, st: Styles, blobs: Path | None) -> list[Flowable]:
    """The card's photos, scaled to fit PHOTO_BOX with their proportions kept, three a row.
    Blobs are content-addressed (`<sha256>.jpg`); a photo not in the store is named instead.
    ReportLab reads each file when the page is drawn, so photos are never all in memory."""
    shas = [str(v) for v in (card.fields.get("photos") or [])]
    if not shas or blobs is None:
        return []
    images: list[Flowable] = []
    missing: list[Flowable] = []
    for sha in shas:
        path = blobs / f"{sha}.jpg"
        try:
            with PILImage.open(path) as im:
                width, height = im.size
        except (OSError, ValueError):
            missing.append(text(fmt.t("report.audit.photo_missing", sha=sha[:12]), st.note))
            continue
        scale = min(PHOTO_BOX[0] / width, PHOTO_BOX[1] / height)
        images.append(Image(str(path), width * scale, height * scale))
    story: list[Flowable] = []
    if images:
        rows = [images[i:i + 3] for i in range(0, len(images), 3)]
        rows = [row + [""] * (3 - len(row)) for row in rows]
        table = Table(rows, colWidths=[FRAME_WIDTH / 3] * 3, hAlign="LEFT")
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("FONTNAME", (0, 0), (-1, -1), fonts.SANS)]))
        story += [*heading(fmt.field("photos"), st.label, PHOTO_BOX[1] + 10 * mm), table]
    return story + missing


def _risk(card: Card, fmt: Display, st: Styles) -> list[Flowable]:
    story = heading(fmt.t("report.risk.heading"), st.h3)
    ratings = [(k, r) for k, r in (("report.risk.initial", card.risk_initial),
                                   ("report.risk.residual", card.risk_residual)) if r]
    if not ratings:
        return [*story, text(fmt.t("report.risk.not_assessed"), st.note)]
    head = ["", "report.risk.degree", "report.risk.scale", "report.risk.frequency",
            "report.risk.compliance", "report.risk.score", "report.risk.band"]
    rows: list[list[object]] = [[cell(fmt.t(k), st.cell_head) if k else "" for k in head]]
    extra = []
    for i, (key, r) in enumerate(ratings, start=1):
        rows.append(_rating_row(fmt.t(key), r, fmt, st))
        band_bg = colors.HexColor(risk.band_color(r.band, fmt.config))
        extra += [("BACKGROUND", (-1, i), (-1, i), band_bg),
                  ("TEXTCOLOR", (-1, i), (-1, i), _ink_on(band_bg)),
                  ("FONTNAME", (-1, i), (-1, i), fonts.SANS_BOLD)]
    widths = [30 * mm, 24 * mm, 22 * mm, 22 * mm, 30 * mm, 18 * mm]
    widths.append(FRAME_WIDTH - sum(widths))
    story += [grid(rows, widths, *extra), Spacer(1, 1.5 * mm)]
    for key, r in ratings:
        if r.note:
            story.append(text(f"{fmt.t(key)}: {r.note}", st.note))
    if card.effective is not None:
        story.append(text(fmt.t("report.risk.effective", answer=fmt.yes_no(card.effective)),
                          st.body))
    if card.risk_acceptance:
        story.append(text(fmt.t("report.risk.acceptance", text=card.risk_acceptance), st.body))
    return story


def _rating_row(label: str, r: Rating, fmt: Display, st: Styles) -> list[object]:
    return [cell(label, st.cell_bold), cell(r.degree, st.cell), cell(r.scale, st.cell),
            cell(r.frequency, st.cell), cell(fmt.label("compliance", r.compliance), st.cell),
            cell(r.score, st.cell), fmt.band(r.band)]  # plain: the cell's colours apply


def _ink_on(background: colors.Color) -> colors.Color:
    """Black or white text, whichever reads better on a band colour."""
    luminance = 0.299 * background.red + 0.587 * background.green + 0.114 * background.blue
    return colors.black if luminance > 0.6 else colors.white


def _outcome(card: Card, fmt: Display, st: Styles) -> list[Flowable]:
    story: list[Flowable] = []
    if card.resolution:
        story += [*heading(fmt.t("report.card.resolution"), st.label, 15 * mm),
                  text(card.resolution, st.body)]
    if card.reject_reason and card.state == "rejected":
        story += [*heading(fmt.t("report.card.reject_reason"), st.label, 15 * mm),
                  text(card.reject_reason, st.body)]
    return story


def _actions(card: Card, fmt: Display, st: Styles) -> list[Flowable]:
    story = heading(fmt.t("report.actions.heading"), st.h3)
    if not card.actions:
        return [*story, text(fmt.t("report.actions.none"), st.note)]
    head = ["report.actions.number", "report.actions.title", "report.actions.type",
            "report.actions.owner", "report.actions.due", "report.actions.status",
            "report.actions.done_at"]
    records = [
        [cell(n, st.cell),
         a.title + ("\n" + fmt.t("value.action_note", note=a.note) if a.note else ""),
         cell(fmt.label("action_types", a.type), st.cell), cell(fmt.person(a.owner), st.cell),
         cell(fmt.day(a.due), st.cell), cell(fmt.label("action_status", a.status), st.cell),
         cell(fmt.day(a.done_at), st.cell)]
        for n, a in enumerate(card.actions.values(), start=1)
    ]
    widths = [9 * mm, 0.0, 33 * mm, 30 * mm, 21 * mm, 21 * mm, 21 * mm]
    widths[1] = FRAME_WIDTH - sum(widths)
    return [*story, record_grid([cell(fmt.t(k), st.cell_head) for k in head], records, widths,
                                long_col=1, style=st.cell)]


def _conflicts(card: Card, fmt: Display, st: Styles) -> list[Flowable]:
    return [
        text(fmt.t("report.card.conflict", at=fmt.moment(c.at), actor=fmt.actor(c.actor),
                   wanted=fmt.state(c.wanted, card.kind), kept=fmt.state(c.kept, card.kind)),
             st.note)
        for c in card.conflicts
    ]


def _history(card: Card, fmt: Display, st: Styles) -> list[Flowable]:
    head = ["report.history.at", "report.history.actor", "report.history.event"]
    records = [
        [cell(fmt.moment(h.at), st.cell), cell(fmt.actor(h.actor), st.cell),
         fmt.history(h, card.kind)]
        for h in card.history
    ]
    widths = [29 * mm, 52 * mm]
    widths.append(FRAME_WIDTH - sum(widths))
    return [*heading(fmt.t("report.history.heading"), st.h3),
            record_grid([cell(fmt.t(k), st.cell_head) for k in head], records, widths,
                        long_col=2, style=st.cell)]
