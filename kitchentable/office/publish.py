"""What the office sends to laptops and what it opens from them.

Owns reading assignment files (JSON in the laptop's import format plus a consultant per
case, or CSV), the catalogue of local facilities and contracted providers (the *sociale
kaart*), form files and policy; turning each into items signed with the office's Ed25519
key (assignments sealed to each device of the consultant), and the export that opens
received work with the office's X25519 key into JSON, the sealed PDFs and a CSV overview.

Checks everything before storing anything: a file with one problem is refused whole, with
a line per problem. Never writes a private key, and never leaves readable client data
anywhere but the export folder the administrator named (owner-only permissions).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kitchentable import casefile
from kitchentable.errors import ImportRefused
from kitchentable.formengine.loader import FormRegistry
from kitchentable.office.keys import OfficePrivateKeys, OfficePublicKeys
from kitchentable.office.store import Device, Store, iso
from kitchentable.storage.crypto import unb64
from kitchentable.sync.protocol import Change, FeedItem, SealedPayload, attachment_info
from kitchentable.sync.wire import ProtocolError, canonical, parse_json

FORMS_DIR = "forms"
CSV_PERSON = ("name", "bsn", "bsn_source", "birth_date", "phone", "email")
CSV_ADDRESS = ("street", "postcode", "city")
CSV_CASE = ("external_id", "melding_date", "kind", "form", "form_version", "notes")


class PublishRefused(Exception):
    """A file the office cannot send; `problems` has one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def office_forms(data_dir: Path) -> FormRegistry:
    """The shipped forms plus the ones this office published."""
    registry = FormRegistry.from_directory()
    folder = data_dir / FORMS_DIR
    if folder.is_dir():
        for form in FormRegistry.from_directory(folder).all():
            registry.add(form)
    return registry


# --- assignments -------------------------------------------------------------------------


def read_assignments(path: Path) -> list[dict[str, Any]]:
    """The cases in an assignment file, each with its 'consultant'."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PublishRefused([f"{path}: cannot be read ({exc})"]) from exc
    if path.suffix.lower() == ".csv":
        return _cases_from_csv(text, path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PublishRefused([f"{path}:{exc.lineno}: not valid JSON ({exc.msg})"]) from exc
    if not isinstance(document, dict) or not isinstance(document.get("cases"), list):
        raise PublishRefused([f'{path}: must be a JSON object with a list "cases"'])
    default = document.get("consultant")
    cases = []
    for index, raw in enumerate(document["cases"]):
        if not isinstance(raw, dict):
            raise PublishRefused([f"cases[{index}]: must be an object"])
        case = dict(raw)
        case.setdefault("consultant", default)
        cases.append(case)
    return cases


def _cases_from_csv(text: str, path: Path) -> list[dict[str, Any]]:
    dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=",;\t")
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    known = {"consultant", *CSV_CASE, *CSV_PERSON, *CSV_ADDRESS}
    unknown = sorted(set(reader.fieldnames or []) - known)
    if unknown:
        raise PublishRefused([f"{path}: unknown column '{unknown[0]}' (known: {sorted(known)})"])
    cases = []
    for row in reader:
        values = {k: (v or "").strip() for k, v in row.items() if k}
        case: dict[str, Any] = {k: values[k] for k in CSV_CASE if values.get(k)}
        person: dict[str, Any] = {k: values[k] for k in CSV_PERSON if values.get(k)}
        address = {k: values[k] for k in CSV_ADDRESS if values.get(k)}
        if address:
            person["address"] = address
        case["person"] = person
        case["consultant"] = values.get("consultant", "")
        cases.append(case)
    return cases


@dataclass(frozen=True)
class Assigned:
    case_id: str
    reference: str
    consultant: str
    devices: int


def assign(
    store: Store,
    data_dir: Path,
    office: OfficePublicKeys,
    private: OfficePrivateKeys,
    cases: list[dict[str, Any]],
    now: datetime,
) -> list[Assigned]:
    """Check every case as the laptop will, then seal each to its consultant's laptops."""
    known = {a["reference"] for a in store.assignments()}
    problems: list[str] = []
    prepared: list[tuple[dict[str, Any], str, list[Device]]] = []
    forms = office_forms(data_dir)
    for index, raw in enumerate(cases):
        consultant = str(raw.get("consultant") or "").strip()
        case = {k: v for k, v in raw.items() if k != "consultant"}
        try:
            casefile.validate_import({"cases": [case]}, forms, lambda ref: ref in known)
        except ImportRefused as exc:
            problems += [p.replace("cases[0]", f"cases[{index}]", 1) for p in exc.problems]
            continue
        if not consultant:
            problems.append(f"cases[{index}].consultant: who is this case for?")
            continue
        devices = store.active_devices(consultant)
        if not devices:
            problems.append(
                f"cases[{index}].consultant: '{consultant}' has no enrolled laptop; enrol one "
                "first (kitchentable-office enrol)"
            )
            continue
        known.add(case["external_id"])
        prepared.append((case, consultant, devices))
    if problems:
        raise PublishRefused(problems)
    done = []
    for case, consultant, devices in prepared:
        case_id = str(uuid.uuid4())
        recipients = [
            {
                "device_id": d.id,
                "consultant": d.consultant,
                "label": d.label,
                "sign_public": d.sign_public,
                "box_public": d.box_public,
            }
            for d in devices
        ]
        plaintext = canonical({"office_case_id": case_id, "case": case, "recipients": recipients})
        items = [
            FeedItem.create(
                kind="assignment",
                item_id=case_id,
                issued_at=iso(now),
                office_sign_private=private.sign_private,
                device_id=d.id,
                device_box_public=unb64(d.box_public),
                plaintext=plaintext,
            )
            for d in devices
        ]
        office_copy = SealedPayload.seal(
            office.box_public, plaintext, f"kitchentable/assignment/v1:{case_id}"
        )
        store.assign(
            case_id,
            consultant,
            case["external_id"],
            None,
            canonical(office_copy.to_wire()).decode("ascii"),
            items,
            now,
        )
        done.append(Assigned(case_id, case["external_id"], consultant, len(devices)))
    return done


