"""Building a SupportPlan from a conversation through the form's `plan` mapping.

Owns which answers land in the plan: every visible, answered question with a `plan` path
becomes an entry; the group tagged `plan: results` becomes the plan's results. Inside
that group each field says its role by its own `plan` tag (description, domain, level,
who_what, provider, delivery, start_date, evaluation_date, motivation) or, without one,
by its shape: the choice whose options are the pyramid steps is the level, a field whose
id names a pyramid step is that step's motivation. Pure: no storage, no PDF.
"""

from __future__ import annotations

import uuid
from typing import Any

from kitchentable.domain.plan import PyramidLevel, Reaction, Result, SupportPlan
from kitchentable.formengine.model import Form, Question, QuestionType
from kitchentable.formengine.session import ConversationState, is_empty

RESULTS = "results"
LEVEL_VALUES = {level.value for level in PyramidLevel}
ROLES = (
    "description",
    "domain",
    "level",
    "who_what",
    "provider",
    "delivery",
    "start_date",
    "evaluation_date",
)


def _roles(group: Question) -> dict[str, str]:
    """field id -> role ('motivation:<level>' for motivations)."""
    roles: dict[str, str] = {}
    for field in group.questions:
        tag = (field.plan or "").split(".")[-1]
        if tag in ROLES:
            roles[field.id] = tag
        elif field.type == QuestionType.CHOICE and {
            o.value for o in field.options
        } >= LEVEL_VALUES - {PyramidLevel.VOORLIGGENDE_VOORZIENING.value}:
            roles[field.id] = "level"
        elif (
            level := next((v for v in LEVEL_VALUES if v in field.id), None)
        ) is not None and field.type in (
            QuestionType.TEXT,
            QuestionType.LONGTEXT,
        ):
            roles[field.id] = f"motivation:{level}"
    taken = set(roles.values())
    for field in group.questions:
        if field.id in roles:
            continue
        if "description" not in taken and field.type in (QuestionType.TEXT, QuestionType.LONGTEXT):
            roles[field.id], taken = "description", taken | {"description"}
        elif "domain" not in taken and field.type == QuestionType.CHOICE:
            roles[field.id], taken = "domain", taken | {"domain"}
        elif "start_date" not in taken and field.type == QuestionType.DATE and "start" in field.id:
            roles[field.id], taken = "start_date", taken | {"start_date"}
        elif (
            "evaluation_date" not in taken
            and field.type == QuestionType.DATE
            and "evalu" in field.id
        ):
            roles[field.id], taken = "evaluation_date", taken | {"evaluation_date"}
        elif "who_what" not in taken and field.type == QuestionType.LONGTEXT:
            roles[field.id], taken = "who_what", taken | {"who_what"}
    return roles


def results_from(
    group: Question, items: list[dict[str, Any]], state: ConversationState
) -> tuple[Result, ...]:
    """Only fields visible in their item count: a stale motivation never reaches the plan."""
    roles = _roles(group)
    results = []
    for item in items:
        values: dict[str, Any] = {"motivations": {}}
        for field in group.questions:
            value = state.shown_value(field, item)
            role = roles.get(field.id)
            if role is None or is_empty(value):
                continue
            if role.startswith("motivation:"):
                values["motivations"][role.split(":", 1)[1]] = str(value)
            elif role == "level":
                values["level"] = PyramidLevel(value) if value in LEVEL_VALUES else None
            else:
                values[role] = str(value)
        if values.get("description"):
            results.append(Result(**values))
    return tuple(results)


def plan_entries(form: Form, state: ConversationState) -> dict[str, Any]:
    entries: dict[str, Any] = {}
    for section in form.sections:
        for question in state.visible_questions(section):
            if question.plan and question.plan != RESULTS:
                value = state.value(question.id)
                if not is_empty(value):
                    entries[question.plan] = value
    return entries


def build_plan(
    form: Form,
    state: ConversationState,
    case_id: str,
    language: str,
    previous: SupportPlan | None = None,
) -> SupportPlan:
    """A fresh draft from the conversation; remarks and place survive a rebuild."""
    group = next(
        (q for q in form.questions() if q.plan == RESULTS and q.type == QuestionType.GROUP), None
    )
    items = state.value(group.id) if group is not None else None
    results = (
        results_from(group, items, state) if group is not None and isinstance(items, list) else ()
    )
    application = next(
        (bool(state.value(q.id)) for q in form.questions() if q.plan == "application"), False
    )
    return SupportPlan(
        document_id=previous.document_id if previous else str(uuid.uuid4()),
        case_id=case_id,
        form_id=form.id,
        form_version=form.version,
        language=language,
        entries=plan_entries(form, state),
        results=results,
        reaction=previous.reaction if previous else Reaction(),
        application=application,
        signatures=(),  # any change to the content asks for new signatures
        place=previous.place if previous else "",
    )
