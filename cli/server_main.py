"""`safecard-server`: run the central sync server, and the admin commands beside it.

    safecard-server [--database-url URL] [--host H] [--port P] [--workers N]   (or: run …)
    safecard-server [--database-url URL] add-user NAME --role ROLE   (password on stdin)
    … set-pin NAME [--personnel-number N]   (PIN on stdin)
    … set-role NAME ROLE | disable-user NAME | revoke-device ID | list-users
    … show-config | load-config FILE | migrate | new-epoch | verify-audit

Every command that changes something appends an entry to the hash-chained audit log
(sync/server/audit.py); `verify-audit` walks the chain: exit 0 when intact, 4 at a break.

`--database-url` or SAFECARD_DATABASE_URL; by default a SQLite file in the server's data
folder. Errors are one translated line with the exit codes of DESIGN.md §10.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from cli.parser import FriendlyParser
from forms.config import CONFIG_FILES, ConfigError
from forms.errors import BadInput, SafeCardError
from forms.i18n import error_text, set_language, tr
from forms.store.repo import Store

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
MAX_PASSWORD_BYTES = 1024


def default_database_url() -> str:
    explicit = os.environ.get("SAFECARD_DATABASE_URL")
    if explicit:
        return explicit
    folder = Path(user_data_dir("SafeCard-server", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'server.db'}"


def _serve_options(p: argparse.ArgumentParser, *, defaults: bool) -> None:
    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    p.add_argument("--host", default=default(DEFAULT_HOST), help=tr("sync.help.host"))
    p.add_argument("--port", type=int, default=default(DEFAULT_PORT), help=tr("sync.help.port"))
    p.add_argument("--workers", type=int, default=default(1), help=tr("sync.help.workers"))


def build_parser() -> FriendlyParser:
    parser = FriendlyParser(prog="safecard-server", description=tr("sync.help.server_cmd"))
    parser.add_argument("--database-url", dest="database_url", help=tr("sync.help.database"))
    parser.add_argument("--lang", choices=["ru", "en"])
    _serve_options(parser, defaults=True)
    sub = parser.add_subparsers(dest="command", parser_class=FriendlyParser)
    # `run` takes the same options after the word; unset ones keep the top-level values.
    run = sub.add_parser("run", help=tr("sync.help.run"), argument_default=argparse.SUPPRESS)
    run.add_argument("--database-url", dest="database_url")
    _serve_options(run, defaults=False)
    p = sub.add_parser("add-user", help=tr("sync.help.add_user"))
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=["staff", "supervisor", "auditor", "admin"])
    p = sub.add_parser("set-pin", help=tr("sync.help.set_pin"))
    p.add_argument("name")
    p.add_argument("--personnel-number", dest="personnel_number",
                   help=tr("sync.help.personnel_number"))
    p = sub.add_parser("set-role", help=tr("sync.help.set_role"))
    p.add_argument("name")
    p.add_argument("role", choices=["staff", "supervisor", "auditor", "admin"])
    p = sub.add_parser("disable-user", help=tr("sync.help.disable_user"))
    p.add_argument("name")
    p = sub.add_parser("revoke-device", help=tr("sync.help.revoke_device"))
    p.add_argument("device_id")
    sub.add_parser("list-users", help=tr("sync.help.list_users"))
    sub.add_parser("show-config", help=tr("sync.help.show_config"))
    p = sub.add_parser("load-config", help=tr("sync.help.load_config"))
    p.add_argument("path")
    sub.add_parser("migrate", help=tr("sync.help.migrate"))
    sub.add_parser("new-epoch", help=tr("sync.help.new_epoch"))
    sub.add_parser("verify-audit", help=tr("sync.help.verify_audit"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(args_list)
    except SystemExit as stop:
        return int(stop.code or 0)
    if args.lang:
        set_language(args.lang)
    url = args.database_url or default_database_url()
    try:
        if args.command in (None, "run"):
            return _run(url, args)
        from sync.server.db import open_server_store

        store = open_server_store(url)
        try:
            return ADMIN[args.command](store, args)
        finally:
            store.close()
    except SafeCardError as error:
        sys.stderr.write(f"safecard-server: {error_text(error)}\n")
        return error.exit_code
    except ConfigError as error:
        sys.stderr.write(f"safecard-server: {tr('error.sync_config_invalid', detail=error)}\n")
        return 2
    except KeyboardInterrupt:
        return 130


def _run(url: str, args: argparse.Namespace) -> int:
    import uvicorn

    from sync.server.connection import PROTOCOL
    from sync.server.directory import Directory
    from sync.server.limits import HttpLimits

    directory = Directory.from_env()  # a directory setting that cannot work stops us here
    limits = HttpLimits.from_env()  # a bad setting stops the start with its name
    # No access log: it would record client addresses, which an anonymous report must not
    # leave behind (DESIGN.md §6). The connection limits are in PROTOCOL, the body limits in
    # the app (docs/deployment.md). keep_alive stays longer than a client's idle keep-alive
    # (httpx: 5 s), so the client always closes an idle connection first: with uvicorn's 5 s,
    # a busy worker closed connections that already carried the next request (dropped pushes
    # in bench/load_test.py with --workers 2).
    options: dict[str, Any] = dict(
        host=args.host, port=args.port, access_log=False, log_level="warning", http=PROTOCOL,
        timeout_keep_alive=limits.keep_alive,
        limit_concurrency=limits.max_connections or None,
        h11_max_incomplete_event_size=limits.max_header_bytes)
    listening = tr("sync.server_listening", url=f"http://{args.host}:{args.port}") + "\n"
    if args.workers > 1:
        # Each worker process builds its own app from the environment (stateless servers).
        os.environ["SAFECARD_DATABASE_URL"] = url
        from sync.server.db import open_server_store

        open_server_store(url).close()  # migrate once, before the workers start
        _listen_with_nodelay()
        sys.stderr.write(listening)
        uvicorn.run("sync.server.asgi:from_env", factory=True, workers=args.workers,
                    **options)
        return 0
    from sync.server.app import create_app

    app = create_app(url, directory=directory, limits=limits)
    sys.stderr.write(listening)
    uvicorn.run(app, **options)
    return 0


def _listen_with_nodelay() -> None:
    """uvicorn binds the socket it shares with its workers with proto 0, so asyncio never
    turns TCP_NODELAY on for their connections and each keep-alive request after the first
    waits ~40 ms for a delayed ACK (uvicorn issue #3149; 4x the latency of one worker in
    bench/load_test.py). Hand the workers the same socket marked as TCP."""
    import socket

    from uvicorn.config import Config

    bind = Config.bind_socket
    if getattr(bind, "marks_tcp", False):
        return

    def bind_tcp(config: Config) -> socket.socket:
        sock = bind(config)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, sock.detach())
            sock.set_inheritable(True)
        return sock

    bind_tcp.marks_tcp = True  # type: ignore[attr-defined]
    Config.bind_socket = bind_tcp  # type: ignore[method-assign]


def _password() -> str:
    raw = sys.stdin.buffer.read(MAX_PASSWORD_BYTES + 1)
    if len(raw) > MAX_PASSWORD_BYTES:
        raise BadInput("input_too_large", max_kb=1)
    return raw.decode("utf-8", "replace").rstrip("\r\n")


def cmd_add_user(store: Store, args: argparse.Namespace) -> int:
    from sync.server import auth

    auth.add_user(store, args.name, args.role, _password())
    _audit(store, "add-user", args.name, {"role": args.role})  # never the password
    print(tr("sync.user_added", name=args.name, role=args.role))
    return 0


def cmd_set_pin(store: Store, args: argparse.Namespace) -> int:
    from sync.server import signin

    signin.set_pin(store, args.name, _password(), args.personnel_number)
    _audit(store, "set-pin", args.name, {"personnel_number": args.personnel_number})
    print(tr("sync.pin_set", name=args.name))
    return 0


def cmd_set_role(store: Store, args: argparse.Namespace) -> int:
    from sync.server import auth

    auth.set_role(store, args.name, args.role)
    _audit(store, "set-role", args.name, {"role": args.role})
    print(tr("cli.ok"))
    return 0


def cmd_disable_user(store: Store, args: argparse.Namespace) -> int:
    from sync.server import auth

    auth.disable_user(store, args.name)
    _audit(store, "disable-user", args.name)
    print(tr("cli.ok"))
    return 0


def cmd_revoke_device(store: Store, args: argparse.Namespace) -> int:
    from sync.server import auth

    auth.revoke_device(store, args.device_id)
    _audit(store, "revoke-device", args.device_id)
    print(tr("cli.ok"))
    return 0


def cmd_list_users(store: Store, _args: argparse.Namespace) -> int:
    from sync.server import auth

    for user in auth.users(store):
        print(f"{user.name}\t{user.role}\t{'disabled' if user.disabled else 'active'}")
    return 0


def cmd_show_config(store: Store, _args: argparse.Namespace) -> int:
    out = {"version": store.config.version, **store.config.raw}
    sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
    return 0


def cmd_load_config(store: Store, args: argparse.Namespace) -> int:
    """A JSON object with any of kinds, lists, org, risk, sla; the rest stay as they are."""
    from sync.server.db import save_config

    path = Path(args.path)
    if not path.is_file():
        raise BadInput("file_not_found", path=str(path))
    try:
        given = json.loads(path.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput("sync_config_file", path=str(path), detail=str(exc)) from None
    if not isinstance(given, dict) or not set(given) <= set(CONFIG_FILES) or not given:
        raise BadInput("sync_config_file", path=str(path),
                       detail="keys: " + ", ".join(CONFIG_FILES))
    config = save_config(store, store.config.raw | given)
    _audit(store, "load-config", path.name, {"version": config.version, "keys": sorted(given)})
    print(tr("sync.config_loaded", version=config.version))
    return 0


def cmd_migrate(store: Store, _args: argparse.Namespace) -> int:
    print(tr("cli.ok"))  # open_server_store has migrated both schemas
    return 0


def cmd_new_epoch(store: Store, _args: argparse.Namespace) -> int:
    from sync.server.db import new_epoch

    epoch = new_epoch(store)
    _audit(store, "new-epoch", str(epoch), {"epoch": epoch})
    print(tr("sync.new_epoch", epoch=epoch))
    return 0


def cmd_verify_audit(store: Store, _args: argparse.Namespace) -> int:
    from sync.server import audit

    verdict = audit.verify(store)
    if verdict.intact:
        print(tr("sync.audit_intact", count=verdict.entries))
        return 0
    sys.stderr.write("safecard-server: " + tr("sync.audit_broken", seq=verdict.broken_at,
                                              why=verdict.why, count=verdict.entries) + "\n")
    return 4


def _audit(store: Store, action: str, target: str, details: dict[str, object] | None = None,
           ) -> None:
    from sync.server import audit

    audit.append(store, action, target, details)


ADMIN: dict[str, Callable[[Store, argparse.Namespace], int]] = {
    "add-user": cmd_add_user, "set-pin": cmd_set_pin, "set-role": cmd_set_role,
    "disable-user": cmd_disable_user,
    "revoke-device": cmd_revoke_device, "list-users": cmd_list_users,
    "show-config": cmd_show_config, "load-config": cmd_load_config, "migrate": cmd_migrate,
    "new-epoch": cmd_new_epoch, "verify-audit": cmd_verify_audit,
}


if __name__ == "__main__":
    raise SystemExit(main())
