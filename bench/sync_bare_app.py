"""The baseline of bench/sync_push_pull.py: a bare Starlette JSON endpoint under uvicorn.

It reads the same push body, parses it with the json module and answers one result per
event — HTTP and JSON on loopback, without validation, authentication or a database.
`post_batches` is the driver both servers are measured with: ready-made bodies, one batch
after the other over one keep-alive connection, every answer parsed.

Run on its own it measures this endpoint alone (no target; the ratio lives in
sync_push_pull.py):

    .venv/bin/python bench/sync_bare_app.py [--events 10000]
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

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


def post_batches(base_url: str, bodies: Sequence[bytes], headers: dict[str, str]) -> float:
    """Seconds to POST every body to /api/v1/sync/push; each answer must accept its batch."""
    import httpx

    with httpx.Client(base_url=base_url, timeout=120,
                      headers={"Content-Type": "application/json", **headers}) as client:
        start = time.perf_counter()
        for body in bodies:
            answer = client.post("/api/v1/sync/push", content=body)
            answer.raise_for_status()
            results = answer.json()["results"]
            if any(r["status"] == "rejected" for r in results):
                raise SystemExit(f"push refused: {results[:3]}")
        return time.perf_counter() - start


def main() -> int:
    import argparse
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _result import report
    from sync_push_pull import BATCH, bodies_of, cards, process, uvicorn_bare

    from forms.hlc import HybridClock

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    events = cards(args.events // 2, "ivanov", "bench-device", HybridClock())
    bodies = bodies_of(events, BATCH)
    port, command = uvicorn_bare()
    with process(command, f"http://127.0.0.1:{port}/"):
        seconds = post_batches(f"http://127.0.0.1:{port}", bodies, {})
    rate = len(events) / seconds
    print(f"bare uvicorn endpoint: {len(events)} events in {seconds:.2f} s, {rate:.0f} events/s")
    report("bare uvicorn push", rate, "events/s", cards=len(events))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
