"""`safecard check [--screenshot FILE]`: is this workstation ready? For site IT after a
rollout (docs/packaging.md): one line per part, what is wrong and what to do; exit 0 when
every part works, 1 otherwise."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from cli.context import Context
from cli.gui import gui
from forms.errors import SafeCardError
from forms.i18n import error_text, tr

EXIT_NOT_READY = 1


def add_parsers(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("check", help=tr("check.help"))
    p.add_argument("--screenshot", metavar="FILE.png", help=tr("check.help.screenshot"))
    p.add_argument("--no-window", action="store_true", help=tr("check.help.no_window"))


def _site(ctx: Context) -> str:
    site = ctx.home.site
    if site.problems:
        raise ValueError("; ".join(site.problems))
    mode = tr(f"check.mode.{site.mode}")
    return tr("check.site_ok", path=str(site.path), mode=mode) if site.path.exists() \
        else tr("check.site_none", path=str(site.path))


def _store(ctx: Context) -> str:
    return tr("check.store_ok", path=str(ctx.home.store_path),
              count=ctx.store.outbox_count())


def _fonts(_ctx: Context) -> str:
    from reports import fonts

    fonts.register()
    return tr("check.fonts_ok")


def _server(ctx: Context) -> str:
    server = ctx.home.settings().get("server")
    if not server:
        return tr("check.server_none")
    from sync.client import SyncClient

    with SyncClient(server) as client:
        health = client.health()
    return tr("check.server_ok", server=server, database=health.database)


def _window(ctx: Context) -> str:
    return str(gui("check")(str(ctx.home.path), ctx.args.screenshot))


def cmd_check(ctx: Context) -> int:
    parts: list[tuple[str, Callable[[Context], str]]] = [
        ("site", _site), ("store", _store), ("fonts", _fonts), ("server", _server)]
    if not ctx.args.no_window:
        parts.append(("window", _window))
    ready = True
    for name, part in parts:
        try:
            line, ok = part(ctx), True
        except SafeCardError as error:
            line, ok = error_text(error), False
        except Exception as error:
            line, ok = f"{type(error).__name__}: {error}"[:300], False
        ready = ready and ok
        mark = tr("check.ok") if ok else tr("check.failed")
        print(f"{mark:6} {tr(f'check.part.{name}'):12} {line}", flush=True)
    print(tr("check.ready") if ready else tr("check.not_ready"))
    return 0 if ready else EXIT_NOT_READY


COMMANDS = {"check": cmd_check}
