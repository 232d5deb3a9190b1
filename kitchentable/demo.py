"""The demo profile: a few fictional cases so a newcomer can try everything without setup.

Owns creating the demo profile (platform data folder, `demo`) from resources/demo/cases.json
and starting the app on it. The demo passphrase is public on purpose and shown on the demo
profile's unlock screen only; the cases are fictional, their BSNs come from the 9999xxxxx
test range and pass the 11-proef.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from kitchentable.config import Settings
from kitchentable.i18n import _
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


def run(args: argparse.Namespace) -> int:
    """`kitchentable --demo`: the app on the demo profile (the README's run command)."""
    path = ensure_demo_profile(Path(args.profile) if args.profile else None)
    return _start(path, demo=True)


def run_app(args: argparse.Namespace) -> int:
    """`kitchentable` without a command: the app on the consultant's own profile."""
    return _start(profile_dir(args.profile), demo=False)


def _start(path: Path, demo: bool) -> int:
    try:
        from kitchentable.ui.app import run_gui
    except ImportError:
        print(_("The desktop app is not available in this installation; use the commands below."))
        print(
            _("Demo profile: {path} (passphrase: {p})").format(path=path, p=DEMO_PASSPHRASE)
            if demo
            else path
        )
        os.environ.setdefault("KITCHENTABLE_PROFILE", str(path))
        return 0
    return int(run_gui(path, demo=demo))
