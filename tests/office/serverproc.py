"""A real `kitchentable-office serve` process on loopback, as the service runs it: without
the office passphrase, with its serve secret as a systemd-style credential."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.netkit import free_port, wait_for_port

PASSPHRASE_VARIABLES = ("KITCHENTABLE_OFFICE_PASSPHRASE", "KITCHENTABLE_OFFICE_PASSPHRASE_FILE")


def service_environment(credentials: Path, **extra: str) -> dict[str, str]:
    """The environment systemd gives the unit: no office passphrase, the credentials folder."""
    env = {k: v for k, v in os.environ.items() if k not in PASSPHRASE_VARIABLES}
    env["CREDENTIALS_DIRECTORY"] = str(credentials)
    env.update(extra)
    return env


def move_serve_secret(data: Path, credentials: Path) -> Path:
    """What the guide has the administrator do after init: the serve secret becomes the
    service's credential and leaves the data folder."""
    credentials.mkdir(mode=0o700, exist_ok=True)
    target = credentials / "serve-secret"
    (data / "serve-secret").replace(target)
    return target


@dataclass
class ServeProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def serve(
    data: Path,
    env: dict[str, str],
    *args: str,
    port: int | None = None,
    preexec: Callable[[], None] | None = None,
) -> Iterator[ServeProcess]:
    port = port or free_port()
    log = data.parent / f"serve-{port}.log"
    command = [sys.executable, "-m", "kitchentable.office", "serve", "--data", str(data)]
    command += ["--host", "127.0.0.1", "--port", str(port), *args]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, preexec_fn=preexec
        )
    try:
        wait_for_port(port, process, log)
        yield ServeProcess(process, port, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
