"""The office's one family of refusals: `OfficeError(code, message, status)`.

Owns the base class every refusal of the office server and its commands derives from, and
the few subclasses a caller catches by name. `code` is stable (tests and laptops match on
it), `message` is one sentence for the person who reads it (administrator, consultant's
status line, admin page), `status` the HTTP status the API answers with. The API turns any
`OfficeError` into `{"error": code, "message": message}`; the command line prints the
message. Never carries client data, a token, a code or a key in a message, and is never
kept as a module-level instance (each refusal is a fresh exception with its own traceback).
"""

from __future__ import annotations


class OfficeError(Exception):
    """A refusal with a stable code, a sentence and an HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400, *, wipe: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        # Only for a revoked device: the laptop erases its vault when it reads this.
        self.wipe = wipe

    def __str__(self) -> str:
        return self.message


CODE_MESSAGES = {
    "code_unknown": "This enrolment code is not known. Check it, or ask the office for a new one.",
    "code_used": "This enrolment code has already been used. Ask the office for a new one.",
    "code_expired": "This enrolment code has expired (codes last 24 hours). Ask the office for a new one.",
}


class CodeRefused(OfficeError):
    """An enrolment code that cannot be used; `code` says why (unknown, used, expired)."""

    def __init__(self, code: str) -> None:
        super().__init__(code, CODE_MESSAGES[code], 403)


class ResyncRequired(OfficeError):
    """A pull cursor the server cannot continue from (older than what it keeps, or newer
    than anything it has: a server restored from a backup)."""

    def __init__(self) -> None:
        super().__init__(
            "resync_required",
            "The office cannot continue from this laptop's position; pull everything again.",
            409,
        )


class UploadRefused(OfficeError):
    """An upload step that cannot be taken; the code and sentence go to the device."""


class AlreadyAssigned(OfficeError):
    """The office already assigned a case with this id."""

    def __init__(self, case_id: str) -> None:
        super().__init__("already_assigned", f"A case with id {case_id} is already assigned.", 409)


class OfficeDatabaseError(OfficeError):
    """The office database cannot be used; the message is one sentence for the administrator."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, 503)


class WrongOfficePassphrase(OfficeError):
    """The office passphrase does not open the office keys."""

    def __init__(self, message: str = "The office passphrase is not correct.") -> None:
        super().__init__("wrong_passphrase", message, 403)


class AccountError(OfficeError):
    """An admin account operation refused; the message is for the administrator."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, 400)
