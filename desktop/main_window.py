"""The main window: a sidebar of sections (DESIGN.md §9) beside the page of the chosen one.

Only sections that work are listed: an entry that leads nowhere is hidden, not greyed out.
Every operation's `Changes` comes through `Ops.changed` to `_changed`, which refreshes the
lists and the open card only when they are concerned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.card_form import CardForm
from desktop.card_list import CardListPage
from desktop.card_view import CardView
from desktop.dialogs import show_error
from desktop.models import CardTableModel
from desktop.ops import Ops, changes_of
from forms.config import Config
from forms.home import Home
from forms.i18n import tr
from forms.service import CardService, Changes
from forms.store.repo import Store

SIDEBAR_WIDTH = 200
DEMO_CARDS = 200

STYLE = """
QLabel#pageHeading { font-size: 18pt; font-weight: bold; }
QLabel#emptyTitle { font-size: 16pt; font-weight: bold; }
QWidget#sidebarPanel { background: palette(base); border-right: 1px solid palette(mid); }
QLabel#appName { font-size: 15pt; font-weight: bold; padding: 14px 14px 10px 14px; }
QListWidget#sidebar { font-size: 11pt; border: none; background: transparent; outline: 0; }
QListWidget#sidebar::item { padding: 8px 12px; border-radius: 4px; margin: 1px 6px; }
QListWidget#sidebar::item:selected { background: palette(highlight);
                                     color: palette(highlighted-text); }
"""


@dataclass(frozen=True)
class Section:
    key: str
    label_key: str


# DESIGN.md §9's sections, in its order, as each becomes real: my cards, inbox, deadlines,
# dashboard, reports and settings/sync come with the later desktop issues.
SECTIONS = (
    Section("file", "ui.nav.file"),
    Section("all", "ui.nav.all"),
)


class MainWindow(QMainWindow):
    def __init__(self, home: Home, config: Config, store: Store, *, user: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.home = home
        self.config = config
        self.store = store
        self.user = home.user(user)
        self.ops = Ops(self)
        self.service = CardService(store, config, user=self.user,
                                   device_id=home.device_id(store), blobs=home.blobs)
        self.setWindowTitle(tr("ui.window.title", user=config.user_name(self.user)))
        self.setStyleSheet(STYLE)

        self.card_form = CardForm(self.service, self.ops)
        self.list_model = CardTableModel(store, config, self.ops, self)
        self.list_page = CardListPage(self.list_model, heading=tr("ui.nav.all"),
                                      offer_demo=True)
        self.card_view = CardView(store, config, self.ops, blobs=home.blobs)
        self.pages: dict[str, QWidget] = {"file": self.card_form, "all": self.list_page,
                                          "card": self.card_view}
        self.stack = QStackedWidget()
        for page in self.pages.values():
            self.stack.addWidget(page)

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self._sidebar())
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.busy_label = QLabel()
        self.statusBar().addWidget(QLabel(tr("ui.status.user",
                                             user=config.user_name(self.user))))
        self.statusBar().addPermanentWidget(self.busy_label)

        self.ops.changed.connect(self._changed)
        self.ops.failed.connect(lambda exc: show_error(self, exc))
        self.ops.busy_changed.connect(
            lambda busy: self.busy_label.setText(tr("ui.status.busy") if busy else ""))
        self.card_form.filed.connect(self.open_card)
        self.card_form.failed.connect(lambda exc: show_error(self, exc))
        self.list_page.open_card.connect(self.open_card)
        self.list_page.empty.file_requested.connect(lambda: self.show_section("file"))
        self.list_page.empty.demo_requested.connect(self.load_demo)
        self.card_view.back.connect(lambda: self.show_section(self.section or "all"))

        self.resize(1280, 800)
        self.show_section("all")

    def _sidebar(self) -> QWidget:
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        for section in SECTIONS:
            item = QListWidgetItem(tr(section.label_key))
            item.setData(Qt.ItemDataRole.UserRole, section.key)
            self.sidebar.addItem(item)
        self.sidebar.currentItemChanged.connect(self._section_chosen)
        # A click on the current section too: it leads back from an open card.
        self.sidebar.itemClicked.connect(self._section_chosen)
        panel = QWidget()
        panel.setObjectName("sidebarPanel")
        panel.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        panel.setFixedWidth(SIDEBAR_WIDTH)
        column = QVBoxLayout(panel)
        column.setContentsMargins(0, 0, 0, 0)
        name = QLabel("SafeCard")
        name.setObjectName("appName")
        column.addWidget(name)
        column.addWidget(self.sidebar, 1)
        return panel

    # ---- navigation ----------------------------------------------------------------------

    @property
    def section(self) -> str | None:
        item = self.sidebar.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def show_section(self, key: str) -> None:
        for i in range(self.sidebar.count()):
            if self.sidebar.item(i).data(Qt.ItemDataRole.UserRole) == key:
                self.sidebar.setCurrentRow(i)
        self.stack.setCurrentWidget(self.pages[key])

    def _section_chosen(self, item: QListWidgetItem | None, _previous: Any = None) -> None:
        if item is not None:
            self.stack.setCurrentWidget(self.pages[item.data(Qt.ItemDataRole.UserRole)])

    def open_card(self, card_id: str) -> None:
        self.card_view.show_card(card_id)
        self.stack.setCurrentWidget(self.card_view)

    # ---- changes -------------------------------------------------------------------------

    def _changed(self, changes: Changes) -> None:
        if changes.lists:
            self.list_model.reload()
        self.card_view.reload_if(changes)

    def load_demo(self) -> None:
        try:
            from forms import demo  # written alongside; absent from some builds
        except ImportError as exc:
            show_error(self, exc)
            return
        store, config = self.store, self.config
        empty = self.list_page.empty
        empty.set_demo_busy(True)

        def done(result: object) -> None:
            empty.set_demo_busy(False)
            if changes_of(result) is None:  # the generator said nothing: refresh every list
                self._changed(Changes())

        def failed(exc: BaseException) -> None:
            empty.set_demo_busy(False)
            show_error(self, exc)

        blobs = self.home.blobs
        self.ops.run(lambda: demo.generate(store, config, cards=DEMO_CARDS, seed=1,
                                           now=datetime.now(UTC), blobs=blobs), done, failed)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.ops.shutdown()  # let a running write finish before the store is closed
        super().closeEvent(event)
