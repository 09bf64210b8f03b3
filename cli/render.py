"""Plain-text output for people at a terminal (the --json output is for scripts).

Every value is written by `forms.display.Display`: labels, not codes; times on the site's
clock, with a line saying so when this machine's clock shows another time.
"""

from __future__ import annotations

from datetime import datetime

from forms import deadlines
from forms.card import Card
from forms.display import Display


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def zone_line(fmt: Display) -> None:
    hint = fmt.zone_hint()
    if hint:
        print(fmt.t("value.zone_hint", zone=hint))


def card_table(cards: list[Card], fmt: Display, now: datetime) -> None:
    if not cards:
        print(fmt.t("cli.no_cards"))
        return
    for card in cards:
        overdue = deadlines.is_overdue(card, fmt.config, now)
        mark = "!" if overdue else " "
        print(
            f"{fmt.card_number(card.id)} {mark} "
            f"{_cut(fmt.state(card.state, card.kind), 16):<16} "
            f"{_cut(fmt.kind(card.kind), 22):<22} {_cut(card.title, 48):<48} "
            f"{_cut(fmt.label('sites', card.fields.get('site')), 24):<24} "
            f"{fmt.person(card.supervisor)}"
        )
    print(fmt.t("cli.count", count=len(cards)))


def card_detail(card: Card, fmt: Display, now: datetime) -> None:
    print(card.title)
    print(f"  {fmt.t('cli.field.id')}: {card.id}")
    print(f"  {fmt.t('cli.field.kind')}: {fmt.kind(card.kind)}")
    print(f"  {fmt.t('cli.field.state')}: {fmt.state(card.state, card.kind)}")
    print(f"  {fmt.t('cli.field.reporter')}: "
          f"{fmt.actor(None) if card.anonymous else fmt.person(card.reporter)}")
    print(f"  {fmt.t('cli.field.supervisor')}: {fmt.person(card.supervisor)}")
    print(f"  {fmt.t('cli.field.filed_at')}: {fmt.moment(card.filed_at)}")
    kind = fmt.config.kind(card.kind) if fmt.config else None
    for spec in kind.fields if kind else ():
        value = card.fields.get(spec.name)
        if value in (None, "", []) or spec.name == "title":
            continue
        print(f"  {fmt.field(spec.name)}: {fmt.value(spec, value)}")
    if card.risk_initial:
        r = card.risk_initial
        print(f"  {fmt.t('cli.field.risk')}: {fmt.rating(r.score, r.band)}")
    if card.risk_residual:
        r = card.risk_residual
        print(f"  {fmt.t('cli.field.residual')}: {fmt.rating(r.score, r.band)}")
    if card.resolution:
        print(f"  {fmt.t('cli.field.resolution')}: {card.resolution}")
    for status in deadlines.evaluate(card, fmt.config, now):
        d = status.deadline
        flag = fmt.t("cli.overdue") if status.overdue else ""
        print(f"  {fmt.t('cli.field.deadline')}: {fmt.label('deadlines', d.kind)} "
              f"{fmt.moment(d.due)} {flag}".rstrip())
    if card.actions:
        print(f"  {fmt.t('cli.field.actions')}:")
        for a in card.actions.values():
            print(f"    {a.id}  [{fmt.label('action_status', a.status)}] {a.title} — "
                  f"{fmt.person(a.owner)}, {fmt.day(a.due)}")
            if a.note:
                print(f"      {fmt.t('value.action_note', note=a.note)}")
    print(f"  {fmt.t('cli.field.history')}:")
    for entry in card.history:
        print(f"    {fmt.moment(entry.at)}  {fmt.actor(entry.actor)}: "
              f"{fmt.history(entry, card.kind)}")
    for conflict in card.conflicts:
        print("  " + fmt.t("cli.conflict", wanted=fmt.state(conflict.wanted, card.kind),
                           kept=fmt.state(conflict.kept, card.kind)))
    zone_line(fmt)
