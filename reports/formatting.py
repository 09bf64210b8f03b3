"""How values read in a report: in one language, in the site's timezone, with labels not codes.

Every string comes from the translation catalogue (`forms.i18n`): `report.*` keys are this
package's, `option.*` / `field.*` / `history.*` are the core's. A `Formatter` is made once
per report so the language and timezone are decided in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from forms.config import Config, FieldSpec
from forms.i18n import current_language, field_label, option_label, tr
from forms.ids import short_id


@dataclass(frozen=True)
class Formatter:
    config: Config
    lang: str
    tz: tzinfo

    @classmethod
    def create(cls, config: Config, lang: str | None, tz: tzinfo) -> Formatter:
        return cls(config, lang or current_language(), tz)

    def t(self, key: str, **params: Any) -> str:
        return tr(key, self.lang, **params)

    # ---- moments ---------------------------------------------------------------------------

    def moment(self, value: datetime | None) -> str:
        if value is None:
            return "—"
        return value.astimezone(self.tz).strftime(self.t("report.format.datetime"))

    def day(self, value: date | str | None) -> str:
        """A calendar day; a moment is first put in the site's timezone."""
        if value is None or value == "":
            return "—"
        if isinstance(value, datetime):
            value = value.astimezone(self.tz).date()
        elif isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                return value
        return value.strftime(self.t("report.format.date"))

    # ---- people and labels -----------------------------------------------------------------

    def user(self, user_id: str | None) -> str:
        return self.config.user_name(user_id) or "—"

    def actor(self, user_id: str | None) -> str:
        """Who did something; an anonymous reporter is never named, only called so."""
        return self.t("report.actor.anonymous") if user_id is None else self.user(user_id)

    def option(self, list_name: str, code: str | None) -> str:
        if not code:
            return "—"
        return option_label(list_name, code, self.lang, self.config)

    def kind(self, code: str) -> str:
        return self.option("kinds", code)

    def state(self, code: str) -> str:
        return self.option("states", code)

    def band(self, code: str | None) -> str:
        return self.option("bands", code)

    def field(self, name: str) -> str:
        return field_label(name, self.lang)

    def card_number(self, card_id: str) -> str:
        return short_id(card_id)

    # ---- field values ----------------------------------------------------------------------

    def value(self, spec: FieldSpec, value: Any) -> str:
        """A card field as a reader should see it; empty values read as a dash."""
        if value is None or value == "" or value == []:
            return "—"
        if spec.type == "bool":
            return self.t("report.yes") if value else self.t("report.no")
        if spec.type in ("choice", "open_choice") and spec.list:
            return self.option(spec.list, str(value))
        if spec.type == "multichoice" and spec.list and isinstance(value, list):
            return ", ".join(self.option(spec.list, str(v)) for v in value)
        if spec.type == "datetime" and isinstance(value, str):
            try:
                return self.moment(datetime.fromisoformat(value))
            except ValueError:
                return value
        if spec.type == "photos" and isinstance(value, list):
            return self.t("report.photos_count", count=len(value))
        return str(value)
