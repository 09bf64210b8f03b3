"""Card <-> plain JSON-able dict, for the projection's `data` column and for caches."""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass
from datetime import datetime
from functools import cache
from typing import Any

from forms.card import Action, Card, Comment, Conflict, HistoryEntry, Rating

_DATETIME_FIELDS = {
    "filed_at", "acknowledged_at", "assessed_at", "verified_at", "closed_at", "reopened_at",
    "updated_at", "at", "added_at", "done_at",
}


# Most of a card is strings, numbers and None: they are returned before anything else is
# asked of them (this runs for every value of every card the projection writes).
_SCALARS = frozenset({str, int, float, bool, type(None)})


def to_plain(value: Any) -> Any:
    if type(value) in _SCALARS:
        return value
    names = _field_names(type(value))
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    return value if type(value) in _SCALARS else to_plain(value)


@cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    """The fields of a dataclass type, in order; None for any other type."""
    return tuple(f.name for f in fields(cls)) if is_dataclass(cls) else None


def _dates(data: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (datetime.fromisoformat(v) if k in _DATETIME_FIELDS and isinstance(v, str) else v)
        for k, v in data.items()
    }


def card_to_dict(card: Card) -> dict[str, Any]:
    return to_plain(card)


def card_to_json(card: Card) -> str:
    """The store's JSON text of `card_to_dict(card)` (UTF-8, as `db.json_text` writes it), made
    by the C encoder in one pass (the store writes one per card it projects: 100k on an import)."""
    return _ENCODE(card)


def _encode_default(value: Any) -> Any:
    names = _field_names(type(value))
    if names is not None:
        return {name: getattr(value, name) for name in names}
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_ENCODE = json.JSONEncoder(default=_encode_default, ensure_ascii=False).encode


def card_from_dict(data: dict[str, Any]) -> Card:
    d = _dates(data)
    d["risk_initial"] = Rating(**_dates(d["risk_initial"])) if d.get("risk_initial") else None
    d["risk_residual"] = Rating(**_dates(d["risk_residual"])) if d.get("risk_residual") else None
    d["actions"] = {k: Action(**_dates(v)) for k, v in d.get("actions", {}).items()}
    d["comments"] = [Comment(**_dates(c)) for c in d.get("comments", [])]
    d["history"] = [HistoryEntry(**_dates(h)) for h in d.get("history", [])]
    d["conflicts"] = [Conflict(**_dates(c)) for c in d.get("conflicts", [])]
    return Card(**d)
