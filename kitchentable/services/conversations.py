"""Opening a conversation at the table: first answers filled in, and back where one was.

Owns what happens when the app opens a case's conversation: the first time on this laptop
(no position stored yet) the questions with a `prefill` get their answer from the profile
and the case, saved like any answer; afterwards the last section and field come back from
the vault. Also remembering that position. Never formats for a screen and never imports Qt;
the CLI opens conversations without any of this (a read must not write).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from kitchentable.domain.case import CaseStatus
from kitchentable.formengine.prefill import prefill_sources, prefilled
from kitchentable.services.profile import Conversation, Profile
from kitchentable.storage.positions import Positions

_EDITABLE = (CaseStatus.NEW, CaseStatus.IN_CONVERSATION, CaseStatus.PLAN_DRAFTED)


@dataclass
class Resumed:
    conversation: Conversation
    position: dict[str, Any]  # {} the first time: start at the first section


def resume_conversation(profile: Profile, reference: str, today: date | None = None) -> Resumed:
    conversation = profile.open_conversation(reference)
    positions = Positions(profile.db, profile.keys)
    case_id = conversation.case.id
    stored = positions.get(case_id)
    if stored is None and conversation.case.status in _EDITABLE:
        settings, case = profile.settings, conversation.case
        sources = prefill_sources(
            today or date.today(), settings.consultant, settings.role, settings.team, case.kind
        )
        state = conversation.state
        for question_id, value in prefilled(
            conversation.form, state.answers, sources, state.today
        ).items():
            profile.save_answer(conversation, question_id, value)
        with profile.db.atomic():
            positions.put(case_id, {})
    return Resumed(conversation, stored or {})


def remember_position(profile: Profile, case_id: str, where: dict[str, Any]) -> None:
    """Keep where the consultant is: section, question and, in a group, item and field."""
    kept = {k: where[k] for k in ("section_id", "question_id") if isinstance(where.get(k), str)}
    focus = where.get("focus")
    if isinstance(focus, dict) and isinstance(focus.get("item"), int):
        kept["focus"] = {"item": focus["item"], "field": str(focus.get("field", ""))}
    with profile.db.atomic():
        Positions(profile.db, profile.keys).put(case_id, kept)
