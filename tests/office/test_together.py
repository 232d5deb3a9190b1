"""Pushes that arrive while another is being stored go together in the next transaction
(store.together), on SQLite and on PostgreSQL: decided in arrival order as one after the
other, and a change the database refuses is still answered server_error alone."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from officekit import Office, uid

from kitchentable.office.store import changes as change_rows
from kitchentable.sync.protocol import Change, ChangeResult


def _held_leader(
    office: Office, monkeypatch: pytest.MonkeyPatch, pushes: list[list[Change]]
) -> tuple[list[list[ChangeResult]], list[int]]:
    """The first push leads and is held inside its transaction until the others queue;
    returns every push's answers and the size of each group stored together."""
    release = threading.Event()
    groups: list[int] = []
    real_alone, real_together = change_rows.record_changes, change_rows.record_pushes

    def alone(*args: Any, **kwargs: Any) -> list[ChangeResult]:
        release.wait(10)
        return real_alone(*args, **kwargs)

    def together(backend: Any, group: Any) -> list[list[ChangeResult]]:
        groups.append(len(group))
        return real_together(backend, group)

    monkeypatch.setattr(change_rows, "record_changes", alone)
    monkeypatch.setattr(change_rows, "record_pushes", together)
    answers: list[list[ChangeResult]] = [[] for _ in pushes]

    def push(i: int) -> None:
        verified = list(enumerate(pushes[i]))
        answers[i] = office.store.record_changes(verified, office.clock())

    threads = [threading.Thread(target=push, args=(0,))]
    threads[0].start()
    queue = office.store._together._queue
    deadline = time.monotonic() + 10
    while queue and time.monotonic() < deadline:  # the leader took its own push
        time.sleep(0.01)
    for i in range(1, len(pushes)):
        threads.append(threading.Thread(target=push, args=(i,)))
        threads[-1].start()
        while len(queue) < i and time.monotonic() < deadline:  # queued in this order
            time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join(10)
    return answers, groups


def test_pushes_waiting_meanwhile_are_stored_together_in_arrival_order(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna, ben = office.enrol(), office.enrol()
    pushes = [
        [anna.change("a-0", b"x")],
        [anna.change("a-1", b"x"), anna.change("a-2", b"x")],
        [ben.change("b-1", b"x", case_ref="case-2")],
        [anna.change("a-1", b"x")],  # the same record, base 0: a push before moved it
    ]
    pushes.append([pushes[1][0]])  # the same change again: a duplicate
    answers, groups = _held_leader(office, monkeypatch, pushes)
    assert groups == [1, 4]  # the leader alone, then the four that waited
    statuses = [[r.status for r in answer] for answer in answers]
    assert statuses == [
        ["accepted"],
        ["accepted", "accepted"],
        ["accepted"],
        ["conflict"],
        ["duplicate"],
    ]
    versions = [r.server_version for answer in answers[:4] for r in answer]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert answers[3][0].current_version == answers[1][0].server_version
    assert answers[4][0].server_version == answers[1][0].server_version
    stored = {c["id"]: c["status"] for c in office.store.changes()}
    assert len(stored) == 5


def test_a_change_the_database_refuses_in_a_group_is_answered_alone(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = change_rows._record

    def failing(lookups, index, change, now, *more):  # type: ignore[no-untyped-def]
        result = real(lookups, index, change, now, *more)  # its rows are given ...
        if change.entity_id == uid("boom"):
            raise RuntimeError("disk full")  # ... and then the database fails
        return result

    monkeypatch.setattr(change_rows, "_record", failing)
    anna = office.enrol()
    pushes = [
        [anna.change("a-0", b"x")],
        [anna.change("a-1", b"x")],
        [anna.change("a-2", b"x"), anna.change("boom", b"x"), anna.change("a-3", b"x")],
        [anna.change("a-4", b"x")],
    ]
    answers, groups = _held_leader(office, monkeypatch, pushes)
    assert groups == [1, 3, 1, 1, 1]  # the group fails; each of its pushes goes again alone
    statuses = [[r.status for r in answer] for answer in answers]
    assert statuses == [
        ["accepted"],
        ["accepted"],
        ["accepted", "rejected", "accepted"],
        ["accepted"],
    ]
    assert answers[2][1].reason == "server_error"
    kept = sorted(c["entity_id"] for c in office.store.changes())
    assert kept == sorted(uid(n) for n in ("a-0", "a-1", "a-2", "a-3", "a-4"))
