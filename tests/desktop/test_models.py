"""CardTableModel: the projection as a lazily loaded Qt table."""

from __future__ import annotations

import pytest

from desktop.models import (
    CARD_ID_ROLE,
    COL_KIND,
    COL_RISK,
    COL_SITE,
    COL_STATE,
    COL_SUPERVISOR,
    COL_TITLE,
    PAGE_SIZE,
    RISK_COLOR_ROLE,
    CardTableModel,
)
from desktop.ops import Ops
from forms.i18n import option_label
from forms.risk import band_color
from forms.service import CardService
from forms.store.repo import CardQuery
from tests.desktop.helpers import hazard

pytestmark = pytest.mark.desktop


@pytest.fixture
def ops(qtbot):
    ops = Ops()
    yield ops
    ops.shutdown()


def test_rows_load_a_page_at_a_time_as_the_view_asks(qtbot, store, config, service, ops):
    for i in range(2 * PAGE_SIZE + 50):
        service.file(hazard(f"Карточка {i}"))
    model = CardTableModel(store, config, ops)
    model.set_query(CardQuery())
    qtbot.waitUntil(lambda: model.rowCount() == PAGE_SIZE)
    assert model.total == 2 * PAGE_SIZE + 50
    assert model.canFetchMore()

    model.fetchMore()
    qtbot.waitUntil(lambda: model.rowCount() == 2 * PAGE_SIZE)
    model.fetchMore()
    qtbot.waitUntil(lambda: model.rowCount() == 2 * PAGE_SIZE + 50)
    assert not model.canFetchMore()
    ids = [model.index(r, 0).data(CARD_ID_ROLE) for r in range(model.rowCount())]
    assert len(set(ids)) == len(ids)  # no page overlaps another
    # newest first
    assert model.index(0, COL_TITLE).data() == f"Карточка {2 * PAGE_SIZE + 49}"


def test_a_reload_keeps_every_row_already_loaded(qtbot, store, config, service, ops):
    for i in range(PAGE_SIZE + 10):
        service.file(hazard(f"Карточка {i}"))
    model = CardTableModel(store, config, ops)
    model.set_query(CardQuery())
    qtbot.waitUntil(lambda: model.rowCount() == PAGE_SIZE)
    model.fetchMore()
    qtbot.waitUntil(lambda: model.rowCount() == PAGE_SIZE + 10)
    service.file(hazard("Новая"))
    with qtbot.waitSignal(model.reloaded):
        model.reload()
    assert model.rowCount() == PAGE_SIZE + 10  # as many as the user had scrolled through
    assert model.total == PAGE_SIZE + 11
    assert model.index(0, COL_TITLE).data() == "Новая"
    assert model.canFetchMore()


def test_search_narrows_the_rows(qtbot, store, config, service, ops):
    service.file(hazard("Оголённый провод в щитовой", category="electrical"))
    service.file(hazard("Скользкий пол у входа"))
    service.file(hazard("Нет перил на лестнице", category="height"))
    model = CardTableModel(store, config, ops)
    model.set_query(CardQuery())
    qtbot.waitUntil(lambda: model.rowCount() == 3)
    model.set_query(CardQuery(search="провод"))
    qtbot.waitUntil(lambda: model.rowCount() == 1)
    assert model.index(0, COL_TITLE).data() == "Оголённый провод в щитовой"


def test_cells_show_catalogue_labels_and_roles_carry_id_and_band_colour(
        qtbot, store, config, service, ops):
    card_id = service.file(hazard()).card_id
    model = CardTableModel(store, config, ops)
    model.set_query(CardQuery())
    qtbot.waitUntil(lambda: model.rowCount() == 1)
    row = lambda column: model.index(0, column)  # noqa: E731
    assert row(COL_KIND).data() == option_label("kinds", "hazard")
    assert row(COL_STATE).data() == option_label("states", "filed")
    assert row(COL_SITE).data() == "Завод «Северный»"
    surname, name, patronymic = config.user_name(store.card(card_id).supervisor).split()
    assert row(COL_SUPERVISOR).data() == f"{surname} {name[0]}. {patronymic[0]}."
    assert row(COL_TITLE).data(CARD_ID_ROLE) == card_id
    assert row(COL_RISK).data(RISK_COLOR_ROLE) is None

    supervisor = CardService(store, config, user="petrov")
    supervisor.assess(card_id, 4, 2, 4, "ok")  # 4 × 4 = 16: high
    with qtbot.waitSignal(model.reloaded):
        model.reload()
    assert row(COL_RISK).data() == option_label("bands", "high")
    assert row(COL_RISK).data(RISK_COLOR_ROLE) == band_color("high", config)
    assert row(COL_RISK).data(RISK_COLOR_ROLE) == "#ef6c00"
