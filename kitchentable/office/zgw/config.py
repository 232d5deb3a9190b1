"""The ZGW delivery's settings: a TOML file the administrator writes, and the client secret.

Owns reading and checking the file (every problem is one sentence naming the setting), the
defaults, and finding the secret: the file `secret_file` names, else the systemd credential
`zgw-secret`. Never accepts the secret inside the settings file or on the command line, and
never puts it in a message.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CREDENTIAL = "zgw-secret"  # systemd LoadCredential= name
SIGNATURE_KINDS = ("analoog", "digitaal", "pki")
CONFIDENTIALITY = (
    "openbaar",
    "beperkt_openbaar",
    "intern",
    "zaakvertrouwelijk",
    "vertrouwelijk",
    "confidentieel",
    "geheim",
    "zeer_geheim",
)
# Where Open Zaak serves each API below its address (base_url fills these in).
OPEN_ZAAK_PATHS = {
    "zaken_api": "zaken/api/v1",
    "documenten_api": "documenten/api/v1",
    "catalogi_api": "catalogi/api/v1",
}
REQUIRED = ("client_id", "bronorganisatie", "zaaktype", "plan_informatieobjecttype", "statustype")
OPTIONAL = (
    "base_url",
    *OPEN_ZAAK_PATHS,
    "secret_file",
    "verantwoordelijke_organisatie",
    "catalogus",
    "verslag_informatieobjecttype",
    "inwoner_roltype",
    "consulent_roltype",
    "vertrouwelijkheidaanduiding",
    "ondertekening",
    "timeout_seconds",
    "attempts",
)


class ConfigProblem(Exception):
    """The settings cannot be used; the message is one sentence for the administrator."""


@dataclass(frozen=True)
class ZgwConfig:
    zaken_api: str
    documenten_api: str
    catalogi_api: str
    client_id: str
    secret: str
    bronorganisatie: str
    verantwoordelijke_organisatie: str
    # Each type is a URL, or a name looked up in `catalogus` (see steps.resolve_types).
    catalogus: str
    zaaktype: str
    plan_informatieobjecttype: str
    verslag_informatieobjecttype: str  # "" = no JSON document of the conversation
    statustype: str
    inwoner_roltype: str  # "" = no rol for the inhabitant
    consulent_roltype: str  # "" = no rol for the consultant
    vertrouwelijkheidaanduiding: str  # "" = the informatieobjecttype's own
    ondertekening: str
    timeout_seconds: float
    attempts: int  # per step, for faults that may pass (connection, 5xx, 429)

    @property
    def target(self) -> str:
        """What the ledger keys deliveries by: another case system, or delivering as another
        organisation, starts afresh."""
        return f"{self.zaken_api}#{self.bronorganisatie}"


def valid_rsin(value: str) -> bool:
    """Nine digits passing the 11-test, as the ZGW APIs check an RSIN."""
    if len(value) != 9 or not value.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:8], range(9, 1, -1), strict=True))
    return (total - int(value[8])) % 11 == 0


def load(path: Path, environ: dict[str, str] | None = None) -> ZgwConfig:
    env = os.environ if environ is None else environ
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigProblem(f"{path}: cannot be read ({exc.strerror or exc}).") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigProblem(f"{path}: is not valid TOML ({exc}).") from exc
    if "secret" in raw or "client_secret" in raw:
        raise ConfigProblem(
            f"{path}: the client secret may not stand in the settings file; put it in a file "
            f"of its own (secret_file) or a systemd credential '{CREDENTIAL}'."
        )
    unknown = sorted(set(raw) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ConfigProblem(f"{path}: unknown setting '{unknown[0]}'.")
    text = {key: _text(raw, key, path) for key in (*REQUIRED, *OPTIONAL) if key in raw}
    missing = [key for key in REQUIRED if not text.get(key)]
    if missing:
        raise ConfigProblem(f"{path}: the setting '{missing[0]}' is required.")
    apis = {}
    for key, suffix in OPEN_ZAAK_PATHS.items():
        value = text.get(key) or (
            f"{text['base_url'].rstrip('/')}/{suffix}" if text.get("base_url") else ""
        )
        if not value.startswith(("https://", "http://")):
            raise ConfigProblem(f"{path}: set '{key}' (or 'base_url') to an http(s) address.")
        apis[key] = value.rstrip("/")
    for key in ("bronorganisatie", "verantwoordelijke_organisatie"):
        if text.get(key) and not valid_rsin(text[key]):
            raise ConfigProblem(
                f"{path}: '{key}' must be an RSIN: nine digits passing the 11-test."
            )
    names = [
        key
        for key in (
            "zaaktype",
            "plan_informatieobjecttype",
            "verslag_informatieobjecttype",
            "statustype",
            "inwoner_roltype",
            "consulent_roltype",
        )
        if text.get(key) and not _is_url(text[key])
    ]
    if names and not _is_url(text.get("catalogus", "")):
        raise ConfigProblem(
            f"{path}: '{names[0]}' is a name, so 'catalogus' must give the catalogus's URL."
        )
    ondertekening = text.get("ondertekening", "digitaal")
    if ondertekening not in SIGNATURE_KINDS:
        raise ConfigProblem(f"{path}: 'ondertekening' must be one of {', '.join(SIGNATURE_KINDS)}.")
    confidential = text.get("vertrouwelijkheidaanduiding", "")
    if confidential and confidential not in CONFIDENTIALITY:
        raise ConfigProblem(
            f"{path}: 'vertrouwelijkheidaanduiding' must be one of {', '.join(CONFIDENTIALITY)}."
        )
    return ZgwConfig(
        client_id=text["client_id"],
        secret=_secret(text.get("secret_file", ""), env, path),
        bronorganisatie=text["bronorganisatie"],
        verantwoordelijke_organisatie=text.get("verantwoordelijke_organisatie")
        or text["bronorganisatie"],
        catalogus=text.get("catalogus", ""),
        zaaktype=text["zaaktype"],
        plan_informatieobjecttype=text["plan_informatieobjecttype"],
        verslag_informatieobjecttype=text.get("verslag_informatieobjecttype", ""),
        statustype=text["statustype"],
        inwoner_roltype=text.get("inwoner_roltype", ""),
        consulent_roltype=text.get("consulent_roltype", ""),
        vertrouwelijkheidaanduiding=confidential,
        ondertekening=ondertekening,
        timeout_seconds=float(_number(raw, "timeout_seconds", 60, 1, 3600, path)),
        attempts=_number(raw, "attempts", 6, 1, 100, path),
        **apis,
    )


def _is_url(value: str) -> bool:
    return value.startswith(("https://", "http://"))


def _text(raw: dict[str, Any], key: str, path: Path) -> str:
    value = raw[key]
    if key in ("timeout_seconds", "attempts"):
        return str(value)
    if not isinstance(value, str):
        raise ConfigProblem(f"{path}: '{key}' must be text in quotes.")
    return value.strip()


def _number(raw: dict[str, Any], key: str, default: int, low: int, high: int, path: Path) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigProblem(f"{path}: '{key}' must be a whole number from {low} to {high}.")
    return value


def _secret(named: str, env: dict[str, str] | Any, path: Path) -> str:
    """The client secret: the file the settings name, else the systemd credential."""
    candidates = [Path(named).expanduser()] if named else []
    if env.get("CREDENTIALS_DIRECTORY"):
        candidates.append(Path(env["CREDENTIALS_DIRECTORY"]) / CREDENTIAL)
    for candidate in candidates:
        try:
            secret = candidate.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            if named and candidate == candidates[0]:
                raise ConfigProblem(
                    f"{path}: the secret_file {candidate} cannot be read."
                ) from None
            continue
        if secret:
            return secret
        raise ConfigProblem(f"{path}: the secret file {candidate} is empty.")
    raise ConfigProblem(
        f"{path}: no client secret; name a file holding it (secret_file) or give the "
        f"service a systemd credential '{CREDENTIAL}'."
    )
