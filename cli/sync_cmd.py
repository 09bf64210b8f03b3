"""`safecard login` and `safecard sync [--once]`: connect this workstation to a server."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cli.context import Context
from forms.errors import BadInput, SafeCardError
from forms.i18n import error_text, option_label, tr

if TYPE_CHECKING:  # sync (httpx, pydantic, keyring) loads only for the sync commands
    from sync.engine import SyncEngine, SyncReport


def add_parsers(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("login", help=tr("sync.help.login"))
    p.add_argument("--server", help=tr("sync.help.server"))
    p.add_argument("--user", dest="login_user", help=tr("sync.help.login_user"))
    p = sub.add_parser("sync", help=tr("sync.help.sync"))
    p.add_argument("--once", action="store_true", help=tr("sync.help.once"))


def _password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass(tr("sync.password_prompt"))
    return sys.stdin.readline().rstrip("\r\n")


def cmd_login(ctx: Context) -> int:
    from sync.workstation import sign_in

    user = ctx.args.login_user or ctx.args.user
    if not user:
        raise BadInput("sync_no_user")
    # Without --server: the one site IT set for this workstation (forms/site_settings.py).
    server = ctx.args.server or ctx.home.settings().get("server") or ""
    if not server:
        raise BadInput("sync_no_server")
    if not server.strip().startswith(("http://", "https://")):
        raise BadInput("sync_bad_server_url", value=server)
    answer = sign_in(ctx.home, ctx.store, server, user, _password())
    print(tr("sync.signed_in", user=user, role=option_label("roles", answer.role),
             server=server.strip().rstrip("/")))
    return 0


def _summary(report: SyncReport) -> str:
    return tr("sync.done", sent=report.accepted + report.known, received=report.pulled,
              rejected=report.rejected)


def cmd_sync(ctx: Context) -> int:
    from sync.workstation import engine_for

    engine = engine_for(ctx.home, ctx.store)
    try:
        if ctx.args.once:
            report = engine.sync_once()
            print(_summary(report))
            _explain_rejections(ctx, report)
            return 0
        return _run_in_foreground(engine)
    finally:
        engine.client.close()


def _explain_rejections(ctx: Context, report: SyncReport) -> None:
    from sync.engine import REJECTED_KEY

    if not report.rejected:
        return
    reasons = json.loads(ctx.store.get_meta(REJECTED_KEY) or "{}")
    for event_id, reason in list(reasons.items())[-report.rejected:]:
        sys.stderr.write(tr("sync.rejected_line", id=event_id,
                            reason=tr(f"sync.reason.{reason}")) + "\n")


def _run_in_foreground(engine: SyncEngine) -> int:
    stop = threading.Event()
    last_error: list[SafeCardError] = []

    def show(result: SafeCardError | SyncReport) -> None:
        if isinstance(result, SafeCardError):
            last_error[:] = [result]
            status = engine.status()
            print(tr("sync.offline_waiting", count=status.waiting, error=error_text(result)),
                  flush=True)
        elif result.accepted or result.pulled or result.rejected:
            print(_summary(result), flush=True)

    try:
        engine.run(stop, on_round=show)
    except KeyboardInterrupt:
        stop.set()
        return 0
    if last_error:  # the loop ends by itself only when a person must act
        raise last_error[0]
    return 0


COMMANDS: dict[str, Callable[[Context], int]] = {"login": cmd_login, "sync": cmd_sync}
