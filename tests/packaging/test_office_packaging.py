"""The office server's packaging: the systemd unit matches the program, the wheel carries
the admin page, and the server's only secret is its serve secret, a systemd credential."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kitchentable.office import cli, keys

ROOT = Path(__file__).resolve().parent.parent.parent
UNIT = ROOT / "packaging" / "office" / "kitchentable-office.service"


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNIT, encoding="utf-8")
    return parser


def test_the_unit_starts_the_server_the_way_the_cli_understands() -> None:
    service = unit()["Service"]
    program, *argv = shlex.split(service["ExecStart"])
    assert program.endswith("/bin/kitchentable-office")
    args = cli.build_parser().parse_args(argv)
    assert args.func is cli.cmd_serve and not args.insecure_http
    assert str(args.data) == f"/var/lib/{service['StateDirectory']}"
    assert service["User"] != "root" and service["UMask"] == "0077"
    assert service["ProtectSystem"] == "strict" and service["NoNewPrivileges"] == "yes"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(UNIT)],
        capture_output=True,
        text=True,
        check=False,
    )
    # The program itself is not installed on the test machine; anything else is a mistake.
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and "/opt/kitchentable-office/bin/kitchentable-office" not in line
    ]
    assert not problems, problems


def test_the_unit_gives_the_server_its_serve_secret_and_never_the_office_passphrase() -> None:
    service = unit()["Service"]
    credentials = [line.split(":")[0] for line in service["LoadCredential"].splitlines()]
    assert credentials == [cli.CREDENTIAL] == ["serve-secret"]
    for key, value in service.items():
        assert "PASSPHRASE" not in value.upper(), key
    assert "SetCredential" not in service and "Environment" not in service


def test_the_unit_gives_the_server_more_file_handles_than_its_connections_can_take() -> None:
    from kitchentable.office.limits import Limits

    limit = int(unit()["Service"]["LimitNOFILE"])
    assert limit >= 2 * Limits().max_connections


def test_admin_commands_ask_for_the_passphrase_and_name_where_it_comes_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KITCHENTABLE_OFFICE_PASSPHRASE", "office horse battery staple")
    data = tmp_path / "office"
    assert cli.main(["init", "--data", str(data), "--host", "127.0.0.1"]) == 0
    assert keys.unlock(data, "office horse battery staple")
    monkeypatch.delenv("KITCHENTABLE_OFFICE_PASSPHRASE")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert cli.main(["policy", "--data", str(data), "--retention-days", "30"]) == 1
    err = capsys.readouterr().err
    assert "KITCHENTABLE_OFFICE_PASSPHRASE" in err and "never needs it" in err


@pytest.mark.slow
def test_the_wheel_carries_the_office_server_and_its_admin_page(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True,
        cwd=tmp_path,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("kitchentable-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "kitchentable/office/app.py",
        "kitchentable/office/admin/templates/devices.html",
        "kitchentable/office/admin/static/admin.css",
        "kitchentable/sync/protocol.py",
        "kitchentable/office/report/figures.py",
    ):
        assert needed in names, needed
    # The code lists the products command checks against and the report names codes with.
    for code_list in ("WMO020", "JZ020", "WJ756", "WMO757"):
        assert any(
            n.endswith(f".data/data/share/kitchentable/resources/codelists/{code_list}.json")
            for n in names
        ), code_list
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "kitchentable-office = kitchentable.office.__main__:main" in text
