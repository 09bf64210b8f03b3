"""Files cards one by one the way `safecard file` does, printing each acknowledged card.

    python filer.py HOME FIRST LAST

Cards FIRST..LAST-1 are filed through the CLI's own Context and CardService (one process for
many cards: a fresh `safecard file` costs about a second to start). A line `INDEX CARD_ID` is
printed and flushed only after `CardService.file` returned, that is after the commit: a
printed card is one the user was told is saved. The test SIGKILLs this process at random.
"""

from __future__ import annotations

import argparse
import sys

from cli.context import Context

CARD = {"kind": "hazard", "description": "Сняли перила и не вернули", "site": "sever",
        "department": "synthesis", "location": "Резервуар Р-12", "category": "height",
        "work_stopped": True}


def main() -> None:
    home, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ctx = Context(argparse.Namespace(home=home, user="ivanov"))
    service = ctx.service()
    print("ready", flush=True)
    for index in range(first, last):
        filed = service.file(CARD | {"title": f"Карточка {index}"})
        print(index, filed.card_id, flush=True)
    ctx.close()


if __name__ == "__main__":
    main()
