"""Building a SupportPlan from a conversation through the form's `plan` mapping.

Owns which answers land in the plan: every visible, answered question with a `plan` path
becomes an entry (a group keeps only the fields visible in each item); the group tagged
`plan: results` becomes the plan's results. Inside that group each field says its role by
its own `plan` tag (description, domain, level, who_what, …, motivation) or, without one,
by its shape: the choice whose options are the steps of a weighing is the level, a field
whose id names a step is that step's motivation. For a gezinsplan it also reads the young
person and the household (fields tagged name, authority, consent) to know who signs and who
consented. Pure: no storage, no PDF, no words for people.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from kitchentable.domain.consent import Consenter, Party
from kitchentable.domain.plan import (
    JeugdLevel,
    PyramidLevel,
    Reaction,
    Result,
    Signer,
    SignerRole,
    SupportPlan,
    parse_level,
)
from kitchentable.formengine.model import Form, Question, QuestionType
from kitchentable.formengine.session import ConversationState, is_empty

RESULTS = "results"
HOUSEHOLD = "household"
APPLICATION = "application"
TERM_EXTENDED_UNTIL = "term.extended_until"
YOUTH_NAME, YOUTH_AGE, YOUTH_CONSENT = "youth.name", "youth.age", "consents.youth"
LEVEL_VALUES = {level.value for level in (*PyramidLevel, *JeugdLevel)}
TEXT_ROLES = (
    "description",
    "domain",
    "who_what",
    "provider",
    "delivery",
    "start_date",
    "evaluation_date",
    "support_kind",
    "support_kind_other",
    "extent",
    "duration",
    "delivery_reasons",
    "for_whom",
    "who",
    "by_date",
    "reached_when",
    "category",
    "product",
    "unit",
    "frequency",
    "end_date",
)
BOOL_ROLES = ("pgb_plan", "pgb_management")
NUMBER_ROLES = ("volume", "budget")
ROLES = (*TEXT_ROLES, *BOOL_ROLES, *NUMBER_ROLES, "level")


def _is_level_choice(field: Question) -> bool:
    values = {o.value for o in field.options}
    return field.type == QuestionType.CHOICE and any(
        values >= {lvl.value for lvl in order} - optional
        for order, optional in (
            (PyramidLevel, {PyramidLevel.VOORLIGGENDE_VOORZIENING.value}),
            (JeugdLevel, set()),
        )
    )


def result_roles(group: Question) -> dict[str, str]:
    """field id -> role ('motivation:<level>' for motivations)."""
    roles: dict[str, str] = {}
    for field in group.questions:
        tag = (field.plan or "").split(".")[-1]
        if tag in ROLES:
            roles[field.id] = tag
        elif _is_level_choice(field):
            roles[field.id] = "level"
        elif (
            level := next((v for v in sorted(LEVEL_VALUES) if v in field.id), None)
        ) is not None and field.type in (QuestionType.TEXT, QuestionType.LONGTEXT):
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


def role_fields(group: Question) -> dict[str, Question]:
    """role -> the field that holds it (the first one), for formatting a result's values."""
    fields = {f.id: f for f in group.questions}
    found: dict[str, Question] = {}
    for field_id, role in result_roles(group).items():
        found.setdefault(role, fields[field_id])
    return found


def results_from(
    group: Question, items: list[dict[str, Any]], state: ConversationState
) -> tuple[Result, ...]:
    """Only fields visible in their item count: a stale motivation never reaches the plan."""
    roles = result_roles(group)
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
                values["level"] = parse_level(value, state.form.kind)
            elif role in BOOL_ROLES:
                values[role] = bool(value)
            elif role in NUMBER_ROLES:
                values[role] = value if isinstance(value, int | float) else None
            else:
                values[role] = str(value)
        if values.get("description"):
            results.append(Result(**values))
    return tuple(results)


def _shown_items(group: Question, items: object, state: ConversationState) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        return []
    return [
        {f.id: value for f in group.questions if not is_empty(value := state.shown_value(f, item))}
        for item in items
        if isinstance(item, dict)
    ]


