"""Benchmark (not a test): the sync workload of bench/sync_push_pull.py against two peer sync
servers a site might pick instead of SafeCard's: Kinto (PostgreSQL backend) and pouchdb-server
(the CouchDB API).

    .venv/bin/python bench/peers.py [--events 10000] [--pull 100000] [--only kinto|pouchdb]

Both are installed on demand into bench/.peers/ (gitignored): Kinto with pip into its own
venv, pouchdb-server with npm. Each run starts from an empty store (Kinto: the database
`kinto_bench` on the local PostgreSQL is dropped and made again; pouchdb-server: a fresh
LevelDB folder), then

- push: `--events` records (the same card_filed event JSON SafeCard pushes) in batches of 100
  over one keep-alive connection, one batch after the other, as a workstation sends them —
  Kinto's POST /v1/batch (batch_max_requests raised to 100), CouchDB's POST /db/_bulk_docs;
- pull: `--pull` records (the pushed ones plus the rest seeded beforehand, unmeasured) in
  pages of 1000 — Kinto's records list with `_since`/`_sort=last_modified` following its
  Next-Page links, CouchDB's `_changes?since=&limit=&include_docs=true`.

Every answer is parsed and checked (a record that was not stored fails the run). The figures
are the baselines `bench/run_all` compares SafeCard's push/pull figures with ("vs best peer").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from _process import serving
from _result import report

from forms import events as ev
from forms.events import Event
from forms.hlc import HybridClock
from forms.ids import uuid7
from sync import protocol as p

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / "bench" / ".peers"
KINTO_VENV = PEERS / "kinto-venv"
POUCH_DIR = PEERS / "pouchdb"
KINTO_DB = "kinto_bench"
BATCH = 100
PAGE = 1000
AUTH = ("bench", "bench password")
COLLECTION = "/buckets/bench/collections/events"

KINTO_INI = """\
[server:main]
use = egg:waitress#main
host = 127.0.0.1
port = {port}

[app:main]
use = egg:kinto
kinto.storage_backend = kinto.core.storage.postgresql
kinto.storage_url = postgresql:///{db}
kinto.cache_backend = kinto.core.cache.postgresql
kinto.cache_url = postgresql:///{db}
kinto.permission_backend = kinto.core.permission.postgresql
kinto.permission_url = postgresql:///{db}
kinto.userid_hmac_secret = safecard-bench-not-a-secret
multiauth.policies = basicauth
multiauth.policy.basicauth.use = kinto.core.authentication.BasicAuthAuthenticationPolicy
kinto.bucket_create_principals = system.Authenticated
# Kinto's default is 25 requests per batch; SafeCard pushes 100 events per request.
kinto.batch_max_requests = {batch}

