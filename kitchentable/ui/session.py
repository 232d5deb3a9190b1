"""The app's handle on one profile folder: its vault, and the lane to it.

Owns the Profile object while the app is unlocked. The Profile is created, used and closed
only inside functions that run on the database worker — `op(parent, fn)` for the widgets,
`lane()` for the network lane's coroutines (sync), which hand it one step at a time — so its
database connection is used from one thread at a time; widgets receive plain results
(summaries, settings, snapshots). After lock, every step fails with VaultLocked. Never
touches a widget and never keeps a passphrase.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject

from kitchentable.errors import VaultLocked
from kitchentable.paths import profile_db_present
from kitchentable.ui.tasks import Op, task_manager

if TYPE_CHECKING:  # the core's heavy modules load on the worker, not while the window opens
    from kitchentable.config import Settings
    from kitchentable.domain.case import Case
    from kitchentable.formengine.loader import FormRegistry
    from kitchentable.formengine.model import Form
    from kitchentable.formengine.session import ConversationState
    from kitchentable.services import Conversation, Profile
    from kitchentable.services.sync import ProfileLane


def profile_present(path: Path) -> bool:
    """Looking for the file is a stat, not database work, so the UI thread may do it."""
    return profile_db_present(path)


T = TypeVar("T")


@dataclass(frozen=True)
class Probe:
    """What the app knows about the folder before unlocking."""

    exists: bool
    settings: Settings
    wait_seconds: float
    demo_passphrase: str = ""  # only when the profile's own settings say demo


@dataclass
class OpenedConversation:
    """Handed to the UI when a conversation opens.

    `worker_side` is used by later save tasks on the worker only; `state` is a copy that the
    UI thread owns and updates with the values it sends, so the two never share a dict.
    """

    worker_side: Conversation
    case: Case
    form: Form
    state: ConversationState
    position: dict[str, Any] = field(default_factory=dict)  # where the consultant was


class Session:
    def __init__(self, path: Path, forms: FormRegistry | None = None, demo: bool = False) -> None:
        self.path = path
        self.demo = demo
        self._forms = forms
        self._profile: Profile | None = None  # worker thread only

    # -- helpers run on the worker ------------------------------------------------------------
    def _registry(self) -> FormRegistry:
        if self._forms is None:
            from kitchentable.services import default_forms

            self._forms = default_forms()
        return self._forms

    def _require(self) -> Profile:
        if self._profile is None:
            raise VaultLocked()
        return self._profile

    def op(self, parent: QObject | None, fn: Callable[[Profile], T]) -> Op:
        """An Op that runs `fn(profile)` on the worker; fails with VaultLocked when locked."""
        return Op(parent, lambda: fn(self._require()))

    def lane(self) -> ProfileLane:
        """Database steps for a coroutine on the network lane: each runs `step(profile)` on
        the worker, between the widgets' Ops, and fails with VaultLocked when locked."""

        def run(step: Callable[[Profile], T]) -> Future[T]:
            return task_manager().on_worker(lambda: step(self._require()))

        return run

    # -- the vault ----------------------------------------------------------------------------
    def probe(self, parent: QObject | None) -> Op:
        def work() -> Probe:
            from kitchentable.config import Settings
            from kitchentable.services import (
                profile_exists,
                profile_settings,
                seconds_until_unlock,
            )

            if not profile_exists(self.path):
                return Probe(False, Settings(), 0.0)
            settings = profile_settings(self.path)
            demo_passphrase = ""
            if settings.demo:
                from kitchentable.demo import DEMO_PASSPHRASE

                demo_passphrase = DEMO_PASSPHRASE
            return Probe(True, settings, seconds_until_unlock(self.path), demo_passphrase)

        return Op(parent, work)

    def unlock(self, parent: QObject | None, passphrase: str) -> Op:
        def work() -> Settings:
            from kitchentable.services import Profile

            self._close()
            self._profile = Profile.unlock(
                self.path, passphrase, forms=self._registry(), origin="app"
            )
            return self._profile.settings

        return Op(parent, work)

    def create(self, parent: QObject | None, passphrase: str, settings: Settings) -> Op:
        def work() -> Settings:
            from kitchentable.services import Profile

            self._close()
            self._profile = Profile.create(
                self.path, passphrase, settings=settings, forms=self._registry(), origin="app"
            )
            return self._profile.settings

        return Op(parent, work)

    def lock(self, parent: QObject | None) -> Op:
        return Op(parent, self._close)

    def forget(self) -> None:
        """On the worker: the profile is gone (a revoked laptop wiped it); later tasks see
        a locked session instead of a closed database."""
        self._close()

    def _close(self) -> None:
        if self._profile is not None:
            self._profile.close()
            self._profile = None

    def seconds_until_unlock(self, parent: QObject | None) -> Op:
        def work() -> float:
            from kitchentable.services import seconds_until_unlock

            return seconds_until_unlock(self.path)

        return Op(parent, work)

    # -- use cases ----------------------------------------------------------------------------
    def open_conversation(self, parent: QObject | None, case_id: str) -> Op:
        def work(profile: Profile) -> OpenedConversation:
            from kitchentable.formengine.session import ConversationState
            from kitchentable.services.conversations import resume_conversation

            resumed = resume_conversation(profile, case_id)  # prefilled the first time
            conversation = resumed.conversation
            snapshot = ConversationState(conversation.form, dict(conversation.state.answers))
            return OpenedConversation(
                conversation, conversation.case, conversation.form, snapshot, resumed.position
            )

        return self.op(parent, work)

    def remember_position(self, parent: QObject | None, case_id: str, where: dict[str, Any]) -> Op:
        def work(profile: Profile) -> None:
            from kitchentable.services.conversations import remember_position

            remember_position(profile, case_id, where)

        return self.op(parent, work)

    def save_answer(
        self, parent: QObject | None, conversation: Conversation, question_id: str, value: Any
    ) -> Op:
        return self.op(parent, lambda p: p.save_answer(conversation, question_id, value))

    def forms(self, parent: QObject | None) -> Op:
        return self.op(parent, lambda p: p.forms.latest())
