"""Logging: one logger per module, a rotating file in the platform log folder.

No personal data at any level: log ids, counts, codes and timings, never names, BSNs,
addresses, answers or passphrases. KITCHENTABLE_LOG_DIR moves the folder (tests, IT).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from kitchentable.paths import log_dir

_configured = False


def log_folder() -> Path:
    return Path(os.environ.get("KITCHENTABLE_LOG_DIR") or log_dir())


def setup_logging(level: int = logging.INFO) -> Path:
    global _configured
    folder = log_folder()
    path = folder / "kitchentable.log"
    if _configured:
        return path
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("kitchentable")
    root.addHandler(handler)
    root.setLevel(level)
    _configured = True
    return path
