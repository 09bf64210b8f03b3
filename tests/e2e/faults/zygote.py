"""A warm parent of `safecard-server` processes, for tests that kill the server many times.

A fresh `safecard-server` takes about 3 s to start on a busy 2-core machine, almost all of it
importing FastAPI, SQLAlchemy and friends; 50 kill/restart rounds would take minutes. This
process imports the server once, then for every line `PORT` on stdin forks a child that runs
the real entry point, `cli.server_main.main`, and prints the child's pid. The child is a
separate OS process, killed with SIGKILL like any other; only the imports were shared.

Usage: python zygote.py DATABASE_URL LOG_FILE
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile


def main() -> None:
    url, log = sys.argv[1], sys.argv[2]
    # Everything the server imports, loaded once (no threads are started by importing), and
    # one app built on a scratch database, which fills the lazy caches (models, migrations).
    import uvicorn  # noqa: F401

    from cli import server_main
    from sync.server.app import create_app

    with tempfile.TemporaryDirectory() as scratch:
        create_app(f"sqlite:///{scratch}/warm.db").state.store.close()

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    for line in sys.stdin:
        port = line.strip()
        if not port:
            continue
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            code = server_main.main(["--database-url", url, "--host", "127.0.0.1",
                                     "--port", port])
            os._exit(code)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
