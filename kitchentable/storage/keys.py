"""The vault's keys: creating, unlocking, rewrapping and recovering the data key.

Owns the key hierarchy of a profile:

    passphrase --Argon2id--> KEK --AES-GCM wrap--> data key (random 256 bit)
    office recovery public key (X25519) --ECIES wrap--> the same data key (optional)
    data key --HKDF--> record key (AES-256-GCM sealing) | index key (HMAC blind index)
                     | log key (access-log chain)

The wrapped keys and KDF parameters live in the `vault` table of the profile database;
unlocking gives `VaultKeys`, which seal and open records. The data key is never written
anywhere unwrapped. A passphrase change rewraps it (no record is re-encrypted); a rekey
(storage.rekey) replaces it and re-seals every record, so an old backup opened with an old
passphrase reveals nothing written after the rekey.

Repeated wrong passphrases: the first three are free, then a delay that doubles from 5 s up
to 5 minutes must pass before the next attempt is even tried. The counter is kept in the
database (not by wall clock decisions about data, only about when to try again); the real
protection against guessing is Argon2id's cost, the delay is against a person trying words.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson

from kitchentable.errors import (
    RecoveryKeyMismatch,
    RecoveryNotConfigured,
    TamperedRecord,
    UnlockDelayed,
    WrongPassphrase,
)
from kitchentable.storage import crypto
from kitchentable.storage.crypto import (
    KdfParams,
    SealError,
    check_passphrase_strength,
    kdf_for_environment,
)

FREE_ATTEMPTS = 3
MAX_DELAY = 300.0
WRAP_AD = b"kitchentable/vault/passphrase-wrap/v1"
RECOVERY_INFO = "kitchentable/vault/recovery-wrap/v1"

Clock = Callable[[], float]


def delay_after(failures: int) -> float:
    """Seconds to wait before the next attempt after `failures` wrong passphrases in a row."""
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(MAX_DELAY, 5.0 * 2.0 ** (failures - FREE_ATTEMPTS))


@dataclass(frozen=True)
class VaultKeys:
    """The unlocked keys. Seals and opens records; holds nothing else."""

    data_key: bytes

    # Derived once per unlock and dropped with the object at lock time.
    @cached_property
    def record_key(self) -> bytes:
        return crypto.hkdf(self.data_key, "kitchentable/records/v1")

    @cached_property
    def index_key(self) -> bytes:
        return crypto.hkdf(self.data_key, "kitchentable/blind-index/v1")

    @cached_property
    def log_key(self) -> bytes:
        return crypto.hkdf(self.data_key, "kitchentable/access-log/v1")

    def seal(
        self, table: str, row_id: str, version: int, value: Any, parent: str | None = None
    ) -> bytes:
        plaintext = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return crypto.seal(self.record_key, plaintext, _ad(table, row_id, version, parent))

    def open(
        self,
        table: str,
        row_id: str,
        version: int,
        sealed: bytes | None,
        parent: str | None = None,
    ) -> Any:
        if sealed is None:
            raise TamperedRecord(table=table, row=row_id)
        try:
            plaintext = crypto.unseal(
                self.record_key, bytes(sealed), _ad(table, row_id, version, parent)
            )
        except SealError as exc:
            raise TamperedRecord(table=table, row=row_id) from exc
        return loads(plaintext)

    def seal_bytes(
        self, table: str, row_id: str, version: int, data: bytes, parent: str | None = None
    ) -> bytes:
        return crypto.seal(self.record_key, data, _ad(table, row_id, version, parent))

    def open_bytes(
        self, table: str, row_id: str, version: int, sealed: bytes, parent: str | None = None
    ) -> bytes:
        try:
            return crypto.unseal(
                self.record_key, bytes(sealed), _ad(table, row_id, version, parent)
            )
        except SealError as exc:
            raise TamperedRecord(table=table, row=row_id) from exc

    def blind(self, kind: str, normalised: str) -> str:
        return crypto.blind_index(self.index_key, f"{kind}:{normalised}")

    def blinder(self, kind: str, common: str) -> Callable[[str], str]:
        """`blind(kind, common + rest)` for many `rest`s (crypto.blind_indexes)."""
        return crypto.blind_indexes(self.index_key, f"{kind}:{common}")


def loads(data: bytes) -> Any:
    """A sealed value's JSON read back: orjson (a plan in a third of the stdlib's time,
    an answer in a fifth; a first sync opens tens of thousands), and what it refuses but
    `seal` may have written (NaN and Infinity, integers past 64 bits) the stdlib reads as
    it always did."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data.decode("utf-8"))


def _ad(table: str, row_id: str, version: int, parent: str | None = None) -> bytes:
    # Associated data binds a sealed value to its table, row and version: a value copied to
    # another row, or a version number edited without the value, fails authentication.
    # `parent` binds it to the plaintext columns that place the row (its case, conversation,
    # role or kind: storage.sealed_rows names them per table), so a row moved to another
    # case fails too. Tables without a parent keep the original three-part form.
    base = f"{table}\x1f{row_id}\x1f{version}"
    return (base if parent is None else f"{base}\x1f{parent}").encode()


