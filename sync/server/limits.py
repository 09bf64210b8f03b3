"""Request size limits, checked before a body is read (DESIGN.md §7: 413 for the request)."""

from __future__ import annotations

import json
from typing import Any

from sync.protocol import ErrorResponse

BODY_METHODS = {"POST", "PUT", "PATCH"}


class BodyLimit:
    """Refuse a body over `max_body` bytes (413) or of unknown length (411) up front; paths
    under a prefix of `larger` (the blob upload) have their own limit."""

    def __init__(self, app: Any, max_body: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_body = max_body
        self.larger = larger or {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        limit = next((n for prefix, n in self.larger.items()
                      if scope["path"].startswith(prefix)), self.max_body)
        if length is None or not length.isdigit():
            await _refuse(send, 411, "length_required")
        elif int(length) > limit:
            await _refuse(send, 413, "too_large", f"limit {limit} bytes")
        else:
            await self.app(scope, receive, send)


async def _refuse(send: Any, status: int, error: str, detail: str | None = None) -> None:
    body = json.dumps(ErrorResponse(error=error, detail=detail).model_dump()).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
