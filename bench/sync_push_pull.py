"""Benchmark (not a test): push and pull through the real `safecard-server` on loopback,
against raw PostgreSQL and a bare uvicorn JSON endpoint measured in the same run.

    .venv/bin/python bench/sync_push_pull.py [--events 10000] [--pull 100000] [--sqlite]

Figures (each a `BENCH` line for bench/run_all):

- push: `--events` events (card filings and their routing) from a workstation's outbox
  through SyncEngine and SyncClient, batches of 100 — end to end, the workstation's own
  reading and confirming included. Baseline: the same rows INSERTed with psycopg
  executemany in batches of 100, one commit each, into a copy of the events table.
- server push throughput: the same number of other events as ready-made request bodies over
  one keep-alive connection (bench/sync_bare_app.post_batches), against the bare uvicorn
  endpoint of bench/sync_bare_app.py fed the same way; ratio = SafeCard events/s ÷ bare.
- pull fetch: `--pull` events (the pushed ones plus the rest written straight to the log)
  fetched in pages of 1000 and validated by SyncClient.
- pull applied: the same pull through SyncEngine into an empty workstation store, with its
  projection and cursor (the workstation's side; reported, the target is the same 5 s).

PostgreSQL is used when reachable at SAFECARD_TEST_DATABASE_URL (default
postgresql+psycopg:///safecard_test, a throwaway schema), else SQLite (or --sqlite).
BENCH_PROFILE=FILE runs the server under py-spy and writes its raw profile there.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import sqlalchemy as sa
from _process import serving
from _result import report
from sqlalchemy.engine import make_url
from sync_bare_app import post_batches

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
BATCH = p.CLIENT_PUSH_EVENTS
PUSH_TARGET_S = 2.0
PULL_TARGET_S = 5.0
RATIO_TARGET = 0.3


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
def process(args: list[str], health: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    # py-spy writes its profile when interrupted, not when terminated.
    stop = signal.SIGINT if args[0].endswith("py-spy") else signal.SIGTERM
    with serving(args, health, log, cwd=ROOT, timeout=30, stop=stop) as proc:
        yield proc


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
    if engine.dialect.name == "postgresql":  # the statistics a live server's table has
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE events")
    engine.dispose()


def workstation(folder: Path, name: str, config: Config) -> Store:
    path = folder / name
    path.mkdir()
    return Store(f"sqlite:///{path / 'safecard.db'}", config)


def cpu_seconds(proc: subprocess.Popen[bytes]) -> float:
    """CPU time the process has used (Linux), to tell its own cost from the machine's load."""
    try:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bodies_of(events: list[Event], size: int) -> list[bytes]:
    return [p.PushRequest(events=[p.WireEvent.of(e) for e in events[i : i + size]])
            .model_dump_json().encode() for i in range(0, len(events), size)]


def numbered(events: list[Event]) -> list[Event]:
    return [replace(e, device_seq=i) for i, e in enumerate(events, 1)]


def uvicorn_bare() -> tuple[int, list[str]]:
    port = _free_port()
    return port, [sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT / "bench"),
                  "sync_bare_app:app", "--host", "127.0.0.1", "--port", str(port),
                  "--log-level", "warning", "--no-access-log"]


