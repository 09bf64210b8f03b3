"""A small store of cards filed in October 2026 (Moscow time) through the real service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from forms.config import Config, load_config
from forms.service import CardService
from forms.store.repo import Store

PERIOD = (date(2026, 10, 1), date(2026, 10, 31))
GENERATED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # Monday 12:00 in Moscow


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment


def msk(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
    """A Moscow wall-clock time (UTC+3, no DST) as an aware UTC datetime."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=3)


@dataclass
class Sample:
    store: Store
    config: Config
    ids: dict[str, str] = field(default_factory=dict)

    def titles(self) -> dict[str, str]:
        return {name: self.store.card(card_id).title for name, card_id in self.ids.items()}


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config()


@pytest.fixture
def store(tmp_path: Path, config: Config) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path}/s.db", config)
    yield s
    s.close()


@pytest.fixture
def sample(store: Store, config: Config, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Sample:
    monkeypatch.setenv("SAFECARD_ANONYMOUS_DELAY", "0")
    clock = FakeClock(msk(1, 9))

    def as_user(user: str) -> CardService:
        return CardService(store, config, user=user, device_id="dev-1", clock=clock,
                           blobs=tmp_path / "blobs")

    s = Sample(store, config)
    file_sample_cards(s, clock, as_user)
    return s


def file_sample_cards(s: Sample, clock: FakeClock, as_user: Callable[[str], CardService]) -> None:
    ivanov, petrov, morozova, kozlov = (as_user(u) for u in ("ivanov", "petrov", "morozova",
                                                               "kozlov"))
    # 1. A hazard taken through the whole loop: assessed, an action done, verified, closed.
    clock.set(msk(5, 9, 15))
    oil = ivanov.file({
        "kind": "hazard", "title": "Разлив масла у пресса №3",
        "description": "На полу масляное пятно <около 1 м²> & следы обуви; можно поскользнуться.",
        "site": "sever", "department": "synthesis", "location": "Пресс №3",
        "category": "slips_trips", "work_stopped": True,
        "observed_at": "2026-10-05T08:50:00"}).card_id
    clock.set(msk(5, 10))
    petrov.assess(oil, 3, 2, 4, "ok", note="Проход к прессу используется каждую смену")
    action, _ = petrov.add_action(oil, "Убрать разлив и поставить поддон", "ivanov",
                                  "2026-10-07", "immediate")
    clock.set(msk(6, 11))
    petrov.complete_action(action, note="Поддон установлен")
    clock.set(msk(6, 14))
    petrov.verify(oil, 2, 1, 1, "ok", effective=True)
    petrov.close(oil, "Разлив убран, под прессом стоит поддон, проверено мастером смены")
    s.ids["oil"] = oil

    # 2. An anonymous hazard, assessed but with its action still open (overdue by November).
    clock.set(msk(12, 16, 40))
    wire = ivanov.file({
        "kind": "hazard", "title": "Оголённый провод в щитовой",
        "description": "В щитовой №2 из кабель-канала торчит провод без изоляции.",
        "site": "sever", "department": "synthesis", "category": "electrical"},
        anonymous=True).card_id
    clock.set(msk(13, 9))
    petrov.assess(wire, 4, 2, 3, "breach")
    petrov.add_action(wire, "Заизолировать провод и закрыть кабель-канал", "petrov",
                      "2026-10-20")
    petrov.comment(wire, "Электрик вызван, щитовая закрыта на ключ")
    s.ids["wire"] = wire

    # 3. A complaint at the service centre, closed the same day.
    clock.set(msk(15, 12, 5))
    queue = morozova.file({
        "kind": "complaint", "title": "Клиент недоволен ожиданием в очереди",
        "site": "office", "department": "service_desk", "cause": "service_quality",
        "emotional_state": "irritated",
        "account": "Клиент ждал 40 минут. Я извинилась и объяснила причину задержки. "
                   "Предложила записаться на удобное время. Клиент согласился.",
        "steps_done": ["empathy", "apology", "help"], "outcome": "satisfied"}).card_id
    clock.set(msk(15, 15))
    petrov.close(queue, "Открыто второе окно обслуживания в часы пик")
    s.ids["queue"] = queue

    # 4. A safety idea at the other plant, not yet looked at.
    clock.set(msk(20, 13, 30))
    s.ids["idea"] = kozlov.file({
        "kind": "safety_idea", "title": "Световая сигнализация у ворот цеха",
        "proposal": "Поставить проблесковый маячок над воротами, когда выезжает погрузчик.",
        "expected_effect": "Меньше опасных сближений людей и погрузчиков.",
        "site": "yug", "department": "repair"}).card_id

    # 5. The last evening of October in Moscow (still 31 Oct 20:30 in UTC): in the period.
    clock.set(msk(31, 23, 30))
    s.ids["late_evening"] = ivanov.file({
        "kind": "hazard", "title": "Не горит аварийное освещение на лестнице",
        "description": "Лестница между 2 и 3 этажом, аварийные светильники не работают.",
        "site": "sever", "category": "fire"}).card_id

    # 6. Just after midnight on 1 November in Moscow (31 Oct in UTC): outside the period.
    clock.set(msk(1, 0, 30, month=11))
    s.ids["november"] = ivanov.file({
        "kind": "hazard", "title": "Ноябрьская карточка вне периода",
        "description": "Подана уже в ноябре по московскому времени.",
        "site": "sever", "category": "other"}).card_id
