"""Who holds which secret: the office passphrase for administrator commands, the serve
secret for the serving process, and never both in `serve`.

Owns where each secret is read from and the rule between them. The **office passphrase**
opens the office's X25519 and Ed25519 keys and the root CA key; commands an administrator
runs (`init`, `export`, `deliver`, `report`, `assign`, `form`, `catalogue`, `products`,
`policy`, `ca issue`) read it from
KITCHENTABLE_OFFICE_PASSPHRASE, a file named by KITCHENTABLE_OFFICE_PASSPHRASE_FILE, or a
prompt on the terminal. The **serve secret** opens only the online CA key; `serve` reads it
from `--serve-secret FILE`, KITCHENTABLE_OFFICE_SERVE_SECRET_FILE, the systemd credential
`serve-secret` ($CREDENTIALS_DIRECTORY), or as a last resort `serve-secret` in the data
folder (where `init` writes a new one; the guide moves it out). `serve` refuses to start
when it is offered the office passphrase in any of its places, so the one internet-facing
process never has it in its environment, its credentials or its memory.

Never prints or logs a secret.
"""

from __future__ import annotations

import getpass
import os
import secrets
import sys
from pathlib import Path

from kitchentable.office.errors import OfficeError

PASSPHRASE_ENV = "KITCHENTABLE_OFFICE_PASSPHRASE"  # noqa: S105 - a variable name, not a secret
PASSPHRASE_FILE_ENV = PASSPHRASE_ENV + "_FILE"
PASSPHRASE_CREDENTIAL = "office-passphrase"  # noqa: S105 - an older unit's credential name
SERVE_SECRET_FILE_ENV = "KITCHENTABLE_OFFICE_SERVE_SECRET_FILE"  # noqa: S105 - a name
SERVE_SECRET_CREDENTIAL = "serve-secret"  # noqa: S105 - systemd LoadCredential= name
SERVE_SECRET_NAME = "serve-secret"  # noqa: S105 - the file init writes in the data folder


class SecretRefused(OfficeError):
    """A secret that is missing or offered where it must not be."""

    def __init__(self, message: str) -> None:
        super().__init__("secret_refused", message, 403)


def _credential(name: str) -> Path | None:
    folder = os.environ.get("CREDENTIALS_DIRECTORY")
    return Path(folder) / name if folder else None


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8").rstrip("\r\n")


def office_passphrase(confirm: bool) -> str:
    """The office passphrase for an administrator's command."""
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    credential = _credential(PASSPHRASE_CREDENTIAL)
    for path in (os.environ.get(PASSPHRASE_FILE_ENV), credential):
        if path and Path(path).is_file():
            return _read(Path(path))
    if not sys.stdin.isatty():
        raise SecretRefused(
            f"No office passphrase: set {PASSPHRASE_ENV} (or {PASSPHRASE_FILE_ENV}), or run in "
            "a terminal. The server itself never needs it (its credential is 'serve-secret')."
        )
    first = getpass.getpass("Office passphrase: ")
    if confirm and getpass.getpass("Type it again: ") != first:
        raise SecretRefused("The two passphrases differ. Nothing was changed.")
    return first


def refuse_office_passphrase() -> None:
    """For `serve`: refuse to run when the office passphrase is offered anywhere."""
    offered = [name for name in (PASSPHRASE_ENV, PASSPHRASE_FILE_ENV) if name in os.environ]
    credential = _credential(PASSPHRASE_CREDENTIAL)
    if credential is not None and credential.exists():
        offered.append(f"credential '{PASSPHRASE_CREDENTIAL}'")
    if offered:
        raise SecretRefused(
            "The server must not be given the office passphrase (found: "
            f"{', '.join(offered)}). Remove it from the service: the server needs only its "
            f"serve secret (credential '{SERVE_SECRET_CREDENTIAL}'); the passphrase belongs "
            "to the administrator's commands."
        )


def serve_secret(data_dir: Path, given: Path | None) -> tuple[bytes, Path] | None:
    """The serve secret and where it was found, or None when there is none."""
    candidates = [
        given,
        Path(os.environ[SERVE_SECRET_FILE_ENV]) if os.environ.get(SERVE_SECRET_FILE_ENV) else None,
        _credential(SERVE_SECRET_CREDENTIAL),
        data_dir / SERVE_SECRET_NAME,
    ]
    for path in candidates:
        if path is not None and path.is_file():
            return _read(path).encode("utf-8"), path
        if path is given and given is not None:
            raise SecretRefused(f"There is no serve secret in {given}.")
    return None


def serve_secret_for_init(data_dir: Path, given: Path | None) -> tuple[bytes, Path, bool]:
    """For `init`: the serve secret in `given` (or the file KITCHENTABLE_OFFICE_SERVE_SECRET_FILE
    names), made there when the file does not exist yet; else a new `serve-secret` in the
    data folder. Returns (secret, its file, made now)."""
    named = os.environ.get(SERVE_SECRET_FILE_ENV)
    path = given or (Path(named) if named else data_dir / SERVE_SECRET_NAME)
    if path.is_file():
        return _read(path).encode("utf-8"), path, False
    return new_serve_secret(path), path, True


def new_serve_secret(path: Path) -> bytes:
    """Write a new serve secret (32 random bytes, URL-safe base64) to a new owner-only file."""
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value.encode("utf-8")
