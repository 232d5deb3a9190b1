"""`kitchentable-office` as an administrator uses it: init, enrol, devices, serve."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from officekit import OFFICE_PASSPHRASE
from serverproc import move_serve_secret, serve, service_environment

from kitchentable.office import keys
from kitchentable.office.cli import main
from kitchentable.sync.protocol import Change, DeviceKeys, EnrolRequest, EnrolResponse


@pytest.fixture
def passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KITCHENTABLE_OFFICE_PASSPHRASE", OFFICE_PASSPHRASE)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_creates_keys_encrypted_under_the_passphrase(
    tmp_path: Path, passphrase: None, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "office"
    code, out, _ = run(capsys, "init", "--data", str(data))
    assert code == 0 and "Office created" in out
    text = (data / keys.KEYS_NAME).read_text()
    private = keys.unlock(data, OFFICE_PASSPHRASE)
    assert keys.crypto.b64(private.box_private) not in text
    assert keys.crypto.b64(private.sign_private) not in text
    assert (data / keys.KEYS_NAME).stat().st_mode & 0o077 == 0
    with pytest.raises(keys.WrongOfficePassphrase):
        keys.unlock(data, "another passphrase entirely")
    code, _, err = run(capsys, "init", "--data", str(data))
    assert code == 1 and "already exists" in err and "Traceback" not in err


def test_init_refuses_a_weak_or_missing_passphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KITCHENTABLE_OFFICE_PASSPHRASE", "short")
    code, _, err = run(capsys, "init", "--data", str(tmp_path / "o"))
    assert code == 1 and "longer passphrase" in err
    monkeypatch.delenv("KITCHENTABLE_OFFICE_PASSPHRASE")
    code, _, err = run(capsys, "init", "--data", str(tmp_path / "o"))
    assert code == 1 and "KITCHENTABLE_OFFICE_PASSPHRASE" in err


def test_enrol_prints_a_code_and_devices_lists_and_revokes(
    tmp_path: Path, passphrase: None, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "office")
    run(capsys, "init", "--data", data)
    code, out, _ = run(capsys, "enrol", "anna", "--data", data)
    assert code == 0 and "24 hours" in out
    assert re.search(r"^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$", out, re.M)  # XXXX-XXXX-XXXX-XXXX
    assert run(capsys, "devices", "--data", data)[1].strip() == "No devices are enrolled yet."
    code, _, err = run(capsys, "devices", "--data", data, "--revoke", "nope")
    assert code == 1 and "no device nope" in err


def test_commands_on_a_missing_office_say_how_to_create_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "devices", "--data", str(tmp_path / "none"))
    assert code == 1 and "kitchentable-office init" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--host", "127.0.0.1"], "There is no TLS certificate"),
        (["--host", "0.0.0.0", "--insecure-http"], "only a loopback address"),
        (["--host", "192.168.1.10", "--insecure-http"], "only a loopback address"),
    ],
)
def test_serve_refuses_plain_http_off_loopback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], words: str
) -> None:
    code, _, err = run(capsys, "serve", "--data", str(tmp_path), *args)
    assert code == 1 and words in err


def test_a_real_server_process_enrols_and_accepts_a_push_on_loopback(
    tmp_path: Path, passphrase: None, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "office")
    run(capsys, "init", "--data", data)
    printed = run(capsys, "enrol", "anna", "--data", data)[1]
    enrol_code = re.search(r"^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$", printed, re.M).group(0)  # type: ignore[union-attr]
    assert re.search(r"fingerprint.*: [0-9a-f]{64}$", printed, re.M)
    credentials = tmp_path / "credentials"
    move_serve_secret(tmp_path / "office", credentials)
    env = service_environment(credentials)
    with serve(tmp_path / "office", env, "--insecure-http") as server:
        base = f"http://127.0.0.1:{server.port}/api/v1"
        # trust_env=False: a proxy set in the environment must not see loopback traffic.
        http = httpx.Client(trust_env=False, timeout=5)
        device = DeviceKeys.generate()
        answer = http.post(
            f"{base}/enrol", json=EnrolRequest.create(enrol_code, "laptop", device).to_wire()
        )
        enrolment = EnrolResponse.from_wire(answer.json())
        change = Change.create(
            id="6c1b0d4e-8f3a-4c2b-9a7d-0e5f1a2b3c4d",
            device_id=enrolment.device_id,
            seq=1,
            entity="case",
            entity_id="0e0b6a4c-5f1d-4c3e-9b2a-7d8e9f0a1b2c",
            case_ref=None,
            base_version=0,
            last_seen_server_version=0,
            plaintext=b"hello",
            office_box_public=enrolment.office_box_public,
            sign_private=device.sign_private,
        )
        body = {"v": 1, "device_id": enrolment.device_id, "changes": [change.to_wire()]}
        headers = {"Authorization": f"Bearer {enrolment.token}"}
        pushed = http.post(f"{base}/push", json=body, headers=headers).json()
        assert pushed["results"][0]["status"] == "accepted"
        http.close()
    output = server.output()
    assert enrolment.token not in output and enrol_code not in output
    _, out, _ = run(capsys, "devices", "--data", data)
    assert enrolment.device_id in out and "active" in out
    run(capsys, "devices", "--data", data, "--revoke", enrolment.device_id)
    assert "revoked" in run(capsys, "devices", "--data", data)[1]


def test_admin_add_creates_an_account_that_can_log_in(
    tmp_path: Path,
    passphrase: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kitchentable.office.admin.accounts import verify_login
    from kitchentable.office.store import Store

    data = str(tmp_path / "office")
    run(capsys, "init", "--data", data)
    monkeypatch.setenv("KITCHENTABLE_ADMIN_PASSWORD", "een lang wachtwoord 42")
    code, out, _ = run(capsys, "admin", "add", "beheer", "--data", data)
    assert code == 0 and "created" in out
    code, _, err = run(capsys, "admin", "add", "beheer", "--data", data)
    assert code == 1 and "Traceback" not in err
    monkeypatch.setenv("KITCHENTABLE_ADMIN_PASSWORD", "kort")
    code, _, err = run(capsys, "admin", "add", "ander", "--data", data)
    assert code == 1 and "12" in err
    store = Store.open(tmp_path / "office")
    try:
        assert verify_login(store, "beheer", "een lang wachtwoord 42")
        assert not verify_login(store, "beheer", "een ander wachtwoord 42")
    finally:
        store.close()
