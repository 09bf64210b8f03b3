"""Who may push which event, judged on the server against the card as the server has it.

staff: file cards, comment on their own, complete actions given to them; supervisors: run the
workflow of cards routed to them or to their escalation chain; auditors: nothing (the whole
push is refused); admins: everything. Returns a reason key, or None when allowed.
"""

from __future__ import annotations

from forms import events as ev
from forms.card import Card
from forms.config import Config
from forms.errors import SafeCardError
from forms.events import Event
from forms.validation import split_source_id, validate_card
from sync.server.auth import Principal

# Workflow events a supervisor makes on a card of their chain.
SUPERVISOR_EVENTS = frozenset({
    ev.FIELD_SET, ev.ROUTED, ev.ASSESSED, ev.VERIFIED, ev.ACTION_ADDED, ev.ACTION_UPDATED,
    ev.COMMENT_ADDED, ev.STATE_CHANGED, ev.ATTACHMENT_ADDED,
})
FILING_ROLES = frozenset({"staff", "supervisor", "admin"})


def refusal(who: Principal, event: Event, card: Card | None) -> str | None:
    if event.type not in ev.EVENT_TYPES:
        return "unknown_type"
    if event.actor != who.user:
        return "actor_mismatch"
    if event.device_id != who.device_id:
        return "device_mismatch"
    if event.type == ev.CARD_FILED:
        return _filing(who, event, card)
    if card is None:
        return "unknown_card"
    if who.role == "admin":
        return None
    if who.role == "supervisor" and who.user in _responsible(card):
        return None if event.type in SUPERVISOR_EVENTS else "forbidden"
    if who.role in ("staff", "supervisor"):
        return _as_reporter_or_owner(who, event, card)
    return "forbidden"


def _filing(who: Principal, event: Event, card: Card | None) -> str | None:
    if who.role not in FILING_ROLES:
        return "forbidden"
    if card is not None:
        return "card_exists"
    if event.payload.get("anonymous"):
        return "anonymous_not_here"  # anonymous cards go through the drop box only
    return None


def _responsible(card: Card) -> set[str]:
    return {u for u in [card.supervisor, *card.chain] if u}


def _as_reporter_or_owner(who: Principal, event: Event, card: Card) -> str | None:
    own_card = card.reporter == who.user and not card.anonymous
    owned_actions = {a.id for a in card.actions.values() if a.owner == who.user}
    if event.type == ev.ROUTED:
        # The filer's own routing of a card just filed (the workstation routes it).
        return None if own_card and card.supervisor is None else "forbidden"
    if event.type in (ev.COMMENT_ADDED, ev.ATTACHMENT_ADDED):
        return None if own_card else "forbidden"
    if event.type == ev.ACTION_UPDATED:
        return None if event.payload.get("action_id") in owned_actions else "forbidden"
    if event.type == ev.STATE_CHANGED:
        # Completing the last open action moves the card on to verification.
        return None if owned_actions and event.payload.get("to") == "verifying" else "forbidden"
    return "forbidden"


def bad_card(event: Event, config: Config) -> str | None:
    """A filing whose fields its kind definition refuses: only a forged or broken client sends
    one (a workstation validates before filing), and it would sit in every store for good."""
    if event.type != ev.CARD_FILED:
        return None
    fields = event.payload.get("fields")
    if not isinstance(fields, dict) or "kind" in fields:
        return "bad_card"
    try:
        validate_card({"kind": event.payload.get("kind"), **fields}, config)
        split_source_id({"source_id": event.payload.get("source_id")})  # one line of text
    except SafeCardError:
        return "bad_card"
    return None
