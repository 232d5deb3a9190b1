"""What can go wrong with a sync, as sentences a consultant can act on.

Owns the `SyncError` family: each a stable code and a translatable sentence that says what
happened and that the work on this laptop is safe. A cut connection is named as a cut
connection, an unreachable server as offline, a garbled answer as garbled; a Cancel is not a
failure. Never carries personal data in a message (server names, codes and counts only), and
never imports Qt.
"""

from __future__ import annotations

from kitchentable.errors import KitchentableError
from kitchentable.i18n import N_


class SyncError(KitchentableError):
    code = "sync_failed"
    template = N_("Synchronising failed. Your work is kept on this laptop; try again later.")


class NotEnrolled(SyncError):
    code = "not_enrolled"
    template = N_(
        "This laptop is not connected to the office yet. Ask the office for an enrolment "
        "code and enter it under Synchronise → Connect to the office."
    )


class AlreadyEnrolled(SyncError):
    code = "already_enrolled"
    template = N_(
        "This profile is already connected to the office ({server}). Nothing was changed."
    )


class Offline(SyncError):
    code = "offline"
    template = N_(
        "The office server cannot be reached ({reason}). You can keep working; everything "
        "waits safely on this laptop and is sent at the next connection."
    )


class ConnectionCut(Offline):
    """The server was reached, but the connection broke off before its answer was complete.
    A kind of Offline: the status line says so, and what was not confirmed goes again."""

    code = "connection_cut"
    template = N_(
        "The connection to the office server broke off ({reason}). Nothing was lost: what "
        "the office did not confirm is sent again at the next synchronisation."
    )


class ServerAnswerUnreadable(SyncError):
    code = "server_garbage"
    template = N_(
        "The office server sent an answer this laptop cannot read ({reason}). Nothing was lost: "
        "your work is still waiting on this laptop. If this keeps happening, tell the office."
    )


class ServerRefused(SyncError):
    code = "server_refused"
    template = N_("The office server refused: {message}")


class ServerNotTrusted(SyncError):
    code = "server_not_trusted"
    template = N_(
        "The office server could not be trusted ({reason}). Nothing was sent. Tell the "
        "office; do not synchronise over this network until it is sorted out."
    )


class EnrolmentRefused(SyncError):
    code = "enrolment_refused"
    template = N_("The office did not accept the enrolment: {message}")


class TokenRejected(SyncError):
    code = "token_rejected"
    template = N_(
        "The office no longer knows this laptop ({message}). Ask the office for a new "
        "enrolment code; your work stays on this laptop until then."
    )


class DeviceRevoked(SyncError):
    code = "device_revoked"
    template = N_(
        "The office has revoked this laptop. For the inhabitants' safety all Kitchentable data "
        "on it has been removed. Contact the office."
    )


class SyncCancelled(SyncError):
    code = "sync_cancelled"
    template = N_(
        "Synchronising was stopped. Nothing was lost: what did not reach the office goes at "
        "the next synchronisation."
    )


class CheckInRequired(KitchentableError):
    code = "check_in_required"
    template = N_(
        "This laptop has not been in touch with the office for more than {days} days. "
        "Connect to the internet and synchronise first; then you can go on working."
    )


class ResyncRequired(Exception):
    """The server cannot continue from this cursor (handled inside the pull, never shown)."""
