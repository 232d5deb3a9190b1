"""`kitchentable-office export`: opening received work into a folder, as a careful reader.

Owns opening every stored change with the office's X25519 key into the folder an
administrator names (`--out`): a JSON document per case version (a plan's with its advice
as codes under `toewijzing`), the sealed plan PDFs, and `overview.csv`. Everything in a change came from a device, so nothing in it is trusted:
every file name is a canonical UUID and every path is resolved and must stay under `--out`
(files are never written through a symbolic link); each opened payload must have the shape
the protocol gives it; each change is read inside its own try, so a bad one goes to
`quarantine/listing.csv` (and into the store's quarantine, for `kitchentable-office
quarantine`) instead of stopping the export; CSV cells that a spreadsheet would run as a
formula are neutralised. Only folders this export made get mode 0700; a folder that was
there keeps its mode. Files are owner-only (0600). Never leaves readable client data
anywhere but under `--out`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kitchentable.office.keys import OfficePrivateKeys
from kitchentable.office.store import Device, Store
from kitchentable.office.toewijzing import advised
from kitchentable.sync.protocol import SHA256_HEX, Change, SealedPayload, attachment_info
from kitchentable.sync.wire import NAME, ProtocolError, parse_json

QUARANTINE_DIR = "quarantine"
OVERVIEW_COLUMNS = (
    "received_at", "consultant", "device", "entity", "case", "external_id", "status",
    "server_version", "conflict_with", "file",
)  # fmt: skip
QUARANTINE_COLUMNS = ("change_id", "received_at", "consultant", "device", "entity", "reason")
# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK, =cmd|…).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Quarantined(Exception):
    """A change the export does not open into the folder; `reason` is a stable code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Export:
    """One export run: its folder, what it made, what it wrote and what it held back."""

    root: Path
    private: OfficePrivateKeys
    devices: dict[str, Device]
    made: set[Path] = field(default_factory=set)
    rows: list[dict[str, Any]] = field(default_factory=list)
    held: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: {"cases": 0, "plans": 0, "conflicts": 0, "quarantined": 0}
    )


def export(store: Store, private: OfficePrivateKeys, out: Path) -> dict[str, int]:
    """Open every received change into `out`; returns counts (cases, plans, conflicts,
    quarantined; `unreadable` is the same as quarantined)."""
    run = Export(_prepare(out), private, {d.id: d for d in store.devices()})
    for meta in store.changes():
        try:
            _one(store, run, meta)
        except Quarantined as exc:
            run.held.append((meta, exc.reason))
        except Exception as exc:  # a device made this change: whatever it holds, go on
            run.held.append((meta, f"unreadable ({type(exc).__name__})"))
    _write_csv(run, run.root / "overview.csv", OVERVIEW_COLUMNS, run.rows)
    listing = [_quarantine_row(run, meta, reason) for meta, reason in run.held]
    _write_csv(run, _folder(run, QUARANTINE_DIR) / "listing.csv", QUARANTINE_COLUMNS, listing)
    store.note_quarantined([(meta["id"], reason) for meta, reason in run.held], datetime.now(UTC))
    run.counts["quarantined"] = len(run.held)
    return {**run.counts, "unreadable": len(run.held)}


# --- one change ---------------------------------------------------------------------------


def _one(store: Store, run: Export, meta: dict[str, Any]) -> None:
    """Check and open one change completely, then write its files."""
    entity = str(meta["entity"])
    if not NAME.fullmatch(entity):
        raise Quarantined("unsafe_name")
    case = str(meta["case_ref"] or meta["entity_id"])
    if not _canonical_uuid(case):
        raise Quarantined("unsafe_name")
    change = Change.from_wire(parse_json(meta["envelope"]))
    try:
        data = json.loads(change.open(run.private.box_private))
    except (ProtocolError, ValueError) as exc:
        raise Quarantined("unreadable_payload") from exc
    _check_shape(entity, data)
    pdfs = [_attachment(store, run, sha, data) for sha in store.attachments_of(change.id)]
    name = f"{entity}-v{int(meta['server_version'])}"
    if meta["status"] == "conflict":
        name += "-CONFLICT"
    folder = _folder(run, case)
    files = [f"{name}.json"]
    device = run.devices.get(meta["device_id"])
    document = {
        "server_version": meta["server_version"],
        "status": meta["status"],
        "conflict_with": meta["conflict_with"],
        "device": meta["device_id"],
        "consultant": device.consultant if device else "",
        "entity": entity,
        "entity_id": meta["entity_id"],
        "base_version": meta["base_version"],
        "content": data,
    }
    if entity == "plan":  # the advice as codes, as the back office enters a toewijzing
        document["toewijzing"] = advised(data["plan"])
    _write(run, folder / files[0], json.dumps(document, ensure_ascii=False, indent=2).encode())
    for pdf in pdfs:
        files.append(f"{entity}-v{int(meta['server_version'])}.pdf")
        _write(run, folder / files[-1], pdf)
    if entity == "case":
        run.counts["cases"] += 1
    elif entity == "plan":
        run.counts["plans"] += 1
    if meta["status"] == "conflict":
        run.counts["conflicts"] += 1
    snapshot = data.get("snapshot") if entity == "case" else None
    run.rows.append(
        {
            "received_at": meta.get("received_at", ""),
            "consultant": document["consultant"],
            "device": device.label if device else meta["device_id"],
            "entity": entity,
            "case": case,
            "external_id": snapshot["case"].get("external_id", "") if snapshot else "",
            "status": meta["status"],
            "server_version": meta["server_version"],
            "conflict_with": meta["conflict_with"] or "",
            "file": " ".join(f"{folder.name}/{f}" for f in files),
        }
    )


