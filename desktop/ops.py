"""Calls into the store, sync and reports run here, off the UI thread (DESIGN.md §9).

`Ops.run(fn, on_done, on_error)` runs `fn` on a worker and calls back on the UI thread. When
the result is a `Changes` (or carries one, like `Filed`), `changed` is emitted first, so every
view that cares refreshes itself; the caller's `on_done` then does what is particular to it.

One worker thread, not a pool: store calls then run in the order they were asked for, so a
list reload asked for after a write always sees that write. Long read-only computations (the
dashboard's figures over months of cards) go to a second thread with `run_read`, so the lists
and every write never queue behind them; they read a committed snapshot (WAL).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from forms.service import Changes

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


def changes_of(result: Any) -> Changes | None:
    """The `Changes` an operation reported, whether returned alone or inside its result."""
    if isinstance(result, Changes):
        return result
    inner = getattr(result, "changes", None)
    if isinstance(inner, Changes):
        return inner
    if isinstance(result, tuple):
        return next((r for r in result if isinstance(r, Changes)), None)
    return None


class _Relay(QObject):
    """Lives on the UI thread; a signal emitted from the worker is therefore queued to it."""

    finished = Signal(int, bool, object)


Explain = Callable[[BaseException], BaseException | None]


class _Job(QRunnable):
    def __init__(self, job_id: int, fn: Callable[[], Any], relay: _Relay,
                 explain: Explain | None) -> None:
        super().__init__()
        self.job_id = job_id
        self.fn = fn
        self.relay = relay
        self.explain = explain

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:
            # On the worker: what explains the failure (a damaged store file) may take a
            # full check of the file.
            better = self.explain(exc) if self.explain is not None else None
            self.relay.finished.emit(self.job_id, False, better or exc)
        else:
            self.relay.finished.emit(self.job_id, True, result)


class Ops(QObject):
    changed = Signal(object)  # Changes: what an operation touched
    failed = Signal(object)  # an exception no caller handled
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, *, explain: Explain | None = None,
                 ) -> None:
        """`explain(exc)` may give a failure a better error to show (or None)."""
        super().__init__(parent)
        self._explain = explain
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._read_pool = QThreadPool(self)
        self._read_pool.setMaxThreadCount(1)
        self._relay = _Relay(self)
        self._relay.finished.connect(self._finish)
        self._callbacks: dict[int, tuple[Done | None, Failed | None]] = {}
        self._ids = itertools.count(1)
        self._closed = False

    @property
    def busy(self) -> bool:
        return bool(self._callbacks)

    def run(self, fn: Callable[[], Any], on_done: Done | None = None,
            on_error: Failed | None = None) -> int:
        """Run `fn()` on the worker; `on_done(result)` or `on_error(exc)` on the UI thread.

        Without `on_error`, a failure is emitted as `failed`, so none goes unseen.
        """
        return self._submit(self._pool, fn, on_done, on_error)

    def run_read(self, fn: Callable[[], Any], on_done: Done | None = None,
                 on_error: Failed | None = None) -> int:
        """Like `run`, for a long computation that only reads, beside the worker."""
        return self._submit(self._read_pool, fn, on_done, on_error)

    def _submit(self, pool: QThreadPool, fn: Callable[[], Any], on_done: Done | None,
                on_error: Failed | None) -> int:
        job_id = next(self._ids)
        if self._closed:  # the window is closing: nothing may start on a closing store
            log.debug("operation %s dropped after shutdown", job_id)
            return job_id
        was_busy = self.busy
        self._callbacks[job_id] = (on_done, on_error)
        pool.start(_Job(job_id, fn, self._relay, self._explain))
        if not was_busy:
            self.busy_changed.emit(True)
        return job_id

    def wait(self, msecs: int = -1) -> bool:
        """Block until both workers are idle (shutdown; tests)."""
        return self._pool.waitForDone(msecs) and self._read_pool.waitForDone(msecs)

    def shutdown(self) -> None:
        """Finish what is running, then drop every callback still queued."""
        self._closed = True
        self._pool.waitForDone()
        self._read_pool.waitForDone()
        self._callbacks.clear()

    @Slot(int, bool, object)
    def _finish(self, job_id: int, ok: bool, result: object) -> None:
        if job_id not in self._callbacks:  # shut down in the meantime
            return
        on_done, on_error = self._callbacks.pop(job_id)
        try:
            if ok:
                changes = changes_of(result)
                if changes is not None:
                    self.changed.emit(changes)
                if on_done is not None:
                    on_done(result)
            elif on_error is not None:
                assert isinstance(result, BaseException)
                on_error(result)
            else:
                log.error("operation failed", exc_info=result)  # type: ignore[arg-type]
                self.failed.emit(result)
        finally:
            if not self.busy:
                self.busy_changed.emit(False)
