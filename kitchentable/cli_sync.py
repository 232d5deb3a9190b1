"""The sync commands of the `kitchentable` command line: connect to the office, synchronise,
the conflicts and the sociale kaart it sent.

Owns `kitchentable enrol`, `sync` (and `sync --status`), `conflicts` (list, or keep one
version) and `catalogue`, each a sentence or a JSON listing. Reaches sync only through
`services.sync`, whose blocking forms give a sync's database steps a thread of their own;
registered by kitchentable.cli. Never imports Qt.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from kitchentable.cli_common import open_profile, print_json
from kitchentable.i18n import _

Add = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]


def cmd_enrol(args: argparse.Namespace) -> int:
    import socket

    from kitchentable.services import sync

    with open_profile(args) as profile:
        enrolment = sync.enrol(
            profile, args.server, args.code, args.label or socket.gethostname(), args.fingerprint
        )
    print(
        _("This laptop is connected to the office at {server} for {consultant}.").format(
            server=enrolment.server, consultant=enrolment.consultant
        )
    )
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from kitchentable.services import sync

    with open_profile(args) as profile:
        if args.status:
            status = sync.sync_status(profile)
            if not status.enrolled:
                print(_("Not connected to the office."))
                return 0
            print(
                _(
                    "Office {server}: {waiting} waiting, {conflicts} conflict(s), "
                    "{quarantined} held back; last synchronised {last}."
                ).format(
                    server=status.server,
                    waiting=status.waiting,
                    conflicts=status.conflicts,
                    quarantined=status.quarantined,
                    last=status.last_sync_at or _("never"),
                )
            )
            return 0
        report = sync.synchronise(profile)
    print(
        _(
            "Synchronised: {sent} sent ({accepted} accepted, {conflicts} conflict(s), "
            "{held} held back, {retry} to retry), {pulled} received ({assigned} new case(s))."
        ).format(
            sent=report.pushed,
            accepted=report.accepted,
            conflicts=report.conflicts,
            held=report.quarantined,
            retry=report.retry_later,
            pulled=report.pulled,
            assigned=report.assignments,
        )
    )
    for problem in report.problems:
        print(f"  - {problem}")
    return 0


def cmd_conflicts(args: argparse.Namespace) -> int:
    from kitchentable.services import sync

    with open_profile(args) as profile:
        if args.keep:
            if args.keep[1] not in ("mine", "theirs"):
                raise SystemExit(_("Say which version to keep: mine or theirs."))
            sync.resolve(profile, args.keep[0], args.keep[1])
            print(_("Conflict resolved; the chosen version goes to the office at the next sync."))
            return 0
        conflicts = sync.conflict_list(profile)
        if args.json:
            print_json(conflicts)
            return 0
        if not conflicts:
            print(_("No conflicts."))
        for conflict in conflicts:
            case = profile.case(conflict["case_id"])
            print(
                _("{id}  case {case}: this laptop's version and one from {other}").format(
                    id=conflict["id"],
                    case=case.external_id,
                    other=conflict.get("theirs_from") or _("another device (not yet received)"),
                )
            )
    return 0


def cmd_catalogue(args: argparse.Namespace) -> int:
    from kitchentable.catalogue import KINDS, find
    from kitchentable.services import sync

    with open_profile(args) as profile:
        catalogue = sync.catalogue(profile)
    if catalogue is None:
        print(_("There is no sociale kaart on this laptop yet; synchronise to fetch it."))
        return 0
    entries = find(catalogue.get("entries", []), args.search or "")
    if args.json:
        print_json(entries)
        return 0
    for entry in entries:
        extra = " · ".join(str(entry[k]) for k in ("phone", "website", "area") if entry.get(k))
        print(f"{_(KINDS.get(entry['kind'], entry['kind']))}  {entry['product']}: {entry['name']}")
        if extra:
            print(f"    {extra}")
    print(_("{n} of {total} entries.").format(n=len(entries), total=len(catalogue["entries"])))
    return 0


def commands(add: Add) -> None:
    """Register the sync commands with the main parser."""
    p = add("enrol", cmd_enrol, _("connect this laptop to the office with a one-time code"))
    p.add_argument("--server", required=True, metavar="URL")
    p.add_argument("--code", required=True)
    p.add_argument("--label", help=_("a name for this laptop (default: its host name)"))
    p.add_argument(
        "--fingerprint", help=_("the server certificate's SHA-256 as the office printed it")
    )
    p = add("sync", cmd_sync, _("send finished work to the office and fetch new cases"))
    p.add_argument("--status", action="store_true", help=_("only show the sync status"))
    p = add("catalogue", cmd_catalogue, _("the sociale kaart the office sent (local services)"))
    p.add_argument("--search", metavar="TEXT")
    p.add_argument("--json", action="store_true")
    p = add("conflicts", cmd_conflicts, _("cases changed on two devices: list or resolve"))
    p.add_argument("--json", action="store_true")
    p.add_argument("--keep", nargs=2, metavar=("ID", "mine|theirs"), help=_("resolve one conflict"))
