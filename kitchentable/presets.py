"""Installation presets: settings that municipal IT fixes per installation in `presets.json`.

Owns finding, reading and validating that file and the rules for applying it to a profile's
Settings; never stores anything and never imports Qt. Where the file is looked for, first
found wins:

1. the path in KITCHENTABLE_PRESETS (then the file must exist; `none` means no presets);
2. the install folder: beside the executable in a bundle (`Path(sys.executable).parent`);
3. the machine-wide place: %ProgramData%\\Kitchentable\\presets.json (Windows),
   /Library/Application Support/Kitchentable/presets.json (macOS; a signed app bundle cannot
   be changed after signing), /etc/kitchentable/presets.json (Linux).

Keys (all optional): office_url, auto_lock_minutes, language, consultant_role (wmo | jeugd:
the default form of a new case), branding (a municipality.json, relative to presets.json),
and a free-text comment. An unknown key is an error, not a
silent no-op, so a typo cannot quietly leave a laptop at the default.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kitchentable.config import ConsultantRole, Settings
from kitchentable.errors import KitchentableError
from kitchentable.i18n import LANGUAGES
from kitchentable.paths import APP_NAME

FILE_NAME = "presets.json"
ENV = "KITCHENTABLE_PRESETS"
OFF = "none"
AUTO_LOCK_RANGE = (1, 240)  # minutes; 0 would mean "never", which IT must not be able to set
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


class PresetsError(KitchentableError):
    """presets.json is unreadable or wrong; the message names the file, line and key."""

    code = "presets_invalid"
    # Shown to IT staff and support; plain English on purpose until it joins the catalogue.
    template = (
        "The installation settings in {file} cannot be used: {problem}. "
        "Ask the application administrator to correct the file."
    )


@dataclass(frozen=True)
class Presets:
    """What IT preset for this installation; None means "not preset"."""

    office_url: str | None = None
    auto_lock_minutes: int | None = None
    language: str | None = None
    consultant_role: ConsultantRole | None = None
    branding: Path | None = None  # a municipality.json; its logo is relative to it
    source: Path | None = None  # the file these came from, None when there is none

    def keys(self) -> list[str]:
        return [
            f.name for f in fields(self) if f.name != "source" and getattr(self, f.name) is not None
        ]

    def for_new_profile(self, settings: Settings) -> Settings:
        """The settings a new profile starts with: every preset replaces the default."""
        changes: dict[str, Any] = {}
        if self.office_url is not None:
            changes["office_url"] = self.office_url
        if self.auto_lock_minutes is not None:
            changes["auto_lock_minutes"] = self.auto_lock_minutes
        if self.language is not None:
            changes["language"] = self.language
        if self.consultant_role is not None:
            changes["consultant_role"] = self.consultant_role
        return settings.updated(**changes) if changes else settings

    def enforce(self, settings: Settings) -> Settings:
        """The settings of an existing profile under these presets (at every unlock).

        The office URL is the installation's, always. Auto-lock is a ceiling: a consultant
        may choose a shorter time, never a longer one. The language and the consultant's
        role (Wmo or Jeugd) stay the consultant's.
        """
        changes: dict[str, Any] = {}
        if self.office_url is not None and settings.office_url != self.office_url:
            changes["office_url"] = self.office_url
        if (
            self.auto_lock_minutes is not None
            and settings.auto_lock_minutes > self.auto_lock_minutes
        ):
            changes["auto_lock_minutes"] = self.auto_lock_minutes
        return settings.updated(**changes) if changes else settings


def site_presets_file(platform: str | None = None) -> Path:
    """The machine-wide place, fixed per platform so IT can type it into a deployment tool
    (platformdirs would pick /etc/xdg or a Homebrew prefix depending on the environment)."""
    platform = platform or sys.platform
    if platform == "win32":
        return Path(os.environ.get("PROGRAMDATA") or r"C:\ProgramData") / APP_NAME / FILE_NAME
    if platform == "darwin":
        return Path("/Library/Application Support") / APP_NAME / FILE_NAME
    return Path("/etc/kitchentable") / FILE_NAME


def candidate_paths(
    env: str | None = None, executable: str | None = None, frozen: bool | None = None
) -> list[Path]:
    """Where presets.json is looked for, in order (arguments default to this process).

    KITCHENTABLE_PRESETS=none switches presets off (tests, and IT ruling a file out).
    """
    if env is None:
        env = os.environ.get(ENV, "")
    if env.strip().lower() == OFF:
        return []
    if env:
        return [Path(env).expanduser()]
    if frozen is None:
        frozen = bool(getattr(sys, "frozen", False))
    candidates = []
    if frozen:
        candidates.append(Path(executable or sys.executable).resolve().parent / FILE_NAME)
    candidates.append(site_presets_file())
    return candidates


def find_presets_file(
    env: str | None = None, executable: str | None = None, frozen: bool | None = None
) -> Path | None:
    explicit = env if env is not None else os.environ.get(ENV, "")
    for path in candidate_paths(env, executable, frozen):
        if path.is_file():
            return path
        if explicit:
            raise PresetsError(file=path, problem=f"the file named by {ENV} does not exist")
    return None


def read_presets(path: Path) -> Presets:
    """Read and validate one presets.json; PresetsError says exactly what is wrong."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # Notepad may write a byte-order mark
    except OSError as exc:
        raise PresetsError(file=path, problem=exc.strerror or type(exc).__name__) from exc
    except UnicodeDecodeError as exc:
        raise PresetsError(file=path, problem="it is not UTF-8 text") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PresetsError(
            file=f"{path}:{exc.lineno}", problem=f"this is not valid JSON ({exc.msg})"
        ) from exc
    if not isinstance(data, dict):
        raise PresetsError(file=path, problem="the file must hold one JSON object {...}")
    return _validate(path, data)


