"""Push the outbox, pull the log, fetch the configuration; retry with backoff when offline.

Rules (DESIGN.md §7): batches of ≤100 events and ≤512 KB, halved after a timeout; an event
leaves the outbox only when its id is in a valid push response; each pulled page and the
cursor after it are stored in one transaction; exponential backoff with jitter up to five
minutes; stop on 401/403/413/426. Anonymous events (outbox channel "anonymous") are never
pushed here: they go through the drop box, and so their photos are never uploaded here
either: only blobs named by the events of a batch are. `status()` is cheap, for a UI to poll.

Attachments (DESIGN.md §7): before a batch is pushed, every blob its events name is
uploaded from `<home>/blobs/<sha256>.jpg` (HEAD, then PUT when the server lacks it); a
failed upload fails the round before the batch is sent. After a pull, blobs named by pulled
events that this home lacks are fetched (GET), best effort: the ones still missing are kept
in the meta key `sync_blobs_missing` and tried again next round.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from pathlib import Path

from forms import events as ev
from forms import photos
from forms.config import CONFIG_FILES, build_config
from forms.errors import SafeCardError
from forms.events import Event
from forms.store import syncio
from forms.store.repo import Store
from sync import anonymous, errors
from sync import blobs as b
from sync import protocol as p
from sync.client import SyncClient

CURSOR_KEY = "sync_cursor"
LAST_SYNC_KEY = "sync_last_at"
LAST_ERROR_KEY = "sync_last_error"
REJECTED_KEY = "sync_rejected"
CONTIGUOUS_KEY = "sync_device_contiguous"
CONFIG_VERSION_KEY = "sync_config_version"
MISSING_BLOBS_KEY = "sync_blobs_missing"
MAX_BACKOFF = 300.0
FIRST_BACKOFF = 2.0
IDLE_INTERVAL = 30.0
# The event types whose payload can name a blob (sync/blobs.referenced): only these payloads
# are parsed before a push, to upload their photos first.
_NAMING_BLOBS = frozenset({ev.CARD_FILED, ev.ATTACHMENT_ADDED})
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_text = encode_basestring  # a JSON string literal (the C encoder's), as json.dumps makes


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SyncStatus:
    """What the status bar shows: offline — N changes waiting, last sync, last error."""

    offline: bool
    waiting: int
    set_aside: int
    last_sync: datetime | None
    last_error: str | None  # a catalogue key (error.<key>), None after a good sync
    stopped: bool  # a person must act (sign in again, ask an admin)


@dataclass
class SyncReport:
    accepted: int = 0
    known: int = 0
    rejected: int = 0
    pulled: int = 0
    config_changed: bool = False
    blobs_sent: int = 0
    blobs_fetched: int = 0
    blobs_missing: int = 0  # named by pulled events, not on this workstation yet
    anonymous_sent: int = 0  # anonymous cards the drop box accepted this round


class SyncEngine:
    def __init__(self, store: Store, client: SyncClient, *, config_dir: Path | None = None,
                 blobs: Path | None = None, clock: Callable[[], datetime] = utcnow,
                 rng: Callable[[], float] = random.random) -> None:
        self.store = store
        self.client = client
        self.config_dir = config_dir
        # The home's blob folder; by default `blobs/` beside the store's file (forms/home.py).
        self.blobs = blobs if blobs is not None else _blobs_beside(store)
        self._on_server: set[str] = set()  # blobs this engine saw stored, not asked again
        self.clock = clock
        self.rng = rng
        self.batch_events = p.CLIENT_PUSH_EVENTS
        # The largest page the server gives: each page is one durable commit on this side.
        self.pull_limit = p.PULL_MAX
        self._failures = 0
        self._offline = False
        self._stopped = False

    # ---- one round -----------------------------------------------------------------------

    def sync_once(self) -> SyncReport:
        report = SyncReport()
        try:
            self.push(report)
            self.drop_anonymous(report)
            self.pull(report)
            report.config_changed = self.fetch_config()
        except SafeCardError as error:
            self._offline = isinstance(error, errors.SyncUnreachable)
            self._stopped = isinstance(error, errors.FATAL)
            self.store.set_meta(LAST_ERROR_KEY, error.key)
            raise
        self._offline = self._stopped = False
        self._failures = 0
        self.store.set_meta(LAST_SYNC_KEY, self.clock().isoformat())
        self.store.set_meta(LAST_ERROR_KEY, "")
        return report

    def push(self, report: SyncReport) -> None:
        while True:
            wires: list[bytes] = []
            batch = syncio.take(self.store, self.batch_events, partial(_fit, wires=wires))
            if not batch:
                return
            ids = [o.id for o in batch]
            try:
                self.upload_blobs([_event(o) for o in batch if o.type in _NAMING_BLOBS], report)
                answer = self.client.push_wire(wires)
            except errors.SyncUnreachable as error:
                if error.timeout:
                    self.batch_events = max(1, self.batch_events // 2)
                raise
            if not self._settle(ids, answer, report):
                raise errors.not_a_server(self.client.server)
            self.batch_events = min(p.CLIENT_PUSH_EVENTS, self.batch_events * 2)

    def drop_anonymous(self, report: SyncReport) -> None:
        """Anonymous cards whose delay has passed, through the drop box (sync/anonymous.py):
        unsigned, one request per card, never in the push above."""
        sent = anonymous.send_due(self.store, self.client, self.clock(), self.blobs)
        report.anonymous_sent += sent.sent

    def _settle(self, ids: Sequence[str], answer: p.PushResponse,
                report: SyncReport) -> bool:
        """The answer in one transaction: confirmed events leave the outbox, refused ones are
        set aside, and the reasons and the server's contiguous count are kept with them."""
        sent = set(ids)
        done = [r.id for r in answer.results if r.id in sent and r.status != "rejected"]
        refused = {r.id: r.reason or "" for r in answer.results
                   if r.id in sent and r.status == "rejected"}
        meta = {CONTIGUOUS_KEY: str(answer.device_seq_contiguous)}
        if refused:
            earlier = json.loads(self.store.get_meta(REJECTED_KEY) or "{}")
            meta[REJECTED_KEY] = json.dumps(earlier | refused)
        syncio.settle(self.store, done, list(refused), meta)
        report.accepted += sum(1 for r in answer.results if r.status == "accepted")
        report.known += sum(1 for r in answer.results if r.status == "known")
        report.rejected += len(refused)
        return bool(done or refused)

    def pull(self, report: SyncReport) -> None:
        wanted = json.loads(self.store.get_meta(MISSING_BLOBS_KEY) or "[]")
        while True:
            page = self.client.pull(self.store.get_meta(CURSOR_KEY), self.pull_limit)
            events = [w.to_event() for w in page.events]
            # The page's blob names are noted with the page and its cursor, in one
            # transaction: a pull cut before the fetch still fetches them next round.
            lacking = [n for n in b.referenced_by(events) if self._lacks(n)]
            wanted = list(dict.fromkeys([*wanted, *lacking]))
            syncio.apply_page(self.store, events, {CURSOR_KEY: page.cursor,
                                                   MISSING_BLOBS_KEY: json.dumps(wanted)})
            report.pulled += len(events)
            if not page.more:
                break
        self.fetch_blobs(wanted, report)

    # ---- attachments -------------------------------------------------------------------------

    def upload_blobs(self, batch: Sequence[Event], report: SyncReport) -> None:
        """Put every blob the batch names on the server before the batch itself.

        A blob this workstation does not have whole (missing or damaged file) is skipped: the
        server may have it from elsewhere; if not, it refuses the event (`missing_blob`). A
        blob the server refuses (400/413/415) is skipped the same way, so one bad file can't
        stop the sync. A lost connection fails the round: nothing of the batch is sent, and
        the next round asks again (HEAD) and sends what is still missing."""
        for name in b.referenced_by(batch):
            if name in self._on_server or not b.is_name(name) or self.blobs is None:
                continue
            data = _read_blob(self.blobs, name)
            if data is None:
                continue
            if not self.client.has_blob(name):
                try:
                    self.client.put_blob(name, data)
                except (errors.TooLarge, errors.BadInput):
                    continue
                report.blobs_sent += 1
            self._on_server.add(name)

    def fetch_blobs(self, names: Sequence[str], report: SyncReport) -> None:
        """Bring pulled cards' photos home. Best effort: the pull has already been applied,
        so a failure here only leaves the blob for the next round."""
        missing: list[str] = []
        down = False
        for name in names:
            if not self._lacks(name):
                continue
            data = None
            if not down and self.blobs is not None:
                try:
                    data = self.client.get_blob(name)
                except errors.FATAL:
                    raise
                except SafeCardError as error:
                    down = isinstance(error, errors.SyncUnreachable)
            if data is None or self.blobs is None:
                missing.append(name)
                continue
            photos.store_blob(data, self.blobs)
            report.blobs_fetched += 1
        report.blobs_missing = len(missing)
        self.store.set_meta(MISSING_BLOBS_KEY, json.dumps(missing))

    def _lacks(self, name: str) -> bool:
        """A well-formed blob name this home does not have. Files are written whole or not
        at all (forms/photos.py: temp file, then rename), so being there is enough."""
        if not b.is_name(name):
            return False
        return self.blobs is None or not (self.blobs / f"{name}.jpg").is_file()

    def fetch_config(self) -> bool:
        """Keep the server's configuration in the home's config folder (read at startup)."""
        if self.config_dir is None:
            return False
        answer = self.client.config()
        if answer.version == self.store.get_meta(CONFIG_VERSION_KEY):
            return False
        config = build_config(answer.config)  # refuse a broken configuration before writing
        self.config_dir.mkdir(parents=True, exist_ok=True)
        for name in CONFIG_FILES:
            target = self.config_dir / f"{name}.json"
            tmp = target.with_suffix(".tmp")
            tmp.write_text(json.dumps(answer.config[name], ensure_ascii=False, indent=2),
                           "utf-8")
            tmp.replace(target)
        self.store.config = config
        self.store.set_meta(CONFIG_VERSION_KEY, answer.version)
        return True

    # ---- in the background -----------------------------------------------------------------

    def next_delay(self) -> float:
        """Exponential backoff with jitter: 2, 4, 8 … s up to 5 min, each × 0.5–1."""
        ceiling = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** max(0, self._failures - 1))
        return ceiling * (0.5 + self.rng() / 2)

    def run(self, stop: threading.Event, interval: float = IDLE_INTERVAL,
            on_round: Callable[[SyncReport | SafeCardError], None] | None = None) -> None:
        """Sync until `stop` is set or a person must act (signed out, forbidden, too large)."""
        while not stop.is_set():
            try:
                result: SyncReport | SafeCardError = self.sync_once()
                delay = interval
            except errors.FATAL as error:
                if on_round:
                    on_round(error)
                return
            except SafeCardError as error:
                self._failures += 1
                result, delay = error, self.next_delay()
            if on_round:
                on_round(result)
            stop.wait(delay)

    def status(self) -> SyncStatus:
        last = self.store.get_meta(LAST_SYNC_KEY)
        return SyncStatus(
            offline=self._offline,
            waiting=syncio.count(self.store),
            set_aside=syncio.count(self.store, syncio.SET_ASIDE),
            last_sync=datetime.fromisoformat(last) if last else None,
            last_error=self.store.get_meta(LAST_ERROR_KEY) or None,
            stopped=self._stopped,
        )


