"""The command line's grammar (DESIGN.md §10). Names, options and exit codes are a contract."""

from __future__ import annotations

import argparse
import re
import sys
from typing import NoReturn

from cli import check_cmd, receipt_cmd, recover_cmd, report_cmd, sync_cmd
from forms.i18n import tr

EXIT_BAD_INPUT = 2


class FriendlyParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one translated line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        detail = _translate(message)
        what = tr("error.usage", detail=detail)
        fix = tr("error.usage.fix", prog=self.prog)
        sys.stderr.write(f"safecard: {what} {fix}\n")
        raise SystemExit(EXIT_BAD_INPUT)


# argparse ships no Russian messages; these are the ones a user meets.
_ARGPARSE_MESSAGES = [
    (re.compile(r"the following arguments are required: (?P<args>.+)"), "required"),
    (re.compile(r"argument (?P<option>\S+): invalid choice: (?P<value>\S+) "
                r"\(choose from (?P<choices>.+)\)"), "invalid_choice"),
    (re.compile(r"unrecognized arguments: (?P<args>.+)"), "unrecognized"),
    (re.compile(r"argument (?P<option>\S+): expected one argument"), "expected_one"),
    (re.compile(r"argument (?P<option>\S+): invalid int value: (?P<value>.+)"), "invalid_int"),
]


def _translate(message: str) -> str:
    for pattern, key in _ARGPARSE_MESSAGES:
        match = pattern.fullmatch(message.strip())
        if match:
            return tr(f"cli.argparse.{key}", **match.groupdict())
    return message


def _ratings(p: argparse.ArgumentParser) -> None:
    p.add_argument("--degree", required=True, help=tr("cli.help.degree"))
    p.add_argument("--scale", required=True, help=tr("cli.help.scale"))
    p.add_argument("--frequency", required=True, help=tr("cli.help.frequency"))
    p.add_argument("--compliance", required=True, choices=["ok", "breach"],
                   help=tr("cli.help.compliance"))


def build_parser() -> FriendlyParser:
    parser = FriendlyParser(prog="safecard", description=tr("cli.description"))
    parser.add_argument("--home", help=tr("cli.help.home"))
    parser.add_argument("--lang", choices=["ru", "en"], help=tr("cli.help.lang"))
    parser.add_argument("--user", help=tr("cli.help.user"))
    parser.add_argument("--version", action="store_true", help=tr("cli.help.version"))
    sub = parser.add_subparsers(dest="command", parser_class=FriendlyParser)

    p = sub.add_parser("demo", help=tr("cli.help.demo"))
    p.add_argument("--cards", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)

    p = sub.add_parser("file", help=tr("cli.help.file"))
    p.add_argument("--anonymous", action="store_true", help=tr("cli.help.anonymous"))
    p.add_argument("--json", action="store_true", help=tr("cli.help.json"))

    p = sub.add_parser("import", help=tr("cli.help.import"))
    p.add_argument("path", help=tr("cli.help.jsonl"))
    p.add_argument("--json", action="store_true", help=tr("cli.help.json"))

    p = sub.add_parser("list", help=tr("cli.help.list"))
    p.add_argument("--kind")
    p.add_argument("--state")
    p.add_argument("--site")
    p.add_argument("--search")
    p.add_argument("--overdue", action="store_true", help=tr("cli.help.overdue"))
    p.add_argument("--now", help=tr("cli.help.now"))
    p.add_argument("--limit", type=int)
    p.add_argument("--json", action="store_true", help=tr("cli.help.json"))

    p = sub.add_parser("show", help=tr("cli.help.show"))
    p.add_argument("id")
    p.add_argument("--now", help=tr("cli.help.now"))
    p.add_argument("--json", action="store_true", help=tr("cli.help.json"))

    p = sub.add_parser("assess", help=tr("cli.help.assess"))
    p.add_argument("id")
    _ratings(p)
    p.add_argument("--note", default="")

    p = sub.add_parser("action", help=tr("cli.help.action"))
    action_sub = p.add_subparsers(dest="action_command", parser_class=FriendlyParser,
                                  required=True)
    a = action_sub.add_parser("add", help=tr("cli.help.action_add"))
    a.add_argument("id")
    a.add_argument("--title", required=True)
    a.add_argument("--owner", required=True)
    a.add_argument("--due", required=True, help=tr("cli.help.due"))
    a.add_argument("--type", default="corrective", dest="action_type")
    a.add_argument("--json", action="store_true", help=tr("cli.help.json"))
    a = action_sub.add_parser("done", help=tr("cli.help.action_done"))
    a.add_argument("action_id")
    a.add_argument("--note", default="")

    p = sub.add_parser("verify", help=tr("cli.help.verify"))
    p.add_argument("id")
    _ratings(p)
    p.add_argument("--effective", required=True, choices=["yes", "no"])
    p.add_argument("--accept-risk", default="", dest="accept_risk",
                   help=tr("cli.help.accept_risk"))
    p.add_argument("--note", default="")

    p = sub.add_parser("close", help=tr("cli.help.close"))
    p.add_argument("id")
    p.add_argument("--resolution", required=True, help=tr("cli.help.resolution"))

    p = sub.add_parser("reject", help=tr("cli.help.reject"))
    p.add_argument("id")
    p.add_argument("--reason", required=True)

    p = sub.add_parser("reopen", help=tr("cli.help.reopen"))
    p.add_argument("id")
    p.add_argument("--reason", default="")

    p = sub.add_parser("comment", help=tr("cli.help.comment"))
    p.add_argument("id")
    p.add_argument("--text", required=True)
    p.add_argument("--question", action="store_true", help=tr("cli.help.question"))

    report_cmd.add_parsers(sub, FriendlyParser)
    sync_cmd.add_parsers(sub, FriendlyParser)
    receipt_cmd.add_parsers(sub, FriendlyParser)
    check_cmd.add_parsers(sub, FriendlyParser)
    recover_cmd.add_parsers(sub, FriendlyParser)

    sub.add_parser("rebuild", help=tr("cli.help.rebuild"))
    return parser
