"""Validation of card JSON against the declarative kind definitions.

Returns every problem at once (one FieldError per field), so a form can show each message
next to its field and the CLI can print them all on one line.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from forms.config import Config, FieldSpec
from forms.errors import BadInput, FieldError, ValidationFailed

# Control characters other than tab/newline have no place in a report; they usually mean a
# binary file or a broken paste.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")  # + lone surrogates
MAX_TEXT = 200
MAX_PHOTOS = 10


def validate_card(data: Any, config: Config) -> tuple[str, dict[str, Any]]:
    """Check one card's JSON; return (kind, normalised fields) or raise ValidationFailed."""
    if not isinstance(data, dict):
        raise BadInput("not_an_object")
    kind_name = data.get("kind")
    if kind_name is None:
        raise ValidationFailed([FieldError("kind", "required")])
    kind = config.kind(kind_name) if isinstance(kind_name, str) else None
    if kind is None:
        raise ValidationFailed([FieldError("kind", "not_one_of",
                                           {"allowed": list(config.kinds), "list": "kinds"})])

    errors: list[FieldError] = []
    known = {f.name for f in kind.fields} | {"kind"}
    for key in data:
        if key not in known:
            allowed = sorted(known - {"kind"})
            errors.append(FieldError(str(key), "unknown_field",
                                     {"allowed": allowed, "list": "fields"}))

    fields: dict[str, Any] = {}
    for spec in kind.fields:
        value = data.get(spec.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.required:
                errors.append(FieldError(spec.name, "required"))
            elif spec.default is not None:
                fields[spec.name] = spec.default if not isinstance(spec.default, list) else []
            continue
        try:
            fields[spec.name] = check_value(spec, value, config)
        except _Invalid as bad:
            errors.append(FieldError(spec.name, bad.key, bad.params))
    if errors:
        raise ValidationFailed(errors)
    return kind.name, fields


def split_source_id(data: Any) -> tuple[Any, str | None]:
    """Card JSON's optional `source_id` — the sender's own id of the card, so that a re-run
    of the same import files it once (forms/imports.py) — taken out of `data`: the rest of
    it, and the id checked as one line of text (None when absent or blank)."""
    if not isinstance(data, dict) or "source_id" not in data:
        return data, None
    rest = {k: v for k, v in data.items() if k != "source_id"}
    value = data["source_id"]
    if value is None:
        return rest, None
    if not isinstance(value, str):
        raise ValidationFailed([FieldError("source_id", "not_text")])
    text = value.strip()
    if _CONTROL.search(text) or "\n" in text:
        raise ValidationFailed([FieldError("source_id", "control_chars")])
    if len(text) > MAX_TEXT:
        raise ValidationFailed([FieldError("source_id", "too_long",
                                           {"max": MAX_TEXT, "length": len(text)})])
    return rest, text or None


class _Invalid(Exception):
    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def check_value(spec: FieldSpec, value: Any, config: Config) -> Any:
    """One field's value, normalised; raises _Invalid with a catalogue key."""
    t = spec.type
    if t in ("text", "longtext", "open_choice"):
        if not isinstance(value, str):
            raise _Invalid("not_text")
        text = value.strip()
        if _CONTROL.search(text) or (t != "longtext" and "\n" in text):
            raise _Invalid("control_chars")
        limit = spec.max_length or MAX_TEXT
        if len(text) > limit:
            raise _Invalid("too_long", max=limit, length=len(text))
        return text
    if t == "bool":
        if not isinstance(value, bool):
            raise _Invalid("not_bool")
        return value
    if t == "choice":
        allowed = config.lists[spec.list or ""]
        if not isinstance(value, str) or value not in allowed:
            raise _Invalid("not_one_of", allowed=list(allowed), list=spec.list)
        return value
    if t == "multichoice":
        allowed = config.lists[spec.list or ""]
        if not isinstance(value, list) or any(
            not isinstance(v, str) or v not in allowed for v in value
        ):
            raise _Invalid("not_subset_of", allowed=list(allowed), list=spec.list)
        return [v for v in allowed if v in value]  # canonical order, no duplicates
    if t == "datetime":
        return _check_datetime(value, config)
    if t == "photos":
        if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
            raise _Invalid("not_path_list")
        if len(value) > MAX_PHOTOS:
            raise _Invalid("too_many_photos", max=MAX_PHOTOS)
        return list(value)
    raise _Invalid("unsupported_type")


def _check_datetime(value: Any, config: Config) -> str:
    if not isinstance(value, str):
        raise _Invalid("not_datetime")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _Invalid("not_datetime") from None
    if moment.tzinfo is None:  # a worker writes local wall-clock time
        moment = moment.replace(tzinfo=config.zone)
    return moment.astimezone(UTC).isoformat()
