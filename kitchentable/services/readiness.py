"""Whether a plan may be sealed, and if not, each thing to do first, with where to do it.

Owns the sealing gate: every required legal topic met (a duty done, or today its reason given),
no question in error (a required question empty, an answer a rule refuses), for a gezinsplan
every consent complete under the age rule of Jeugdwet art. 7.3.4, the inhabitant's reaction
recorded and the place of signing filled in. Each problem becomes one SealBlocker: a sentence
in the current language and the section and question (or plan page field) to jump to. Never
stores anything and never decides about signatures (domain.plan does).
"""

from __future__ import annotations

from kitchentable.domain.consent import Party, consent_problems, required_parties
from kitchentable.domain.plan import SupportPlan
from kitchentable.errors import SealBlocker
from kitchentable.formengine.model import Form, LegalTopic, Question
from kitchentable.formengine.session import ConversationState, is_empty
from kitchentable.i18n import _
from kitchentable.render.plan_builder import HOUSEHOLD, YOUTH_CONSENT, consenters, household


def seal_blockers(form: Form, state: ConversationState, plan: SupportPlan) -> list[SealBlocker]:
    blockers = _topics(form, state)
    # A question tagged with an open topic is reported once, as that topic's sentence.
    open_ids = {t.id for t in state.open_topics()}
    blockers += _errors(
        form, state, skip={q.id for q in form.questions() if open_ids & _topics_of(q)}
    )
    if form.kind == "jeugd":
        blockers += _consents(form, plan)
    if not plan.reaction.given:
        blockers.append(
            SealBlocker(
                "reaction",
                _("Record the reaction: does the family agree with the plan or not?")
                if form.kind == "jeugd"
                else _("Record the inhabitant's reaction: do they agree with the report or not?"),
            )
        )
    if not plan.place.strip():
        blockers.append(SealBlocker("place", _("Fill in the place of signing.")))
    return blockers


def _topics_of(question: Question) -> set[str]:
    return {*question.legal_topics, *(t for f in question.questions for t in f.legal_topics)}


def _where(form: Form, state: ConversationState, topic: LegalTopic) -> Question | None:
    """The question to jump to for an open topic: the first visible tagged one still empty,
    else the first visible tagged one, else the first tagged one."""
    tagged = [q for q in form.questions() if topic.id in _topics_of(q)]
    visible = [q for q in tagged if state.visible(q)]
    empty = [q for q in visible if is_empty(state.value(q.id))]
    return next(iter(empty or visible or tagged), None)


def _topics(form: Form, state: ConversationState) -> list[SealBlocker]:
    blockers = []
    for topic in state.open_topics():
        question = _where(form, state, topic)
        section = form.section_of(question.id) if question is not None else None
        blockers.append(
            SealBlocker(
                "topic",
                _("Not done yet: {topic} ({article}).").format(
                    topic=topic.label, article=topic.article
                ),
                section.id if section else "",
                question.id if question else "",
            )
        )
    return blockers


def _errors(form: Form, state: ConversationState, skip: set[str]) -> list[SealBlocker]:
    blockers = []
    for key, message in state.errors().items():
        question_id, _sep, rest = key.partition("[")
        if question_id in skip:
            continue
        question = form.question(question_id)
        section = form.section_of(question_id)
        if question is None or section is None:
            continue
        label, item, field_id = str(question.label), 0, ""
        if rest:  # "3].field" inside a group
            index, _sep, field_id = rest.partition("].")
            item = int(index)
            field = question.field(field_id)
            label = f"{question.item_label or question.label} {item + 1} › " + (
                str(field.label) if field else field_id
            )
        blockers.append(
            SealBlocker(
                "question",
                _("{section} › {question}: {message}").format(
                    section=section.title, question=label, message=message
                ),
                section.id,
                question_id,
                item,
                field_id,
            )
        )
    return blockers


def _consents(form: Form, plan: SupportPlan) -> list[SealBlocker]:
    age, youth, parents = consenters(form, plan.entries)
    purposes = {o.value: str(o.label) for q in form.questions() for o in q.options}
    household = next((q for q in form.questions() if q.plan == HOUSEHOLD), None)
    youth_question = next((q for q in form.questions() if q.plan == YOUTH_CONSENT), None)
    blockers = []
    for problem in consent_problems(age, youth, parents):
        needed = required_parties(problem.age)
        if needed == {Party.YOUTH, Party.PARENTS}:
            who = _("the young person and the parents with parental authority")
        elif Party.PARENTS in needed:
            who = _("the parents with parental authority")
        else:
            who = _("the young person")
        if problem.no_parent:
            text = _(
                "Consent for ‘{purpose}’: a young person of {age} needs the consent of {who}, "
                "but no parent with parental authority is recorded in the household."
            )
        else:
            text = _(
                "Consent for ‘{purpose}’ does not count: for a young person of {age}, {who} "
                "must all consent (Jeugdwet art. 7.3.4). Missing: {names}. Ask them, or record "
                "that there is no consent for this purpose."
            )
        target = (
            youth_question
            if youth.name in problem.missing and youth_question is not None
            else household
        )
        section = form.section_of(target.id) if target is not None else None
        item, field_id = (
            _consent_of(form, plan, problem.missing) if target is household else (0, "")
        )
        blockers.append(
            SealBlocker(
                "consent",
                text.format(
                    purpose=purposes.get(problem.purpose, problem.purpose),
                    age=problem.age,
                    who=who,
                    names=", ".join(n or "?" for n in problem.missing),
                ),
                section.id if section else "",
                target.id if target else "",
                item,
                field_id,
            )
        )
    return blockers


def _consent_of(form: Form, plan: SupportPlan, missing: tuple[str, ...]) -> tuple[int, str]:
    """The household entry of the first parent whose consent is missing, and its consent
    field: the click goes to that parent, not to the first member of the family."""
    group = next((q for q in form.questions() if q.plan == HOUSEHOLD), None)
    consent = next((f for f in group.questions if f.plan == "consent"), None) if group else None
    names = [m.name for m in household(form, plan.entries)]
    index = next((names.index(n) for n in missing if n in names), None)
    if consent is None or index is None:
        return 0, ""
    return index, consent.id
