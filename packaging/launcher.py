"""The bundle's entry point: the same `main()` as the `kitchentable` console script."""

from kitchentable.__main__ import main

if __name__ == "__main__":
    main()
