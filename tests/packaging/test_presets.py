"""Installation presets (presets.json): where they are found, what is valid, how they apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kitchentable import presets as presets_module
from kitchentable.config import ConsultantRole, Settings
from kitchentable.errors import KitchentableError
from kitchentable.presets import (
    ENV,
    Presets,
    PresetsError,
    candidate_paths,
    load_presets,
    read_presets,
    site_presets_file,
)
from kitchentable.services import Profile
from kitchentable.storage.crypto import KdfParams

BRANDING = {"municipality": "Gemeente Proefdorp", "logo": "logo.png"}


@pytest.fixture(autouse=True)
def no_machine_wide_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The build machine's /etc/kitchentable must not leak into these tests."""
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setattr(
        presets_module, "site_presets_file", lambda: tmp_path / "site" / "presets.json"
    )


def write(folder: Path, data: object, name: str = "presets.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def branding_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "municipality.json").write_text(json.dumps(BRANDING), encoding="utf-8")
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return folder / "municipality.json"


def error_for(tmp_path: Path, data: object) -> str:
    with pytest.raises(PresetsError) as caught:
        read_presets(write(tmp_path, data))
    return str(caught.value)


# -- where ------------------------------------------------------------------------------


def test_without_a_file_nothing_is_preset(tmp_path: Path) -> None:
    found = load_presets(executable=str(tmp_path / "kitchentable"), frozen=True)
    assert found == Presets()
    assert found.keys() == []
    assert found.for_new_profile(Settings()) == Settings()


def test_a_bundle_reads_the_file_beside_its_executable(tmp_path: Path) -> None:
    write(tmp_path / "install", {"auto_lock_minutes": 3})
    found = load_presets(executable=str(tmp_path / "install" / "kitchentable"), frozen=True)
    assert found.auto_lock_minutes == 3
    assert found.source == tmp_path / "install" / "presets.json"


def test_running_from_source_ignores_the_interpreters_folder(tmp_path: Path) -> None:
    write(tmp_path / "venv-bin", {"auto_lock_minutes": 3})
    found = load_presets(executable=str(tmp_path / "venv-bin" / "python"), frozen=False)
    assert found == Presets()


def test_the_machine_wide_file_is_used_when_the_install_folder_has_none(tmp_path: Path) -> None:
    write(tmp_path / "site", {"language": "en"})
    found = load_presets(executable=str(tmp_path / "install" / "kitchentable"), frozen=True)
    assert found.language == "en"


def test_the_environment_variable_wins_over_the_install_folder(tmp_path: Path) -> None:
    write(tmp_path / "install", {"auto_lock_minutes": 3})
    chosen = write(tmp_path / "elsewhere", {"auto_lock_minutes": 7})
    found = load_presets(
        env=str(chosen), executable=str(tmp_path / "install" / "kitchentable"), frozen=True
    )
    assert found.auto_lock_minutes == 7


def test_a_missing_file_named_by_the_environment_variable_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PresetsError, match=ENV):
        load_presets(env=str(tmp_path / "nope.json"))


def test_none_in_the_environment_variable_switches_presets_off(tmp_path: Path) -> None:
    write(tmp_path / "install", {"auto_lock_minutes": 3})
    write(tmp_path / "site", {"language": "en"})
    found = load_presets(
        env="none", executable=str(tmp_path / "install" / "kitchentable"), frozen=True
    )
    assert found == Presets()


def test_the_machine_wide_place_is_fixed_per_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real function, not the fixture's stand-in
    monkeypatch.setenv("PROGRAMDATA", r"C:\ProgramData")
    assert str(site_presets_file("win32")).replace("\\", "/") == (
        "C:/ProgramData/Kitchentable/presets.json"
    )
    assert site_presets_file("darwin") == Path(
        "/Library/Application Support/Kitchentable/presets.json"
    )
    assert site_presets_file("linux") == Path("/etc/kitchentable/presets.json")
    assert candidate_paths(env="/x/presets.json") == [Path("/x/presets.json")]


# -- what -------------------------------------------------------------------------------


def test_a_complete_file_is_read(tmp_path: Path) -> None:
    branding = branding_folder(tmp_path / "huisstijl")
    path = write(
        tmp_path,
        {
            "comment": "Gemeente Proefdorp, IT, 2026-01",
            "office_url": "https://kitchentable.proefdorp.example/",
            "auto_lock_minutes": 10,
            "language": "nl",
            "consultant_role": "jeugd",
            "branding": "huisstijl/municipality.json",
        },
    )
    found = read_presets(path)
    assert found.office_url == "https://kitchentable.proefdorp.example"
    assert found.auto_lock_minutes == 10
    assert found.language == "nl"
    assert found.consultant_role == ConsultantRole.JEUGD
    assert found.branding == branding
    assert found.keys() == [
        "office_url",
        "auto_lock_minutes",
        "language",
        "consultant_role",
        "branding",
    ]


