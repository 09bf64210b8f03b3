"""Load test (not a test): N simulated desktops push and pull against the real `safecard-server`
on PostgreSQL, over loopback, for a bounded time.

    .venv/bin/python bench/load_test.py [--desktops 200] [--duration 180] [--workers 1|2]

Each desktop is one asyncio task with its own user, device and keep-alive connection. It signs
in (backing off on 429 as the real client does), then loops: think 0.5-1.5 s, push 1-5 new
filings (card_filed + routed, built and validated with forms/ exactly as a workstation files
them, with its own HLC and device sequence), then pull from its cursor until `more` is false.
Every answer is checked: a non-200, a timeout or a rejected event counts as an error.

Before the crowd starts, one desktop pushes and pulls alone: its latencies are the baseline
the loaded figures are divided by (same run, same server, same database).

The database: SAFECARD_BENCH_DATABASE_URL (default postgresql+psycopg:///safecard_bench); a
throwaway schema is made in it and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from _process import serving
from _result import report
from sqlalchemy.engine import make_url

from forms import events as ev
from forms.config import Config, load_config
from forms.events import Event
from forms.hlc import HybridClock
from forms.ids import uuid7
from forms.routing import route
from forms.validation import validate_card
from sync import protocol as p

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "load test password"
DEFAULT_DB = "postgresql+psycopg:///safecard_bench"
LOGINS_AT_ONCE = 4
TIMEOUT = 30.0  # the desktop client's own default: a slower answer is an error here too

TEMPLATES: list[dict[str, Any]] = [
    {"kind": "hazard", "title": "Разлито масло у станка", "description": "Скользкий пол",
     "site": "sever", "department": "warehouse", "category": "slips_trips"},
    {"kind": "safety_idea", "title": "Зеркало на перекрёстке",
     "proposal": "Повесить зеркала на перекрёстках", "expected_effect": "Меньше столкновений",
     "site": "sever", "department": "warehouse"},
    {"kind": "complaint", "title": "Долго ждал выдачи", "site": "sever", "cause": "service_quality",
     "emotional_state": "irritated", "account": "Очередь на складе", "outcome": "satisfied"},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def schema(base: str) -> Iterator[str]:
    """A fresh schema in the bench database; the server's URL points its search_path at it."""
    admin = sa.create_engine(base, poolclass=sa.pool.NullPool)
    try:
        admin.connect().close()
    except sa.exc.OperationalError:  # no such database yet: make it (needs CREATEDB)
        subprocess.run(["createdb", make_url(base).database or "safecard_bench"], check=True)
    name = f"load_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={name}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def add_users(url: str, names: list[str]) -> None:
    """The first through the server's own admin code (what `safecard-server add-user` runs);
    the rest share its Argon2id hash (same password), which saves a minute of hashing."""
    from forms.store import syncio
    from sync.server import auth
    from sync.server.db import open_server_store
    from sync.server.models import UserRow

    store = open_server_store(url)
    try:
        auth.add_user(store, names[0], "staff", PASSWORD)
        with syncio.writing(store) as s:
            first = s.get(UserRow, names[0])
            assert first is not None
            s.add_all([UserRow(name=n, role="staff", password_hash=first.password_hash,
                               disabled=False, created_at=first.created_at)
                       for n in names[1:]])
    finally:
        store.close()


