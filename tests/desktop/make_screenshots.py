"""Screenshots for docs/screenshots: every screen of the desktop app, in Russian, on demo data.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.desktop.make_screenshots [OUT_DIR]

Uses the demo data generator when there is one; otherwise files a dozen cards through the
service and takes a few of them through the supervisor's workflow.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "ru_RU.UTF-8")

from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop
from PySide6.QtWidgets import QWidget

from desktop.app import application
from desktop.dialogs import ErrorDialog, ReceiptDialog
from desktop.formatting import to_qdate
from desktop.main_window import MainWindow
from desktop.operations import OperationDialog
from forms.config import Config
from forms.errors import Conflict, Damaged
from forms.home import Home, open_home
from forms.service import CardService
from forms.store.repo import CardQuery, Store

SIZE = (1280, 800)
REPO = Path(__file__).resolve().parents[2]

CARDS = [
    ("ivanov", {"kind": "hazard", "title": "Разлив масла у пресса №3",
                "description": "Масляное пятно около метра, проход к пульту идёт через него.",
                "site": "sever", "department": "synthesis", "category": "slips_trips",
                "location": "Цех синтеза, пролёт Б", "work_stopped": True}),
    ("smirnova", {"kind": "hazard", "title": "Стеллаж в проходе без крепления к стене",
                  "description": "Верхний ярус качается, когда снимают коробки.",
                  "site": "sever", "department": "warehouse", "category": "machinery"}),
    ("kozlov", {"kind": "hazard", "title": "Оголённый провод у сварочного поста",
                "description": "Изоляция кабеля повреждена на длине 10 см.",
                "site": "yug", "department": "repair", "category": "electrical"}),
    ("morozova", {"kind": "complaint", "title": "Клиент недоволен сроком ремонта",
                  "site": "office", "department": "service_desk",
                  "cause": "service_quality", "emotional_state": "irritated",
                  "account": "Клиент ждал ремонта три недели вместо одной. Повысил голос. "
                             "Я извинилась и уточнила сроки у мастера.",
                  "steps_done": ["empathy", "apology", "questions"], "outcome": "satisfied"}),
    ("ivanov", {"kind": "safety_idea", "title": "Разметка пешеходных дорожек в цехе",
                "proposal": "Нанести жёлтую разметку вдоль проездов погрузчиков.",
                "expected_effect": "Меньше пересечений людей и техники.",
                "site": "sever", "department": "synthesis"}),
    ("kozlov", {"kind": "hazard", "title": "Нет ограждения на площадке обслуживания крана",
                "description": "Временное ограждение сняли и не вернули.",
                "site": "yug", "department": "repair", "category": "height"}),
    ("volkov", {"kind": "complaint", "title": "Благодарность оператору контакт-центра",
                "site": "office", "department": "call_centre", "sentiment": "positive",
                "cause": "staff_behaviour", "emotional_state": "calm",
                "account": "Клиент позвонил поблагодарить за быстрое решение вопроса.",
                "outcome": "satisfied"}),
    ("smirnova", {"kind": "hazard", "title": "Погрузчик ездит без звукового сигнала",
                  "description": "Сигнал заднего хода не работает вторую смену.",
                  "site": "sever", "department": "warehouse", "category": "transport"}),
    (None, {"kind": "hazard", "title": "Заблокирован запасный выход в складе №2",
            "description": "Выход заставлен паллетами с готовой продукцией.",
            "site": "sever", "department": "warehouse", "category": "fire"}),
    ("ivanov", {"kind": "hazard", "title": "Треснувшие защитные очки в раздаточной",
                "description": "В ячейке выдачи СИЗ три пары очков с трещинами.",
                "site": "sever", "department": "synthesis", "category": "ppe"}),
    ("kozlov", {"kind": "hazard", "title": "Химикаты хранятся без маркировки",
                "description": "Канистры без этикеток стоят у мойки деталей.",
                "site": "yug", "department": "repair", "category": "chemicals"}),
    ("morozova", {"kind": "safety_idea", "title": "Коврик против скольжения у входа",
                  "proposal": "Положить резиновый коврик у входа в зал в сезон дождей.",
                  "site": "office", "department": "service_desk"}),
]


MORE_HAZARDS = [
    ("smirnova", "Порван защитный кожух конвейера", "machinery", "sever", "warehouse"),
    ("kozlov", "Лужа у входа в компрессорную", "slips_trips", "yug", "repair"),
    ("ivanov", "Не работает аварийное освещение в пролёте В", "electrical", "sever",
     "synthesis"),
    ("volkov", "Провода удлинителей через проход у рабочих мест", "slips_trips", "office",
     "call_centre"),
    ("kozlov", "Стремянка с треснувшей ступенью", "height", "yug", "repair"),
    ("smirnova", "Огнетушитель с просроченной поверкой", "fire", "sever", "warehouse"),
    ("ivanov", "Нет перчаток нужного размера", "ppe", "sever", "synthesis"),
    ("morozova", "Тяжёлые коробки хранятся на верхней полке", "housekeeping", "office",
     "service_desk"),
    ("kozlov", "Погрузчик превышает скорость на территории", "transport", "yug", "logistics"),
    ("smirnova", "Скользкая рампа после мойки", "slips_trips", "sever", "warehouse"),
    ("ivanov", "Запах растворителя в операторской", "chemicals", "sever", "synthesis"),
    ("kozlov", "Незакреплённый баллон с аргоном", "chemicals", "yug", "repair"),
    ("volkov", "Неисправный стул оператора", "other", "office", "call_centre"),
    ("smirnova", "Штабель паллет выше разрешённого", "housekeeping", "sever", "warehouse"),
    ("ivanov", "Открытый люк на проезде", "transport", "sever", "synthesis"),
    ("kozlov", "Искрит розетка у верстака", "electrical", "yug", "repair"),
]


def fill_by_hand(store: Store, config: Config, blobs: Path) -> str:
    """Cards filed over the last weeks and some supervisor work; returns a card to show."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    cards = [(user, {"kind": "hazard", "title": title, "description": title + ".",
                     "site": site, "department": department, "category": category})
             for user, title, category, site, department in MORE_HAZARDS] + CARDS
    step = timedelta(days=30) / len(cards)

    def acting(user: str | None, at: datetime) -> CardService:
        return CardService(store, config, user=user, blobs=blobs, clock=lambda: at)

    ids = []
    for i, (user, data) in enumerate(cards):
        filed_at = now - timedelta(days=30) + i * step
        ids.append(acting(user, filed_at).file(data, anonymous=user is None).card_id)
    ids = ids[len(MORE_HAZARDS):]  # the CARDS, by their index above
    first = now - timedelta(days=30) + len(MORE_HAZARDS) * step
    later = [first + timedelta(hours=h) for h in (2, 3, 5, 26, 27, 50)]
    due = (date.today() + timedelta(days=7)).isoformat()
    showcase = ids[0]
    acting("petrov", later[0]).assess(showcase, 3, 2, 4, "ok",
                                      note="Проход используется каждую смену.")
    action_id, _ = acting("petrov", later[1]).add_action(
        showcase, "Засыпать разлив сорбентом, выставить знак", "ivanov",
        later[1].date().isoformat(), "immediate")
    acting("ivanov", later[2]).complete_action(action_id, "Убрано в 10:20")
    acting("petrov", later[3]).add_action(
        showcase, "Заменить уплотнения гидроцилиндра пресса №3", "fedorov", due)
    acting("petrov", later[4]).comment(showcase, "Уплотнения заказаны, поставка в четверг.")
    acting("lebedev", later[5]).assess(ids[2], 4, 3, 4, "breach")
    acting("lebedev", later[5]).assess(ids[5], 5, 2, 3, "breach")
    acting("petrov", later[5]).assess(ids[9], 2, 1, 2, "ok")
    acting("sokolova", later[5]).acknowledge(ids[7])
    hazards = iter(range(len(MORE_HAZARDS)))
    for band_case in ((2, 2, 2, "ok"), (4, 4, 5, "ok"), (3, 3, 2, "ok")):
        card_id = store.list_cards(limit=len(MORE_HAZARDS), newest_first=False)[next(hazards)].id
        acting("petrov", later[5]).assess(card_id, *band_case)
    return showcase


