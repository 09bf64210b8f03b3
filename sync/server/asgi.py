"""`uvicorn --factory sync.server.asgi:from_env`: one app per worker process, configured by
SAFECARD_DATABASE_URL and SAFECARD_LDAP_* (several stateless workers over one PostgreSQL;
docs/deployment.md)."""

from __future__ import annotations

import os

from fastapi import FastAPI

from sync.server.app import create_app
from sync.server.directory import Directory


def from_env() -> FastAPI:
    return create_app(os.environ["SAFECARD_DATABASE_URL"], directory=Directory.from_env())
