"""The main window's menu bar: File, Synchronise, Settings and Help.

Owns building the menus (again after a language switch), their shortcuts, and which actions
apply now: locked or unlocked, enrolled or not, a sync running, conflicts waiting. The
Settings menu shows the language, the consultant's role (Wmo or Jeugd: the default form of a
new case) and the auto-lock time, which the office and IT set. Never acts itself: every
action calls back into the window through `MenuActions`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from kitchentable.config import ConsultantRole, Settings
from kitchentable.i18n import _, language, ngettext
from kitchentable.ui.shortcuts_dialog import HELP_KEYS


@dataclass(frozen=True)
class MenuActions:
    lock: Callable[[], None]
    quit: Callable[[], None]
    sync_now: Callable[[], None]
    connect: Callable[[], None]
    conflicts: Callable[[], None]
    catalogue: Callable[[], None]
    language: Callable[[str], None]
    role: Callable[[ConsultantRole], None]
    about: Callable[[], None]
    shortcuts: Callable[[], None]


class MainMenus:
    def __init__(self, window: QMainWindow, actions: MenuActions) -> None:
        self.window = window
        self.actions = actions
        self.unlocked = False
        self._settings: Settings | None = None
        self._idle_ms = 0
        self._made: list[QObject] = []
        self.build()

    def _action(self, text: str, slot: Callable[[], None], shortcut: str = "") -> QAction:
        action = QAction(text, self.window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def build(self) -> None:
        """(Re)create every menu in the current language."""
        bar = self.window.menuBar()
        bar.clear()
        for made in self._made:  # the window owns these; a rebuild replaces them
            made.deleteLater()
        self._made = []
        file_menu = bar.addMenu(_("&File"))
        self.lock_action = self._action(_("&Lock"), self.actions.lock, "Ctrl+Shift+L")
        file_menu.addAction(self.lock_action)
        file_menu.addSeparator()
        file_menu.addAction(self._action(_("&Quit"), self.actions.quit, "Ctrl+Q"))
        sync_menu = bar.addMenu(_("S&ynchronise"))  # Alt+S is the case list's button
        self.sync_now_action = self._action(_("&Synchronise now"), self.actions.sync_now, "F5")
        self.connect_action = self._action(_("&Connect to the office…"), self.actions.connect)
        self.conflicts_action = self._action(_("&Resolve conflicts…"), self.actions.conflicts)
        for action in (self.sync_now_action, self.connect_action, self.conflicts_action):
            sync_menu.addAction(action)
        sync_menu.addSeparator()
        self.catalogue_action = self._action(_("Sociale &kaart…"), self.actions.catalogue, "Ctrl+K")
        sync_menu.addAction(self.catalogue_action)
        self._build_settings()
        help_menu = bar.addMenu(_("&Help"))
        help_menu.addAction(
            self._action(_("&Keyboard shortcuts"), self.actions.shortcuts, HELP_KEYS)
        )
        self.about_action = self._action(_("&About Kitchentable"), self.actions.about)
        help_menu.addAction(self.about_action)
        self.show_unlocked(self.unlocked, self._settings, self._idle_ms)

    def _build_settings(self) -> None:
        settings_menu = self.window.menuBar().addMenu(_("S&ettings"))
        language_menu = settings_menu.addMenu(_("&Language"))
        languages = QActionGroup(self.window)
        for code, name in (("nl", "Nederlands"), ("en", "English")):
            action = self._action(name, lambda c=code: self.actions.language(c))
            action.setCheckable(True)
            action.setChecked(language() == code)
            languages.addAction(action)
            language_menu.addAction(action)
        # The submenu and the action this class keeps are made with the window as parent, not
        # returned by addMenu(title)/addAction(text): those wrappers were seen invalidated by
        # PySide ("Internal C++ object already deleted") while the menu itself still lived.
        self.role_menu = QMenu(_("You &work under"), self.window)
        settings_menu.addMenu(self.role_menu)
        self._made.append(self.role_menu)
        self.role_menu.setToolTipsVisible(True)
        roles = QActionGroup(self.window)
        for role, name in (
            (ConsultantRole.WMO, _("Wmo (support at home)")),
            (ConsultantRole.JEUGD, _("Jeugdwet (youth and family)")),
        ):
            action = self._action(name, lambda r=role: self.actions.role(r))
            action.setCheckable(True)
            action.setData(role)
            action.setToolTip(_("Chooses the form a new case starts with."))
            roles.addAction(action)
            self.role_menu.addAction(action)
        settings_menu.addSeparator()
        self.lock_time_action = QAction("", self.window)
        settings_menu.addAction(self.lock_time_action)
        self._made.append(self.lock_time_action)
        self.lock_time_action.setEnabled(False)  # information: the office and IT set it

    def show_unlocked(self, unlocked: bool, settings: Settings | None, idle_ms: int) -> None:
        """Locked, the vault's settings are not shown and its actions do nothing."""
        self.unlocked, self._settings, self._idle_ms = unlocked, settings, idle_ms
        self.lock_action.setEnabled(unlocked)
        self.about_action.setEnabled(unlocked)
        known = unlocked and settings is not None
        self.role_menu.setEnabled(known)
        for action in self.role_menu.actions():
            action.setChecked(
                known and settings is not None and action.data() == settings.consultant_role
            )
        minutes = max(1, round(idle_ms / 60_000))
        self.lock_time_action.setVisible(known)
        self.lock_time_action.setText(
            ngettext(
                "Locks after {n} minute without use",
                "Locks after {n} minutes without use",
                minutes,
            ).format(n=minutes)
        )

    def show_sync(self, *, active: bool, enrolled: bool, running: bool, conflicts: bool) -> None:
        self.sync_now_action.setEnabled(active and enrolled and not running)
        self.connect_action.setEnabled(active and not enrolled)
        self.conflicts_action.setEnabled(active and conflicts)
