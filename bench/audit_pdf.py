"""Benchmark (not a test): the audit PDF of a 1000-card store against a naive platypus document.

The baseline is what the simplest report of the same cards costs: ReportLab's sample
stylesheet (with the DejaVu font, so both embed the same faces), one Paragraph per item,
no tables, no page furniture. It prints the same fields as the audit's card sections, in
the same words (title, kind and state, the overview, every field, ratings, outcome, one
line per action and per history entry), so the ratio is what the audit's layout costs, not
how much more it says. The older, thinner baseline (title, main text and history only) is
printed too, without a target. The audit figure includes its store queries, the
deadline checks and the event-log digest; the same-fields baseline includes the deadline
checks it prints. Both are timed in the same run, in CPU seconds (absolute times drift on
shared machines; the ratio does not much), each the best of --repeat runs.

    .venv/bin/python bench/audit_pdf.py [--cards 1000] [--seed 1] [--repeat 3] [--keep DIR]
                                        [--no-memory]

The audit is also written once in a freshly spawned process, whose peak resident set size
(VmHWM) is printed before and after the report, so the growth a report causes
is measured apart from this process's own memory (try it with --cards 10000).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from _result import report
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate
from sqlalchemy import event

from forms.card import Card
from forms.config import Config, load_config
from forms.display import Display
from forms.service import CardService
from forms.store.repo import Store
from reports import fonts, metrics
from reports.audit import write_audit
from reports.scope import Period, Scope, cards_in_scope, site_timezone

START = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)  # 09:00 in Moscow
GENERATED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

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


def naive_pdf(store: Store, config: Config, scope: Scope, out: Path, *,
              judged_at: datetime | None = None) -> int:
    """The baseline: the same cards as flowing paragraphs, nothing else. With `judged_at`,
    every field the audit prints (deadlines judged then); without, the older thin baseline:
    title, main text and history."""
    fonts.register()
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = fonts.SANS_BOLD if style.name.startswith(("Heading", "Title")) \
            else fonts.SANS
    fmt = Display.create(config, "ru")
    story = []
    for card in cards_in_scope(store, scope):
        story.append(Paragraph(escape(card.title), styles["Heading3"]))
        lines = _same_fields(card, fmt, judged_at) if judged_at else _thin(card, fmt)
        story += [Paragraph(escape(line), styles["BodyText"]) for line in lines]
    doc = SimpleDocTemplate(str(out), invariant=1, initialFontName=fonts.SANS)
    doc.build(story)
    return int(doc.page)


def _thin(card: Card, fmt: Display) -> list[str]:
    f = card.fields
    lines = [f.get("description") or f.get("account") or f.get("proposal") or ""]
    lines += [f"{h.at:%Y-%m-%d %H:%M} {fmt.person(h.actor)}: {fmt.history(h, card.kind)}"
              for h in card.history]
    return lines


def _same_fields(card: Card, fmt: Display, judged_at: datetime) -> list[str]:
    """What reports.card_section prints of a card, as "label: value" lines."""
    t = fmt.t
    f = card.fields
    lines = [" · ".join((fmt.kind(card.kind), f"№ {fmt.card_number(card.id)}",
                         fmt.state(card.state, card.kind)))]
    reporter = fmt.actor(None) if card.anonymous else fmt.person(card.reporter)
    lines += [f"{t(k)}: {v}" for k, v in (
        ("report.card.id", card.id),
        ("report.card.site", fmt.label("sites", f.get("site"))),
        ("report.card.department", fmt.label("departments", f.get("department"))),
        ("report.card.filed_at", fmt.moment(card.filed_at)),
        ("report.card.reporter", reporter),
        ("report.card.supervisor", fmt.person(card.supervisor)),
        ("report.card.closed_at", fmt.moment(card.closed_at)))]
    lines += [f"{fmt.label('deadlines', s.deadline.kind)}: {fmt.moment(s.deadline.due)}"
              for s in metrics.deadline_statuses(card, fmt.config, judged_at)
              if s.overdue or s.late]
    kind = fmt.config.kind(card.kind)
    for spec in kind.fields if kind else ():
        if spec.name not in ("title", "site", "department"):
            lines.append(f"{fmt.field(spec.name)}: {fmt.value(spec, f.get(spec.name))}")
    for key, r in (("report.risk.initial", card.risk_initial),
                   ("report.risk.residual", card.risk_residual)):
        if r:
            lines.append(f"{t(key)}: {r.degree} · {r.scale} · {r.frequency} · "
                         f"{fmt.label('compliance', r.compliance)} · {r.score} · "
                         f"{fmt.band(r.band)} {r.note}")
    lines += [v for v in (card.resolution, card.reject_reason) if v]
    lines += [f"{n}. {a.title} {a.note} · {fmt.label('action_types', a.type)} · "
              f"{fmt.person(a.owner)} · {fmt.day(a.due)} · "
              f"{fmt.label('action_status', a.status)} · {fmt.day(a.done_at)}"
              for n, a in enumerate(card.actions.values(), start=1)]
    lines += [f"{fmt.moment(h.at)} {fmt.actor(h.actor)}: "
              f"{fmt.history(h, card.kind)}" for h in card.history]
    return lines


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


def peak_rss_of(db_url: str, first: date, last: date, out: Path) -> tuple[float, float]:
    """(peak RSS before, peak RSS after) writing the audit in a fresh process, in MB.
    Spawned, not forked: a forked child would start with this process's heap, whose free
    space would hide part of what the report allocates."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        before, after = pool.apply(_audit_rss, (db_url, first, last, out))
    return before / 1024, after / 1024


