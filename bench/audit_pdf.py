"""Benchmark (not a test): the audit PDF of a 1000-card store against a naive platypus document.

The baseline is what the simplest report of the same cards would cost: one Paragraph for
each card's title, one for its description and one per history line, ReportLab's sample
stylesheet (with the DejaVu font, so both embed the same faces), no tables, no page furniture.
Both are timed in the same run, in CPU seconds (absolute times drift on shared machines; the
ratio does not much), each the best of --repeat runs, and the audit figure includes its store
queries and the event-log digest.

    .venv/bin/python bench/audit_pdf.py [--cards 1000] [--seed 1] [--repeat 3] [--keep DIR]
                                        [--memory]

--memory also writes the audit once in a forked child process and prints that child's peak
resident set size (resource.getrusage) before and after the report, so the growth a report
causes is measured apart from the parent's own memory (try it with --cards 10000).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate
from sqlalchemy import event

from forms.cardjson import history_summary
from forms.config import Config, load_config
from forms.service import CardService
from forms.store.repo import Store
from reports import fonts
from reports.audit import write_audit
from reports.scope import Period, Scope, cards_in_scope, site_timezone

START = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)  # 09:00 in Moscow

REPORTERS = {"sever": ["ivanov", "smirnova"], "yug": ["kozlov"], "office": ["morozova",
                                                                           "volkov"]}
DEPARTMENTS = {"sever": ["synthesis", "warehouse"], "yug": ["repair", "logistics"],
               "office": ["service_desk", "call_centre"]}
HAZARDS = [
    ("Разлив масла у пресса", "На полу масляное пятно, можно поскользнуться.", "slips_trips"),
    ("Нет ограждения на площадке", "Временная площадка на высоте 2 м без перил.", "height"),
    ("Снят защитный кожух станка", "Токарный станок работает без кожуха.", "machinery"),
    ("Протечка кислоты из ёмкости", "Под ёмкостью №4 лужа, запах кислоты.", "chemicals"),
    ("Оголённый провод в щитовой", "Из кабель-канала торчит провод без изоляции.",
     "electrical"),
    ("Заставлен эвакуационный выход", "Поддоны у двери запасного выхода.", "fire"),
    ("Погрузчик ездит без сигнала", "Погрузчик выезжает из-за угла без звукового сигнала.",
     "transport"),
    ("Нет касок у подрядчиков", "Бригада подрядчика работает без касок.", "ppe"),
    ("Мусор в проходе", "Обрезки плёнки и коробки в проходе между стеллажами.",
     "housekeeping"),
]
COMPLAINTS = [
    ("Долгое ожидание в очереди", "service_quality", "irritated"),
    ("Грубость сотрудника на кассе", "staff_behaviour", "aggressive"),
    ("Холодно в зале ожидания", "premises", "calm"),
    ("Бракованный товар", "product_quality", "irritated"),
    ("Спасибо за помощь с заявкой", "other", "calm"),
]
IDEAS = [
    ("Световая сигнализация у ворот", "Маячок над воротами при выезде погрузчика.",
     "Меньше опасных сближений."),
    ("Разметка пешеходных дорожек", "Нанести жёлтую разметку в цехе.", "Люди не идут по "
     "проезду."),
    ("Аптечки на каждом участке", "Повесить аптечки у каждого поста.", "Быстрее первая помощь."),
]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def fill(store: Store, config: Config, cards: int, seed: int) -> None:
    """Demo data if the project has a generator, else cards filed through the service."""
    try:
        from forms.demo import generate  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        _file_cards(store, config, cards, seed)
    else:
        generate(store, config, cards=cards, seed=seed, now=START + timedelta(days=60))


def _file_cards(store: Store, config: Config, cards: int, seed: int) -> None:
    rng = random.Random(seed)
    clock = Clock(START)

    def as_user(user: str | None) -> CardService:
        # A service per call: its hybrid clock must not carry one card's later times over
        # to the next card, which is filed at an earlier moment.
        return CardService(store, config, user=user, device_id="bench", clock=clock)

    def later(hours: float) -> str:
        clock.now += timedelta(hours=hours)
        return (clock.now + timedelta(days=rng.randint(2, 10))).date().isoformat()

    for _ in range(cards):
        # Filed in waking hours, 08:00–20:00 in Moscow, on any day of the month.
        clock.now = START + timedelta(days=rng.randint(0, 29), minutes=rng.randint(-60, 660))
        site = rng.choice(list(REPORTERS))
        reporter = rng.choice(REPORTERS[site])
        department = rng.choice(DEPARTMENTS[site])
        kind = rng.choices(["hazard", "complaint", "safety_idea"], [6, 3, 1])[0]
        data = _card_data(rng, kind, site, department)
        anonymous = kind == "hazard" and rng.random() < 0.15
        card_id = as_user(reporter).file(data, anonymous=anonymous).card_id
        boss = as_user(store.card(card_id).supervisor)
        stage = rng.randint(0, 5)
        if stage == 0:
            continue
        later(rng.uniform(0.5, 6))
        if kind != "hazard":
            boss.comment(card_id, "Связались с заявителем, разбираемся")
            if stage >= 3:
                later(rng.uniform(2, 30))
                boss.close(card_id, "Приняты меры, заявитель проинформирован")
            continue
        boss.assess(card_id, rng.randint(1, 5), rng.randint(1, 5), rng.randint(1, 5),
                    rng.choice(["ok", "ok", "ok", "breach"]))
        if stage == 1:
            continue
        due = later(1)
        action_id, _ = boss.add_action(card_id, "Устранить причину и проинструктировать смену",
                                       reporter, due)
        if stage == 2:
            continue
        later(rng.uniform(4, 100))
        as_user(reporter).complete_action(action_id, "Сделано, фото у мастера")
        if stage == 3:
            continue
        later(rng.uniform(2, 48))
        boss.verify(card_id, 1, 1, rng.randint(1, 2), "ok", effective=True)
        if stage == 5:
            later(1)
            boss.close(card_id, "Причина устранена, смена проинструктирована")


def _card_data(rng: random.Random, kind: str, site: str, department: str) -> dict[str, Any]:
    where = {"site": site, "department": department}
    if kind == "hazard":
        title, description, category = rng.choice(HAZARDS)
        return {"kind": kind, "title": title, "description": description,
                "category": category, "location": f"Участок {rng.randint(1, 12)}", **where}
    if kind == "complaint":
        title, cause, mood = rng.choice(COMPLAINTS)
        return {"kind": kind, "title": title, "cause": cause, "emotional_state": mood,
                "account": "Клиент обратился с претензией. Я выслушала и извинилась. "
                           "Предложила решение, клиент согласился.",
                "steps_done": ["empathy", "apology", "help"],
                "outcome": rng.choice(["satisfied", "dissatisfied", "other"]), **where}
    title, proposal, effect = rng.choice(IDEAS)
    return {"kind": kind, "title": title, "proposal": proposal, "expected_effect": effect,
            **where}


def naive_pdf(store: Store, config: Config, scope: Scope, out: Path) -> int:
    """The baseline: the same cards as flowing paragraphs, nothing else."""
    fonts.register()
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = fonts.SANS_BOLD if style.name.startswith(("Heading", "Title")) \
            else fonts.SANS
    story = []
    for card in cards_in_scope(store, scope):
        f = card.fields
        body = f.get("description") or f.get("account") or f.get("proposal") or ""
        story.append(Paragraph(escape(card.title), styles["Heading3"]))
        story.append(Paragraph(escape(body), styles["BodyText"]))
        for h in card.history:
            line = f"{h.at:%Y-%m-%d %H:%M} {config.user_name(h.actor) or '—'}: " \
                   f"{history_summary(h, config, 'ru')}"
            story.append(Paragraph(escape(line), styles["BodyText"]))
    doc = SimpleDocTemplate(str(out), invariant=1, initialFontName=fonts.SANS)
    doc.build(story)
    return int(doc.page)


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    """Best CPU time (this process: layout and SQLite both run in it) of `repeat` runs.
    CPU time, not wall time: on a shared machine other jobs' load stretches the wall clock
    of whichever side happens to run while they do, and skews the ratio."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.process_time()
        result = run()
        best = min(best, time.process_time() - started)
    return best, result


