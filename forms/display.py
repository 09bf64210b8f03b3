"""How any value reads for a person: one formatter for the desktop, the command line and the
PDFs (DESIGN.md §11, "Display").

A `Display` is made from (configuration, language, the site's time zone). Everything a person
sees goes through it: texts of the catalogue (with plural forms), numbers, dates and moments,
periods, people, list labels, states and bands, card fields, history lines and errors. Dates,
numbers, month and week names and plural rules are CLDR's, through Babel. Every moment is
shown in the site's time zone (`sla.calendar.timezone`), never the workstation's: storage is
UTC, and the site's clock is the one people work by. `utc_now` is the one clock that "now"
and "today" read.

Machine values (codes, ISO times) stay in the card JSON and `--json` output; this module is
for people only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from babel.dates import (
    DateTimePattern,
    format_interval,
    format_skeleton,
    get_date_format,
    get_datetime_format,
    get_month_names,
    get_time_format,
    get_timezone_name,
    parse_pattern,
)
from babel.numbers import NumberPattern, format_decimal
from babel.numbers import parse_pattern as parse_number_pattern

from forms.i18n import DEFAULT_LANG, current_language, has, locale, tr
from forms.ids import short_id

if TYPE_CHECKING:
    from forms.card import HistoryEntry
    from forms.config import Config, FieldSpec
    from forms.errors import FieldError, SafeCardError

BLANK = "—"
MINUS = "\u2212"  # a true minus sign, as in print: −0,62

# Error parameters that are codes: shown by their label. Inside a sentence a band or a
# status reads in lower case («остаточный риск всё ещё высок (высокий)»).
_LABELLED = {"state": "states", "operation": "operations", "band": "bands", "role": "roles",
             "status": "action_status", "kind": "kinds", "problem": "json_problems"}
_INLINE = frozenset({"band", "status"})
_DAYS = frozenset({"date_from", "date_to"})  # ISO dates, read as days


def utc_now() -> datetime:
    """The one clock behind every "now" and "today" a person sees (read through
    `Display.now`, so a test can set it in one place)."""
    return datetime.now(UTC)


def is_month(first: date, last: date) -> bool:
    """Whether `first`..`last` is one whole calendar month."""
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first.day == 1 and last == following - timedelta(days=1)


def is_week(first: date, last: date) -> bool:
    """Whether `first`..`last` is one ISO week, Monday to Sunday."""
    return first.isoweekday() == 1 and last - first == timedelta(days=6)


def inline(label: str) -> str:
    """A label as it reads inside a sentence: «Высокий» → «высокий». An acronym or a name
    spelt in capitals («СИЗ», «LTIFR») is kept as written."""
    first = label.split(" ", 1)[0]
    if len(first) > 1 and first[1:].upper() == first[1:] and first[1:].lower() != first[1:]:
        return label
    return label[:1].lower() + label[1:]


@dataclass(frozen=True)
class Display:
    config: Config | None  # None: no site configuration at hand (labels from the catalogue)
    lang: str
    tz: tzinfo
    commands: bool = False  # advice may name commands (the CLI); the desktop's never does

    @classmethod
    def create(cls, config: Config | None, lang: str | None = None, *,
               commands: bool = False) -> Display:
        return cls(config, lang or current_language(), config.zone if config else UTC,
                   commands)

    # ---- texts -----------------------------------------------------------------------------

    def t(self, key: str, **params: Any) -> str:
        return tr(key, self.lang, **params)

    def has(self, key: str) -> bool:
        return has(key, self.lang) or has(key, DEFAULT_LANG)

    # ---- numbers ---------------------------------------------------------------------------

    def number(self, value: float | None, digits: int = 0) -> str:
        """«1 234», «−0,62» (ru); «1,234», «−0.62» (en); a dash for no value."""
        if value is None:
            return BLANK
        if round(value, digits) == 0:
            value = 0  # never «−0»
        return _number_pattern(digits).apply(value, locale(self.lang)).replace("-", MINUS)

    def signed(self, value: float, digits: int = 0) -> str:
        """A change: «+3», «−0,62», «±0»."""
        if round(value, digits) == 0:
            return "±" + self.number(0, digits)
        return ("+" if value > 0 else "") + self.number(value, digits)

    def percent(self, value: float | None, digits: int = 0) -> str:
        """A percentage given as 0–100: «87 %» (ru), «87%» (en)."""
        if value is None:
            return BLANK
        pattern = locale(self.lang).percent_formats[None].pattern
        if digits:
            at = pattern.rindex("0") + 1
            pattern = pattern[:at] + "." + "0" * digits + pattern[at:]
        return format_decimal(value / 100, format=pattern, locale=locale(self.lang)).replace(
            "-", MINUS)

    # ---- the site's clock -------------------------------------------------------------------

    def now(self) -> datetime:
        return utc_now()

    def today(self, now: datetime | None = None) -> date:
        """The site's calendar day now (or at `now`)."""
        return (now or self.now()).astimezone(self.tz).date()

    def local(self, moment: datetime) -> datetime:
        """A moment on the site's clock (a naive one is taken as UTC, as stored)."""
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(self.tz)

    def moment(self, value: datetime | str | None) -> str:
        """A date and time on the site's clock: «02.12.2026, 02:30» / «Dec 2, 2026, 2:30 AM»."""
        moment = _moment(value)
        if moment is None:
            return BLANK if not value else str(value)
        return _written(self.lang, "moment", self.local(moment).replace(tzinfo=None))

    def day(self, value: date | datetime | str | None) -> str:
        """A calendar day (a moment is first put on the site's clock): «02.12.2026»."""
        day = self._day(value)
        if day is None:
            return BLANK if not value else str(value)
        return _written(self.lang, "day", day)

    def clock(self, value: datetime) -> str:
        """The time of day on the site's clock: «02:30»."""
        return _written(self.lang, "time", self.local(value).replace(tzinfo=None))

    def recent(self, value: datetime, now: datetime | None = None) -> str:
        """The time alone for a moment of the site's today, else the date and time."""
        if self.local(value).date() == self.today(now):
            return self.clock(value)
        return self.moment(value)

    def _day(self, value: date | datetime | str | None) -> date | None:
        if isinstance(value, datetime):
            return self.local(value).date()
        if isinstance(value, date):
            return value
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            moment = _moment(value)
            return self.local(moment).date() if moment else None

    # ---- the site's time zone ----------------------------------------------------------------

    def zone_name(self, at: datetime | None = None) -> str:
        """«Москва, стандартное время (UTC+3)»."""
        local = (at or self.now()).astimezone(self.tz)
        offset = local.utcoffset() or timedelta()
        sign = "+" if offset >= timedelta() else MINUS
        hours, minutes = divmod(abs(int(offset.total_seconds())) // 60, 60)
        name = get_timezone_name(local, "long", locale=locale(self.lang))
        return self.t("time.zone", name=name,
                      offset=f"{sign}{hours}" + (f":{minutes:02d}" if minutes else ""))

    def zone_note(self) -> str:
        """How to say which clock a time is on: «по московскому времени»."""
        key = f"time.zone_note.{self.tz}"
        return self.t(key) if self.has(key) else self.t("time.zone_note", zone=self.zone_name())

    def zone_differs(self, at: datetime | None = None) -> bool:
        """Whether this machine's clock shows another time than the site's: its times could
        then be misread, so they say whose they are."""
        moment = at or self.now()
        return moment.astimezone().utcoffset() != moment.astimezone(self.tz).utcoffset()

    def zone_hint(self) -> str:
        """`zone_note` where a time could be misread on this machine, else nothing."""
        return self.zone_note() if self.zone_differs() else ""

    # ---- periods ---------------------------------------------------------------------------

    def days(self, first: date, last: date) -> str:
        """«1–31 октября 2026 г.», «16 ноября 2026 г.»."""
        if first == last:
            return format_skeleton("yMMMMd", first, locale=locale(self.lang))
        return format_interval(first, last, "yMMMMd", locale=locale(self.lang))

    def period(self, first: date, last: date) -> str:
        """A month by its name («ноябрь 2026 г.»), an ISO week by its number and days
        («47-я неделя (16–22 ноября)»), any other span by its days."""
        if is_month(first, last):
            return format_skeleton("yMMMM", first, locale=locale(self.lang))
        if is_week(first, last):
            return self.t("period.week", number=first.isocalendar()[1],
                          days=self._week_days(first, last))
        return self.days(first, last)

    def period_short(self, first: date, last: date) -> str:
        """A period for a chart axis: «нояб. 2026 г.», «47-я нед.»."""
        if is_month(first, last):
            return format_skeleton("yMMM", first, locale=locale(self.lang))
        if is_week(first, last):
            return self.t("period.week_short", number=first.isocalendar()[1])
        return format_interval(first, last, "MMMd", locale=locale(self.lang))

    def compared(self, current: tuple[date, date], previous: tuple[date, date]) -> str:
        """«ноябрь 2026 г. в сравнении с октябрём», «47-я неделя (16–22 ноября) в сравнении
        с 46-й неделей (9–15 ноября)»."""
        first, last = previous
        if is_month(first, last):
            month = self._month_with(first.month)
            other = month if first.year == current[0].year else self.t(
                "period.month_year", month=month, year=first.year)
        elif is_week(first, last):
            other = self.t("period.previous_week", number=first.isocalendar()[1],
                           days=self._week_days(first, last))
        else:
            other = self.t("period.previous_days", days=self.days(first, last))
        return self.t("period.compared", period=self.period(*current), previous=other)

    def _week_days(self, first: date, last: date) -> str:
        return format_interval(first, last, "MMMMd", locale=locale(self.lang))

    def _month_with(self, month: int) -> str:
        """The month's name as it follows «в сравнении с» (Russian needs the instrumental
        case, which CLDR does not have: the catalogue gives it)."""
        key = f"time.month_instrumental.{month:02d}"
        if has(key, self.lang):
            return self.t(key)
        return str(get_month_names("wide", "stand-alone", locale(self.lang))[month])

    # ---- people ----------------------------------------------------------------------------

    def person(self, user_id: str | None) -> str:
        """A user's full name from the directory (as written if unknown)."""
        if not user_id:
            return BLANK
        return (self.config.user_name(user_id) if self.config else None) or user_id

    def actor(self, user_id: str | None) -> str:
        """Who did something; an anonymous reporter is never named, only called so."""
        return self.t("value.anonymous") if user_id is None else self.person(user_id)

    def short_person(self, user_id: str | None) -> str:
        """«Петров С. Н.» for «Петров Сергей Николаевич», where a column is narrow."""
        name = self.person(user_id)
        if name in (BLANK, user_id):
            return name
        surname, *given = name.split()
        return " ".join([surname, *(f"{part[0]}." for part in given)])

    # ---- labels ----------------------------------------------------------------------------

    def label(self, list_name: str, code: str | None) -> str:
        """The label of a list value, a kind (`kinds`) or a field (`fields`): the
        configuration's own first, then the catalogue's; a value nobody labelled (a site a
        worker typed) reads as written."""
        if not code:
            return BLANK
        configured = self.config.label(list_name, code, self.lang) if self.config else None
        if configured:
            return configured
        key = f"field.{code}" if list_name == "fields" else f"option.{list_name}.{code}"
        return self.t(key) if self.has(key) else code

    def kind(self, code: str | None) -> str:
        return self.label("kinds", code)

    def state(self, code: str | None, kind: str | None = None) -> str:
        """A card's state; a kind may name a state its own way (a hazard in `assessing` is
        having its risk assessed; a complaint, never risk-assessed, is being considered)."""
        key = f"option.states.{code}.{kind}"
        return self.t(key) if kind and self.has(key) else self.label("states", code)

    def band(self, code: str | None) -> str:
        return self.label("bands", code)

    def field(self, name: str) -> str:
        return self.label("fields", name)

    def choices(self, list_name: str, codes: list[str] | str) -> str:
        """Allowed values by their labels; for the command line with the codes to type."""
        if isinstance(codes, str):
            codes = [c for c in codes.split(", ") if c]
        if self.commands:
            return ", ".join(f"{self.label(list_name, c)} ({c})" for c in codes)
        return ", ".join(self.label(list_name, c) for c in codes)

    def tally(self, list_name: str, counts: dict[str, int]) -> str:
        """Counts by label: «Низкий: 3, Высокий: 1 204»."""
        return ", ".join(f"{self.label(list_name, code)}: {self.number(n)}"
                         for code, n in counts.items())

    def yes_no(self, value: bool) -> str:
        return self.t("value.yes" if value else "value.no")

    # ---- cards -----------------------------------------------------------------------------

    def card_number(self, card_id: str) -> str:
        return short_id(card_id)

    def value(self, spec: FieldSpec, value: Any) -> str:
        """One card field as a person reads it; an empty one as a dash."""
        if value is None or value == "" or value == []:
            return BLANK
        match spec.type:
            case "bool":
                return self.yes_no(bool(value))
            case "choice" | "open_choice" if spec.list:
                return self.label(spec.list, str(value))
            case "multichoice" if spec.list and isinstance(value, list):
                return ", ".join(self.label(spec.list, str(v)) for v in value)
            case "datetime":
                return self.moment(value)
            case "photos" if isinstance(value, list):
                return self.t("value.photos", count=len(value))
            case _:
                return str(value)

    def score(self, score: int) -> str:
        return self.t("value.score", count=score)

    def rating(self, score: int, band: str | None) -> str:
        """«12 баллов, высокий»."""
        return self.t("value.rating", score=self.score(score), band=inline(self.band(band)))

    def history(self, entry: HistoryEntry, card_kind: str | None = None) -> str:
        """One line per event of a card of `card_kind`, from the catalogue."""
        p, kind = entry.payload, entry.type
        params: dict[str, Any] = {}
        key = f"history.{kind}"
        if kind == "card.filed":
            params["kind"] = self.kind(p.get("kind"))
        elif kind == "routed":
            params["supervisor"] = self.person(p.get("supervisor"))
        elif kind in ("assessed", "verified"):
            params["rating"] = self.rating(int(p.get("score") or 0), p.get("band"))
            if kind == "verified":
                key += ".effective" if p.get("effective") else ".not_effective"
        elif kind in ("action.added", "action.updated"):
            params.update(title=p.get("title", ""), owner=self.person(p.get("owner")),
                          due=self.day(p.get("due")),
                          status=inline(self.label("action_status", p.get("status"))),
                          note=p.get("note") or "")
            if kind == "action.updated" and params["note"]:
                key += ".with_note"
        elif kind == "comment.added":
            params["text"] = p.get("text", "")
        elif kind == "field.set":
            params["field"] = self.field(str(p.get("field", "")))
        elif kind == "state.changed":
            params.update(state=inline(self.state(p.get("to"), card_kind)),
                          text=p.get("resolution") or p.get("reason") or "")
            if params["text"]:
                key += ".with_text"
        return self.t(key, **params).strip()

    # ---- errors ----------------------------------------------------------------------------

    def error(self, error: SafeCardError) -> str:
        """What happened and what to do now, as one line."""
        from forms.errors import ValidationFailed

        if isinstance(error, ValidationFailed):
            return " ".join(self.field_error(e) for e in error.errors)
        return f"{self.what(error)} {self.advice(error.key, self._params(error.params))}".strip()

    def what(self, error: SafeCardError) -> str:
        """What happened, without the advice."""
        return self.t(f"error.{error.key}", **self._params(error.params))

    def advice(self, key: str, params: dict[str, Any]) -> str:
        """The «what to do» of an error; on the desktop its own words where the command
        line's name a command."""
        for fix in ([f"error.{key}.fix.desktop"] if not self.commands else []) + [
                f"error.{key}.fix"]:
            if self.has(fix):
                return self.t(fix, **params)
        return ""

    def field_error(self, problem: FieldError) -> str:
        return self.t(f"field_error.{problem.key}", field=problem.field,
                      label=self.field(problem.field), **self._params(problem.params))

    def _param(self, name: str, value: Any) -> Any:
        if name in _LABELLED and isinstance(value, str):
            text = self.label(_LABELLED[name], value)
            return inline(text) if name in _INLINE else text
        if name in _DAYS:
            return self.day(value)
        return value

    def _params(self, raw: dict[str, Any]) -> dict[str, Any]:
        """An error's parameters as people read them; `allowed` values of a `list` by their
        labels."""
        params = dict(raw)
        list_name = params.pop("list", None)
        if list_name and "allowed" in params:
            params["allowed"] = self.choices(list_name, params["allowed"])
        elif isinstance(params.get("allowed"), list):
            params["allowed"] = ", ".join(map(str, params["allowed"]))
        return {name: self._param(name, value) for name, value in params.items()}


@dataclass(frozen=True)
class Patterns:
    """A language's CLDR patterns of a day, a time of day and a moment, parsed once: a report
    writes tens of thousands of moments."""

    day: DateTimePattern
    time: DateTimePattern
    moment: DateTimePattern


@cache
def _patterns(lang: str) -> Patterns:
    # CLDR's own lengths: «02.12.2026» in Russian; «Dec 2, 2026» in English, where the short
    # form (12/2/26) would be misread outside the US. Joined by CLDR's pattern («{1}, {0}»).
    loc = locale(lang)
    day = get_date_format(tr("time.date_length", lang), loc)
    time_ = get_time_format("short", loc)
    moment = get_datetime_format(tr("time.date_length", lang), loc)
    return Patterns(day, time_, parse_pattern(
        str(moment).replace("{1}", day.pattern).replace("{0}", time_.pattern)))


@lru_cache(maxsize=8192)
def _written(lang: str, what: str, value: date) -> str:
    """A day, or the site's wall-clock time or moment (naive: aware moments of one instant
    in two zones would be one key), in `lang`'s pattern; remembered, as a report repeats
    the same due times and moments on many rows and pages."""
    pattern: DateTimePattern = getattr(_patterns(lang), what)
    return str(pattern.apply(value, locale(lang)))


@cache
def _number_pattern(digits: int) -> NumberPattern:
    return parse_number_pattern("#,##0" + ("." + "0" * digits if digits else ""))


def _moment(value: datetime | str | None) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
