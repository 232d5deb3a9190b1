"""Domain exceptions, each with a stable code and a sentence a consultant can act on.

The message is translated when it is shown (``str(error)``), not when it is raised, so an
error raised in one language and displayed after a language switch reads right. Messages
never contain personal data: only ids, file names, counts and field names.
"""

from __future__ import annotations

from dataclasses import dataclass

from kitchentable.i18n import N_, _


class KitchentableError(Exception):
    """Base of all errors meant for people. `code` is stable for scripts and tests."""

    code = "error"
    template = N_("Something went wrong.")

    def __init__(self, **params: object) -> None:
        self.params = params
        super().__init__(self.code)

    def __str__(self) -> str:
        return _(self.template).format(**self.params)


class ProfileMissing(KitchentableError):
    code = "profile_missing"
    template = N_(
        "There is no Kitchentable profile in {path}. Create one with 'kitchentable init' "
        "or choose another folder with --profile."
    )


class ProfileExists(KitchentableError):
    code = "profile_exists"
    template = N_("A profile already exists in {path}. Nothing was changed.")


class WrongPassphrase(KitchentableError):
    code = "wrong_passphrase"
    template = N_(
        "The passphrase is not correct. Check Caps Lock and try again "
        "(attempt {attempts}); after several wrong attempts you must wait a little longer."
    )


class UnlockDelayed(KitchentableError):
    code = "unlock_delayed"
    template = N_(
        "Too many wrong passphrases. Wait {seconds} seconds and try again. "
        "Forgot it? The office can restore access with the recovery key."
    )


class WeakPassphrase(KitchentableError):
    code = "weak_passphrase"
    template = N_(
        "Choose a longer passphrase: at least {minimum} characters, for example four words."
    )


class TamperedRecord(KitchentableError):
    code = "tampered_record"
    template = N_(
        "A stored item ({table} {row}) has been changed outside Kitchentable or is damaged, "
        "so it cannot be trusted and was not opened. Other data is not affected. "
        "Contact the office's application administrator."
    )


class TamperedLog(KitchentableError):
    code = "tampered_log"
    template = N_(
        "The access log has been changed outside Kitchentable, so the data key was not "
        "replaced: replacing it would hide that change. Nothing was changed. "
        "Contact the office's application administrator."
    )


class CorruptDatabase(KitchentableError):
    code = "corrupt_database"
    template = N_(
        "The data file {path} is damaged and cannot be opened. Nothing was changed. "
        "Contact the office's application administrator; do not delete the file."
    )


class ProfileTooNew(KitchentableError):
    code = "profile_too_new"
    template = N_(
        "The data file {path} was written by a newer version of Kitchentable. Nothing is "
        "damaged and nothing was changed. Install the newer version to open it."
    )


class VaultLocked(KitchentableError):
    code = "vault_locked"
    template = N_("The app is locked. Unlock it with your passphrase to continue.")


class NotFound(KitchentableError):
    code = "not_found"
    template = N_("There is no {what} '{key}'.")
    WHAT = (N_("case"), N_("person"), N_("document"))

    def __str__(self) -> str:
        return _(self.template).format(what=_(str(self.params["what"])), key=self.params["key"])


class RecoveryNotConfigured(KitchentableError):
    code = "recovery_not_configured"
    template = N_("This profile has no office recovery key, so it cannot be restored that way.")


class RecoveryKeyMismatch(KitchentableError):
    code = "recovery_key_mismatch"
    template = N_(
        "This recovery key does not belong to this profile's office. Nothing was changed."
    )


class FormError(KitchentableError):
    """A problem in a form file, located as ``file:line: message``."""

    code = "form_error"
    template = N_("{file}:{line}: {message}")

    def __init__(self, file: str, line: int, message: str, field: str = "") -> None:
        super().__init__(file=file, line=line, message=message, field=field)
        self.file, self.line, self.message, self.field = file, line, message, field


class FormErrors(KitchentableError):
    """Several form problems at once; each is a FormError."""

    code = "form_errors"

    def __init__(self, errors: list[FormError]) -> None:
        super().__init__(count=len(errors))
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class UnknownForm(KitchentableError):
    code = "unknown_form"
    template = N_("The form '{form}' (version {version}) is not installed on this laptop.")


class ImportRefused(KitchentableError):
    """An import file with problems; nothing was imported."""

    code = "import_refused"
    template = N_("Nothing was imported: the file has {count} problem(s).")

    def __init__(self, problems: list[str]) -> None:
        super().__init__(count=len(problems))
        self.problems = problems

    def __str__(self) -> str:
        head = _(self.template).format(count=len(self.problems))
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


class InvalidAnswer(KitchentableError):
    code = "invalid_answer"
    template = N_("{question}: {message}")


class InvalidTransition(KitchentableError):
    code = "invalid_transition"
    template = N_("A case with status '{current}' cannot become '{target}'.")


class PlanNotReady(KitchentableError):
    code = "plan_not_ready"

    def __str__(self) -> str:
        reason = self.params.get("reason")
        if reason == "signed":
            return _("This plan has been signed and sealed; it can no longer be changed.")
        return _(
            "The plan cannot be signed yet: these topics the law requires are still open: {topics}. "
            "Complete them in the conversation first."
        ).format(topics=self.params.get("topics", ""))


@dataclass(frozen=True)
class SealBlocker:
    """One reason a plan cannot be sealed yet, with where to fix it.

    `kind`: topic, question, consent (in the conversation: `section` and `question` say where,
    and for a repeating group `item` (from 0) and `field` the entry and its field), or
    reaction, place, signature (on the plan page: `question` is empty). `text` is one
    sentence for people, in the language the check ran in; it may quote a question's label,
    never an answer.
    """

    kind: str
    text: str
    section: str = ""
    question: str = ""
    item: int = 0
    field: str = ""


class SealRefused(KitchentableError):
    """The plan cannot be sealed yet; `blockers` names each thing to do first."""

    code = "seal_refused"

    def __init__(self, blockers: list[SealBlocker]) -> None:
        super().__init__(count=len(blockers))
        self.blockers = blockers

    def __str__(self) -> str:
        head = _("The plan cannot be signed and sealed yet. First:")
        return "\n".join([head, *(f"  - {b.text}" for b in self.blockers)])
