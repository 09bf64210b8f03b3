"""Figures over a set of cards: pure functions, shared by the PDFs and the dashboard.

Nothing here reads a store or a clock: the caller passes the cards and the moment at which
deadlines are judged, so the same inputs always give the same figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from forms import deadlines
from forms.card import STATES, Card
from forms.config import Config


@dataclass(frozen=True)
class KindStateCounts:
    """Cards counted by kind × state, with the rows and columns a table should show."""

    counts: Mapping[tuple[str, str], int]
    kinds: tuple[str, ...]  # configured kinds first, then any others found, in that order
    states: tuple[str, ...]  # workflow order; "draft" only if some card is one

    def get(self, kind: str, state: str) -> int:
        return self.counts.get((kind, state), 0)

    def kind_total(self, kind: str) -> int:
        return sum(self.get(kind, s) for s in self.states)

    def state_total(self, state: str) -> int:
        return sum(self.get(k, state) for k in self.kinds)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def kind_state_counts(cards: Iterable[Card], config: Config) -> KindStateCounts:
    counts = Counter((c.kind, c.state) for c in cards)
    seen_kinds = {k for k, _ in counts}
    kinds = tuple(config.kinds) + tuple(sorted(seen_kinds - set(config.kinds)))
    seen_states = {s for _, s in counts}
    states = tuple(s for s in STATES if s != "draft" or "draft" in seen_states)
    states += tuple(sorted(seen_states - set(STATES)))
    return KindStateCounts(dict(counts), kinds, states)


def deadline_statuses(card: Card, config: Config,
                      now: datetime) -> list[deadlines.DeadlineStatus]:
    return deadlines.evaluate(card, config, now)


def overdue(statuses: Iterable[deadlines.DeadlineStatus]) -> list[deadlines.DeadlineStatus]:
    return [s for s in statuses if s.overdue]
