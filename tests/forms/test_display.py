"""forms.display: every value as a person reads it, in Russian and English, on the site's clock."""

from __future__ import annotations

import copy
import time
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from forms.card import HistoryEntry
from forms.config import Config, ConfigError, build_config, load_raw
from forms.display import Display, inline
from forms.errors import BadInput, Conflict, FieldError, ValidationFailed

NIGHT = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # 2 December in Moscow and in Vladivostok


def with_zone(config: Config, zone: str) -> Config:
    sla = copy.deepcopy(config.sla)
    sla["calendar"]["timezone"] = zone
    return replace(config, sla=sla)


@pytest.fixture
def ru(config: Config) -> Display:
    return Display.create(config, "ru")


@pytest.fixture
def en(config: Config) -> Display:
    return Display.create(config, "en")


def test_numbers_have_the_languages_separators_and_a_true_minus(ru: Display, en: Display):
    assert ru.number(-0.62, 2) == "−0,62" and en.number(-0.62, 2) == "−0.62"
    assert ru.number(1234567) == "1\xa0234\xa0567" and en.number(1234567) == "1,234,567"
    assert ru.number(-0.001, 2) == "0,00"  # never «−0,00»
    assert ru.number(None) == "—"
    assert (ru.signed(3), ru.signed(-0.17, 2), ru.signed(0)) == ("+3", "−0,17", "±0")
    assert ru.percent(87.5) == "88\xa0%" and en.percent(87.5) == "88%"
    assert ru.percent(87.25, 1) == "87,2\xa0%"


@pytest.mark.parametrize(("zone", "local"), [("Europe/Moscow", "02.12.2026, 02:30"),
                                             ("Asia/Vladivostok", "02.12.2026, 09:30")])
def test_moments_and_days_are_on_the_sites_clock(config: Config, zone: str, local: str):
    fmt = Display.create(with_zone(config, zone), "ru")
    assert fmt.moment(NIGHT) == local
    assert fmt.moment(NIGHT.isoformat()) == local  # as the card JSON stores it
    assert fmt.day(NIGHT) == "02.12.2026"  # the site's day, not UTC's 1 December
    assert fmt.today(NIGHT) == date(2026, 12, 2)
    assert fmt.day("2026-12-31") == "31.12.2026"
    assert fmt.recent(NIGHT, NIGHT) == local[-5:]  # today: the time alone


def test_english_dates_are_cldr_english(en: Display):
    assert en.moment(NIGHT) == "Dec 2, 2026, 2:30\u202fAM"
    assert en.day(date(2026, 12, 31)) == "Dec 31, 2026"


def test_periods_read_as_months_and_weeks_with_their_names(ru: Display, en: Display):
    november, october = (date(2026, 11, 1), date(2026, 11, 30)), (date(2026, 10, 1),
                                                                    date(2026, 10, 31))
    assert ru.period(*november) == "ноябрь 2026\u202fг."
    assert ru.compared(november, october) == "ноябрь 2026\u202fг. в сравнении с октябрём"
    assert ru.compared((date(2027, 1, 1), date(2027, 1, 31)),
                       (date(2026, 12, 1), date(2026, 12, 31))) == (
        "январь 2027\u202fг. в сравнении с декабрём 2026\u202fг.")
    week = (date(2026, 11, 16), date(2026, 11, 22))
    assert ru.period(*week) == "47-я неделя (16—22 ноября)"
    assert ru.compared(week, (date(2026, 11, 9), date(2026, 11, 15))) == (
        "47-я неделя (16—22 ноября) в сравнении с 46-й неделей (9—15 ноября)")
    assert en.compared(november, october) == "November 2026 compared with October"
    assert en.period(*week) == "week 47 (November 16\u2009–\u200922)"
    assert ru.period(date(2026, 10, 1), date(2026, 10, 15)) == "1—15 окт. 2026\u202fг."
    assert ru.period_short(*november) == "нояб. 2026\u202fг."


def test_the_zone_is_named_and_said_where_a_time_could_be_misread(config: Config,
                                                                  monkeypatch):
    moscow = Display.create(config, "ru")
    assert moscow.zone_name(NIGHT) == "Москва, стандартное время (UTC+3)"
    assert moscow.zone_note() == "по московскому времени"
    vladivostok = Display.create(with_zone(config, "Asia/Vladivostok"), "ru")
    assert vladivostok.zone_note() == "по владивостокскому времени"
    berlin = Display.create(with_zone(config, "Europe/Berlin"), "en")
    assert berlin.zone_note() == "Central European Standard Time (UTC+1)"
    try:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()
        assert moscow.zone_differs(NIGHT) and moscow.zone_hint() == "по московскому времени"
        monkeypatch.setenv("TZ", "Europe/Moscow")
        time.tzset()
        assert not moscow.zone_differs(NIGHT) and moscow.zone_hint() == ""
    finally:
        monkeypatch.undo()
        time.tzset()


