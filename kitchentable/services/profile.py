"""The profile: one unlocked vault and the use cases on its cases and conversations.

Synchronous, Qt-free, one unlocked profile at a time. Owns the order of things for each use case (check, write in one transaction, log access)
so that the CLI, the app and the tests behave the same. Never formats for a screen and
never imports Qt. Database work for one Profile must happen on one thread at a time (the
UI runs it on its single worker).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from kitchentable import casefile
from kitchentable.config import Settings, load_settings, save_settings
from kitchentable.domain.case import Case, CaseStatus, Person, deadline_for, transition
from kitchentable.errors import InvalidAnswer, PlanNotReady
from kitchentable.formengine.loader import FormRegistry
from kitchentable.formengine.model import Form
from kitchentable.formengine.optionsources import products_from_catalogue
from kitchentable.formengine.session import ConversationState, coerce
from kitchentable.paths import profile_db_present
from kitchentable.render.plan_builder import term_extension
from kitchentable.storage.audit import AccessLog
from kitchentable.storage.crypto import KdfParams, check_passphrase_strength
from kitchentable.storage.database import (
    SCHEMA_VERSION,
    create_database,
    open_database,
    remove_database,
)
from kitchentable.storage.keys import KeyStore, VaultKeys
from kitchentable.storage.outbox import Outbox
from kitchentable.storage.rekey import rekey
from kitchentable.storage.repositories import Repository
from kitchentable.storage.sealed_rows import Progress, bind_parents
from kitchentable.storage.sync_state import SyncStore
from kitchentable.sync.model import StateKey

if TYPE_CHECKING:
    from kitchentable.services.plans import PlanService

log = logging.getLogger(__name__)


def default_forms() -> FormRegistry:
    """The shipped forms plus any folder in KITCHENTABLE_EXTRA_FORMS (os.pathsep-separated).

    A municipality can add its own forms (or newer versions) without touching the install;
    a broken extra form is reported in `registry.problems` and never hides the others.
    """
    registry = FormRegistry.from_directory()
    for folder in filter(None, os.environ.get("KITCHENTABLE_EXTRA_FORMS", "").split(os.pathsep)):
        extra = FormRegistry.from_directory(Path(folder))
        for form in extra.all():
            registry.add(form)
        registry.problems.extend(extra.problems)
    return registry


def profile_exists(path: Path) -> bool:
    return profile_db_present(path)


def seconds_until_unlock(path: Path) -> float:
    """How long the unlock screen must wait after wrong passphrases (0 when it may try)."""
    db = open_database(path)
    try:
        return KeyStore(db).seconds_until_next_attempt()
    finally:
        db.close()


def profile_settings(path: Path) -> Settings:
    """The plaintext settings, readable before unlocking (language, demo flag, auto-lock),
    with the installation's presets applied as the open profile will apply them."""
    db = open_database(path)
    try:
        return _with_presets(load_settings(db))
    finally:
        db.close()


def _with_presets(stored: Settings) -> Settings:
    """IT's presets.json: the office URL is the installation's, auto-lock is a ceiling.

    The demo profile is left alone: it must behave the same on every machine.
    """
    from kitchentable.presets import installation_presets

    return stored if stored.demo else installation_presets().enforce(stored)


@dataclass(frozen=True)
class CaseSummary:
    """One row of the case list."""

    id: str
    external_id: str
    name: str
    address: str
    postcode: str
    status: CaseStatus
    melding_date: date
    deadline: date
    updated_at: str
    sync_state: str

    def days_left(self, today: date | None = None) -> int:
        return (self.deadline - (today or date.today())).days


@dataclass
class Conversation:
    """An open conversation: its case, the form version it began with, and the live state."""

    case: Case
    conversation_id: str
    form: Form
    state: ConversationState


