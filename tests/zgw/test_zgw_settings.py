"""The delivery's settings file: every mistake is one sentence naming the setting; the secret
comes from a file or a systemd credential, never from the settings or the command line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from kitchentable.office import cli
from kitchentable.office.store import DB_NAME, SQLiteBackend
from kitchentable.office.zgw import config as zgw_config
from kitchentable.office.zgw.client import ZgwClient
from kitchentable.office.zgw.ledger import Ledger

BASE = """\
base_url = "https://zaken.gemeente.example"
client_id = "kitchentable"
secret_file = "{secret}"
bronorganisatie = "002220647"
catalogus = "https://zaken.gemeente.example/catalogi/api/v1/catalogussen/1"
zaaktype = "WMO-KTG"
plan_informatieobjecttype = "Ondersteuningsplan"
statustype = "Gesprek gevoerd"
"""


def without(setting: str) -> str:
    return "\n".join(line for line in BASE.splitlines() if not line.startswith(setting))


def write(tmp_path: Path, text: str, secret: str = "s" * 40) -> Path:
    (tmp_path / "secret").write_text(secret + "\n", encoding="utf-8")
    path = tmp_path / "zgw.toml"
    path.write_text(text.format(secret=tmp_path / "secret"), encoding="utf-8")
    return path


def test_a_complete_file_reads_with_defaults(tmp_path: Path) -> None:
    settings = zgw_config.load(write(tmp_path, BASE), environ={})
    assert settings.zaken_api == "https://zaken.gemeente.example/zaken/api/v1"
    assert settings.documenten_api.endswith("/documenten/api/v1")
    assert settings.secret == "s" * 40  # the newline a text editor adds is not part of it
    assert settings.verantwoordelijke_organisatie == "002220647"
    assert settings.ondertekening == "digitaal" and settings.attempts == 6
    assert settings.verslag_informatieobjecttype == "" and settings.inwoner_roltype == ""


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ('secret = "hunter2"\n', "may not stand in the settings file"),
        ('colour = "blue"\n', "unknown setting 'colour'"),
        ("attempts = 0\n", "'attempts' must be a whole number from 1 to 100"),
        ('ondertekening = "inkt"\n', "'ondertekening' must be one of analoog, digitaal, pki"),
        ('vertrouwelijkheidaanduiding = "heel_geheim"\n', "'vertrouwelijkheidaanduiding'"),
        ('verantwoordelijke_organisatie = "123456789"\n', "must be an RSIN"),
        ("client_id = 7\n", "'client_id' must be text"),
    ],
)
def test_each_mistake_is_one_sentence(tmp_path: Path, change: str, sentence: str) -> None:
    path = write(tmp_path, without(change.split(" ", maxsplit=1)[0]) + "\n" + change)
    with pytest.raises(zgw_config.ConfigProblem) as caught:
        zgw_config.load(path, environ={})
    assert sentence in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_required_settings_and_names_need_their_catalogus(tmp_path: Path) -> None:
    with pytest.raises(zgw_config.ConfigProblem, match="'statustype' is required"):
        zgw_config.load(write(tmp_path, without("statustype")), environ={})
    with pytest.raises(zgw_config.ConfigProblem, match="'zaaktype' is a name, so 'catalogus'"):
        zgw_config.load(write(tmp_path, without("catalogus")), environ={})
    with pytest.raises(zgw_config.ConfigProblem, match="set 'zaken_api' \\(or 'base_url'\\)"):
        zgw_config.load(write(tmp_path, without("base_url")), environ={})


def test_the_secret_comes_from_the_systemd_credential_when_no_file_is_named(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, without("secret_file"))
    with pytest.raises(zgw_config.ConfigProblem, match="no client secret"):
        zgw_config.load(path, environ={})
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / zgw_config.CREDENTIAL).write_text("from-systemd-" + "c" * 30, encoding="utf-8")
    settings = zgw_config.load(path, environ={"CREDENTIALS_DIRECTORY": str(credentials)})
    assert settings.secret == "from-systemd-" + "c" * 30
    (tmp_path / "secret").write_text("", encoding="utf-8")
    empty = write(tmp_path, BASE, secret="")
    with pytest.raises(zgw_config.ConfigProblem, match="is empty"):
        zgw_config.load(empty, environ={})


def test_the_command_line_has_no_place_for_a_secret() -> None:
    deliver = cli.build_parser().parse_args(["deliver", "--data", "d", "--zgw", "z.toml"])
    assert not any("secret" in name or "password" in name for name in vars(deliver))
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["deliver", "--data", "d", "--zgw", "z", "--secret", "x"])


def test_rsins_are_checked_with_the_eleven_test() -> None:
    assert zgw_config.valid_rsin("002220647")
    assert not zgw_config.valid_rsin("002220648")
    assert not zgw_config.valid_rsin("00222064")
    assert not zgw_config.valid_rsin("00222064a")


def test_one_delivery_round_at_a_time_and_a_crashed_one_does_not_block_forever(
    tmp_path: Path,
) -> None:
    backend = SQLiteBackend(tmp_path / DB_NAME)
    try:
        ledger = Ledger(backend, "https://zaken.example/zaken/api/v1#002220647")
        now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
        assert ledger.claim("first", now, timedelta(minutes=10)) is None
        assert ledger.claim("second", now + timedelta(minutes=1), timedelta(minutes=10)) == (
            "2026-11-30T09:00:00+00:00"
        )
        assert ledger.claim("first", now + timedelta(minutes=2), timedelta(minutes=10)) is None
        # The first holder died without letting go: after its lease ran out, the next takes it.
        assert ledger.claim("second", now + timedelta(minutes=13), timedelta(minutes=10)) is None
        ledger.unclaim("second")
        assert ledger.claim("third", now + timedelta(minutes=14), timedelta(minutes=10)) is None
        # The ledger's migration is recorded apart from the store's own numbering.
        with backend.transaction(write=False) as cur:
            rows = cur.execute("SELECT id, name FROM _migrations ORDER BY id").fetchall()
        assert (1001, "zgw-delivery") in [tuple(r) for r in rows]
        Ledger(backend, "other")  # migrating again changes nothing
    finally:
        backend.close()


def test_each_request_carries_a_fresh_hs256_jwt_naming_the_client() -> None:
    moments = iter([1_800_000_000.0, 1_800_000_030.0])
    client = ZgwClient("kitchentable", "s" * 40, clock=lambda: next(moments))
    try:
        first, second = client.token(), client.token()
    finally:
        client.close()
    later = {"verify_iat": False}  # the clock above is not today's
    claims = jwt.decode(first, "s" * 40, algorithms=["HS256"], options=later)
    assert claims["iss"] == claims["client_id"] == "kitchentable"
    assert claims["iat"] == 1_800_000_000 and claims["user_id"]
    assert jwt.get_unverified_header(first)["alg"] == "HS256"
    assert jwt.decode(second, "s" * 40, algorithms=["HS256"], options=later)["iat"] == (
        1_800_000_030
    )
