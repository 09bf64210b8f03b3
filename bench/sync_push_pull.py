"""Benchmark (not a test): push 10k events and pull 100k through the real `safecard-server`
on loopback, and the server's push throughput against a bare uvicorn JSON endpoint.

Both servers run as separate processes in the same run; the ratio (SafeCard push events/s ÷
bare endpoint events/s, same batches of 100 over one keep-alive connection) is what to
watch, since absolute times drift on shared machines. PostgreSQL is used when reachable at
SAFECARD_TEST_DATABASE_URL (default postgresql+psycopg:///safecard_test, a throwaway schema),
else SQLite (or force it with --sqlite).

    .venv/bin/python bench/sync_push_pull.py [--push 10000] [--pull 100000] [--sqlite]

The pull figure is end to end: every page fetched, validated, applied to the workstation's
SQLite store with its card projection, and its cursor saved in the same transaction;
"transfer only" fetches and validates the same pages without storing them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from forms import events as ev
from forms.config import Config, load_config
from forms.events import Event
from forms.hlc import HybridClock
from forms.ids import uuid7
from forms.store.models import EventRow
from forms.store.repo import Store
from sync import protocol as p
from sync.client import SyncClient
from sync.engine import SyncEngine, SyncReport
from sync.server import auth
from sync.server.db import open_server_store

BIN = Path(sys.executable).parent
PASSWORD = "bench password"
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def database(force_sqlite: bool, folder: Path) -> Iterator[str]:
    base = os.environ.get("SAFECARD_TEST_DATABASE_URL", "postgresql+psycopg:///safecard_test")
    if not force_sqlite:
        admin = sa.create_engine(base, poolclass=sa.pool.NullPool,
                                 connect_args={"connect_timeout": 3})
        try:
            with admin.begin() as conn:
                schema = f"bench_{uuid.uuid4().hex[:12]}"
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        except Exception as exc:  # no server: fall back to SQLite
            print(f"PostgreSQL not reachable ({type(exc).__name__}); using SQLite")
        else:
            url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
            try:
                yield url.render_as_string(hide_password=False)
            finally:
                with admin.begin() as conn:
                    conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
            return
    yield f"sqlite:///{folder / 'server.db'}"


@contextmanager
def process(args: list[str], health: str) -> Iterator[None]:
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"{args[0]} exited: {proc.stderr.read().decode()}")  # type: ignore[union-attr]
            try:
                httpx.get(health, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"{args[0]} did not start") from None
                time.sleep(0.05)
        yield
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def cards(n_cards: int, user: str | None, device: str | None, clock: HybridClock,
          ) -> list[Event]:
    out = []
    for i in range(n_cards):
        card_id = uuid7()
        fields = {"title": f"Идея {i}", "proposal": "Повесить зеркала на перекрёстках",
                  "expected_effect": "Меньше столкновений", "site": "sever",
                  "department": "warehouse"}
        out.append(Event(uuid7(), card_id, ev.CARD_FILED, clock.now(), user,
                         {"kind": "safety_idea", "fields": fields, "anonymous": False,
                          "sla_profile": "safety_idea"}, device))
        out.append(Event(uuid7(), card_id, ev.ROUTED, clock.now(), user,
                         {"supervisor": "sokolova", "chain": ["sokolova", "petrov"],
                          "rule": "sever-warehouse"}, device))
    return out


def seed_server(url: str, count: int, clock: HybridClock) -> None:
    """Events already on the server (written straight to its log) for the pull to fetch."""
    engine = sa.create_engine(url)
    rows = [dict(id=e.id, card_id=e.card_id, type=e.type, hlc=e.hlc, actor=e.actor,
                 device_id=None, device_seq=None, payload=e.payload,
                 payload_hash=p.event_hash(e))
            for e in cards(count // 2, "kozlov", None, clock)]
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(sa.insert(EventRow), rows[i : i + 5000])
    engine.dispose()


def workstation(folder: Path, name: str, config: Config) -> Store:
    path = folder / name
    path.mkdir()
    return Store(f"sqlite:///{path / 'safecard.db'}", config)


def bare_push(port: int, batches: list[list[Event]]) -> float:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        start = time.perf_counter()
        for batch in batches:
            body = p.PushRequest(events=[p.WireEvent.of(e) for e in batch])
            answer = client.post("/api/v1/sync/push", content=body.model_dump_json().encode(),
                                 headers={"Content-Type": "application/json"})
            p.PushResponse.model_validate_json(answer.content)
        return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--push", type=int, default=10_000)
    parser.add_argument("--pull", type=int, default=100_000)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    config = load_config()
    clock = HybridClock()
    with tempfile.TemporaryDirectory() as tmp, database(args.sqlite, Path(tmp)) as url:
        folder = Path(tmp)
        server = open_server_store(url)
        auth.add_user(server, "ivanov", "staff", PASSWORD)
        server.close()
        seed_server(url, max(0, args.pull - args.push), clock)
        port, bare_port = _free_port(), _free_port()
        exe = shutil.which("safecard-server", path=str(BIN))
        assert exe, "install the package first: pip install -e '.[test]'"
        serve = [exe, "--database-url", url, "--host", "127.0.0.1", "--port", str(port)]
        bare = [sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT / "bench"),
                "sync_bare_app:app", "--host", "127.0.0.1", "--port", str(bare_port),
                "--log-level", "warning", "--no-access-log"]
        with process(serve, f"http://127.0.0.1:{port}/api/v1/health"), \
                process(bare, f"http://127.0.0.1:{bare_port}/"):
            server_url = f"http://127.0.0.1:{port}"
            writer = workstation(folder, "writer", config)
            device = "bench-device"
            mine = cards(args.push // 2, "ivanov", device, clock)
            for i in range(0, len(mine), 2000):
                writer.append(mine[i : i + 2000], device_id=device)
            client = SyncClient(server_url, timeout=120)
            client.login("ivanov", PASSWORD, device)
            pusher = SyncEngine(writer, client)
            start = time.perf_counter()
            report = SyncReport()
            pusher.push(report)
            push_s = time.perf_counter() - start
            assert report.accepted == len(mine), report

            batches = [mine[i : i + p.CLIENT_PUSH_EVENTS]
                       for i in range(0, len(mine), p.CLIENT_PUSH_EVENTS)]
            bare_s = bare_push(bare_port, batches)

            start = time.perf_counter()
            cursor, fetched = None, 0
            while True:
                page = client.pull(cursor, p.PULL_MAX)
                fetched += len(page.events)
                cursor = page.cursor
                if not page.more:
                    break
            transfer_s = time.perf_counter() - start

            reader = workstation(folder, "reader", config)
            puller = SyncEngine(reader, client)
            puller.pull_limit = p.PULL_MAX
            start = time.perf_counter()
            report = SyncReport()
            puller.pull(report)
            pull_s = time.perf_counter() - start
            client.close()
            writer.close()
            reader.close()
    backend = "sqlite" if url.startswith("sqlite") else "postgresql"
    n = len(mine)
    print(f"server database: {backend}")
    print(f"push  {n:>7} events: {push_s:6.2f} s  {n / push_s:8.0f} events/s  "
          f"(batches of {p.CLIENT_PUSH_EVENTS}, role checks, projection)")
    print(f"bare  {n:>7} events: {bare_s:6.2f} s  {n / bare_s:8.0f} events/s  "
          f"(Starlette JSON endpoint, same bodies)")
    print(f"ratio push / bare: {bare_s / push_s:.2f}  (SafeCard reaches this share of a bare "
          f"endpoint's throughput)")
    print(f"pull  {fetched:>7} events: {transfer_s:6.2f} s  {fetched / transfer_s:8.0f} "
          f"events/s  (transfer only, pages of {p.PULL_MAX})")
    print(f"pull  {report.pulled:>7} events: {pull_s:6.2f} s  {report.pulled / pull_s:8.0f} "
          f"events/s  (applied to a workstation store with projection)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
