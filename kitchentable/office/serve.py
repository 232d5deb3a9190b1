"""`kitchentable-office serve`: the one process on the network, and what it may hold.

Owns starting the server: refusing the office passphrase (the serving process never holds
a key that opens a payload or signs for the office), opening the online CA with the serve
secret, the office's public keys, the store, TLS, and the HTTP server itself. Never reads
the office passphrase, `office-keys.json`'s private halves or the root CA key.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from pathlib import Path

import uvicorn

from kitchentable.office import custody, keys, pki, tls
from kitchentable.office.app import ServerIdentity, create_app
from kitchentable.office.cli_common import OfficeCliError, fingerprint, open_store
from kitchentable.sync.pinning import is_loopback

log = logging.getLogger(__name__)
Command = Callable[[str, str], argparse.ArgumentParser]


def server_identity(data: Path, serve_secret: Path | None, insecure_http: bool) -> ServerIdentity:
    """What the server holds beyond public keys: the online CA (under the serve secret), the
    certificates above it, and its own TLS fingerprint."""
    pinned = None if insecure_http else fingerprint(data)
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
    )


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
    store = open_store(args.data)
    try:
        identity = server_identity(args.data, args.serve_secret, args.insecure_http)
        app = create_app(store, keys.load_public(args.data), identity=identity)
        options: dict[str, str] = {}
        if not args.insecure_http:
            options = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_level="info",
            access_log=False,
            proxy_headers=False,
            **options,  # type: ignore[arg-type]
        )
    finally:
        store.close()


def add_commands(command: Command) -> None:
    serve = command("serve", "run the server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8443)
    serve.add_argument(
        "--insecure-http", action="store_true", help="plain HTTP, loopback addresses only"
    )
    serve.add_argument(
        "--serve-secret",
        type=Path,
        metavar="FILE",
        help="the server's secret (default: the systemd credential 'serve-secret')",
    )
    serve.set_defaults(func=cmd_serve)
