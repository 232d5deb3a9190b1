"""`kitchentable-office log`: who did what, when, on the laptops — verified at the office.

Owns the administrator's view of the access logs laptops sent (NEN 7513): every line the
office received for a device (`--device`) or about a case (`--case`, the case id or the
assignment's reference), each marked when the laptop's log no longer holds it as it was,
and the findings of `access_audit` with the sync that showed them. Needs the office
passphrase (the lines are sealed to the office key), like `export`. Exit status 1 when
there is a finding, so a scheduled check can alert. Never prints a secret.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from kitchentable.office import access_audit
from kitchentable.office.access_audit import DeviceLog, Entry, Mark
from kitchentable.office.cli_common import OfficeCliError, open_store, unlock

Command = Callable[[str, str], argparse.ArgumentParser]


def _line(entry: Entry) -> str:
    line = entry.line
    text = (
        f"{line.at}  {line.actor}  {line.action} {line.target}  "
        f"{line.case_ref or line.case_id or '-'}  {line.result}  {line.origin}"
    )
    if line.detail:
        text += "  " + json.dumps(line.detail, sort_keys=True, ensure_ascii=False)
    elif line.sealed_detail:
        text += "  (detail does not open on the laptop)"
    if entry.mark != Mark.HELD:
        text += f"  [{entry.mark.value.upper()}"
        text += f": {access_audit.difference(line, entry.now)}]" if entry.now else "]"
    return text


def _print_device(device_log: DeviceLog, wanted: Callable[[Entry], bool]) -> None:
    device = device_log.device
    print(f"== {device.consultant} — {device.label} (device {device.id}) ==")
    if device_log.head is None:
        print(
            "   No access log received from this laptop yet (it has not synchronised since "
            "this version, or it is older)."
        )
    else:
        verdict = f"{len(device_log.problems)} finding(s)" if device_log.problems else "no findings"
        print(
            f"   {len(device_log.entries)} line(s) from {device_log.reports} report(s); the last "
            f"signed head: line {device_log.head.id}, received {device_log.head_received_at}; "
            f"{verdict}. Lines written after that have not reached the office yet."
        )
    for entry in device_log.entries:
        if wanted(entry):
            print(_line(entry))
    for problem in device_log.problems:
        print(f"   ! {problem.message} (found at the sync of {problem.found_at})")


def _case_ids(store_assignments: list[dict[str, object]], case: str) -> set[str]:
    """The case as the administrator names it: its id, or the assignment's reference."""
    ids = {case}
    ids |= {str(a["case_id"]) for a in store_assignments if a.get("reference") == case}
    return ids


def cmd_log(args: argparse.Namespace) -> int:
    if bool(args.case) == bool(args.device):
        raise OfficeCliError("Name either --case REF or --device ID.")
    store = open_store(args.data)
    try:
        private = unlock(args.data)
        logs = access_audit.audit(store, private.box_private, args.device)
        cases = _case_ids(store.assignments(), args.case) if args.case else set()
    finally:
        store.close()
    if args.device and not logs:
        raise OfficeCliError(f"There is no device {args.device}.")
    wanted: Callable[[Entry], bool] = access_audit.concerns(cases) if cases else (lambda _e: True)
    if cases:
        # A laptop with a finding stays in view although no line it holds is about the case:
        # the lines that were (a report taken out of the office's store, say) may be the
        # ones missing.
        about = [log for log in logs if any(wanted(e) for e in log.entries)]
        if not about:
            print(f"No laptop has reported a line about case {args.case}.")
        logs = [log for log in logs if log in about or log.problems]
        if len(logs) > len(about):
            print("Laptops with a finding are shown too: their missing lines may be about it.")
    findings = sum(len(log.problems) for log in logs)
    for device_log in logs:
        _print_device(device_log, wanted)
    heads = sum(1 for log in logs if log.head is not None)
    print(
        f"Verified against the signed heads of {heads} laptop(s): "
        + (f"{findings} finding(s)." if findings else "no findings.")
    )
    return 1 if findings else 0


def add_commands(command: Command) -> None:
    log = command("log", "who did what when on the laptops, verified (access logs, NEN 7513)")
    log.add_argument("--case", metavar="REF", help="a case id or the assignment's reference")
    log.add_argument("--device", metavar="ID", help="one laptop's device id")
    log.set_defaults(func=cmd_log)
