"""Office staff accounts for the admin page: usernames and Argon2id password hashes.

Owns the password hash format and the password rules (the rows are `store.admin`'s). Never
stores, logs or returns a password, and never tells a caller whether a username exists
when a login fails (an unknown name costs the same hash as a known one).
"""

from __future__ import annotations

import base64
import functools
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from kitchentable.office.errors import AccountError
from kitchentable.office.store import Store, admin, iso

MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # hashing a megabyte per login attempt is a cheap denial of service
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
HASH_BYTES = 32
SALT_BYTES = 16


@dataclass(frozen=True)
class PasswordCost:
    """Argon2id cost, written into every hash so a later change keeps old hashes valid."""

    memory_kib: int
    iterations: int
    lanes: int


# RFC 9106 §4, second recommended option (64 MiB, t=3, p=4): ~0.2 s on the office server,
# paid once per login, not per request.
PRODUCTION_COST = PasswordCost(memory_kib=64 * 1024, iterations=3, lanes=4)
# The project's test cost (see kitchentable.storage.crypto.kdf_for_environment).
LOW_COST = PasswordCost(memory_kib=8 * 1024, iterations=1, lanes=1)
# What a stored hash may ask for; anything beyond is a damaged or tampered row.
MAX_MEMORY_KIB = 1024 * 1024
MAX_ITERATIONS = 16
MAX_LANES = 16


def cost_for_environment() -> PasswordCost:
    return LOW_COST if os.environ.get("KITCHENTABLE_KDF_COST") == "low" else PRODUCTION_COST


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _kdf(salt: bytes, cost: PasswordCost) -> Argon2id:
    return Argon2id(
        salt=salt,
        length=HASH_BYTES,
        iterations=cost.iterations,
        lanes=cost.lanes,
        memory_cost=cost.memory_kib,
    )


def hash_password(password: str, cost: PasswordCost | None = None) -> str:
    """The PHC string `$argon2id$v=19$m=…,t=…,p=…$salt$hash` (readable by argon2-cffi too)."""
    cost = cost or cost_for_environment()
    salt = os.urandom(SALT_BYTES)
    digest = _kdf(salt, cost).derive(password.encode("utf-8"))
    params = f"m={cost.memory_kib},t={cost.iterations},p={cost.lanes}"
    return f"$argon2id$v=19${params}${_b64(salt)}${_b64(digest)}"


def _parse(encoded: str) -> tuple[PasswordCost, bytes, bytes]:
    parts = encoded.split("$")
    if len(parts) != 6 or parts[1] != "argon2id" or parts[2] != "v=19":
        raise ValueError("not an argon2id v19 hash")
    fields = dict(item.split("=", 1) for item in parts[3].split(","))
    cost = PasswordCost(int(fields["m"]), int(fields["t"]), int(fields["p"]))
    if not (
        0 < cost.memory_kib <= MAX_MEMORY_KIB
        and 0 < cost.iterations <= MAX_ITERATIONS
        and 0 < cost.lanes <= MAX_LANES
    ):
        raise ValueError("argon2id cost out of range")
    return cost, _unb64(parts[4]), _unb64(parts[5])


def check_password(password: str, encoded: str) -> bool:
    """True when `password` matches; the comparison is constant-time (Argon2id.verify)."""
    try:
        cost, salt, expected = _parse(encoded)
    except (ValueError, KeyError):
        return False
    try:
        _kdf(salt, cost).verify(password.encode("utf-8"), expected)
    except InvalidKey:
        return False
    return True


@functools.cache
def _decoy(cost: PasswordCost) -> str:
    # A hash of nothing anyone types, so a login for an unknown name takes as long as one
    # for a known name.
    return hash_password(_b64(os.urandom(24)), cost)


def normalise_username(username: str) -> str:
    return username.strip().lower()


def validate(username: str, password: str) -> str:
    """The normalised username, or AccountError saying what to change."""
    name = normalise_username(username)
    if not USERNAME.fullmatch(name):
        raise AccountError(
            "username_invalid",
            "A username is 1–64 characters: letters, digits, '.', '_' or '-', "
            "starting with a letter or digit.",
        )
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            "password_too_short", f"The password must be at least {MIN_PASSWORD} characters."
        )
    if len(password) > MAX_PASSWORD:
        raise AccountError(
            "password_too_long", f"The password may be at most {MAX_PASSWORD} characters."
        )
    return name


def add_account(store: Store, username: str, password: str, now: datetime) -> str:
    """Create an admin account; returns its normalised username."""
    name = validate(username, password)
    admin.add_account(store.backend, name, hash_password(password), iso(now.astimezone(UTC)))
    return name


def set_password(store: Store, username: str, password: str) -> None:
    """Replace an account's password and end its sessions."""
    name = validate(username, password)
    admin.set_password_hash(store.backend, name, hash_password(password))


def disable_account(store: Store, username: str, now: datetime) -> None:
    """Disable an account (kept for the record) and end its sessions at once."""
    admin.disable_account(store.backend, normalise_username(username), iso(now.astimezone(UTC)))


def verify_login(store: Store, username: str, password: str) -> bool:
    """True for an enabled account with this password. Costs one Argon2id either way."""
    row = admin.login_row(store.backend, normalise_username(username))
    if row is None or len(password) > MAX_PASSWORD:
        check_password(password[:MAX_PASSWORD], _decoy(cost_for_environment()))
        return False
    matches = check_password(password, row[0])
    return matches and row[1] is None


def cmd_admin_add(store: Store, username: str, password: str, now: datetime) -> str:
    """`kitchentable-office admin add USER`: the caller reads the password (twice, without
    echo) and prints the returned sentence; AccountError carries a sentence for refusals."""
    name = add_account(store, username, password, now)
    return f"Admin account '{name}' created; sign in at /admin/login on the office server."
