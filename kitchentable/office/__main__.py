"""`kitchentable-office`: the office server's command line (reserved; built in the sync issue)."""

from __future__ import annotations

import sys


def main() -> None:
    print(
        "kitchentable-office: the office server is not available yet in this version. "
        "Consultants can already work offline with 'kitchentable'.",
        file=sys.stderr,
    )
    sys.exit(2)


if __name__ == "__main__":
    main()
