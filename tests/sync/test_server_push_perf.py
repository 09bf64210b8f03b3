"""The server's push and pull stay batch-shaped (issue 8): a push costs the same statements
for 10 events as for 100, its projection (built from the cards folded while checking) is
what a rebuild from the log gives, and a PostgreSQL pull walks the (tx, seq) index in order
instead of sorting everything past the cursor."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import create_engine, event, insert, select, text

from forms import events as ev
from forms import hlc
from forms.events import Event
from forms.hlc import HybridClock
from forms.ids import uuid7
from forms.store.models import ActionRow, CardRow, EventRow
from forms.store.repo import Store
from sync.protocol import PullResponse
from sync.server import auth, db, storage
from sync.server.auth import Principal

from .conftest import PASSWORD

only_postgres = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
WHO = Principal(user="ivanov", role="staff", device_id="dev-ivanov")
FIELDS = {"title": "Зеркало", "proposal": "Повесить зеркала на перекрёстках",
          "expected_effect": "Меньше столкновений", "site": "sever", "department": "warehouse"}


def _filed(clock: HybridClock, seq: int) -> list[Event]:
    card_id, hlc = uuid7(), clock.now()
    return [
        Event(uuid7(), card_id, ev.CARD_FILED, hlc, WHO.user,
              {"kind": "safety_idea", "fields": dict(FIELDS), "anonymous": False,
               "sla_profile": "safety_idea"}, WHO.device_id, seq),
        Event(uuid7(), card_id, ev.ROUTED, hlc + 10, WHO.user,
              {"supervisor": "petrov", "chain": ["petrov"], "rule": "sever"},
              WHO.device_id, seq + 1),
    ]


def _cards(n: int, clock: HybridClock, first_seq: int) -> list[Event]:
    return [e for i in range(n) for e in _filed(clock, first_seq + 2 * i)]


def _now(events: list[Event]) -> int:
    return hlc.unpack(max(e.hlc for e in events))[0]


def _statements(store: Store, events: list[Event]) -> int:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        outcome = storage.push(store, WHO, events, _now(events) + 1000)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert {r.status for r in outcome.results} == {"accepted"}
    return len(seen)


def test_a_push_costs_the_same_statements_for_10_or_100_events(server_store: Store) -> None:
    auth.login(server_store, WHO.user, PASSWORD, WHO.device_id)
    clock = HybridClock()
    small = _cards(5, clock, 1)
    large = _cards(50, clock, 11)
    assert _statements(server_store, small) == _statements(server_store, large)
    assert server_store.count_events() == 110


def _projection(store: Store) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    with store.session() as s:
        cards = [dict(r._mapping) for r in s.execute(select(CardRow.__table__)
                                                     .order_by(CardRow.id))]
        actions = [dict(r._mapping) for r in s.execute(select(ActionRow.__table__)
                                                       .order_by(ActionRow.id))]
    return cards, actions


def test_the_pushed_projection_is_what_a_rebuild_gives(server_store: Store) -> None:
    store = server_store
    auth.login(store, WHO.user, PASSWORD, WHO.device_id)
    clock = HybridClock()
    first = _cards(3, clock, 1)
    storage.push(store, WHO, first, _now(first) + 1000)
    card_id = first[0].card_id
    filed_at, routed_at = first[0].hlc, first[1].hlc

    def comment(hlc: int, seq: int, payload: dict[str, Any]) -> Event:
        return Event(uuid7(), card_id, ev.COMMENT_ADDED, hlc, WHO.user, payload,
                     WHO.device_id, seq)

    later = [
        comment(routed_at + 5, 7, {"text": "после маршрута"}),   # applied to the card
        comment(filed_at + 3, 8, {"text": "задним числом"}),     # sorts earlier: refold
        comment(routed_at + 6, 9, {"no_text": True}),           # the fold cannot read it
        comment(routed_at + 7, 10, {"text": "и ещё"}),
        *_cards(1, clock, 11),
    ]
    outcome = storage.push(store, WHO, later, _now(later) + 1000)
    assert [r.status for r in outcome.results] == [
        "accepted", "accepted", "rejected", "accepted", "accepted", "accepted"]
    assert outcome.results[2].reason == "bad_payload"
    assert outcome.device_seq_contiguous == 8  # 9 was refused: the run stops before it
    before = _projection(store)
    assert [c.text for c in store.card(card_id).comments] == [
        "задним числом", "после маршрута", "и ещё"]
    store.rebuild()
    assert _projection(store) == before


@only_postgres
@pytest.mark.parametrize("rows", [3000])
def test_a_postgres_pull_walks_the_index_in_order(server_store: Store, rows: int) -> None:
    store = server_store
    with store.engine.begin() as conn:
        conn.execute(insert(EventRow), [
            dict(id=uuid7(), card_id=uuid7(), type=ev.COMMENT_ADDED, hlc=i, actor="x",
                 payload={"text": str(i)}, payload_hash="h") for i in range(rows)])
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE events")
        plan = "\n".join(conn.execute(text("EXPLAIN " + storage._PG_PULL.text),
                                      {"tx": "0", "seq": 0, "limit": 1000}).scalars())
    assert "ix_events_tx_seq" in plan and "Sort" not in plan, plan
    # The page as PostgreSQL writes its JSON reads back as the page built in Python.
    plain, wire = (storage.pull(store, None, 1000, as_json=j) for j in (False, True))
    assert PullResponse.model_validate_json(wire.json()) == PullResponse.model_validate_json(
        plain.json())


def _counted(store: Store, work: Any) -> list[str]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    return seen


def test_a_push_and_its_sign_in_cost_a_fixed_few_statements(server_store: Store) -> None:
    """Sign-in reads the token, user, device and configuration in one statement; a push of
    a hundred new events on PostgreSQL is lock, read, insert, projection (upsert, actions)
    and the device's sequence (round 2 of issue 8: it was 3 + 11)."""
    store = server_store
    token, _role = auth.login(store, WHO.user, PASSWORD, WHO.device_id)
    seen: list[Principal] = []
    signed_in = _counted(store, lambda: seen.append(auth.authenticate(
        store, f"Bearer {token}", on_config=lambda _text: None)))
    assert [s for s in signed_in if s != "BEGIN"] == signed_in[-1:] and seen == [WHO]
    if store.is_sqlite:
        return
    events = _cards(50, HybridClock(), 1)
    pushed = _counted(store, lambda: storage.push(store, WHO, events, _now(events) + 1000))
    assert len(pushed) <= 6, pushed


