"""A real `serve` process under hostile clients, on loopback, with the file-handle limit of
the systemd unit: connections that trickle their headers, one client holding many
connections, a banner to read, a TLS-terminating proxy in front."""

from __future__ import annotations

import configparser
import contextlib
import os
import re
import resource
import selectors
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from officekit import OFFICE_PASSPHRASE
from serverproc import ServeProcess, move_serve_secret, serve, service_environment

from kitchentable.office.cli import main
from kitchentable.sync.protocol import DeviceKeys, EnrolRequest, EnrolResponse

UNIT = Path(__file__).resolve().parents[2] / "packaging" / "office" / "kitchentable-office.service"
HEADER_TIMEOUT = 3.0
SLACK = 3.0  # the machine is shared with other work: a closing may come this much late


def _unit_file_limit() -> int:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNIT, encoding="utf-8")
    return int(parser["Service"]["LimitNOFILE"])


def _unit_limit() -> None:
    """In the server process, before it runs: the file handles systemd would give it."""
    limit = _unit_file_limit()
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))


@pytest.fixture
def office_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[tuple[Path, dict[str, str]]]:
    data = tmp_path / "office"
    monkeypatch.setenv("KITCHENTABLE_OFFICE_PASSPHRASE", OFFICE_PASSPHRASE)
    assert main(["init", "--data", str(data), "--host", "127.0.0.1"]) == 0
    capsys.readouterr()
    credentials = tmp_path / "credentials"
    move_serve_secret(data, credentials)
    yield data, service_environment(credentials)


def _served(server: ServeProcess) -> float:
    """One ordinary request from another client; returns how long it took."""
    started = time.monotonic()
    with httpx.Client(trust_env=False, timeout=5) as http:
        answer = http.get(f"http://127.0.0.1:{server.port}/api/v1/status")
    assert answer.status_code == 401, answer.text
    return time.monotonic() - started


def _held(server: ServeProcess) -> int:
    """How many connections the server process holds on its port."""
    inodes = set()
    for name in os.listdir(f"/proc/{server.pid}/fd"):
        with contextlib.suppress(OSError):
            link = os.readlink(f"/proc/{server.pid}/fd/{name}")
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    held = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        port = int(fields[1].split(":")[1], 16)
        # Any state but LISTEN (0A): one the client closed (CLOSE_WAIT) still counts.
        held += port == server.port and fields[3] != "0A" and fields[9] in inodes
    return held


def _accepted(server: ServeProcess, count: int, at_least: bool = True) -> None:
    """Until the server holds `count` connections (a loaded machine may take a while)."""
    deadline = time.monotonic() + 20
    while _held(server) < count if at_least else _held(server) != count:
        assert time.monotonic() < deadline, f"the server holds {_held(server)} of {count}"
        time.sleep(0.05)


def _slow(source: str, port: int) -> socket.socket:
    sock = socket.socket()
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"GET /api/v1/status HTTP/1.1\r\nHost: office\r\nX-Slow: ")
    sock.setblocking(False)
    return sock