# --- forms, catalogue, policy ------------------------------------------------------------


def publish_form(
    store: Store, data_dir: Path, private: OfficePrivateKeys, path: Path, now: datetime
) -> tuple[str, str, str]:
    """Check a form file as the laptop will, keep it, and offer it to every laptop."""
    data = path.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / path.name).write_bytes(data)
        registry = FormRegistry.from_directory(Path(tmp))
        if registry.problems:
            raise PublishRefused([str(p) for p in registry.problems])
        forms = registry.all()
    if len(forms) != 1:
        raise PublishRefused([f"{path}: holds no form"])
    form = forms[0]
    sha = store.put_blob(data, "form", now)
    folder = data_dir / FORMS_DIR
    folder.mkdir(exist_ok=True)
    (folder / f"{form.id}-{form.version}.yaml").write_bytes(data)
    item = FeedItem.create(
        kind="form",
        item_id=f"{form.id}-{form.version}"[:128],
        issued_at=iso(now),
        office_sign_private=private.sign_private,
        content={"form_id": form.id, "version": form.version, "sha256": sha, "size": len(data)},
    )
    store.publish([item], now)
    return form.id, form.version, sha


CATALOGUE_KINDS = ("algemene_voorziening", "gecontracteerde_aanbieder")
CATALOGUE_FIELDS = ("kind", "product", "name", "description", "phone", "email", "website")
CATALOGUE_FIELDS_OPTIONAL = ("address", "area", "waiting_weeks")