def _validate(path: Path, data: dict[str, Any]) -> Presets:
    known = {
        "office_url",
        "auto_lock_minutes",
        "language",
        "consultant_role",
        "branding",
        "comment",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise PresetsError(
            file=path,
            problem=f"unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})",
        )
    return Presets(
        office_url=_office_url(path, data.get("office_url")),
        auto_lock_minutes=_auto_lock(path, data.get("auto_lock_minutes")),
        language=_language(path, data.get("language")),
        consultant_role=_consultant_role(path, data.get("consultant_role")),
        branding=_branding(path, data.get("branding")),
        source=path,
    )


def _office_url(path: Path, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise PresetsError(file=path, problem="office_url must be text")
    parts = urlsplit(value.strip())
    # Cases travel to the office: plain http only to this machine (a test server).
    secure = parts.scheme == "https" or (
        parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
    )
    if not parts.hostname or not secure:
        raise PresetsError(
            file=path, problem=f"office_url must be an https:// address, not {value!r}"
        )
    return value.strip().rstrip("/")


def _auto_lock(path: Path, value: object) -> int | None:
    if value is None:
        return None
    low, high = AUTO_LOCK_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PresetsError(
            file=path, problem=f"auto_lock_minutes must be a whole number from {low} to {high}"
        )
    return value


def _language(path: Path, value: object) -> str | None:
    if value is None:
        return None
    if value not in LANGUAGES:
        raise PresetsError(
            file=path, problem=f"language must be one of {', '.join(LANGUAGES)}, not {value!r}"
        )
    return str(value)


def _consultant_role(path: Path, value: object) -> ConsultantRole | None:
    if value is None:
        return None
    roles = [role.value for role in ConsultantRole]
    if value not in roles:
        raise PresetsError(
            file=path, problem=f"consultant_role must be one of {', '.join(roles)}, not {value!r}"
        )
    return ConsultantRole(str(value))


def _branding(path: Path, value: object) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise PresetsError(file=path, problem="branding must be the path of a municipality.json")
    branding = Path(value).expanduser()
    if not branding.is_absolute():
        branding = path.parent / branding
    try:
        data = json.loads(branding.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise PresetsError(
            file=path, problem=f"branding file {branding} cannot be read ({exc.strerror})"
        ) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PresetsError(
            file=path, problem=f"branding file {branding} is not valid JSON ({exc})"
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("municipality"), str):
        raise PresetsError(
            file=path, problem=f"branding file {branding} needs at least a 'municipality' name"
        )
    logo = data.get("logo")
    if logo is not None and not (branding.parent / str(logo)).is_file():
        raise PresetsError(
            file=path, problem=f"the logo {logo!r} named in {branding} is not beside it"
        )
    return branding


def load_presets(
    env: str | None = None, executable: str | None = None, frozen: bool | None = None
) -> Presets:
    """The presets of this installation; Presets() when there is no file."""
    found = find_presets_file(env, executable, frozen)
    return read_presets(found) if found is not None else Presets()


@cache
def installation_presets() -> Presets:
    """load_presets() once per process (a broken file raises every time it is asked)."""
    return load_presets()
