"""The demo profile: a few fictional cases so a newcomer can try everything without setup.

Owns where the demo profile lives (`--profile DIR`, else KITCHENTABLE_PROFILE, else the
`demo` folder in the platform data folder) and creating it from resources/demo/cases.json.
Never starts the app (`kitchentable.__main__` does) and never imports the UI. The demo
passphrase is public on purpose and shown on the demo profile's unlock screen only; the
cases are fictional, their BSNs come from the 9999xxxxx test range and pass the 11-proef.
"""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from kitchentable.config import Settings
from kitchentable.paths import demo_profile_dir, profile_dir, resources_dir

DEMO_PASSPHRASE = "keukentafel-demo"  # noqa: S105 - public by design, demo only


def demo_document(today: date | None = None) -> dict[str, Any]:
    """The demo cases, with melding dates moved so the deadlines are near today."""
    document: dict[str, Any] = json.loads(
        (resources_dir() / "demo" / "cases.json").read_text(encoding="utf-8")
    )
    today = today or date.today()
    for case in document["cases"]:
        offset = int(case.pop("days_ago", 10))
        case["melding_date"] = (today - timedelta(days=offset)).isoformat()
    return document


def demo_folder(explicit: str | None = None) -> Path:
    """--profile DIR wins, then KITCHENTABLE_PROFILE, then the platform's demo folder."""
    if explicit or os.environ.get("KITCHENTABLE_PROFILE"):
        return profile_dir(explicit)
    return demo_profile_dir()


def ensure_demo_profile(path: Path | None = None) -> Path:
    path = path or demo_profile_dir()
    if not (path / "kitchentable.db").exists():
        from kitchentable.services import (
            Profile,
        )  # only the first time: the GUI loads it on its worker

        settings = Settings(consultant="Demo Consulent", team="Wijkteam Demo", demo=True)
        with Profile.create(path, DEMO_PASSPHRASE, settings=settings, origin="demo") as profile:
            profile.import_cases(demo_document())
    return path
