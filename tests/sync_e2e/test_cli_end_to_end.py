"""The whole path as an office and a consultant take it, with the real commands over HTTPS:
init office → serve → enrol a laptop → import a case with markers → sync → export."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from synckit import OFFICE_PASSPHRASE

from kitchentable.cli import main as laptop
from kitchentable.office.cli import main as office
from kitchentable.office.store import DB_NAME
from tests.core.helpers import MARKERS, case_document
from tests.netkit import free_port, wait_for_port

LAPTOP_PASSPHRASE = "correct horse battery"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KITCHENTABLE_OFFICE_PASSPHRASE", OFFICE_PASSPHRASE)
    monkeypatch.setenv("KITCHENTABLE_PASSPHRASE", LAPTOP_PASSPHRASE)
    extra = Path(__file__).resolve().parent.parent / "data" / "extra-forms"
    monkeypatch.setenv("KITCHENTABLE_EXTRA_FORMS", str(extra))


def test_markers_reach_the_office_export_and_no_server_file(
    tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "office"
    assert office(["init", "--data", str(data), "--host", "127.0.0.1"]) == 0
    printed = capsys.readouterr().out
    fingerprint = re.search(r"\(SHA-256\): ([0-9a-f]{64})", printed).group(1)  # type: ignore[union-attr]
    assert office(["enrol", "anna", "--data", str(data)]) == 0
    code = re.search(r"^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$", capsys.readouterr().out, re.M).group(0)  # type: ignore[union-attr]

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kitchentable.office", "serve", "--data", str(data),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        # The server never gets the office passphrase (it refuses to start when offered it).
        env={k: v for k, v in os.environ.items() if not k.startswith("KITCHENTABLE_OFFICE_PASS")},
    )  # fmt: skip
    try:
        wait_for_port(port, server)
        profile = ["--profile", str(tmp_path / "laptop")]
        assert laptop([*profile, "init", "--consultant", "Anna de Vries"]) == 0
        cases = tmp_path / "cases.json"
        cases.write_text(json.dumps(case_document("M-2026-0900")), encoding="utf-8")
        assert laptop([*profile, "import", str(cases)]) == 0
        capsys.readouterr()
        # A wrong fingerprint: refused before anything is sent.
        wrong = "0" * 64
        server_url = f"https://127.0.0.1:{port}"
        assert laptop([*profile, "enrol", "--server", server_url, "--code", code,
                       "--fingerprint", wrong]) == 1  # fmt: skip
        assert "could not be trusted" in capsys.readouterr().err
        # As an administrator reads it out: upper case, in pairs.
        spoken = ":".join(fingerprint[i : i + 2] for i in range(0, 64, 2)).upper()
        assert laptop([*profile, "enrol", "--server", server_url, "--code", code.lower(),
                       "--fingerprint", spoken]) == 0  # fmt: skip
        assert "connected to the office" in capsys.readouterr().out
        assert laptop([*profile, "sync"]) == 0
        out = capsys.readouterr().out
        assert "1 accepted" in out
        assert laptop([*profile, "sync", "--status"]) == 0
        assert "0 waiting" in capsys.readouterr().out
        with pytest.raises(SystemExit, match="mine or theirs"):
            laptop([*profile, "conflicts", "--keep", "some-id", "both"])
    finally:
        server.terminate()
        log = server.communicate(timeout=10)[0].decode()
    assert "Traceback" not in log

    out_dir = tmp_path / "export"
    assert office(["export", "--data", str(data), "--out", str(out_dir)]) == 0
    assert "NOT encrypted" in capsys.readouterr().out
    exported = "".join(p.read_text(encoding="utf-8") for p in out_dir.rglob("*.json"))
    server_files = b"".join(p.read_bytes() for p in data.glob(f"{DB_NAME}*"))
    for marker in (MARKERS["name"], MARKERS["street"], MARKERS["note"], MARKERS["city"]):
        assert marker in exported
        assert marker.encode() not in server_files
        assert marker.encode("utf-16-le") not in server_files
    assert "M-2026-0900" in (out_dir / "overview.csv").read_text(encoding="utf-8")
