"""The command line as a script or an office clerk uses it: real processes, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA, PASSPHRASE
from tests.core.helpers import MARKERS, case_document


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KITCHENTABLE_PROFILE": str(tmp_path / "profile"),
        "KITCHENTABLE_PASSPHRASE": PASSPHRASE,
        "KITCHENTABLE_LOG_DIR": str(tmp_path / "log"),
        "KITCHENTABLE_EXTRA_FORMS": str(DATA / "extra-forms"),
        "KITCHENTABLE_LANG": "en",
    }


def kt(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "kitchentable", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in result.stderr, result.stderr
    if check:
        assert result.returncode == 0, result.stderr
    return result


def write_json(path: Path, data: object) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_init_import_search_show_export(env: dict[str, str], tmp_path: Path) -> None:
    kt(env, "init", "--consultant", "Anja Consulent")
    imported = kt(env, "import", write_json(tmp_path / "in.json", case_document()))
    assert "1 case(s) imported" in imported.stdout
    listed = json.loads(kt(env, "cases", "--search", "markeerstra", "--json").stdout)
    assert [c["external_id"] for c in listed] == ["M-2026-0001"]
    assert listed[0]["deadline"] == "2026-12-14"
    assert (
        json.loads(kt(env, "cases", "--search", "9601ab", "--json").stdout)[0]["name"]
        == MARKERS["name"]
    )
    assert json.loads(kt(env, "cases", "--search", "Pietersen", "--json").stdout) == []
    kt(env, "answer", "M-2026-0001", "aantal_uren", "12")
    shown = json.loads(kt(env, "show", "M-2026-0001").stdout)
    assert shown["form"] == {"id": "test-casework", "version": "1.0"}
    assert shown["open_legal_topics"] == []
    out = tmp_path / "export.json"
    kt(env, "export", "M-2026-0001", "--out", str(out))
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported["person"]["name"] == MARKERS["name"]
    assert {"question": "aantal_uren", "label": "Uren", "answer": 12} in exported["answers"]
    assert (out.stat().st_mode & 0o777) == 0o600
    log = kt(env, "log", "M-2026-0001").stdout
    assert "Anja Consulent case.import" in log and "case.export" in log
    # the log file exists and holds no personal data
    files = [p for p in (tmp_path / "log").rglob("*") if p.is_file()]
    assert files
    for path in files:
        content = path.read_text(encoding="utf-8")
        assert all(m not in content for m in MARKERS.values())


def test_wrong_passphrase_is_one_clear_sentence(env: dict[str, str]) -> None:
    kt(env, "init")
    result = kt({**env, "KITCHENTABLE_PASSPHRASE": "this is wrong"}, "cases", check=False)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("The passphrase is not correct")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_bad_import_is_refused_whole_with_a_line_per_problem(
    env: dict[str, str], tmp_path: Path
) -> None:
    kt(env, "init")
    document = case_document("M-1")
    bad = case_document("M-2", bsn="123456789")["cases"][0]
    bad["person"]["address"]["postcode"] = "nope"
    document["cases"].append(bad)
    result = kt(env, "import", write_json(tmp_path / "bad.json", document), check=False)
    assert result.returncode == 1
    assert "Nothing was imported: the file has 2 problem(s)." in result.stderr
    assert (
        "cases[1].person.bsn" in result.stderr
        and "cases[1].person.address.postcode" in result.stderr
    )
    assert json.loads(kt(env, "cases", "--json").stdout) == []


def test_broken_json_names_the_line(env: dict[str, str], tmp_path: Path) -> None:
    kt(env, "init")
    path = tmp_path / "broken.json"
    path.write_text('{"cases": [\n  {"external_id": "M-1",,}\n]}', encoding="utf-8")
    result = kt(env, "import", str(path), check=False)
    assert result.returncode != 0
    assert f"{path}:2:" in result.stderr and "Nothing was imported" in result.stderr


def test_missing_profile_and_unknown_case(env: dict[str, str]) -> None:
    result = kt(env, "cases", check=False)
    assert result.returncode == 1 and "kitchentable init" in result.stderr
    kt(env, "init")
    result = kt(env, "export", "M-404", check=False)
    assert result.returncode == 1 and "There is no case 'M-404'" in result.stderr


def test_passwd_changes_the_passphrase(env: dict[str, str]) -> None:
    kt(env, "init")
    kt({**env, "KITCHENTABLE_NEW_PASSPHRASE": "nieuwe geheime zin"}, "passwd")
    assert kt(env, "cases", check=False).returncode == 1
    kt({**env, "KITCHENTABLE_PASSPHRASE": "nieuwe geheime zin"}, "cases")


def test_passwd_rekey_re_encrypts_and_keeps_everything(env: dict[str, str], tmp_path: Path) -> None:
    kt(env, "init")
    kt(env, "import", write_json(tmp_path / "in.json", case_document()))
    result = kt({**env, "KITCHENTABLE_NEW_PASSPHRASE": "nieuwe geheime zin"}, "passwd", "--rekey")
    assert "Re-encrypting" in result.stderr and "re-encrypted under a new key" in result.stdout
    assert kt(env, "cases", check=False).returncode == 1
    new = {**env, "KITCHENTABLE_PASSPHRASE": "nieuwe geheime zin"}
    listed = json.loads(kt(new, "cases", "--search", "markeerstra", "--json").stdout)
    assert [c["external_id"] for c in listed] == ["M-2026-0001"]
    log = kt(new, "log")
    assert "profile.rekey" in log.stdout


def test_messages_are_dutch_by_default(env: dict[str, str]) -> None:
    dutch = {k: v for k, v in env.items() if k != "KITCHENTABLE_LANG"}
    result = kt(dutch, "cases", check=False)
    assert "Er is geen Kitchentable-profiel" in result.stderr
