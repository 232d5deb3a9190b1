"""The laptop talks to the office only over HTTPS pinned to the enrolled certificate, and to
nothing but itself over plain HTTP. Real sockets on 127.0.0.1, real TLS handshakes."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from kitchentable.office import pki
from kitchentable.sync.pinning import (
    InsecureServer,
    PinMismatch,
    fetch_fingerprint,
    normalise_fingerprint,
    pinned_async_client,
    pinned_client,
)

SECRET = "token-that-must-never-leak"


class RecordingTlsServer:
    """A TLS server on 127.0.0.1 that records every byte each connection sent after the
    handshake, and answers a complete HTTP request with 200 and `Connection: close`."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.use(cert, key)
        self.received: list[bytes] = []
        self._handled = threading.Semaphore(0)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def use(self, cert: Path, key: Path) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.context = context

    def wait_for_connections(self, count: int) -> list[bytes]:
        for _ in range(count):
            assert self._handled.acquire(timeout=5), "the server saw no connection"
        return self.received

    def close(self) -> None:
        # On Linux only shutdown wakes a thread blocked in accept(); close alone does not.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._handle(conn)

    def _handle(self, conn: socket.socket) -> None:
        data = b""
        try:
            conn.settimeout(5)
            with self.context.wrap_socket(conn, server_side=True) as tls:
                while b"\r\n\r\n" not in data:
                    chunk = tls.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(body) < length:
                    body += tls.recv(65536)
                data = head + b"\r\n\r\n" + body
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        except OSError:
            pass  # the client hung up during or after the handshake
        finally:
            conn.close()
            self.received.append(data)
            self._handled.release()


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("pki")
    ca = pki.create_ca(root, bytes(32), "Gemeente Testdorp")
    other = root / "other"
    other.mkdir()
    pki.create_tls(root, ["127.0.0.1", "localhost"], ca)
    pki.create_tls(other, ["127.0.0.1", "localhost"], ca)  # same CA, same names, other key
    return {
        "cert": root / pki.TLS_CERT,
        "key": root / pki.TLS_KEY,
        "other_cert": other / pki.TLS_CERT,
        "other_key": other / pki.TLS_KEY,
    }


@pytest.fixture
def server(certs: dict[str, Path]) -> Iterator[RecordingTlsServer]:
    running = RecordingTlsServer(certs["cert"], certs["key"])
    yield running
    running.close()


def _fingerprint(cert: Path) -> str:
    return pki.tls_fingerprint(cert.read_bytes())


def _post(client: httpx.Client) -> httpx.Response:
    return client.post(
        "/api/v1/push",
        headers={"Authorization": f"Bearer {SECRET}"},
        json={"changes": ["a sealed payload"]},
    )


def test_the_enrolled_certificate_is_accepted(
    server: RecordingTlsServer, certs: dict[str, Path]
) -> None:
    url = f"https://127.0.0.1:{server.port}"
    with pinned_client(url, _fingerprint(certs["cert"]), 5.0) as client:
        response = _post(client)
    assert response.status_code == 200 and response.text == "ok"
    [received] = server.wait_for_connections(1)
    assert received.startswith(b"POST /api/v1/push HTTP/1.1\r\n")
    assert SECRET.encode() in received


def test_another_certificate_is_refused_before_anything_is_sent(
    server: RecordingTlsServer, certs: dict[str, Path]
) -> None:
    url = f"https://127.0.0.1:{server.port}"
    with (
        pinned_client(url, _fingerprint(certs["other_cert"]), 5.0) as client,
        pytest.raises(PinMismatch) as caught,
    ):
        _post(client)
    message = str(caught.value)
    assert "not the one this laptop was enrolled with" in message
    assert "nothing was sent" in message and "listening in" in message
    assert caught.value.presented == _fingerprint(certs["cert"])
    assert server.wait_for_connections(1) == [b""]


def test_the_pin_is_checked_on_every_new_connection(
    server: RecordingTlsServer, certs: dict[str, Path]
) -> None:
    url = f"https://127.0.0.1:{server.port}"
    with pinned_client(url, _fingerprint(certs["cert"]), 5.0) as client:
        assert _post(client).status_code == 200
        server.wait_for_connections(1)
        # The server closed the first connection; the next one meets another certificate.
        server.use(certs["other_cert"], certs["other_key"])
        with pytest.raises(PinMismatch):
            _post(client)
    assert server.wait_for_connections(1)[1] == b""


