"""Every setting of a profile, declared once with its default (Picard's options.py idea).

Owns the typed Settings object and how it is stored (the profile database's plaintext
`settings` table: nothing here is about an inhabitant). Qt's QSettings is used only for
window geometry, in the UI. Installation presets from IT (issue: packaging) are applied
on top of these defaults when a profile is created.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite_utils


@dataclass(frozen=True)
class Settings:
    consultant: str = ""  # the consultant's display name: actor in the access log, plan signer
    role: str = "Wmo-consulent"
    # Which law the consultant works under by default: "wmo" | "jeugd". The plan prints the
    # role of the document's own kind, so a gezinsplan never names a Wmo role.
    consultant_role: str = "wmo"
    team: str = ""
    language: str = "nl"
    auto_lock_minutes: int = 5
    office_url: str = ""
    demo: bool = False

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
