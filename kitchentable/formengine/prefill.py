"""First answers a form asks to be filled in for the consultant (the question's `prefill`).

Owns turning the sources a conversation has when it first opens (its date, the consultant's
name, role and team, the kind of conversation the office assigned) into answers for the
questions that ask for them. An answer already given is never replaced; a source that is
empty, or a value the question cannot take, fills nothing. Never stores anything (services
do) and never decides when a conversation counts as first opened.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from kitchentable.errors import InvalidAnswer
from kitchentable.formengine.coercion import coerce, is_empty
from kitchentable.formengine.model import Form, Prefill


def prefill_sources(
    conversation_date: date, consultant: str, role: str, team: str, case_kind: str
) -> dict[Prefill, str]:
    return {
        Prefill.CONVERSATION_DATE: conversation_date.isoformat(),
        Prefill.CONSULTANT: consultant.strip(),
        Prefill.CONSULTANT_AND_ROLE: ", ".join(p for p in (consultant.strip(), role.strip()) if p),
        Prefill.TEAM: team.strip(),
        Prefill.CASE_KIND: case_kind.strip(),
    }


def prefilled(
    form: Form, answers: Mapping[str, object], sources: Mapping[Prefill, str], today: date
) -> dict[str, object]:
    """question id -> stored value, for each empty question with a prefill that has one."""
    found: dict[str, object] = {}
    for question in form.questions():
        if question.prefill is None or not is_empty(answers.get(question.id)):
            continue
        try:
            value = coerce(question, sources.get(question.prefill, ""), today)
        except InvalidAnswer:
            continue  # e.g. a kind of conversation the form does not offer
        if value is not None:
            found[question.id] = value
    return found
