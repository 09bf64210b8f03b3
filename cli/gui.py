"""The desktop app's functions, found through the `safecard.gui` entry points, so that the
command line never imports desktop/ (DESIGN.md §2) and a Qt-less install still runs it."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from forms.errors import SafeCardError


class NoDesktop(SafeCardError):
    exit_code = 1


def gui(name: str) -> Callable[..., Any]:
    """`desktop` opens the window; `check` opens it once for `safecard check`."""
    for entry in entry_points(group="safecard.gui", name=name):
        try:
            return entry.load()  # type: ignore[no-any-return]
        except ImportError as error:
            first = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
            raise NoDesktop("no_desktop", detail=first) from error
    raise NoDesktop("no_desktop", detail=f"entry point safecard.gui {name} missing")