def test_sign_in_hands_over_the_saved_configuration(server_store: Store) -> None:
    store = server_store
    token, _role = auth.login(store, WHO.user, PASSWORD, WHO.device_id)
    texts: list[str] = []
    auth.authenticate(store, f"Bearer {token}", on_config=texts.append)
    store.set_meta(db.CONFIG_KEY, '{"changed": true}')
    auth.authenticate(store, f"Bearer {token}", on_config=texts.append)
    assert texts == [texts[0], '{"changed": true}'] and texts[0] != texts[1]


@only_postgres
def test_a_connection_in_steady_use_is_not_pinged(server_store: Store,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    store = server_store
    token, _role = auth.login(store, WHO.user, PASSWORD, WHO.device_id)
    pings: list[object] = []
    real_ping = store.engine.dialect.do_ping
    monkeypatch.setattr(store.engine.dialect, "do_ping",
                        lambda dbapi: pings.append(dbapi) or real_ping(dbapi))
    for _ in range(5):
        auth.authenticate(store, f"Bearer {token}")
    assert pings == []
    later = time.monotonic() + db.IDLE_PING_S + 1
    monkeypatch.setattr(db, "time", SimpleNamespace(monotonic=lambda: later))
    auth.authenticate(store, f"Bearer {token}")
    assert len(pings) == 1  # idle for a while: looked at before use


@only_postgres
def test_sign_in_survives_a_pooled_connection_that_died(server_store: Store) -> None:
    """What pool_pre_ping used to cover: the database dropped the pooled connections
    (a restart); the next request still signs in, on a new connection."""
    store = server_store
    token, _role = auth.login(store, WHO.user, PASSWORD, WHO.device_id)
    held = [store.engine.connect() for _ in range(store.engine.pool.checkedin() or 1)]
    pids = [c.exec_driver_sql("SELECT pg_backend_pid()").scalar() for c in held]
    for c in held:
        c.close()
    killer = create_engine(store.url)
    try:
        with killer.connect() as k:
            for pid in pids:
                k.execute(text("SELECT pg_terminate_backend(:p, 5000)"), {"p": pid})
    finally:
        killer.dispose()
    assert auth.authenticate(store, f"Bearer {token}") == WHO
