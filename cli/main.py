"""`safecard`: the command line, and the launcher of the desktop app.

Every user-facing failure is a SafeCardError printed as one translated line with its exit
code (DESIGN.md §10); anything else is a bug, logged with its traceback to the home folder
while the user gets one line saying where the log is.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

from sqlalchemy.exc import OperationalError

from cli import commands
from cli.gui import NoDesktop, gui
from cli.parser import build_parser
from forms.errors import SafeCardError, is_disk_full
from forms.home import Home, default_home
from forms.i18n import error_text, set_language, tr
from forms.store import integrity

EXIT_INTERNAL = 1


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    _early_language(args_list)
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as stop:  # usage errors and --help end here, with their exit code
        return int(stop.code or 0)
    if args.lang:
        set_language(args.lang)
    if args.version:
        print(f"safecard {version('safecard')}")
        return 0
    if args.command is None:
        return _open_desktop(args.home)
    try:
        return commands.dispatch(args)
    except SafeCardError as error:
        _fail(error_text(error))
        return error.exit_code
    except KeyboardInterrupt:
        _fail(tr("error.interrupted"))
        return 130
    except BrokenPipeError:  # `safecard list | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:
        damaged = integrity.explain(error, _home(args.home).store_path)
        if damaged is not None:  # the store itself: say so, whatever failed on it
            _fail(error_text(damaged))
            return damaged.exit_code
        if isinstance(error, OperationalError | OSError):
            if is_disk_full(error):
                _fail(tr("error.disk_full"))
            else:
                _fail(tr("error.storage", detail=_first_line(error), log=_log_bug(args.home)))
            return EXIT_INTERNAL
        # A bug: keep the traceback for support, show the user one line.
        _fail(tr("error.internal", log=_log_bug(args.home)))
        return EXIT_INTERNAL


def _early_language(argv: list[str]) -> None:
    """Help texts are built before parsing, so --lang must be seen first."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            set_language(argv[i + 1])
        elif arg.startswith("--lang="):
            set_language(arg.split("=", 1)[1])


def _fail(message: str) -> None:
    sys.stderr.write(f"safecard: {message}\n")


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]


def _home(home: str | None) -> Home:
    return Home(Path(home) if home else default_home())


def _log_bug(home: str | None) -> str:
    folder = _home(home).path / "logs"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "safecard.log"
        logging.basicConfig(filename=path, level=logging.ERROR, force=True)
        logging.getLogger("safecard").error("%s", traceback.format_exc())
        return str(path)
    except OSError:
        return "-"


def _open_desktop(home: str | None) -> int:
    """The desktop app is found through its entry point, so the CLI never imports it."""
    try:
        run = gui("desktop")
    except NoDesktop as error:
        _fail(tr("error.no_desktop", **error.params))
        return EXIT_INTERNAL
    return int(run(home) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