def test_labels_not_codes_and_lower_case_inside_sentences(ru: Display):
    assert ru.kind("hazard") == "Сообщение об опасности"
    assert ru.state("assessing", "hazard") == "Оценка риска"
    assert ru.state("assessing", "complaint") == "Рассмотрение"  # never risk-assessed
    assert ru.state("actions") == "Выполнение мероприятий"
    assert ru.label("sites", "sever") == "Завод «Северный»"
    assert ru.label("sites", "Новая площадка") == "Новая площадка"  # typed in: as written
    assert ru.rating(12, "high") == "12 баллов, высокий"
    assert ru.rating(1, "low") == "1 балл, низкий"
    assert inline("Средства защиты (СИЗ)") == "средства защиты (СИЗ)"
    assert inline("СИЗ на складе") == "СИЗ на складе" and inline("LTIFR") == "LTIFR"
    assert ru.short_person("petrov") == "Петров С. Н." and ru.actor(None) == "аноним"


def test_allowed_values_are_listed_by_label_and_with_codes_to_type_on_the_command_line(
        config: Config):
    problem = ValidationFailed([FieldError("kind", "not_one_of",
                                           {"allowed": list(config.kinds), "list": "kinds"})])
    desktop = Display.create(config, "ru").error(problem)
    assert desktop == ("«Вид карточки»: недопустимое значение — выберите одно из: "
                       "Сообщение об опасности, Жалоба, Идея по безопасности.")
    cli = Display.create(config, "ru", commands=True).error(problem)
    assert "Сообщение об опасности (hazard), Жалоба (complaint)" in cli


def test_the_desktop_never_advises_a_command(config: Config):
    error = Conflict("open_actions", count=2)
    assert Display.create(config, "ru", commands=True).error(error) == (
        "Не завершены 2 мероприятия. Завершите их: safecard action done НОМЕР_МЕРОПРИЯТИЯ.")
    desktop = Display.create(config, "ru").error(error)
    assert desktop.startswith("Не завершены 2 мероприятия.") and "safecard" not in desktop
    period = Display.create(config, "ru").error(
        BadInput("bad_period", date_from="2026-12-31", date_to="2026-12-01"))
    assert period.startswith("Период задан неверно: 31.12.2026 позже 01.12.2026.")


def test_history_lines(ru: Display):
    def line(kind: str, **payload: object) -> str:
        return ru.history(HistoryEntry("e", kind, NIGHT, "petrov", payload))

    assert line("assessed", score=12, band="high") == "Оценён риск: 12 баллов, высокий"
    assert line("action.updated", status="done", note="Поддон стоит") == (
        "Мероприятие: выполнено. Отметка о выполнении: Поддон стоит")
    assert line("state.changed", to="actions") == "Состояние: выполнение мероприятий"
    assessing = HistoryEntry("e", "state.changed", NIGHT, "petrov", {"to": "assessing"})
    assert ru.history(assessing, "hazard") == "Состояние: оценка риска"
    assert ru.history(assessing, "complaint") == "Состояние: рассмотрение"
    assert line("field.set", field="location") == "Изменено поле «Место»"
    assert line("action.added", title="Поставить поддон", owner="ivanov", due="2026-12-04") == (
        "Добавлено мероприятие «Поставить поддон», ответственный Иванов Иван Ильич, "
        "срок 04.12.2026")


def test_a_kind_the_configuration_adds_needs_a_label_and_shows_it():
    raw = load_raw()
    hazard = raw["kinds"]["kinds"]["hazard"]
    raw["kinds"]["kinds"]["micro_injury"] = {**hazard, "fields": hazard["fields"][:2]}
    with pytest.raises(ConfigError, match='kind micro_injury has no label: give it "label"'):
        build_config(raw)
    raw["kinds"]["kinds"]["micro_injury"]["label"] = {"ru": "Микротравма", "en": "Micro-injury"}
    config = build_config(raw)
    assert Display.create(config, "ru").kind("micro_injury") == "Микротравма"
    assert Display.create(config, "en").kind("micro_injury") == "Micro-injury"


def test_a_field_or_list_value_the_configuration_adds_needs_a_label():
    raw = load_raw()
    raw["kinds"]["kinds"]["hazard"]["fields"].append({"name": "shift", "type": "text"})
    with pytest.raises(ConfigError, match="field shift has no label"):
        build_config(raw)
    raw = load_raw()
    raw["lists"]["hazard_categories"].append("lifting")
    with pytest.raises(ConfigError, match="value lifting has no label"):
        build_config(raw)
    raw["lists"]["hazard_categories"][-1] = {"code": "lifting",
                                             "label": {"ru": "Подъём грузов", "en": "Lifting"}}
    config = build_config(raw)
    assert "lifting" in config.lists["hazard_categories"]
    assert Display.create(config, "ru").label("hazard_categories", "lifting") == "Подъём грузов"
