"""One function per command. Each reads its input, calls forms/reports, prints the result."""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cli import check_cmd, receipt_cmd, recover_cmd, render, report_cmd, sync_cmd
from cli.context import (
    MAX_STDIN_BYTES,
    Context,
    decode_json,
    emit_json,
    parse_date,
    parse_int,
)
from forms import imports
from forms.cardjson import card_json
from forms.errors import BadInput, SafeCardError
from forms.i18n import error_text, tr
from forms.service import CardService, Filed
from forms.store.repo import CardQuery
from forms.validation import split_source_id

IMPORT_CHUNK = 5000  # cards per transaction of `import`

# ---- commands ----------------------------------------------------------------------------

def cmd_demo(ctx: Context) -> int:
    from forms.demo import generate

    if ctx.args.cards < 1 or ctx.args.cards > 200_000:
        raise BadInput("bad_card_count", value=ctx.args.cards)
    result = generate(ctx.store, ctx.config, cards=ctx.args.cards, seed=ctx.args.seed,
                      now=ctx.display.now(), blobs=ctx.home.blobs)
    print(tr("cli.demo_done", count=result.cards, path=ctx.home.store_path))
    return 0


def cmd_file(ctx: Context) -> int:
    raw = sys.stdin.buffer.read(MAX_STDIN_BYTES + 1)
    if len(raw) > MAX_STDIN_BYTES:
        raise BadInput("input_too_large", max_kb=MAX_STDIN_BYTES // 1024)
    data = decode_json(raw)
    _rest, source_id = split_source_id(data)
    before = imports.filed_sources(ctx.store).get(source_id) if source_id else None
    if before is not None:  # a script run again: the card is there, once
        print(tr("cli.already_filed", source_id=source_id, id=before), file=sys.stderr)
        if ctx.args.json:
            emit_json({"id": before, "skipped": True})
        else:
            print(before)
        return 0
    filed = ctx.service().file(data, anonymous=ctx.args.anonymous)
    if ctx.args.json:
        out: dict[str, Any] = {"id": filed.card_id}
        if filed.receipt:
            out["receipt"] = filed.receipt
        emit_json(out)
    else:
        print(filed.card_id)
        if filed.receipt:
            print(tr("cli.receipt", code=filed.receipt))
    return 0


@dataclass
class ImportReport:
    filed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)


Line = tuple[int, bytes]


def cmd_import(ctx: Context) -> int:
    """File every line of a JSON Lines file, IMPORT_CHUNK cards per transaction: a chunk is
    stored whole or not at all, and its ids are printed once it is. A line already filed
    (forms/imports.py: by its source_id or its hash) is skipped, so a run that was cut off
    is finished by running it again."""
    path = Path(ctx.args.path)
    if not path.is_file():
        raise BadInput("file_not_found", path=str(path))
    service = ctx.service()
    run = imports.ImportRun.of(ctx.store)
    report = ImportReport()
    with path.open("rb") as handle:
        lines = ((number, raw) for number, raw in enumerate(handle, start=1) if raw.strip())
        carried: list[Line] = []
        while chunk := carried + list(itertools.islice(lines, IMPORT_CHUNK - len(carried))):
            done, carried = _import_chunk(service, run, chunk, report)
            if not ctx.args.json:
                for item in done:
                    print(item["id"] + (f"  {tr('cli.receipt', code=item['receipt'])}"
                                        if "receipt" in item else ""))
    if ctx.args.json:
        emit_json({"filed": report.filed, "skipped": report.skipped, "failed": report.failed})
    else:
        print(tr("cli.import_done", ok=len(report.filed), skipped=len(report.skipped),
                 failed=len(report.failed)), file=sys.stderr)
    return 2 if report.failed else 0


def _import_chunk(service: CardService, run: imports.ImportRun, chunk: list[Line],
                  report: ImportReport) -> tuple[list[dict[str, Any]], list[Line]]:
    """Decode and file one chunk, skipping lines already filed; report each line's outcome
    in line order. A line whose identity an earlier line of this chunk has (its card not
    stored yet) ends the chunk: it and the rest are returned, for the next one."""
    outcomes: dict[int, Filed | SafeCardError | str] = {}  # str: the card already there
    items: list[tuple[int, str, Any, bool]] = []
    keys: set[str] = set()
    for index, (number, raw) in enumerate(chunk):
        try:
            data = decode_json(raw)
            key = imports.identity(data)
        except SafeCardError:
            try:  # again, to say where: naming every good line would cost more than decoding it
                imports.identity(decode_json(raw, tr("cli.line", number=number)))
            except SafeCardError as error:
                outcomes[number] = error
            continue
        if key in keys:
            carried = chunk[index:]
            break
        before = run.card_of(key)
        if before is not None:
            outcomes[number] = before
            continue
        keys.add(key)
        anonymous = isinstance(data, dict) and data.pop("anonymous", False) is True
        if isinstance(data, dict):
            data["source_id"] = key
        items.append((number, key, data, anonymous))
    else:
        carried = []
    filed_now = service.file_many([(data, anonymous) for _n, _k, data, anonymous in items])
    for (number, key, _d, _a), outcome in zip(items, filed_now, strict=True):
        outcomes[number] = outcome
        if isinstance(outcome, Filed):
            run.add(key, outcome.card_id)
    done = []
    for number in sorted(outcomes):
        outcome = outcomes[number]
        if isinstance(outcome, str):
            report.skipped.append({"line": number, "id": outcome})
        elif isinstance(outcome, SafeCardError):
            message = error_text(outcome)
            report.failed.append({"line": number, "error": message})
            sys.stderr.write(f"safecard: {tr('cli.line', number=number)}: {message}\n")
        else:
            done.append({"line": number, "id": outcome.card_id,
                         **({"receipt": outcome.receipt} if outcome.receipt else {})})
    report.filed.extend(done)
    return done, carried


