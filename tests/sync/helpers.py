"""Building events by hand, as a workstation (honest or not) would send them."""

from __future__ import annotations

from typing import Any

from forms.events import Event
from forms.hlc import HybridClock
from forms.ids import uuid7
from forms.workflow import Draft

_clock = HybridClock()


def stamp(drafts: list[Draft], card_id: str, actor: str | None, device: str | None,
          hlc: int | None = None) -> list[Event]:
    return [Event(id=uuid7(), card_id=card_id, type=t, hlc=hlc or _clock.now(), actor=actor,
                  payload=p, device_id=device) for t, p in drafts]


def one(type_: str, payload: dict[str, Any], card_id: str, actor: str | None,
        device: str | None) -> Event:
    return stamp([(type_, payload)], card_id, actor, device)[0]
