"""`kitchentable --self-test`: does this installation work? (owned by the packaging work)."""

from __future__ import annotations


def run_self_test() -> int:
    print("self-test: not implemented yet")
    return 1
