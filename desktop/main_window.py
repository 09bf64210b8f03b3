"""The main window: a sidebar of sections (DESIGN.md §9) beside the page of the chosen one.

Which sections a user sees follows their role (`ROLE_SECTIONS`); a section a role may not use
is hidden, not greyed out. A workstation user who is not in the directory (standalone use)
sees everything, as the core lets them do everything. Every operation's `Changes` comes
through `Ops.changed` to `_changed`, which refreshes the lists, deadlines and the open card
only when they are concerned.

Sync (`desktop.sync_bridge.SyncBridge`) runs in the background while signed in: every local
change asks for a round soon, F5 asks for one now; the status bar says how it stands
(«Синхронизировано в 14:32», «Нет связи с сервером — изменений ждут отправки: N», «Ошибка: …»)
and a round that brought cards refreshes the lists and the open card like a local change does.

Only the card lists are built at start-up; every other page (the form, the card view,
deadlines, dashboard, reports, follow, settings) is built — and its module imported — the
first time it is wanted (`page`), so a cold start pays for what it shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop import formatting
from desktop.card_list import CardListPage
from desktop.dialogs import open_help, show_error
from desktop.models import CardTableModel
from desktop.notifications import Notifier
from desktop.ops import Ops, changes_of
from desktop.sync_bridge import SyncBridge, SyncView, status_text, sync_available
from forms.config import Config
from forms.home import Home
from forms.i18n import tr
from forms.service import CardService, Changes
from forms.store import integrity
from forms.store.repo import CardQuery, Store

if TYPE_CHECKING:
    import httpx

    from desktop.card_form import CardForm
    from desktop.card_view import CardView
    from desktop.dashboard import DashboardPage
    from desktop.deadlines_view import DeadlinesPage
    from desktop.follow_page import FollowPage
    from desktop.reports_page import ReportsPage
    from desktop.settings_page import SettingsPage

SIDEBAR_WIDTH = 210
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


# DESIGN.md §9's sections, in its order.
SECTIONS = (
    Section("file", "ui.nav.file"),
    Section("mine", "ui.nav.mine"),
    Section("follow", "ui.nav.follow"),  # an anonymous card by its receipt: for everyone
    Section("inbox", "ui.nav.inbox"),
    Section("all", "ui.nav.all"),
    Section("deadlines", "ui.nav.deadlines"),
    Section("dashboard", "ui.nav.dashboard"),
    Section("reports", "ui.nav.reports"),
    Section("settings", "ui.nav.settings"),
)
ALL_SECTIONS = frozenset(s.key for s in SECTIONS)

# What each role uses (DESIGN.md §1). None: not in the directory — standalone, everything.
ROLE_SECTIONS: dict[str | None, frozenset[str]] = {
    "staff": frozenset({"file", "mine", "follow", "deadlines", "settings"}),
    "supervisor": ALL_SECTIONS,
    "auditor": frozenset({"follow", "all", "deadlines", "dashboard", "reports", "settings"}),
    "admin": ALL_SECTIONS,
    None: ALL_SECTIONS,
}


def sections_for(role: str | None) -> list[Section]:
    allowed = ROLE_SECTIONS.get(role, ROLE_SECTIONS["staff"])
    return [s for s in SECTIONS if s.key in allowed]


class MainWindow(QMainWindow):
    def __init__(self, home: Home, config: Config, store: Store, *, user: str | None = None,
                 role: str | None = None, sync_transport: httpx.BaseTransport | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.home = home
        self.config = config
        self.store = store
        self.user = home.user(user)
        self.ops = Ops(self, explain=lambda exc: integrity.explain(exc, home.store_path))
        self.sync_bridge = SyncBridge(home, store, transport=sync_transport, parent=self)
        self.service = CardService(store, config, user=self.user,
                                   device_id=home.device_id(store), blobs=home.blobs)
        # The server's word on the role when it gave it (a shared terminal's sign-in).
        self.role = role or self.service.role
        self.setWindowTitle(tr("ui.window.title", user=self._user_name()))
        self.setStyleSheet(STYLE)
        self.sections = sections_for(self.role)
        keys = {s.key for s in self.sections}

        settings = (home.settings, home.save_settings)
        self.sync_transport = sync_transport
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        self._builders: dict[str, Callable[[], QWidget]] = {
            "file": self._build_card_form, "card": self._build_card_view,
            "settings": self._build_settings}
        for key, builder in (("deadlines", self._build_deadlines),
                             ("dashboard", self._build_dashboard),
                             ("reports", self._build_reports), ("follow", self._build_follow)):
            if key in keys:
                self._builders[key] = builder
        self._sync_view: SyncView | None = None
        self._outbox: int | None = None
        self.models: dict[str, CardTableModel] = {}
        self.list_pages: dict[str, CardListPage] = {}
        queries = {"mine": CardQuery(reporter=self.user),
                   "inbox": CardQuery(supervisor=self.user, open_only=True),
                   "all": CardQuery()}
        for key, query in queries.items():
            if key not in keys:
                continue
            model = CardTableModel(store, config, self.ops, self)
            page = CardListPage(model, heading=tr(f"ui.nav.{key}"), base_query=query,
                                offer_demo=key == "all", settings=settings, name=key)
            page.open_card.connect(self.open_card)
            page.empty.file_requested.connect(lambda: self.show_section("file"))
            page.empty.demo_requested.connect(self.load_demo)
            self.models[key] = model
            self.list_pages[key] = page
            self.pages[key] = page
            self.stack.addWidget(page)

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self._sidebar())
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.busy_label = QLabel()
        self.outbox_label = QLabel()
        self.sync_label = QLabel()
        self.sync_label.setObjectName("syncStatus")
        self.sign_in_again_button = QPushButton(tr("ui.sync.sign_in_again"))
        self.sign_in_again_button.setFlat(True)
        self.sign_in_again_button.clicked.connect(self.sign_in_again)
        self.sign_in_again_button.hide()
        self.statusBar().addWidget(QLabel(tr("ui.status.user", user=self._user_name())))
        self.statusBar().addPermanentWidget(self.sync_label)
        self.statusBar().addPermanentWidget(self.sign_in_again_button)
        self.statusBar().addPermanentWidget(self.outbox_label)
        self.statusBar().addPermanentWidget(self.busy_label)

        self.ops.changed.connect(self._changed)
        self.ops.changed.connect(lambda _changes: self.sync_bridge.local_change())
        self.sync_bridge.status_changed.connect(self.show_sync_status)
        self.sync_bridge.round_done.connect(self._synced)
        self.sync_bridge.failed.connect(lambda exc: show_error(self, exc))
        self.ops.failed.connect(lambda exc: show_error(self, exc))
        self.ops.busy_changed.connect(
            lambda busy: self.busy_label.setText(tr("ui.status.busy") if busy else ""))
        self._shortcuts()

        self.notifier = Notifier(store, config, self.ops, user=self.user,
                                 enabled=self.role != "auditor", parent=self)
        self.notifier.check()
        self.refresh_outbox()
        self.sync_bridge.start()

        self.resize(1280, 800)
        first = next((k for k in ("inbox", "all", "mine") if k in keys), self.sections[0].key)
        self.show_section(first)

    # ---- pages, built when first wanted ----------------------------------------------------

    def page(self, key: str) -> QWidget:
        if key not in self.pages:
            page = self._builders[key]()
            self.pages[key] = page
            self.stack.addWidget(page)
        return self.pages[key]

    def _build_card_form(self) -> QWidget:
        from desktop.card_form import CardForm
        from desktop.drafts import DraftStore

        form = CardForm(self.service, self.ops, drafts=DraftStore(self.home.path / "drafts"))
        form.filed.connect(self.open_card)
        form.failed.connect(lambda exc: show_error(self, exc))
        return form

    def _build_card_view(self) -> QWidget:
        from desktop.card_view import CardView

        view = CardView(self.service, self.ops, blobs=self.home.blobs)
        view.back.connect(lambda: self.show_section(self.section or "all"))
        return view

    def _build_deadlines(self) -> QWidget:
        from desktop.deadlines_view import DeadlinesPage

        page = DeadlinesPage(self.store, self.config, self.ops, user=self.user, role=self.role)
        page.open_card.connect(self.open_card)
        return page

    def _build_dashboard(self) -> QWidget:
        from desktop.dashboard import DashboardPage

        return DashboardPage(self.store, self.config, self.ops)

    def _build_reports(self) -> QWidget:
        from desktop.reports_page import ReportsPage

        return ReportsPage(self.store, self.config, self.ops, home=self.home)

    def _build_follow(self) -> QWidget:
        from desktop.follow_page import FollowPage

        page = FollowPage(self.home, self.sync_bridge.worker, transport=self.sync_transport)
        page.failed.connect(lambda exc: show_error(self, exc))
        return page

    def _build_settings(self) -> QWidget:
        from desktop.settings_page import SettingsPage

        page = SettingsPage(self.home, self.config, self.store, self.ops, user=self.user,
                            bridge=self.sync_bridge)
        page.sync_requested.connect(self.sync)
        page.help_requested.connect(lambda: open_help(self))
        if self._sync_view is not None:
            page.show_status(self._sync_view)
        if self._outbox is not None:
            page.set_outbox(self._outbox)
        return page

    @property
    def card_form(self) -> CardForm:
        return self.page("file")  # type: ignore[return-value]

    @property
    def card_view(self) -> CardView:
        return self.page("card")  # type: ignore[return-value]

    @property
    def deadlines_page(self) -> DeadlinesPage:
        return self.page("deadlines")  # type: ignore[return-value]

    @property
    def dashboard_page(self) -> DashboardPage:
        return self.page("dashboard")  # type: ignore[return-value]

    @property
    def reports_page(self) -> ReportsPage:
        return self.page("reports")  # type: ignore[return-value]

    @property
    def follow_page(self) -> FollowPage:
        return self.page("follow")  # type: ignore[return-value]

    @property
    def settings_page(self) -> SettingsPage:
        return self.page("settings")  # type: ignore[return-value]

    @property
    def list_page(self) -> CardListPage:
        """The widest card list this user has (all cards, else the inbox, else my cards)."""
        return next(self.list_pages[k] for k in ("all", "inbox", "mine") if k in self.list_pages)

    @property
    def list_model(self) -> CardTableModel:
        return self.list_page.model

    def _user_name(self) -> str:
        return self.config.user_name(self.user) or self.user

    def _sidebar(self) -> QWidget:
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for section in self.sections:
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

    def _shortcuts(self) -> None:
        self.shortcuts: dict[str, QShortcut] = {}
        for name, keys, slot in (
            ("new", QKeySequence.StandardKey.New, self.new_card),
            ("search", QKeySequence.StandardKey.Find, self.focus_search),
            ("sync", QKeySequence(Qt.Key.Key_F5), self.sync),
            ("help", QKeySequence.StandardKey.HelpContents, lambda: open_help(self)),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(slot)
            self.shortcuts[name] = shortcut

    # ---- navigation ----------------------------------------------------------------------

    @property
    def section(self) -> str | None:
        item = self.sidebar.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def show_section(self, key: str) -> None:
        for i in range(self.sidebar.count()):
            if self.sidebar.item(i).data(Qt.ItemDataRole.UserRole) == key:
                self.sidebar.setCurrentRow(i)
        self.stack.setCurrentWidget(self.page(key))
        self._entered(key)

    def _section_chosen(self, item: QListWidgetItem | None, _previous: Any = None) -> None:
        if item is not None:
            key = item.data(Qt.ItemDataRole.UserRole)
            self.stack.setCurrentWidget(self.page(key))
            self._entered(key)

    def _entered(self, key: str) -> None:
        """Pages that compute over many cards do it when first shown, not at start-up."""
        page = self.pages.get(key)
        refresh = getattr(page, "refresh_if_stale", None)
        if refresh is not None:
            refresh()

    def open_card(self, card_id: str) -> None:
        self.card_view.show_card(card_id)
        self.stack.setCurrentWidget(self.card_view)

    def new_card(self) -> None:
        if any(s.key == "file" for s in self.sections):
            self.show_section("file")
            self.card_form.kind_picker.setFocus()

    def focus_search(self) -> None:
        page = self.stack.currentWidget()
        if not isinstance(page, CardListPage):
            page = self.list_page
            self.show_section(page.name)
        page.search.setFocus()
        page.search.selectAll()

    def sync(self) -> None:
        """F5: a sync round now when a server is set; standalone, refresh everything shown."""
        if not (sync_available() and self.home.settings().get("server")):
            self._changed(Changes())
            return
        if not self.sync_bridge.configured():  # a server but no user: sign in first
            from sync.errors import SignedOut

            show_error(self, SignedOut("sync_signed_out",
                                       server=self.home.settings()["server"]))
            return
        self.sync_label.setText(tr("ui.status.syncing"))
        self.sync_bridge.sync_now()

    def show_sync_status(self, view: SyncView) -> None:
        self.sync_label.setText(status_text(view, formatting.display(self.config)))
        self.sign_in_again_button.setVisible(view.sign_in_again)
        self.outbox_label.setVisible(view.state == "standalone")
        self._sync_view = view
        if "settings" in self.pages:
            self.settings_page.show_status(view)

    def sign_in_again(self) -> None:
        self.show_section("settings")
        self.settings_page.ask_password()

    def _synced(self, report: Any) -> None:
        """After a good round: cards that came refresh what shows them; new configuration."""
        if report.pulled:
            self._changed(Changes())
            view = self.pages.get("card")
            if view is not None and view.card_id is not None \
                    and self.stack.currentWidget() is view:  # type: ignore[attr-defined]
                view.reload_if(Changes(card_ids=(view.card_id,)))  # type: ignore[attr-defined]
        if report.config_changed:
            self.statusBar().showMessage(tr("ui.status.config_changed"))

    # ---- changes -------------------------------------------------------------------------

    def _changed(self, changes: Changes) -> None:
        if changes.lists:
            for model in self.models.values():
                model.reload()
        if changes.deadlines or changes.lists:
            for key in ("deadlines", "dashboard", "settings"):
                page = self.pages.get(key)
                if page is not None:
                    page.mark_stale()  # type: ignore[attr-defined]
                    if self.stack.currentWidget() is page:
                        page.refresh_if_stale()  # type: ignore[attr-defined]
            self.notifier.check()
        if "card" in self.pages:
            self.card_view.reload_if(changes)
        self.refresh_outbox()

    def refresh_outbox(self) -> None:
        store = self.store

        def shown(count: int) -> None:
            self.outbox_label.setText(tr("ui.status.outbox", count=count) if count else "")
            self._outbox = count
            if "settings" in self.pages:
                self.settings_page.set_outbox(count)
            self.sync_bridge.refresh()

        self.ops.run(store.outbox_count, shown)

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

        blobs, now = self.home.blobs, formatting.display(config).now()
        self.ops.run(lambda: demo.generate(store, config, cards=DEMO_CARDS, seed=1, now=now,
                                           blobs=blobs), done, failed)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.notifier.stop()
        self.sync_bridge.shutdown()  # a running round finishes; none starts
        if "file" in self.pages and self.card_form.draft_timer.isActive():
            self.card_form.save_draft()
        if "dashboard" in self.pages:
            self.dashboard_page.cancel()  # figures of months of cards: not worth a wait
        self.ops.shutdown()  # let a running write finish before the store is closed
        super().closeEvent(event)

