"""`kitchentable-office`: entry point of the office server's console script (see cli)."""

from __future__ import annotations

import sys

from kitchentable.office.cli import main as _main


def main() -> None:
    sys.exit(_main())


if __name__ == "__main__":
    main()