class KeyStore:
    """Reads and writes the `vault` table. `db` is a sqlite_utils.Database."""

    def __init__(self, db: Any, clock: Clock = time.time) -> None:
        self.db = db
        self.clock = clock

    def _get(self, key: str) -> Any:
        row = self.db.execute("SELECT value FROM vault WHERE key = ?", [key]).fetchone()
        return json.loads(row[0]) if row else None

    def _put(self, key: str, value: Any) -> None:
        self.db.execute(
            "INSERT INTO vault(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, json.dumps(value)],
        )

    def exists(self) -> bool:
        return self._get("passphrase_wrap") is not None

    def destroy(self) -> None:
        """Delete every wrap of the data key: from now on nobody can open the sealed data
        (a revoked laptop's wipe does this first)."""
        self.db.execute("DELETE FROM vault")

    def create(
        self, passphrase: str, kdf: KdfParams | None = None, recovery_public: bytes | None = None
    ) -> VaultKeys:
        check_passphrase_strength(passphrase)
        data_key = os.urandom(crypto.KEY_BYTES)
        with self.db.atomic():
            self._wrap_passphrase(data_key, passphrase, kdf or kdf_for_environment())
            if recovery_public is not None:
                self._wrap_recovery(data_key, recovery_public)
            self._put("unlock_failures", {"count": 0, "not_before": 0})
        return VaultKeys(data_key)

    def _wrap_passphrase(self, data_key: bytes, passphrase: str, kdf: KdfParams) -> None:
        kek = crypto.derive_passphrase_key(passphrase, kdf)
        wrapped = crypto.seal(kek, data_key, WRAP_AD)
        self._put("passphrase_wrap", {"kdf": kdf.to_dict(), "wrapped": crypto.b64(wrapped)})

    def _wrap_recovery(self, data_key: bytes, recovery_public: bytes) -> None:
        self._put(
            "recovery_wrap", crypto.seal_to_public_key(recovery_public, data_key, RECOVERY_INFO)
        )

    def kdf_params(self) -> KdfParams:
        return KdfParams.from_dict(self._get("passphrase_wrap")["kdf"])

    def has_recovery(self) -> bool:
        return self._get("recovery_wrap") is not None

    def seconds_until_next_attempt(self) -> float:
        state = self._get("unlock_failures") or {"count": 0, "not_before": 0}
        return max(0.0, float(state["not_before"]) - float(self.clock()))

    def unlock(self, passphrase: str) -> VaultKeys:
        wait = self.seconds_until_next_attempt()
        if wait > 0:
            raise UnlockDelayed(seconds=int(wait + 0.999))
        record = self._get("passphrase_wrap")
        kek = crypto.derive_passphrase_key(passphrase, KdfParams.from_dict(record["kdf"]))
        try:
            data_key = crypto.unseal(kek, crypto.unb64(record["wrapped"]), WRAP_AD)
        except SealError:
            state = self._get("unlock_failures") or {"count": 0, "not_before": 0}
            count = int(state["count"]) + 1
            self._put(
                "unlock_failures", {"count": count, "not_before": self.clock() + delay_after(count)}
            )
            raise WrongPassphrase(attempts=count) from None
        self._put("unlock_failures", {"count": 0, "not_before": 0})
        return VaultKeys(data_key)

    def change_passphrase(self, keys: VaultKeys, new_passphrase: str) -> None:
        """Rewrap the same data key under a new passphrase; no record changes."""
        check_passphrase_strength(new_passphrase)
        with self.db.atomic():
            self._wrap_passphrase(keys.data_key, new_passphrase, kdf_for_environment())

    def replace_data_key(self, new: VaultKeys, passphrase: str) -> None:
        """Wrap a new data key under `passphrase`, and to the same office recovery key as the
        old one was (its public key is in the envelope). Caller holds atomic() and has
        re-sealed every record under the new key (storage.rekey)."""
        check_passphrase_strength(passphrase)
        self._wrap_passphrase(new.data_key, passphrase, kdf_for_environment())
        envelope = self._get("recovery_wrap")
        if envelope is not None:
            self._wrap_recovery(new.data_key, crypto.unb64(envelope["recipient"]))

    def set_recovery_key(self, keys: VaultKeys, recovery_public: bytes) -> None:
        with self.db.atomic():
            self._wrap_recovery(keys.data_key, recovery_public)

    def recover(self, recovery_private: bytes, new_passphrase: str) -> VaultKeys:
        """Office recovery: open the data key with the office private key, set a new passphrase."""
        envelope = self._get("recovery_wrap")
        if envelope is None:
            raise RecoveryNotConfigured()
        try:
            data_key = crypto.open_with_private_key(recovery_private, envelope, RECOVERY_INFO)
        except (SealError, ValueError) as exc:
            raise RecoveryKeyMismatch() from exc
        keys = VaultKeys(data_key)
        self.change_passphrase(keys, new_passphrase)
        self._put("unlock_failures", {"count": 0, "not_before": 0})
        return keys
