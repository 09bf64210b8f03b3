"""The baseline of bench/sync_push_pull.py: a bare Starlette JSON endpoint under uvicorn.

It reads the same push body, parses it with the json module and answers one result per
event — HTTP and JSON on loopback, without validation, authentication or a database.
"""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def push(request: Request) -> JSONResponse:
    body = json.loads(await request.body())
    results = [{"id": e["id"], "status": "accepted", "reason": None} for e in body["events"]]
    return JSONResponse({"protocol": 1, "results": results, "device_seq_contiguous": 0,
                         "server_time_ms": 0})


app = Starlette(routes=[Route("/api/v1/sync/push", push, methods=["POST"])])