def read_catalogue(path: Path) -> list[dict[str, Any]]:
    """Entries of the sociale kaart from JSON ({"entries": [...]}) or CSV."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PublishRefused([f"{path}: cannot be read ({exc})"]) from exc
    if path.suffix.lower() == ".csv":
        rows: list[Any] = list(csv.DictReader(io.StringIO(text)))
    else:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PublishRefused([f"{path}:{exc.lineno}: not valid JSON ({exc.msg})"]) from exc
        if not isinstance(document, dict) or not isinstance(document.get("entries"), list):
            raise PublishRefused([f'{path}: must be a JSON object with a list "entries"'])
        rows = document["entries"]
    problems: list[str] = []
    entries = []
    for index, row in enumerate(rows):
        entry = _catalogue_entry(row, f"entries[{index}]", problems)
        if entry is not None:
            entries.append(entry)
    if not entries and not problems:
        problems.append(f"{path}: has no entries")
    if problems:
        raise PublishRefused(problems)
    return entries


def _catalogue_entry(row: object, where: str, problems: list[str]) -> dict[str, Any] | None:
    if not isinstance(row, dict):
        problems.append(f"{where}: must be an object")
        return None
    allowed = set(CATALOGUE_FIELDS) | set(CATALOGUE_FIELDS_OPTIONAL)
    entry = {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items() if v}
    problems += [f"{where}.{key}: unknown field" for key in sorted(set(entry) - allowed)]
    if entry.get("kind") not in CATALOGUE_KINDS:
        problems.append(f"{where}.kind: must be one of {', '.join(CATALOGUE_KINDS)}")
    for key in ("product", "name"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            problems.append(f"{where}.{key}: is required")
    if "waiting_weeks" in entry:
        try:
            entry["waiting_weeks"] = int(entry["waiting_weeks"])
        except (TypeError, ValueError):
            problems.append(f"{where}.waiting_weeks: must be a whole number")
    return entry


def publish_catalogue(
    store: Store, private: OfficePrivateKeys, entries: list[dict[str, Any]], now: datetime
) -> str:
    data = canonical({"entries": entries})
    sha = store.put_blob(data, "catalogue", now)
    item = FeedItem.create(
        kind="catalogue",
        item_id=sha[:32],
        issued_at=iso(now),
        office_sign_private=private.sign_private,
        content={"sha256": sha, "size": len(data), "entries": len(entries)},
    )
    store.publish([item], now)
    return sha


def publish_policy(
    store: Store, private: OfficePrivateKeys, policy: dict[str, int], now: datetime
) -> None:
    item = FeedItem.create(
        kind="policy",
        item_id=hashlib.sha256(canonical(policy)).hexdigest()[:32],
        issued_at=iso(now),
        office_sign_private=private.sign_private,
        content=dict(policy),
    )
    store.publish([item], now)


# --- export ------------------------------------------------------------------------------

OVERVIEW_COLUMNS = (
    "received_at",
    "consultant",
    "device",
    "entity",
    "case",
    "external_id",
    "status",
    "server_version",
    "conflict_with",
    "file",
)


def open_change(
    meta: dict[str, Any], private: OfficePrivateKeys
) -> tuple[Change, dict[str, Any]] | None:
    """A stored change (a row of `Store.changes()`) and its opened payload, or None when it
    cannot be read with the office key."""
    try:
        change = Change.from_wire(parse_json(meta["envelope"]))
        data = json.loads(change.open(private.box_private))
    except (ProtocolError, ValueError):
        return None
    return (change, data) if isinstance(data, dict) else None


def plan_pdf(
    store: Store, private: OfficePrivateKeys, change_id: str, content: dict[str, Any]
) -> bytes | None:
    """The sealed PDF a plan change carries, opened and checked against the SHA-256 its
    payload names; None when no attachment of the change opens to exactly those bytes."""
    expected = str(content.get("pdf", {}).get("sha256", ""))
    for sha in store.attachments_of(change_id):
        found = store.blob(sha)
        if found is None:
            continue
        try:
            sealed = SealedPayload.from_wire(parse_json(found[2]))
            pdf = sealed.open(private.box_private, attachment_info(expected))
        except (ProtocolError, ValueError):
            continue
        if hashlib.sha256(pdf).hexdigest() == expected:
            return pdf
    return None


def export(store: Store, private: OfficePrivateKeys, out: Path) -> dict[str, int]:
    """Open every received change into `out`: JSON per version, the sealed PDFs, and
    overview.csv. Files are owner-only; the folder holds readable client data."""
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o700)
    devices = {d.id: d for d in store.devices()}
    counts = {"cases": 0, "plans": 0, "conflicts": 0, "unreadable": 0}
    rows = []
    for meta in store.changes():
        device = devices.get(meta["device_id"])
        opened = open_change(meta, private)
        if opened is None:
            counts["unreadable"] += 1
            continue
        change, data = opened
        folder = out / _safe(meta["case_ref"] or meta["entity_id"])
        folder.mkdir(exist_ok=True)
        os.chmod(folder, 0o700)
        name = f"{meta['entity']}-v{meta['server_version']}"
        files = []
        external_id = ""
        if meta["entity"] == "case":
            snapshot = data.get("snapshot", {})
            external_id = snapshot.get("case", {}).get("external_id", "")
            counts["cases"] += 1
        elif meta["entity"] == "plan":
            counts["plans"] += 1
            pdf = plan_pdf(store, private, change.id, data)
            if pdf is not None:
                _write(folder / f"{name}.pdf", pdf)
                files.append(f"{name}.pdf")
            elif store.attachments_of(change.id):
                counts["unreadable"] += 1
        if meta["status"] == "conflict":
            counts["conflicts"] += 1
            name += "-CONFLICT"
        document = {
            "server_version": meta["server_version"],
            "status": meta["status"],
            "conflict_with": meta["conflict_with"],
            "device": meta["device_id"],
            "consultant": device.consultant if device else "",
            "entity": meta["entity"],
            "entity_id": meta["entity_id"],
            "base_version": meta["base_version"],
            "content": data,
        }
        _write(folder / f"{name}.json", json.dumps(document, ensure_ascii=False, indent=2).encode())
        files.insert(0, f"{name}.json")
        rows.append(
            {
                "received_at": meta.get("received_at", ""),
                "consultant": document["consultant"],
                "device": device.label if device else meta["device_id"],
                "entity": meta["entity"],
                "case": meta["case_ref"] or meta["entity_id"],
                "external_id": external_id,
                "status": meta["status"],
                "server_version": meta["server_version"],
                "conflict_with": meta["conflict_with"] or "",
                "file": " ".join(f"{folder.name}/{f}" for f in files),
            }
        )
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, OVERVIEW_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    _write(out / "overview.csv", buffer.getvalue().encode("utf-8"))
    return counts


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:100] or "_"


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
