"""Plain-text output for people at a terminal (the --json output is for scripts)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from forms import deadlines
from forms.card import Card
from forms.cardjson import history_summary
from forms.config import Config
from forms.i18n import field_label, option_label, tr
from forms.ids import short_id


def label(list_name: str, code: str | None, config: Config | None = None) -> str:
    return option_label(list_name, code, config=config) if code else "—"


def _local(moment: datetime | None, config: Config) -> str:
    if moment is None:
        return "—"
    tz = ZoneInfo(config.sla["calendar"]["timezone"])
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def card_table(cards: list[Card], config: Config, now: datetime) -> None:
    if not cards:
        print(tr("cli.no_cards"))
        return
    for card in cards:
        overdue = deadlines.is_overdue(card, config, now)
        mark = "!" if overdue else " "
        print(
            f"{short_id(card.id)} {mark} {_cut(label('states', card.state), 12):<12} "
            f"{_cut(label('kinds', card.kind), 12):<12} {_cut(card.title, 48):<48} "
            f"{_cut(label('sites', card.fields.get('site'), config), 24):<24} "
            f"{config.user_name(card.supervisor) or '—'}"
        )
    print(tr("cli.count", count=len(cards)))


def card_detail(card: Card, config: Config, now: datetime) -> None:
    print(f"{card.title}")
    print(f"  {tr('cli.field.id')}: {card.id}")
    print(f"  {tr('cli.field.kind')}: {label('kinds', card.kind)}")
    print(f"  {tr('cli.field.state')}: {label('states', card.state)}")
    reporter = tr("cli.anonymous") if card.anonymous else config.user_name(card.reporter)
    print(f"  {tr('cli.field.reporter')}: {reporter}")
    print(f"  {tr('cli.field.supervisor')}: {config.user_name(card.supervisor) or '—'}")
    kind = config.kind(card.kind)
    for spec in kind.fields if kind else ():
        value = card.fields.get(spec.name)
        if value in (None, "", []) or spec.name == "title":
            continue
        if spec.type in ("choice", "open_choice") and spec.list:
            value = label(spec.list, value, config)
        elif spec.type == "multichoice" and spec.list:
            value = ", ".join(label(spec.list, v, config) for v in value)
        elif spec.type == "bool":
            value = tr("cli.yes") if value else tr("cli.no")
        print(f"  {field_label(spec.name)}: {value}")
    if card.risk_initial:
        r = card.risk_initial
        print(f"  {tr('cli.field.risk')}: {r.score} ({label('bands', r.band)})")
    if card.risk_residual:
        r = card.risk_residual
        print(f"  {tr('cli.field.residual')}: {r.score} ({label('bands', r.band)})")
    if card.resolution:
        print(f"  {tr('cli.field.resolution')}: {card.resolution}")
    for status in deadlines.evaluate(card, config, now):
        d = status.deadline
        flag = tr("cli.overdue") if status.overdue else ""
        print(f"  {tr('cli.field.deadline')}: {label('deadlines', d.kind)} "
              f"{_local(d.due, config)} {flag}".rstrip())
    if card.actions:
        print(f"  {tr('cli.field.actions')}:")
        for a in card.actions.values():
            print(f"    {a.id}  [{label('action_status', a.status)}] {a.title} — "
                  f"{config.user_name(a.owner)}, {a.due}")
    print(f"  {tr('cli.field.history')}:")
    for entry in card.history:
        who = config.user_name(entry.actor) if entry.actor else tr("cli.anonymous")
        print(f"    {_local(entry.at, config)}  {who}: {history_summary(entry, config)}")
    for conflict in card.conflicts:
        print("  " + tr("cli.conflict", wanted=label("states", conflict.wanted),
                        kept=label("states", conflict.kept)))
