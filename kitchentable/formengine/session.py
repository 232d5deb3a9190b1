"""The live state of one conversation: answers applied to a form, kept up to date per change.

Owns the stored answers of one conversation and the public questions about them (visible,
required, question_error, errors, open_topics, progress, value, env…), answered from caches.
An answer change re-evaluates only what reads it, transitively (formengine.graph says what
that is; formengine.skiplogic settles hidden answers; formengine.status keeps each part), and
returns a `Changes` report so the screen touches only what changed. Pure and in memory: it
never reads or writes storage (services do), so the UI can ask it on every keystroke.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from types import MappingProxyType

from kitchentable.errors import InvalidAnswer
from kitchentable.formengine.changes import Changes, Progress
from kitchentable.formengine.coercion import coerce, is_empty
from kitchentable.formengine.expressions import EvaluationError, Expression
from kitchentable.formengine.graph import graph_of
from kitchentable.formengine.model import Form, LegalTopic, Question, QuestionType, Section
from kitchentable.formengine.skiplogic import SkipLogic
from kitchentable.formengine.status import ItemScope, Message, Status, same
from kitchentable.i18n import _

__all__ = ["Changes", "ConversationState", "Progress", "coerce", "is_empty"]

_MISSING = object()


class ConversationState:
    """Answers applied to a form. `answers` maps top-level question ids to stored values."""

    def __init__(
        self, form: Form, answers: Mapping[str, object], today: date | None = None
    ) -> None:
        self.form = form
        self.graph = graph_of(form)
        self._answers: dict[str, object] = dict(answers)
        self.answers: Mapping[str, object] = MappingProxyType(self._answers)
        self.evaluations = 0  # expressions run so far: tests check that a change stays local
        self.today = today or date.today()

    @property
    def today(self) -> date:
        return self._today

    @today.setter
    def today(self, value: date) -> None:
        """A new date changes what `today` means in every rule: everything is worked out again."""
        self._today = value
        self._today_iso = value.isoformat()
        self._skip = SkipLogic(self.graph, self._answers, self._run)
        self._env = {k: v for k, v in self._answers.items() if self._skip.counts(k)}
        self._status = Status(self.graph, self._env, self._answers, self._run)

    def _run(self, expression: Expression, scope: object, default: object) -> object:
        self.evaluations += 1
        try:
            return expression.run(scope, self._today_iso)  # type: ignore[arg-type]
        except EvaluationError:
            return default

    # -- values --------------------------------------------------------------------------
    def set(self, question_id: str, value: object) -> object:
        """Coerce and apply one answer; returns the stored value (None clears it)."""
        return self.apply(question_id, value).stored

    def apply(self, question_id: str, value: object) -> Changes:
        """Coerce and apply one answer; the report says what it changed on screen."""
        question = self.form.question(question_id)
        if question is None:
            raise InvalidAnswer(
                question=question_id, message=_("This question is not in the form.")
            )
        stored = coerce(question, value, self.today)
        before = self._answers.get(question_id, _MISSING)
        if stored is None:
            self._answers.pop(question_id, None)
        else:
            self._answers[question_id] = stored
        if same(before, self._answers.get(question_id, _MISSING)):
            return Changes(stored=stored)
        names = set()
        for name in {question_id} | self._skip.update(question_id):
            old = self._env.get(name, _MISSING)
            if self._skip.counts(name):
                self._env[name] = self._answers[name]
            else:
                self._env.pop(name, None)
            if not same(old, self._env.get(name, _MISSING)):
                names.add(name)
        return replace(self._status.apply(names, question_id), stored=stored)

    def env(self) -> dict[str, object]:
        """Answers plus computed values, as expressions see them: an answer hidden by skip
        logic is not there (formengine.skiplogic explains the rule)."""
        return self._env

    def shown_value(self, question: Question, item: Mapping[str, object]) -> object:
        """A group field's value as the plan may use it: None when the field is hidden."""
        return item.get(question.id) if self.visible(question, item) else None

    def value(self, question_id: str) -> object:
        return self._env.get(question_id)

    def _ours(self, question: Question) -> bool:
        return self.graph.questions.get(question.id) is question

    # -- skip logic and rules --------------------------------------------------------------
    def section_visible(self, section: Section) -> bool:
        if self.graph.sections.get(section.id) is section:
            return self._status.sections[section.id]
        return section.visible_if is None or bool(self._run(section.visible_if, self._env, False))

    def visible(self, question: Question, item: Mapping[str, object] | None = None) -> bool:
        if item is None and self._ours(question):
            return self._status.questions[question.id].visible
        if item is None:
            section = self.form.section_of(question.id)
            if section is not None and not self.section_visible(section):
                return False
        if question.visible_if is None:
            return True
        return bool(self._run(question.visible_if, self._scope(item), False))

    def required(self, question: Question, item: Mapping[str, object] | None = None) -> bool:
        if item is None and self._ours(question):
            return self._status.questions[question.id].required
        if isinstance(question.required, Expression):
            return bool(self._run(question.required, self._scope(item), False))
        return question.required

    def _scope(self, item: Mapping[str, object] | None) -> ItemScope | dict[str, object]:
        return ItemScope(item, self._env) if item is not None else self._env

    def visible_questions(self, section: Section) -> list[Question]:
        if not self.section_visible(section):
            return []
        return [q for q in section.questions if self.visible(q)]

    def question_error(
        self, question: Question, item: Mapping[str, object] | None = None
    ) -> str | None:
        """The message to show under a visible question, or None when it is fine."""
        if item is None and self._ours(question):
            return self._text(self._status.message(question.id), question)
        scope = self._scope(item)
        value = scope.get(question.id)
        own = self._status.own_message(question, scope, value, self.required(question, item))
        return self._text(own, question)

    def _text(self, message: Message | None, question: Question) -> str | None:
        match message:
            case None:
                return None
            case ("required", _):
                return _("This question is required.")
            case ("min_items", n):
                return _("At least {n} entries.").format(n=n)
            case ("rule", rule_id):
                return str(self.graph.rules[str(rule_id)].message)
            case ("filtered", _):
                return _("This product is not in the chosen category. Choose one of that category.")
        return str(question.message) if question.message else _("This answer is not valid.")

    def errors(self) -> dict[str, str]:
        """Messages for every visible question, keyed 'id' or 'group[index].field'; a broken
        form rule whose questions are all hidden is keyed 'rules.<rule id>'."""
        found: dict[str, str] = {}
        for section in self.form.sections:
            for question in self.visible_questions(section):
                message = self.question_error(question)
                if message:
                    found[question.id] = message
                if question.type == QuestionType.GROUP:
                    found.update(self.group_errors(question))
        for rule_id, broken in self._status.broken.items():
            rule = self.graph.rules[rule_id]
            if broken and not any(self.visible(self.graph.questions[q]) for q in rule.questions):
                found[f"rules.{rule_id}"] = str(rule.message)
        return found

    def group_errors(self, group: Question) -> dict[str, str]:
        found: dict[str, str] = {}
        for index, item in enumerate(self._status.group_items(group.id)):
            for field in group.questions:
                if self.visible(field, item):
                    message = self.question_error(field, item)
                    if message:
                        found[f"{group.id}[{index}].{field.id}"] = message
        return found

    def broken_rules(self) -> list[str]:
        return [rule_id for rule_id, broken in self._status.broken.items() if broken]

    # -- legal topics and progress ---------------------------------------------------------
    def topic_open(self, topic: LegalTopic) -> bool:
        """With met_if: open until it holds. Otherwise open until a visible tagged question is
        answered and no visible required one is empty (a group field once per item)."""
        return self._status.open[topic.id]

    def open_topics(self, required_only: bool = True) -> list[LegalTopic]:
        return [
            t
            for t in self.form.legal_topics
            if (t.required or not required_only) and self._status.open[t.id]
        ]

    def section_topics_open(self, section: Section) -> list[LegalTopic]:
        """Open topics tagged on a question of this section."""
        tagged = {t for q in section.questions for t in (*q.legal_topics, *_field_topics(q))}
        return [t for t in self.open_topics() if t.id in tagged]

    def closing_questions(self, topic: LegalTopic) -> list[str]:
        """The top-level questions that would close an open topic, in form order: what met_if
        reads; otherwise the visible required tagged questions still empty, or else every
        visible tagged question (a group stands for its fields)."""
        graph = self.graph
        if topic.met_if is not None:
            found = set(graph.answers_read(topic.met_if.names))
        else:
            candidates = [
                q
                for q in graph.questions.values()
                if q.type != QuestionType.COMPUTED
                and topic.id in (*q.legal_topics, *_field_topics(q))
            ]
            shown = [q for q in candidates if self.visible(q)]
            missing = [q for q in shown if self._missing_for(q, topic.id)]
            found = {q.id for q in (missing or shown or candidates)}
        return sorted(found, key=graph.position.__getitem__)

    def _missing_for(self, question: Question, topic_id: str) -> bool:
        state = self._status.questions[question.id]
        if topic_id in question.legal_topics and state.empty and state.required:
            return True
        tagged = [f.id for f in question.questions if topic_id in f.legal_topics]
        return any(
            fields[f].visible and fields[f].empty and fields[f].required
            for fields in self._status.items.get(question.id, ())
            for f in tagged
        )

    def topics_to_close_in(self, section: Section) -> list[LegalTopic]:
        """Open required topics whose closing questions are all in this section: the ones its
        mark in the section list stands for."""
        own = {q.id for q in section.questions}
        return [t for t in self.open_topics() if set(self.closing_questions(t)) <= own]

    def progress(self, section: Section) -> Progress:
        """Counts for one section; `errors` are answers that are wrong, not ones still missing."""
        if self.graph.sections.get(section.id) is section:
            return self._status.progress(section.id)
        raise ValueError(f"section {section.id!r} is not in form {self.form.id}")

    def complete(self) -> bool:
        return not self.errors() and not self.open_topics()


def _field_topics(question: Question) -> tuple[str, ...]:
    return tuple(t for field in question.questions for t in field.legal_topics)
