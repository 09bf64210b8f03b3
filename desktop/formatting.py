"""The Qt side of `forms.display`: the formatter the desktop uses, and date pickers that show
and pick days and times on the site's clock, in the language's CLDR format.

Qt's own "today" (`QDate.currentDate`) is the workstation's; a picker here starts from the
site's today, and what it gives back is read in the site's time zone.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from babel.dates import get_date_format, get_datetime_format, get_time_format
from PySide6.QtCore import QDate, QDateTime, QLocale, QTime, QTimeZone
from PySide6.QtWidgets import QDateEdit, QDateTimeEdit, QWidget

from forms.config import Config
from forms.display import Display
from forms.i18n import locale

_QT_LOCALES = {"ru": QLocale(QLocale.Language.Russian, QLocale.Country.Russia),
               "en": QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)}
# CLDR pattern letters that Qt writes differently; the rest (d M H h m s, quoted text) agree.
_TOKEN = re.compile(r"'[^']*'|([a-zA-Z])\1*")
_QT = {"y": "yyyy", "yy": "yy", "yyyy": "yyyy", "a": "AP", "L": "M", "LL": "MM", "LLL": "MMM",
       "LLLL": "MMMM"}


def display(config: Config) -> Display:
    """The desktop's formatter: the user's language, the site's clock, no command hints."""
    return Display.create(config)


def qt_pattern(cldr: str) -> str:
    return _TOKEN.sub(lambda m: _QT.get(m.group(0), m.group(0)), cldr)


def date_format(fmt: Display) -> str:
    """The Qt display format of a day as `Display.day` writes it."""
    return qt_pattern(get_date_format(fmt.t("time.date_length"), locale(fmt.lang)).pattern)


def datetime_format(fmt: Display) -> str:
    """The Qt display format of a moment as `Display.moment` writes it."""
    loc = locale(fmt.lang)
    length = fmt.t("time.date_length")
    return get_datetime_format(length, loc).format(
        qt_pattern(get_time_format("short", loc).pattern),
        qt_pattern(get_date_format(length, loc).pattern))


def to_qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def date_edit(fmt: Display, day: date | None = None, parent: QWidget | None = None) -> QDateEdit:
    """A day picker in the language's format, starting at `day` (the site's today)."""
    edit = QDateEdit(to_qdate(day or fmt.today()), parent)
    edit.setCalendarPopup(True)
    edit.setLocale(_QT_LOCALES.get(fmt.lang, _QT_LOCALES["ru"]))
    edit.setDisplayFormat(date_format(fmt))
    return edit


def picked_day(edit: QDateEdit) -> date:
    value: date = edit.date().toPython()
    return value


def site_start(fmt: Display, day: date) -> datetime:
    """The first moment of a site's calendar day."""
    return datetime.combine(day, time.min, fmt.tz)


def datetime_edit(fmt: Display, parent: QWidget | None = None) -> QDateTimeEdit:
    """A date-and-time picker on the site's clock, set to now there."""
    edit = QDateTimeEdit(parent)
    edit.setCalendarPopup(True)
    edit.setLocale(_QT_LOCALES.get(fmt.lang, _QT_LOCALES["ru"]))
    edit.setDisplayFormat(datetime_format(fmt))
    # The edit holds the site's wall-clock time as if it were UTC: Qt then never moves it
    # by the workstation's zone or its daylight-saving gaps; zoneinfo reads it back.
    edit.setTimeZone(QTimeZone.utc())
    set_site_moment(fmt, edit, fmt.now())
    return edit


def wall_clock(fmt: Display, moment: datetime) -> QDateTime:
    """`moment` as the site's wall clock reads it, for a `datetime_edit`."""
    local = fmt.local(moment)
    return QDateTime(to_qdate(local.date()), QTime(local.hour, local.minute, local.second),
                     QTimeZone.utc())


def set_site_moment(fmt: Display, edit: QDateTimeEdit, moment: datetime) -> None:
    edit.setDateTime(wall_clock(fmt, moment))


def picked_moment(fmt: Display, edit: QDateTimeEdit) -> datetime:
    """The moment picked, the wall-clock time read on the site's clock."""
    value = edit.dateTime()
    return datetime.combine(value.date().toPython(), value.time().toPython(), fmt.tz)
