"""Entry point: subcommands go to the CLI; no subcommand opens the app.

Owns wiring the app's parts the CLI may not import itself: the Qt self-test checks
(ui.selfcheck), loaded only when `--self-test` asks for them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from kitchentable.cli import main as _main


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
    sys.exit(_main(app_checks=_app_checks))


if __name__ == "__main__":
    main()
