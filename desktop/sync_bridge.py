"""The desktop's background sync (DESIGN.md §7, §9): sign in and out and the engine come from
`sync.workstation`, the same calls the command line makes; this module only schedules rounds
and says how things stand.

Rounds run on a worker of their own, not on the window's store worker (`MainWindow.ops`): a
round waits on the network (up to the client's 30 s timeout, longer for a slow upload), and
list loads, filing and card views queued behind it would freeze that long. The store is safe
to share between the two threads (SQLite in WAL mode, Store's write lock), and the engine is
only ever touched from the sync worker. Sign-in and sign-out run on the same worker, so they
never overlap a round.

When a round runs: every `INTERVAL_MS` while signed in, `DEBOUNCE_MS` after a local change
(`local_change`), and at once on F5 (`sync_now`). Never two at once: a round asked for while
one runs is run right after it. After a failure the next round waits with exponential backoff
and jitter (2 s … 5 min, the engine's own constants), and a local change does not shorten that
wait. A failure a person must act on (401 signed out, 403, 413, 426: `sync.errors.FATAL`)
stops the background rounds until they sign in again or press F5.

A workstation with no server set (or without the `sync` package) works standalone: nothing is
scheduled. `sync` is imported lazily, so a Qt install without it still starts.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.ops import Ops
from forms.display import Display
from forms.errors import SafeCardError, Unreachable
from forms.home import Home
from forms.i18n import tr
from forms.store import integrity
from forms.store.repo import Store

if TYPE_CHECKING:
    import httpx

    from sync.engine import SyncEngine, SyncReport

INTERVAL_MS = 30_000
DEBOUNCE_MS = 3_000
FIRST_BACKOFF = 2.0
MAX_BACKOFF = 300.0


def sync_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("sync.engine") is not None


@dataclass(frozen=True)
class SyncView:
    """How sync stands, for the status bar and Settings/Sync."""

    state: str  # "standalone", "idle" (signed in, no round yet), "synced", "offline",
    #             "error", "stopped" (a person must act), "signed_out"
    waiting: int = 0  # events of this workstation not confirmed by the server yet
    set_aside: int = 0  # refused by the server, kept here with their reasons
    reasons: dict[str, str] = field(default_factory=dict)  # event id → reason code
    last_sync: datetime | None = None
    error: SafeCardError | None = None
    server: str = ""

    @property
    def sign_in_again(self) -> bool:
        """The error is one that signing in again mends (401: signed out, bad password)."""
        from sync.errors import SignedOut

        return self.state in ("stopped", "signed_out") and isinstance(self.error, SignedOut)


@dataclass(frozen=True)
class Round:
    report: SyncReport | None
    view: SyncView
    explicit: bool


def backoff_seconds(failures: int, rng: float | None = None) -> float:
    """2, 4, 8 … s up to 5 min, each × 0.5–1 (as sync.engine.SyncEngine.next_delay)."""
    ceiling = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** max(0, failures - 1))
    return ceiling * (0.5 + (random.random() if rng is None else rng) / 2)


def reason_counts(reasons: dict[str, str]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for reason in reasons.values():
        counts[reason or "unknown"] = counts.get(reason or "unknown", 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def reason_label(reason: str) -> str:
    label = tr(f"sync.reason.{reason}")
    return reason if label == f"sync.reason.{reason}" else label


def status_text(view: SyncView, fmt: Display) -> str:
    """One line: «Синхронизировано в 14:32», «Нет связи с сервером — …: N», «Ошибка: …»."""
    if view.state == "standalone":
        return ""
    if view.state == "offline":
        return tr("ui.sync.offline_waiting", count=view.waiting) if view.waiting \
            else tr("ui.sync.offline")
    if view.state in ("error", "stopped", "signed_out") and view.error is not None:
        return tr("ui.sync.error", error=what_happened(view.error, fmt))
    if view.state == "synced" and view.last_sync is not None:
        text = tr("ui.sync.synced_at", at=fmt.recent(view.last_sync))
        return f"{text} {tr('ui.sync.waiting_more', count=view.waiting)}" if view.waiting \
            else text
    if view.last_sync is not None:
        return tr("ui.sync.last_at", at=fmt.recent(view.last_sync))
    return tr("ui.sync.not_yet")


def what_happened(error: SafeCardError, fmt: Display) -> str:
    """The error's plain words without the command-line advice of its `.fix` text."""
    text = fmt.what(error)
    return text[:1].upper() + text[1:]


