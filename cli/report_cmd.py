"""`safecard report …`: PDF reports for auditors and planning meetings, and the planning
report's tables as CSV/XLSX (docs/reports.md)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cli.context import Context, parse_date
from forms.errors import BadInput
from forms.i18n import tr

FORMATS = ("pdf", "csv", "xlsx")


def add_parsers(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help=tr("cli.help.report"))
    report_sub = p.add_subparsers(dest="report_kind", parser_class=parser_class, required=True)
    r = report_sub.add_parser("audit", help=tr("cli.help.report_audit"))
    r.add_argument("--from", dest="date_from", required=True)
    r.add_argument("--to", dest="date_to", required=True)
    r.add_argument("--site")
    r.add_argument("--department")
    r.add_argument("-o", "--output", required=True)
    r.add_argument("--now", help=tr("cli.help.now"))
    _lang(r)
    r = report_sub.add_parser("planning", help=tr("cli.help.report_planning"))
    r.add_argument("--period", required=True, help=tr("cli.help.period"))
    r.add_argument("--site")
    r.add_argument("-o", "--output", required=True)
    r.add_argument("--format", choices=FORMATS, dest="out_format",
                   help=tr("cli.help.report_format"))
    r.add_argument("--now", help=tr("cli.help.now"))
    _lang(r)


def _lang(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: when not given here, the global --lang (or the default) stays in force.
    parser.add_argument("--lang", choices=["ru", "en"], default=argparse.SUPPRESS)


def _output(text: str) -> Path:
    out = Path(text)
    if not out.parent.is_dir():
        raise BadInput("output_folder_missing", path=str(out.parent))
    if out.is_dir():
        raise BadInput("output_not_writable", path=str(out), detail=tr("report.error.is_a_folder"))
    return out


def _writing(out: Path, write: Callable[[], Any]) -> Any:
    """Run a report writer, turning a refused write into a one-line bad-input message."""
    try:
        return write()
    except PermissionError as error:
        raise BadInput("output_not_writable", path=str(out),
                       detail=error.strerror or "permission denied") from None


def cmd_report(ctx: Context) -> int:
    if ctx.args.report_kind == "planning":
        return _planning(ctx)
    from reports.audit import write_audit

    a = ctx.args
    date_from, date_to = parse_date(a.date_from, "--from"), parse_date(a.date_to, "--to")
    if date_to < date_from:
        raise BadInput("bad_period", date_from=a.date_from, date_to=a.date_to)
    out = _output(a.output)
    _writing(out, lambda: write_audit(
        ctx.store, ctx.config, date_from=date_from, date_to=date_to, site=a.site,
        department=a.department, out=out, generated_at=ctx.display.now(), now=ctx.now(),
        blobs=ctx.home.blobs))
    print(tr("cli.report_done", path=out))
    return 0


def _planning(ctx: Context) -> int:
    from reports import export, planning
    from reports.scope import parse_period, site_timezone

    a = ctx.args
    tz = site_timezone(ctx.config)
    period = parse_period(a.period, tz)  # bad input before anything is written
    out = _output(a.output)
    fmt_name = a.out_format or {".csv": "csv", ".xlsx": "xlsx"}.get(out.suffix.lower(), "pdf")
    generated_at = ctx.display.now()
    now = ctx.now()
    if fmt_name == "pdf":
        _writing(out, lambda: planning.write_planning(
            ctx.store, ctx.config, period=a.period, site=a.site, out=out,
            generated_at=generated_at, now=now))
    else:
        fmt = ctx.display
        data = planning.collect(ctx.store, ctx.config, period=period, site=a.site, now=now)
        tables = planning.tables(data, fmt)
        writer = export.write_csv if fmt_name == "csv" else export.write_xlsx
        _writing(out, lambda: writer(tables, out))
    print(tr("cli.report_done", path=out))
    return 0


COMMANDS: dict[str, Callable[[Context], int]] = {"report": cmd_report}
