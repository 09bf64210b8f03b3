"""`uvicorn --factory sync.server.asgi:from_env`: one app per worker process, configured by
SAFECARD_DATABASE_URL (several stateless workers over one PostgreSQL; docs/deployment.md)."""

from __future__ import annotations

import os

from fastapi import FastAPI

from sync.server.app import create_app


def from_env() -> FastAPI:
    return create_app(os.environ["SAFECARD_DATABASE_URL"])
