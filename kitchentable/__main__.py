"""Entry point of `kitchentable` (and of the bundle): subcommands go to the CLI, no
subcommand opens the desktop app.

Owns launching the app: on the consultant's own profile, or with `--demo` on the demo
profile (created on first use). This is the one module outside `ui/` that starts the UI,
so the core (cli, demo) never imports it and a command never loads Qt. Where the demo
lives: `--profile DIR`, else KITCHENTABLE_PROFILE, else the demo folder in the platform
data folder (one per user, kept between runs; `ui.profile_lock` keeps a second app off it).
Also hands the CLI the app's own self-test checks (ui.selfcheck), loaded only when
`--self-test` asks for them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from kitchentable import cli, demo
from kitchentable.i18n import _
from kitchentable.paths import profile_dir


def launch(args: argparse.Namespace) -> int:
    """The desktop app for `kitchentable [--demo] [--profile DIR]` without a command."""
    path = demo.demo_folder(args.profile) if args.demo else profile_dir(args.profile)
    prepare = demo.ensure_demo_profile if args.demo else None
    try:
        # Here, not at the top: a command must start without loading Qt.
        from kitchentable.ui.app import run_gui
    except ImportError:
        if prepare is not None:
            prepare(path)
        print(_("The desktop app is not available in this installation; use the commands below."))
        print(
            _("Demo profile: {path} (passphrase: {p})").format(path=path, p=demo.DEMO_PASSPHRASE)
            if args.demo
            else path
        )
        os.environ.setdefault("KITCHENTABLE_PROFILE", str(path))
        return 0
    return int(run_gui(path, demo=args.demo, prepare=prepare))


def _app_checks() -> list[tuple[str, Callable[[bytes], str]]]:
    try:
        from kitchentable.ui.selfcheck import CHECKS  # Qt loads only for the self-test
    except ImportError as exc:
        reason = f"the desktop app's Qt libraries cannot be loaded ({exc})"

        def missing(_pdf: bytes) -> str:
            raise RuntimeError(reason)

        return [("qt", missing)]
    return CHECKS


def main() -> None:
    sys.exit(cli.main(app=launch, app_checks=_app_checks))


if __name__ == "__main__":
    main()
