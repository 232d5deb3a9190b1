"""What the office sends to laptops and what it opens from them.

Owns reading assignment files (JSON in the laptop's import format plus a consultant per
case, or CSV), the catalogue of local facilities and contracted providers (the *sociale
kaart*; published together with the product list `office.products` checks, so republishing
either keeps the other), form files and policy; turning each into items signed with the office's Ed25519
key (assignments sealed to each device of the consultant), and reassigning a case. Opening
received work is `export`'s.

Checks everything before storing anything: a file with one problem is refused whole, with
a line per problem. It needs the form engine for exactly that: an assignment is checked
with the laptop's own import rules against the forms the laptops will have, and a form
file is loaded as a laptop will load it, so a file the laptops would refuse never reaches
them. Never writes a private key.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kitchentable import casefile
from kitchentable.errors import ImportRefused
from kitchentable.formengine.loader import FormRegistry
from kitchentable.office.errors import OfficeError
from kitchentable.office.export import export
from kitchentable.office.keys import OfficePrivateKeys, OfficePublicKeys
from kitchentable.office.store import Device, Store, iso
from kitchentable.storage.crypto import unb64
from kitchentable.sync.protocol import FeedItem, SealedPayload
from kitchentable.sync.wire import ProtocolError, canonical, parse_json

__all__ = [
    "Assigned",
    "PublishRefused",
    "assign",
    "current_catalogue",
    "export",  # opening received work lives in office.export; kept here for its callers
    "office_forms",
    "publish_catalogue",
    "publish_form",
    "publish_policy",
    "read_assignments",
    "read_catalogue",
    "reassign",
]

FORMS_DIR = "forms"
CSV_PERSON = ("name", "bsn", "bsn_source", "birth_date", "phone", "email")
CSV_ADDRESS = ("street", "postcode", "city")
CSV_CASE = ("external_id", "melding_date", "kind", "form", "form_version", "notes")


class PublishRefused(OfficeError):
    """A file the office cannot send; `problems` has one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("publish_refused", "; ".join(problems))
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
        plaintext, items = _assignment(case_id, case, devices, private, now)
        office_copy = SealedPayload.seal(office.box_public, plaintext, _copy_info(case_id))
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


def _copy_info(case_id: str) -> str:
    return f"kitchentable/assignment/v1:{case_id}"


def _assignment(
    case_id: str,
    case: dict[str, Any],
    devices: list[Device],
    private: OfficePrivateKeys,
    now: datetime,
) -> tuple[bytes, list[FeedItem]]:
    """The assignment's plaintext (the case and who works on it) and one item per device,
    sealed to that device and signed by the office."""
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
    return plaintext, items


def reassign(
    store: Store, private: OfficePrivateKeys, case_id: str, consultant: str, now: datetime
) -> int:
    """Move a case to another consultant: from now on only their laptops may push it (the
    previous consultant's are refused). An assigned case goes to each of their laptops as
    the office assigned it (its office copy, opened and sealed again); returns how many."""
    devices = store.active_devices(consultant)
    if not devices:
        raise PublishRefused(
            [f"'{consultant}' has no enrolled laptop; enrol one first (kitchentable-office enrol)"]
        )
    office_copy = store.office_copy(case_id)
    items: list[FeedItem] = []
    if office_copy is not None:
        try:
            sealed = SealedPayload.from_wire(parse_json(office_copy))
            document = json.loads(sealed.open(private.box_private, _copy_info(case_id)))
            case = document["case"]
        except (ProtocolError, ValueError, KeyError, TypeError) as exc:
            raise PublishRefused(
                [f"{case_id}: the office's copy of this assignment cannot be opened"]
            ) from exc
        _, items = _assignment(case_id, case, devices, private, now)
    store.reassign(case_id, consultant, now, items)
    return len(items)


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


def current_catalogue(store: Store) -> dict[str, Any]:
    """The catalogue document now in force ({"entries": [...], "products": [...]}); empty
    lists before the first one was published."""
    item = store.latest_item("catalogue")
    found = store.blob(str((item.content or {}).get("sha256", ""))) if item else None
    document = json.loads(found[2]) if found else {}
    return {
        "entries": list(document.get("entries", [])),
        "products": list(document.get("products", [])),
    }


def publish_catalogue(
    store: Store,
    private: OfficePrivateKeys,
    entries: list[dict[str, Any]],
    now: datetime,
    products: list[dict[str, Any]] | None = None,
) -> str:
    """Publish the sociale kaart's entries with the product list; `products` None keeps the
    products now in force (and `products` alone: `kitchentable-office products`)."""
    if products is None:
        products = current_catalogue(store)["products"]
    document: dict[str, Any] = {"entries": entries}
    if products:
        document["products"] = products
    data = canonical(document)
    sha = store.put_blob(data, "catalogue", now)
    item = FeedItem.create(
        kind="catalogue",
        item_id=sha[:32],
        issued_at=iso(now),
        office_sign_private=private.sign_private,
        content={
            "sha256": sha,
            "size": len(data),
            "entries": len(entries),
            "products": len(products),
        },
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
