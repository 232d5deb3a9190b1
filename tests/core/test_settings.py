"""Profile settings: declared once with their defaults, stored as plaintext JSON, read back."""

from __future__ import annotations

from pathlib import Path

from kitchentable.config import ConsultantRole, Settings, load_settings, save_settings
from kitchentable.storage.database import create_database


def test_a_new_profile_locks_after_ten_minutes_and_serves_wmo() -> None:
    settings = Settings()
    assert settings.auto_lock_minutes == 10
    assert settings.consultant_role is ConsultantRole.WMO


def test_the_role_is_stored_and_read_back(tmp_path: Path) -> None:
    db = create_database(tmp_path / "p")
    try:
        save_settings(db, Settings(consultant_role=ConsultantRole.JEUGD))
        stored = dict(db.execute("SELECT key, value FROM settings").fetchall())
        assert stored["consultant_role"] == '"jeugd"'
        assert load_settings(db).consultant_role is ConsultantRole.JEUGD
    finally:
        db.close()


def test_a_role_written_by_a_newer_app_reads_as_wmo(tmp_path: Path) -> None:
    db = create_database(tmp_path / "p")
    try:
        save_settings(db, Settings())
        db.execute("UPDATE settings SET value = ? WHERE key = 'consultant_role'", ['"schuld"'])
        assert load_settings(db).consultant_role is ConsultantRole.WMO
    finally:
        db.close()
