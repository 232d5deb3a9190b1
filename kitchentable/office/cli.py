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
import ipaddress
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from kitchentable.errors import KitchentableError
from kitchentable.office import keys
from kitchentable.office.store import CODE_LIFETIME, DB_NAME, Store
from kitchentable.storage.crypto import b64
from kitchentable.storage.keys import check_passphrase_strength

PASSPHRASE_ENV = "KITCHENTABLE_OFFICE_PASSPHRASE"  # noqa: S105 - a variable name, not a secret


class OfficeCliError(Exception):
    """A failure the administrator can act on; the message is the whole output."""


def _passphrase(confirm: bool) -> str:
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    if not sys.stdin.isatty():
        raise OfficeCliError(f"No office passphrase: set {PASSPHRASE_ENV} or run in a terminal.")
    first = getpass.getpass("Office passphrase: ")
    if confirm and getpass.getpass("Type it again: ") != first:
        raise OfficeCliError("The two passphrases differ. Nothing was changed.")
    return first


def _open_store(data: Path) -> Store:
    if not (data / keys.KEYS_NAME).is_file() or not (data / DB_NAME).is_file():
        raise OfficeCliError(
            f"There is no office in {data}. Create one with 'kitchentable-office init --data {data}'."
        )
    return Store.open(data)


def cmd_init(args: argparse.Namespace) -> None:
    data: Path = args.data
    if (data / keys.KEYS_NAME).exists() or (data / DB_NAME).exists():
        raise OfficeCliError(f"An office already exists in {data}. Nothing was changed.")
    passphrase = _passphrase(confirm=True)
    check_passphrase_strength(passphrase)
    data.mkdir(parents=True, exist_ok=True)
    public = keys.create(data, passphrase)
    Store.open(data).close()
    print(f"Office created in {data}.")
    print(f"Office X25519 key: {b64(public.box_public)}")
    print(f"Office Ed25519 key: {b64(public.sign_public)}")


def cmd_enrol(args: argparse.Namespace) -> None:
    store = _open_store(args.data)
    try:
        code = store.create_code(args.consultant, datetime.now(UTC))
    finally:
        store.close()
    hours = int(CODE_LIFETIME.total_seconds() // 3600)
    print(f"One-time enrolment code for {args.consultant} (valid {hours} hours, once):")
    print(code)


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


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cmd_serve(args: argparse.Namespace) -> None:
    # Bearer tokens travel in every request: plain HTTP is allowed only where nothing can
    # listen in (loopback), and only when asked for explicitly.
    if not args.insecure_http:
        raise OfficeCliError(
            "HTTPS is not available yet in this version; for a local test run use "
            "--insecure-http with --host 127.0.0.1."
        )
    if not is_loopback(args.host):
        raise OfficeCliError(
            f"Plain HTTP is refused on {args.host}: only a loopback address "
            "(127.0.0.1, ::1) may serve without TLS."
        )
    import uvicorn

    from kitchentable.office.app import create_app

    store = _open_store(args.data)
    app = create_app(store, keys.load_public(args.data))
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="info", access_log=False)
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

    command("init", "create the office store and key pairs").set_defaults(func=cmd_init)
    enrol = command("enrol", "print a one-time enrolment code for a consultant")
    enrol.add_argument("consultant")
    enrol.set_defaults(func=cmd_enrol)
    devices = command("devices", "list enrolled devices, or revoke one")
    devices.add_argument("--revoke", metavar="DEVICE_ID")
    devices.set_defaults(func=cmd_devices)
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
