"""Schemathesis against the in-process server's own OpenAPI (bounded, derandomized for CI).

Every operation gets a small number of generated requests, sent with an admin's token and the
protocol header so they reach the handlers and the stored data; the run passes when no answer
is a 5xx and every documented answer matches its response schema.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from forms.config import load_config
from sync import protocol as p
from sync.server import auth, security
from sync.server.app import create_app
from sync.server.db import open_server_store
from tests.sync.conftest import PASSWORD, USERS


@pytest.fixture
def fuzz_app(tmp_path: Path) -> FastAPI:
    store = open_server_store(f"sqlite:///{tmp_path / 'fuzz.db'}")
    for name, role in USERS.items():
        auth.add_user(store, name, role, PASSWORD)
    load_config()
    # A generous limiter: the fuzzer signs in far more often than a person could.
    limiter = security.LoginLimiter(per_user=10_000, overall=10_000)
    app = create_app(store.url, store=store, login_limiter=limiter)
    token, _ = auth.login(store, "admin", PASSWORD, "dev-fuzz")
    app.state.fuzz_headers = {"Authorization": f"Bearer {token}",
                              p.PROTOCOL_HEADER: str(p.PROTOCOL_VERSION)}
    return app


def test_no_server_errors_and_no_schema_violations(fuzz_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    headers = fuzz_app.state.fuzz_headers
    failures: list[str] = []
    operations = 0
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=25, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.generate])
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers,
                                   checks=[not_a_server_error, response_schema_conformance])

        try:
            run()
        except (Exception, BaseExceptionGroup) as failure:  # every operation, all listed
            failures.append(f"{operation.label}: {failure}"[:2000])
    assert operations >= 7
    assert not failures, "\n\n".join(failures)
    assert time.monotonic() - started < 60
