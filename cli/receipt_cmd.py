"""`safecard receipt-status CODE [--answer TEXT] [--json]`: follow an anonymous card.

Asks the server's drop box (no token, the code in the request body) for the card's state,
the supervisor's questions and comments, and the resolution once closed; `--answer` adds
the reporter's answer as a comment without a name. Exit 3 for an unknown receipt, 75 when
the server cannot be reached (or asks to wait).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from cli.context import Context
from forms.errors import BadInput
from forms.i18n import tr


def add_parsers(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("receipt-status", help=tr("sync.help.receipt_status"))
    p.add_argument("code", help=tr("sync.help.receipt_code"))
    p.add_argument("--answer", help=tr("sync.help.receipt_answer"))
    p.add_argument("--json", action="store_true", help=tr("cli.help.json"))


def cmd_receipt_status(ctx: Context) -> int:
    from sync.client import SyncClient

    server = ctx.home.settings().get("server")
    if not server:
        raise BadInput("sync_no_server")
    with SyncClient(server) as client:
        if ctx.args.answer is not None:
            if not ctx.args.answer.strip():
                raise BadInput("sync_empty_answer")
            status = client.anonymous_answer(ctx.args.code, ctx.args.answer)
        else:
            status = client.anonymous_status(ctx.args.code)
    if ctx.args.json:
        print(json.dumps(status.model_dump(exclude={"protocol"}), ensure_ascii=False, indent=2))
        return 0
    fmt = ctx.display
    print(tr("sync.receipt_state", kind=fmt.kind(status.kind) if status.kind else "",
             state=fmt.state(status.state, status.kind)))
    for comment in status.comments:
        key = ("sync.receipt_question" if comment.question else
               "sync.receipt_you" if comment.from_reporter else "sync.receipt_comment")
        print(tr(key, at=fmt.moment(comment.at), text=comment.text))
    if status.resolution:
        print(tr("sync.receipt_resolution", text=status.resolution))
    if status.reject_reason:
        print(tr("sync.receipt_rejected", text=status.reject_reason))
    if ctx.args.answer is not None:
        print(tr("sync.receipt_answered"))
    return 0


COMMANDS: dict[str, Callable[[Context], int]] = {"receipt-status": cmd_receipt_status}
