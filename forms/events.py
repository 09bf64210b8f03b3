"""Events: the immutable facts a card is folded from (DESIGN.md §3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from forms import hlc as hlc_mod

CARD_FILED = "card.filed"
FIELD_SET = "field.set"
ROUTED = "routed"
ASSESSED = "assessed"
VERIFIED = "verified"
ACTION_ADDED = "action.added"
ACTION_UPDATED = "action.updated"
COMMENT_ADDED = "comment.added"
STATE_CHANGED = "state.changed"
ATTACHMENT_ADDED = "attachment.added"

EVENT_TYPES = frozenset(
    {
        CARD_FILED,
        FIELD_SET,
        ROUTED,
        ASSESSED,
        VERIFIED,
        ACTION_ADDED,
        ACTION_UPDATED,
        COMMENT_ADDED,
        STATE_CHANGED,
        ATTACHMENT_ADDED,
    }
)


@dataclass(frozen=True)
class Event:
    id: str
    card_id: str
    type: str
    hlc: int
    actor: str | None
    payload: dict[str, Any] = field(default_factory=dict)
    device_id: str | None = None
    device_seq: int | None = None

    @property
    def at(self) -> datetime:
        return hlc_mod.to_datetime(self.hlc)

    @property
    def sort_key(self) -> tuple[int, str]:
        return (self.hlc, self.id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "card_id": self.card_id,
            "type": self.type,
            "hlc": self.hlc,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "payload": self.payload,
            "device_id": self.device_id,
            "device_seq": self.device_seq,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        return cls(
            id=data["id"],
            card_id=data["card_id"],
            type=data["type"],
            hlc=int(data["hlc"]),
            actor=data.get("actor"),
            payload=dict(data.get("payload") or {}),
            device_id=data.get("device_id"),
            device_seq=data.get("device_seq"),
        )
