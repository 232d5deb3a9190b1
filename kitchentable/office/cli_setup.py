"""The administrator's commands that set the office up: `init`, `ca issue`, `enrol`,
`devices` and `admin add`.

Owns creating an office (store, the office key pairs under the office passphrase, the
offline root, the online CA and time-stamping key under the serve secret, the TLS
certificate), renewing those two from the root, enrolment codes, listing and revoking devices, and admin page
accounts. Prints one line per fact an administrator needs; the one-time code is printed
once, on purpose. Never prints a secret or a key.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import socket
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from kitchentable.office import custody, keys, pki
from kitchentable.office.admin.accounts import cmd_admin_add as add_admin
from kitchentable.office.cli_common import OfficeCliError, fingerprint, open_store, unlock
from kitchentable.office.errors import OfficeDatabaseError
from kitchentable.office.store import CODE_LIFETIME, CONFIG_NAME, DB_NAME, Store
from kitchentable.storage.crypto import b64, check_passphrase_strength

ADMIN_PASSWORD_ENV = "KITCHENTABLE_ADMIN_PASSWORD"  # noqa: S105 - a variable name
Command = Callable[[str, str], argparse.ArgumentParser]


def cmd_init(args: argparse.Namespace) -> None:
    data: Path = args.data
    if (data / keys.KEYS_NAME).exists() or (data / DB_NAME).exists():
        raise OfficeCliError(f"An office already exists in {data}. Nothing was changed.")
    if args.database and not args.database.startswith(("postgresql://", "postgres://")):
        raise OfficeCliError("--database takes a PostgreSQL URL: postgresql://user@host/dbname.")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise OfficeCliError("Give both --tls-cert and --tls-key, or neither.")
    passphrase = custody.office_passphrase(confirm=True)
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
    root = pki.create_ca(data, private.ca_password, args.organisation)
    secret, secret_path, made = custody.serve_secret_for_init(data, args.serve_secret)
    online = pki.create_online_ca(data, root, secret)
    pki.create_tsa(data, root, secret)
    if args.tls_cert:
        pki.use_given_tls(data, args.tls_cert, args.tls_key)
    else:
        hosts = args.host or ["localhost", "127.0.0.1", socket.gethostname()]
        pki.create_tls(data, hosts, online, above=(root.certificate,))
    print(f"Office created in {data} ({'PostgreSQL' if args.database else 'embedded SQLite'}).")
    print(f"Office X25519 key: {b64(public.box_public)}")
    print(f"Office Ed25519 key: {b64(public.sign_public)}")
    print(f"Server certificate fingerprint (SHA-256): {fingerprint(data)}")
    print(f"Serve secret ({'new' if made else 'given'}): {secret_path}")
    if secret_path.parent.resolve() == data.resolve():
        print(
            "Move the serve secret out of the data folder into the service's credential "
            "(packaging/office/README.md, section 3)."
        )
    print(
        f"The root CA key ({pki.CA_KEY}) is needed again only by 'kitchentable-office ca issue'; "
        "it may be kept off the server."
    )


def cmd_ca_issue(args: argparse.Namespace) -> None:
    """A new online CA and time-stamping key from the root (its key opened with the office
    passphrase), encrypted under the serve secret: when they end, or may have been copied."""
    data: Path = args.data
    open_store(data).close()  # says so when there is no office here
    found = custody.serve_secret(data, args.serve_secret)
    if found is None:
        raise OfficeCliError(
            "No serve secret: give --serve-secret FILE (the file the service's credential "
            "'serve-secret' is loaded from)."
        )
    root = pki.load_ca(data, unlock(data).ca_password, key_path=args.root_key)
    online = pki.create_online_ca(data, root, found[0], replace=True)
    pki.create_tsa(data, root, found[0], replace=True)
    until = online.certificate.not_valid_after_utc
    print(
        "A new online CA and time-stamping key are issued by the office root, valid until "
        f"{until:%Y-%m-%d}."
    )
    print("Restart the server (systemctl restart kitchentable-office) to use it.")


def cmd_enrol(args: argparse.Namespace) -> None:
    store = open_store(args.data)
    try:
        code = store.create_code(args.consultant, datetime.now(UTC))
    finally:
        store.close()
    hours = int(CODE_LIFETIME.total_seconds() // 3600)
    print(f"One-time enrolment code for {args.consultant} (valid {hours} hours, once):")
    print(code)
    pinned = fingerprint(args.data)
    if pinned:
        print(f"Server certificate fingerprint (give it with the code): {pinned}")


def cmd_devices(args: argparse.Namespace) -> None:
    store = open_store(args.data)
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


def cmd_admin_add(args: argparse.Namespace) -> None:
    password = os.environ.get(ADMIN_PASSWORD_ENV)
    if not password:
        if not sys.stdin.isatty():
            raise OfficeCliError(f"No password: set {ADMIN_PASSWORD_ENV} or run in a terminal.")
        password = getpass.getpass(f"Password for {args.username}: ")
        if getpass.getpass("Type it again: ") != password:
            raise OfficeCliError("The two passwords differ. Nothing was changed.")
    store = open_store(args.data)
    try:
        print(add_admin(store, args.username, password, datetime.now(UTC)))
    finally:
        store.close()


def add_commands(
    command: Command, commands: argparse._SubParsersAction[argparse.ArgumentParser]
) -> None:
    init = command("init", "create the office: store, key pairs, CAs and TLS certificate")
    init.add_argument("--database", metavar="URL", help="PostgreSQL URL (default: embedded SQLite)")
    init.add_argument("--organisation", default="Gemeente", help="name in the certificates")
    init.add_argument(
        "--host", action="append", help="a name or address laptops use for the server (repeat)"
    )
    init.add_argument("--tls-cert", type=Path, help="your own server certificate (PEM)")
    init.add_argument("--tls-key", type=Path, help="its private key (PEM, not encrypted)")
    init.add_argument(
        "--serve-secret",
        type=Path,
        metavar="FILE",
        help="the server's secret (made there when missing; default: serve-secret in --data)",
    )
    init.set_defaults(func=cmd_init)
    ca = commands.add_parser("ca", help="the office's certificate authorities")
    ca_commands = ca.add_subparsers(dest="ca_command", required=True)
    issue = ca_commands.add_parser("issue", help="a new online CA from the root")
    issue.add_argument("--data", type=Path, required=True, help="the office data folder")
    issue.add_argument("--root-key", type=Path, help="the root key, when kept off the server")
    issue.add_argument("--serve-secret", type=Path, metavar="FILE", help="the server's secret")
    issue.set_defaults(func=cmd_ca_issue)
    enrol = command("enrol", "print a one-time enrolment code for a consultant")
    enrol.add_argument("consultant")
    enrol.set_defaults(func=cmd_enrol)
    devices = command("devices", "list enrolled devices, or revoke one")
    devices.add_argument("--revoke", metavar="DEVICE_ID")
    devices.set_defaults(func=cmd_devices)
    admin = commands.add_parser("admin", help="accounts for the admin web page")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    admin_add = admin_commands.add_parser("add", help="create an admin account")
    admin_add.add_argument("--data", type=Path, required=True, help="the office data folder")
    admin_add.add_argument("username")
    admin_add.set_defaults(func=cmd_admin_add)
