"""Pushes from several workstations at once, to the same cards: no event lost, doubled or
refused, and every card's projection equals the fold of its log."""

from __future__ import annotations

import threading
from collections.abc import Callable

from forms import events as ev
from forms.fold import fold
from forms.store.repo import Store
from sync.client import SyncClient
from tests.forms.conftest import IDEA
from tests.sync.conftest import Workstation
from tests.sync.helpers import one


def test_concurrent_pushes_to_the_same_cards(
        workstation: Callable[[str], Workstation], signed_in: Callable[..., SyncClient],
        server_store: Store) -> None:
    author = workstation("ivanov")
    card_ids = [author.service.file(IDEA | {"title": f"Идея {i}"}).card_id for i in range(8)]
    author.engine.sync_once()
    clients = [signed_in("admin", f"dev-admin-{i}") for i in range(4)]
    failures: list[BaseException] = []
    results: list[str] = []

    def work(n: int, client: SyncClient) -> None:
        try:
            for round_ in range(4):
                batch = [one(ev.COMMENT_ADDED, {"comment_id": f"{n}-{round_}-{c}",
                                                "text": f"{n}/{round_}", "question": False},
                             card_id, "admin", f"dev-admin-{n}")
                         for c, card_id in enumerate(card_ids)]
                results.extend(r.status for r in client.push(batch).results)
        except BaseException as exc:  # collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n, c)) for n, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert results == ["accepted"] * (4 * 4 * 8)
    assert server_store.count_events() == 16 + 4 * 4 * 8
    for card_id in card_ids:
        log = server_store.card_events(card_id)
        assert len(server_store.card(card_id).comments) == 16
        assert fold(log, card_id).comments == server_store.card(card_id).comments
