"""IT's presets.json reaches the profile: office URL fixed, auto-lock a ceiling, branding."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kitchentable.config import Settings
from kitchentable.presets import installation_presets
from kitchentable.services import Profile, profile_settings
from kitchentable.services.plans import branding
from tests.conftest import PASSPHRASE, ROOT


@pytest.fixture
def presets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "it"
    folder.mkdir()
    shutil.copy(ROOT / "resources" / "branding" / "logo.png", folder / "logo.png")
    (folder / "municipality.json").write_text(
        json.dumps({"municipality": "Gemeente Proefdorp", "logo": "logo.png"}), encoding="utf-8"
    )
    file = folder / "presets.json"
    file.write_text(
        json.dumps(
            {
                "office_url": "https://wmo.proefdorp.example",
                "auto_lock_minutes": 3,
                "language": "en",
                "branding": "municipality.json",
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("KITCHENTABLE_PRESETS", str(file))
    installation_presets.cache_clear()
    yield file
    installation_presets.cache_clear()


def test_presets_shape_a_new_profile_and_bind_an_old_one(
    presets: Path, tmp_path: Path, forms
) -> None:
    path = tmp_path / "profile"
    with Profile.create(
        path, PASSPHRASE, settings=Settings(auto_lock_minutes=10), forms=forms
    ) as profile:
        assert profile.settings.office_url == "https://wmo.proefdorp.example"
        assert profile.settings.auto_lock_minutes == 3  # a ceiling: 10 becomes 3
        assert profile.settings.language == "en"
        profile.update_settings(auto_lock_minutes=2, office_url="https://elders.example")
    assert profile_settings(path).auto_lock_minutes == 2  # shorter than the ceiling is fine
    with Profile.unlock(path, PASSPHRASE, forms=forms) as reopened:
        assert reopened.settings.office_url == "https://wmo.proefdorp.example"
        assert reopened.diagnostics()["presets"] == str(presets)
    assert branding("nl").municipality == "Gemeente Proefdorp"


def test_a_broken_presets_file_is_one_sentence(presets: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    presets.write_text('{"office_url": "http://open.example"}', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "kitchentable", "cases"],
        capture_output=True,
        text=True,
        env={**os.environ, "KITCHENTABLE_PROFILE": str(tmp_path / "p")},
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert str(presets) in result.stderr