# The sync's network lane uses the asyncio client: TLS over a memory BIO (_PinnedObject).


async def _post_async(url: str, fingerprint: str) -> httpx.Response:
    async with pinned_async_client(url, fingerprint, 5.0) as client:
        return await client.post(
            "/api/v1/push",
            headers={"Authorization": f"Bearer {SECRET}"},
            json={"changes": ["a sealed payload"]},
        )


def test_the_async_client_accepts_the_enrolled_certificate(
    server: RecordingTlsServer, certs: dict[str, Path]
) -> None:
    url = f"https://127.0.0.1:{server.port}"
    response = asyncio.run(_post_async(url, _fingerprint(certs["cert"])))
    assert response.status_code == 200 and response.text == "ok"
    [received] = server.wait_for_connections(1)
    assert received.startswith(b"POST /api/v1/push HTTP/1.1\r\n")


def test_the_async_client_refuses_another_certificate_before_anything_is_sent(
    server: RecordingTlsServer, certs: dict[str, Path]
) -> None:
    url = f"https://127.0.0.1:{server.port}"
    with pytest.raises(PinMismatch) as caught:
        asyncio.run(_post_async(url, _fingerprint(certs["other_cert"])))
    assert caught.value.presented == _fingerprint(certs["cert"])
    assert server.wait_for_connections(1) == [b""]


def test_the_fingerprint_may_be_written_as_the_office_prints_it(
    server: RecordingTlsServer, certs: dict[str, Path]
) -> None:
    plain = _fingerprint(certs["cert"])
    grouped = ":".join(plain[i : i + 2] for i in range(0, 64, 2)).upper()
    assert normalise_fingerprint(grouped) == plain
    with pinned_client(f"https://localhost:{server.port}", grouped, 5.0) as client:
        assert client.get("/").status_code == 200
    with pytest.raises(ValueError, match="64 hexadecimal characters"):
        pinned_client(f"https://127.0.0.1:{server.port}", plain[:-1], 5.0)


def test_first_contact_reads_the_fingerprint_and_sends_nothing(
    server: RecordingTlsServer, certs: dict[str, Path]
) -> None:
    assert fetch_fingerprint("127.0.0.1", server.port, 5.0) == _fingerprint(certs["cert"])
    assert server.wait_for_connections(1) == [b""]


def test_first_contact_with_nothing_listening_is_an_os_error() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(OSError):
        fetch_fingerprint("127.0.0.1", port, 2.0)


def test_https_without_a_fingerprint_is_refused() -> None:
    with pytest.raises(InsecureServer, match="no certificate fingerprint"):
        pinned_client("https://office.testdorp.nl", None, 5.0)


@pytest.mark.parametrize(
    "url", ["http://office.testdorp.nl", "http://192.0.2.10:8443", "http://127.0.0.1.nip.io"]
)
def test_plain_http_to_another_computer_is_refused(url: str) -> None:
    with pytest.raises(InsecureServer, match="only allowed to this computer"):
        pinned_client(url, None, 5.0)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost", "http://[::1]:80"])
def test_plain_http_to_this_computer_is_allowed(url: str) -> None:
    with pinned_client(url, None, 5.0) as client:
        assert str(client.base_url).startswith("http://")


def test_uvicorn_serves_the_generated_certificate_to_a_pinned_client(
    certs: dict[str, Path],
) -> None:
    async def app(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        assert scope["type"] == "http"
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"office"})  # type: ignore[operator]

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        app,
        ssl_certfile=str(certs["cert"]),
        ssl_keyfile=str(certs["key"]),
        log_level="error",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        url = f"https://127.0.0.1:{port}"
        with pinned_client(url, _fingerprint(certs["cert"]), 5.0) as client:
            response = client.get("/")
        assert (response.status_code, response.text) == (200, "office")
        with (
            pinned_client(url, _fingerprint(certs["other_cert"]), 5.0) as client,
            pytest.raises(PinMismatch),
        ):
            client.get("/")
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        listener.close()
