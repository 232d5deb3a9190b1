"""Reading and writing cases, persons, conversations, answers, plans and documents.

Owns the mapping between domain objects and rows: which columns stay plaintext (ids, dates,
status, versions, sync state) and what goes into the sealed `data` column; the blind-index
tokens for search are search_index's. Every write bumps the row's version, which is part
of the sealed value's associated data. Never decides what is allowed (services and domain do) and never logs.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from datetime import date
from typing import Any

import sqlite_utils

from kitchentable.domain.case import Address, BsnSource, Case, CaseStatus, Person, deadline_for
from kitchentable.errors import NotFound, TamperedRecord
from kitchentable.storage.database import now_iso
from kitchentable.storage.keys import VaultKeys
from kitchentable.storage.sealed_rows import (
    answer_id,
    answer_ids,
    answer_parent,
    document_parent,
    person_parent,
    plan_parent,
)
from kitchentable.storage.search_index import SearchIndex


class Repository:
    """All row access for one unlocked profile."""

    def __init__(self, db: sqlite_utils.Database, keys: VaultKeys) -> None:
        self.db = db
        self.keys = keys
        self.index = SearchIndex(db, keys)

    # -- cases and persons --------------------------------------------------------------
    def create_case(
        self,
        *,
        external_id: str,
        melding_date: date,
        form_id: str,
        form_version: str,
        person: Person,
        notes: str = "",
        kind: str = "",
        origin: str = "local",
        case_id: str | None = None,
    ) -> str:
        case_id = case_id or str(uuid.uuid4())
        stamp = now_iso()
        person_id = str(uuid.uuid4())
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO cases(id, external_id, form_id, form_version, melding_date, deadline, "
                "status, origin, created_at, updated_at, version, sync_state, server_version, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'local', 0, ?)",
                [
                    case_id,
                    external_id,
                    form_id,
                    form_version,
                    melding_date.isoformat(),
                    deadline_for(melding_date).isoformat(),
                    CaseStatus.NEW.value,
                    origin,
                    stamp,
                    stamp,
                    self.keys.seal("cases", case_id, 1, {"notes": notes, "kind": kind}),
                ],
            )
            self.db.execute(
                "INSERT INTO persons(id, case_id, role, version, updated_at, data) "
                "VALUES (?, ?, 'inhabitant', 1, ?, ?)",
                [
                    person_id,
                    case_id,
                    stamp,
                    self.keys.seal(
                        "persons",
                        person_id,
                        1,
                        _person_dict(person),
                        person_parent(case_id, "inhabitant"),
                    ),
                ],
            )
            self.index.person(case_id, person)
        return case_id

    def update_person(self, case_id: str, person: Person) -> None:
        row = self._one(
            "SELECT id, version, role FROM persons WHERE case_id = ?", case_id, "person"
        )
        version = row["version"] + 1
        with self.db.atomic():
            self.db.execute(
                "UPDATE persons SET version = ?, updated_at = ?, data = ? WHERE id = ?",
                [
                    version,
                    now_iso(),
                    self.keys.seal(
                        "persons",
                        row["id"],
                        version,
                        _person_dict(person),
                        person_parent(case_id, row["role"]),
                    ),
                    row["id"],
                ],
            )
            self.index.person(case_id, person)
            self.touch_case(case_id)

    def _one(self, sql: str, key: str, what: str) -> dict[str, Any]:
        cursor = self.db.execute(sql, [key])
        row = cursor.fetchone()
        if row is None:
            raise NotFound(what=what, key=key)
        return dict(zip([c[0] for c in cursor.description], row, strict=True))

    def resolve_case(self, reference: str) -> str:
        """A case id from its id or its external id (melding number)."""
        row = self.db.execute(
            "SELECT id FROM cases WHERE id = ? OR external_id = ?", [reference, reference]
        ).fetchone()
        if row is None:
            raise NotFound(what="case", key=reference)
        return str(row[0])

    def external_id_exists(self, external_id: str) -> bool:
        return (
            self.db.execute("SELECT 1 FROM cases WHERE external_id = ?", [external_id]).fetchone()
            is not None
        )

    def status(self, case_id: str) -> CaseStatus:
        """A case's status alone (a plaintext column: nothing is opened)."""
        row = self.db.execute("SELECT status FROM cases WHERE id = ?", [case_id]).fetchone()
        if row is None:
            raise NotFound(what="case", key=case_id)
        return CaseStatus(row[0])

    def get_case(self, case_id: str) -> Case:
        row = self._one("SELECT * FROM cases WHERE id = ?", case_id, "case")
        person_row = self._one("SELECT * FROM persons WHERE case_id = ?", case_id, "person")
        return self._case(row, person_row)

    def _case(self, row: dict[str, Any], person_row: dict[str, Any]) -> Case:
        data = self.keys.open("cases", row["id"], row["version"], row["data"])
        person = _person_from(
            self.keys.open(
                "persons",
                person_row["id"],
                person_row["version"],
                person_row["data"],
                person_parent(person_row["case_id"], person_row["role"]),
            )
        )
        return Case(
            id=row["id"],
            external_id=row["external_id"],
            melding_date=date.fromisoformat(row["melding_date"]),
            deadline=date.fromisoformat(row["deadline"]),
            status=CaseStatus(row["status"]),
            form_id=row["form_id"],
            form_version=row["form_version"],
            origin=row["origin"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            version=row["version"],
            sync_state=row["sync_state"],
            person=person,
            notes=data.get("notes", ""),
            kind=data.get("kind", ""),
        )

    def list_people(self, case_ids: set[str] | None = None) -> list[tuple[dict[str, Any], Person]]:
        """Plaintext case columns with the inhabitant, for lists: the case's own sealed data
        (notes) is not opened, and only the persons of `case_ids` when given."""
        where, params = "", []
        if case_ids is not None:
            where = "WHERE c.id IN (SELECT value FROM json_each(?)) "
            params.append(json.dumps(sorted(case_ids)))
        sql = (
            "SELECT c.id, c.external_id, c.melding_date, c.deadline, c.status, c.updated_at, "
            "c.sync_state, p.id, p.version, p.data, p.role "
            "FROM cases c JOIN persons p ON p.case_id = c.id AND p.role = 'inhabitant' "
        )
        # `where` is one of two constants; the ids travel as a parameter.
        cursor = self.db.execute(sql + where + "ORDER BY c.deadline, c.external_id", params)
        names = [
            "id",
            "external_id",
            "melding_date",
            "deadline",
            "status",
            "updated_at",
            "sync_state",
        ]
        return [
            (
                dict(zip(names, row[:7], strict=True)),
                _person_from(
                    self.keys.open(
                        "persons", row[7], row[8], row[9], person_parent(row[0], row[10])
                    )
                ),
            )
            for row in cursor
        ]

    def reindex_search(self) -> None:
        """Recompute every blind-index token (after a new data key). Caller holds atomic()."""
        for row, person in self.list_people():
            self.index.person(row["id"], person)

    def search(self, text: str) -> set[str]:
        """Case ids whose name (every word), BSN or postcode matches, via the blind index."""
        return self.index.search(text)

    # Any change to what a case holds makes a case the office has ('synced') one with work
    # to send ('pending'); the sync client looks only at cases that are not 'synced'.
    _DIRTY = "sync_state = CASE sync_state WHEN 'synced' THEN 'pending' ELSE sync_state END"

    def set_status(self, case_id: str, status: CaseStatus) -> None:
        self.db.execute(
            f"UPDATE cases SET status = ?, updated_at = ?, {self._DIRTY} WHERE id = ?",  # noqa: S608
            [status.value, now_iso(), case_id],
        )

    def set_deadline(self, case_id: str, deadline: date) -> None:
        """The investigation term's end: six weeks after the melding, or an agreed extension."""
        self.db.execute(
            f"UPDATE cases SET deadline = ?, updated_at = ?, {self._DIRTY} WHERE id = ?",  # noqa: S608
            [deadline.isoformat(), now_iso(), case_id],
        )

    def touch_case(self, case_id: str) -> None:
        self.db.execute(
            f"UPDATE cases SET updated_at = ?, {self._DIRTY} WHERE id = ?",  # noqa: S608
            [now_iso(), case_id],
        )

    def content_stamp(self, case_id: str) -> str:
        """A cheap fingerprint of everything a case holds: the plaintext columns and the
        version of every sealed row (each write bumps its row's version). Equal stamps mean
        unchanged content, without opening anything (sync compares it to skip rebuilding a
        snapshot)."""
        row = self.db.execute(
            "SELECT c.version, c.status, c.external_id, c.melding_date, c.deadline, "
            "c.form_id, c.form_version, "
            "(SELECT group_concat(p.id || ':' || p.version) FROM persons p "
            "WHERE p.case_id = c.id), "
            "(SELECT group_concat(v.id || ':' || v.version) FROM conversations v "
            "WHERE v.case_id = c.id), "
            "(SELECT group_concat(l.id || ':' || l.version) FROM plans l WHERE l.case_id = c.id) "
            "FROM cases c WHERE c.id = ?",
            [case_id],
        ).fetchone()
        return "" if row is None else "|".join(str(part) for part in row)

    def set_sync_state(self, case_id: str, state: str) -> None:
        """local | pending | synced | conflict (the sync client's bookkeeping)."""
        self.db.execute("UPDATE cases SET sync_state = ? WHERE id = ?", [state, case_id])

    # -- conversations and answers -------------------------------------------------------
    def conversation_for(self, case_id: str) -> dict[str, Any] | None:
        cursor = self.db.execute(
            "SELECT * FROM conversations WHERE case_id = ? ORDER BY started_at DESC LIMIT 1",
            [case_id],
        )
        row = cursor.fetchone()
        return dict(zip([c[0] for c in cursor.description], row, strict=True)) if row else None

    def start_conversation(
        self, case_id: str, form_id: str, form_version: str, form_sha256: str
    ) -> str:
        conversation_id = str(uuid.uuid4())
        stamp = now_iso()
        self.db.execute(
            "INSERT INTO conversations(id, case_id, form_id, form_version, form_sha256, started_at, "
            "updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
            [conversation_id, case_id, form_id, form_version, form_sha256, stamp, stamp],
        )
        return conversation_id

    def _conversation_case(self, conversation_id: str) -> str:
        return str(
            self._one(
                "SELECT case_id FROM conversations WHERE id = ?", conversation_id, "conversation"
            )["case_id"]
        )

    def save_answer(self, conversation_id: str, question_id: str, value: object) -> int:
        """Store one answer (None removes it); returns the new version. Caller holds atomic()."""
        row_id = answer_id(self.keys, conversation_id, question_id)
        row = self.db.execute("SELECT version FROM answers WHERE id = ?", [row_id]).fetchone()
        version = (row[0] if row else 0) + 1
        stamp = now_iso()
        parent = answer_parent(self._conversation_case(conversation_id), conversation_id)
        sealed = self.keys.seal("answers", row_id, version, {"q": question_id, "v": value}, parent)
        self.db.execute(
            "INSERT INTO answers(id, conversation_id, version, updated_at, data) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET version = excluded.version, "
            "updated_at = excluded.updated_at, data = excluded.data",
            [row_id, conversation_id, version, stamp, sealed],
        )
        self.db.execute(
            "UPDATE conversations SET updated_at = ?, version = version + 1 WHERE id = ?",
            [stamp, conversation_id],
        )
        self.db.execute(
            f"UPDATE cases SET {self._DIRTY} "  # noqa: S608
            "WHERE id = (SELECT case_id FROM conversations WHERE id = ?)",
            [conversation_id],
        )
        return version

    def answers(self, conversation_id: str) -> dict[str, object]:
        result: dict[str, object] = {}
        parent = answer_parent(self._conversation_case(conversation_id), conversation_id)
        id_of = answer_ids(self.keys, conversation_id)
        for row_id, version, data in self.db.execute(
            "SELECT id, version, data FROM answers WHERE conversation_id = ?", [conversation_id]
        ):
            opened = self.keys.open("answers", row_id, version, data, parent)
            # The row id is a keyed hash of (conversation, question): an answer whose id does
            # not match the question inside its seal was put there by someone without the key.
            if id_of(opened.get("q", "")) != row_id:
                raise TamperedRecord(table="answers", row=row_id)
            if opened.get("v") is not None:
                result[opened["q"]] = opened["v"]
        return result

    # -- plan and documents (sealed blobs) ---------------------------------------------------
    def put_plan(self, case_id: str, plan: dict[str, Any]) -> int:
        row = self.db.execute(
            "SELECT id, version FROM plans WHERE case_id = ?", [case_id]
        ).fetchone()
        plan_id, version = (row[0], row[1] + 1) if row else (str(uuid.uuid4()), 1)
        self.db.execute(
            "INSERT INTO plans(id, case_id, version, updated_at, data) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET version = excluded.version, "
            "updated_at = excluded.updated_at, data = excluded.data",
            [
                plan_id,
                case_id,
                version,
                now_iso(),
                self.keys.seal("plans", plan_id, version, plan, plan_parent(case_id)),
            ],
        )
        self.db.execute(f"UPDATE cases SET {self._DIRTY} WHERE id = ?", [case_id])  # noqa: S608
        return version

    def get_plan(self, case_id: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT id, version, data FROM plans WHERE case_id = ?", [case_id]
        ).fetchone()
        if row is None:
            return None
        return self.keys.open("plans", row[0], row[1], row[2], plan_parent(case_id))  # type: ignore[no-any-return]

    def put_document(self, case_id: str, kind: str, content: bytes) -> str:
        document_id = str(uuid.uuid4())
        self.db.execute(
            "INSERT INTO documents(id, case_id, kind, created_at, version, size, data) "
            "VALUES (?, ?, ?, ?, 1, ?, ?)",
            [
                document_id,
                case_id,
                kind,
                now_iso(),
                len(content),
                self.keys.seal_bytes(
                    "documents", document_id, 1, content, document_parent(case_id, kind)
                ),
            ],
        )
        return document_id

    def replace_document(self, document_id: str, content: bytes) -> None:
        """New content for a document (a sealed plan that got the office's time-stamp): a new
        version, sealed as such, so the old sealed value cannot be put back unnoticed."""
        row = self._one(
            "SELECT id, case_id, kind, version FROM documents WHERE id = ?", document_id, "document"
        )
        version = int(row["version"]) + 1
        parent = document_parent(row["case_id"], row["kind"])
        self.db.execute(
            "UPDATE documents SET version = ?, size = ?, data = ? WHERE id = ?",
            [
                version,
                len(content),
                self.keys.seal_bytes("documents", document_id, version, content, parent),
                document_id,
            ],
        )

    def documents(self, case_id: str) -> list[dict[str, Any]]:
        cursor = self.db.execute(
            "SELECT id, kind, created_at, size FROM documents WHERE case_id = ? ORDER BY created_at",
            [case_id],
        )
        return [dict(zip([c[0] for c in cursor.description], r, strict=True)) for r in cursor]

    def delete_case(self, case_id: str) -> None:
        """Remove a case and everything about it (retention after sync). Caller holds atomic();
        secure_delete zeroes the freed pages."""
        conversations = [
            row[0]
            for row in self.db.execute("SELECT id FROM conversations WHERE case_id = ?", [case_id])
        ]
        for conversation_id in conversations:
            self.db.execute("DELETE FROM answers WHERE conversation_id = ?", [conversation_id])
        for table in ("conversations", "plans", "documents", "persons", "search_index"):
            self.db.execute(f"DELETE FROM {table} WHERE case_id = ?", [case_id])  # noqa: S608
        for table in ("sync_cases", "sync_conflicts", "positions"):
            self.db.execute(f"DELETE FROM {table} WHERE case_id = ?", [case_id])  # noqa: S608
        self.db.execute("DELETE FROM cases WHERE id = ?", [case_id])

    def get_document(self, document_id: str) -> bytes:
        row = self._one(
            "SELECT id, case_id, kind, version, data FROM documents WHERE id = ?",
            document_id,
            "document",
        )
        return self.keys.open_bytes(
            "documents",
            row["id"],
            row["version"],
            row["data"],
            document_parent(row["case_id"], row["kind"]),
        )


def _person_dict(person: Person) -> dict[str, Any]:
    data = asdict(person)
    data["bsn_source"] = person.bsn_source.value
    return data


def _person_from(data: dict[str, Any]) -> Person:
    address = Address(**data.get("address", {}))
    return Person(
        name=data["name"],
        bsn=data.get("bsn", ""),
        bsn_source=BsnSource(data.get("bsn_source", "typed")),
        birth_date=data.get("birth_date", ""),
        phone=data.get("phone", ""),
        email=data.get("email", ""),
        address=address,
    )