def _blobs_beside(store: Store) -> Path | None:
    database = store.engine.url.database if store.is_sqlite else None
    if not database or database == ":memory:":
        return None
    return Path(database).parent / "blobs"


def _read_blob(folder: Path, name: str) -> bytes | None:
    """The blob's bytes if this home has it whole (the name is the hash of the bytes)."""
    try:
        data = (folder / f"{name}.jpg").read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == name else None


def wire_json(o: syncio.Outgoing) -> bytes:
    """The event as p.WireEvent's JSON, its stored payload text spliced in as it is."""
    return (f'{{"id":{_text(o.id)},"card_id":{_text(o.card_id)},"type":{_text(o.type)},'
            f'"hlc":{int(o.hlc)},"actor":{_maybe(o.actor)},"device_id":{_maybe(o.device_id)},'
            f'"device_seq":{"null" if o.device_seq is None else int(o.device_seq)},'
            f'"payload":{_utf8_json(o.payload_json)}}}').encode()


def _utf8_json(text: str) -> str:
    """The stored JSON text, with \\u escapes (json.dumps' default for non-ASCII) written
    as UTF-8 instead: the server scans a body holding any \\u escape string by string."""
    return _dumps(json.loads(text)) if "\\u" in text else text


def _maybe(value: str | None) -> str:
    return "null" if value is None else _text(value)


def _fit(batch: list[syncio.Outgoing], wires: list[bytes]) -> int:
    """How many of the batch fit the byte limit (at least one), like _limit_bytes but on the
    bytes that will be sent; those bytes are kept in `wires`."""
    size = 0
    for o in batch:
        wire = wire_json(o)
        size += len(wire)
        if wires and size > p.CLIENT_PUSH_BYTES:
            break
        wires.append(wire)
    return len(wires)


def _event(o: syncio.Outgoing) -> Event:
    return Event(o.id, o.card_id, o.type, o.hlc, o.actor, json.loads(o.payload_json),
                 o.device_id, o.device_seq)


def _limit_bytes(batch: list[Event]) -> list[Event]:
    """Keep the batch under the byte limit (always at least one event)."""
    kept, size = [], 0
    for event in batch:
        size += len(p.WireEvent.of(event).model_dump_json().encode())
        if kept and size > p.CLIENT_PUSH_BYTES:
            break
        kept.append(event)
    return kept
