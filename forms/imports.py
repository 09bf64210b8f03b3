"""Imports that can be run again (issue 15, point 8): each card carries an identity.

A card JSON line's identity is its `source_id` when it has one (the sender's own id of the
card: a paper form's number, a row of another system), else `sha256:` and the SHA-256 of
the line's JSON in canonical form (keys sorted, no spaces), so that re-saving the file with
other spacing, key order or line endings keeps each line's identity. The identity is stored
with the card (the `source_id` of its card.filed event, so it travels with the card and
survives a rebuild); a line whose identity is already filed — in this store, by an earlier
run, another workstation whose cards were pulled, or an earlier line of this run — is
skipped, never filed twice. A run killed mid-way (each chunk is one transaction) is
therefore finished by running it again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from forms import events as ev
from forms.store.models import EventRow
from forms.store.repo import Store
from forms.validation import split_source_id


def identity(data: Any) -> str:
    """The line's `source_id`, else the hash of its canonical JSON (ValidationFailed for a
    `source_id` that is not one line of text)."""
    _rest, source_id = split_source_id(data)
    if source_id is not None:
        return source_id
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def filed_sources(store: Store) -> dict[str, str]:
    """source_id → card id of every card in the store that was filed with one. One pass
    over the log (about 0.1 s at 100k cards, docs/decisions.md), once per import."""
    source = EventRow.payload["source_id"].as_string()
    with store.session() as s:
        rows = s.execute(select(source, EventRow.card_id).where(
            EventRow.type == ev.CARD_FILED, source.is_not(None)))
        return {str(source_id): card_id for source_id, card_id in rows}


@dataclass
class ImportRun:
    """Which identities are filed: those in the store when the run began, and its own."""

    filed: dict[str, str] = field(default_factory=dict)  # identity → card id

    @classmethod
    def of(cls, store: Store) -> ImportRun:
        return cls(filed_sources(store))

    def card_of(self, key: str) -> str | None:
        return self.filed.get(key)

    def add(self, key: str, card_id: str) -> None:
        self.filed.setdefault(key, card_id)