def test_a_thousand_trickling_connections_are_closed_in_time_and_the_office_stays_up(
    office_folder: tuple[Path, dict[str, str]],
) -> None:
    data, env = office_folder
    args = ("--insecure-http", "--header-timeout", str(HEADER_TIMEOUT))
    with serve(data, env, *args, preexec=_unit_limit) as server:
        limits = Path(f"/proc/{server.pid}/limits").read_text()
        assert re.search(rf"Max open files\s+{_unit_file_limit()}\s", limits)
        opened: dict[socket.socket, float] = {}
        closed: dict[socket.socket, float] = {}
        selector = selectors.DefaultSelector()
        # 1,000 clients (each its own loopback address), each trickling a header forever.
        for number in range(1000):
            sock = _slow(f"127.0.{1 + number // 250}.{1 + number % 250}", server.port)
            opened[sock] = time.monotonic()
            selector.register(sock, selectors.EVENT_READ)
        served: list[float] = []
        give_up = time.monotonic() + HEADER_TIMEOUT + 2 * SLACK + 10
        while len(closed) < len(opened) and time.monotonic() < give_up:
            for key, _ in selector.select(timeout=0.25):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    left = sock.recv(4096)
                except ConnectionResetError:
                    left = b""
                if not left:
                    closed[sock] = time.monotonic()
                    selector.unregister(sock)
            for sock in opened:
                if sock not in closed:
                    with contextlib.suppress(
                        BlockingIOError, BrokenPipeError, ConnectionResetError
                    ):
                        sock.send(b"x")  # one more byte of the header, never its end
            served.append(_served(server))
        for sock in opened:
            sock.close()
        served.append(_served(server))
    assert len(closed) == 1000, f"{1000 - len(closed)} slow connections still open"
    late = max(closed[s] - opened[s] for s in opened)
    assert HEADER_TIMEOUT - 0.5 <= late <= HEADER_TIMEOUT + SLACK, late
    assert len(served) >= 5 and max(served) < 3.0, served
    log = server.log.stat().st_size
    assert log < 10 * 1024 * 1024 and "Traceback" not in server.output()


def test_one_client_gets_its_share_of_connections_and_no_more(
    office_folder: tuple[Path, dict[str, str]],
) -> None:
    data, env = office_folder
    with serve(
        data, env, "--insecure-http", "--header-timeout", "30", preexec=_unit_limit
    ) as server:
        _accepted(server, 0, at_least=False)  # the start-up probe is gone
        held = [_slow("127.0.9.9", server.port) for _ in range(64)]
        _accepted(server, 64)
        beyond = socket.create_connection(
            ("127.0.0.1", server.port), source_address=("127.0.9.9", 0)
        )
        beyond.settimeout(5)
        answer = beyond.recv(4096)
        assert answer.startswith(b"HTTP/1.1 503 ")
        assert beyond.recv(4096) in (b"", answer[len(answer) :])  # then closed
        assert _served(server) < 2.0  # another client is still served
        for sock in (*held, beyond):
            sock.close()


def test_no_server_banner_and_hsts_on_the_admin_page_over_tls(
    office_folder: tuple[Path, dict[str, str]],
) -> None:
    data, env = office_folder
    with serve(data, env) as server, httpx.Client(verify=False, trust_env=False, timeout=5) as http:
        base = f"https://127.0.0.1:{server.port}"
        api = http.get(f"{base}/api/v1/status")
        admin = http.get(f"{base}/admin/login")
    assert api.status_code == 401 and admin.status_code == 200
    for answer in (api, admin):
        assert "server" not in answer.headers
        assert "uvicorn" not in str(answer.headers).lower()
    assert admin.headers["strict-transport-security"] == "max-age=63072000"


