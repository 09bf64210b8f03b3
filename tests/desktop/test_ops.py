"""Ops: work runs off the UI thread, and its result comes back on it."""

from __future__ import annotations

import threading

import pytest

from desktop.ops import Ops
from forms.errors import Damaged
from forms.service import Changes, Filed

pytestmark = pytest.mark.desktop


def test_work_runs_on_a_worker_and_the_result_arrives_on_the_ui_thread(qtbot):
    ops = Ops()
    ui_thread = threading.get_ident()
    seen: dict[str, object] = {}

    def work() -> int:
        seen["worker"] = threading.get_ident()
        return 42

    def done(result: int) -> None:
        seen["result"] = result
        seen["callback"] = threading.get_ident()

    ops.run(work, done)
    qtbot.waitUntil(lambda: "result" in seen)
    assert seen["worker"] != ui_thread
    assert seen["callback"] == ui_thread
    assert seen["result"] == 42
    ops.shutdown()


def test_a_failure_goes_to_on_error_or_else_to_the_failed_signal(qtbot):
    ops = Ops()
    errors: list[BaseException] = []

    def boom() -> None:
        raise ValueError("broken")

    ops.run(boom, lambda _r: None, errors.append)
    qtbot.waitUntil(lambda: len(errors) == 1)
    assert isinstance(errors[0], ValueError)

    with qtbot.waitSignal(ops.failed) as blocker:
        ops.run(boom)
    assert isinstance(blocker.args[0], ValueError)
    ops.shutdown()


def test_explain_turns_a_failure_into_the_error_to_show_on_the_worker(qtbot):
    ui_thread = threading.get_ident()
    explained: list[int] = []

    def explain(exc: BaseException) -> BaseException | None:
        explained.append(threading.get_ident())
        return Damaged("store_damaged", path="x", detail="y") if "disk" in str(exc) else None

    ops = Ops(explain=explain)
    errors: list[BaseException] = []
    ops.run(lambda: (_ for _ in ()).throw(OSError("disk I/O error")), None, errors.append)
    ops.run(lambda: (_ for _ in ()).throw(ValueError("other")), None, errors.append)
    qtbot.waitUntil(lambda: len(errors) == 2)
    assert isinstance(errors[0], Damaged) and isinstance(errors[1], ValueError)
    assert ui_thread not in explained
    ops.shutdown()


def test_changes_are_announced_before_the_caller_hears_of_the_result(qtbot):
    ops = Ops()
    order: list[object] = []
    ops.changed.connect(lambda changes: order.append(changes))
    filed = Filed("card-1", None, Changes(("card-1",)))
    ops.run(lambda: filed, lambda result: order.append(result))
    qtbot.waitUntil(lambda: len(order) == 2)
    assert order == [Changes(("card-1",)), filed]
    ops.shutdown()


def test_busy_is_reported_while_work_is_pending(qtbot):
    ops = Ops()
    states: list[bool] = []
    ops.busy_changed.connect(states.append)
    release = threading.Event()
    ops.run(lambda: release.wait(5))
    assert ops.busy
    release.set()
    qtbot.waitUntil(lambda: not ops.busy)
    assert states == [True, False]
    ops.shutdown()


def test_nothing_starts_after_shutdown(qtbot):
    ops = Ops()
    ops.shutdown()
    ran: list[int] = []
    ops.run(lambda: ran.append(1))
    ops.wait()
    assert ran == []
    assert not ops.busy
