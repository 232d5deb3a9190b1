"""The lanes never free what an Op holds: the work, its callbacks and its outcome are let go
on the UI thread. A widget's wrapper freed on a lane makes shiboken queue the delete of its
widget to the UI thread; when Qt deleted the widget first (its page went on a lock), that
queued delete is a second one, and the app dies of SIGSEGV (tests.qtkit)."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Callable

import pytest
from pytestqt.qtbot import QtBot

from kitchentable.ui.tasks import NetOp, Op

pytestmark = pytest.mark.gui


class Held:
    """Stands for a widget an Op's closures hold; says on which thread it was freed."""

    def __init__(self, freed_on: list[str]) -> None:
        self.freed_on = freed_on

    def __del__(self) -> None:
        self.freed_on.append(threading.current_thread().name)


def boom(_held: Held) -> None:
    raise ValueError("the work failed")


def run(qtbot: QtBot, make_op: Callable[[Held | None], Op], fails: bool) -> list[str]:
    freed_on: list[str] = []
    outcomes: list[object] = []

    def start() -> None:  # the only strong reference to `held` lives in the Op's closures
        held = Held(freed_on)
        op = make_op(held)
        op.success(lambda r: outcomes.append((held, r))).failure(
            lambda e: outcomes.append((held, e))
        ).run_in_background()

    start()
    qtbot.waitUntil(lambda: bool(outcomes), timeout=5_000)
    assert isinstance(outcomes[0][1], ValueError) == fails
    outcomes.clear()
    # The next piece of work on the same lane: a lane that kept its last item would let go of
    # it now, on its own thread.
    after: list[object] = []
    make_op(None).success(after.append).failure(after.append).run_in_background()
    qtbot.waitUntil(lambda: bool(after), timeout=5_000)
    gc.collect()
    return freed_on


@pytest.mark.parametrize("fails", [False, True], ids=["done", "failed"])
def test_the_database_worker_never_frees_what_an_op_holds(qtbot: QtBot, fails: bool) -> None:
    def make(held: Held | None) -> Op:
        return Op(None, lambda: boom(held) if fails and held else held)  # type: ignore[arg-type]

    assert run(qtbot, make, fails) == ["MainThread"]


@pytest.mark.parametrize("fails", [False, True], ids=["done", "failed"])
def test_the_network_lane_never_frees_what_a_net_op_holds(qtbot: QtBot, fails: bool) -> None:
    def make(held: Held | None) -> NetOp:
        async def work() -> object:
            await asyncio.sleep(0)
            if fails and held:
                boom(held)
            return held

        return NetOp(None, work)

    assert run(qtbot, make, fails) == ["MainThread"]
