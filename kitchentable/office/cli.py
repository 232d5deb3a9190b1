"""`kitchentable-office`: the office administrator's command line.

Owns the argument parser (the commands themselves live in `cli_setup`, `cli_work`,
`cli_audit` and `serve`) and turning every expected failure into one sentence on stderr with exit status 1.
Never prints a traceback, a token hash or key material.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from kitchentable.errors import KitchentableError
from kitchentable.office import cli_audit, cli_setup, cli_work, custody, keys, serve
from kitchentable.office.cli_common import OfficeCliError
from kitchentable.office.errors import OfficeError
from kitchentable.office.serve import cmd_serve

__all__ = ["CREDENTIAL", "OfficeCliError", "build_parser", "cmd_serve", "main"]

# The systemd credential the server's unit loads (packaging/office): the serve secret.
CREDENTIAL = custody.SERVE_SECRET_CREDENTIAL


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kitchentable-office", description="The Kitchentable office server."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--data", type=Path, required=True, help="the office data folder")
        return sub

    cli_setup.add_commands(command, commands)
    cli_work.add_commands(command)
    cli_audit.add_commands(command)
    serve.add_commands(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status = args.func(args)  # a command may return an exit status (log: 1 on findings)
    except keys.WrongOfficePassphrase:
        print("kitchentable-office: the office passphrase is not correct.", file=sys.stderr)
        return 1
    except (OfficeError, KitchentableError) as exc:
        print(f"kitchentable-office: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(
            f"kitchentable-office: {exc.strerror or 'the file cannot be used'} "
            f"({exc.filename or 'data folder'}).",
            file=sys.stderr,
        )
        return 1
    return int(status or 0)
