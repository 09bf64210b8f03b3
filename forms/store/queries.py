"""Read-only queries of the desktop's pages that a `CardQuery` list does not express.

They keep what a page reads bounded on a store of 100k cards:
- `list_page`: a page of a card list as the projection's columns (no card JSON decoded); a
  plain search reads the search index once for both its page and its count;
- `deadline_cards`: the open cards whose next deadline comes soonest (the projection's
  `next_due`, indexed), not every open card.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, literal_column, or_, select, text

from forms.card import Card
from forms.serialize import card_from_dict
from forms.store.models import ActionRow, CardRow
from forms.store.repo import SORTABLE, CardQuery, Store, fts_phrase

CLOSED_STATES = ("closed", "rejected", "draft")
FEW_MATCHES = 2000  # below this, sorting the matches beats walking the whole order index


@dataclass(frozen=True)
class ListEntry:
    """What a list row shows of a card, read from the projection's columns."""

    id: str
    title: str
    kind: str
    state: str
    site: str | None
    supervisor: str | None
    risk_band: str | None
    filed_at: datetime | None


_ENTRY_COLUMNS = (CardRow.id, CardRow.title, CardRow.kind, CardRow.state, CardRow.site,
                  CardRow.supervisor, CardRow.risk_band, CardRow.filed_at)


def list_page(store: Store, query: CardQuery, *, limit: int, offset: int = 0,
              sort_by: str = "filed_at", newest_first: bool = True, count: bool = True
              ) -> tuple[list[ListEntry], int | None]:
    """(one page of `Store.list_cards`'s order as entries; with `count`, how many match).

    The page's ids are picked over narrow (key, id) rows first, then only those rows are
    read. A plain search (the search box with no filter) asks the search index once: its
    matches give both the count and the rows the page is picked from.
    """
    column = getattr(CardRow, SORTABLE[sort_by])
    order = (column.desc(), CardRow.id.desc()) if newest_first else (column, CardRow.id)
    needle = (query.search or "").strip()
    plain_search = (store.is_sqlite and len(needle) >= 3
                    and query == CardQuery(search=query.search))
    with store.session() as s:
        total: int | None = None
        if plain_search:
            # Straight from the driver: thousands of bare integers need no result processing.
            driver = s.connection().connection.dbapi_connection
            rowids = [r for (r,) in driver.execute(_FTS_ROWIDS, (fts_phrase(needle),))]
            total = len(rowids)
            # Few matches: look each up and sort them. Many: as in Store._search_clause (`+`),
            # walk the order index and stop at a page rather than sort thousands.
            rowid = literal_column("cards.rowid" if total <= FEW_MATCHES else "+cards.rowid")
            chosen = select(CardRow.id).where(rowid.in_(
                text("SELECT value FROM json_each(:ids)").bindparams(ids=json.dumps(rowids))))
        else:
            chosen = store.selection(query).with_only_columns(CardRow.id)
        page = chosen.order_by(*order).offset(offset).limit(limit).subquery()
        stmt = select(*_ENTRY_COLUMNS).join(page, CardRow.id == page.c.id).order_by(*order)
        entries = [ListEntry(*row) for row in s.execute(stmt)]
    if count and total is None:
        total = store.count_cards(query)
    return entries, total if count else None


_FTS_ROWIDS = "SELECT rowid FROM cards_fts WHERE cards_fts MATCH ?"


def deadline_cards(store: Store, *, limit: int, user: str | None = None
                   ) -> tuple[list[Card], int]:
    """(the `limit` open cards with an unmet deadline, soonest first; how many there are).

    With `user`, only the cards whose deadlines can be theirs: filed by them, supervised by
    them, or with an action they own (DESIGN.md §9, a worker's own deadlines).
    """
    where = [CardRow.next_due.is_not(None), CardRow.state.not_in(CLOSED_STATES)]
    if user is not None:
        where.append(or_(CardRow.reporter == user, CardRow.supervisor == user,
                         CardRow.id.in_(select(ActionRow.card_id)
                                        .where(ActionRow.owner == user))))
    page = (select(CardRow.id).where(*where).order_by(CardRow.next_due, CardRow.id)
            .limit(limit).subquery())
    rows = (select(CardRow.data).join(page, CardRow.id == page.c.id)
            .order_by(CardRow.next_due, CardRow.id))
    with store.session() as s:
        cards = [card_from_dict(data) for data in s.scalars(rows)]
        total = len(cards) if len(cards) < limit else int(
            s.scalar(select(func.count()).select_from(CardRow).where(*where)) or 0)
    return cards, total
