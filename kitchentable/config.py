"""Every setting of a profile, declared once with its default (Picard's options.py idea).

Owns the typed Settings object and how it is stored (the profile database's plaintext
`settings` table: nothing here is about an inhabitant). Qt's QSettings is used only for
window geometry, in the UI. Installation presets from IT (issue: packaging) are applied
on top of these defaults when a profile is created.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite_utils


class ConsultantRole(StrEnum):
    """The law the consultant works under; it picks the default form of a new case.

    The values equal the `kind` of the shipped forms (forms/*.yaml)."""

    WMO = "wmo"
    JEUGD = "jeugd"


@dataclass(frozen=True)
class Settings:
    consultant: str = ""  # the consultant's display name: actor in the access log, plan signer
    role: str = "Wmo-consulent"  # the job title printed under the consultant's signature
    consultant_role: ConsultantRole = ConsultantRole.WMO
    team: str = ""
    language: str = "nl"
    # A conversation has long stretches of listening; 10 minutes with a warning 30 s before
    # (ui/autolock.py). The office's policy and IT's presets can only shorten it.
    auto_lock_minutes: int = 10
    office_url: str = ""
    demo: bool = False

    def __post_init__(self) -> None:
        # Stored as JSON text. A role this version does not know (written by a newer app)
        # reads as Wmo rather than making the profile unreadable.
        stored: object = self.consultant_role
        if not isinstance(stored, ConsultantRole):
            try:
                role = ConsultantRole(str(stored))
            except ValueError:
                role = ConsultantRole.WMO
            object.__setattr__(self, "consultant_role", role)

    def updated(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def load_settings(db: sqlite_utils.Database) -> Settings:
    stored = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM settings")}
    known = {f.name for f in fields(Settings)}
    return Settings(**{k: v for k, v in stored.items() if k in known})


def save_settings(db: sqlite_utils.Database, settings: Settings) -> None:
    with db.atomic():
        for key, value in asdict(settings).items():
            db.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, json.dumps(value)],
            )
