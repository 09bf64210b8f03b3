"""The real sync server, started often and killed with SIGKILL (tests/e2e/test_fault_*)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.e2e.faults.netutil import free_port

ZYGOTE = Path(__file__).with_name("zygote.py")
ROOT = Path(__file__).resolve().parents[3]


def wait_healthy(address: str, alive: Callable[[], bool], seconds: float = 30.0,
                 client: httpx.Client | None = None) -> None:
    """Poll /health until it answers 200 (a kept client saves ~0.1 s of set-up a poll)."""
    http = client or httpx.Client(timeout=2)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if not alive():
                raise RuntimeError("the server exited while starting")
            try:
                if http.get(f"{address}/api/v1/health").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.01)
        raise RuntimeError(f"the server at {address} did not answer in {seconds} s")
    finally:
        if client is None:
            http.close()


class WarmServer:
    """`safecard-server` processes forked from a warm parent (faults/zygote.py), all on one
    port: start, SIGKILL, start again — about 10× faster than a cold start."""

    def __init__(self, database_url: str, log: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.log = log
        self.pid: int | None = None
        self._http = httpx.Client(timeout=2)
        env = os.environ | {"PYTHONPATH": str(ROOT)}
        self._zygote = subprocess.Popen(
            [sys.executable, str(ZYGOTE), database_url, str(log)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, env=env)

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _alive(self) -> bool:
        if self.pid is None:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def start(self) -> None:
        assert self._zygote.stdin and self._zygote.stdout
        self._zygote.stdin.write(f"{self.port}\n")
        self._zygote.stdin.flush()
        line = self._zygote.stdout.readline()
        if not line:
            raise RuntimeError(f"the warm parent died: {self.log.read_text(errors='replace')}")
        self.pid = int(line)
        wait_healthy(self.address, self._alive, client=self._http)

    def kill(self) -> None:
        """SIGKILL, then wait until the process is gone (the kernel reaps it)."""
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while self._alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        self.pid = None

    def close(self) -> None:
        self.kill()
        self._http.close()
        if self._zygote.poll() is None:
            self._zygote.kill()
            self._zygote.wait(10)
        for stream in (self._zygote.stdin, self._zygote.stdout):
            if stream:
                stream.close()