def fill(store: Store, config: Config, blobs: Path) -> str:
    try:
        from forms import demo
    except ImportError:
        return fill_by_hand(store, config, blobs)
    demo.generate(store, config, cards=200, seed=1, now=datetime.now(UTC), blobs=blobs)
    recent = store.list_cards(limit=200)
    # A worked-up hazard whose whole story fits on one screen.
    worked = [c for c in recent if c.kind == "hazard" and c.actions and not c.anonymous
              and c.risk_initial is not None and 8 <= len(c.history) <= 13]
    return (worked or recent)[0].id


def settle(window: MainWindow) -> None:
    """Let the worker finish and its results reach the widgets."""
    for _ in range(20):
        window.ops.wait()
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if not window.ops.busy:
            break
    deadline = QDeadlineTimer(100)
    while not deadline.hasExpired():
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def grab(widget: QWidget, path: Path) -> None:
    widget.grab().save(str(path))
    print(path)


def window_as(home: Home, config: Config, store: Store, user: str) -> MainWindow:
    window = MainWindow(home, config, store, user=user)
    window.resize(*SIZE)
    window.show()
    settle(window)
    return window


def main(out: Path) -> None:
    application()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        home = open_home(folder)
        config = home.config()
        store = home.open_store(config)
        showcase = fill(store, config, home.blobs)
        shots(home, config, store, showcase, out)
        store.close()


