"""The folded card: what a card is after its events are applied (see fold.py).

Plain dataclasses with no behaviour beyond serialisation, so every layer (store, reports,
desktop, sync) can read them without knowing how they were built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NewType

CardId = NewType("CardId", str)
ActionId = NewType("ActionId", str)
UserId = NewType("UserId", str)

STATES = ("draft", "filed", "assessing", "actions", "verifying", "closed", "rejected", "reopened")
OPEN_STATES = frozenset({"filed", "assessing", "actions", "verifying", "reopened"})


@dataclass
class Rating:
    """One risk assessment: the four aspects and what the matrix made of them."""

    degree: int
    scale: int
    frequency: int
    compliance: str  # "ok" | "breach"
    severity: int
    likelihood: int
    score: int
    band: str
    note: str = ""
    at: datetime | None = None
    by: str | None = None


@dataclass
class Action:
    id: str
    title: str
    owner: str
    due: str  # ISO date, end of that working day is the deadline
    type: str = "corrective"  # immediate | corrective | preventive
    status: str = "open"  # open | done | cancelled
    note: str = ""
    added_at: datetime | None = None
    added_by: str | None = None
    done_at: datetime | None = None


@dataclass
class Comment:
    id: str
    text: str
    at: datetime
    actor: str | None
    question: bool = False  # a question to the reporter


@dataclass
class HistoryEntry:
    event_id: str
    type: str
    at: datetime
    actor: str | None
    payload: dict[str, Any]


@dataclass
class Conflict:
    """A concurrent state change that lost to another one (shown on the card)."""

    event_id: str
    at: datetime
    actor: str | None
    wanted: str  # the state it tried to set
    kept: str  # the state the card had instead


@dataclass
class Card:
    id: str
    kind: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    state: str = "draft"
    anonymous: bool = False
    reporter: str | None = None
    supervisor: str | None = None
    chain: list[str] = field(default_factory=list)
    routing_rule: str | None = None
    sla_profile: str | None = None
    filed_at: datetime | None = None
    acknowledged_at: datetime | None = None
    assessed_at: datetime | None = None
    verified_at: datetime | None = None
    closed_at: datetime | None = None  # closed or rejected; cleared on reopen
    reopened_at: datetime | None = None
    updated_at: datetime | None = None
    risk_initial: Rating | None = None
    risk_residual: Rating | None = None
    effective: bool | None = None
    risk_acceptance: str | None = None
    resolution: str | None = None
    reject_reason: str | None = None
    reopen_count: int = 0
    source_id: str | None = None  # the sender's own id of the card (card JSON `source_id`)
    actions: dict[str, Action] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(self.fields.get("title", ""))

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def risk_band(self) -> str | None:
        """The band that matters now: residual once verified, else the initial one."""
        rating = self.risk_residual or self.risk_initial
        return rating.band if rating else None

    def open_actions(self) -> list[Action]:
        return [a for a in self.actions.values() if a.status == "open"]
