"""Servers on loopback for the tests: an ASGI app in a thread, a free port, waiting for a
server process to listen. One place for what the sync, GUI and bench tests all need."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn


def serve(app: Any, port: int = 0) -> tuple[uvicorn.Server, threading.Thread, str]:
    """The app on 127.0.0.1 (port 0: any free one) in a thread; the server, its thread and
    its URL once it listens."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, f"http://127.0.0.1:{port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    port: int, process: subprocess.Popen[bytes], log: Path | None = None, timeout: float = 30
) -> None:
    """Until something listens on 127.0.0.1:port; fails (with the server's output, from
    its log file or its stdout) if the process died first or the time ran out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                if log is not None:
                    output: object = log.read_text(errors="replace")
                else:
                    output = process.stdout.read() if process.stdout else b""
                raise AssertionError(f"the server did not start: {output!r}") from None
            time.sleep(0.05)
