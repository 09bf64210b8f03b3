"""What every command needs: the home folder, its configuration and store, input parsing."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from forms.config import Config
from forms.errors import BadInput
from forms.home import Home, open_home
from forms.service import CardService
from forms.store.repo import Store

MAX_STDIN_BYTES = 1024 * 1024


class Context:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.home: Home = open_home(args.home)
        self.config: Config = self.home.config()
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = self.home.open_store(self.config)
        return self._store

    def service(self) -> CardService:
        return CardService(self.store, self.config, user=self.home.user(self.args.user),
                           device_id=self.home.device_id(self.store), blobs=self.home.blobs)

    def now(self) -> datetime:
        text = getattr(self.args, "now", None)
        return parse_moment(text, self.config) if text else datetime.now(UTC)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def parse_moment(text: str, config: Config) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput("bad_datetime", value=text) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(config.sla["calendar"]["timezone"]))
    return moment.astimezone(UTC)


def parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput("bad_date", value=text, option=option) from None


def parse_int(text: str, option: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise BadInput("bad_number", value=text, option=option) from None


def decode_json(raw: bytes, where: str = "") -> Any:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("not_utf8", where=where) from None
    if not text.strip():
        raise BadInput("empty_input", where=where)
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise BadInput("malformed_json", where=where, line=exc.lineno, column=exc.colno,
                       detail=exc.msg) from None
    except RecursionError:
        raise BadInput("malformed_json", where=where, line=1, column=1,
                       detail="nesting too deep") from None
    except ValueError as exc:  # a number past Python's digit limit, NaN or Infinity
        raise BadInput("malformed_json", where=where, line=1, column=1,
                       detail="number too long" if "digits" in str(exc) else str(exc)[:80],
                       ) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")
