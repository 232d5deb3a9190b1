"""`kitchentable-office`: the office administrator's command line.

Owns argument parsing, where the office passphrase comes from (KITCHENTABLE_OFFICE_PASSPHRASE,
else a prompt), and turning every expected failure into one sentence on stderr with exit
status 1. Commands call the store, the keys module and the app; none writes SQL. Never
prints a traceback, a token hash or key material; the one-time code is printed once, on
purpose, for the administrator to pass on.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import socket
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from kitchentable.errors import KitchentableError
from kitchentable.office import keys, pki, publish
from kitchentable.office.backends import OfficeDatabaseError
from kitchentable.office.store import CODE_LIFETIME, CONFIG_NAME, DB_NAME, Store
from kitchentable.office.zgw import command as zgw_command
from kitchentable.storage.crypto import b64
from kitchentable.storage.keys import check_passphrase_strength
from kitchentable.sync.pinning import is_loopback

PASSPHRASE_ENV = "KITCHENTABLE_OFFICE_PASSPHRASE"  # noqa: S105 - a variable name, not a secret


class OfficeCliError(Exception):
    """A failure the administrator can act on; the message is the whole output."""


CREDENTIAL = "office-passphrase"  # systemd LoadCredential= name (packaging/office)


def _passphrase(confirm: bool) -> str:
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    # systemd hands secrets to a service as files in $CREDENTIALS_DIRECTORY (LoadCredential=),
    # readable only by the service: better than a variable every child process inherits.
    for path in (
        os.environ.get(PASSPHRASE_ENV + "_FILE"),
        os.environ.get("CREDENTIALS_DIRECTORY")
        and f"{os.environ['CREDENTIALS_DIRECTORY']}/{CREDENTIAL}",
    ):
        if path and Path(path).is_file():
            return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    if not sys.stdin.isatty():
        raise OfficeCliError(
            f"No office passphrase: set {PASSPHRASE_ENV} (or {PASSPHRASE_ENV}_FILE, or a systemd "
            f"credential '{CREDENTIAL}'), or run in a terminal."
        )
    first = getpass.getpass("Office passphrase: ")
    if confirm and getpass.getpass("Type it again: ") != first:
        raise OfficeCliError("The two passphrases differ. Nothing was changed.")
    return first


def _open_store(data: Path) -> Store:
    if not (data / keys.KEYS_NAME).is_file():
        raise OfficeCliError(
            f"There is no office in {data}. Create one with 'kitchentable-office init --data {data}'."
        )
    try:
        return Store.open(data)
    except OfficeDatabaseError as exc:
        raise OfficeCliError(str(exc)) from exc


def _fingerprint(data: Path) -> str | None:
    path = data / pki.TLS_CERT
    return pki.tls_fingerprint(path.read_bytes()) if path.is_file() else None


def cmd_init(args: argparse.Namespace) -> None:
    data: Path = args.data
    if (data / keys.KEYS_NAME).exists() or (data / DB_NAME).exists():
        raise OfficeCliError(f"An office already exists in {data}. Nothing was changed.")
    if args.database and not args.database.startswith(("postgresql://", "postgres://")):
        raise OfficeCliError("--database takes a PostgreSQL URL: postgresql://user@host/dbname.")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise OfficeCliError("Give both --tls-cert and --tls-key, or neither.")
    passphrase = _passphrase(confirm=True)
    check_passphrase_strength(passphrase)
    data.mkdir(parents=True, exist_ok=True)
    data.chmod(0o700)
    if args.database:
        fd = os.open(data / CONFIG_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"database": args.database}, handle, indent=2)
    try:
        Store.open(data).close()
    except OfficeDatabaseError as exc:
        (data / CONFIG_NAME).unlink(missing_ok=True)
        raise OfficeCliError(str(exc)) from exc
    public = keys.create(data, passphrase)
    private = keys.unlock(data, passphrase)
    ca = pki.create_ca(data, private.ca_password, args.organisation)
    if args.tls_cert:
        pki.use_given_tls(data, args.tls_cert, args.tls_key)
    else:
        hosts = args.host or ["localhost", "127.0.0.1", socket.gethostname()]
        pki.create_tls(data, hosts, ca)
    print(f"Office created in {data} ({'PostgreSQL' if args.database else 'embedded SQLite'}).")
    print(f"Office X25519 key: {b64(public.box_public)}")
    print(f"Office Ed25519 key: {b64(public.sign_public)}")
    print(f"Server certificate fingerprint (SHA-256): {_fingerprint(data)}")


def cmd_enrol(args: argparse.Namespace) -> None:
    store = _open_store(args.data)
    try:
        code = store.create_code(args.consultant, datetime.now(UTC))
    finally:
        store.close()
    hours = int(CODE_LIFETIME.total_seconds() // 3600)
    print(f"One-time enrolment code for {args.consultant} (valid {hours} hours, once):")
    print(code)
    fingerprint = _fingerprint(args.data)
    if fingerprint:
        print(f"Server certificate fingerprint (give it with the code): {fingerprint}")


def cmd_devices(args: argparse.Namespace) -> None:
    store = _open_store(args.data)
    try:
        if args.revoke:
            if not store.revoke(args.revoke, datetime.now(UTC)):
                raise OfficeCliError(f"There is no device {args.revoke}. Nothing was changed.")
            print(f"Device {args.revoke} is revoked; it will wipe its vault at its next contact.")
            return
        devices = store.devices()
    finally:
        store.close()
    if not devices:
        print("No devices are enrolled yet.")
    for device in devices:
        state = f"revoked {device.revoked_at}" if device.revoked_at else "active"
        print(f"{device.id}  {device.consultant}  {device.label}  {device.enrolled_at}  {state}")


def _unlock(data: Path) -> keys.OfficePrivateKeys:
    return keys.unlock(data, _passphrase(confirm=False))


def _refused(exc: publish.PublishRefused, what: str) -> OfficeCliError:
    lines = "\n".join(f"  - {p}" for p in exc.problems)
    return OfficeCliError(f"Nothing was {what}: {len(exc.problems)} problem(s).\n{lines}")


def cmd_assign(args: argparse.Namespace) -> None:
    store = _open_store(args.data)
    try:
        cases = publish.read_assignments(args.file)
        if args.consultant:
            for case in cases:
                case["consultant"] = case.get("consultant") or args.consultant
        private = _unlock(args.data)
        done = publish.assign(
            store, args.data, keys.load_public(args.data), private, cases, datetime.now(UTC)
        )
    except publish.PublishRefused as exc:
        raise _refused(exc, "assigned") from exc
    finally:
        store.close()
    for item in done:
        print(f"{item.reference} → {item.consultant} ({item.devices} laptop(s))  {item.case_id}")
    print(f"{len(done)} case(s) assigned; they arrive at the next synchronisation.")


def cmd_catalogue(args: argparse.Namespace) -> None:
    store = _open_store(args.data)
    try:
        entries = publish.read_catalogue(args.file)
        sha = publish.publish_catalogue(store, _unlock(args.data), entries, datetime.now(UTC))
    except publish.PublishRefused as exc:
        raise _refused(exc, "published") from exc
    finally:
        store.close()
    print(f"Catalogue with {len(entries)} entries published ({sha[:12]}).")


def cmd_form(args: argparse.Namespace) -> None:
    store = _open_store(args.data)
    try:
        form_id, version, sha = publish.publish_form(
            store, args.data, _unlock(args.data), args.file, datetime.now(UTC)
        )
    except publish.PublishRefused as exc:
        raise _refused(exc, "published") from exc
    finally:
        store.close()
    print(f"Form {form_id} {version} published ({sha[:12]}).")


def cmd_policy(args: argparse.Namespace) -> None:
    policy = {
        key: value
        for key, value in (
            ("auto_lock_minutes", args.auto_lock_minutes),
            ("retention_days", args.retention_days),
            ("offline_days", args.offline_days),
        )
        if value is not None
    }
    if not policy:
        raise OfficeCliError(
            "Name at least one of --auto-lock-minutes, --retention-days, --offline-days."
        )
    limits = {"auto_lock_minutes": (1, 240), "retention_days": (0, 3650), "offline_days": (1, 365)}
    for key, value in policy.items():
        low, high = limits[key]
        if not low <= value <= high:
            raise OfficeCliError(f"--{key.replace('_', '-')} must be {low} to {high}.")
    store = _open_store(args.data)
    try:
        publish.publish_policy(store, _unlock(args.data), policy, datetime.now(UTC))
    finally:
        store.close()
    print("Policy published: " + ", ".join(f"{k} = {v}" for k, v in policy.items()) + ".")


def cmd_export(args: argparse.Namespace) -> None:
    store = _open_store(args.data)
    try:
        counts = publish.export(store, _unlock(args.data), args.out)
    finally:
        store.close()
    print(
        f"Exported {counts['cases']} case version(s) and {counts['plans']} plan(s) to {args.out} "
        f"({counts['conflicts']} conflict(s), {counts['unreadable']} unreadable)."
    )
    print("These files are NOT encrypted: keep them on the municipality's protected storage.")


def cmd_deliver(args: argparse.Namespace) -> None:
    store = _open_store(args.data)
    try:
        zgw_command.deliver(args, store, keys.load_public(args.data), lambda: _unlock(args.data))
    except zgw_command.DeliveryFailed as exc:
        raise OfficeCliError(str(exc)) from exc
    finally:
        store.close()


ADMIN_PASSWORD_ENV = "KITCHENTABLE_ADMIN_PASSWORD"  # noqa: S105 - a variable name


def cmd_admin_add(args: argparse.Namespace) -> None:
    from kitchentable.office.admin.accounts import AccountError, cmd_admin_add

    password = os.environ.get(ADMIN_PASSWORD_ENV)
    if not password:
        if not sys.stdin.isatty():
            raise OfficeCliError(f"No password: set {ADMIN_PASSWORD_ENV} or run in a terminal.")
        password = getpass.getpass(f"Password for {args.username}: ")
        if getpass.getpass("Type it again: ") != password:
            raise OfficeCliError("The two passwords differ. Nothing was changed.")
    store = _open_store(args.data)
    try:
        print(cmd_admin_add(store, args.username, password, datetime.now(UTC)))
    except AccountError as exc:
        raise OfficeCliError(exc.message) from exc
    finally:
        store.close()


def cmd_serve(args: argparse.Namespace) -> None:
    # Bearer tokens travel in every request: plain HTTP is allowed only where nothing can
    # listen in (loopback), and only when asked for explicitly.
    if args.insecure_http and not is_loopback(args.host):
        raise OfficeCliError(
            f"Plain HTTP is refused on {args.host}: only a loopback address "
            "(127.0.0.1, ::1) may serve without TLS."
        )
    cert, key = args.data / pki.TLS_CERT, args.data / pki.TLS_KEY
    if not args.insecure_http and not (cert.is_file() and key.is_file()):
        raise OfficeCliError(
            f"There is no TLS certificate in {args.data} ({pki.TLS_CERT}, {pki.TLS_KEY}); "
            "create the office with 'kitchentable-office init' or give your own there."
        )
    import uvicorn

    from kitchentable.office.app import ServerIdentity, create_app

    private = _unlock(args.data)  # the CA certifies the seal keys of enrolling laptops
    identity = ServerIdentity(
        ca=pki.load_ca(args.data, private.ca_password),
        tls_fingerprint=None if args.insecure_http else _fingerprint(args.data),
    )
    store = _open_store(args.data)
    app = create_app(store, keys.load_public(args.data), identity=identity)
    tls: dict[str, str] = {}
    if not args.insecure_http:
        tls = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    try:
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_level="info",
            access_log=False,
            proxy_headers=False,
            **tls,  # type: ignore[arg-type]
        )
    finally:
        store.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kitchentable-office", description="The Kitchentable office server."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--data", type=Path, required=True, help="the office data folder")
        return sub

    init = command("init", "create the office: store, key pairs, CA and TLS certificate")
    init.add_argument("--database", metavar="URL", help="PostgreSQL URL (default: embedded SQLite)")
    init.add_argument("--organisation", default="Gemeente", help="name in the certificates")
    init.add_argument(
        "--host", action="append", help="a name or address laptops use for the server (repeat)"
    )
    init.add_argument("--tls-cert", type=Path, help="your own server certificate (PEM)")
    init.add_argument("--tls-key", type=Path, help="its private key (PEM, not encrypted)")
    init.set_defaults(func=cmd_init)
    enrol = command("enrol", "print a one-time enrolment code for a consultant")
    enrol.add_argument("consultant")
    enrol.set_defaults(func=cmd_enrol)
    devices = command("devices", "list enrolled devices, or revoke one")
    devices.add_argument("--revoke", metavar="DEVICE_ID")
    devices.set_defaults(func=cmd_devices)
    assign = command("assign", "assign new cases (JSON or CSV) to consultants")
    assign.add_argument("file", type=Path)
    assign.add_argument("--consultant", help="for every case in the file without its own")
    assign.set_defaults(func=cmd_assign)
    catalogue = command("catalogue", "publish the catalogue of local facilities and providers")
    catalogue.add_argument("file", type=Path)
    catalogue.set_defaults(func=cmd_catalogue)
    form = command("form", "publish a conversation form to every laptop")
    form.add_argument("file", type=Path)
    form.set_defaults(func=cmd_form)
    policy = command("policy", "set the laptops' policy")
    policy.add_argument("--auto-lock-minutes", type=int)
    policy.add_argument("--retention-days", type=int)
    policy.add_argument("--offline-days", type=int)
    policy.set_defaults(func=cmd_policy)
    export = command("export", "open received work into a folder (JSON, PDF, CSV)")
    export.add_argument("--out", type=Path, required=True)
    export.set_defaults(func=cmd_export)
    deliver = command("deliver", "deliver received signed plans into the case system (ZGW)")
    zgw_command.add_arguments(deliver)
    deliver.set_defaults(func=cmd_deliver)
    admin = commands.add_parser("admin", help="accounts for the admin web page")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    admin_add = admin_commands.add_parser("add", help="create an admin account")
    admin_add.add_argument("--data", type=Path, required=True, help="the office data folder")
    admin_add.add_argument("username")
    admin_add.set_defaults(func=cmd_admin_add)
    serve = command("serve", "run the server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8443)
    serve.add_argument(
        "--insecure-http", action="store_true", help="plain HTTP, loopback addresses only"
    )
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (OfficeCliError, KitchentableError) as exc:
        print(f"kitchentable-office: {exc}", file=sys.stderr)
        return 1
    except pki.PkiRefused as exc:
        print(f"kitchentable-office: {exc}", file=sys.stderr)
        return 1
    except keys.WrongOfficePassphrase:
        print("kitchentable-office: the office passphrase is not correct.", file=sys.stderr)
        return 1
    except OSError as exc:
        print(
            f"kitchentable-office: {exc.strerror or 'the file cannot be used'} "
            f"({exc.filename or 'data folder'}).",
            file=sys.stderr,
        )
        return 1
    return 0
