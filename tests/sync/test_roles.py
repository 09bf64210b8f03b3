"""Roles are enforced on the server for every event type, against the card's routing.

A forbidden event is rejected alone, with a reason, and nothing of it is stored; an auditor's
push is refused as a whole (403).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from forms import events as ev
from forms import workflow
from forms.card import Card
from forms.config import Config
from forms.errors import Forbidden
from forms.store.repo import Store
from sync.client import SyncClient
from sync.errors import SyncForbidden
from tests.forms.conftest import HAZARD
from tests.sync.conftest import Workstation
from tests.sync.helpers import one, stamp

# ivanov (staff) files at sever/synthesis: routed to petrov → fedorov → kuznetsova.
# sokolova is a supervisor outside that chain; smirnova another member of staff.


@pytest.fixture
def filed(workstation: Callable[[str], Workstation]) -> Workstation:
    ws = workstation("ivanov")
    ws.card_id = ws.service.file(HAZARD).card_id  # type: ignore[attr-defined]
    ws.engine.sync_once()
    return ws


def _push_one(client: SyncClient, event: ev.Event) -> tuple[str, str | None]:
    result = client.push([event]).results[0]
    assert result.id == event.id
    return result.status, result.reason


def _card(ws: Workstation) -> Card:
    return ws.store.card(ws.card_id)  # type: ignore[attr-defined]


def _assess_drafts(card: Card, config: Config) -> list[workflow.Draft]:
    return workflow.assess(card, config, 3, 3, 2, "ok")


WORKFLOW_TYPES = [ev.ASSESSED, ev.VERIFIED, ev.ACTION_ADDED, ev.STATE_CHANGED, ev.FIELD_SET,
                  ev.ROUTED, ev.ATTACHMENT_ADDED]


def _payload(type_: str) -> dict[str, object]:
    return {
        ev.ASSESSED: {"degree": 3, "scale": 3, "frequency": 2, "compliance": "ok",
                      "severity": 3, "likelihood": 2, "score": 6, "band": "medium", "note": ""},
        ev.VERIFIED: {"degree": 1, "scale": 1, "frequency": 1, "compliance": "ok",
                      "severity": 1, "likelihood": 1, "score": 1, "band": "low", "note": "",
                      "effective": True, "acceptance": ""},
        ev.ACTION_ADDED: {"action_id": "a1", "title": "Ограждение", "owner": "ivanov",
                          "due": "2030-01-01", "type": "corrective"},
        ev.STATE_CHANGED: {"from": "filed", "to": "closed", "resolution": "готово"},
        ev.FIELD_SET: {"field": "title", "value": "Другое"},
        ev.ROUTED: {"supervisor": "sokolova", "chain": ["sokolova"], "rule": None},
        ev.ATTACHMENT_ADDED: {"sha256": "0" * 64},
    }[type_]


@pytest.mark.parametrize("type_", [t for t in WORKFLOW_TYPES if t != ev.ATTACHMENT_ADDED])
def test_staff_cannot_push_workflow_events_even_on_own_card(
        filed: Workstation, signed_in: Callable[..., SyncClient], server_store: Store,
        type_: str) -> None:
    client = signed_in("ivanov", "dev-ivanov-0")
    before = server_store.count_events()
    event = one(type_, _payload(type_), filed.card_id, "ivanov", "dev-ivanov-0")
    assert _push_one(client, event) == ("rejected", "forbidden")
    assert server_store.count_events() == before


@pytest.mark.parametrize("type_", WORKFLOW_TYPES)
def test_supervisor_outside_the_chain_cannot_touch_the_card(
        filed: Workstation, signed_in: Callable[..., SyncClient], server_store: Store,
        type_: str) -> None:
    client = signed_in("sokolova")
    before = server_store.count_events()
    event = one(type_, _payload(type_), filed.card_id, "sokolova", "dev-sokolova")
    assert _push_one(client, event) == ("rejected", "forbidden")
    assert server_store.count_events() == before


def test_supervisor_in_the_chain_runs_the_workflow(
        filed: Workstation, signed_in: Callable[..., SyncClient], server_store: Store,
        config: Config) -> None:
    client = signed_in("petrov")
    events = stamp(_assess_drafts(_card(filed), config), filed.card_id, "petrov", "dev-petrov")
    assert [r.status for r in client.push(events).results] == ["accepted", "accepted"]
    assert server_store.card(filed.card_id).state == "assessing"
    assert server_store.card(filed.card_id).risk_initial is not None


def test_escalation_chain_member_may_act_too(
        filed: Workstation, signed_in: Callable[..., SyncClient], server_store: Store) -> None:
    client = signed_in("kuznetsova")  # third in the chain
    event = one(ev.COMMENT_ADDED, {"comment_id": "c1", "text": "Беру на контроль",
                                   "question": False}, filed.card_id, "kuznetsova",
                "dev-kuznetsova")
    assert _push_one(client, event) == ("accepted", None)


def test_admin_may_do_everything(filed: Workstation, signed_in: Callable[..., SyncClient],
                                 config: Config) -> None:
    client = signed_in("admin")
    events = stamp(_assess_drafts(_card(filed), config), filed.card_id, "admin", "dev-admin")
    assert {r.status for r in client.push(events).results} == {"accepted"}


def test_staff_comments_on_own_card_but_not_on_anothers(
        filed: Workstation, signed_in: Callable[..., SyncClient], server_store: Store) -> None:
    payload = {"comment_id": "c1", "text": "Уточнение", "question": False}
    own = one(ev.COMMENT_ADDED, payload, filed.card_id, "ivanov", "dev-ivanov-0")
    assert _push_one(signed_in("ivanov", "dev-ivanov-0"), own) == ("accepted", None)
    before = server_store.count_events()
    other = one(ev.COMMENT_ADDED, payload, filed.card_id, "smirnova", "dev-smirnova")
    assert _push_one(signed_in("smirnova"), other) == ("rejected", "forbidden")
    assert server_store.count_events() == before


def test_staff_completes_own_action_only(
        filed: Workstation, signed_in: Callable[..., SyncClient], server_store: Store,
        config: Config) -> None:
    card = _card(filed)
    boss = signed_in("petrov")
    boss.push(stamp(_assess_drafts(card, config), card.id, "petrov", "dev-petrov"))
    for owner, action_id in (("ivanov", "act-ivanov"), ("smirnova", "act-smirnova")):
        payload = {"action_id": action_id, "title": "Вернуть перила", "owner": owner,
                   "due": "2030-01-01", "type": "corrective"}
        boss.push([one(ev.ACTION_ADDED, payload, card.id, "petrov", "dev-petrov")])
    client = signed_in("ivanov", "dev-ivanov-0")
    done = {"status": "done", "note": "сделано"}
    mine = one(ev.ACTION_UPDATED, {"action_id": "act-ivanov", **done}, card.id, "ivanov",
               "dev-ivanov-0")
    theirs = one(ev.ACTION_UPDATED, {"action_id": "act-smirnova", **done}, card.id, "ivanov",
                 "dev-ivanov-0")
    assert _push_one(client, mine) == ("accepted", None)
    assert _push_one(client, theirs) == ("rejected", "forbidden")
    actions = server_store.card(card.id).actions
    assert actions["act-ivanov"].status == "done" and actions["act-smirnova"].status == "open"


def test_auditor_push_is_refused_as_a_whole(
        filed: Workstation, signed_in: Callable[..., SyncClient], server_store: Store) -> None:
    client = signed_in("auditor")
    before = server_store.count_events()
    event = one(ev.COMMENT_ADDED, {"comment_id": "c", "text": "x", "question": False},
                filed.card_id, "auditor", "dev-auditor")
    with pytest.raises(SyncForbidden) as caught:
        client.push([event])
    assert isinstance(caught.value, Forbidden) and caught.value.exit_code == 4
    assert caught.value.key == "sync_read_only"
    assert server_store.count_events() == before


@pytest.mark.parametrize(("actor", "device", "reason"), [
    ("petrov", "dev-ivanov-0", "actor_mismatch"),
    ("ivanov", "dev-other", "device_mismatch"),
    (None, None, "actor_mismatch"),
])
def test_events_must_be_the_signed_in_users_own(
        filed: Workstation, signed_in: Callable[..., SyncClient], server_store: Store,
        actor: str | None, device: str | None, reason: str) -> None:
    client = signed_in("ivanov", "dev-ivanov-0")
    event = one(ev.COMMENT_ADDED, {"comment_id": "c", "text": "x", "question": False},
                filed.card_id, actor, device)
    assert _push_one(client, event) == ("rejected", reason)


def test_anonymous_cards_are_refused_in_the_signed_in_batch(
        signed_in: Callable[..., SyncClient], server_store: Store) -> None:
    client = signed_in("ivanov")
    payload = {"kind": "hazard", "fields": {"title": "x"}, "anonymous": True,
               "sla_profile": "hazard"}
    event = one(ev.CARD_FILED, payload, "0190f000-0000-7000-8000-00000000000a", "ivanov",
                "dev-ivanov")
    assert _push_one(client, event) == ("rejected", "anonymous_not_here")
    assert server_store.count_events() == 0


def test_a_filing_with_a_source_id_that_is_not_one_line_of_text_is_rejected(
        signed_in: Callable[..., SyncClient], server_store: Store) -> None:
    client = signed_in("ivanov")
    good = {"kind": "safety_idea", "fields": {"title": "x", "proposal": "y", "site": "sever"},
            "anonymous": False, "sla_profile": "safety_idea"}
    for n, bad in enumerate(({"a": 1}, "x" * 201, "a\nb", 7)):
        event = one(ev.CARD_FILED, {**good, "source_id": bad},
                    f"0190f000-0000-7000-8000-00000000010{n}", "ivanov", "dev-ivanov")
        assert _push_one(client, event) == ("rejected", "bad_card"), bad
    event = one(ev.CARD_FILED, {**good, "source_id": "АКТ-17"},
                "0190f000-0000-7000-8000-000000000110", "ivanov", "dev-ivanov")
    assert _push_one(client, event)[0] == "accepted"
    assert server_store.card(event.card_id).source_id == "АКТ-17"


def test_unknown_type_unknown_card_and_unreadable_payload_are_rejected(
        filed: Workstation, signed_in: Callable[..., SyncClient]) -> None:
    client = signed_in("petrov")
    weird = one("card.teleported", {}, filed.card_id, "petrov", "dev-petrov")
    stray = one(ev.COMMENT_ADDED, {"comment_id": "c", "text": "x", "question": False},
                "0190f000-0000-7000-8000-0000000000ff", "petrov", "dev-petrov")
    broken = one(ev.ASSESSED, {"degree": 3}, filed.card_id, "petrov", "dev-petrov")
    results = client.push([weird, stray, broken]).results
    assert [(r.status, r.reason) for r in results] == [
        ("rejected", "unknown_type"), ("rejected", "unknown_card"), ("rejected", "bad_payload")]


def test_a_card_cannot_be_filed_twice(filed: Workstation,
                                      signed_in: Callable[..., SyncClient]) -> None:
    client = signed_in("smirnova")
    payload = {"kind": "hazard", "fields": {"title": "x"}, "anonymous": False,
               "sla_profile": "hazard"}
    event = one(ev.CARD_FILED, payload, filed.card_id, "smirnova", "dev-smirnova")
    assert _push_one(client, event) == ("rejected", "card_exists")
