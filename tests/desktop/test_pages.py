"""Deadlines, dashboard, reports, settings and tray notifications."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidget

from desktop import dashboard_data
from desktop.deadlines_view import bucket, deadline_items, quadrant
from desktop.dialogs import ErrorDialog
from desktop.main_window import MainWindow
from desktop.notifications import decide
from forms import deadlines
from forms.i18n import tr
from forms.service import CardService
from forms.store.repo import CardQuery
from reports import metrics
from tests.desktop.helpers import hazard

pytestmark = pytest.mark.desktop

COMPLAINT = {"kind": "complaint", "title": "Клиент угрожал жалобой в суд", "site": "office",
             "cause": "service_quality", "emotional_state": "aggressive",
             "account": "Клиент повысил голос.", "outcome": "threats"}


def tree_groups(tree: QTreeWidget) -> list[str]:
    return [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]


def test_deadlines_are_grouped_by_due_owner_and_urgency(qtbot, supervisor: MainWindow,
                                                        service, store, config):
    oil = service.file(hazard("Масло на полу", department="synthesis")).card_id
    CardService(store, config, user="petrov").assess(oil, 5, 5, 5, "breach")
    service.file(COMPLAINT)
    cards = store.list_cards(CardQuery(open_only=True))
    now = datetime.now(UTC)
    items = deadline_items(cards, config, now)
    assert items == sorted(items, key=lambda i: (i.due, i.card_id))
    assert all(not i.overdue for i in items)
    later = now + timedelta(days=40)
    late = deadline_items(cards, config, later)
    assert all(bucket(i, later, config.zone) == "overdue" for i in late if i.overdue)
    assert {quadrant(i, config, later) for i in late} == {"urgent_important"}
    idea = service.file({"kind": "safety_idea", "title": "Идея", "proposal": "П.",
                         "site": "sever"}).card_id
    [idea_card] = [c for c in store.list_cards() if c.id == idea]
    idea_items = deadline_items([idea_card], config, now)
    assert {quadrant(i, config, now) for i in idea_items} <= {"urgent", "other"}

    supervisor.show_section("deadlines")
    page = supervisor.deadlines_page
    qtbot.waitUntil(lambda: page.loaded)
    assert page.by_due.topLevelItemCount() >= 1
    page.refresh(now=later)
    qtbot.waitUntil(lambda: page.now == later)
    groups = tree_groups(page.by_due)
    assert groups[0].startswith("Просрочено")
    assert any(g.startswith("Передано выше") for g in groups)
    assert page.by_owner.topLevelItemCount() >= 1
    assert page.quadrants["urgent_important"].count() == len(late)
    assert "Просрочено:" in page.summary.text()


def test_a_worker_sees_only_the_deadlines_of_their_own_cards_and_actions(
        qtbot, window_as, service, store, config):
    mine = service.file(hazard("Моя", department="synthesis")).card_id
    other = CardService(store, config, user="smirnova").file(hazard("Чужая")).card_id
    supervisor = CardService(store, config, user="sokolova")
    supervisor.assess(other, 2, 2, 2, "ok")
    supervisor.add_action(other, "Убрать", "ivanov",
                          (date.today() + timedelta(days=2)).isoformat())
    staff = window_as("ivanov")
    staff.show_section("deadlines")
    page = staff.deadlines_page
    qtbot.waitUntil(lambda: page.loaded)
    assert {i.card_id for i in page.items} == {mine, other}
    assert all(i.card_id == mine or i.owner == "ivanov" for i in page.items)
    assert not page.quadrants  # the urgent/important grid is for supervisors


def test_the_dashboard_shows_the_figures_of_reports_metrics(qtbot, supervisor: MainWindow,
                                                            service, store, config):
    service.file(hazard("Масло", department="synthesis"))
    service.file(hazard("Масло снова", department="synthesis"))
    service.file(COMPLAINT)
    service.file({**COMPLAINT, "title": "Спасибо", "sentiment": "positive"})
    supervisor.show_section("dashboard")
    page = supervisor.dashboard_page
    qtbot.waitUntil(lambda: page.data is not None)
    figures = metrics.summarize(store.list_cards(), config, datetime.now(UTC))
    assert page.tiles["cards"].text() == str(figures.cards) == "4"
    assert figures.loyalty.value == 0
    assert page.tiles["loyalty"].text() == "0,00"  # one praise, one complaint; as the PDFs
    assert [b[1] for b in page.charts["kind"].bars] == list(figures.by_kind.values())
    assert all(label and not label.startswith(("hazard", "complaint"))
               for label, _v, _c in page.charts["kind"].bars)  # labels, not codes
    assert "<b>2 карточки</b>" in page.recurring.text()  # the two oil spills at one place


def test_the_dashboard_counts_its_months_and_every_open_overdue_card(
        qtbot, supervisor: MainWindow, service, store, config):
    """Figures of the cards filed in the trend's months; the overdue tile over all of them."""
    old = CardService(store, config, user="ivanov",
                      clock=lambda: datetime.now(UTC) - timedelta(days=400))
    old.file(hazard("Давняя опасность", department="synthesis"))
    service.file(hazard("Свежая", department="synthesis"))
    supervisor.show_section("dashboard")
    page = supervisor.dashboard_page
    assert page.note.text() == "Считаю сводку…"
    qtbot.waitUntil(lambda: page.data is not None)
    assert page.tiles["cards"].text() == "1"
    assert page.tiles["open_overdue"].text() == "1"  # the old card, filed a year ago
    assert page.note.text().startswith("Карточки, поданные с ")


