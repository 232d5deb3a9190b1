"""A case as the office sees it: the snapshot that travels, its digest, and taking one in.

Owns what a case change carries (the laptop's export format without what changes on every
read: exporter, documents, access log, `updated_at`), the digest that says whether the
office already has exactly this (SHA-256 of the canonical JSON), and making the local
conversation equal to another device's snapshot (answers only: case, person and plan follow
the conversation). Never decides by wall clock which version wins, never imports Qt.
"""

from __future__ import annotations

import hashlib
from typing import Any

from kitchentable import casefile
from kitchentable.domain.case import CaseStatus
from kitchentable.sync.errors import ServerRefused
from kitchentable.sync.model import Local
from kitchentable.sync.wire import canonical, canonical_parts, canonical_value, joined

Snapshot = dict[str, Any]
VOLATILE = ("exported_by", "documents", "access_log")


def snapshot(local: Local, case_id: str) -> Snapshot:
    """Raises a KitchentableError when the case cannot be read (say, its form is missing)."""
    repo = local.repo
    case = repo.get_case(case_id)
    conversation = repo.conversation_for(case_id)
    answers = repo.answers(conversation["id"]) if conversation else {}
    form = None
    if conversation:
        form = local.forms.get(conversation["form_id"], conversation["form_version"])
    export = casefile.build_export(
        case, conversation, answers, form, repo.get_plan(case_id), [], []
    )
    for volatile in VOLATILE:
        export.pop(volatile, None)
    export["case"].pop("updated_at", None)
    return export


def digest(value: Snapshot) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def encoded_digest(value: Snapshot) -> tuple[dict[str, bytes], str]:
    """The snapshot's canonical parts (wire.joined) and its digest, from one encoding."""
    parts = canonical_parts(value)
    return parts, hashlib.sha256(joined(parts)).hexdigest()


def payload_bytes(parts: dict[str, bytes], digest: str, office_case_id: str) -> bytes:
    """canonical() of a case change's payload ({"snapshot", "digest"}, the snapshot with the
    office's case id) from the snapshot's parts: the snapshot is not encoded again."""
    snapshot = joined({**parts, "office_case_id": canonical_value(office_case_id)})
    return joined({"digest": canonical_value(digest), "snapshot": snapshot})


def current_digest(local: Local, case_id: str) -> str:
    return digest(snapshot(local, case_id))


def same_content(local: Local, case_id: str, theirs: Snapshot) -> bool:
    """Whether a received snapshot holds what is here (the office case id aside)."""
    mine = snapshot(local, case_id)
    mine["office_case_id"] = theirs.get("office_case_id")
    return mine == theirs


def apply_snapshot(local: Local, case_id: str, theirs: Snapshot) -> None:
    """Make the local conversation equal to another device's version. Caller holds atomic()."""
    repo = local.repo
    case = repo.get_case(case_id)
    if case.status in (CaseStatus.SIGNED, CaseStatus.SYNCED):
        raise ServerRefused(message="a signed case cannot take another version.")
    conversation = repo.conversation_for(case_id)
    form_info = theirs.get("form") or {}
    if conversation is None:
        form = local.forms.get(form_info.get("id", case.form_id), form_info.get("version"))
        conversation_id = repo.start_conversation(case_id, form.id, form.version, form.sha256)
    else:
        conversation_id = conversation["id"]
    wanted = {a["question"]: a["answer"] for a in theirs.get("answers", [])}
    mine = repo.answers(conversation_id)
    for question_id in set(mine) | set(wanted):
        if mine.get(question_id) != wanted.get(question_id):
            repo.save_answer(conversation_id, question_id, wanted.get(question_id))
    if case.status == CaseStatus.NEW and wanted:
        repo.set_status(case_id, CaseStatus.IN_CONVERSATION)
    repo.touch_case(case_id)
