"""The vault: passphrase, delays after wrong attempts, rewrap, recovery, sealed records."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from pathlib import Path

import pytest

from kitchentable.errors import (
    RecoveryKeyMismatch,
    TamperedRecord,
    UnlockDelayed,
    WeakPassphrase,
    WrongPassphrase,
)
from kitchentable.services import Profile
from kitchentable.storage import crypto
from kitchentable.storage.database import DB_NAME, open_database
from kitchentable.storage.keys import KeyStore, delay_after
from tests.conftest import PASSPHRASE
from tests.core.helpers import case_document


def test_default_kdf_is_argon2id_with_stored_parameters() -> None:
    params = crypto.KdfParams.new()
    assert params.algorithm == "argon2id"
    assert params.memory_kib >= 128 * 1024 and params.iterations >= 3
    assert crypto.KdfParams.from_dict(params.to_dict()) == params


def test_wrong_passphrase_keeps_the_vault_closed(
    profile: Profile, profile_path: Path, forms
) -> None:
    profile.close()
    with pytest.raises(WrongPassphrase) as caught:
        Profile.unlock(profile_path, "not the passphrase", forms=forms)
    assert "not correct" in str(caught.value)
    with Profile.unlock(profile_path, PASSPHRASE, forms=forms) as reopened:
        assert reopened.case_summaries() == []


def test_repeated_failures_bring_an_increasing_delay(profile: Profile) -> None:
    now = [1000.0]
    store = KeyStore(profile.db, clock=lambda: now[0])
    for attempt in range(1, 4):
        with pytest.raises(WrongPassphrase):
            store.unlock(f"wrong {attempt} passphrase")
    with pytest.raises(UnlockDelayed) as caught:
        store.unlock(PASSPHRASE)  # even the right one must wait
    assert caught.value.params["seconds"] == 5
    now[0] += 5
    with pytest.raises(WrongPassphrase):
        store.unlock("wrong again, fourth")
    assert store.seconds_until_next_attempt() == pytest.approx(10)
    now[0] += 10
    store.unlock(PASSPHRASE)
    assert store.seconds_until_next_attempt() == 0
    assert [delay_after(n) for n in range(1, 9)] == [0, 0, 5, 10, 20, 40, 80, 160]
    assert delay_after(30) == 300


def test_short_passphrase_is_refused(tmp_path: Path, forms) -> None:
    with pytest.raises(WeakPassphrase):
        Profile.create(tmp_path / "p", "short", forms=forms)
    assert not (tmp_path / "p" / DB_NAME).exists()


def test_passphrase_change_rewraps_only(profile: Profile, profile_path: Path, forms) -> None:
    profile.import_cases(case_document())
    before = profile.db.execute(
        "SELECT id, data FROM answers UNION ALL SELECT id, data FROM persons"
    ).fetchall()
    profile.change_passphrase("een nieuwe lange zin")
    after = profile.db.execute(
        "SELECT id, data FROM answers UNION ALL SELECT id, data FROM persons"
    ).fetchall()
    assert before == after  # no record re-encrypted
    profile.close()
    with pytest.raises(WrongPassphrase):
        Profile.unlock(profile_path, PASSPHRASE, forms=forms)
    with Profile.unlock(profile_path, "een nieuwe lange zin", forms=forms) as reopened:
        assert reopened.case("M-2026-0001").person.name == "Zwaantje Markeerstra"


def test_office_recovery_key_restores_access(tmp_path: Path, forms) -> None:
    office_private, office_public = crypto.x25519_keypair()
    path = tmp_path / "p"
    Profile.create(path, PASSPHRASE, recovery_public=office_public, forms=forms).close()
    db = open_database(path)
    stranger_private, _ = crypto.x25519_keypair()
    with pytest.raises(RecoveryKeyMismatch):
        KeyStore(db).recover(stranger_private, "vergeten maar hersteld")
    KeyStore(db).recover(office_private, "vergeten maar hersteld")
    db.close()
    Profile.unlock(path, "vergeten maar hersteld", forms=forms).close()


def _flip(blob: bytes, at: int) -> bytes:
    return blob[:at] + bytes([blob[at] ^ 0x01]) + blob[at + 1 :]


@pytest.mark.parametrize("table", ["cases", "persons", "answers"])
def test_one_flipped_byte_is_detected_and_nothing_else_is_affected(
    profile: Profile, profile_path: Path, forms, table: str
) -> None:
    profile.import_cases(case_document("M-1"))
    profile.import_cases(case_document("M-2", name="Tweede Persoon"))
    victim = profile.repo.resolve_case("M-1")
    profile.close()
    conn = sqlite3.connect(profile_path / DB_NAME)
    column = "conversation_id" if table == "answers" else ("id" if table == "cases" else "case_id")
    where = (
        f"{column} IN (SELECT id FROM conversations WHERE case_id = ?)"
        if table == "answers"
        else f"{column} = ?"
    )
    row_id, blob = conn.execute(
        f"SELECT id, data FROM {table} WHERE {where} LIMIT 1", [victim]
    ).fetchone()
    conn.execute(f"UPDATE {table} SET data = ? WHERE id = ?", [_flip(blob, len(blob) // 2), row_id])
    conn.commit()
    conn.close()
    with Profile.unlock(profile_path, PASSPHRASE, forms=forms) as reopened:
        with pytest.raises(TamperedRecord) as caught:
            reopened.open_conversation("M-1") if table == "answers" else reopened.case("M-1")
        assert "changed outside Kitchentable" in str(caught.value)
        assert reopened.case("M-2").person.name == "Tweede Persoon"  # the rest is fine


def test_a_sealed_value_copied_to_another_row_is_rejected(
    profile: Profile, profile_path: Path, forms
) -> None:
    profile.import_cases(case_document("M-1"))
    profile.import_cases(case_document("M-2", name="Tweede Persoon"))
    first, second = profile.repo.resolve_case("M-1"), profile.repo.resolve_case("M-2")
    profile.close()
    conn = sqlite3.connect(profile_path / DB_NAME)
    data = conn.execute("SELECT data FROM persons WHERE case_id = ?", [first]).fetchone()[0]
    conn.execute("UPDATE persons SET data = ? WHERE case_id = ?", [data, second])
    conn.commit()
    conn.close()
    with Profile.unlock(profile_path, PASSPHRASE, forms=forms) as reopened:
        with pytest.raises(TamperedRecord):
            reopened.case("M-2")
        assert reopened.case("M-1").person.name == "Zwaantje Markeerstra"


def test_an_edited_version_number_is_rejected(profile: Profile, profile_path: Path, forms) -> None:
    profile.import_cases(case_document("M-1"))
    profile.close()
    conn = sqlite3.connect(profile_path / DB_NAME)
    conn.execute("UPDATE persons SET version = version + 1")
    conn.commit()
    conn.close()
    with (
        Profile.unlock(profile_path, PASSPHRASE, forms=forms) as reopened,
        pytest.raises(TamperedRecord),
    ):
        reopened.case("M-1")


@pytest.mark.parametrize(
    "name",
    ["Zoë Çelik", "Yıldız Işık", "محمد العربي", "Sanne 🌷 de Vries", "Ĳsbrand van der Veen"],
)
def test_unicode_names_round_trip(profile: Profile, profile_path: Path, forms, name: str) -> None:
    profile.import_cases(case_document(name=name))
    profile.close()
    with Profile.unlock(profile_path, PASSPHRASE, forms=forms) as reopened:
        assert reopened.case("M-2026-0001").person.name == name
        assert [s.name for s in reopened.case_summaries(name)] == [name]


def test_a_seeded_seal_is_the_same_bytes_again_and_only_for_the_same_plaintext() -> None:
    private, public = crypto.x25519_keypair()
    seed = b"s" * crypto.SEED_BYTES
    pdf = b"%PDF plan of Zwaantje" * 100
    info = "kitchentable/attachment/v1:" + "a" * 64
    first = crypto.seal_to_public_key(public, pdf, info, seed=seed)
    assert crypto.seal_to_public_key(public, pdf, info, seed=seed) == first
    assert crypto.open_with_private_key(private, first, info) == pdf
    # Another plaintext names another info (its hash): another key and nonce, never the same.
    other = crypto.seal_to_public_key(public, pdf[::-1], info.replace("a", "b"), seed=seed)
    assert other["ephemeral"] != first["ephemeral"]
    assert crypto.unb64(other["sealed"])[1:13] != crypto.unb64(first["sealed"])[1:13]
    # Without a seed, every seal is fresh.
    assert crypto.seal_to_public_key(public, pdf, info) != crypto.seal_to_public_key(
        public, pdf, info
    )
    with pytest.raises(ValueError):
        crypto.seal_to_public_key(public, pdf, info, seed=b"short")


def test_a_blind_index_keeps_its_form() -> None:
    # Stored indexes and answer row ids of earlier versions must still match: HMAC-SHA256
    # of the UTF-8 value under the index key, in hex.
    key = bytes(range(32))
    assert (
        crypto.blind_index(key, "answer:c1:hulpvraag")
        == hmac.new(key, b"answer:c1:hulpvraag", hashlib.sha256).hexdigest()
    )


@pytest.mark.parametrize(
    "value",
    [
        {"q": "hulpvraag", "v": "Zelf naar de markt, één keer per week"},
        {"q": "getal", "v": 2**80},  # past 64 bits: orjson refuses, the stdlib reads it
        {"q": "leeg", "v": float("inf")},  # json.dumps writes Infinity
        [1.5, None, True, {"a": [1, 2]}],
    ],
)
def test_a_sealed_value_reads_back_as_it_was_written(profile: Profile, value: object) -> None:
    # The vault is read with orjson for speed; whatever json.dumps may have written before
    # (NaN and Infinity, big integers) still reads back unchanged.
    sealed = profile.keys.seal("answers", "row-1", 1, value)
    assert profile.keys.open("answers", "row-1", 1, sealed) == value
