"""Both versions of a conflicting case, side by side, as rows a person can compare.

Owns turning two stored snapshots into what the conflicts dialog shows: per question the
label (from the form version the case uses, else the label stored with the answer) and each
side's answer in words (option labels, yes/no, lists), in the form's order, the rows that
differ marked. Plain data, built on the database thread; never imports Qt, never keeps a
case's content beyond the returned value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kitchentable.errors import KitchentableError
from kitchentable.formengine.loader import FormRegistry
from kitchentable.formengine.model import Form, Question
from kitchentable.i18n import _
from kitchentable.storage.sync_state import StoredConflict
from kitchentable.sync.snapshots import Snapshot


@dataclass(frozen=True)
class VersionRow:
    label: str
    mine: str
    theirs: str

    @property
    def differs(self) -> bool:
        return self.mine != self.theirs


@dataclass(frozen=True)
class ConflictView:
    id: str
    reference: str
    name: str
    theirs_from: str
    created_at: str
    has_theirs: bool
    rows: list[VersionRow] = field(default_factory=list)


def conflict_view(conflict: StoredConflict, forms: FormRegistry) -> ConflictView:
    mine = conflict.mine or {}
    theirs = conflict.theirs
    case = mine.get("case") or (theirs or {}).get("case") or {}
    person = mine.get("person") or (theirs or {}).get("person") or {}
    return ConflictView(
        id=conflict.id,
        reference=case.get("external_id", ""),
        name=person.get("name", ""),
        theirs_from=conflict.theirs_from or "",
        created_at=conflict.created_at or "",
        has_theirs=theirs is not None,
        rows=version_rows(forms, mine, theirs or {}),
    )


def shown(value: Any, question: Question | None = None) -> str:
    """An answer in words: '—' for nothing, Yes/No, option labels, lists joined."""
    if value is None or value in ("", []):
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(shown(v, question) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {shown(v)}" for k, v in value.items())
    if question is not None and isinstance(value, str):
        option = question.option(value)
        if option is not None:
            return str(option.label)
    return str(value)


def _form(forms: FormRegistry, mine: Snapshot, theirs: Snapshot) -> Form | None:
    info = mine.get("form") or theirs.get("form") or {}
    if not info:
        return None
    try:
        return forms.get(info["id"], info.get("version"))
    except (KitchentableError, KeyError):  # an unknown form version: stored labels will do
        return None


def version_rows(forms: FormRegistry, mine: Snapshot, theirs: Snapshot) -> list[VersionRow]:
    """One row per question either version answered, in the form's order."""
    form = _form(forms, mine, theirs)
    answers: dict[str, dict[str, Any]] = {"mine": {}, "theirs": {}}
    labels: dict[str, str] = {}
    for side, snap in (("mine", mine), ("theirs", theirs)):
        for answer in snap.get("answers") or []:
            answers[side][answer["question"]] = answer.get("answer")
            labels.setdefault(answer["question"], answer.get("label") or answer["question"])
    order = [q.id for q in form.questions()] if form is not None else []
    ids = [q for q in order if q in labels] + [q for q in labels if q not in order]
    rows = []
    for question_id in ids:
        question = form.question(question_id) if form is not None else None
        label = str(question.label) if question is not None else labels[question_id]
        rows.append(
            VersionRow(
                label,
                shown(answers["mine"].get(question_id), question),
                shown(answers["theirs"].get(question_id), question),
            )
        )
    return rows