class Profile:
    """An unlocked consultant profile: database + keys + forms."""

    def __init__(
        self,
        path: Path,
        db: sqlite_utils.Database,
        keys: VaultKeys,
        forms: FormRegistry,
        origin: str,
    ) -> None:
        self.path = path
        self.db = db
        self.keys = keys
        # Its own registry: forms the office sends are added to this profile only.
        self.forms = FormRegistry(forms.all())
        self.forms.problems.extend(forms.problems)
        synced = path / "synced-forms"  # forms the office sent (sync client checks each)
        if synced.is_dir():
            extra = FormRegistry.from_directory(synced)
            for form in extra.all():
                self.forms.add(form)
            self.forms.problems.extend(extra.problems)
        self.refresh_products()
        stored = load_settings(db)
        self.settings = _with_presets(stored)
        if self.settings != stored:
            save_settings(db, self.settings)
        self.repo = Repository(db, keys)
        self.outbox = Outbox(db, keys)
        self.access = AccessLog(
            db, keys, actor=self.settings.consultant or "consultant", origin=origin
        )

    @cached_property
    def plans(self) -> PlanService:
        """The plan use cases; loaded on first use because PDF and signing libraries take
        about a second to import, which the unlock screen should not wait for."""
        from kitchentable.services.plans import PlanService

        return PlanService(self)

    def refresh_products(self) -> None:
        """Offer the office's product list (it comes with the synced catalogue) in the forms'
        product questions."""
        catalogue = SyncStore(self.db, self.keys).get(StateKey.CATALOGUE)
        self.forms.use_products(products_from_catalogue(catalogue))

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        path: Path,
        passphrase: str,
        *,
        settings: Settings | None = None,
        recovery_public: bytes | None = None,
        kdf: KdfParams | None = None,
        forms: FormRegistry | None = None,
        origin: str = "cli",
    ) -> Profile:
        db = create_database(path)
        try:
            keys = KeyStore(db).create(passphrase, kdf, recovery_public)
            settings = settings or Settings()
            if not settings.demo:
                from kitchentable.presets import installation_presets

                settings = installation_presets().for_new_profile(settings)
            save_settings(db, settings)
        except BaseException:
            db.close()
            remove_database(path)
            raise
        profile = cls(path, db, keys, forms or default_forms(), origin)
        profile.access.record("profile.create", "profile")
        return profile

    @classmethod
    def unlock(
        cls, path: Path, passphrase: str, *, forms: FormRegistry | None = None, origin: str = "cli"
    ) -> Profile:
        db = open_database(path)
        try:
            keys = KeyStore(db).unlock(passphrase)
        except BaseException:
            db.close()
            raise
        profile = cls(path, db, keys, forms or default_forms(), origin)
        profile._check_vault()
        profile.access.record("profile.unlock", "profile")
        return profile

    def _check_vault(self) -> None:
        """At every unlock: bind sealed rows to their parents once (rows written by an older
        version), and put back the access log's append-only triggers if someone removed
        them — recorded as a log line, so the office sees it."""
        bound = bind_parents(self.db, self.keys)
        if bound:
            log.info("bound %d sealed rows to their parents", bound)
        missing = self.access.restore_missing_triggers()
        if missing:
            self.access.record(
                "access_log.triggers_missing",
                "profile",
                result="restored",
                detail={"missing": missing},
            )

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Profile:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def change_passphrase(self, new_passphrase: str) -> None:
        KeyStore(self.db).change_passphrase(self.keys, new_passphrase)
        self.access.record("profile.passphrase_change", "profile")

    def rekey(self, new_passphrase: str, progress: Progress | None = None) -> None:
        """A new data key under a new passphrase: every record re-sealed (storage.rekey).

        An old backup opened with an old passphrase then reveals nothing written afterwards.
        All or nothing: an interruption leaves the old key and passphrase in force.
        """
        check_passphrase_strength(new_passphrase)
        new = rekey(self.db, self.keys, new_passphrase, self.access, progress)
        self.keys = new
        self.repo = Repository(self.db, new)
        self.outbox = Outbox(self.db, new)
        self.access.record("profile.rekey", "profile")

    def diagnostics(self) -> dict[str, Any]:
        """What support needs, and no personal data: versions, paths, counts, parameters."""
        import platform
        import sys

        from kitchentable import __version__
        from kitchentable.presets import installation_presets

        presets = installation_presets()
        kdf = KeyStore(self.db).kdf_params()
        return {
            "kitchentable": __version__,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "profile": str(self.path),
            "schema_version": SCHEMA_VERSION,
            "kdf": {
                "algorithm": kdf.algorithm,
                "iterations": kdf.iterations,
                "memory_kib": kdf.memory_kib,
                "lanes": kdf.lanes,
            },
            "recovery_key": KeyStore(self.db).has_recovery(),
            "forms": [f"{f.id} {f.version}" for f in self.forms.all()],
            "form_problems": len(self.forms.problems),
            "cases": self.db.execute("SELECT count(*) FROM cases").fetchone()[0],
            "outbox_pending": self.outbox.count(),
            "access_log_intact": self.access.verify() is None,
            "language": self.settings.language,
            "auto_lock_minutes": self.settings.auto_lock_minutes,
            "presets": str(presets.source) if presets.source else None,
            "preset_keys": presets.keys(),
        }

    def update_settings(self, **changes: Any) -> None:
        self.settings = self.settings.updated(**changes)
        save_settings(self.db, self.settings)
        self.access.actor = self.settings.consultant or "consultant"

    # -- cases ----------------------------------------------------------------------------
    def case_summaries(self, search: str | None = None) -> list[CaseSummary]:
        ids = self.repo.search(search) if search and search.strip() else None
        return [
            CaseSummary(
                id=row["id"],
                external_id=row["external_id"],
                name=person.name,
                address=person.address.one_line(),
                postcode=person.address.postcode,
                status=CaseStatus(row["status"]),
                melding_date=date.fromisoformat(row["melding_date"]),
                deadline=date.fromisoformat(row["deadline"]),
                updated_at=row["updated_at"],
                sync_state=row["sync_state"],
            )
            for row, person in self.repo.list_people(ids)
        ]

    def external_id_exists(self, external_id: str) -> bool:
        """Whether a melding number is taken (the new-case dialog checks before creating)."""
        return self.repo.external_id_exists(external_id)

    def case(self, reference: str) -> Case:
        return self.repo.get_case(self.repo.resolve_case(reference))

    def create_case(
        self,
        *,
        external_id: str,
        melding_date: date,
        person: Person,
        form_id: str | None = None,
        notes: str = "",
    ) -> str:
        form = self.forms.get(form_id or "wmo-keukentafelgesprek")
        with self.db.atomic():
            case_id = self.repo.create_case(
                external_id=external_id,
                melding_date=melding_date,
                form_id=form.id,
                form_version=form.version,
                person=person,
                notes=notes,
            )
            self.access.record("case.create", "case", case_id)
        return case_id

    def import_cases(self, document: object) -> list[str]:
        """Create every case in an import document, or none (ImportRefused lists each problem)."""
        prepared = casefile.validate_import(document, self.forms, self.repo.external_id_exists)
        created = []
        with self.db.atomic():
            for item in prepared:
                case_id = self.repo.create_case(
                    external_id=item.external_id,
                    melding_date=item.melding_date,
                    form_id=item.form.id,
                    form_version=item.form.version,
                    person=item.person,
                    notes=item.notes,
                    kind=item.kind,
                    origin="office",
                )
                if item.answers:
                    conversation_id = self.repo.start_conversation(
                        case_id, item.form.id, item.form.version, item.form.sha256
                    )
                    for question_id, value in item.answers.items():
                        self.repo.save_answer(conversation_id, question_id, value)
                    self.repo.set_status(case_id, CaseStatus.IN_CONVERSATION)
                self.access.record("case.import", "case", case_id)
                created.append(case_id)
        log.info("imported %d case(s)", len(created))
        return created

    def export_case(self, reference: str) -> dict[str, Any]:
        """Everything stored about one case, readable (the inhabitant's right of access).

        The plan in it is built from the current answers (a signed plan: as it was signed)."""
        case = self.case(reference)
        if self.repo.get_plan(case.id) is not None:
            self.plans.up_to_date(case.id)
        conversation = self.repo.conversation_for(case.id)
        answers = self.repo.answers(conversation["id"]) if conversation else {}
        form = (
            self.forms.get(conversation["form_id"], conversation["form_version"])
            if conversation
            else None
        )
        self.access.record("case.export", "case", case.id)
        return casefile.build_export(
            case,
            conversation,
            answers,
            form,
            self.repo.get_plan(case.id),
            [
                dict(d, content=self.repo.get_document(d["id"]))
                for d in self.repo.documents(case.id)
            ],
            self.access.lines(case.id),
        )

    # -- the conversation --------------------------------------------------------------------
    def open_conversation(self, reference: str) -> Conversation:
        self.refresh_products()  # a synchronisation may have brought a new product list
        case = self.case(reference)
        row = self.repo.conversation_for(case.id)
        if row is None:
            form = self.forms.get(case.form_id, case.form_version)
            with self.db.atomic():
                conversation_id = self.repo.start_conversation(
                    case.id, form.id, form.version, form.sha256
                )
            answers: dict[str, object] = {}
        else:
            form = self.forms.get(row["form_id"], row["form_version"])
            conversation_id = row["id"]
            answers = self.repo.answers(conversation_id)
        self.access.record("case.open", "case", case.id)
        return Conversation(case, conversation_id, form, ConversationState(form, answers))

    def save_answer(self, conversation: Conversation, question_id: str, value: object) -> object:
        """Validate, store durably, and apply one answer; returns the stored value.

        When this returns, the answer is on disk (WAL fsynced, synchronous=FULL).
        """
        question = conversation.form.question(question_id)
        if question is None:
            raise InvalidAnswer(question=question_id, message="not in this form")
        stored = coerce(question, value)
        status = CaseStatus(
            self.db.execute(
                "SELECT status FROM cases WHERE id = ?", [conversation.case.id]
            ).fetchone()[0]
        )
        if status in (CaseStatus.SIGNED, CaseStatus.SYNCED):
            # The sealed plan reports this conversation; changing it needs a new conversation.
            raise PlanNotReady(reason="signed")
        with self.db.atomic():
            self.repo.save_answer(conversation.conversation_id, question_id, stored)
            case = conversation.case
            if case.status == CaseStatus.NEW:
                self.repo.set_status(case.id, transition(case.status, CaseStatus.IN_CONVERSATION))
                conversation.case = self.repo.get_case(case.id)
            else:
                self.repo.touch_case(case.id)
            conversation.state.set(question_id, stored)
            # An agreed extension of the six-week term moves the deadline the case list shows.
            deadline = term_extension(conversation.form, conversation.state) or deadline_for(
                case.melding_date
            )
            if deadline != conversation.case.deadline:
                self.repo.set_deadline(case.id, deadline)
                conversation.case = self.repo.get_case(case.id)
        return stored
