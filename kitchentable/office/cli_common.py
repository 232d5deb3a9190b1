"""What every `kitchentable-office` command shares: the refusal it prints, opening the
office's store, the office keys under the passphrase, and the pinned fingerprint.

Owns turning a missing office or an unreachable database into one sentence, and where an
administrator's command gets the office's private keys (the office passphrase, through
`custody`). Never prints a secret.
"""

from __future__ import annotations

from pathlib import Path

from kitchentable.office import custody, keys, tls
from kitchentable.office.errors import OfficeDatabaseError, OfficeError
from kitchentable.office.store import Store


class OfficeCliError(OfficeError):
    """A failure the administrator can act on; the message is the whole output."""

    def __init__(self, message: str) -> None:
        super().__init__("command_refused", message)


def open_store(data: Path) -> Store:
    if not (data / keys.KEYS_NAME).is_file():
        raise OfficeCliError(
            f"There is no office in {data}. Create one with 'kitchentable-office init --data {data}'."
        )
    try:
        return Store.open(data)
    except OfficeDatabaseError as exc:
        raise OfficeCliError(str(exc)) from exc


def unlock(data: Path) -> keys.OfficePrivateKeys:
    """The office's private keys, for a command an administrator runs."""
    return keys.unlock(data, custody.office_passphrase(confirm=False))


def fingerprint(data: Path) -> str | None:
    path = data / tls.TLS_CERT
    return tls.tls_fingerprint(path.read_bytes()) if path.is_file() else None
