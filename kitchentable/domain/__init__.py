"""Domain types: cases, persons, conversations. Frozen dataclasses and pure transitions."""
