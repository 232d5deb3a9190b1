"""The office store's backends: concurrent pushes decide every change exactly once, on
SQLite and on PostgreSQL; `?` translation; choosing a backend; a plain connection error."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from officekit import Office
from pg import fresh_schema

from kitchentable.office.backends import (
    OfficeDatabaseError,
    PostgresBackend,
    open_backend,
    translate,
)
from kitchentable.office.store import SQLiteBackend, Visit
from kitchentable.sync.protocol import Change, ChangeResult

THREADS = 8
PER_THREAD = 50


def run_together(work: Callable[[int], list[ChangeResult]]) -> list[ChangeResult]:
    """Run `work(thread)` on THREADS threads released at the same moment."""
    start = threading.Barrier(THREADS)

    def job(thread: int) -> list[ChangeResult]:
        start.wait()
        return work(thread)

    with ThreadPoolExecutor(THREADS) as pool:
        return [r for results in pool.map(job, range(THREADS)) for r in results]


def assert_versions_unique_and_gap_free(office: Office) -> None:
    versions = [c["server_version"] for c in office.store.changes()]
    assert versions == list(range(1, len(versions) + 1))


def test_racing_edits_of_one_record_accept_exactly_one_per_version(office: Office) -> None:
    office.assign("case-1", "anna")  # one case, every laptop of its consultant on it
    laptops = [office.enrol("anna") for _ in range(THREADS)]

    def edit(thread: int) -> list[ChangeResult]:
        laptop, known, results = laptops[thread], 0, []
        for n in range(PER_THREAD):
            change = laptop.change("shared", f"{thread}/{n}".encode(), base_version=known)
            result = office.store.record_change(n, change, office.clock())
            # Like a laptop that pulls after a conflict: the next edit builds on what won.
            known = result.current_version or 0
            results.append(result)
        return results

    results = run_together(edit)

    assert len(results) == THREADS * PER_THREAD
    assert {r.status for r in results} <= {"accepted", "conflict"}
    stored = office.store.changes()
    assert sorted(c["id"] for c in stored) == sorted(r.id for r in results)
    assert_versions_unique_and_gap_free(office)
    # Replayed in server order, each change was accepted exactly when it built on the
    # version current at that moment: one accepted change per base version, no lost update.
    current = 0
    for change in stored:
        expected = "accepted" if change["base_version"] == current else "conflict"
        assert change["status"] == expected, change["server_version"]
        if expected == "accepted":
            current = change["server_version"]
    # Every thread's first edit built on version 0, and only one of them can win it.
    assert sum(c["status"] == "conflict" for c in stored) >= THREADS - 1


def test_racing_pushes_of_distinct_records_store_each_change_once(office: Office) -> None:
    laptops = [office.enrol(f"consultant-{n}") for n in range(THREADS)]
    batches: list[list[Change]] = [
        [
            laptop.change(f"record-{t}-{n}", b"answer", case_ref=f"case-{t}")
            for n in range(PER_THREAD)
        ]
        for t, laptop in enumerate(laptops)
    ]

    def push(thread: int) -> list[ChangeResult]:
        # Each batch is pushed by two threads at once, as after a lost answer and a retry.
        batch = batches[thread] + batches[(thread + 1) % THREADS]
        random.Random(thread).shuffle(batch)
        return [office.store.record_change(i, c, office.clock()) for i, c in enumerate(batch)]

    results = run_together(push)

    by_id: dict[str | None, list[str]] = {}
    for result in results:
        by_id.setdefault(result.id, []).append(result.status)
    assert len(by_id) == THREADS * PER_THREAD
    assert all(sorted(statuses) == ["accepted", "duplicate"] for statuses in by_id.values())
    stored = office.store.changes()
    assert len(stored) == THREADS * PER_THREAD
    assert {c["status"] for c in stored} == {"accepted"}
    assert_versions_unique_and_gap_free(office)


def test_question_marks_become_placeholders_only_outside_quotes() -> None:
    sql = "SELECT '?', \"a?\", x % 2 FROM t WHERE a = ? AND b LIKE 'x%' || ?"
    assert translate(sql) == (
        "SELECT '?', \"a?\", x %% 2 FROM t WHERE a = %s AND b LIKE 'x%%' || %s"
    )


def test_a_path_opens_sqlite(tmp_path: Path) -> None:
    backend = open_backend(tmp_path / "office.db")
    assert isinstance(backend, SQLiteBackend)
    backend.close()


def test_an_unreachable_database_is_one_sentence_without_the_password() -> None:
    with pytest.raises(OfficeDatabaseError) as raised:
        open_backend("postgresql://office:hunter2@127.0.0.1:1/kitchentable")
    assert raised.value.code == "database_unreachable"
    message = str(raised.value)
    assert message.startswith("The office database at 127.0.0.1:1/kitchentable cannot be reached")
    assert "hunter2" not in message and "\n" not in message


def test_a_visit_is_noted_while_a_push_holds_the_writer_lock(office: Office) -> None:
    """The activity row of a request waits for no decision about changes (PostgreSQL: it
    takes no writer lock); on SQLite there is one writer, so it waits its turn."""
    laptop = office.enrol()
    holding, release = threading.Event(), threading.Event()

    def decide() -> None:
        with office.store.backend.transaction() as cur:
            cur.execute("SELECT 1")
            holding.set()
            release.wait(10)

    decider = threading.Thread(target=decide)
    decider.start()
    try:
        assert holding.wait(10)
        noted = threading.Thread(
            target=office.store.seen,
            args=(Visit(laptop.enrolment.device_id, "pull", {"entries": 0}), office.clock()),
        )
        noted.start()
        noted.join(2)
        beside = not noted.is_alive()
    finally:
        release.set()
        decider.join(10)
        noted.join(10)
    assert beside == (not isinstance(office.store.backend, SQLiteBackend))
    detail = office.store.backend.transaction(write=False)
    with detail as cur:
        rows = cur.execute(
            "SELECT action, detail FROM activity WHERE device_id = ?", [laptop.enrolment.device_id]
        )
        assert ("pull", '{"entries":0}') in [tuple(r) for r in rows.fetchall()]


def test_connections_postgresql_dropped_while_idle_are_replaced(postgres_url: str) -> None:
    """A PostgreSQL restart or idle timeout drops the connections the server keeps idle: the
    next reader, batched writer, activity row and writer each get a fresh one instead of
    failing (a 500 for every device after a database restart)."""
    with fresh_schema(postgres_url) as url:
        backend = PostgresBackend(url)
        try:
            with (
                backend.transaction(write=False) as a,
                backend.transaction(write=False) as b,
                backend.transaction(write=False) as c,
            ):
                for cursor in (a, b, c):
                    assert cursor.execute("SELECT 1").fetchone() == (1,)
            pids = [conn.info.backend_pid for conn in backend._idle]
            assert len(pids) == 3
            with psycopg.connect(postgres_url, autocommit=True) as admin:
                for pid in pids:
                    admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            kinds: list[dict[str, bool]] = [
                {"write": False},
                {"batched": True},
                {"ordered": False},
                {},
                {"write": False},
            ]
            for kind in kinds:
                with backend.transaction(**kind) as cursor:
                    assert cursor.execute("SELECT 1").fetchone() == (1,)
        finally:
            backend.close()