def test_a_dashboard_over_many_cards_is_computed_in_a_child_process(
        qtbot, supervisor: MainWindow, service, monkeypatch):
    monkeypatch.setattr(dashboard_data, "ISOLATE_OVER", 0)
    service.file(hazard("Масло", department="synthesis"))
    service.file(hazard("Масло снова", department="synthesis"))
    supervisor.show_section("dashboard")
    page = supervisor.dashboard_page
    qtbot.waitUntil(lambda: page.data is not None, timeout=60000)
    assert page.job is not None and page.job.process.returncode == 0  # it ran, and ended
    assert page.tiles["cards"].text() == "2"
    assert "<b>2 карточки</b>" in page.recurring.text()


def test_closing_the_window_ends_a_dashboard_still_computing(qtbot, service, store, config,
                                                             monkeypatch):
    monkeypatch.setattr(dashboard_data, "ISOLATE_OVER", -1)
    job = dashboard_data.Isolated()
    outcome: list[BaseException | object] = []

    def run() -> None:
        try:
            outcome.append(job.run(store, config, datetime.now(UTC)))
        except BaseException as exc:  # the test looks at what it was
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    qtbot.waitUntil(lambda: job.process is not None, timeout=30000)
    job.cancel()
    worker.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], dashboard_data.Cancelled)
    assert job.process.returncode not in (None, 0)  # killed, not finished


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="preview needs poppler")
def test_an_auditor_makes_an_audit_report_and_previews_it(qtbot, window_as, service, tmp_path):
    service.file(hazard())
    auditor = window_as("auditor")
    auditor.show_section("reports")
    page = auditor.reports_page
    page.date_from.setDate(date.today() - timedelta(days=3))
    page.make()
    assert page.progress.isVisible() and not page.make_button.isEnabled()
    with qtbot.waitSignal(page.finished, timeout=20000) as done:
        pass
    pdf = done.args[0]
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")
    preview = page.preview
    assert preview.pages and preview.image.pixmap() is not None
    assert preview.page_label.text().startswith("Стр. 1 из ")
    preview.go(len(preview.pages) - 1)
    assert not preview.next.isEnabled()
    preview.save(tmp_path / "copy.pdf")
    assert (tmp_path / "copy.pdf").read_bytes() == pdf.read_bytes()


def test_settings_save_language_user_server_and_show_the_local_sync_status(
        qtbot, window_as, home, service):
    service.file(hazard())
    window = window_as("petrov")
    window.show_section("settings")
    page = window.settings_page
    waiting = window.store.outbox_count()
    qtbot.waitUntil(lambda: page.outbox.text() == tr("ui.settings.waiting_count", count=waiting))
    assert page.outbox.text() == "2 изменения"  # filed and routed: «2 изменения», not «2 изменений»
    assert window.outbox_label.text().startswith("Ждут отправки")
    qtbot.waitUntil(lambda: "Карточек: 1" in page.diagnostics.toPlainText())
    assert str(home.store_path) in page.diagnostics.toPlainText()
    page.language.setCurrentIndex(page.language.findData("en"))
    page.server.setText("https://safecard.example.ru")
    page.save()
    assert home.settings()["language"] == "en"
    assert home.settings()["server"] == "https://safecard.example.ru"


def test_notifications_are_decided_once_for_inbox_reminders_escalations_and_questions(
        service, store, config):
    card_id = service.file(hazard(department="synthesis")).card_id
    now = datetime.now(UTC)
    notices, seen = decide(None, store.list_cards(), "petrov", config, now)
    assert notices == []  # the first look only takes stock
    second = service.file(hazard("Новая", department="synthesis")).card_id
    notices, seen = decide(seen, store.list_cards(), "petrov", config, now)
    assert [(n.kind, n.card_id) for n in notices] == [("inbox", second)]
    notices, seen = decide(seen, store.list_cards(), "petrov", config, now)
    assert notices == []  # told once

    soon = now + timedelta(hours=20)
    notices, seen = decide(seen, store.list_cards(), "petrov", config, soon)
    assert {n.kind for n in notices} <= {"reminder"}

    late = now + timedelta(days=10)
    card = store.card(card_id)
    [target] = {s.escalated_to for s in deadlines.evaluate(card, config, late)
                if s.escalated_to}
    _, before = decide(None, store.list_cards(), target, config, now)
    notices, after = decide(before, store.list_cards(), target, config, late)
    assert {n.kind for n in notices} == {"escalation"}
    assert decide(after, store.list_cards(), target, config, late)[0] == []

    _, mine = decide(None, store.list_cards(), "ivanov", config, now)
    CardService(store, config, user="petrov").comment(card_id, "Где течёт?", question=True)
    notices, _ = decide(mine, store.list_cards(), "ivanov", config, now)
    assert [(n.kind, n.card_id) for n in notices] == [("question", card_id)]
    assert "Где течёт?" in notices[0].text


def test_signing_in_to_an_unreachable_server_says_so_with_the_sync_help(qtbot, supervisor):
    page = supervisor.settings_page
    supervisor.show_section("settings")
    page.server.setText("http://127.0.0.1:9")
    page.password.setText("secret")
    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.findChild(ErrorDialog) is not None, timeout=10000)
    dialog = page.findChild(ErrorDialog)
    assert dialog.topic == "sync"
    assert "secret" not in dialog.details.toPlainText()
    assert page.sign_in_button.isEnabled()


def test_f5_with_a_server_but_no_sign_in_asks_to_sign_in(qtbot, supervisor, home):
    home.save_settings({"server": "http://127.0.0.1:9", "user": "petrov"})
    supervisor.shortcuts["sync"].activated.emit()
    qtbot.waitUntil(lambda: supervisor.findChild(ErrorDialog) is not None, timeout=10000)
    assert supervisor.findChild(ErrorDialog).topic == "sync"
