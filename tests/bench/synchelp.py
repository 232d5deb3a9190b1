"""Helpers for the sync benchmarks (tests/bench/test_bench_sync.py): a real office server
process, the plain upload server the push is compared with, a counting HTTP transport.

Run as a script this module is that plain server (one stored row per POST), or the slow line:

    python tests/bench/synchelp.py baseline DB_PATH|- --port PORT   (- stores nothing)
    python tests/bench/synchelp.py slowline OFFICE_PORT DELAY_FILE --port PORT
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
OFFICE_PASSPHRASE = "office horse battery staple"
PASSPHRASE_ENV = "KITCHENTABLE_OFFICE_PASSPHRASE"


def pct(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, all its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the office -------------------------------------------------------------------------


def make_office(data: Path, database: str | None = None) -> None:
    """An office data folder like `kitchentable-office init` makes (keys, CA, database)."""
    from kitchentable.office import keys, pki
    from kitchentable.office.store import CONFIG_NAME, Store

    data.mkdir(parents=True)
    if database:
        (data / CONFIG_NAME).write_text(json.dumps({"database": database}), encoding="utf-8")
    Store.open(data).close()
    keys.create(data, OFFICE_PASSPHRASE)
    private = keys.unlock(data, OFFICE_PASSPHRASE)
    pki.create_ca(data, private.ca_password, "Gemeente Benchdam")


def enrolment_codes(data: Path, consultant: str, count: int) -> list[str]:
    from datetime import UTC, datetime

    from kitchentable.office.store import Store

    store = Store.open(data)
    try:
        return [store.create_code(consultant, datetime.now(UTC)) for _ in range(count)]
    finally:
        store.close()


def copy_office(data: Path, target: Path) -> None:
    """A consistent copy of an office folder whose SQLite database a server has open."""
    from kitchentable.office.store import DB_NAME

    shutil.copytree(data, target, ignore=shutil.ignore_patterns(f"{DB_NAME}*", "server.log"))
    source = sqlite3.connect(data / DB_NAME)
    copy = sqlite3.connect(target / DB_NAME)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()


@dataclass
class Process:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def _process(args: list[str], log: Path, port: int | None = None) -> Iterator[Process]:
    # Here, not at the top: this file also runs as a script (the baseline server).
    from tests.netkit import free_port, wait_for_port

    port = port or free_port()
    # The server never gets the office passphrase (it refuses to start when offered it).
    env = {k: v for k, v in os.environ.items() if not k.startswith(PASSPHRASE_ENV)}
    # Output to a file: a pipe nobody reads fills up and stalls a busy server.
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, *args, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
    try:
        wait_for_port(port, process, log)
        yield Process(f"http://127.0.0.1:{port}", process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def office_process(
    data: Path, port: int | None = None, extra: tuple[str, ...] = ()
) -> AbstractContextManager[Process]:
    """`kitchentable-office serve --insecure-http` on loopback, as a separate process
    (`extra`: more options for `serve`)."""
    args = ["-m", "kitchentable.office", "serve", "--data", str(data), "--host", "127.0.0.1"]
    return _process([*args, "--insecure-http", *extra], data / "server.log", port)


def baseline_process(db: Path | None, log: Path) -> AbstractContextManager[Process]:
    return _process([__file__, "baseline", str(db or "-")], log)


# --- where a server process spends its time (py-spy, when installed) --------------------


def _frame(text: str) -> str:
    """'fn (path/to/file.py:12)' → 'fn (file.py)', short enough to read in a table."""
    name, _, where = text.rpartition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", "python3.12/"):
        path = path.split(marker, 1)[-1]
    return f"{name} ({path})"


def top_frames(raw: Path, count: int = 12) -> list[str]:
    """From py-spy's raw output: the functions with the most own samples, and the project's
    functions with the most samples including what they call."""
    own: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, samples = line.rpartition(" ")
        if not samples.isdigit():
            continue
        n = int(samples)
        total += n
        frames = [_frame(f) for f in stack.split(";")]
        own[frames[-1]] += n
        for frame in set(frames):
            if "kitchentable/" in frame:
                ours[frame] += n
    if not total:
        return ["(no samples)"]
    lines = [f"{total} samples of busy threads; own time:"]
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in own.most_common(count)]
    lines.append("project functions, including what they call:")
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in ours.most_common(count)]
    return lines


@contextmanager
def sampled(pid: int, out: Path) -> Iterator[list[str]]:
    """Samples the process with py-spy while the block runs, when KT_BENCH_PYSPY names the
    py-spy program; the list it yields is filled with `top_frames` afterwards (else empty)."""
    exe = os.environ.get("KT_BENCH_PYSPY")
    lines: list[str] = []
    if not exe:
        yield lines
        return
    args = [exe, "record", "-p", str(pid), "-o", str(out), "-f", "raw", "-r", "200"]
    spy = subprocess.Popen(
        [*args, "--nonblocking", *os.environ.get("KT_BENCH_PYSPY_FLAGS", "").split()],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.0)  # attaching takes a moment
    try:
        yield lines
    finally:
        spy.send_signal(signal.SIGINT)
        _, err = spy.communicate(timeout=60)
        lines.extend(top_frames(out) if out.exists() else [f"py-spy: {err.decode()[-300:]}"])


# --- a transport that counts ------------------------------------------------------------

KINDS = {
    "enrol": "enrol",
    "push": "push",
    "pull": "pull",
    "uploads": "upload start",
    "chunks": "upload chunk",
    "complete": "upload complete",
    "blobs": "blob",
}


def kind_of(path: str) -> str:
    parts = path.strip("/").split("/")
    for part in reversed(parts):
        if part in KINDS:
            return KINDS[part]
    return path


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts requests, bytes on the wire (bodies + header lines) and time per request kind."""

    def __init__(self) -> None:
        self.inner: httpx.AsyncHTTPTransport | None = httpx.AsyncHTTPTransport()
        self.sent = 0
        self.received = 0
        self.calls: Counter[str] = Counter()
        self.bytes: Counter[str] = Counter()
        self.seconds: defaultdict[str, list[float]] = defaultdict(list)
        self.spans: list[tuple[float, float]] = []  # (start, end) of every request

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        head = sum(len(k) + len(v) + 4 for k, v in request.headers.raw) + len(request.url.raw_path)
        kind = kind_of(request.url.path)
        if self.inner is None:
            self.inner = httpx.AsyncHTTPTransport()
        started = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        await response.aread()
        ended = time.perf_counter()
        self.seconds[kind].append(ended - started)
        self.spans.append((started, ended))
        self.calls[kind] += 1
        self.sent += len(body) + head + 16
        self.bytes[kind] += len(body) + head + 16
        self.received += len(response.content) + sum(
            len(k) + len(v) + 4 for k, v in response.headers.raw
        )
        return response

    def busy(self) -> float:
        """Seconds during which at least one request was in flight (the union of spans)."""
        total, reach = 0.0, float("-inf")
        for start, end in sorted(self.spans):
            if end > reach:
                total += end - max(start, reach)
                reach = end
        return total

    async def aclose(self) -> None:
        # Each sync runs its own event loop: its connections go with it. The next transport
        # is made at the next request, not here: making one (an SSL context) is not the
        # sync's time.
        if self.inner is not None:
            await self.inner.aclose()
        self.inner = None