def peak_rss_of(run: Callable[[], Any]) -> tuple[float, float]:
    """(peak RSS before, peak RSS after) `run()` in a forked child, in MB."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: measure, report through the pipe, exit without cleanup
        os.close(read)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        run()
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        os.write(write, f"{before} {after}".encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        before, after = (int(v) / 1024 for v in pipe.read().split())
    os.waitpid(pid, 0)
    return before, after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the store and PDFs here")
    parser.add_argument("--memory", action="store_true",
                        help="measure the audit's peak RSS in a forked child")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="safecard-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    config = load_config()
    store = Store(f"sqlite:///{folder}/bench.db", config)
    if store.count_cards() == 0:
        # Filing speed is not what this measures: skip the per-commit fsync while filling.
        event.listen(store.engine, "connect",
                     lambda conn, _rec: conn.execute("PRAGMA synchronous=OFF"))
        store.engine.dispose()
        started = time.perf_counter()
        fill(store, config, args.cards, args.seed)
        print(f"filled {store.count_cards()} cards, {store.count_events()} events "
              f"in {time.perf_counter() - started:.1f} s")

    tz = site_timezone(config)
    filed = [c.filed_at for c in store.list_cards(newest_first=False) if c.filed_at]
    first: date = min(filed).astimezone(tz).date()
    last: date = max(filed).astimezone(tz).date()
    scope = Scope(Period(first, last, tz))
    generated_at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    if args.memory:  # first, before this process has grown by making reports itself
        store.engine.dispose()  # the child opens its own connections
        before, after = peak_rss_of(lambda: write_audit(
            store, config, date_from=first, date_to=last, site=None,
            out=folder / "audit-mem.pdf", lang="ru", generated_at=generated_at))
        print(f"audit peak RSS in a fresh child: {before:.0f} MB before, {after:.0f} MB "
              f"after (+{after - before:.0f} MB)")
    audit_s, summary = best_of(args.repeat, lambda: write_audit(
        store, config, date_from=first, date_to=last, site=None, out=folder / "audit.pdf",
        lang="ru", generated_at=generated_at))
    naive_s, naive_pages = best_of(args.repeat, lambda: naive_pdf(
        store, config, scope, folder / "naive.pdf"))

    print(f"cards {summary.cards}, events {summary.events}, period {first} .. {last}")
    print(f"audit report (write_audit): {audit_s:6.2f} s  {summary.pages:5d} pages  "
          f"{(folder / 'audit.pdf').stat().st_size / 1e6:5.1f} MB")
    print(f"naive platypus document:    {naive_s:6.2f} s  {naive_pages:5d} pages  "
          f"{(folder / 'naive.pdf').stat().st_size / 1e6:5.1f} MB")
    print(f"ratio audit / naive: {audit_s / naive_s:.2f}x  "
          f"(per page: {audit_s / summary.pages * 1000:.1f} ms vs "
          f"{naive_s / naive_pages * 1000:.1f} ms)")
    store.close()


if __name__ == "__main__":
    main()