def test_notepads_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "presets.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"language": "en"}).encode())
    assert read_presets(path).language == "en"


def test_broken_json_names_the_file_and_line(tmp_path: Path) -> None:
    # A missing comma: Python 3.12 and 3.13 place it on the same line (a trailing comma not).
    message = error_for(tmp_path, '{\n  "language": "nl"\n  "auto_lock_minutes": 5\n}\n')
    assert f"{tmp_path / 'presets.json'}:3" in message
    assert "not valid JSON" in message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([1, 2], "one JSON object"),
        ({"auto_lock_minute": 5}, "unknown key 'auto_lock_minute'"),
        ({"auto_lock_minutes": "5"}, "auto_lock_minutes must be a whole number from 1 to 240"),
        ({"auto_lock_minutes": 0}, "auto_lock_minutes must be a whole number"),
        ({"auto_lock_minutes": 600}, "auto_lock_minutes must be a whole number"),
        ({"auto_lock_minutes": True}, "auto_lock_minutes must be a whole number"),
        ({"language": "de"}, "language must be one of nl, en"),
        ({"consultant_role": "Wmo"}, "consultant_role must be one of wmo, jeugd, not 'Wmo'"),
        ({"office_url": "http://office.example"}, "office_url must be an https:// address"),
        ({"office_url": "office.example"}, "office_url must be an https:// address"),
        ({"office_url": 42}, "office_url must be text"),
        ({"branding": ""}, "branding must be the path of a municipality.json"),
        ({"branding": "missing.json"}, "cannot be read"),
    ],
)
def test_a_wrong_value_is_refused_with_a_sentence(
    tmp_path: Path, data: object, expected: str
) -> None:
    message = error_for(tmp_path, data)
    assert expected in message
    assert "Ask the application administrator to correct the file." in message


def test_plain_http_is_allowed_only_to_this_machine(tmp_path: Path) -> None:
    found = read_presets(write(tmp_path, {"office_url": "http://127.0.0.1:8765"}))
    assert found.office_url == "http://127.0.0.1:8765"


def test_a_branding_file_without_its_logo_is_refused(tmp_path: Path) -> None:
    branding = branding_folder(tmp_path / "huisstijl")
    (branding.parent / "logo.png").unlink()
    assert "the logo 'logo.png'" in error_for(tmp_path, {"branding": str(branding)})


def test_a_branding_file_needs_a_municipality(tmp_path: Path) -> None:
    write(tmp_path / "huisstijl", {"logo": None}, "municipality.json")
    message = error_for(tmp_path, {"branding": "huisstijl/municipality.json"})
    assert "needs at least a 'municipality' name" in message


def test_the_error_is_one_for_people(tmp_path: Path) -> None:
    with pytest.raises(KitchentableError) as caught:
        read_presets(write(tmp_path, "nonsense"))
    assert caught.value.code == "presets_invalid"


# -- how they apply -----------------------------------------------------------------------

PRESETS = Presets(
    office_url="https://office.example",
    auto_lock_minutes=3,
    language="en",
    consultant_role=ConsultantRole.JEUGD,
)


def test_a_new_profile_starts_with_every_preset() -> None:
    settings = PRESETS.for_new_profile(Settings(consultant="A. Consulent"))
    assert settings.office_url == "https://office.example"
    assert settings.auto_lock_minutes == 3
    assert settings.language == "en"
    assert settings.consultant_role == ConsultantRole.JEUGD
    assert settings.consultant == "A. Consulent"


def test_an_existing_profile_follows_the_office_url_and_the_auto_lock_ceiling() -> None:
    stored = Settings(office_url="https://old.example", auto_lock_minutes=15, language="nl")
    enforced = PRESETS.enforce(stored)
    assert enforced.office_url == "https://office.example"
    assert enforced.auto_lock_minutes == 3
    assert enforced.language == "nl", "the language stays the consultant's choice"
    assert enforced.consultant_role == ConsultantRole.WMO, "so does the role"


def test_a_consultant_may_lock_sooner_than_it_requires() -> None:
    stored = Settings(auto_lock_minutes=1)
    assert PRESETS.enforce(stored).auto_lock_minutes == 1


def test_no_presets_change_nothing() -> None:
    stored = Settings(office_url="https://mine.example", auto_lock_minutes=30)
    assert Presets().enforce(stored) is stored


def test_a_profile_created_with_presets_stores_them(tmp_path: Path) -> None:
    cheap = KdfParams.new(iterations=1, memory_kib=8192, lanes=1)
    settings = PRESETS.for_new_profile(Settings())
    with Profile.create(tmp_path / "p", "correct horse battery", settings=settings, kdf=cheap):
        pass
    with Profile.unlock(tmp_path / "p", "correct horse battery") as profile:
        assert profile.settings.office_url == "https://office.example"
        assert profile.settings.auto_lock_minutes == 3
        assert profile.settings.consultant_role == ConsultantRole.JEUGD
