from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from forms.config import Config, load_config
from forms.service import CardService
from forms.store.repo import Store


class FakeClock:
    """A clock the test moves by hand; the service never reads the real one."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))  # Monday 10:00 in Moscow


@pytest.fixture
def store(tmp_path: Path, config: Config) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path}/store.db", config)
    yield s
    s.close()


@pytest.fixture
def as_user(store: Store, config: Config, clock: FakeClock,
            tmp_path: Path) -> Callable[[str], CardService]:
    def make(user: str) -> CardService:
        return CardService(store, config, user=user, device_id="device-1", clock=clock,
                           blobs=tmp_path / "blobs")
    return make


HAZARD = {"kind": "hazard", "title": "Разлив масла у пресса №3",
          "description": "На полу масляное пятно, можно поскользнуться", "site": "sever",
          "department": "synthesis", "location": "Пресс №3", "category": "slips_trips",
          "work_stopped": True}
COMPLAINT = {"kind": "complaint", "title": "Долгое ожидание в зале", "site": "office",
             "department": "service_desk", "cause": "service_quality",
             "emotional_state": "irritated",
             "account": "Клиент ждал 40 минут. Он был раздражён. Я извинилась и помогла.",
             "steps_done": ["empathy", "apology", "help"], "conclusion": "Решено",
             "outcome": "satisfied"}
IDEA = {"kind": "safety_idea", "title": "Светоотражающая разметка на складе",
        "proposal": "Нанести разметку проходов", "expected_effect": "Меньше наездов погрузчиков",
        "site": "sever", "department": "warehouse"}
