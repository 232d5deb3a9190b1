"""The bundle's entry point: the same `main()` as the `kitchentable` console script."""

import sys

from kitchentable.cli import main

if __name__ == "__main__":
    sys.exit(main())