[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = plain

[logger_root]
level = WARNING
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = plain

[formatter_plain]
format = %(levelname)s %(name)s %(message)s
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def short(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 and n >= 1000 else str(n)


def records(count: int) -> list[dict[str, Any]]:
    """The same card_filed events SafeCard pushes, as plain JSON records."""
    clock = HybridClock()
    out = []
    for i in range(count):
        fields = {"title": f"Идея {i}", "proposal": "Повесить зеркала на перекрёстках",
                  "expected_effect": "Меньше столкновений", "site": "sever",
                  "department": "warehouse"}
        event = Event(uuid7(), uuid7(), ev.CARD_FILED, clock.now(), "ivanov",
                      {"kind": "safety_idea", "fields": fields, "anonymous": False,
                       "sla_profile": "safety_idea"}, "bench-device", i + 1)
        out.append(p.WireEvent.of(event).model_dump())
    return out


def run(args: list[str], **kw: Any) -> None:
    subprocess.run(args, check=True, **kw)


@contextmanager
def process(args: list[str], health: str, cwd: Path,
            ready: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200,
            ) -> Iterator[None]:
    with serving(args, health, cwd / "peer.log", cwd=cwd, ready=ready, timeout=60):
        yield


# ---- Kinto ------------------------------------------------------------------------------------

def install_kinto() -> Path:
    exe = KINTO_VENV / "bin" / "kinto"
    if not exe.exists():
        print("installing Kinto into bench/.peers/kinto-venv …", flush=True)
        run([sys.executable, "-m", "venv", str(KINTO_VENV)])
        run([str(KINTO_VENV / "bin" / "pip"), "install", "-q", "kinto[postgresql]"])
    return exe


def fresh_kinto_db(folder: Path, port: int) -> Path:
    subprocess.run(["dropdb", "--if-exists", KINTO_DB], check=True)
    run(["createdb", KINTO_DB])
    ini = folder / "kinto.ini"
    ini.write_text(KINTO_INI.format(port=port, db=KINTO_DB, batch=BATCH))
    run([str(KINTO_VENV / "bin" / "kinto"), "migrate", "--ini", str(ini)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return ini


def seed_kinto(recs: list[dict[str, Any]]) -> None:
    """Unmeasured: straight into Kinto's table (its trigger stamps last_modified as it would)."""
    engine = sa.create_engine(f"postgresql+psycopg:///{KINTO_DB}")
    rows = [{"id": r["id"], "data": json.dumps({k: v for k, v in r.items() if k != "id"})}
            for r in recs]
    insert = sa.text("INSERT INTO objects (id, parent_id, resource_name, data, deleted) "
                     f"VALUES (:id, '{COLLECTION}', 'record', CAST(:data AS jsonb), FALSE)")
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(insert, rows[i : i + 5000])
    engine.dispose()


def kinto(push_recs: list[dict[str, Any]], seed: list[dict[str, Any]]) -> tuple[float, float, int]:
    exe = install_kinto()
    with tempfile.TemporaryDirectory() as tmp:
        folder, port = Path(tmp), free_port()
        ini = fresh_kinto_db(folder, port)
        base = f"http://127.0.0.1:{port}/v1"
        with process([str(exe), "start", "--ini", str(ini), "--port", str(port)],
                     f"{base}/", folder), \
                httpx.Client(base_url=base, auth=AUTH, timeout=120) as http:
            for path in ("/buckets/bench", COLLECTION):
                http.put(path, json={}).raise_for_status()
            seed_kinto(seed)
            start = time.perf_counter()
            for i in range(0, len(push_recs), BATCH):
                body = {"defaults": {"method": "POST", "path": f"{COLLECTION}/records"},
                        "requests": [{"body": {"data": r}} for r in push_recs[i : i + BATCH]]}
                answer = http.post("/batch", json=body)
                answer.raise_for_status()
                codes = {r["status"] for r in answer.json()["responses"]}
                if codes != {201}:
                    raise SystemExit(f"Kinto refused records: {codes}")
            push_s = time.perf_counter() - start

            start = time.perf_counter()
            url: str | None = f"{base}{COLLECTION}/records?_sort=last_modified&_limit={PAGE}"
            fetched = 0
            while url:
                answer = http.get(url)
                answer.raise_for_status()
                fetched += len(answer.json()["data"])
                url = answer.headers.get("Next-Page")
            pull_s = time.perf_counter() - start
    return push_s, pull_s, fetched


# ---- pouchdb-server ---------------------------------------------------------------------------

def install_pouchdb() -> Path:
    exe = POUCH_DIR / "node_modules" / ".bin" / "pouchdb-server"
    if not exe.exists():
        print("installing pouchdb-server into bench/.peers/pouchdb …", flush=True)
        POUCH_DIR.mkdir(parents=True, exist_ok=True)
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm is needed to install pouchdb-server")
        run([npm, "install", "--no-audit", "--no-fund", "pouchdb-server"], cwd=POUCH_DIR,
            stdout=subprocess.DEVNULL)
    return exe


def docs(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"_id": r["id"], **{k: v for k, v in r.items() if k != "id"}} for r in recs]


def bulk(http: httpx.Client, batch: list[dict[str, Any]]) -> None:
    answer = http.post("/bench/_bulk_docs", json={"docs": batch})
    answer.raise_for_status()
    bad = [r for r in answer.json() if not r.get("ok")]
    if bad:
        raise SystemExit(f"pouchdb-server refused documents: {bad[:3]}")


def pouchdb(push_recs: list[dict[str, Any]], seed: list[dict[str, Any]],
            ) -> tuple[float, float, int]:
    exe = install_pouchdb()
    with tempfile.TemporaryDirectory() as tmp:
        folder, port = Path(tmp), free_port()
        base = f"http://127.0.0.1:{port}"
        # LevelDB on disk (pouchdb-server's default store); no request log, like SafeCard's.
        args = [str(exe), "--host", "127.0.0.1", "--port", str(port), "--dir", str(folder),
                "--config", str(folder / "config.json"), "--no-stdout-logs"]
        with process(args, f"{base}/", folder), \
                httpx.Client(base_url=base, timeout=120) as http:
            http.put("/bench").raise_for_status()
            seeded = docs(seed)
            for i in range(0, len(seeded), 1000):
                bulk(http, seeded[i : i + 1000])
            pushed = docs(push_recs)
            start = time.perf_counter()
            for i in range(0, len(pushed), BATCH):
                bulk(http, pushed[i : i + BATCH])
            push_s = time.perf_counter() - start

            start = time.perf_counter()
            since: Any = 0
            fetched = 0
            while True:
                answer = http.get("/bench/_changes", params={
                    "since": since, "limit": PAGE, "include_docs": "true"})
                answer.raise_for_status()
                page = answer.json()
                fetched += len(page["results"])
                since = page["last_seq"]
                if len(page["results"]) < PAGE:
                    break
            pull_s = time.perf_counter() - start
    return push_s, pull_s, fetched


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", "--push", dest="events", type=int, default=10_000)
    parser.add_argument("--pull", type=int, default=100_000)
    parser.add_argument("--only", choices=["kinto", "pouchdb"])
    args = parser.parse_args()
    pull_total = max(args.pull, args.events)
    everything = records(pull_total)
    push_recs, seed = everything[: args.events], everything[args.events :]
    # Kinto's psycopg2 wheel carries its own libpq, whose default socket folder is /tmp.
    if Path("/var/run/postgresql").is_dir():
        os.environ.setdefault("PGHOST", "/var/run/postgresql")
    peers = {"kinto": kinto, "pouchdb": pouchdb}
    for name, bench in peers.items():
        if args.only and name != args.only:
            continue
        push_s, pull_s, fetched = bench(push_recs, seed)
        if fetched != pull_total:
            raise SystemExit(f"{name}: pulled {fetched} records, expected {pull_total}")
        n = len(push_recs)
        print(f"{name:<8} push {n:>7} records: {push_s:7.2f} s {n / push_s:9.0f} records/s "
              f"(batches of {BATCH})")
        print(f"{name:<8} pull {fetched:>7} records: {pull_s:7.2f} s {fetched / pull_s:9.0f} "
              f"records/s (pages of {PAGE})")
        report(f"{name} push {short(n)}", push_s, "s", cards=n)
        report(f"{name} pull {short(fetched)}", pull_s, "s", cards=fetched)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
