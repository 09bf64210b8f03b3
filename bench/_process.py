"""A server process for a bench: started, waited for until it answers, stopped afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


@contextmanager
def serving(args: list[str], health: str, log: Path, *, cwd: Path | None = None,
            ready: Callable[[httpx.Response], bool] = lambda r: True, timeout: float = 60,
            stop: signal.Signals = signal.SIGTERM, env: dict[str, str] | None = None,
            ) -> Iterator[subprocess.Popen[bytes]]:
    """Run `args` with its output in `log` until `health` answers and `ready` likes it;
    `env`: variables added to this process's environment."""
    with log.open("wb") as sink:
        proc = subprocess.Popen(args, stdout=sink, stderr=subprocess.STDOUT, cwd=cwd,
                                env={**os.environ, **(env or {})})
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"{args[0]} exited:\n{log.read_text()[-2000:]}")
            try:
                if ready(httpx.get(health, timeout=2)):
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{args[0]} did not start within {timeout:.0f} s")
            time.sleep(0.1)
        yield proc
    finally:
        proc.send_signal(stop)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