def advice(view: SyncView) -> str:
    """What to check or do now, in the desktop's words (DOMAIN.md §4)."""
    if view.error is None:
        return ""
    if view.state == "offline":
        return tr("ui.sync.advice_offline")
    if view.sign_in_again:
        return tr("ui.sync.advice_sign_in")
    if view.state == "stopped":
        return tr("ui.sync.advice_admin")
    return tr("ui.sync.advice_retry")


def _local_view(store: Store, state: str, error: SafeCardError | None, server: str,
                engine: SyncEngine | None = None) -> SyncView:
    """The view from the store (and the engine, when there is one): run on the sync worker."""
    from forms.store import syncio
    from sync.engine import LAST_SYNC_KEY, REJECTED_KEY

    if engine is not None:
        status = engine.status()
        waiting, set_aside, last_sync = status.waiting, status.set_aside, status.last_sync
    else:
        waiting = syncio.count(store)
        set_aside = syncio.count(store, syncio.SET_ASIDE)
        last = store.get_meta(LAST_SYNC_KEY)
        last_sync = datetime.fromisoformat(last) if last else None
    try:
        reasons = json.loads(store.get_meta(REJECTED_KEY) or "{}")
    except ValueError:
        reasons = {}
    return SyncView(state, waiting, set_aside, reasons if isinstance(reasons, dict) else {},
                    last_sync, error, server)