def _audit_rss(db_url: str, first: date, last: date, out: Path) -> tuple[int, int]:
    config = load_config()
    store = Store(db_url, config)
    store.count_cards()  # the connection and its caches are not the report's growth
    fonts.register()
    before = _peak_rss_kb()
    write_audit(store, config, date_from=first, date_to=last, site=None, out=out, lang="ru",
                generated_at=GENERATED_AT)
    store.close()
    return before, _peak_rss_kb()


def _peak_rss_kb() -> int:
    """This process's peak RSS. VmHWM where there is /proc: getrusage's ru_maxrss keeps the
    peak of the process that spawned this one (Linux carries it over exec)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(next(line.split()[1] for line in status.splitlines()
                    if line.startswith("VmHWM:")))


def bench_store(folder: Path, config: Config, cards: int, seed: int) -> Store:
    """The store in `folder`, filled with `cards` demo cards unless a kept one is there."""
    folder.mkdir(parents=True, exist_ok=True)
    store = Store(f"sqlite:///{folder}/bench.db", config)
    if store.count_cards() == 0:
        # Filing speed is not what this measures: skip the per-commit fsync while filling.
        event.listen(store.engine, "connect",
                     lambda conn, _rec: conn.execute("PRAGMA synchronous=OFF"))
        store.engine.dispose()
        started = time.perf_counter()
        fill(store, config, cards, seed)
        print(f"filled {store.count_cards()} cards, {store.count_events()} events "
              f"in {time.perf_counter() - started:.1f} s")
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the store and PDFs here")
    parser.add_argument("--no-memory", dest="memory", action="store_false",
                        help="skip the peak-RSS run in a forked child")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="safecard-bench-"))
    config = load_config()
    store = bench_store(folder, config, args.cards, args.seed)

    tz = site_timezone(config)
    filed = [c.filed_at for c in store.list_cards(newest_first=False) if c.filed_at]
    first: date = min(filed).astimezone(tz).date()
    last: date = max(filed).astimezone(tz).date()
    scope = Scope(Period(first, last, tz))
    generated_at = GENERATED_AT
    cards = len(filed)

    def audit(out: Path) -> Any:
        return write_audit(store, config, date_from=first, date_to=last, site=None, out=out,
                           lang="ru", generated_at=generated_at)

    if args.memory:
        before, after = peak_rss_of(str(store.engine.url), first, last,
                                    folder / "audit-mem.pdf")
        print(f"audit peak RSS in a fresh process: {before:.0f} MB before, {after:.0f} MB "
              f"after (+{after - before:.0f} MB)")
    audit_s, summary = best_of(args.repeat, lambda: audit(folder / "audit.pdf"))
    naive_s, naive_pages = best_of(args.repeat, lambda: naive_pdf(
        store, config, scope, folder / "naive.pdf", judged_at=generated_at))
    thin_s, thin_pages = best_of(args.repeat, lambda: naive_pdf(
        store, config, scope, folder / "naive-thin.pdf"))

    print(f"cards {summary.cards}, events {summary.events}, period {first} .. {last}")
    for name, seconds, pages, pdf in (
            ("audit report (write_audit)", audit_s, summary.pages, "audit.pdf"),
            ("naive, same fields", naive_s, naive_pages, "naive.pdf"),
            ("naive, title/text/history", thin_s, thin_pages, "naive-thin.pdf")):
        print(f"{name:27s} {seconds:6.2f} s  {pages:5d} pages  "
              f"{(folder / pdf).stat().st_size / 1e6:5.1f} MB  "
              f"({seconds / pages * 1000:.1f} ms a page)")
    ratio = audit_s / naive_s
    print(f"ratio audit / naive (same fields): {ratio:.2f}x (target <= 2x); "
          f"audit / naive (title/text/history): {audit_s / thin_s:.2f}x")
    report("audit PDF", audit_s, "s", baseline="naive platypus, same fields",
           baseline_value=naive_s, target="<= 2x naive", met=ratio <= 2, cards=cards)
    report("audit PDF vs thin naive", audit_s, "s",
           baseline="naive platypus, title/text/history", baseline_value=thin_s,
           cards=cards)
    if args.memory:
        report("audit PDF peak RSS growth", after - before, "MB",
               baseline="child RSS before the report", baseline_value=before, cards=cards)
    store.close()


if __name__ == "__main__":
    main()
