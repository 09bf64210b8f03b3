"""Card <-> plain JSON-able dict, for the projection's `data` column and for caches."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any

from forms.card import Action, Card, Comment, Conflict, HistoryEntry, Rating

_DATETIME_FIELDS = {
    "filed_at", "acknowledged_at", "assessed_at", "verified_at", "closed_at", "reopened_at",
    "updated_at", "at", "added_at", "done_at",
}


def to_plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value


def _dates(data: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (datetime.fromisoformat(v) if k in _DATETIME_FIELDS and isinstance(v, str) else v)
        for k, v in data.items()
    }


def card_to_dict(card: Card) -> dict[str, Any]:
    return to_plain(card)


def card_from_dict(data: dict[str, Any]) -> Card:
    d = _dates(data)
    d["risk_initial"] = Rating(**_dates(d["risk_initial"])) if d.get("risk_initial") else None
    d["risk_residual"] = Rating(**_dates(d["risk_residual"])) if d.get("risk_residual") else None
    d["actions"] = {k: Action(**_dates(v)) for k, v in d.get("actions", {}).items()}
    d["comments"] = [Comment(**_dates(c)) for c in d.get("comments", [])]
    d["history"] = [HistoryEntry(**_dates(h)) for h in d.get("history", [])]
    d["conflicts"] = [Conflict(**_dates(c)) for c in d.get("conflicts", [])]
    return Card(**d)
