"""The real `safecard-server` process on a loopback port, started cold (tests/e2e,
tests/packaging, tests/sync/test_directory_e2e)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.faults.netutil import free_port

BIN = Path(sys.executable).parent


class Server:
    def __init__(self, url: str, port: int | None, log: Path,
                 env: dict[str, str] | None = None) -> None:
        self.url, self.port, self.log = url, port or free_port(), log
        self.env = os.environ | (env or {})
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        exe = shutil.which("safecard-server", path=str(BIN))
        assert exe, "safecard-server is not installed in this environment"
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [exe, "--database-url", self.url, "--host", "127.0.0.1", "--port",
                 str(self.port)], stdout=log, stderr=log, env=self.env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited: {self.log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{self.address}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        pytest.fail("server did not start in 30 s")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
