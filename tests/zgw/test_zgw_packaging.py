"""The delivery's systemd unit and example settings match the program."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kitchentable.office import cli, cli_work, custody
from kitchentable.office.zgw import config as zgw_config

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "packaging" / "office" / "kitchentable-office-deliver.service"
EXAMPLE = ROOT / "packaging" / "office" / "zgw.example.toml"


def service() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNIT, encoding="utf-8")
    return parser["Service"]


def credentials() -> dict[str, str]:
    # configparser keeps the last of repeated keys; read every LoadCredential= line.
    lines = UNIT.read_text(encoding="utf-8").splitlines()
    pairs = [line.split("=", 1)[1] for line in lines if line.startswith("LoadCredential=")]
    return dict(pair.split(":", 1) for pair in pairs)


def test_the_unit_runs_delivery_rounds_the_way_the_cli_understands() -> None:
    unit = service()
    program, *argv = shlex.split(unit["ExecStart"])
    assert program.endswith("/bin/kitchentable-office")
    args = cli.build_parser().parse_args(argv)
    assert args.func is cli_work.cmd_deliver and args.every == 10
    assert str(args.data) == f"/var/lib/{unit['StateDirectory']}"
    assert set(credentials()) == {custody.PASSPHRASE_CREDENTIAL, zgw_config.CREDENTIAL}
    assert unit["User"] != "root" and unit["UMask"] == "0077"
    assert unit["ProtectSystem"] == "strict" and unit["NoNewPrivileges"] == "yes"


def test_the_example_settings_read_once_the_secret_is_given(tmp_path: Path) -> None:
    (tmp_path / zgw_config.CREDENTIAL).write_text("a-long-secret-" + "x" * 30, encoding="utf-8")
    settings = zgw_config.load(EXAMPLE, environ={"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert settings.zaken_api == "https://openzaak.gemeente.example/zaken/api/v1"
    assert settings.zaaktype == "WMO-KTG" and settings.inwoner_roltype == "initiator"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_accepts_the_unit() -> None:
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(UNIT)],
        capture_output=True,
        text=True,
        check=False,
    )
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and "/opt/kitchentable-office/bin/kitchentable-office" not in line
    ]
    assert not problems, problems


def test_the_server_application_never_loads_the_delivery() -> None:
    script = (
        "import sys, kitchentable.office.app, kitchentable.office.admin.views\n"
        "print(sorted(m for m in sys.modules if m.startswith('kitchentable.office.zgw')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
