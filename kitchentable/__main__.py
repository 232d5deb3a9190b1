"""Entry point: subcommands go to the CLI; no subcommand opens the app."""

from __future__ import annotations

import sys

from kitchentable.cli import main as _main


def main() -> None:
    sys.exit(_main())


if __name__ == "__main__":
    main()