def test_behind_a_tls_proxy_the_enrolment_proof_must_name_the_proxys_certificate(
    office_folder: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    data, env = office_folder
    proxy = "ab" * 32
    spoken = ":".join(["AB"] * 32)  # as the administrator reads it out
    assert main(["enrol", "anna", "--data", str(data)]) == 0
    code = re.search(r"^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$", capsys.readouterr().out, re.M)
    assert code is not None
    with serve(data, env, "--insecure-http", "--proxy-fingerprint", spoken) as server:
        url = f"http://127.0.0.1:{server.port}/api/v1/enrol"
        with httpx.Client(trust_env=False, timeout=10) as http:
            for seen in (None, "cd" * 32):  # no certificate named, or someone else's
                request = EnrolRequest.create(
                    code.group(0), "laptop", DeviceKeys.generate(), tls_fingerprint=seen
                )
                answer = http.post(url, json=request.to_wire())
                assert answer.status_code == 403, answer.text
                assert answer.json()["error"] == "certificate_mismatch"
            request = EnrolRequest.create(
                code.group(0), "laptop", DeviceKeys.generate(), tls_fingerprint=proxy
            )
            answer = http.post(url, json=request.to_wire())
    assert answer.status_code == 200, answer.text
    assert EnrolResponse.from_wire(answer.json()).tls_fingerprint == proxy


def test_behind_the_proxy_each_client_is_the_address_the_proxy_names(
    office_folder: tuple[Path, dict[str, str]],
) -> None:
    """The per-address limits count the laptops behind the proxy, not the proxy."""
    data, env = office_folder
    with serve(data, env, "--insecure-http", "--proxy-fingerprint", "ab" * 32) as server:
        url = f"http://127.0.0.1:{server.port}/api/v1/enrol"

        def guess(address: str) -> int:
            request = EnrolRequest.create("AAAA-AAAA-AAAA-AAAA", "x", DeviceKeys.generate())
            headers = {"X-Forwarded-For": address, "X-Forwarded-Proto": "https"}
            with httpx.Client(trust_env=False, timeout=10) as http:
                return http.post(url, json=request.to_wire(), headers=headers).status_code

        assert [guess("198.51.100.1") for _ in range(10)] == [403] * 10
        assert guess("198.51.100.1") == 429  # this laptop's failed attempts are used up
        assert guess("198.51.100.2") == 403  # another laptop behind the same proxy is not


def test_a_body_that_stops_coming_is_closed_after_the_body_timeout(
    office_folder: tuple[Path, dict[str, str]],
) -> None:
    data, env = office_folder
    with serve(data, env, "--insecure-http", "--body-timeout", "2") as server:
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(
            b"POST /api/v1/enrol HTTP/1.1\r\nHost: office\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100000\r\n\r\n{"v": 1, '
        )
        started = time.monotonic()
        sock.settimeout(10)
        while sock.recv(4096):  # whatever comes, until the server closes
            pass
        waited = time.monotonic() - started
        sock.close()
        assert 1.5 <= waited <= 2 + SLACK, waited
        assert _served(server) < 2.0
    assert "Traceback" not in server.output()


def test_beyond_the_total_cap_a_connection_is_told_busy_and_closed(
    office_folder: tuple[Path, dict[str, str]],
) -> None:
    data, env = office_folder
    args = ("--insecure-http", "--max-connections", "100", "--header-timeout", "30")
    with serve(data, env, *args) as server:
        _accepted(server, 0, at_least=False)  # the start-up probe is gone
        held = [_slow(f"127.0.20.{1 + n}", server.port) for n in range(100)]
        _accepted(server, 100)
        refused = socket.create_connection(
            ("127.0.0.1", server.port), source_address=("127.0.21.1", 0)
        )
        refused.settimeout(5)
        assert refused.recv(4096).startswith(b"HTTP/1.1 503 ")
        for sock in (*held, refused):
            sock.close()
        time.sleep(0.3)
        assert _served(server) < 2.0  # room again once they are gone


@pytest.mark.slow
def test_a_tls_handshake_that_never_finishes_is_closed_after_ten_seconds(
    office_folder: tuple[Path, dict[str, str]],
) -> None:
    data, env = office_folder
    with serve(data, env) as server:
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.settimeout(30)
        started = time.monotonic()
        while sock.recv(4096):  # we never say hello; the server gives up
            pass
        waited = time.monotonic() - started
        sock.close()
    assert 9.0 <= waited <= 10 + SLACK, waited


def test_without_a_proxy_a_forwarded_header_does_not_change_who_the_client_is(
    office_folder: tuple[Path, dict[str, str]],
) -> None:
    data, env = office_folder
    with serve(data, env, "--insecure-http") as server:
        url = f"http://127.0.0.1:{server.port}/api/v1/enrol"
        with httpx.Client(trust_env=False, timeout=10) as http:
            statuses = []
            for number in range(11):  # a new made-up address for every guess
                request = EnrolRequest.create("AAAA-AAAA-AAAA-AAAA", "x", DeviceKeys.generate())
                headers = {"X-Forwarded-For": f"198.51.100.{number}"}
                statuses.append(http.post(url, json=request.to_wire(), headers=headers).status_code)
    assert statuses == [403] * 10 + [429]
