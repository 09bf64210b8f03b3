"""The dashboard's figures, without Qt: read the cards, ask `reports.metrics`, keep what is drawn.

A dashboard over months of cards holds every one of them in memory while `reports.metrics`
works (16.9k cards: ~230 MB and ~20 s here) and, on a thread, takes the interpreter's lock
from the window for up to a second at a time. So above `ISOLATE_OVER` cards it is computed in
a child process (`load_isolated`): the window stays smooth, the memory goes back when it
ends, and closing the window simply ends it. Smaller stores compute in place, which is quicker
than starting an interpreter.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from typing import Any

from forms.card import Card
from forms.config import Config
from forms.store.repo import CardQuery, Store
from reports import metrics

TREND_MONTHS = 6
TOP_PROBLEMS = 5
ISOLATE_OVER = 5_000


@dataclass(frozen=True)
class Problem:
    """A recurring problem as the dashboard lists it (`metrics.Recurrence` without its cards)."""

    count: int
    kind: str
    category: str
    site: str
    location: str


@dataclass(frozen=True)
class Dashboard:
    figures: metrics.PeriodFigures
    months: tuple[str, ...]  # "YYYY-MM", oldest first
    trend: dict[str, dict[str, int]]  # month -> kind -> count
    recurring: list[Problem]
    open_overdue: int | None = None  # open cards overdue, of any filing date


def since(now: datetime, tz: tzinfo, months: int = TREND_MONTHS) -> datetime:
    """The site's midnight (`tz`) starting the first of the last `months` calendar months."""
    local = now.astimezone(tz)
    index = local.year * 12 + local.month - 1 - (months - 1)
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=tz).astimezone(UTC)


def month_of(card: Card, tz: tzinfo) -> str:
    """The site's calendar month ("YYYY-MM") a card was filed in."""
    return card.filed_at.astimezone(tz).strftime("%Y-%m") if card.filed_at else ""


def compute(cards: list[Card], config: Config, now: datetime) -> Dashboard:
    """Everything the dashboard shows, from `reports.metrics` only."""
    zone = config.zone
    months = sorted({month_of(c, zone) for c in cards if c.filed_at})[-TREND_MONTHS:]
    trend = {m: metrics.count_by([c for c in cards if month_of(c, zone) == m], "kind")
             for m in months}
    problems = [Problem(r.count, r.kind, r.category, r.site, r.location)
                for r in metrics.recurring_problems(cards)[:TOP_PROBLEMS]]
    return Dashboard(metrics.summarize(cards, config, now), tuple(months), trend, problems)


def load(store: Store, config: Config, now: datetime) -> Dashboard:
    """The dashboard's cards from the store, and its figures."""
    data = compute(store.list_cards(CardQuery(filed_from=since(now, config.zone))), config,
                   now)
    overdue = metrics.overdue_items(
        store.list_cards(CardQuery(open_only=True, overdue_at=now)), config, now)
    return replace(data, open_overdue=len({i.card.id for i in overdue}))


class Isolated:
    """One dashboard computation, in place or in a child process; `cancel` ends the child.

    The child is a fresh `python -m desktop.dashboard_data`, fed and answered with pickles
    over its pipes: not `multiprocessing`, whose children import the parent's main module
    again (`python -m desktop` would open a second window).
    """

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.cancelled = False

    def run(self, store: Store, config: Config, now: datetime) -> Dashboard:
        if store.count_cards(CardQuery(filed_from=since(now, config.zone))) <= ISOLATE_OVER:
            return load(store, config, now)
        if self.cancelled:
            raise Cancelled
        path = os.pathsep.join(p for p in sys.path if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "desktop.dashboard_data"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": path})
        if self.cancelled:  # cancelled while it started
            self.process.kill()
        answer, _ = self.process.communicate(pickle.dumps((store.url, config, now)))
        if self.cancelled or self.process.returncode != 0 or not answer:
            raise Cancelled
        ok, value = pickle.loads(answer)  # our own child's answer
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        self.cancelled = True
        if self.process is not None and self.process.poll() is None:
            self.process.kill()


class Cancelled(Exception):
    """The computation was ended before it finished (the window is closing)."""


def _child() -> None:
    url, config, now = pickle.load(sys.stdin.buffer)  # from our parent
    try:
        store = Store(url, config, migrate=False)
        try:
            data = load(store, config, now)
        finally:
            store.close()
        # Only what the page draws goes back: not the cards the lists of items refer to.
        f = data.figures
        figures = replace(f, overdue=[], escalated=[],
                          actions=replace(f.actions, late_actions=()))
        answer: tuple[bool, Any] = (True, replace(data, figures=figures))
    except Exception as exc:  # shown in the window like any failed operation
        answer = (False, exc)
    sys.stdout.buffer.write(pickle.dumps(answer))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    # Through the module's own name, so what is pickled back names desktop.dashboard_data's
    # classes, not __main__'s.
    from desktop.dashboard_data import _child as child

    child()