@contextmanager
def server(url: str, port: int, workers: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    exe = shutil.which("safecard-server", path=str(BIN))
    assert exe, "install the package first: pip install -e '.[test]'"
    args = [exe, "--database-url", url, "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers)]
    # Every simulated desktop connects from 127.0.0.1, as a site's desktops do through a NAT
    # or a reverse proxy: no bound per address (docs/deployment.md, "Limits").
    with serving(args, f"http://127.0.0.1:{port}/api/v1/health", log, cwd=ROOT,
                 ready=lambda r: r.status_code == 200,
                 env={"SAFECARD_CLIENT_CONNECTIONS": "0"}) as proc:
        yield proc


def family(root: int) -> dict[int, float]:
    """A process and its descendants (uvicorn workers, PostgreSQL backends): pid -> CPU s."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        # utime + stime, + cutime + cstime: children already gone (a backend that ended)
        times[pid] = sum(int(v) for v in fields[11:15]) / tick
    members, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in members} - members
        members |= more
        grew = bool(more)
    return {pid: times.get(pid, 0.0) for pid in members}


def postmaster() -> int | None:
    """The local PostgreSQL's main process (its backends are its children), if it runs here."""
    comm = {}
    for path in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = path.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        comm[int(path.parent.name)] = (name, int(text.rsplit(")", 1)[1].split()[1]))
    return next((pid for pid, (name, parent) in comm.items()
                 if name == "postgres" and comm.get(parent, ("",))[0] != "postgres"), None)


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@dataclass
class Stats:
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)  # one message per kind of error
    pushed: int = 0
    pulled: int = 0
    login_429: int = 0
    server_cpu: float = 0.0
    worker_restarts: int = 0
    pg_cpu: float = 0.0  # every backend of the local PostgreSQL, other users' too
    machine_busy: float = 0.0  # share of all cores busy, whoever used them
    own_cpu: float = 0.0


class Desktop:
    """One workstation: its user, device, clock and sequence, as sync/engine keeps them."""

    def __init__(self, name: str, base: str, config: Config, stats: Stats) -> None:
        self.user = name
        self.device = f"load-{name}"
        self.config = config
        self.stats = stats
        self.clock = HybridClock()
        self.seq = 0
        self.cursor: str | None = None
        self.http = httpx.AsyncClient(
            base_url=base + p.API, timeout=httpx.Timeout(TIMEOUT, connect=5.0),
            headers={p.PROTOCOL_HEADER: str(p.PROTOCOL_VERSION)})

    async def call(self, kind: str, method: str, path: str, **kw: Any) -> httpx.Response | None:
        start = time.perf_counter()
        try:
            answer = await self.http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            self.stats.errors[f"{kind} {type(exc).__name__}"] += 1
            self.stats.samples.setdefault(f"{kind} {type(exc).__name__}",
                                          f"{exc!r} after {time.perf_counter() - start:.1f} s")
            return None
        self.stats.latency[kind].append(time.perf_counter() - start)
        if answer.status_code != 200:
            key = f"{kind} HTTP {answer.status_code}"
            self.stats.errors[key] += 1
            self.stats.samples.setdefault(key, answer.text[:200])
            return None
        return answer

    async def login(self) -> bool:
        body = p.LoginRequest(user=self.user, password=PASSWORD, device_id=self.device)
        while True:
            start = time.perf_counter()
            try:
                answer = await self.http.post("/auth/login", content=body.model_dump_json(),
                                              headers={"Content-Type": "application/json"})
            except httpx.HTTPError as exc:
                self.stats.errors[f"login {type(exc).__name__}"] += 1
                return False
            if answer.status_code == 429:  # the limiter: wait as told, like the desktop does
                self.stats.login_429 += 1
                await asyncio.sleep(float(answer.headers.get("Retry-After", "1"))
                                    + random.random())
                continue
            self.stats.latency["login"].append(time.perf_counter() - start)
            if answer.status_code != 200:
                self.stats.errors[f"login HTTP {answer.status_code}"] += 1
                return False
            token = p.LoginResponse.model_validate_json(answer.content).token
            self.http.headers["Authorization"] = f"Bearer {token}"
            return True

    def filings(self, count: int) -> list[Event]:
        out: list[Event] = []
        for _ in range(count):
            kind, fields = validate_card(dict(random.choice(TEMPLATES)), self.config)
            r = route(kind, fields, self.config)
            card_id = uuid7()
            payload = {"kind": kind, "fields": fields, "anonymous": False,
                       "sla_profile": self.config.kinds[kind].sla_profile}
            for type_, body in ((ev.CARD_FILED, payload),
                                (ev.ROUTED, {"supervisor": r.supervisor, "chain": list(r.chain),
                                             "rule": r.rule_id})):
                self.seq += 1
                out.append(Event(uuid7(), card_id, type_, self.clock.now(), self.user, body,
                                 self.device, self.seq))
        return out

    async def push(self, count: int) -> None:
        events = self.filings(count)
        body = p.PushRequest(events=[p.WireEvent.of(e) for e in events]).model_dump_json()
        answer = await self.call("push", "POST", "/sync/push", content=body,
                                 headers={"Content-Type": "application/json"})
        if answer is None:
            return
        results = json.loads(answer.content)["results"]
        bad = [r for r in results if r["status"] == "rejected"]
        for r in bad:
            self.stats.errors[f"push rejected {r['reason']}"] += 1
        self.stats.pushed += len(results) - len(bad)

    async def pull(self) -> None:
        while True:
            params: dict[str, Any] = {"limit": p.PULL_DEFAULT}
            if self.cursor:
                params["cursor"] = self.cursor
            answer = await self.call("pull", "GET", "/sync/pull", params=params)
            if answer is None:
                return
            page = json.loads(answer.content)
            self.stats.pulled += len(page["events"])
            self.cursor = page["cursor"]
            if not page["more"]:
                return

    async def run(self, until: float, think: float) -> None:
        while True:
            await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))
            if time.monotonic() >= until:
                return
            await self.push(random.randint(1, 5))
            await self.pull()


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


