"""Workflow rules: which operation is legal in which state, by whom, and which events it makes.

Every function takes the current card and returns the events to append as (type, payload)
pairs, or raises a SafeCardError saying why not. Nothing here touches storage or the clock.

States: draft → filed → assessing → actions → verifying → closed, plus rejected and reopened.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from forms import events as ev
from forms import risk
from forms.card import Card, Rating
from forms.config import Config
from forms.errors import BadInput, Conflict, FieldError, Forbidden, ValidationFailed
from forms.ids import uuid7

Draft = tuple[str, dict[str, Any]]

# Which roles may do what. Staff file and talk about their own cards; supervisors run the
# workflow; auditors only read; admins may do everything.
PERMISSIONS: dict[str, frozenset[str]] = {
    "staff": frozenset({"file", "comment"}),
    "supervisor": frozenset(
        {"file", "comment", "acknowledge", "assess", "action", "verify", "close", "reject",
         "reopen"}
    ),
    "auditor": frozenset(),
    "admin": frozenset(
        {"file", "comment", "acknowledge", "assess", "action", "verify", "close", "reject",
         "reopen", "configure"}
    ),
}

# The states each operation may start from.
ALLOWED_FROM: dict[str, frozenset[str]] = {
    "acknowledge": frozenset({"filed", "reopened"}),
    "assess": frozenset({"filed", "reopened", "assessing", "actions"}),
    "action": frozenset({"filed", "reopened", "assessing", "actions", "verifying"}),
    "verify": frozenset({"assessing", "verifying"}),
    "close": frozenset({"filed", "reopened", "assessing", "actions", "verifying"}),
    "reject": frozenset({"filed", "reopened", "assessing"}),
    "reopen": frozenset({"closed", "rejected"}),
    "comment": frozenset({"filed", "reopened", "assessing", "actions", "verifying", "closed",
                          "rejected"}),
}


def check_role(role: str | None, operation: str) -> None:
    """`role` None means a standalone workstation with no directory entry: all allowed."""
    if role is not None and operation not in PERMISSIONS.get(role, frozenset()):
        raise Forbidden("role_forbidden", role=role, operation=operation)


def check_state(card: Card, operation: str) -> None:
    if card.state not in ALLOWED_FROM[operation]:
        raise Conflict("illegal_transition", operation=operation, state=card.state)


def legal_operations(card: Card, config: Config, role: str | None = None) -> list[str]:
    """What the UI may offer for this card: only legal, permitted operations."""
    kind = config.kind(card.kind)
    result = []
    for operation, states in ALLOWED_FROM.items():
        if card.state not in states:
            continue
        if operation in ("assess", "verify") and not (kind and kind.risk):
            continue
        if role is not None and operation not in PERMISSIONS.get(role, frozenset()):
            continue
        result.append(operation)
    return result


def _move(card: Card, target: str, **extra: Any) -> Draft:
    return (ev.STATE_CHANGED, {"from": card.state, "to": target, **extra})


def _require_risk_kind(card: Card, config: Config) -> None:
    kind = config.kind(card.kind)
    if not (kind and kind.risk):
        raise Conflict("no_risk_for_kind", kind=card.kind)


def _rating_payload(rating: Rating) -> dict[str, Any]:
    return {
        "degree": rating.degree,
        "scale": rating.scale,
        "frequency": rating.frequency,
        "compliance": rating.compliance,
        "severity": rating.severity,
        "likelihood": rating.likelihood,
        "score": rating.score,
        "band": rating.band,
        "note": rating.note,
    }


def acknowledge(card: Card) -> list[Draft]:
    check_state(card, "acknowledge")
    return [_move(card, "assessing")]


def assess(card: Card, config: Config, degree: Any, scale: Any, frequency: Any,
           compliance: Any, note: str = "") -> list[Draft]:
    check_state(card, "assess")
    _require_risk_kind(card, config)
    rating = risk.rate(degree, scale, frequency, compliance, config, note=note)
    drafts: list[Draft] = []
    if card.state in ("filed", "reopened"):
        drafts.append(_move(card, "assessing"))
    drafts.append((ev.ASSESSED, _rating_payload(rating)))
    return drafts


def add_action(card: Card, config: Config, title: str, owner: str, due: str,
               action_type: str = "corrective", today: date | None = None) -> list[Draft]:
    check_state(card, "action")
    kind = config.kind(card.kind)
    if kind and kind.risk and card.risk_initial is None:
        raise Conflict("assess_first")
    errors = []
    title = (title or "").strip()
    if not title:
        errors.append(FieldError("title", "required"))
    elif len(title) > 200:
        errors.append(FieldError("title", "too_long", {"max": 200, "length": len(title)}))
    if config.users and owner not in config.users:
        errors.append(FieldError("owner", "unknown_user", {"value": owner}))
    try:
        due_date = date.fromisoformat(due)
        if today is not None and due_date < today:
            errors.append(FieldError("due", "date_in_past", {"value": due}))
    except (TypeError, ValueError):
        errors.append(FieldError("due", "not_date", {"value": due}))
    types = config.lists.get("action_types", ["immediate", "corrective", "preventive"])
    if action_type not in types:
        errors.append(FieldError("type", "not_one_of",
                                 {"allowed": list(types), "list": "action_types"}))
    if errors:
        raise ValidationFailed(errors)
    drafts: list[Draft] = []
    if card.state != "actions":
        drafts.append(_move(card, "actions"))
    payload = {"action_id": uuid7(), "title": title, "owner": owner, "due": due,
               "type": action_type}
    drafts.append((ev.ACTION_ADDED, payload))
    return drafts


def complete_action(card: Card, action_id: str, note: str = "") -> list[Draft]:
    action = card.actions.get(action_id)
    if action is None:
        raise BadInput("unknown_action", id=action_id)
    if action.status != "open":
        raise Conflict("action_not_open", id=action_id, status=action.status)
    drafts: list[Draft] = [(ev.ACTION_UPDATED, {"action_id": action_id, "status": "done",
                                                "note": note.strip()})]
    still_open = [a for a in card.open_actions() if a.id != action_id]
    if not still_open and card.state == "actions":
        drafts.append(_move(card, "verifying"))
    return drafts


def verify(card: Card, config: Config, degree: Any, scale: Any, frequency: Any,
           compliance: Any, effective: bool, acceptance: str = "", note: str = "") -> list[Draft]:
    check_state(card, "verify")
    _require_risk_kind(card, config)
    if card.risk_initial is None:
        raise Conflict("assess_first")
    if card.open_actions():
        raise Conflict("open_actions", count=len(card.open_actions()))
    rating = risk.rate(degree, scale, frequency, compliance, config, note=note)
    drafts: list[Draft] = []
    if card.state != "verifying":
        drafts.append(_move(card, "verifying"))
    payload = _rating_payload(rating) | {"effective": bool(effective),
                                         "acceptance": acceptance.strip()}
    drafts.append((ev.VERIFIED, payload))
    return drafts


def close(card: Card, config: Config, resolution: str) -> list[Draft]:
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationFailed([FieldError("resolution", "required")])
    check_state(card, "close")
    if card.open_actions():
        raise Conflict("open_actions", count=len(card.open_actions()))
    kind = config.kind(card.kind)
    if kind and kind.risk:
        if card.risk_residual is None:
            raise Conflict("verify_first")
        blocked = config.risk.get("close_blocked_from_band", "high")
        too_high = risk.band_rank(card.risk_residual.band, config) >= risk.band_rank(blocked,
                                                                                      config)
        if (too_high or card.effective is False) and not card.risk_acceptance:
            raise Conflict("residual_risk_high", band=card.risk_residual.band)
    return [_move(card, "closed", resolution=resolution)]


def reject(card: Card, reason: str) -> list[Draft]:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed([FieldError("reason", "required")])
    check_state(card, "reject")
    return [_move(card, "rejected", reason=reason)]


def reopen(card: Card, reason: str = "") -> list[Draft]:
    check_state(card, "reopen")
    return [_move(card, "reopened", reason=(reason or "").strip())]


def comment(card: Card, text: str, question: bool = False) -> list[Draft]:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed([FieldError("text", "required")])
    check_state(card, "comment")
    return [(ev.COMMENT_ADDED, {"comment_id": uuid7(), "text": text, "question": question})]
