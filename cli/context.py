"""What every command needs: the home folder, its configuration and store, input parsing."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime
from typing import Any

from forms.config import Config
from forms.display import Display
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

    @property
    def display(self) -> Display:
        """How values read at this terminal: the site's clock, labels with the codes to type."""
        return Display.create(self.config, commands=True)

    def service(self) -> CardService:
        return CardService(self.store, self.config, user=self.home.user(self.args.user),
                           device_id=self.home.device_id(self.store), blobs=self.home.blobs)

    def now(self) -> datetime:
        text = getattr(self.args, "now", None)
        return parse_moment(text, self.config) if text else self.display.now()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def parse_moment(text: str, config: Config) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput("bad_datetime", value=text) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=config.zone)
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
                       problem=json_problem(exc.msg)) from None
    except RecursionError:
        raise BadInput("malformed_json", where=where, line=1, column=1,
                       problem="too_deep") from None
    except ValueError as exc:  # a number past Python's digit limit, NaN or Infinity
        raise BadInput("malformed_json", where=where, line=1, column=1,
                       problem="number_too_long" if "digits" in str(exc) else "not_a_number",
                       ) from None


# The json module says what is wrong in English; people read it by its label
# (option.json_problems.* in the catalogue).
_JSON_PROBLEMS = (("Expecting value", "expecting_value"),
                  ("Expecting property name", "expecting_property"),
                  ("Expecting ',' delimiter", "expecting_comma"),
                  ("Expecting ':' delimiter", "expecting_colon"),
                  ("Unterminated string", "unterminated_string"),
                  ("Invalid control character", "control_character"),
                  ("Invalid \\", "bad_escape"),
                  ("Extra data", "extra_data"))


def json_problem(message: str) -> str:
    return next((code for start, code in _JSON_PROBLEMS if message.startswith(start)), "other")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")
