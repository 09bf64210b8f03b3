"""`safecard recover [--force]`: rebuild a damaged store (forms/store/integrity.py says when).

1. The damaged file (with its -wal and -shm) is copied to `<home>/damaged/` first, untouched,
   for support or a specialist's tools; nothing else happens if that copy cannot be made.
2. What can be read of its event log, outbox and meta is read (forms/store/recovery.py) and
   appended to a new store beside it, which then replaces it in one rename.
3. With a server set, one sync round: what this workstation still owed the server is sent,
   and the whole log is pulled again (the pull cursor starts over), bringing back what the
   damage took of everyone's cards. Without one, the next sign-in does that.
Exit 0 when done, 75 when the server could not be reached (the store is already rebuilt;
the next `safecard sync` fetches the rest), 3 when there is no store, 4 when it is in use.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cli.context import Context
from forms.errors import Conflict, NotFound
from forms.i18n import tr
from forms.store import integrity, recovery
from forms.store.repo import Store

SIDE_FILES = ("-wal", "-shm")


def add_parsers(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("recover", help=tr("cli.help.recover"))
    p.add_argument("--force", action="store_true", help=tr("cli.help.recover_force"))


def cmd_recover(ctx: Context) -> int:
    path = ctx.home.store_path
    if not path.exists():
        raise NotFound("store_missing", path=str(path))
    found = integrity.problems(path)
    if found is None:
        raise Conflict("store_busy", path=str(path))
    if not found and not ctx.args.force:
        print(tr("cli.recover_not_needed", path=path))
        return 0
    kept = _keep_copy(path, ctx.home.path / "damaged")
    salvaged = recovery.salvage(path)
    cards = _replace(path, salvaged, ctx)
    print(tr("cli.recover_done", events=len(salvaged.events), cards=cards, copy=kept))
    if salvaged.lost_events or not salvaged.log_whole:
        print(tr("cli.recover_lost", lost=salvaged.lost_events))
    if not ctx.home.settings().get("server"):
        print(tr("cli.recover_no_server"))
        return 0
    from sync.workstation import engine_for

    engine = engine_for(ctx.home, ctx.store)
    try:
        report = engine.sync_once()  # Unreachable, SignedOut: their own line and exit code
    finally:
        engine.client.close()
    print(tr("cli.recover_pulled", received=report.pulled, sent=report.accepted + report.known))
    return 0


def _keep_copy(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    target = folder / f"{path.stem}-{stamp}{path.suffix}"
    for suffix in ("", *SIDE_FILES):
        source = path.with_name(path.name + suffix)
        if source.exists():
            shutil.copy2(source, target.with_name(target.name + suffix))
    return target


def _replace(path: Path, salvaged: recovery.Salvage, ctx: Context) -> int:
    """Build the new store beside the damaged one, then rename it into its place (the
    damaged file's -wal and -shm go first: they belong to it, and would be read as the new
    one's). Returns the number of cards."""
    from sync.engine import CURSOR_KEY

    new = path.with_name(path.name + ".recovering")
    for suffix in ("", *SIDE_FILES):
        new.with_name(new.name + suffix).unlink(missing_ok=True)
    store = Store(f"sqlite:///{new}", ctx.config)
    try:
        cards = recovery.rebuild(salvaged, store, forget=(CURSOR_KEY,))
    finally:
        store.close()
    with contextlib.closing(sqlite3.connect(new)) as conn:  # all in the file, then rename
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in SIDE_FILES:
        new.with_name(new.name + suffix).unlink(missing_ok=True)
    for suffix in SIDE_FILES:
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    new.replace(path)
    return cards


COMMANDS: dict[str, Callable[[Context], int]] = {"recover": cmd_recover}
