"""Card operations as one user at one workstation performs them.

Each operation reads the card, asks `workflow` what events it makes (or why not), stamps
them (UUIDv7 id, HLC time, actor, device sequence) and appends them in one transaction.
It returns a `Changes` value saying what it touched, so a UI refreshes only what cares.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from forms import events as ev
from forms import photos, receipt, workflow
from forms.card import Card
from forms.config import Config
from forms.errors import SafeCardError
from forms.events import Event
from forms.hlc import HybridClock
from forms.ids import uuid7
from forms.routing import route
from forms.store.repo import Part, Store
from forms.validation import split_source_id, validate_card

DEFAULT_ANONYMOUS_DELAY = 900


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Changes:
    """What an operation changed, for views that refresh only what they show."""

    card_ids: tuple[str, ...] = ()
    lists: bool = True
    deadlines: bool = True
    config: bool = False


@dataclass(frozen=True)
class Filed:
    card_id: str
    receipt: str | None = None  # shown once to an anonymous reporter, never stored
    changes: Changes = field(default_factory=Changes)


class CardService:
    def __init__(
        self,
        store: Store,
        config: Config,
        *,
        user: str | None,
        device_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        blobs: Path | None = None,
        queue_for_sync: bool = True,
    ) -> None:
        self.store = store
        self.config = config
        self.user = user
        self.device_id = device_id
        self.clock = clock
        self.blobs = blobs
        # Demo data is made locally and must never reach a server: it is not queued.
        self.queue_for_sync = queue_for_sync
        self._hlc = HybridClock(wall_ms=lambda: int(self.clock().timestamp() * 1000))

    @property
    def role(self) -> str | None:
        known = self.config.users.get(self.user or "")
        return known.role if known else None

    # ---- filing --------------------------------------------------------------------------

    def file(self, data: Any, *, anonymous: bool = False) -> Filed:
        card_id, drafts, code = self._filing(data, anonymous)
        self._append(card_id, drafts, last_hlc=0, anonymous=anonymous)
        return Filed(card_id, code, Changes((card_id,)))

    def file_many(self, items: Sequence[tuple[Any, bool]]) -> list[Filed | SafeCardError]:
        """File many cards (data, anonymous) in ONE transaction — an import's chunk: the
        good ones are stored together or not at all; a bad one is refused alone, its error
        in its place in the answer."""
        outcomes: list[Filed | SafeCardError] = []
        parts: list[Part] = []
        for data, anonymous in items:
            try:
                card_id, drafts, code = self._filing(data, anonymous)
            except SafeCardError as error:
                outcomes.append(error)
                continue
            parts.append(self._part(card_id, drafts, last_hlc=0, anonymous=anonymous))
            outcomes.append(Filed(card_id, code, Changes((card_id,))))
        if parts:
            self.store.append_many(parts, device_id=self.device_id)
        return outcomes

    def _filing(self, data: Any, anonymous: bool) -> tuple[str, list[workflow.Draft],
                                                            str | None]:
        """The card id, the filing's events and the receipt code (anonymous only)."""
        workflow.check_role(None if anonymous else self.role, "file")
        data, source_id = split_source_id(data)
        kind, fields = validate_card(data, self.config)
        if fields.get("photos"):
            if self.blobs is None:
                raise ValueError("a blob folder is needed to attach photos")
            # Scrub every photo before anything is written: a bad one changes nothing.
            scrubbed = [photos.scrub(Path(p)) for p in fields["photos"]]
            fields["photos"] = [photos.store_blob(b, self.blobs) for b in scrubbed]
        card_id = uuid7(int(self.clock().timestamp() * 1000))
        spec = self.config.kinds[kind]
        payload: dict[str, Any] = {"kind": kind, "fields": fields, "anonymous": anonymous,
                                   "sla_profile": spec.sla_profile}
        if source_id is not None:
            payload["source_id"] = source_id
        code = None
        if anonymous:
            code = receipt.new_code()
            payload["receipt_hash"] = receipt.hash_code(code)
            payload["receipt_lookup"] = receipt.lookup_tag(code)
        r = route(kind, fields, self.config)
        drafts: list[workflow.Draft] = [
            (ev.CARD_FILED, payload),
            (ev.ROUTED, {"supervisor": r.supervisor, "chain": list(r.chain), "rule": r.rule_id}),
        ]
        return card_id, drafts, code

    # ---- supervisor's work ---------------------------------------------------------------

    def acknowledge(self, card_id: str) -> Changes:
        return self._operate(card_id, "acknowledge", workflow.acknowledge)

    def assess(self, card_id: str, degree: Any, scale: Any, frequency: Any, compliance: Any,
               note: str = "") -> Changes:
        return self._operate(card_id, "assess", lambda c: workflow.assess(
            c, self.config, degree, scale, frequency, compliance, note))

    def add_action(self, card_id: str, title: str, owner: str, due: str,
                   action_type: str = "corrective") -> tuple[str, Changes]:
        today = self.clock().astimezone(self._tz()).date()
        drafts_seen: list[workflow.Draft] = []

        def plan(card: Card) -> list[workflow.Draft]:
            drafts_seen.extend(workflow.add_action(card, self.config, title, owner, due,
                                                   action_type, today))
            return drafts_seen

        changes = self._operate(card_id, "action", plan)
        action_id = next(p["action_id"] for t, p in drafts_seen if t == ev.ACTION_ADDED)
        return action_id, changes

    def complete_action(self, action_id: str, note: str = "") -> Changes:
        card_id = self.store.action_card(action_id)
        card = self.store.card(card_id)
        action = card.actions.get(action_id)
        # The person an action was given to reports it done, whatever their role.
        operation = "comment" if action and action.owner == self.user else "action"
        return self._operate(card_id, operation,
                             lambda c: workflow.complete_action(c, action_id, note))

    def verify(self, card_id: str, degree: Any, scale: Any, frequency: Any, compliance: Any,
               effective: bool, acceptance: str = "", note: str = "") -> Changes:
        return self._operate(card_id, "verify", lambda c: workflow.verify(
            c, self.config, degree, scale, frequency, compliance, effective, acceptance, note))

    def close(self, card_id: str, resolution: str) -> Changes:
        return self._operate(card_id, "close",
                             lambda c: workflow.close(c, self.config, resolution))

    def reject(self, card_id: str, reason: str) -> Changes:
        return self._operate(card_id, "reject", lambda c: workflow.reject(c, reason))

    def reopen(self, card_id: str, reason: str = "") -> Changes:
        return self._operate(card_id, "reopen", lambda c: workflow.reopen(c, reason))

    def comment(self, card_id: str, text: str, *, question: bool = False) -> Changes:
        return self._operate(card_id, "comment",
                             lambda c: workflow.comment(c, text, question))

    # ---- plumbing ------------------------------------------------------------------------

    def _operate(self, card_id: str, operation: str,
                 plan: Callable[[Card], list[workflow.Draft]]) -> Changes:
        card_id = self.store.resolve_id(card_id)
        workflow.check_role(self.role, operation)
        card, last = self.store.card_and_last_hlc(card_id)
        drafts = plan(card)
        self._append(card_id, drafts, last_hlc=last)
        return Changes((card_id,))

    def _append(self, card_id: str, drafts: list[workflow.Draft], *, last_hlc: int,
                anonymous: bool = False) -> list[Event]:
        part = self._part(card_id, drafts, last_hlc=last_hlc, anonymous=anonymous)
        self.store.append_many([part], device_id=None if anonymous else self.device_id)
        return list(part.events)

    def _part(self, card_id: str, drafts: list[workflow.Draft], *, last_hlc: int,
              anonymous: bool) -> Part:
        """The drafts stamped (id, HLC time, actor, device), with the outbox channel they
        go out by: none for demo data, the drop box after a random delay for anonymous."""
        # Observe the card's own latest event so every new one sorts after it, even when this
        # workstation's clock is behind the one that wrote it.
        self._hlc.observe(last_hlc)
        stamped = [
            Event(id=uuid7(), card_id=card_id, type=t, hlc=self._hlc.now(),
                  actor=None if anonymous else self.user, payload=p,
                  device_id=None if anonymous else self.device_id)
            for t, p in drafts
        ]
        if not self.queue_for_sync:
            return Part(stamped, None)
        if anonymous:
            delay = _anonymous_delay()
            not_before = self.clock() + timedelta(seconds=secrets.randbelow(delay + 1))
            return Part(stamped, "anonymous", not_before)
        return Part(stamped)

    def _tz(self) -> Any:
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.config.sla["calendar"]["timezone"])


def _anonymous_delay() -> int:
    try:
        return max(0, int(os.environ.get("SAFECARD_ANONYMOUS_DELAY", DEFAULT_ANONYMOUS_DELAY)))
    except ValueError:
        return DEFAULT_ANONYMOUS_DELAY
