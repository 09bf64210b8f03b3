"""Bulk import: `safecard import` of N cards against a raw sqlite3 executemany of the same rows.

Generates N cards (a mix of the three kinds) as a JSON Lines file in the card JSON format
(docs/card-json.md) and imports it through the real CLI (`cli.main.main`, in process, its
stdout thrown away) into a fresh home. The baseline then takes every row SafeCard wrote —
events, card projection, actions, outbox, meta and the FTS index — and inserts the very same
rows with plain `sqlite3` executemany into a fresh database of the same schema (the same
indexes), in one transaction, WAL + synchronous=FULL like the store. So the ratio is what
SafeCard's work (parse, validate, route, stamp, fold, projection) costs on top of writing
its rows. Then the same file is imported again: every line is already filed and skipped
(forms/imports.py), against the first import. Not a test: prints its figures.

    .venv/bin/python bench/import_cards.py [--cards 100000]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from _result import report

from cli.main import main as safecard
from forms.home import open_home

TARGET_RATIO = 3.0
RERUN_RATIO = 0.1  # a re-run reads and hashes every line, files none
SITES = ("sever", "yug", "office")
DEPARTMENTS = ("synthesis", "warehouse", "repair", "logistics", "service_desk", "call_centre")
CATEGORIES = ("slips_trips", "height", "machinery", "chemicals", "electrical", "fire",
              "transport", "ppe", "housekeeping", "other")
PLACES = ("Пресс №3", "Склад, ряд 12", "Погрузочная рампа", "Лестница корпуса Б",
          "Зал обслуживания", "Участок окраски")
HAZARDS = ("Разлив масла у пресса", "Не горит аварийное освещение", "Сломан поручень",
           "Загромождён проход", "Нет ограждения у станка", "Искрит розетка")
IDEAS = ("Повесить зеркала на перекрёстках", "Разметить пешеходные дорожки",
         "Поставить дозаторы у входа", "Заменить лампы на светодиодные")


def card(rng: random.Random, i: int) -> dict[str, object]:
    site, department = rng.choice(SITES), rng.choice(DEPARTMENTS)
    roll = rng.random()
    if roll < 0.55:
        return {"kind": "hazard", "title": f"{rng.choice(HAZARDS)} ({i})",
                "description": "Обнаружено при обходе, нужна проверка и меры",
                "site": site, "department": department, "location": rng.choice(PLACES),
                "category": rng.choice(CATEGORIES), "work_stopped": rng.random() < 0.2}
    if roll < 0.85:
        return {"kind": "complaint", "title": f"Жалоба клиента ({i})", "site": site,
                "department": department, "cause": "service_quality",
                "emotional_state": rng.choice(("calm", "irritated")),
                "account": "Клиент ждал 40 минут. Он был раздражён. Я извинилась и помогла.",
                "steps_done": ["empathy", "apology"], "outcome": "satisfied"}
    return {"kind": "safety_idea", "title": f"{rng.choice(IDEAS)} ({i})",
            "proposal": "Предлагаю сделать это на всех участках", "site": site,
            "department": department}


def write_cards(path: Path, n: int) -> None:
    rng = random.Random(8)
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            out.write(json.dumps(card(rng, i), ensure_ascii=False) + "\n")


def run_import(folder: Path, cards: Path) -> tuple[float, float]:
    """Wall and CPU seconds of `safecard import` into an existing, empty home (its store
    made beforehand, as a workstation's is: the migrations are not the import's cost)."""
    home = open_home(folder)
    home.device_id(store := home.open_store())
    store.close()
    args = ["--home", str(folder), "--user", "ivanov", "import", str(cards)]
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
        start, cpu = time.perf_counter(), time.process_time()
        code = safecard(args)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if code != 0:
        raise SystemExit(f"safecard import exited with {code}")
    return elapsed, cpu


def dump(db: Path) -> tuple[list[str], dict[str, tuple[str, list[tuple[object, ...]]]]]:
    """The schema (tables, virtual table, indexes) and every row of a SafeCard store."""
    conn = sqlite3.connect(db)
    shadow = {name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE name LIKE 'cards_fts_%'")}
    schema, rows = [], {}
    for kind, name, sql in conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type DESC"):
        if name in shadow or name.startswith("sqlite_"):
            continue
        schema.append(sql)
        if kind == "table":
            columns = ("rowid, card_id, title, body" if name == "cards_fts" else "*")
            data = conn.execute(f"SELECT {columns} FROM {name}").fetchall()
            width = len(data[0]) if data else 0
            marks = ", ".join("?" * width)
            target = f"{name}(rowid, card_id, title, body)" if name == "cards_fts" else name
            rows[name] = (f"INSERT INTO {target} VALUES ({marks})", data)
    conn.close()
    return schema, rows


def run_raw(db: Path, schema: list[str],
            rows: dict[str, tuple[str, list[tuple[object, ...]]]]) -> tuple[float, float]:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    for sql in schema:
        conn.execute(sql)
    start, cpu = time.perf_counter(), time.process_time()
    conn.execute("BEGIN")
    for sql, data in rows.values():
        if data:
            conn.executemany(sql, data)
    conn.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    conn.close()
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=100_000)
    n = parser.parse_args().cards
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "cards.jsonl"
        write_cards(source, n)
        ours, ours_cpu = run_import(folder / "home", source)
        schema, rows = dump(folder / "home" / "safecard.db")
        again, _again_cpu = run_import(folder / "home", source)  # every line filed: skipped
        raw, raw_cpu = run_raw(folder / "raw.db", schema, rows)
    count = sum(len(data) for _sql, data in rows.values())
    ratio = ours / raw
    print(f"bulk import of {n} cards ({count} rows in all), WAL + synchronous=FULL")
    print(f"  raw sqlite3 executemany, same rows   {raw:8.2f} s   (cpu {raw_cpu:.2f} s)")
    print(f"  safecard import                      {ours:8.2f} s   (cpu {ours_cpu:.2f} s, "
          f"{n / ours:,.0f} cards/s)")
    print(f"  ratio                                {ratio:8.2f}x   target: <= {TARGET_RATIO:g}x")
    report("import cards", ours, "s", baseline="raw sqlite3 executemany, same rows",
           baseline_value=raw, ratio=ratio, target=f"<= {TARGET_RATIO:g}x raw",
           met=ratio <= TARGET_RATIO, cards=n)
    print(f"  the same import again (all skipped)  {again:8.2f} s   "
          f"({again / ours:.3f}x the first; target: <= {RERUN_RATIO:g}x)")
    report("import re-run, all lines filed", again, "s", baseline="the first import",
           baseline_value=ours, target=f"<= {RERUN_RATIO:g}x the first",
           met=again <= RERUN_RATIO * ours, cards=n)


if __name__ == "__main__":
    main()
