"""A store made by the previous release's schema (0001) upgrades and keeps its events."""

from __future__ import annotations

from sqlalchemy import insert, select

from forms.config import Config
from forms.store.db import current_revision, head_revision, make_engine, upgrade
from forms.store.models import EventRow
from forms.store.repo import Store
from sync.server import storage
from sync.server.db import open_server_store


def test_a_0001_store_upgrades_and_its_events_can_be_pulled(database_url: str,
                                                            config: Config) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0001")
    old = EventRow.__table__
    columns = [c for c in old.columns if c.name != "payload_hash"]
    with engine.begin() as conn:
        conn.execute(insert(old).values({c.name: v for c, v in zip(columns, [
            None, "01a20000-0000-7000-8000-000000000001", "01a20000-0000-7000-8000-00000000000c",
            "comment.added", 1, "x", None, None, {"text": "до обновления"}], strict=True)
            if c.name != "seq"}))
    engine.dispose()
    store = open_server_store(database_url)
    try:
        assert current_revision(store.engine) == head_revision()
        page = storage.pull(store, None, 10)
        assert [e.payload for e in page.events] == [{"text": "до обновления"}]
        with store.session() as s:
            assert s.scalar(select(EventRow.payload_hash)) is None
    finally:
        store.close()
    Store(database_url, config).close()  # opening again is a no-op upgrade
