"""Where things live: the profile folder, the log folder and the shipped resources.

Owns path resolution only; never creates a vault or reads settings. Platform folders come
from platformdirs so Windows, macOS and Linux each get their conventional place.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "Kitchentable"
APP_AUTHOR = "Kitchentable"
# The profile's database file (with its -wal and -shm companions) inside the profile folder.
PROFILE_DB = "kitchentable.db"


def default_profile_dir() -> Path:
    """The profile used when neither --profile nor KITCHENTABLE_PROFILE is given."""
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)) / "profile"


def profile_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--profile DIR wins, then KITCHENTABLE_PROFILE, then the platform data folder."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("KITCHENTABLE_PROFILE")
    if env:
        return Path(env).expanduser()
    return default_profile_dir()


def profile_db_present(profile: Path) -> bool:
    """Whether a profile folder holds a database (a stat, safe on any thread)."""
    return (profile / PROFILE_DB).is_file()


def demo_profile_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)) / "demo"


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))


def resource_root() -> Path:
    """The folder that holds `forms/` and `resources/`.

    Looked up in order: KITCHENTABLE_RESOURCES; a PyInstaller bundle (sys._MEIPASS); the
    source checkout (the package's parent); an installed wheel (sys.prefix/share/kitchentable).
    """
    env = os.environ.get("KITCHENTABLE_RESOURCES")
    candidates: list[Path] = [Path(env)] if env else []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle))
    candidates.append(Path(__file__).resolve().parent.parent)
    candidates.append(Path(sys.prefix) / "share" / "kitchentable")
    for candidate in candidates:
        if (candidate / "forms" / "schema.json").is_file():
            return candidate
    return candidates[-1]


def forms_dir() -> Path:
    return resource_root() / "forms"


def resources_dir() -> Path:
    return resource_root() / "resources"
