"""What every `kitchentable` command shares: where the passphrase comes from, opening the
profile, and JSON on stdout or in an owner-only file.

Owns KITCHENTABLE_PASSPHRASE (else a prompt in a terminal, else one sentence), unlocking
the profile with the office's check-in required (except for `sync` and `enrol`, which do
the check-in) and printing JSON. Used by kitchentable.cli and its command modules; never
imports Qt.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kitchentable.i18n import _
from kitchentable.paths import profile_dir

if TYPE_CHECKING:
    from kitchentable.services import Profile


def passphrase(prompt: str, env: str = "KITCHENTABLE_PASSPHRASE", confirm: bool = False) -> str:
    value = os.environ.get(env)
    if value:
        return value
    if not sys.stdin.isatty():
        raise SystemExit(
            _("No passphrase: set {env} or run the command in a terminal.").format(env=env)
        )
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass(_("Type it again: ")) != first:
        raise SystemExit(_("The two passphrases differ. Nothing was changed."))
    return first


def open_profile(args: argparse.Namespace) -> Profile:
    from kitchentable.services import Profile

    profile = Profile.unlock(profile_dir(args.profile), passphrase(_("Passphrase: ")))
    if args.command not in ("sync", "enrol"):
        from kitchentable.services import sync

        try:
            sync.require_check_in(profile)
        except BaseException:
            profile.close()
            raise
    return profile


def print_json(data: Any, out: str | None = None) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    if out:
        path = Path(out)
        path.write_text(text + "\n", encoding="utf-8")
        with contextlib.suppress(OSError):  # filesystems without modes
            path.chmod(0o600)
    else:
        print(text)