# --- the plain server the push is compared with ---------------------------------------


def baseline_app(db_path: str) -> object:
    """POST /blob stores the body as one row (WAL, synchronous=FULL like the office store)
    in its own transaction; with "-" it only reads the body."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    conn = None
    if db_path != "-":
        conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, data BLOB)")

    async def put(request: Request) -> JSONResponse:
        body = await request.body()
        row = 0
        if conn is not None:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute("INSERT INTO blobs (data) VALUES (?)", [body]).lastrowid or 0
            conn.execute("COMMIT")
        return JSONResponse({"v": 1, "row": row, "size": len(body)})

    return Starlette(routes=[Route("/blob", put, methods=["POST"])])


# --- a slow line between the laptop and the office, in a process of its own -------------


def slow_line(office_url: str, delay_file: Path, log: Path) -> AbstractContextManager[Process]:
    """A TCP relay to the office that holds back every answer for the seconds written in
    `delay_file` (0 or missing: none) — a slow line at the inhabitant's home, outside the
    laptop's process so the laptop's own threads are what is measured."""
    target = office_url.rsplit(":", 1)[1]
    return _process([__file__, "slowline", target, str(delay_file)], log)


def _slow_line(target_port: int, delay_file: Path, port: int) -> None:
    import asyncio

    def delay() -> float:
        try:
            return float(delay_file.read_text() or 0)
        except (OSError, ValueError):
            return 0.0

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        office_r, office_w = await asyncio.open_connection("127.0.0.1", target_port)
        asked = asyncio.Event()  # a request went out whose answer is not back yet

        async def up() -> None:
            while data := await client_r.read(1 << 16):
                asked.set()
                office_w.write(data)
                await office_w.drain()
            office_w.close()

        async def down() -> None:
            while data := await office_r.read(1 << 16):
                if asked.is_set():
                    asked.clear()
                    await asyncio.sleep(delay())  # the answer's first bytes wait
                client_w.write(data)
                await client_w.drain()
            client_w.close()

        await asyncio.gather(up(), down(), return_exceptions=True)

    async def serve() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def main(argv: list[str]) -> None:
    if argv[0] == "slowline":
        _, target, delay_file, _, port = argv  # slowline TARGET_PORT DELAY_FILE --port PORT
        _slow_line(int(target), Path(delay_file), int(port))
        return
    import uvicorn

    _, db_path, _, port = argv  # baseline DB --port PORT
    uvicorn.run(baseline_app(db_path), host="127.0.0.1", port=int(port), log_level="warning")  # type: ignore[arg-type]


if __name__ == "__main__":
    main(sys.argv[1:])
