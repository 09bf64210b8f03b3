"""The store on SQLite and PostgreSQL: idempotent appends, projection == fold, migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import delete, select

from forms import deadlines
from forms.config import Config
from forms.service import CardService
from forms.store.db import current_revision, make_engine, upgrade
from forms.store.models import Base, CardRow
from forms.store.repo import CardQuery, Store
from tests.forms.conftest import COMPLAINT, HAZARD, IDEA, FakeClock


@pytest.fixture
def any_store(database_url: str, config: Config) -> Iterator[Store]:
    s = Store(database_url, config)
    yield s
    s.close()


def _service(store: Store, config: Config, user: str, clock: FakeClock) -> CardService:
    return CardService(store, config, user=user, device_id="dev-A", clock=clock)


def _fill(store: Store, config: Config, clock: FakeClock) -> list[str]:
    ids = []
    worker, boss = (_service(store, config, u, clock) for u in ("ivanov", "petrov"))
    for i in range(6):
        clock.advance(hours=3)
        card_id = worker.file(HAZARD | {"title": f"Опасность {i}"}).card_id
        ids.append(card_id)
        if i % 2:
            boss.assess(card_id, 2, 3, i % 5 + 1, "ok")
            boss.add_action(card_id, f"Мера {i}", "ivanov", "2026-12-20")
    ids.append(_service(store, config, "morozova", clock).file(COMPLAINT).card_id)
    ids.append(worker.file(IDEA).card_id)
    return ids


def _projection(store: Store) -> list[dict]:
    return sorted((c for c in store.list_cards()), key=lambda c: c.id).__repr__()  # type: ignore


def test_rebuild_equals_incremental_projection(any_store: Store, config: Config,
                                               clock: FakeClock) -> None:
    _fill(any_store, config, clock)
    incremental = _projection(any_store)
    assert any_store.rebuild() == 8
    assert _projection(any_store) == incremental


def test_append_is_idempotent_by_event_id(any_store: Store, config: Config,
                                          clock: FakeClock) -> None:
    card_id = _fill(any_store, config, clock)[1]
    events = any_store.card_events(card_id)
    before = (any_store.count_events(), any_store.outbox_count(), _projection(any_store))
    assert any_store.append(events) == []
    assert (any_store.count_events(), any_store.outbox_count(),
            _projection(any_store)) == before


def test_events_from_another_store_fold_into_the_same_card(any_store: Store, config: Config,
                                                          clock: FakeClock,
                                                          tmp_path: Path) -> None:
    ids = _fill(any_store, config, clock)
    other = Store(f"sqlite:///{tmp_path}/other.db", config)
    try:
        # Deliver in reverse order of writing: the projection must not care.
        for _, event in reversed(any_store.events()):
            other.append([event], outbox=None)
        for card_id in ids:
            assert repr(other.card(card_id)) == repr(any_store.card(card_id))
        assert other.outbox_count() == 0
    finally:
        other.close()


def test_device_sequence_is_contiguous(any_store: Store, config: Config,
                                       clock: FakeClock) -> None:
    _fill(any_store, config, clock)
    seqs = [e.device_seq for _, e in any_store.events() if e.device_id == "dev-A"]
    assert seqs == list(range(1, len(seqs) + 1))


def test_filters_search_and_overdue(any_store: Store, config: Config, clock: FakeClock) -> None:
    _fill(any_store, config, clock)
    assert any_store.count_cards(CardQuery(kind="hazard")) == 6
    assert any_store.count_cards(CardQuery(state="actions")) == 3
    assert any_store.count_cards(CardQuery(site="office")) == 1
    assert [c.kind for c in any_store.list_cards(CardQuery(search="ожидание"))] == ["complaint"]
    assert any_store.count_cards(CardQuery(search="Опасность")) == 6
    assert any_store.count_cards(CardQuery(search="разметк")) == 1
    later = clock.now + timedelta(days=60)
    overdue = any_store.list_cards(CardQuery(overdue_at=later))
    assert {c.id for c in overdue} == {
        c.id for c in any_store.list_cards() if deadlines.is_overdue(c, config, later)}
    assert overdue and any_store.count_cards(CardQuery(overdue_at=clock.now)) < len(overdue)


def test_list_pages_do_not_overlap(any_store: Store, config: Config, clock: FakeClock) -> None:
    _fill(any_store, config, clock)
    first = [c.id for c in any_store.list_cards(limit=5)]
    rest = [c.id for c in any_store.list_cards(limit=5, offset=5)]
    assert len(first) == 5 and len(rest) == 3 and not set(first) & set(rest)


def test_short_ids_resolve(any_store: Store, config: Config, clock: FakeClock) -> None:
    card_id = _fill(any_store, config, clock)[0]
    assert any_store.resolve_id(card_id[-8:]) == card_id


def _not_fts(name: str | None, type_: str, _parents: object) -> bool:
    # FTS5's virtual table and its shadow tables are made by the migration, not the models.
    # PostgreSQL's `tx xid8` column and its indexes exist only there (migration 0002).
    if type_ == "column" and name == "tx":
        return False
    if type_ == "index" and name in ("ix_events_tx_seq", "ix_events_device"):
        return False
    return not (type_ == "table" and (name or "").startswith("cards_fts"))


# SQLAlchemy has no type for PostgreSQL's xid8 (the pull cursor's `tx`, migration 0002).
@pytest.mark.filterwarnings("ignore:Did not recognize type 'xid8':sqlalchemy.exc.SAWarning")
def test_migrations_build_exactly_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        assert current_revision(engine) == "0003"
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": _not_fts})
            diff = compare_metadata(context, Base.metadata)
        assert diff == []
        upgrade(engine)  # upgrading an up-to-date store is a no-op
    finally:
        engine.dispose()


def test_the_quick_head_check_agrees_with_alembic() -> None:
    from alembic.script import ScriptDirectory

    from forms.store.db import MIGRATIONS, head_revision

    script = ScriptDirectory(str(MIGRATIONS))
    assert head_revision() == script.get_current_head() == "0003"


def test_sqlite_store_is_durable_wal(tmp_path: Path, config: Config) -> None:
    store = Store(f"sqlite:///{tmp_path}/s.db", config)
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        store.close()


def test_an_existing_store_opens_and_keeps_its_cards(tmp_path: Path, config: Config,
                                                      clock: FakeClock) -> None:
    path = tmp_path / "s.db"
    first = Store(f"sqlite:///{path}", config)
    ids = _fill(first, config, clock)
    first.close()
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    raw.close()
    second = Store(f"sqlite:///{path}", config)
    try:
        assert {c.id for c in second.list_cards()} == set(ids)
    finally:
        second.close()


def test_lost_projection_rows_come_back_on_rebuild(any_store: Store, config: Config,
                                                    clock: FakeClock) -> None:
    ids = _fill(any_store, config, clock)
    with any_store.session.begin() as s:
        s.execute(delete(CardRow))
    assert any_store.count_cards() == 0
    any_store.rebuild()
    assert {c.id for c in any_store.list_cards()} == set(ids)


def test_times_are_aware_utc(any_store: Store, config: Config, clock: FakeClock) -> None:
    card_id = _fill(any_store, config, clock)[0]
    card = any_store.card(card_id)
    assert card.filed_at is not None and card.filed_at.tzinfo is not None
    assert card.filed_at.utcoffset() == timedelta(0)
    assert abs(card.filed_at - datetime(2026, 11, 23, 10, tzinfo=UTC)) < timedelta(seconds=1)


def test_concurrent_writers_never_share_a_device_sequence_number(
        tmp_path: Path, config: Config, clock: FakeClock) -> None:
    import threading

    store = Store(f"sqlite:///{tmp_path}/s.db", config)
    errors: list[BaseException] = []

    def work() -> None:
        service = CardService(store, config, user="ivanov", device_id="dev-A", clock=clock)
        try:
            for _ in range(15):
                service.file(IDEA)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        seqs = sorted(e.device_seq for _, e in store.events())  # type: ignore[type-var]
        assert seqs == list(range(1, 91))
    finally:
        store.close()


def test_another_process_cannot_interleave_a_write(tmp_path: Path, config: Config,
                                                    clock: FakeClock) -> None:
    first = Store(f"sqlite:///{tmp_path}/s.db", config)
    second = Store(f"sqlite:///{tmp_path}/s.db", config)
    try:
        with first.writing.begin() as s:
            # A read is the first statement, yet BEGIN IMMEDIATE already took the write lock.
            s.execute(select(CardRow.id)).all()
            conn = sqlite3.connect(tmp_path / "s.db", timeout=0.1)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                conn.execute("BEGIN IMMEDIATE")
            conn.close()
        _service(second, config, "ivanov", clock).file(IDEA)
        assert first.count_cards() == 1
    finally:
        first.close()
        second.close()


def test_search_index_follows_projection_rewrites(any_store: Store, config: Config,
                                                  clock: FakeClock) -> None:
    card_id = _service(any_store, config, "ivanov", clock).file(HAZARD).card_id
    boss = _service(any_store, config, "petrov", clock)
    for _ in range(3):  # each step rewrites the card's row and its index entry
        boss.comment(card_id, "Уточните место")
    assert [c.id for c in any_store.list_cards(CardQuery(search="масла"))] == [card_id]
    any_store.rebuild()
    assert [c.id for c in any_store.list_cards(CardQuery(search="масла"))] == [card_id]


def test_query_events_streams_a_scope_in_fold_order(any_store: Store, config: Config,
                                                    clock: FakeClock) -> None:
    _fill(any_store, config, clock)
    streamed = list(any_store.query_events(CardQuery(kind="hazard")))
    hazards = [c.id for c in any_store.list_cards(CardQuery(kind="hazard"))]
    expected = sorted((e for cid in hazards for e in any_store.card_events(cid)),
                      key=lambda e: e.sort_key)
    assert streamed == expected and len(streamed) > len(hazards)
