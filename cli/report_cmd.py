"""`safecard report …`: PDF reports for auditors and planning meetings."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cli.context import Context, parse_date
from forms.errors import BadInput
from forms.i18n import tr


def add_parsers(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help=tr("cli.help.report"))
    report_sub = p.add_subparsers(dest="report_kind", parser_class=parser_class, required=True)
    r = report_sub.add_parser("audit", help=tr("cli.help.report_audit"))
    r.add_argument("--from", dest="date_from", required=True)
    r.add_argument("--to", dest="date_to", required=True)
    r.add_argument("--site")
    r.add_argument("-o", "--output", required=True)
    r.add_argument("--now", help=tr("cli.help.now"))


def cmd_report(ctx: Context) -> int:
    from reports.audit import write_audit

    a = ctx.args
    date_from, date_to = parse_date(a.date_from, "--from"), parse_date(a.date_to, "--to")
    if date_to < date_from:
        raise BadInput("bad_period", date_from=a.date_from, date_to=a.date_to)
    out = Path(a.output)
    if not out.parent.is_dir():
        raise BadInput("output_folder_missing", path=str(out.parent))
    write_audit(ctx.store, ctx.config, date_from=date_from, date_to=date_to, site=a.site,
                out=out, generated_at=datetime.now(UTC), now=ctx.now())
    print(tr("cli.report_done", path=out))
    return 0


COMMANDS: dict[str, Callable[[Context], int]] = {"report": cmd_report}
