"""The administrator's commands for the work itself: `assign`, `reassign`, `catalogue`,
`products`, `form`, `policy`, `export`, `deliver`, `report`, `quarantine` and `purge`.

Owns reading the administrator's files and options, and printing what was done. Every
command here needs the office passphrase: publishing signs with the office's Ed25519 key,
`export` opens received work with its X25519 key (both through `cli_common.unlock`), so the
serving process never holds them. Checks come from `publish` and `export`; a refused file
prints one line per problem and changes nothing.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from kitchentable.office import export, keys, products, publish
from kitchentable.office.cli_common import OfficeCliError, open_store, unlock
from kitchentable.office.report import command as report_command
from kitchentable.office.zgw import command as zgw_command

Command = Callable[[str, str], argparse.ArgumentParser]


def _refused(exc: publish.PublishRefused, what: str) -> OfficeCliError:
    lines = "\n".join(f"  - {p}" for p in exc.problems)
    return OfficeCliError(f"Nothing was {what}: {len(exc.problems)} problem(s).\n{lines}")


def cmd_assign(args: argparse.Namespace) -> None:
    store = open_store(args.data)
    try:
        cases = publish.read_assignments(args.file)
        if args.consultant:
            for case in cases:
                case["consultant"] = case.get("consultant") or args.consultant
        private = unlock(args.data)
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


def cmd_reassign(args: argparse.Namespace) -> None:
    store = open_store(args.data)
    try:
        sent = publish.reassign(
            store, unlock(args.data), args.case, args.consultant, datetime.now(UTC)
        )
    except publish.PublishRefused as exc:
        raise _refused(exc, "reassigned") from exc
    finally:
        store.close()
    print(f"Case {args.case} is now {args.consultant}'s; other laptops can no longer send it.")
    if sent:
        print(f"It goes to {sent} laptop(s) of {args.consultant} at their next synchronisation.")


def cmd_catalogue(args: argparse.Namespace) -> None:
    store = open_store(args.data)
    try:
        entries = publish.read_catalogue(args.file)
        sha = publish.publish_catalogue(store, unlock(args.data), entries, datetime.now(UTC))
    except publish.PublishRefused as exc:
        raise _refused(exc, "published") from exc
    finally:
        store.close()
    print(f"Catalogue with {len(entries)} entries published ({sha[:12]}).")


def cmd_products(args: argparse.Namespace) -> None:
    store = open_store(args.data)
    try:
        found = products.read_products(args.file)
        sha = products.publish_products(store, unlock(args.data), found, datetime.now(UTC))
    except publish.PublishRefused as exc:
        raise _refused(exc, "published") from exc
    finally:
        store.close()
    print(
        f"Product list with {len(found)} product(s) published with the catalogue ({sha[:12]}); "
        "laptops offer them at their next synchronisation."
    )


def cmd_form(args: argparse.Namespace) -> None:
    store = open_store(args.data)
    try:
        form_id, version, sha = publish.publish_form(
            store, args.data, unlock(args.data), args.file, datetime.now(UTC)
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
    store = open_store(args.data)
    try:
        publish.publish_policy(store, unlock(args.data), policy, datetime.now(UTC))
    finally:
        store.close()
    print("Policy published: " + ", ".join(f"{k} = {v}" for k, v in policy.items()) + ".")


def cmd_export(args: argparse.Namespace) -> None:
    store = open_store(args.data)
    try:
        counts = export.export(store, unlock(args.data), args.out)
    finally:
        store.close()
    print(
        f"Exported {counts['cases']} case version(s) and {counts['plans']} plan(s) to {args.out} "
        f"({counts['conflicts']} conflict(s), {counts['quarantined']} held back in quarantine)."
    )
    if counts["quarantined"]:
        print(
            f"The held-back changes are listed in {args.out}/{export.QUARANTINE_DIR}/listing.csv; "
            "see them with 'kitchentable-office quarantine'."
        )
    print("These files are NOT encrypted: keep them on the municipality's protected storage.")


def cmd_deliver(args: argparse.Namespace) -> None:
    """Received signed plans into the case system (ZGW); under the office passphrase."""
    store = open_store(args.data)
    try:
        zgw_command.deliver(args, store, keys.load_public(args.data), lambda: unlock(args.data))
    except zgw_command.DeliveryFailed as exc:
        raise OfficeCliError(str(exc)) from exc
    finally:
        store.close()


def cmd_report(args: argparse.Namespace) -> None:
    """The monitoring report (or the survey's sampling frame); under the office passphrase."""
    try:
        chosen = report_command.options(args)
    except report_command.ReportRefused as exc:
        raise OfficeCliError(str(exc)) from exc
    store = open_store(args.data)
    try:
        lines = report_command.run(store, lambda: unlock(args.data), chosen)
    finally:
        store.close()
    for line in lines:
        print(line)


def cmd_purge(args: argparse.Namespace) -> None:
    """The retention policy now (the server also applies it every hour)."""
    store = open_store(args.data)
    try:
        removed = store.purge(datetime.now(UTC))
    finally:
        store.close()
    print(
        f"Removed {removed['uploads']} abandoned upload(s) ({removed['upload_chunks']} "
        f"chunk(s)), {removed['activity']} old activity row(s) and "
        f"{removed['enrolment_codes']} spent enrolment code(s)."
    )


def cmd_quarantine(args: argparse.Namespace) -> None:
    store = open_store(args.data)
    try:
        if args.remove:
            store.remove_quarantined(args.remove)
            print(f"Change {args.remove} is removed from the office for good.")
            return
        held = store.quarantined()
    finally:
        store.close()
    if not held:
        print("Nothing is in quarantine.")
    for item in held:
        print(
            f"{item.change_id}  {item.received_at or '—'}  {item.consultant or '—'}  "
            f"{item.entity or '—'}  {item.reason}  (listed {item.noted_at})"
        )


def add_commands(command: Command) -> None:
    assign = command("assign", "assign new cases (JSON or CSV) to consultants")
    assign.add_argument("file", type=Path)
    assign.add_argument("--consultant", help="for every case in the file without its own")
    assign.set_defaults(func=cmd_assign)
    reassign = command("reassign", "give a case to another consultant (only their laptops)")
    reassign.add_argument("case", help="the case id (UUID)")
    reassign.add_argument("consultant")
    reassign.set_defaults(func=cmd_reassign)
    catalogue = command("catalogue", "publish the catalogue of local facilities and providers")
    catalogue.add_argument("file", type=Path)
    catalogue.set_defaults(func=cmd_catalogue)
    product_list = command(
        "products", "publish the municipality's product list (JSON or CSV) with the catalogue"
    )
    product_list.add_argument("file", type=Path)
    product_list.set_defaults(func=cmd_products)
    form = command("form", "publish a conversation form to every laptop")
    form.add_argument("file", type=Path)
    form.set_defaults(func=cmd_form)
    policy = command("policy", "set the laptops' policy")
    policy.add_argument("--auto-lock-minutes", type=int)
    policy.add_argument("--retention-days", type=int)
    policy.add_argument("--offline-days", type=int)
    policy.set_defaults(func=cmd_policy)
    exporting = command("export", "open received work into a folder (JSON, PDF, CSV)")
    exporting.add_argument("--out", type=Path, required=True)
    exporting.set_defaults(func=cmd_export)
    deliver = command("deliver", "deliver received signed plans into the case system (ZGW)")
    zgw_command.add_arguments(deliver)
    deliver.set_defaults(func=cmd_deliver)
    report = command("report", "the monitoring report, the survey frame or a GMSD-shaped list")
    report_command.add_arguments(report)
    report.set_defaults(func=cmd_report)
    quarantine = command("quarantine", "list the changes an export held back, or remove one")
    quarantine.add_argument("--remove", metavar="CHANGE_ID")
    quarantine.set_defaults(func=cmd_quarantine)
    purge = command("purge", "forget abandoned uploads, old activity and spent codes now")
    purge.set_defaults(func=cmd_purge)
