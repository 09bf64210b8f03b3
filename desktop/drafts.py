"""The filing form's draft, saved a few seconds after typing stops and restored after a crash.

One draft per workstation home (`<home>/drafts/form.json`), named after nothing and no one: a
draft of an anonymous report must not say who wrote it. It is removed once the card is filed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class DraftStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / "form.json"

    def save(self, kind: str, fields: dict[str, Any], anonymous: bool) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {"kind": kind, "fields": fields, "anonymous": anonymous,
                "saved_at": datetime.now(UTC).isoformat(timespec="seconds")}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
        tmp.replace(self.path)

    def load(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            return None
        return data if isinstance(data, dict) and isinstance(data.get("fields"), dict) else None

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