def plan_entries(form: Form, state: ConversationState) -> dict[str, Any]:
    entries: dict[str, Any] = {}
    for section in form.sections:
        for question in state.visible_questions(section):
            if question.plan and question.plan != RESULTS:
                value = state.value(question.id)
                if question.type == QuestionType.GROUP:
                    value = _shown_items(question, value, state)
                if not is_empty(value):
                    entries[question.plan] = value
    return entries


def _results_group(form: Form) -> Question | None:
    return next(
        (q for q in form.questions() if q.plan == RESULTS and q.type == QuestionType.GROUP), None
    )


def _field_by_tag(group: Question, tag: str) -> Question | None:
    return next((f for f in group.questions if f.plan == tag), None)


@dataclass(frozen=True)
class Member:
    """A household member as a gezinsplan needs them: name, gezag, consents."""

    name: str
    authority: bool
    consents: frozenset[str]


def household(form: Form, entries: dict[str, Any]) -> list[Member]:
    group = next((q for q in form.questions() if q.plan == HOUSEHOLD), None)
    items = entries.get(HOUSEHOLD)
    if group is None or not isinstance(items, list):
        return []
    name = _field_by_tag(group, "name")
    authority = _field_by_tag(group, "authority")
    consent = _field_by_tag(group, "consent")
    members = []
    for item in items:
        members.append(
            Member(
                name=str(item.get(name.id, "")) if name else "",
                authority=bool(item.get(authority.id)) if authority else False,
                consents=frozenset(item.get(consent.id) or ()) if consent else frozenset(),
            )
        )
    return members


def consenters(
    form: Form, entries: dict[str, Any]
) -> tuple[int | None, Consenter, list[Consenter]]:
    """The young person's age, their consent and each parent with gezag's, for art. 7.3.4."""
    age = entries.get(YOUTH_AGE)
    youth = Consenter(
        str(entries.get(YOUTH_NAME, "")),
        Party.YOUTH,
        frozenset(entries.get(YOUTH_CONSENT) or ()),
    )
    parents = [
        Consenter(m.name, Party.PARENTS, m.consents)
        for m in household(form, entries)
        if m.authority
    ]
    return (age if isinstance(age, int) and not isinstance(age, bool) else None), youth, parents


def signers_for(form: Form, entries: dict[str, Any]) -> tuple[Signer, ...]:
    """A gezinsplan: the young person and each parent with gezag; then the consultant."""
    if form.kind != "jeugd":
        return ()
    family = [Signer("youth", SignerRole.YOUTH, str(entries.get(YOUTH_NAME, "")))]
    family += [
        Signer(f"parent-{number}", SignerRole.PARENT, member.name)
        for number, member in enumerate(
            (m for m in household(form, entries) if m.authority), start=1
        )
    ]
    return (*family, Signer(SignerRole.CONSULTANT.value, SignerRole.CONSULTANT))


def term_extension(form: Form, state: ConversationState) -> date | None:
    """The agreed end of an extended investigation term, when the conversation records one."""
    question = next((q for q in form.questions() if q.plan == TERM_EXTENDED_UNTIL), None)
    value = state.value(question.id) if question is not None else None
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def build_plan(
    form: Form,
    state: ConversationState,
    case_id: str,
    language: str,
    previous: SupportPlan | None = None,
) -> SupportPlan:
    """A fresh draft from the conversation; remarks and place survive a rebuild, and so do
    signatures as long as the content they confirm is unchanged."""
    group = _results_group(form)
    items = state.value(group.id) if group is not None else None
    results = (
        results_from(group, items, state) if group is not None and isinstance(items, list) else ()
    )
    entries = plan_entries(form, state)
    plan = SupportPlan(
        document_id=previous.document_id if previous else str(uuid.uuid4()),
        case_id=case_id,
        form_id=form.id,
        form_version=form.version,
        language=language,
        entries=entries,
        results=results,
        reaction=previous.reaction if previous else Reaction(),
        application=bool(entries.get(APPLICATION)),
        signatures=(),  # any change to the content asks for new signatures
        place=previous.place if previous else "",
        signers=signers_for(form, entries),
        kind=form.kind,
        open_topics=tuple(t.id for t in state.open_topics(required_only=False)),
    )
    if previous is not None and previous.content() == plan.content():
        return replace(previous, language=language)
    return plan