def _check_shape(entity: str, data: object) -> None:
    """The shape the protocol gives a payload of this entity (what the laptop's push
    builds); anything else is quarantined before a byte of it is written."""
    if not isinstance(data, dict):
        raise Quarantined("payload_not_an_object")
    if entity == "case":
        snapshot = data.get("snapshot")
        if not isinstance(snapshot, dict) or not isinstance(snapshot.get("case"), dict):
            raise Quarantined("payload_shape")
        if not isinstance(snapshot["case"].get("external_id", ""), str):
            raise Quarantined("payload_shape")
    elif entity == "plan":
        pdf = data.get("pdf")
        if not isinstance(pdf, dict) or not isinstance(data.get("plan"), dict):
            raise Quarantined("payload_shape")
        if not isinstance(pdf.get("sha256"), str) or not SHA256_HEX.fullmatch(pdf["sha256"]):
            raise Quarantined("payload_shape")


def _attachment(store: Store, run: Export, sha: str, data: dict[str, Any]) -> bytes:
    """A plan's PDF: stored, sealed to the office under the hash the payload names, and
    exactly those bytes."""
    pdf_meta = data.get("pdf")
    expected = pdf_meta.get("sha256", "") if isinstance(pdf_meta, dict) else ""
    return _open_attachment(store, run.private, sha, expected)


def _open_attachment(store: Store, private: OfficePrivateKeys, sha: str, expected: str) -> bytes:
    found = store.blob(sha)
    if found is None:
        raise Quarantined("attachment_missing")
    try:
        sealed = SealedPayload.from_wire(parse_json(found[2]))
        pdf = sealed.open(private.box_private, attachment_info(expected))
    except (ProtocolError, ValueError) as exc:
        raise Quarantined("attachment_unreadable") from exc
    if hashlib.sha256(pdf).hexdigest() != expected or not pdf.startswith(b"%PDF-"):
        raise Quarantined("attachment_unreadable")
    return pdf


# --- for the other readers of received work (office/zgw) ---------------------------------


def open_change(
    meta: dict[str, Any], private: OfficePrivateKeys
) -> tuple[Change, dict[str, Any]] | None:
    """A stored change (a row of `Store.changes()`) and its opened payload, or None when it
    cannot be read with the office key or has not the shape its entity must have."""
    try:
        change = Change.from_wire(parse_json(meta["envelope"]))
        data = json.loads(change.open(private.box_private))
        _check_shape(str(meta["entity"]), data)
    except (ProtocolError, ValueError, Quarantined):
        return None
    return change, data


def plan_pdf(
    store: Store, private: OfficePrivateKeys, change_id: str, content: dict[str, Any]
) -> bytes | None:
    """The sealed PDF a plan change carries, opened and checked against the SHA-256 its
    payload names; None when no attachment of the change opens to exactly those bytes."""
    expected = str(content.get("pdf", {}).get("sha256", ""))
    for sha in store.attachments_of(change_id):
        try:
            return _open_attachment(store, private, sha, expected)
        except Quarantined:
            continue
    return None


def _canonical_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


# --- files --------------------------------------------------------------------------------


def _prepare(out: Path) -> Path:
    """The export folder, resolved; made owner-only only when this export makes it."""
    if not out.exists():
        out.mkdir(parents=True)
        os.chmod(out, 0o700)
    if not out.is_dir():
        raise NotADirectoryError(20, "not a folder", str(out))
    return out.resolve()


def _inside(run: Export, path: Path) -> Path:
    resolved = path.resolve()
    if resolved == run.root or not resolved.is_relative_to(run.root):
        raise Quarantined("outside_export_folder")
    return resolved


def _folder(run: Export, name: str) -> Path:
    folder = _inside(run, run.root / name)
    if not folder.exists():
        folder.mkdir()
        os.chmod(folder, 0o700)
        run.made.add(folder)
    elif not folder.is_dir():
        raise Quarantined("outside_export_folder")
    return folder


def _write(run: Export, path: Path, data: bytes) -> None:
    """An owner-only file under the export folder; never through a symbolic link."""
    target = _inside(run, path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
    fd = os.open(target, flags, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def neutral(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: a leading = + - @ TAB or CR gets a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _write_csv(
    run: Export, path: Path, columns: tuple[str, ...], rows: Iterable[dict[str, Any]]
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutral(row.get(column)) for column in columns])
    _write(run, path, buffer.getvalue().encode("utf-8"))


def _quarantine_row(run: Export, meta: dict[str, Any], reason: str) -> dict[str, Any]:
    device = run.devices.get(meta["device_id"])
    return {
        "change_id": meta["id"],
        "received_at": meta.get("received_at", ""),
        "consultant": device.consultant if device else "",
        "device": device.label if device else meta["device_id"],
        "entity": meta["entity"],
        "reason": reason,
    }
