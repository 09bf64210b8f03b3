"""How values read on screen: local times, list labels, people. Shared by the models and views."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from forms.config import Config, FieldSpec
from forms.i18n import option_label, tr


def local_time(moment: datetime | str | None) -> str:
    """A moment in the workstation's time zone, in the language's usual form."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return moment
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return tr("ui.format.datetime", at=moment)


def person(config: Config, user_id: str | None) -> str:
    """A user's name; an anonymous actor or reporter reads as «аноним»."""
    return config.user_name(user_id) or tr("ui.anonymous")


def short_person(config: Config, user_id: str | None) -> str:
    """«Петров С. Н.» for «Петров Сергей Николаевич», where a list column is narrow."""
    name = config.user_name(user_id)
    if not name:
        return ""
    surname, *given = name.split()
    return " ".join([surname, *(f"{part[0]}." for part in given)])


def local_date(value: date | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return tr("ui.format.date", at=value)


def option(config: Config, list_name: str | None, code: str | None) -> str:
    if not code:
        return ""
    return option_label(list_name or "", code, config=config) if list_name else code


def field_value(spec: FieldSpec, value: Any, config: Config) -> str:
    """One card field as text (photos are shown by the card view itself)."""
    if value is None or value == "" or value == []:
        return ""
    match spec.type:
        case "bool":
            return tr("ui.yes") if value else tr("ui.no")
        case "choice" | "open_choice":
            return option(config, spec.list, str(value))
        case "multichoice":
            return ", ".join(option(config, spec.list, str(v)) for v in value)
        case "datetime":
            return local_time(value)
        case "photos":
            return tr("ui.card.photos_count", count=len(value))
        case _:
            return str(value)
