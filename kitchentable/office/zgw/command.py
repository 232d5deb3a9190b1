"""`kitchentable-office deliver --zgw CONFIG`: the administrator's side of the ZGW delivery.

Owns the command's arguments and what it prints: one round (default), a round every N
minutes (--every), the quarantine with the case system's messages (--list), releasing
quarantined plans for the next round (--release), and a check of the settings against the
catalogue (--check). The office CLI opens the store and asks for the office passphrase (the
plans must be opened); this module never reads a passphrase or a secret from the command
line. Every expected failure is a `DeliveryFailed` with one sentence.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from kitchentable.office.keys import OfficePrivateKeys, OfficePublicKeys
from kitchentable.office.store import Store
from kitchentable.office.zgw import config as zgw_config
from kitchentable.office.zgw.client import Transient, Unusable, ZgwClient
from kitchentable.office.zgw.run import DeliveryBusy, Round, RoundReport


class DeliveryFailed(Exception):
    """Nothing (more) could be delivered; the message is the whole output."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--zgw", type=Path, required=True, metavar="CONFIG", help="the ZGW settings (TOML)"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--every", type=int, metavar="MINUTES", help="keep running: a round every MINUTES"
    )
    mode.add_argument(
        "--list", action="store_true", help="show quarantined plans and the case system's reason"
    )
    mode.add_argument(
        "--release",
        metavar="CHANGE_ID",
        help="try a quarantined plan again at the next round ('all': every one)",
    )
    mode.add_argument(
        "--check", action="store_true", help="look up the catalogue types; deliver nothing"
    )


def deliver(
    args: argparse.Namespace,
    store: Store,
    public: OfficePublicKeys,
    unlock: Callable[[], OfficePrivateKeys],
) -> None:
    try:
        settings = zgw_config.load(args.zgw)
    except zgw_config.ConfigProblem as exc:
        raise DeliveryFailed(str(exc)) from exc
    if args.every is not None and not 1 <= args.every <= 1440:
        raise DeliveryFailed("--every must be 1 to 1440 minutes.")
    private = unlock()
    client = ZgwClient(settings.client_id, settings.secret, settings.timeout_seconds)
    deliveries = Round(store, private, public, settings, client)
    try:
        if args.list:
            _list(deliveries)
        elif args.release:
            _release(deliveries, args.release)
        elif args.check:
            _check(deliveries)
        elif args.every is not None:
            _every(deliveries, args.every)
        else:
            report = _round(deliveries, loop=False)
            if report.stopped:
                raise DeliveryFailed(report.stopped)
    finally:
        client.close()


def _every(deliveries: Round, minutes: int) -> None:
    """A round, then wait; until stopped. A case system that is down only delays."""
    while True:
        try:
            _round(deliveries, loop=True)
        except DeliveryBusy as exc:  # a round started by hand: skip this turn
            print(f"Another delivery round is running (since {exc}).", file=sys.stderr)
        sys.stdout.flush()  # the journal shows each round as it ends, not at the next
        sys.stderr.flush()
        time.sleep(minutes * 60)


def _release(deliveries: Round, which: str) -> None:
    count = deliveries.release(None if which == "all" else which)
    if not count:
        raise DeliveryFailed(f"No quarantined plan {which}. Nothing was changed.")
    print(f"{count} plan(s) will be tried again at the next round.")


def _round(deliveries: Round, loop: bool) -> RoundReport:
    """One round, printed. Busy (another round runs) is the caller's to judge."""
    try:
        report = deliveries.run()
    except DeliveryBusy as exc:
        if loop:
            raise
        raise DeliveryFailed(
            f"Another delivery round is running (since {exc}); this one delivers nothing."
        ) from exc
    except Unusable as exc:
        raise DeliveryFailed(str(exc)) from exc
    _print(report, loop)
    return report


def _print(report: RoundReport, loop: bool) -> None:
    stamp = f"{datetime.now(UTC).isoformat(timespec='seconds')} " if loop else ""
    print(
        f"{stamp}Delivered {len(report.delivered)} plan(s) to the case system "
        f"({report.requests} requests, {report.retries} retried); "
        f"{report.earlier} delivered or quarantined before."
    )
    for reference in report.delivered:
        print(f"  delivered: {reference}")
    if report.quarantined:
        print(
            f"{len(report.quarantined)} plan(s) refused by the case system and quarantined: "
            f"{', '.join(report.quarantined)} (see --list).",
            file=sys.stderr,
        )
    waiting = report.waiting
    if waiting.no_case or waiting.unreadable:
        print(
            f"{waiting.no_case + waiting.unreadable} plan(s) wait: {waiting.no_case} without "
            f"their case's data yet, {waiting.unreadable} that do not open.",
            file=sys.stderr,
        )
    if report.stopped and loop:
        print(f"{stamp}{report.stopped}", file=sys.stderr)


def _list(deliveries: Round) -> None:
    listed = deliveries.quarantined()
    if not listed:
        print("No plan is quarantined.")
    for item, message in listed:
        print(f"{item.change_id}  {item.reference}  {item.at}  step {item.step}")
        print(f"    {message}")


def _check(deliveries: Round) -> None:
    try:
        types = deliveries.types()
    except (Unusable, Transient) as exc:
        raise DeliveryFailed(str(exc)) from exc
    for name, url in vars(types).items():
        print(f"{name}: {url or '(not used)'}")
    print("The settings name catalogue types the case system knows.")
