"""Every workflow rule and every illegal transition, through the real service and store."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from forms.card import STATES
from forms.config import Config
from forms.errors import Conflict, Forbidden, ValidationFailed
from forms.service import CardService
from forms.store.repo import Store
from forms.workflow import ALLOWED_FROM, legal_operations
from tests.forms.conftest import COMPLAINT, HAZARD, IDEA, FakeClock

Service = Callable[[str], CardService]


def _assessed_hazard(as_user: Service, band: str = "high") -> str:
    card_id = as_user("ivanov").file(HAZARD).card_id
    ratings = {"high": (3, 2, 4, "ok"), "low": (1, 1, 2, "ok")}[band]
    as_user("petrov").assess(card_id, *ratings)
    return card_id


def _through_actions(as_user: Service, card_id: str) -> str:
    action_id, _ = as_user("petrov").add_action(card_id, "Убрать масло", "ivanov", "2026-11-30")
    as_user("ivanov").complete_action(action_id, "Убрано")
    return action_id


def test_a_filed_card_is_routed_by_the_most_specific_rule(as_user: Service,
                                                          store: Store) -> None:
    card = store.card(as_user("ivanov").file(HAZARD).card_id)
    assert card.state == "filed"
    assert card.supervisor == "petrov" and card.routing_rule == "sever-synthesis"
    chem = store.card(as_user("ivanov").file(HAZARD | {"category": "chemicals"}).card_id)
    assert chem.supervisor == "fedorov"


def test_unknown_site_is_accepted_and_goes_to_the_fallback(as_user: Service,
                                                          store: Store) -> None:
    card = store.card(as_user("ivanov").file(HAZARD | {"site": "Новая площадка"}).card_id)
    assert card.fields["site"] == "Новая площадка"
    assert card.supervisor == "kuznetsova"


def test_full_hazard_path_records_every_step_with_actor_and_time(
        as_user: Service, store: Store, clock: FakeClock) -> None:
    card_id = as_user("ivanov").file(HAZARD).card_id
    clock.advance(hours=1)
    as_user("petrov").assess(card_id, 3, 2, 4, "ok", note="Масло с пресса")
    clock.advance(hours=1)
    _through_actions(as_user, card_id)
    assert store.card(card_id).state == "verifying"
    clock.advance(hours=1)
    as_user("petrov").verify(card_id, 1, 1, 1, "ok", effective=True)
    as_user("petrov").close(card_id, "Заменили уплотнение, поставили поддон")
    card = store.card(card_id)
    assert card.state == "closed"
    assert card.resolution == "Заменили уплотнение, поставили поддон"
    assert card.risk_initial and card.risk_initial.band == "high"
    assert card.risk_residual and card.risk_residual.band == "low"
    types = [(h.type, h.actor) for h in card.history]
    assert types == [
        ("card.filed", "ivanov"), ("routed", "ivanov"),
        ("state.changed", "petrov"), ("assessed", "petrov"),
        ("state.changed", "petrov"), ("action.added", "petrov"),
        ("action.updated", "ivanov"), ("state.changed", "ivanov"),
        ("verified", "petrov"), ("state.changed", "petrov"),
    ]
    times = [h.at for h in card.history]
    assert times == sorted(times)


def test_hazard_actions_need_an_assessment_first(as_user: Service) -> None:
    card_id = as_user("ivanov").file(HAZARD).card_id
    with pytest.raises(Conflict) as err:
        as_user("petrov").add_action(card_id, "x", "ivanov", "2026-12-01")
    assert err.value.key == "assess_first"


def test_closing_a_hazard_needs_verification(as_user: Service) -> None:
    card_id = _assessed_hazard(as_user)
    _through_actions(as_user, card_id)
    with pytest.raises(Conflict) as err:
        as_user("petrov").close(card_id, "Сделано")
    assert err.value.key == "verify_first"


def test_high_residual_risk_blocks_closing_until_accepted_with_a_reason(
        as_user: Service, store: Store) -> None:
    card_id = _assessed_hazard(as_user)
    _through_actions(as_user, card_id)
    as_user("petrov").verify(card_id, 3, 2, 4, "ok", effective=True)
    with pytest.raises(Conflict) as err:
        as_user("petrov").close(card_id, "Сделано")
    assert err.value.key == "residual_risk_high"
    as_user("petrov").verify(card_id, 3, 2, 4, "ok", effective=True,
                             acceptance="Замена пресса в плане на 2027 год")
    as_user("petrov").close(card_id, "Временные меры, риск принят")
    assert store.card(card_id).state == "closed"


def test_ineffective_actions_need_a_new_action(as_user: Service, store: Store) -> None:
    card_id = _assessed_hazard(as_user)
    _through_actions(as_user, card_id)
    as_user("petrov").verify(card_id, 1, 1, 1, "ok", effective=False)
    with pytest.raises(Conflict):
        as_user("petrov").close(card_id, "Сделано")
    as_user("petrov").add_action(card_id, "Заменить уплотнение", "ivanov", "2026-12-05")
    assert store.card(card_id).state == "actions"


def test_open_actions_block_closing(as_user: Service) -> None:
    card_id = as_user("morozova").file(COMPLAINT).card_id
    as_user("novikova").add_action(card_id, "Перезвонить клиенту", "morozova", "2026-11-24")
    with pytest.raises(Conflict) as err:
        as_user("novikova").close(card_id, "Перезвонили")
    assert err.value.key == "open_actions"


def test_a_complaint_closes_without_risk_assessment(as_user: Service, store: Store) -> None:
    card_id = as_user("morozova").file(COMPLAINT).card_id
    with pytest.raises(Conflict) as err:
        as_user("novikova").assess(card_id, 1, 1, 1, "ok")
    assert err.value.key == "no_risk_for_kind"
    as_user("novikova").close(card_id, "Извинились, открыли второе окно")
    card = store.card(card_id)
    assert card.state == "closed" and card.acknowledged_at is not None


def test_closing_needs_a_message_for_the_reporter(as_user: Service) -> None:
    card_id = as_user("morozova").file(COMPLAINT).card_id
    with pytest.raises(ValidationFailed):
        as_user("novikova").close(card_id, "   ")


def test_reject_needs_a_reason_and_reopen_brings_it_back(as_user: Service,
                                                        store: Store) -> None:
    card_id = as_user("ivanov").file(IDEA).card_id
    with pytest.raises(ValidationFailed):
        as_user("sokolova").reject(card_id, "")
    as_user("sokolova").reject(card_id, "Уже внедрено в прошлом году")
    assert store.card(card_id).state == "rejected"
    as_user("sokolova").reopen(card_id, "Разметка стёрлась")
    card = store.card(card_id)
    assert card.state == "reopened" and card.reopen_count == 1


@pytest.mark.parametrize("operation", sorted(ALLOWED_FROM))
def test_each_operation_is_refused_from_every_state_it_does_not_allow(operation: str) -> None:
    from forms.card import Card
    from forms.workflow import check_state

    for state in STATES:
        card = Card(id="x", kind="hazard", state=state)
        if state in ALLOWED_FROM[operation]:
            check_state(card, operation)
        else:
            with pytest.raises(Conflict):
                check_state(card, operation)


def test_closed_card_refuses_every_step_but_reopen_and_comment(as_user: Service,
                                                              store: Store) -> None:
    card_id = as_user("morozova").file(COMPLAINT).card_id
    boss = as_user("novikova")
    boss.close(card_id, "Решено")
    for step in (lambda: boss.close(card_id, "ещё раз"), lambda: boss.reject(card_id, "нет"),
                 lambda: boss.acknowledge(card_id),
                 lambda: boss.add_action(card_id, "x", "morozova", "2026-12-01")):
        with pytest.raises(Conflict):
            step()
    before = store.count_events()
    boss.comment(card_id, "Спасибо за сигнал")
    assert store.count_events() == before + 1


def test_roles_are_enforced(as_user: Service) -> None:
    card_id = as_user("ivanov").file(HAZARD).card_id
    with pytest.raises(Forbidden):
        as_user("ivanov").assess(card_id, 3, 3, 3, "ok")
    with pytest.raises(Forbidden):
        as_user("auditor").close(card_id, "x")
    with pytest.raises(Forbidden):
        as_user("auditor").file(HAZARD)


def test_a_refused_step_writes_nothing(as_user: Service, store: Store) -> None:
    card_id = as_user("ivanov").file(HAZARD).card_id
    before = (store.count_events(), store.outbox_count())
    for bad in (lambda: as_user("petrov").assess(card_id, 9, 1, 1, "ok"),
                lambda: as_user("petrov").assess(card_id, 1, 1, 1, "maybe"),
                lambda: as_user("petrov").close(card_id, "x"),
                lambda: as_user("ivanov").assess(card_id, 1, 1, 1, "ok")):
        with pytest.raises((ValidationFailed, Conflict, Forbidden)):
            bad()
    assert (store.count_events(), store.outbox_count()) == before


def test_action_owner_may_report_it_done_but_not_others(as_user: Service) -> None:
    card_id = _assessed_hazard(as_user)
    action_id, _ = as_user("petrov").add_action(card_id, "x", "smirnova", "2026-12-01")
    with pytest.raises(Forbidden):
        as_user("ivanov").complete_action(action_id)
    as_user("smirnova").complete_action(action_id)
    with pytest.raises(Conflict):
        as_user("smirnova").complete_action(action_id)


def test_action_input_is_checked(as_user: Service) -> None:
    card_id = _assessed_hazard(as_user)
    with pytest.raises(ValidationFailed) as err:
        as_user("petrov").add_action(card_id, "", "nobody", "31.12.2026", "urgent")
    assert {e.field for e in err.value.errors} == {"title", "owner", "due", "type"}
    with pytest.raises(ValidationFailed) as err:
        as_user("petrov").add_action(card_id, "x", "ivanov", "2020-01-01")
    assert err.value.errors[0].key == "date_in_past"


def test_legal_operations_offer_only_what_is_allowed(as_user: Service, store: Store,
                                                     config: Config) -> None:
    card = store.card(as_user("ivanov").file(HAZARD).card_id)
    assert set(legal_operations(card, config, "supervisor")) == {
        "acknowledge", "assess", "action", "close", "reject", "comment"}
    assert legal_operations(card, config, "auditor") == []
    complaint = store.card(as_user("morozova").file(COMPLAINT).card_id)
    assert "assess" not in legal_operations(complaint, config, "supervisor")


def test_anonymous_card_carries_no_actor_or_device(as_user: Service, store: Store) -> None:
    filed = as_user("ivanov").file(HAZARD, anonymous=True)
    assert filed.receipt and len(filed.receipt.replace("-", "")) == 20
    events = store.card_events(filed.card_id)
    assert all(e.actor is None and e.device_id is None and e.device_seq is None
               for e in events)
    card = store.card(filed.card_id)
    assert card.reporter is None and card.anonymous
    assert filed.receipt not in str(events)


def test_a_reopened_hazard_must_be_verified_again_before_closing(as_user: Service,
                                                                 store: Store) -> None:
    card_id = _assessed_hazard(as_user)
    _through_actions(as_user, card_id)
    boss = as_user("petrov")
    boss.verify(card_id, 1, 1, 1, "ok", effective=True)
    boss.close(card_id, "Сделано")
    boss.reopen(card_id, "Масло снова течёт")
    card = store.card(card_id)
    assert card.risk_residual is None and card.risk_band == "high"
    with pytest.raises(Conflict) as err:
        boss.close(card_id, "Ещё раз сделано")
    assert err.value.key == "verify_first"
