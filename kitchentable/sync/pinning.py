"""How the laptop reaches the office: HTTPS pinned to one certificate, or plain HTTP to itself.

Owns the TLS side of the sync client: an httpx client (`pinned_client`, and
`pinned_async_client` for the sync's network lane) that accepts the office only when the
SHA-256 of its leaf certificate (DER) equals the fingerprint recorded at enrolment,
reading that fingerprint on first contact, and refusing plain HTTP to anything but this
computer. The office's CA is private, so public trust and host names prove nothing here;
the pin is the whole check, and it runs inside the TLS handshake of every new connection,
before httpx can write a single byte of a request.

Never imports Qt or the office package, never sends anything over a connection whose
certificate did not match, and never trusts a server on its chain or name alone.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

import httpx

LOOPBACK_NAMES = frozenset({"localhost"})


class PinMismatch(Exception):
    """The server's certificate is not the one recorded at enrolment. Nothing was sent."""

    code = "pin_mismatch"

    def __init__(self, host: str, expected: str, presented: str) -> None:
        self.host = host
        self.expected = expected
        self.presented = presented
        super().__init__(
            f"The server at {host} showed a certificate that is not the one this laptop was "
            "enrolled with, so the connection was closed and nothing was sent. Someone may be "
            "listening in on the network. Do not synchronise from this network; ask the "
            "office's application administrator whether the office certificate was replaced."
        )


class InsecureServer(Exception):
    """The address would make the laptop talk to the office without a checked certificate."""

    code = "insecure_server"


def normalise_fingerprint(fingerprint: str) -> str:
    """Lowercase hex without separators; accepts the grouped form an administrator reads out."""
    cleaned = "".join(fingerprint.split()).replace(":", "").lower()
    if len(cleaned) != 64 or any(c not in "0123456789abcdef" for c in cleaned):
        raise ValueError(
            "A certificate fingerprint is 64 hexadecimal characters (0-9, a-f); "
            f"'{fingerprint}' is not one."
        )
    return cleaned


def certificate_fingerprint(der: bytes) -> str:
    """SHA-256 of a certificate's DER as lowercase hex, the form the office prints."""
    return hashlib.sha256(der).hexdigest()


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_pin(peer_der: bytes | None, context: ssl.SSLContext, host: str | None) -> None:
    if not isinstance(context, _PinnedContext):
        raise TypeError("a pinned socket needs its pinned context")
    presented = certificate_fingerprint(peer_der) if peer_der else ""
    # Not secret, but a constant-time compare costs nothing and ends the question.
    if not hmac.compare_digest(presented, context.pin):
        raise PinMismatch(host or "the office", context.pin, presented or "none")


class _PinnedSocket(ssl.SSLSocket):
    """A TLS socket that checks the pin as the last step of its handshake.

    httpx (through httpcore) calls `SSLContext.wrap_socket`, which handshakes before it
    returns; the request is written only after that. Checking here, and closing the socket
    on a mismatch, therefore means no request line, header or body ever reaches a server
    whose certificate is wrong, on the first connection and on every later one.
    """

    def do_handshake(self, block: bool = False) -> None:
        super().do_handshake(block)
        try:
            _check_pin(self.getpeercert(binary_form=True), self.context, self.server_hostname)
        except BaseException:
            # ssl closes the socket only on OSError/ValueError; PinMismatch is neither, and
            # httpcore's own close would reach the already-detached plain socket.
            self.close()
            raise


class _PinnedObject(ssl.SSLObject):
    """The same check for memory-BIO TLS (TLS inside a proxy tunnel, async backends)."""

    def do_handshake(self) -> None:
        super().do_handshake()
        _check_pin(self.getpeercert(binary_form=True), self.context, self.server_hostname)


class _PinnedContext(ssl.SSLContext):
    pin: str
    sslsocket_class = _PinnedSocket
    sslobject_class = _PinnedObject


def pinned_context(fingerprint: str) -> ssl.SSLContext:
    """A client context that accepts exactly the certificate with this fingerprint.

    Chain and host name checks are off on purpose: the office CA is private and its
    address may be a bare IP. The pin is stronger than both, and the handshake itself
    proves the server holds the private key of the pinned certificate (the server signs
    the handshake with it), so a copied certificate alone does not pass.
    """
    context = _PinnedContext(ssl.PROTOCOL_TLS_CLIENT)
    context.pin = normalise_fingerprint(fingerprint)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _client_options(
    base_url: str, fingerprint: str | None, timeout: float | httpx.Timeout
) -> dict[str, Any]:
    """What both clients get: the base URL, the timeout, the pinned TLS context (https) or
    nothing (http to this computer); raises InsecureServer for anything else."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    # trust_env=False: proxy variables would route requests around this transport, and
    # SSL_CERT_FILE and friends must not widen what is trusted.
    options: dict[str, Any] = {"base_url": base_url, "timeout": timeout, "trust_env": False}
    if parts.scheme == "https" and host:
        if fingerprint is None:
            raise InsecureServer(
                f"There is no certificate fingerprint to check the office at {host} against, "
                "so the connection would not be safe. Connect this laptop to the office again "
                "with a new enrolment code."
            )
        return {**options, "verify": pinned_context(fingerprint)}
    if parts.scheme == "http" and host:
        if not is_loopback(host):
            raise InsecureServer(
                f"Plain http is only allowed to this computer itself, not to {host}; "
                "use the office's https:// address."
            )
        return options
    raise InsecureServer(f"'{base_url}' is not a server address like https://host:port.")


def pinned_client(
    base_url: str, fingerprint: str | None, timeout: float | httpx.Timeout
) -> httpx.Client:
    """An httpx client for the office at `base_url`.

    https: every connection must present the certificate with `fingerprint`, else the
    request raises `PinMismatch` before anything is sent. http: only to this computer
    (tests, a local office); anything else raises `InsecureServer`.
    """
    return httpx.Client(**_client_options(base_url, fingerprint, timeout))


def pinned_async_client(
    base_url: str, fingerprint: str | None, timeout: float | httpx.Timeout, **extra: Any
) -> httpx.AsyncClient:
    """The same, for the sync's network lane (asyncio): TLS runs over a memory BIO there,
    and `_PinnedObject` checks the pin at the end of that handshake."""
    return httpx.AsyncClient(**_client_options(base_url, fingerprint, timeout), **extra)


def fetch_fingerprint(host: str, port: int, timeout: float) -> str:
    """The fingerprint of the certificate the server at host:port shows, read on first contact.

    Sends nothing but the TLS handshake. The caller compares the result with the one the
    office printed before trusting it. Network and TLS failures raise `OSError`.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=host or None) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    if not der:
        raise ssl.SSLError(f"The server at {host}:{port} showed no certificate.")
    return certificate_fingerprint(der)