def shots(home: Home, config: Config, store: Store, showcase: str, out: Path) -> None:
    window = window_as(home, config, store, "petrov")
    grab(window, out / "inbox.png")
    window.show_section("all")
    settle(window)
    grab(window, out / "main-window.png")
    page = window.list_pages["all"]
    page.filters.set_filter("kind", "hazard")
    page.filters.set_filter("risk_band", "high")
    settle(window)
    grab(window, out / "list-filters.png")
    page.filters.set_filter("kind", None)
    page.filters.set_filter("risk_band", None)

    window.open_card(showcase)
    settle(window)
    grab(window, out / "card-history.png")
    working = next((c for c in store.list_cards(CardQuery(supervisor="petrov", state="actions"))
                    if c.risk_initial is not None), None)
    if working is not None:
        window.open_card(working.id)
        settle(window)
        grab(window, out / "card-actions.png")
        window.open_card(showcase)
        settle(window)
    view = window.card_view
    card = view.card
    assert card is not None
    open_card = store.card(working.id) if working is not None else card
    for operation, name in (("assess", "assess-matrix"), ("action", "add-action"),
                            ("comment", "question-to-reporter")):
        dialog = OperationDialog(operation, open_card, config, window)
        dialog.show()
        settle(window)
        grab(dialog, out / f"{name}.png")
        dialog.close()
    dialog = OperationDialog("verify", card, config, window)
    dialog.matrix.set_values(2, 2, 1, "ok")  # type: ignore[union-attr]
    dialog.show()
    settle(window)
    grab(dialog, out / "verify-matrix.png")
    dialog.close()

    for section, name in (("deadlines", "deadlines"), ("dashboard", "dashboard"),
                          ("settings", "settings")):
        window.show_section(section)
        settle(window)
        grab(window, out / f"{name}.png")
    window.deadlines_page.tabs.setCurrentIndex(2)
    window.show_section("deadlines")
    settle(window)
    grab(window, out / "deadlines-urgent-important.png")

    window.show_section("reports")
    reports = window.reports_page
    reports.date_from.setDate(to_qdate(reports.fmt.today() - timedelta(days=7)))
    reports.make()
    for _ in range(200):
        settle(window)
        if reports.preview.pages:
            break
    grab(window, out / "reports-preview.png")

    try:
        raise Conflict("illegal_transition", operation="close", state="closed")
    except Conflict as exc:
        error = ErrorDialog(exc, window)
    error.show()
    error.details_button.setChecked(True)
    settle(window)
    grab(error, out / "error-dialog.png")
    help_window = error.show_help()
    settle(window)
    grab(help_window, out / "help.png")
    help_window.close()
    error.close()
    damaged = ErrorDialog(Damaged("store_damaged", path=str(home.store_path),
                                  detail="database disk image is malformed"), window)
    damaged.show()
    settle(window)
    grab(damaged, out / "error-damaged-store.png")
    damaged.close()
    window.close()

    staff = window_as(home, config, store, "ivanov")
    grab(staff, out / "my-cards.png")
    staff.show_section("file")
    staff.card_form.set_kind("hazard")
    settle(staff)
    grab(staff, out / "file-card.png")
    staff.card_form.set_kind("complaint")
    settle(staff)
    grab(staff, out / "file-complaint.png")
    staff.card_form.set_kind("hazard")
    staff.card_form.anonymous.setChecked(True)
    settle(staff)
    grab(staff, out / "file-anonymous.png")
    receipt = ReceiptDialog("7K3M-Q9XD-R2PF-W8HN-T4CZ", staff)
    receipt.show()
    settle(staff)
    grab(receipt, out / "receipt.png")
    receipt.close()
    staff.card_form.reset()
    staff.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots")