def cmd_list(ctx: Context) -> int:
    a = ctx.args
    now = ctx.now()
    if a.kind and a.kind not in ctx.config.kinds:
        raise BadInput("unknown_kind", value=a.kind, allowed=list(ctx.config.kinds), list="kinds")
    from forms.card import STATES

    if a.state and a.state not in STATES:
        raise BadInput("unknown_state", value=a.state, allowed=list(STATES), list="states")
    query = CardQuery(kind=a.kind, state=a.state, site=a.site, search=a.search,
                      overdue_at=now if a.overdue else None)
    cards = ctx.store.list_cards(query, limit=a.limit)
    if a.json:
        emit_json([card_json(c, ctx.config, now, blobs=ctx.home.blobs) for c in cards])
    else:
        render.card_table(cards, ctx.display, now)
    return 0


def cmd_show(ctx: Context) -> int:
    card = ctx.store.card(ctx.args.id)
    now = ctx.now()
    if ctx.args.json:
        emit_json(card_json(card, ctx.config, now, history=True, blobs=ctx.home.blobs))
    else:
        render.card_detail(card, ctx.display, now)
    return 0


def _ratings(ctx: Context) -> tuple[int, int, int, str]:
    a = ctx.args
    return (parse_int(a.degree, "--degree"), parse_int(a.scale, "--scale"),
            parse_int(a.frequency, "--frequency"), a.compliance)


def cmd_assess(ctx: Context) -> int:
    ctx.service().assess(ctx.args.id, *_ratings(ctx), note=ctx.args.note)
    return _done(ctx, ctx.args.id)


def cmd_action(ctx: Context) -> int:
    a = ctx.args
    service = ctx.service()
    if a.action_command == "add":
        parse_date(a.due, "--due")
        action_id, _ = service.add_action(a.id, a.title, a.owner, a.due, a.action_type)
        if a.json:
            emit_json({"id": action_id})
        else:
            print(action_id)
        return 0
    service.complete_action(a.action_id, a.note)
    print(tr("cli.ok"))
    return 0


def cmd_verify(ctx: Context) -> int:
    a = ctx.args
    ctx.service().verify(a.id, *_ratings(ctx), effective=a.effective == "yes",
                         acceptance=a.accept_risk, note=a.note)
    return _done(ctx, a.id)


def cmd_close(ctx: Context) -> int:
    ctx.service().close(ctx.args.id, ctx.args.resolution)
    return _done(ctx, ctx.args.id)


def cmd_reject(ctx: Context) -> int:
    ctx.service().reject(ctx.args.id, ctx.args.reason)
    return _done(ctx, ctx.args.id)


def cmd_reopen(ctx: Context) -> int:
    ctx.service().reopen(ctx.args.id, ctx.args.reason)
    return _done(ctx, ctx.args.id)


def cmd_comment(ctx: Context) -> int:
    ctx.service().comment(ctx.args.id, ctx.args.text, question=ctx.args.question)
    return _done(ctx, ctx.args.id)


def cmd_rebuild(ctx: Context) -> int:
    count = ctx.store.rebuild()
    print(tr("cli.rebuild_done", count=count))
    return 0


def _done(ctx: Context, card_id: str) -> int:
    card = ctx.store.card(card_id)
    print(tr("cli.state_now", id=card.id, state=ctx.display.state(card.state, card.kind)))
    return 0


COMMANDS: dict[str, Callable[[Context], int]] = {
    "demo": cmd_demo, "file": cmd_file, "import": cmd_import, "list": cmd_list,
    "show": cmd_show, "assess": cmd_assess, "action": cmd_action, "verify": cmd_verify,
    "close": cmd_close, "reject": cmd_reject, "reopen": cmd_reopen, "comment": cmd_comment,
    "rebuild": cmd_rebuild, **report_cmd.COMMANDS, **sync_cmd.COMMANDS,
    **receipt_cmd.COMMANDS, **check_cmd.COMMANDS, **recover_cmd.COMMANDS,
}


def dispatch(args: argparse.Namespace) -> int:
    ctx = Context(args)
    try:
        return COMMANDS[args.command](ctx)
    finally:
        ctx.close()
