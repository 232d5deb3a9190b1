"""The main window: one stack of pages (setup | unlock | case list | conversation) and its menus.

Owns which page shows, locking (by the menu or after the idle time: flush saves, remember
where the consultant was, close the vault, destroy every widget with plaintext, show the
unlock screen) and resuming (rebuild the pages and put the consultant back: case, section,
field, cursor, and the text being typed), the language switch (the same remember-rebuild-
resume path), closing without losing anything, the busy indicator, and wiring sync in:
the status-bar line, what the Synchronise menu offers (ui/menus.py builds the menus), the
check-in rule (no case opens while it holds) and a revoked laptop's return to the first-run
screen. Never touches storage (the Session's
worker tasks do) and never lays out a page's contents.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QWidget,
)

from kitchentable.config import ConsultantRole, Settings
from kitchentable.i18n import _, language
from kitchentable.ui.about import AboutDialog
from kitchentable.ui.autolock import IdleWatcher, LockWarning
from kitchentable.ui.caselist_page import CaseListPage
from kitchentable.ui.conversation.page import ConversationPage
from kitchentable.ui.errors import show_error
from kitchentable.ui.menus import MainMenus, MenuActions
from kitchentable.ui.new_case import NewCaseDialog
from kitchentable.ui.plan.plan_page import PlanPage
from kitchentable.ui.session import OpenedConversation, Probe, Session, profile_present
from kitchentable.ui.setup_wizard import SetupWizard
from kitchentable.ui.shortcuts_dialog import ShortcutsDialog
from kitchentable.ui.sync_controller import SyncController
from kitchentable.ui.sync_dialogs import open_conflicts, open_connect
from kitchentable.ui.sync_panel import SyncPanel
from kitchentable.ui.tasks import task_manager
from kitchentable.ui.translations import apply_language
from kitchentable.ui.unlock import UnlockScreen

if TYPE_CHECKING:
    from kitchentable.formengine.loader import FormRegistry


# Room for the title bar, which the available geometry of a screen does not include.
TITLE_BAR = 48


def first_geometry(available: QRect) -> QRect:
    """1200 x 800 where it fits, else as much of the screen as there is (a 1366 x 768 laptop
    with a panel has about 700 pixels for the window), centred on it."""
    size = QSize(min(1200, available.width() - 32), min(800, available.height() - TITLE_BAR))
    geometry = QRect(QPoint(0, 0), size)
    geometry.moveCenter(available.center())
    geometry.moveTop(max(available.top() + TITLE_BAR - 8, geometry.top()))
    return geometry


class MainWindow(QMainWindow):
    def __init__(
        self,
        path: Path,
        *,
        demo: bool = False,
        forms: FormRegistry | None = None,
        idle_ms: int | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(_("Kitchentable"))
        self.setGeometry(first_geometry(self.screen().availableGeometry()))
        self.session = Session(path, forms, demo)
        self.settings: Settings | None = None
        self.probe_result: Probe | None = None
        self.idle_override = idle_ms
        self.unlock_screen: UnlockScreen | None = None
        self.wizard: SetupWizard | None = None
        self.cases: CaseListPage | None = None
        self.conversation: ConversationPage | None = None
        self.plan_page: PlanPage | None = None
        self.resume_at: dict[str, Any] | None = None
        self.stack = QStackedWidget(self)
        self.setCentralWidget(self.stack)
        starting = QLabel(_("Starting…"), self.stack)
        starting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(starting)
        self.idle = IdleWatcher(idle_ms or Settings.auto_lock_minutes * 60_000, self)
        self.idle.idle.connect(lambda: self.lock(automatic=True))
        self.lock_warning = LockWarning(self.idle, self)
        self.sync = SyncController(self.session, self)
        self.sync.open_case = lambda: (
            self.conversation.opened.case.id if self.conversation else None
        )
        self.sync.changed.connect(self._sync_changed)
        self.sync.cases_changed.connect(self._reload_cases)
        self.sync.blocked_changed.connect(self._blocked_changed)
        self.sync.revoked.connect(self._revoked)
        self._build_status_bar()
        self.menus = MainMenus(
            self,
            MenuActions(
                lock=lambda: self.lock(automatic=False),
                quit=self.close,
                sync_now=lambda: self.sync.sync(manual=True),
                connect=lambda: open_connect(self.sync, self),
                conflicts=lambda: open_conflicts(self.sync, self),
                catalogue=self.show_catalogue,
                language=self.switch_language,
                role=self.switch_role,
                about=self.show_about,
                shortcuts=lambda: ShortcutsDialog(self).open(),
            ),
        )
        self._sync_changed()
        # The unlock screen shows at once when the profile file is there; the probe (on the
        # worker, which also loads the core) then adds the demo hint or a pending delay.
        if profile_present(path):
            self.show_unlock()
        self.session.probe(self).success(self._probed).run_in_background()

    # -- chrome --------------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setMaximumHeight(10)
        self.busy.setTextVisible(False)
        self.busy.setAccessibleName(_("Working"))
        self.busy.hide()
        self.statusBar().addPermanentWidget(self.busy)
        self.sync_status = QLabel(self)
        self.sync_status.setObjectName("muted")
        self.sync_status.setAccessibleName(_("Synchronisation status"))
        self.statusBar().addWidget(self.sync_status, 1)
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(300)  # short tasks never flash the indicator
        self._busy_timer.timeout.connect(self.busy.show)
        task_manager().busy_changed.connect(self._busy_changed)

    def _busy_changed(self, busy: bool) -> None:
        if busy:
            self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.busy.hide()

    def _set_unlocked(self, unlocked: bool) -> None:
        self.menus.show_unlocked(unlocked, self.settings, self.idle.idle_ms)
        self._sync_changed()

    def switch_role(self, role: ConsultantRole) -> None:
        if self.settings is None or not self.menus.unlocked:
            return
        self.settings = self.settings.updated(consultant_role=role)
        self.session.op(self, lambda p: p.update_settings(consultant_role=role)).run_in_background()
        self.menus.show_unlocked(True, self.settings, self.idle.idle_ms)

    @property
    def lock_action(self) -> QAction:
        return self.menus.lock_action

    @property
    def about_action(self) -> QAction:
        return self.menus.about_action

    def _show(self, page: QWidget) -> None:
        if self.stack.indexOf(page) < 0:
            self.stack.addWidget(page)
        self.stack.setCurrentWidget(page)

    def _discard(self, page: QWidget | None) -> None:
        if page is not None:
            self.stack.removeWidget(page)
            # Out of the window at once (hidden, no longer a child), destroyed when the event
            # loop next runs: a lock leaves no page with plaintext among the window's widgets
            # even while a nested event loop delays the deferred delete.
            page.setParent(None)
            page.deleteLater()

    # -- start, setup and unlock ---------------------------------------------------------------
    def _probed(self, probe: Probe) -> None:
        self.probe_result = probe
        if not probe.exists:
            self._discard(self.unlock_screen)
            self.unlock_screen = None
            self.wizard = SetupWizard(self.session, self.stack)
            self.wizard.created.connect(self._created)
            self._show(self.wizard)
            return
        if self.cases is not None:
            return  # unlocked already (the passphrase was typed before the probe came back)
        if probe.settings.language != language():
            self._apply_language(probe.settings.language)
        elif self.unlock_screen is not None and not probe.demo_passphrase:
            if probe.wait_seconds > 0:
                self.unlock_screen.start_delay(probe.wait_seconds)
            return
        self.show_unlock(wait_seconds=probe.wait_seconds)

    def _created(self, settings: Settings) -> None:
        self.probe_result = Probe(True, settings, 0.0, "")
        self._discard(self.wizard)
        self.wizard = None
        self._unlocked(settings)

    def show_unlock(self, wait_seconds: float = 0.0, note: str = "") -> None:
        demo_passphrase = self.probe_result.demo_passphrase if self.probe_result else ""
        typed = self.unlock_screen.passphrase.text() if self.unlock_screen else ""
        busy = self.unlock_screen is not None and not self.unlock_screen.button.isEnabled()
        if busy:
            return  # an unlock attempt is running; its result decides what comes next
        self._discard(self.unlock_screen)
        self.unlock_screen = UnlockScreen(
            self.session, demo_passphrase, wait_seconds, note, self.stack
        )
        self.unlock_screen.passphrase.setText(typed)
        self.unlock_screen.unlocked.connect(self._unlocked)
        self._show(self.unlock_screen)

    def _unlocked(self, settings: Settings) -> None:
        self.settings = settings
        if settings.language != language():
            self._apply_language(settings.language)
        self._discard(self.unlock_screen)
        self.unlock_screen = None
        self.idle.set_idle_ms(self.idle_override or max(1, settings.auto_lock_minutes) * 60_000)
        self.idle.start()
        # Before the case list loads: the check-in rule is known before a case can open
        # (the worker answers in order).
        self.sync.start()
        self._set_unlocked(True)
        where, self.resume_at = self.resume_at, None
        self.show_cases(where)

    # -- cases and conversations ---------------------------------------------------------------
    def show_cases(self, where: dict[str, Any] | None = None) -> None:
        if self.cases is None:
            assert self.settings is not None
            self.cases = CaseListPage(self.session, self.settings, self.stack)
            self.cases.open_case.connect(self.open_case)
            self.cases.new_case.connect(self.new_case)
            self.cases.set_sync_area(SyncPanel(self.sync, self.cases))
            self.cases.set_blocked(self.sync.block_message())
            self._sync_changed()
        if where and where.get("cases"):
            self.cases.restore(where["cases"])
        if where and where.get("conversation"):
            self.cases.reload()
            self.open_case(where["conversation"]["case_id"], where["conversation"])
            return
        self.close_conversation()
        self.close_plan()
        self._show(self.cases)
        self.cases.reload()
        self.cases.search.setFocus()

    def open_case(self, case_id: str, where: dict[str, Any] | None = None) -> None:
        if self.sync.blocked:
            return  # the banner on the case list says why
        self.session.open_conversation(self, case_id).success(
            lambda opened: self._opened(opened, where)
        ).run_in_background()

    def _opened(self, opened: OpenedConversation, where: dict[str, Any] | None) -> None:
        if self.sync.blocked:  # the check-in rule became known after the case was asked for
            self.show_cases()
            return
        self.close_conversation()
        self.conversation = ConversationPage(self.session, opened, self.stack)
        self.conversation.back.connect(self.show_cases)
        self.conversation.plan_requested.connect(lambda: self.open_plan(opened))
        self._show(self.conversation)
        if where:
            self.conversation.restore(where)
        else:
            self.conversation.resume()  # the last section and field, kept in the vault

    def open_plan(self, opened: OpenedConversation) -> None:
        """The report: preview, reaction, signatures. Back returns to the conversation."""
        case = opened.case
        settings = self.settings
        assert settings is not None
        self.close_conversation()
        self.close_plan()
        self.plan_page = PlanPage(
            self.session,
            case.id,
            case.person.name,
            settings.consultant,
            settings.role,
            show_error,
            self.stack,
        )
        self.plan_page.back_requested.connect(lambda: self.open_case(case.id))
        self.plan_page.jump_requested.connect(lambda where: self.open_case(case.id, where))
        self._show(self.plan_page)
        self.plan_page.refresh()

    def close_plan(self) -> None:
        if self.plan_page is not None:
            self._discard(self.plan_page)
            self.plan_page = None

    def close_conversation(self) -> None:
        if self.conversation is not None:
            self.conversation.flush()
            self._discard(self.conversation)
            self.conversation = None

    def new_case(self) -> None:
        if self.sync.blocked:
            return

        def show(forms: list[Any]) -> None:
            role = self.settings.consultant_role if self.settings else ConsultantRole.WMO
            dialog = NewCaseDialog(self.session, forms, role, self)
            dialog.created.connect(self.open_case)
            dialog.open()

        self.session.forms(self).success(show).run_in_background()

    def show_catalogue(self) -> None:
        from kitchentable.ui.catalogue_dialog import CatalogueDialog

        if self.cases is None and self.conversation is None and self.plan_page is None:
            return  # locked: the catalogue is in the vault
        dialog = CatalogueDialog(self.session, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def show_about(self) -> None:
        AboutDialog(self.session, self).open()

    # -- sync --------------------------------------------------------------------------------
    def _sync_changed(self) -> None:
        unlocked = self.cases is not None or self.conversation is not None
        unlocked = unlocked or self.plan_page is not None
        standing = self.sync.view.standing
        if unlocked and standing and standing.auto_lock_minutes and not self.idle_override:
            # The office's policy may have shortened the auto-lock: it counts from now on
            # (only a changed value restarts the count; a sync is not the consultant's work).
            idle_ms = max(1, standing.auto_lock_minutes) * 60_000
            if idle_ms != self.idle.idle_ms:
                self.idle.set_idle_ms(idle_ms)
                self.menus.show_unlocked(self.menus.unlocked, self.settings, idle_ms)
        self.sync_status.setText(self.sync.status_text() if unlocked else "")
        self.menus.show_sync(
            active=self.sync.active,
            enrolled=self.sync.enrolled,
            running=self.sync.running,
            conflicts=not self.sync.blocked
            and bool(self.sync.view.standing and self.sync.view.standing.status.conflicts),
        )

    def _reload_cases(self) -> None:
        if self.cases is not None:
            self.cases.reload()

    def _blocked_changed(self, _blocked: bool) -> None:
        if self.cases is not None:
            self.cases.set_blocked(self.sync.block_message())

    def _revoked(self, message: str) -> None:
        """The office revoked this laptop and the core wiped the vault: back to first run."""
        self.idle.stop()
        for dialog in self.findChildren(QDialog):
            dialog.reject()
            dialog.deleteLater()
        # No flush: there is no vault left to save into.
        for page in (self.conversation, self.plan_page, self.cases, self.unlock_screen):
            self._discard(page)
        self.conversation = self.plan_page = self.cases = self.unlock_screen = None
        self.resume_at, self.settings, self.probe_result = None, None, None
        self._set_unlocked(False)
        self.session.lock(None).run_in_background()
        self.session.probe(self).success(self._probed).run_in_background()
        box = QMessageBox(self)
        box.setObjectName("revokedMessage")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(_("Kitchentable"))
        box.setText(message)
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.open()

    # -- where the consultant is ---------------------------------------------------------------
    def position(self) -> dict[str, Any]:
        where: dict[str, Any] = {}
        if self.cases is not None:
            where["cases"] = self.cases.position()
        if self.conversation is not None and self.stack.currentWidget() is self.conversation:
            where["conversation"] = self.conversation.position()
        if self.plan_page is not None and self.stack.currentWidget() is self.plan_page:
            # The plan is rebuilt from the vault; after unlocking, return to its conversation.
            where["conversation"] = {"case_id": self.plan_page.case_id}
        return where

    def _tear_down(self) -> dict[str, Any]:
        """Remember the position, save what waits, and destroy every page with plaintext.

        Nothing waits here: the saves go to the worker first, and whatever comes next (the
        vault's close, an unlock, a reload) queues behind them on the same worker."""
        where = self.position()
        for dialog in self.findChildren(QDialog):
            dialog.reject()
            dialog.deleteLater()
        if self.conversation is not None:
            self.conversation.flush()
        self.close_conversation()
        self.close_plan()
        self._discard(self.cases)
        self.cases = None
        return where

    def lock(self, automatic: bool = False) -> None:
        if self.cases is None:
            return
        self.idle.stop()
        self.sync.stop()  # cancels a running sync; it never holds the worker
        self.resume_at = self._tear_down()
        # Never blocks the UI thread: the close queues behind the last saves.
        self.session.lock(None).run_in_background()
        self._set_unlocked(False)
        note = (
            _("Locked after {n} minutes without use. Everything you typed has been kept.").format(
                n=max(1, round(self.idle.idle_ms / 60_000))
            )
            if automatic
            else ""
        )
        self.show_unlock(note=note)

    # -- language ------------------------------------------------------------------------------
    def _apply_language(self, code: str) -> None:
        apply_language(code)
        self.setWindowTitle(_("Kitchentable"))
        self.menus.build()
        self.lock_warning.retranslate()

    def switch_language(self, code: str) -> None:
        if code == language():
            return
        if self.cases is None:
            self._apply_language(code)
            if self.unlock_screen is not None:
                self.show_unlock()
            return
        self.session.op(self, lambda p: p.update_settings(language=code)).run_in_background()
        where = self._tear_down()
        self._apply_language(code)
        self._set_unlocked(True)
        self.show_cases(where)

    # -- closing -------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        self.idle.stop()
        self.sync.stop()
        if self.conversation is not None:
            self.conversation.flush()
        task_manager().drain()
        self.session.lock(None).run_in_background()
        task_manager().drain()
        super().closeEvent(event)
