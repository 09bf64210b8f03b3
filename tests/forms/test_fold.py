"""The fold is deterministic: any delivery order of the same events gives the same card."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from forms import events as ev
from forms.events import Event
from forms.fold import fold
from forms.hlc import pack
from forms.serialize import card_from_dict, card_to_dict

CARD = "01a20000-0000-7000-8000-000000000001"
BASE_MS = 1_790_000_000_000


def _event(n: int, type_: str, payload: dict, actor: str | None = "petrov", ms: int = 0) -> Event:
    return Event(id=f"01a20000-0000-7000-8000-{n:012d}", card_id=CARD, type=type_,
                 hlc=pack(BASE_MS + ms, 0), actor=actor, payload=payload)


def _filed(ms: int = 0) -> Event:
    return _event(1, ev.CARD_FILED, {"kind": "hazard", "anonymous": False, "fields": {
        "title": "Разлив масла", "site": "sever", "category": "slips_trips"}},
        actor="ivanov", ms=ms)


def _story() -> list[Event]:
    rating = {"degree": 3, "scale": 2, "frequency": 4, "compliance": "ok", "severity": 3,
              "likelihood": 4, "score": 12, "band": "high"}
    return [
        _filed(),
        _event(2, ev.ROUTED, {"supervisor": "petrov", "chain": ["petrov", "fedorov"],
                              "rule": "r"}, actor="ivanov", ms=1),
        _event(3, ev.STATE_CHANGED, {"from": "filed", "to": "assessing"}, ms=10),
        _event(4, ev.ASSESSED, rating, ms=11),
        _event(5, ev.STATE_CHANGED, {"from": "assessing", "to": "actions"}, ms=20),
        _event(6, ev.ACTION_ADDED, {"action_id": "a1", "title": "Убрать", "owner": "ivanov",
                                    "due": "2026-12-01"}, ms=21),
        _event(7, ev.ACTION_ADDED, {"action_id": "a2", "title": "Поддон", "owner": "smirnova",
                                    "due": "2026-12-02"}, ms=21),  # same instant: id decides
        _event(8, ev.FIELD_SET, {"field": "location", "value": "пресс №3"}, ms=22),
        _event(9, ev.FIELD_SET, {"field": "location", "value": "пресс №4"}, ms=23),
        _event(10, ev.COMMENT_ADDED, {"comment_id": "c1", "text": "Уточните место"}, ms=24),
        _event(11, ev.ACTION_UPDATED, {"action_id": "a1", "status": "done"}, actor="ivanov",
               ms=30),
        # Two supervisors change the state concurrently from the same state: one wins.
        _event(12, ev.STATE_CHANGED, {"from": "actions", "to": "verifying"}, ms=40),
        _event(13, ev.STATE_CHANGED, {"from": "actions", "to": "closed"}, actor="fedorov",
               ms=40),
    ]


@settings(max_examples=200, deadline=None)
@given(st.permutations(_story()))
def test_any_delivery_order_gives_the_same_card(shuffled: list[Event]) -> None:
    assert card_to_dict(fold(shuffled)) == card_to_dict(fold(_story()))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(_story()), min_size=1))
def test_duplicate_deliveries_of_a_subset_fold_like_the_set(events: list[Event]) -> None:
    unique = list({e.id: e for e in events}.values())
    # The store drops duplicate ids before folding; the fold itself must not care about order.
    assert card_to_dict(fold(unique)) == card_to_dict(fold(sorted(unique, key=lambda e: e.id)))


def test_the_losing_concurrent_state_change_is_kept_as_a_conflict_note() -> None:
    card = fold(_story())
    assert card.state == "verifying"  # event 12 sorts before 13 at the same instant
    assert len(card.conflicts) == 1
    assert card.conflicts[0].wanted == "closed"
    assert card.conflicts[0].kept == "verifying"
    assert card.conflicts[0].actor == "fedorov"


def test_fields_are_last_writer_wins_and_actions_never_collide() -> None:
    card = fold(_story())
    assert card.fields["location"] == "пресс №4"
    assert set(card.actions) == {"a1", "a2"}
    assert card.actions["a1"].status == "done"
    assert card.actions["a2"].status == "open"


def test_first_response_is_the_first_step_by_someone_other_than_the_reporter() -> None:
    card = fold(_story())
    assert card.acknowledged_at == _story()[2].at


def test_anonymous_card_has_no_reporter_even_if_an_actor_slipped_in() -> None:
    filed = Event(id="01a20000-0000-7000-8000-000000000099", card_id=CARD, type=ev.CARD_FILED,
                  hlc=pack(BASE_MS, 0), actor=None,
                  payload={"kind": "hazard", "anonymous": True, "fields": {"title": "x"}})
    card = fold([filed])
    assert card.anonymous and card.reporter is None


def test_serialisation_round_trips() -> None:
    card = fold(_story())
    assert card_to_dict(card_from_dict(card_to_dict(card))) == card_to_dict(card)


def test_reopen_clears_the_closing_and_counts() -> None:
    story = [*_story()[:4],
             _event(20, ev.STATE_CHANGED, {"from": "assessing", "to": "closed",
                                           "resolution": "Сделано"}, ms=50),
             _event(21, ev.STATE_CHANGED, {"from": "closed", "to": "reopened"},
                    actor="ivanov", ms=60)]
    card = fold(story)
    assert card.state == "reopened"
    assert card.closed_at is None and card.resolution is None
    assert card.reopen_count == 1
    assert card.reopened_at == story[-1].at
