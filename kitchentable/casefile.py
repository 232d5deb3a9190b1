"""The JSON case file: what `kitchentable import` accepts and `kitchentable export` writes.

Owns the documented import format (docs/import-format.md) and its validation: every
problem in a file is collected with its place (`cases[2].person.bsn: ...`) and the file is
refused as a whole, so nothing is ever half-imported. Also builds the export document of
one case (the inhabitant's right of access, Wmo 2015 art. 5.3.2). Never touches storage.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from kitchentable import __version__
from kitchentable.domain.case import Address, BsnSource, Case, Person
from kitchentable.errors import ImportRefused, InvalidAnswer, UnknownForm
from kitchentable.formengine import validators
from kitchentable.formengine.loader import FormRegistry
from kitchentable.formengine.model import Form
from kitchentable.formengine.session import coerce, is_empty
from kitchentable.storage.audit import LogLine

FORMAT = "kitchentable-case-export"
FORMAT_VERSION = 1
DEFAULT_FORM = "wmo-keukentafelgesprek"
CASE_KEYS = {
    "external_id",
    "melding_date",
    "form",
    "form_version",
    "person",
    "notes",
    "answers",
    "kind",
}
PERSON_KEYS = {"name", "bsn", "bsn_source", "birth_date", "phone", "email", "address"}
ADDRESS_KEYS = {"street", "postcode", "city"}
KINDS = {"", "eerste", "herindicatie", "spoed"}


@dataclass
class ImportItem:
    external_id: str
    melding_date: date
    form: Form
    person: Person
    notes: str = ""
    kind: str = ""
    answers: dict[str, object] = field(default_factory=dict)


class _Problems(list[str]):
    def add(self, where: str, message: str) -> None:
        self.append(f"{where}: {message}")


def _text(
    raw: dict[str, Any], key: str, where: str, problems: _Problems, required: bool = False
) -> str:
    value = raw.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        problems.add(f"{where}.{key}", "must be text")
        return ""
    if required and not value.strip():
        problems.add(f"{where}.{key}", "is missing")
    return value.strip()


def _unknown(raw: dict[str, Any], allowed: set[str], where: str, problems: _Problems) -> None:
    for key in sorted(set(raw) - allowed):
        problems.add(f"{where}.{key}", "unknown field")


def validate_import(
    document: object, forms: FormRegistry, exists: Callable[[str], bool]
) -> list[ImportItem]:
    problems = _Problems()
    if not isinstance(document, dict) or not isinstance(document.get("cases"), list):
        raise ImportRefused(['the file must be a JSON object with a list "cases"'])
    if not document["cases"]:
        raise ImportRefused(['"cases" is empty'])
    items: list[ImportItem] = []
    seen: set[str] = set()
    for index, raw in enumerate(document["cases"]):
        where = f"cases[{index}]"
        if not isinstance(raw, dict):
            problems.add(where, "must be an object")
            continue
        item = _validate_case(raw, where, forms, problems)
        if item is None:
            continue
        if item.external_id in seen:
            problems.add(f"{where}.external_id", f"'{item.external_id}' appears twice in the file")
        elif exists(item.external_id):
            problems.add(f"{where}.external_id", f"a case '{item.external_id}' already exists")
        seen.add(item.external_id)
        items.append(item)
    if problems:
        raise ImportRefused(list(problems))
    return items


def _validate_case(
    raw: dict[str, Any], where: str, forms: FormRegistry, problems: _Problems
) -> ImportItem | None:
    _unknown(raw, CASE_KEYS, where, problems)
    before = len(problems)
    external_id = _text(raw, "external_id", where, problems, required=True)
    melding = _text(raw, "melding_date", where, problems, required=True)
    melding_date = date.today()
    if melding:
        try:
            melding_date = date.fromisoformat(melding)
        except ValueError:
            problems.add(f"{where}.melding_date", "must be a date as YYYY-MM-DD")
    kind = _text(raw, "kind", where, problems)
    if kind not in KINDS:
        problems.add(f"{where}.kind", "must be eerste, herindicatie or spoed")
    form_id = _text(raw, "form", where, problems) or DEFAULT_FORM
    version = _text(raw, "form_version", where, problems) or None
    try:
        form = forms.get(form_id, version)
    except UnknownForm:
        problems.add(f"{where}.form", f"unknown form '{form_id}'")
        return None
    person = _validate_person(raw.get("person"), f"{where}.person", problems)
    answers = _validate_answers(raw.get("answers", {}), form, f"{where}.answers", problems)
    notes = _text(raw, "notes", where, problems)
    if person is None or len(problems) > before:
        return None
    return ImportItem(external_id, melding_date, form, person, notes, kind, answers)


def _validate_person(raw: object, where: str, problems: _Problems) -> Person | None:
    if not isinstance(raw, dict):
        problems.add(where, "is missing or not an object")
        return None
    _unknown(raw, PERSON_KEYS, where, problems)
    name = _text(raw, "name", where, problems, required=True)
    bsn = _text(raw, "bsn", where, problems)
    if bsn:
        try:
            bsn = validators.normalise_bsn(bsn)
        except ValueError:
            problems.add(f"{where}.bsn", "is not a valid BSN (11-proef)")
    source = _text(raw, "bsn_source", where, problems) or BsnSource.OFFICE.value
    if source not in {s.value for s in BsnSource}:
        problems.add(f"{where}.bsn_source", "must be office or typed")
        source = BsnSource.OFFICE.value
    birth = _text(raw, "birth_date", where, problems)
    if birth:
        try:
            date.fromisoformat(birth)
        except ValueError:
            problems.add(f"{where}.birth_date", "must be a date as YYYY-MM-DD")
    phone = _checked(raw, "phone", validators.normalise_phone, where, problems)
    email = _checked(raw, "email", validators.normalise_email, where, problems)
    address = Address()
    raw_address = raw.get("address", {})
    if not isinstance(raw_address, dict):
        problems.add(f"{where}.address", "must be an object")
    else:
        _unknown(raw_address, ADDRESS_KEYS, f"{where}.address", problems)
        address = Address(
            street=_text(raw_address, "street", f"{where}.address", problems),
            postcode=_checked(
                raw_address, "postcode", validators.normalise_postcode, f"{where}.address", problems
            ),
            city=_text(raw_address, "city", f"{where}.address", problems),
        )
    return Person(name, bsn, BsnSource(source), birth, phone, email, address)


def _checked(
    raw: dict[str, Any], key: str, check: Callable[[str], str], where: str, problems: _Problems
) -> str:
    value = _text(raw, key, where, problems)
    if not value:
        return ""
    try:
        return check(value)
    except ValueError as exc:
        problems.add(f"{where}.{key}", str(exc))
        return value


def _validate_answers(
    raw: object, form: Form, where: str, problems: _Problems
) -> dict[str, object]:
    if not isinstance(raw, dict):
        problems.add(where, "must be an object of question id to answer")
        return {}
    answers: dict[str, object] = {}
    for question_id, value in raw.items():
        question = form.question(question_id)
        if question is None:
            problems.add(
                f"{where}.{question_id}", f"no such question in form {form.id} {form.version}"
            )
            continue
        try:
            stored = coerce(question, value)
        except InvalidAnswer as exc:
            problems.add(f"{where}.{question_id}", str(exc.params.get("message", exc)))
            continue
        if not is_empty(stored):
            answers[question_id] = stored
    return answers


def build_export(
    case: Case,
    conversation: dict[str, Any] | None,
    answers: dict[str, object],
    form: Form | None,
    plan: dict[str, Any] | None,
    documents: list[dict[str, Any]],
    access_log: list[LogLine],
) -> dict[str, Any]:
    labelled = []
    for question_id, value in answers.items():
        question = form.question(question_id) if form else None
        labelled.append(
            {
                "question": question_id,
                "label": question.label.nl if question else "",
                "answer": value,
            }
        )
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_by": f"Kitchentable {__version__}",
        "case": {
            "id": case.id,
            "external_id": case.external_id,
            "melding_date": case.melding_date.isoformat(),
            "deadline": case.deadline.isoformat(),
            "status": case.status.value,
            "kind": case.kind,
            "notes": case.notes,
            "created_at": case.created_at,
            "updated_at": case.updated_at,
        },
        "person": {**asdict(case.person), "bsn_source": case.person.bsn_source.value},
        "form": {"id": form.id, "version": form.version, "sha256": form.sha256} if form else None,
        "conversation": {"id": conversation["id"], "started_at": conversation["started_at"]}
        if conversation
        else None,
        "answers": labelled,
        "plan": plan,
        "documents": [
            {
                "id": d["id"],
                "kind": d["kind"],
                "created_at": d["created_at"],
                "content_base64": base64.b64encode(d["content"]).decode("ascii"),
            }
            for d in documents
        ],
        "access_log": [asdict(line) for line in access_log],
    }
