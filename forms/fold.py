"""The fold: a card is what its events say, applied in (HLC, id) order.

Deterministic by construction: the same set of events gives the same card whatever order
they arrived in. Fields are last-writer-wins; actions and comments are their own entities,
so concurrent additions never collide. A state change names the state it expects to leave
(`from`); if the card is elsewhere by then, a concurrent change won and this one is kept
as a conflict note on the card instead of being dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from forms import events as ev
from forms.card import Action, Card, Comment, Conflict, HistoryEntry, Rating
from forms.events import Event

# Events by someone other than the reporter that count as the first response.
_RESPONSES = frozenset({ev.STATE_CHANGED, ev.ASSESSED, ev.ACTION_ADDED, ev.COMMENT_ADDED})


def fold(events: Iterable[Event], card_id: str | None = None) -> Card:
    ordered = sorted(events, key=lambda e: e.sort_key)
    card = Card(id=card_id or (ordered[0].card_id if ordered else ""))
    for event in ordered:
        apply(card, event)
    return card


def apply(card: Card, event: Event) -> None:
    """Apply one event that sorts after every event already applied."""
    at = event.at
    handler = _HANDLERS.get(event.type)
    if handler is not None:
        handler(card, event)
    if (
        event.type in _RESPONSES
        and card.acknowledged_at is None
        and event.actor is not None
        and event.actor != card.reporter
    ):
        card.acknowledged_at = at
    card.history.append(
        HistoryEntry(
            event_id=event.id, type=event.type, at=at, actor=event.actor, payload=event.payload
        )
    )
    card.updated_at = at


def _filed(card: Card, e: Event) -> None:
    p = e.payload
    if card.filed_at is not None:  # a second filing of the same id changes nothing
        return
    card.kind = p["kind"]
    card.fields = {**card.fields, **p.get("fields", {})}
    card.anonymous = bool(p.get("anonymous", False))
    card.reporter = None if card.anonymous else e.actor
    card.sla_profile = p.get("sla_profile")
    card.source_id = p.get("source_id")
    card.filed_at = e.at
    if card.state == "draft":
        card.state = "filed"


def _field_set(card: Card, e: Event) -> None:
    card.fields[e.payload["field"]] = e.payload.get("value")


def _routed(card: Card, e: Event) -> None:
    card.supervisor = e.payload.get("supervisor")
    card.chain = list(e.payload.get("chain", []))
    card.routing_rule = e.payload.get("rule")


def _rating(e: Event) -> Rating:
    p = e.payload
    return Rating(
        degree=p["degree"],
        scale=p["scale"],
        frequency=p["frequency"],
        compliance=p["compliance"],
        severity=p["severity"],
        likelihood=p["likelihood"],
        score=p["score"],
        band=p["band"],
        note=p.get("note", ""),
        at=e.at,
        by=e.actor,
    )


def _assessed(card: Card, e: Event) -> None:
    card.risk_initial = _rating(e)
    if card.assessed_at is None:
        card.assessed_at = e.at


def _verified(card: Card, e: Event) -> None:
    card.risk_residual = _rating(e)
    card.effective = bool(e.payload.get("effective"))
    card.risk_acceptance = e.payload.get("acceptance") or None
    card.verified_at = e.at


def _action_added(card: Card, e: Event) -> None:
    p = e.payload
    card.actions.setdefault(
        p["action_id"],
        Action(
            id=p["action_id"],
            title=p["title"],
            owner=p["owner"],
            due=p["due"],
            type=p.get("type", "corrective"),
            added_at=e.at,
            added_by=e.actor,
        ),
    )


def _action_updated(card: Card, e: Event) -> None:
    p = e.payload
    action = card.actions.get(p["action_id"])
    if action is None:
        return
    for name in ("title", "owner", "due", "type", "note"):
        if name in p:
            setattr(action, name, p[name])
    if "status" in p:
        action.status = p["status"]
        action.done_at = e.at if p["status"] == "done" else None


def _comment(card: Card, e: Event) -> None:
    p = e.payload
    card.comments.append(
        Comment(
            id=p.get("comment_id", e.id),
            text=p["text"],
            at=e.at,
            actor=e.actor,
            question=bool(p.get("question", False)),
        )
    )


def _attachment(card: Card, e: Event) -> None:
    photos = list(card.fields.get("photos") or [])
    if e.payload["sha256"] not in photos:
        photos.append(e.payload["sha256"])
    card.fields["photos"] = photos


def _state_changed(card: Card, e: Event) -> None:
    p = e.payload
    expected, target = p.get("from"), p["to"]
    if expected is not None and expected != card.state:
        card.conflicts.append(
            Conflict(event_id=e.id, at=e.at, actor=e.actor, wanted=target, kept=card.state)
        )
        return
    card.state = target
    if target in ("closed", "rejected"):
        card.closed_at = e.at
        if target == "closed":
            card.resolution = p.get("resolution")
        else:
            card.reject_reason = p.get("reason")
    elif target == "reopened":
        card.reopened_at = e.at
        card.closed_at = None
        card.resolution = None
        # The fix did not hold: what was verified no longer stands and must be checked again.
        card.risk_residual = None
        card.verified_at = None
        card.effective = None
        card.risk_acceptance = None
        card.reopen_count += 1


_HANDLERS: dict[str, Callable[[Card, Event], None]] = {
    ev.CARD_FILED: _filed,
    ev.FIELD_SET: _field_set,
    ev.ROUTED: _routed,
    ev.ASSESSED: _assessed,
    ev.VERIFIED: _verified,
    ev.ACTION_ADDED: _action_added,
    ev.ACTION_UPDATED: _action_updated,
    ev.COMMENT_ADDED: _comment,
    ev.ATTACHMENT_ADDED: _attachment,
    ev.STATE_CHANGED: _state_changed,
}
