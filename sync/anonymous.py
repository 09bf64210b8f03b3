"""Sending anonymous cards through the drop box, and following one by its receipt.

Anonymous events wait in the outbox channel "anonymous" with a `not_before` (now + a random
delay ≤ SAFECARD_ANONYMOUS_DELAY, forms/service.py). Once it has passed, each card goes alone
in `POST /api/v1/anonymous/cards` from a client with no token, with its photos' bytes inside
(base64), never in the signed-in push. Its events leave the outbox only when the answer is a
valid `{accepted: true}`; a drop the server refuses as wrong (400/409) is set aside, never
re-sent; an unreachable server or a rate limit leaves it for the next round.
"""

from __future__ import annotations

import base64
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import or_, select

from forms.errors import BadInput, Conflict, SafeCardError
from forms.events import Event
from forms.store import syncio
from forms.store.models import EventRow, OutboxRow
from forms.store.repo import Store, _event
from sync import blobs as b
from sync import errors
from sync import protocol as p
from sync.client import SyncClient


@dataclass
class DropReport:
    sent: int = 0  # cards accepted by the drop box
    waiting: int = 0  # cards whose delay has not passed, or that could not be sent yet
    set_aside: int = 0  # cards the server refused as wrong


def due(store: Store, now: datetime) -> dict[str, list[Event]]:
    """Anonymous events whose delay has passed, by card, in outbox order."""
    cards: dict[str, list[Event]] = defaultdict(list)
    with store.session() as s:
        rows = s.execute(
            select(EventRow).join(OutboxRow, OutboxRow.event_id == EventRow.id)
            .where(OutboxRow.channel == syncio.ANONYMOUS,
                   or_(OutboxRow.not_before.is_(None), OutboxRow.not_before <= now))
            .order_by(OutboxRow.seq)).scalars()
        for row in rows:
            cards[row.card_id].append(_event(row))
    return dict(cards)


def waiting(store: Store) -> int:
    return syncio.count(store, syncio.ANONYMOUS)


def send_due(store: Store, client: SyncClient, now: datetime,
             blobs: Path | None) -> DropReport:
    """Send every card whose time has come, each in its own unsigned request."""
    report = DropReport()
    cards = due(store, now)
    if not cards:
        report.waiting = _cards_waiting(store)
        return report
    with client.unsigned() as drop:
        for card_events in cards.values():
            ids = [e.id for e in card_events]
            try:
                answer = drop.drop_anonymous(_request(card_events, blobs))
            except (BadInput, Conflict) as error:
                if isinstance(error, errors.TooLarge | errors.ProtocolMismatch):
                    break  # a person must act; keep it
                syncio.set_aside(store, ids)
                report.set_aside += 1
                continue
            except SafeCardError:
                break  # unreachable or rate limited: next round
            if answer.accepted is True:
                syncio.confirm(store, ids)
                report.sent += 1
    report.waiting = _cards_waiting(store)
    return report


def _cards_waiting(store: Store) -> int:
    with store.session() as s:
        return len(set(s.scalars(
            select(EventRow.card_id).join(OutboxRow, OutboxRow.event_id == EventRow.id)
            .where(OutboxRow.channel == syncio.ANONYMOUS))))


def _request(card_events: Sequence[Event], blobs: Path | None) -> p.AnonymousCardRequest:
    photos: dict[str, str] = {}
    for name in b.referenced_by(card_events):
        data = _blob(blobs, name) if blobs is not None and b.is_name(name) else None
        if data is not None:
            photos[name] = base64.b64encode(data).decode("ascii")
    return p.AnonymousCardRequest(events=[p.WireEvent.of(e) for e in card_events],
                                  photos=photos)


def _blob(folder: Path, name: str) -> bytes | None:
    try:
        data = (folder / f"{name}.jpg").read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == name else None