class SyncBridge(QObject):
    status_changed = Signal(object)  # SyncView
    round_done = Signal(object)  # SyncReport of a good round
    failed = Signal(object)  # the error of a round the user asked for (F5)

    def __init__(self, home: Home, store: Store, *,
                 transport: httpx.BaseTransport | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.home = home
        self.store = store
        self.transport = transport  # tests: the server app in-process
        self.interval_ms = INTERVAL_MS
        self.debounce_ms = DEBOUNCE_MS
        # One thread: rounds, sign-in and sign-out in order.
        self.worker = Ops(self, explain=lambda exc: integrity.explain(exc, home.store_path))
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(lambda: self.start_round(explicit=False))
        self.view = SyncView("standalone")
        self.failures = 0
        self.stopped = False
        self.running = False
        self.rounds = 0  # finished rounds (tests wait on it)
        self._again: bool | None = None  # a round asked for while one ran (explicit?)
        self._engine: SyncEngine | None = None
        self._closed = False

    # ---- what is set -------------------------------------------------------------------------

    def server(self) -> str:
        return str(self.home.settings().get("server") or "")

    def configured(self) -> bool:
        settings = self.home.settings()
        return bool(settings.get("server") and settings.get("user")) and sync_available()

    # ---- scheduling --------------------------------------------------------------------------

    def start(self) -> None:
        """At start-up: show what the store knows, then sync soon when signed in."""
        if not self.configured():
            return
        self._show_local()
        self.schedule(0)

    def schedule(self, msecs: int, *, force: bool = False) -> None:
        """The next background round in `msecs` at the latest (a sooner one is kept, unless
        `force`: a backoff wait replaces whatever was planned)."""
        if self._closed or self.stopped or not self.configured():
            return
        if not force and self.timer.isActive() and self.timer.remainingTime() <= msecs:
            return
        self.timer.start(max(0, msecs))

    def local_change(self) -> None:
        """Something was written here: send it soon, unless the server is being waited out."""
        if self.running:  # sent by the round after this one, unless this one fails
            self._again = bool(self._again)
        elif self.failures == 0:
            self.schedule(self.debounce_ms)

    def sync_now(self) -> None:
        """F5: a round at once, even after a stop; its error is shown (`failed`)."""
        self.stopped = False
        self.start_round(explicit=True)

    def start_round(self, *, explicit: bool) -> None:
        if self._closed or not self.configured():
            return
        if self.running:
            self._again = bool(self._again) or explicit
            return
        self.timer.stop()
        self.running = True
        self.worker.run(self._round_work(explicit), self._round_done, self._round_crashed)

    def _round_work(self, explicit: bool) -> Any:
        """What runs on the worker: one round, and the view after it. Never raises a
        SafeCardError: a failed round is a view too."""
        home, store, transport, server = self.home, self.store, self.transport, self.server()

        def work() -> Round:
            from sync import errors
            from sync.workstation import engine_for

            engine = self._engine
            try:
                if engine is None:
                    engine = self._engine = engine_for(home, store, transport=transport)
                report = engine.sync_once()
            except SafeCardError as error:
                if isinstance(error, errors.FATAL):
                    state = "stopped"
                elif isinstance(error, Unreachable):
                    state = "offline"
                else:
                    state = "error"
                return Round(None, _local_view(store, state, error, server, engine), explicit)
            return Round(report, _local_view(store, "synced", None, server, engine), explicit)

        return work

    def _round_done(self, result: Round) -> None:
        from sync import errors

        self.running = False
        self.rounds += 1
        error = result.view.error
        if error is None:
            self.failures = 0
        elif isinstance(error, errors.FATAL):
            self.stopped = True
        else:
            self.failures += 1
        self._show(result.view)
        if result.report is not None:
            self.round_done.emit(result.report)
        if error is not None and result.explicit:
            self.failed.emit(error)
        again, self._again = self._again, None
        if again is not None and (again or error is None):
            self.start_round(explicit=again)
        elif error is None:
            self.schedule(self.interval_ms)
        elif not self.stopped:
            self.schedule(int(backoff_seconds(self.failures) * 1000), force=True)

    def _round_crashed(self, exc: BaseException) -> None:
        """Not a sync failure but a bug or a disk error: shown, then retried with backoff."""
        self.running = False
        self.rounds += 1
        self.failures += 1
        self.failed.emit(exc)
        self.schedule(int(backoff_seconds(self.failures) * 1000), force=True)

    def _show(self, view: SyncView) -> None:
        self.view = view
        self.status_changed.emit(view)

    def _show_local(self) -> None:
        """New counts from the store; the state stays the last round's (read on arrival, so
        a round that ended meanwhile is not overwritten)."""
        store, server, engine = self.store, self.server(), self._engine

        def merge(counted: SyncView) -> None:
            state = "idle" if self.view.state == "standalone" else self.view.state
            self._show(replace(self.view, state=state, waiting=counted.waiting,
                               set_aside=counted.set_aside, reasons=counted.reasons,
                               last_sync=counted.last_sync, server=server))

        self.worker.run(lambda: _local_view(store, "idle", None, server, engine), merge,
                        lambda _exc: None)

    def refresh(self) -> None:
        """Show the counts again (after a local change), keeping the last round's state."""
        if self.configured():
            self._show_local()

    # ---- signing in and out ------------------------------------------------------------------

    def sign_in(self, server: str, user: str, password: str, on_done: Any,
                on_error: Any) -> None:
        """Log in on the sync worker; then a round at once."""
        from forms.errors import BadInput

        home, store, transport = self.home, self.store, self.transport
        if not user:
            on_error(BadInput("sync_no_user"))
            return

        def work() -> Any:
            from sync.workstation import sign_in

            answer = sign_in(home, store, server, user, password, transport=transport)
            self._drop_engine()
            return answer

        def done(answer: Any) -> None:
            self.stopped = False
            self.failures = 0
            self.view = SyncView("idle", server=self.server())
            on_done(answer)
            self.start_round(explicit=False)

        self.worker.run(work, done, on_error)

    def sign_out(self, on_done: Any, on_error: Any) -> None:
        home = self.home

        def work() -> None:
            from sync.credentials import Credentials

            self._drop_engine()
            settings = home.settings()
            if settings.get("server") and settings.get("user"):
                Credentials(home.path, home.credential_scope).forget(settings["server"],
                                                                     settings["user"])

        def done(result: Any) -> None:
            from sync.errors import SignedOut

            self.timer.stop()
            self.stopped = True
            self._show(SyncView("signed_out", self.view.waiting, self.view.set_aside,
                                self.view.reasons, self.view.last_sync,
                                SignedOut("sync_signed_out", server=self.server()),
                                self.server()))
            on_done(result)

        self.worker.run(work, done, on_error)

    def settings_changed(self) -> None:
        """Another server or user was saved: a new engine for them, and a round soon."""
        self.worker.run(self._drop_engine, lambda _r: None, lambda _exc: None)
        self.stopped = False
        self.failures = 0
        if self.configured():
            self.view = replace(self.view, state="idle", error=None, server=self.server())
            self.schedule(0, force=True)
        else:
            self.timer.stop()
            self._show(SyncView("standalone"))

    def _drop_engine(self) -> None:
        """On the worker: forget the engine (its token may be stale)."""
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.client.close()

    def shutdown(self) -> None:
        """Stop scheduling, let a running round finish, close the connection."""
        self._closed = True
        self.timer.stop()
        self.worker.shutdown()
        self._drop_engine()