async def baseline(base: str, config: Config, name: str, rounds: int) -> Stats:
    """One desktop alone: the unloaded latency of the same requests."""
    stats = Stats()
    desk = Desktop(name, base, config, stats)
    await desk.login()
    for _ in range(rounds):
        await desk.push(3)
        await desk.pull()
    await desk.http.aclose()
    return stats


async def crowd(base: str, config: Config, names: list[str], duration: float,
                think: float, server_pid: int) -> tuple[Stats, float, float]:
    stats = Stats()
    desks = [Desktop(n, base, config, stats) for n in names]
    # Sign-ins a few at a time: each costs the server an Argon2id hash (~0.5 s of CPU), and a
    # real site's desktops hold 30-day tokens, so shift change is sync traffic, not sign-ins.
    gate = asyncio.Semaphore(LOGINS_AT_ONCE)

    async def login(desk: Desktop) -> bool:
        async with gate:
            return await desk.login()

    start = time.monotonic()
    ok = await asyncio.gather(*(login(d) for d in desks))
    login_s = time.monotonic() - start
    if not all(ok):
        raise SystemExit(f"sign-in failed: {dict(stats.errors)}")
    before, own = family(server_pid), time.process_time()
    pg = postmaster()
    pg_before = sum(family(pg).values()) if pg else 0.0
    busy_before = machine_busy()
    start = time.monotonic()
    until = start + duration
    await asyncio.gather(*(d.run(until, think) for d in desks))
    elapsed = time.monotonic() - start
    after = family(server_pid)
    stats.pg_cpu = (sum(family(pg).values()) - pg_before) if pg else float("nan")
    busy_after = machine_busy()
    stats.machine_busy = ((busy_after[0] - busy_before[0])
                          / max(1, busy_after[1] - busy_before[1]))
    # A worker that died (or that uvicorn killed for missing its health check) is gone.
    stats.worker_restarts = len(set(before) - set(after))
    stats.server_cpu = sum(after.values()) - sum(before.values())  # approx. when restarted
    stats.own_cpu = time.process_time() - own
    await asyncio.gather(*(d.http.aclose() for d in desks))
    return stats, login_s, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--desktops", type=int, default=200)
    parser.add_argument("--duration", type=float, default=180.0, help="seconds of load")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time, seconds")
    args = parser.parse_args()
    # A terminated run still drops its schema and stops its server (the `finally`s).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    base_url = os.environ.get("SAFECARD_BENCH_DATABASE_URL", DEFAULT_DB)
    config = load_config()
    names = [f"desk{i:03d}" for i in range(args.desktops)]
    log = Path(tempfile.mkstemp(prefix="safecard-load-", suffix=".log")[1])
    with schema(base_url) as url:
        t0 = time.perf_counter()
        add_users(url, [*names, "alone"])
        print(f"{args.desktops + 1} users added in {time.perf_counter() - t0:.1f} s")
        port = free_port()
        with server(url, port, args.workers, log) as proc:
            base = f"http://127.0.0.1:{port}"
            alone = asyncio.run(baseline(base, config, "alone", 30))
            stats, login_s, elapsed = asyncio.run(
                crowd(base, config, names, args.duration, args.think, proc.pid))
            alive = proc.poll() is None
    if not alive:
        stats.errors["server died"] += 1
    if stats.worker_restarts:
        stats.errors["server process gone"] += stats.worker_restarts
    # Everything after the "listening" line: warnings, tracebacks of 500s.
    server_log = "\n".join(log.read_text(errors="replace").strip().splitlines()[1:])
    log.unlink()
    errors = sum(stats.errors.values()) + sum(alone.errors.values())
    requests = sum(len(v) for k, v in stats.latency.items() if k != "login")
    print(f"server: safecard-server --workers {args.workers} on PostgreSQL; "
          f"{args.desktops} desktops, {elapsed:.0f} s of load, think {args.think} s")
    print(f"sign-ins before the load: {args.desktops} in {login_s:.1f} s, "
          f"{LOGINS_AT_ONCE} at a time; {stats.login_429} answered 429 (retried after "
          f"Retry-After)")
    print(f"requests: {requests} ({requests / elapsed:.0f}/s), errors: {errors} "
          f"{dict(stats.errors) or ''}")
    print(f"events pushed: {stats.pushed} ({stats.pushed / elapsed:.0f}/s), "
          f"pulled: {stats.pulled} ({stats.pulled / elapsed:.0f}/s)")
    for kind, sample in stats.samples.items():
        print(f"  e.g. {kind}: {sample}")
    print(f"server processes gone during the load: {stats.worker_restarts}")
    if server_log:
        print("server log (last lines):\n  " + "\n  ".join(server_log.splitlines()[-15:]))
    print(f"CPU during the load: server {stats.server_cpu:.0f} s "
          f"({stats.server_cpu / elapsed:.2f} cores), load generator {stats.own_cpu:.0f} s "
          f"({stats.own_cpu / elapsed:.2f} cores), PostgreSQL (all backends) "
          f"{stats.pg_cpu:.0f} s ({stats.pg_cpu / elapsed:.2f} cores); the machine's "
          f"{os.cpu_count()} cores were {stats.machine_busy:.0%} busy (anyone's work)")
    print(f"{'endpoint':<8} {'n':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}   alone p50/p95 ms")
    for kind in ("login", "push", "pull"):
        lat, one = stats.latency[kind], alone.latency[kind]
        print(f"{kind:<8} {len(lat):>7} {pct(lat, 50):8.1f} {pct(lat, 95):8.1f} "
              f"{pct(lat, 99):8.1f}   {pct(one, 50):.1f}/{pct(one, 95):.1f}")
    suffix = "" if args.workers == 1 else f" ({args.workers} workers)"
    push95, alone95 = pct(stats.latency["push"], 95), pct(alone.latency["push"], 95)
    report(f"load p95 push ms{suffix}", push95, "ms", baseline="1 desktop alone, p95",
           baseline_value=alone95, cards=args.desktops)
    report(f"load p95 pull ms{suffix}", pct(stats.latency["pull"], 95), "ms",
           baseline="1 desktop alone, p95", baseline_value=pct(alone.latency["pull"], 95),
           cards=args.desktops)
    report(f"load events/s{suffix}", stats.pushed / elapsed, "events/s", cards=args.desktops)
    report(f"load errors{suffix}", errors, "errors", target="== 0", met=errors == 0,
           cards=args.desktops)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
