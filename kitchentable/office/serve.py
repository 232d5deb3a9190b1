"""`kitchentable-office serve`: the one process on the network, and what it may hold.

Owns starting the server: refusing the office passphrase (the serving process never holds
a key that opens a payload or signs for the office), opening the online CA with the serve
secret, the office's public keys, the store, TLS (or, behind a TLS-terminating proxy on the
same machine, the proxy's certificate fingerprint that enrolment proofs must name), the
limits against hostile clients (`limits`, `guard`: caps, read timeouts, a rate-limited
log, no server banner), and the hourly purge of what no one needs any more. Never reads the
office passphrase, `office-keys.json`'s private halves or the root CA key.
"""

from __future__ import annotations

import argparse
import asyncio.constants
import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from kitchentable.office import custody, keys, pki, tls
from kitchentable.office.app import ServerIdentity, create_app
from kitchentable.office.cli_common import OfficeCliError, fingerprint, open_store
from kitchentable.office.guard import guarded_protocol
from kitchentable.office.limits import Limits, RateLimitedLog
from kitchentable.office.store import Store
from kitchentable.sync.pinning import is_loopback, normalise_fingerprint

log = logging.getLogger(__name__)
Command = Callable[[str, str], argparse.ArgumentParser]
PURGE_EVERY = 3600.0  # seconds
LOOPBACK_PROXIES = "127.0.0.1,::1"


def server_identity(data: Path, serve_secret: Path | None, pinned: str | None) -> ServerIdentity:
    """What the server holds beyond public keys: the online CA (under the serve secret), the
    certificates above it, and the fingerprint laptops see."""
    if not pki.has_online_ca(data):
        log.warning(
            "this office has no online CA: laptops enrolling now keep self-issued seal "
            "certificates (kitchentable-office ca issue)"
        )
        return ServerIdentity(tls_fingerprint=pinned)
    found = custody.serve_secret(data, serve_secret)
    if found is None:
        raise OfficeCliError(
            "No serve secret: the service needs its credential 'serve-secret' (LoadCredential=), "
            f"or --serve-secret FILE. The online CA ({pki.ONLINE_KEY}) cannot be opened without it."
        )
    secret, where = found
    if where.parent.resolve() == data.resolve():
        log.warning(
            "the serve secret is read from the data folder; a copy of the folder then opens the "
            "online CA: move it into the service's credential"
        )
    return ServerIdentity(
        ca=pki.load_online_ca(data, secret),
        chain=pki.chain_above(data),
        tls_fingerprint=pinned,
        tsa=pki.load_tsa(data, secret) if pki.has_tsa(data) else None,
    )


def _pinned(args: argparse.Namespace) -> str | None:
    """The certificate fingerprint laptops see: ours, or the proxy's in front of us."""
    if args.proxy_fingerprint:
        if not args.insecure_http:
            raise OfficeCliError("--proxy-fingerprint goes with --insecure-http (behind a proxy).")
        try:
            return normalise_fingerprint(args.proxy_fingerprint)
        except ValueError as exc:
            raise OfficeCliError(
                "--proxy-fingerprint must be a SHA-256: 64 hexadecimal characters."
            ) from exc
    if args.insecure_http:
        log.warning(
            "plain HTTP without --proxy-fingerprint: enrolment proofs are bound to no "
            "certificate (for trying the server out on this machine only)"
        )
        return None
    return fingerprint(args.data)


def _purge_hourly(store: Store, stop: threading.Event) -> None:
    while not stop.wait(PURGE_EVERY):
        try:
            removed = store.purge(datetime.now(UTC))
        except Exception:  # the database may be away for a while; try again next hour
            log.warning("the hourly purge failed; trying again in an hour")
            continue
        if any(removed.values()):
            log.info("purged %s", removed)


def _logging() -> None:
    """One format; a repeated warning is said a few times a minute, then counted."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RateLimitedLog())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "asyncio"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True


def cmd_serve(args: argparse.Namespace) -> None:
    custody.refuse_office_passphrase()
    # Bearer tokens travel in every request: plain HTTP is allowed only where nothing can
    # listen in (loopback), and only when asked for explicitly.
    if args.insecure_http and not is_loopback(args.host):
        raise OfficeCliError(
            f"Plain HTTP is refused on {args.host}: only a loopback address "
            "(127.0.0.1, ::1) may serve without TLS."
        )
    cert, key = args.data / tls.TLS_CERT, args.data / tls.TLS_KEY
    if not args.insecure_http and not (cert.is_file() and key.is_file()):
        raise OfficeCliError(
            f"There is no TLS certificate in {args.data} ({tls.TLS_CERT}, {tls.TLS_KEY}); "
            "create the office with 'kitchentable-office init' or give your own there."
        )
    limits = replace(
        Limits(),
        max_connections=args.max_connections,
        max_connections_per_client=args.max_connections_per_client,
        max_requests=args.max_requests,
        header_timeout=args.header_timeout,
        body_timeout=args.body_timeout,
    )
    _logging()
    store = open_store(args.data)
    stop = threading.Event()
    try:
        identity = server_identity(args.data, args.serve_secret, _pinned(args))
        app = create_app(store, keys.load_public(args.data), identity=identity, limits=limits)
        threading.Thread(target=_purge_hourly, args=(store, stop), daemon=True).start()
        # A TLS handshake that never finishes holds a file handle: end it as a slow request.
        asyncio.constants.SSL_HANDSHAKE_TIMEOUT = limits.tls_handshake_timeout
        config = uvicorn.Config(
            app,
            host=args.host,
            port=args.port,
            loop="asyncio",
            http=guarded_protocol(limits),
            log_config=None,  # our handler above, with its rate limit
            access_log=False,
            server_header=False,
            timeout_keep_alive=5,
            # Behind the proxy on this machine, the client is the one it names.
            proxy_headers=bool(args.proxy_fingerprint),
            forwarded_allow_ips=LOOPBACK_PROXIES if args.proxy_fingerprint else None,
            ssl_certfile=None if args.insecure_http else str(cert),
            ssl_keyfile=None if args.insecure_http else str(key),
        )
        uvicorn.Server(config).run()
    finally:
        stop.set()
        store.close()


def add_commands(command: Command) -> None:
    serve = command("serve", "run the server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8443)
    serve.add_argument(
        "--insecure-http", action="store_true", help="plain HTTP, loopback addresses only"
    )
    serve.add_argument(
        "--proxy-fingerprint",
        metavar="SHA256",
        help="behind a TLS-terminating proxy on this machine: its certificate's fingerprint",
    )
    serve.add_argument(
        "--serve-secret",
        type=Path,
        metavar="FILE",
        help="the server's secret (default: the systemd credential 'serve-secret')",
    )
    defaults = Limits()
    serve.add_argument("--max-connections", type=int, default=defaults.max_connections)
    serve.add_argument(
        "--max-connections-per-client", type=int, default=defaults.max_connections_per_client
    )
    serve.add_argument("--max-requests", type=int, default=defaults.max_requests)
    serve.add_argument(
        "--header-timeout", type=float, default=defaults.header_timeout, metavar="SECONDS"
    )
    serve.add_argument(
        "--body-timeout", type=float, default=defaults.body_timeout, metavar="SECONDS"
    )
    serve.set_defaults(func=cmd_serve)
