"""The push's workstation side: the outbox is read as stored rows, the stored payload text is
sent as it is, and each batch costs a fixed number of transactions, not one per event."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select

from forms.events import Event
from forms.store import syncio
from forms.store.models import OutboxRow
from sync import protocol as p
from sync.client import SyncClient
from sync.engine import SyncEngine, SyncReport, wire_json
from sync.errors import SyncUnreachable
from tests.forms.conftest import IDEA
from tests.sync.conftest import SERVER, Workstation
from tests.sync.helpers import stamp


def test_the_stored_payload_text_is_sent_as_the_same_wire_event(
        workstation: Callable[[str], Workstation]) -> None:
    ws = workstation("ivanov")
    odd = {"text": 'кавычки " и \\ слэш\nперевод строки \u2028 \x01', "n": [1, 2.5, None],
           "nested": {"ключ": True}}
    events = [*stamp([("comment_added", odd)], "c1", "ivanov", "dev-1"),
              *stamp([("comment_added", {})], "c2", None, None)]
    ws.store.append(events, device_id="dev-1")
    rows = syncio.outgoing(ws.store, 10)
    stored = {e.id: e for e in syncio.pending(ws.store, 10)}
    assert [o.id for o in rows] == list(stored)
    for row in rows:
        sent = p.WireEvent.model_validate_json(wire_json(row))
        assert sent == p.WireEvent.of(stored[row.id])


def test_non_ascii_goes_as_utf8_not_as_escapes(workstation: Callable[[str], Workstation],
                                               ) -> None:
    """The server scans a body with any \\u escape string by string (sync/server/security)."""
    ws = workstation("ivanov")
    ws.store.append(stamp([("comment_added", {"text": "Светоотражающая разметка"})], "c1",
                          "ivanov", "dev-1"), device_id="dev-1")
    [row] = syncio.outgoing(ws.store, 10)
    assert "Светоотражающая" in row.payload_json  # the store keeps UTF-8 (db.json_text)
    wire = wire_json(row)
    assert b"\\u" not in wire and "Светоотражающая".encode() in wire
    # A row an earlier release stored with escapes goes out as UTF-8 all the same.
    escaped = row._replace(payload_json=json.dumps({"text": "Светоотражающая разметка"}))
    assert "\\u" in escaped.payload_json
    wire = wire_json(escaped)
    assert b"\\u" not in wire and "Светоотражающая".encode() in wire


def _count_commits(ws: Workstation) -> list[str]:
    commits: list[str] = []

    @event.listens_for(ws.store.engine, "commit")
    def _commit(_conn: Any) -> None:
        commits.append("commit")

    return commits


def test_a_push_commits_twice_per_batch_and_empties_the_outbox(
        workstation: Callable[[str], Workstation]) -> None:
    ws = workstation("ivanov")
    ws.service.file_many([(IDEA, False)] * 125)  # 250 events: batches of 100, 100, 50
    commits = _count_commits(ws)
    report = SyncReport()
    ws.engine.push(report)
    assert report.accepted == 250 and syncio.count(ws.store) == 0
    # Per batch: read + note the attempt, then settle; and one last read finding nothing.
    assert len(commits) == 2 * 3 + 1


class _Down(httpx.BaseTransport):
    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(request.read())
        raise httpx.ReadTimeout("no answer")


def test_an_unanswered_batch_stays_with_its_attempt_noted_and_halves(
        workstation: Callable[[str], Workstation]) -> None:
    ws = workstation("ivanov")
    ws.service.file(IDEA)
    down = _Down()
    engine = SyncEngine(ws.store, SyncClient(SERVER, token="t", transport=down))
    with pytest.raises(SyncUnreachable):
        engine.push(SyncReport())
    assert engine.batch_events == p.CLIENT_PUSH_EVENTS // 2
    with ws.store.session() as s:
        assert list(s.scalars(select(OutboxRow.attempts))) == [1, 1]
    # The body is what PushRequest would say about the same events.
    sent = p.PushRequest.model_validate_json(down.bodies[-1])
    assert [w.to_event() for w in sent.events] == _events(syncio.pending(ws.store, 10))


def _events(events: list[Event]) -> list[Event]:
    return [p.WireEvent.of(e).to_event() for e in events]