def raw_postgres(url: str, events: list[Event], size: int) -> float | None:
    """Seconds to INSERT the events' rows with psycopg executemany, `size` rows and one
    commit per batch, into an empty copy of the events table (same columns and indexes)."""
    if url.startswith("sqlite"):
        return None
    import psycopg

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    rows = [(e.id, e.card_id, e.type, e.hlc, e.actor, e.device_id, e.device_seq,
             json.dumps(e.payload, ensure_ascii=False), p.event_hash(e)) for e in events]
    with psycopg.connect(conninfo) as conn:
        conn.execute("CREATE TABLE raw_events (LIKE events INCLUDING ALL)")
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cur:
            for i in range(0, len(rows), size):
                cur.executemany(
                    "INSERT INTO raw_events (id, card_id, type, hlc, actor, device_id, "
                    "device_seq, payload, payload_hash) VALUES "
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s)", rows[i : i + size])
                conn.commit()
        seconds = time.perf_counter() - start
        conn.execute("DROP TABLE raw_events")
        conn.commit()
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", "--push", dest="events", type=int, default=10_000,
                        help="events pushed (half filings, half routings)")
    parser.add_argument("--pull", type=int, default=100_000, help="events pulled")
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    config = load_config()
    clock = HybridClock()
    with tempfile.TemporaryDirectory() as tmp, database(args.sqlite, Path(tmp)) as url:
        folder = Path(tmp)
        server = open_server_store(url)
        auth.add_user(server, "ivanov", "staff", PASSWORD)
        server.close()
        mine = cards(args.events // 2, "ivanov", "bench-device", clock)
        theirs = numbered(cards(args.events // 2, "ivanov", "bench-driver", clock))
        seed_server(url, max(0, args.pull - len(mine) - len(theirs)), clock)
        raw_s = raw_postgres(url, mine, BATCH)
        port = _free_port()
        exe = shutil.which("safecard-server", path=str(BIN))
        assert exe, "install the package first: pip install -e '.[test]'"
        serve = [exe, "--database-url", url, "--host", "127.0.0.1", "--port", str(port)]
        if os.environ.get("BENCH_PROFILE"):
            serve = [str(BIN / "py-spy"), "record", "-r", "200", "-f", "raw", "-o",
                     os.environ["BENCH_PROFILE"], "--", *serve]
        bare_port, bare = uvicorn_bare()
        with process(serve, f"http://127.0.0.1:{port}/api/v1/health",
                     folder / "server.log") as safecard, \
                process(bare, f"http://127.0.0.1:{bare_port}/", folder / "bare.log"):
            server_url = f"http://127.0.0.1:{port}"
            writer = workstation(folder, "writer", config)
            for i in range(0, len(mine), 2000):
                writer.append(mine[i : i + 2000], device_id="bench-device")
            client = SyncClient(server_url, timeout=120)
            client.login("ivanov", PASSWORD, "bench-device")
            pusher = SyncEngine(writer, client)
            start = time.perf_counter()
            report_ = SyncReport()
            pusher.push(report_)
            push_s = time.perf_counter() - start
            assert report_.accepted == len(mine), report_

            driver = SyncClient(server_url, timeout=120)
            token = driver.login("ivanov", PASSWORD, "bench-driver").token
            driver.close()
            bodies = bodies_of(theirs, BATCH)
            cpu_before = cpu_seconds(safecard)
            server_s = post_batches(server_url, bodies, {
                "Authorization": f"Bearer {token}",
                p.PROTOCOL_HEADER: str(p.PROTOCOL_VERSION)})
            server_cpu = cpu_seconds(safecard) - cpu_before
            bare_s = post_batches(f"http://127.0.0.1:{bare_port}", bodies, {})

            cpu_before = cpu_seconds(safecard)
            start = time.perf_counter()
            cursor, fetched = None, 0
            while True:
                page = client.pull(cursor, p.PULL_MAX)
                fetched += len(page.events)
                cursor = page.cursor
                if not page.more:
                    break
            fetch_s = time.perf_counter() - start
            fetch_cpu = cpu_seconds(safecard) - cpu_before
            expected = len(mine) + len(theirs) + max(0, args.pull - len(mine) - len(theirs))
            if fetched < expected:  # pulls stop below the oldest open transaction anywhere
                print(f"warning: fetched {fetched} of {expected} events: another session's "
                      f"open transaction holds pg_snapshot_xmin back")

            reader = workstation(folder, "reader", config)
            puller = SyncEngine(reader, client)
            puller.pull_limit = p.PULL_MAX
            start = time.perf_counter()
            report_ = SyncReport()
            puller.pull(report_)
            pull_s = time.perf_counter() - start
            applied = report_.pulled
            client.close()
            writer.close()
            reader.close()
    backend = "sqlite" if url.startswith("sqlite") else "postgresql"
    n, m = len(mine), len(theirs)
    print(f"server database: {backend}")
    print(f"push {n:>7} events: {push_s:6.2f} s {n / push_s:8.0f} events/s  (workstation outbox "
          f"-> server, batches of {BATCH}, role checks, projection)")
    if raw_s is not None:
        print(f"raw  {n:>7} rows:   {raw_s:6.2f} s {n / raw_s:8.0f} rows/s    (psycopg "
              f"executemany, {BATCH} rows and a commit per batch)")
    print(f"server {m:>5} events: {server_s:6.2f} s {m / server_s:8.0f} events/s  (ready-made "
          f"bodies, one connection)")
    per_request = 1000 * server_cpu / len(bodies)
    print(f"       server process CPU: {server_cpu:.2f} s ({per_request:.1f} ms per request; the "
          f"rest of the wall time is waiting for PostgreSQL or a CPU)")
    print(f"bare   {m:>5} events: {bare_s:6.2f} s {m / bare_s:8.0f} events/s  (bare uvicorn "
          f"JSON endpoint, same bodies) -> ratio {bare_s / server_s:.2f}")
    print(f"pull {fetched:>7} events: {fetch_s:6.2f} s {fetched / fetch_s:8.0f} events/s  "
          f"(fetched and validated, pages of {p.PULL_MAX})")
    print(f"       server process CPU: {fetch_cpu:.2f} s")
    print(f"pull {applied:>7} events: {pull_s:6.2f} s {applied / pull_s:8.0f} events/s  "
          f"(applied to a workstation store with its projection)")
    report("sync push", push_s, "s", baseline=None if raw_s is None else
           f"raw PostgreSQL executemany, batches of {BATCH}", baseline_value=raw_s,
           target=f"<= {PUSH_TARGET_S:g} s", met=push_s <= PUSH_TARGET_S, cards=n)
    ratio = bare_s / server_s
    report("sync server push throughput", m / server_s, "events/s",
           baseline="bare uvicorn JSON endpoint", baseline_value=m / bare_s, ratio=ratio,
           target=f">= {RATIO_TARGET:g}x bare", met=ratio >= RATIO_TARGET, cards=m)
    report("sync pull fetch", fetch_s, "s", target=f"<= {PULL_TARGET_S:g} s",
           met=fetch_s <= PULL_TARGET_S, cards=fetched)
    report("sync pull applied", pull_s, "s", target=f"<= {PULL_TARGET_S:g} s",
           met=pull_s <= PULL_TARGET_S, cards=applied)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
