"""The live state of one conversation: answers applied to a form.

Owns turning typed input into stored values (coercion), skip logic, validation messages,
computed values, open legal topics and progress per section. Pure and in memory: it never
reads or writes storage (services do), so the UI can ask it on every keystroke.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from kitchentable.errors import InvalidAnswer
from kitchentable.formengine import validators
from kitchentable.formengine.expressions import EvaluationError, Expression
from kitchentable.formengine.model import Form, LegalTopic, Question, QuestionType, Section
from kitchentable.i18n import _

_YES = {"ja", "j", "yes", "y", "true", "1"}
_NO = {"nee", "n", "no", "false", "0"}


def is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], {})


@dataclass(frozen=True)
class Progress:
    answered: int
    total: int
    required_open: int
    errors: int

    @property
    def complete(self) -> bool:
        return self.required_open == 0 and self.errors == 0


def coerce(question: Question, value: object) -> object:
    """Turn input (typed text, a widget's value, an imported JSON value) into the stored value.

    Returns None for an empty answer (which clears it). Raises InvalidAnswer with a message
    for people when the value does not fit the question type.
    """
    if is_empty(value):
        return None
    try:
        return _coerce(question, value)
    except ValueError as exc:
        raise InvalidAnswer(question=question.id, message=str(exc)) from exc


def _coerce(question: Question, value: Any) -> object:  # noqa: PLR0911, PLR0912
    match question.type:
        case QuestionType.TEXT | QuestionType.LONGTEXT:
            if not isinstance(value, str):
                raise ValueError(_("Text is needed here."))
            if question.max_length and len(value) > question.max_length:
                raise ValueError(_("At most {n} characters.").format(n=question.max_length))
            return value
        case QuestionType.NUMBER:
            number = validators.normalise_number(value, question.decimals)
            if question.min is not None and number < question.min:
                raise ValueError(_("The lowest value is {n}.").format(n=_fmt(question.min)))
            if question.max is not None and number > question.max:
                raise ValueError(_("The highest value is {n}.").format(n=_fmt(question.max)))
            return number
        case QuestionType.DATE:
            return validators.normalise_date(value)
        case QuestionType.YESNO:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in _YES | _NO:
                return value.strip().lower() in _YES
            raise ValueError(_("Answer yes or no."))
        case QuestionType.CHOICE:
            if not isinstance(value, str) or question.option(value) is None:
                raise ValueError(_("Choose one of the options."))
            return value
        case QuestionType.MULTICHOICE:
            chosen = [value] if isinstance(value, str) else value
            if not isinstance(chosen, list | tuple) or any(
                not isinstance(v, str) or question.option(v) is None for v in chosen
            ):
                raise ValueError(_("Choose from the options."))
            return [o.value for o in question.options if o.value in chosen]
        case QuestionType.SCALE:
            level = validators.normalise_number(value, 0)
            if level not in (1, 2, 3, 4, 5):
                raise ValueError(_("Choose a level from 1 to 5."))
            return level
        case QuestionType.BSN:
            return validators.normalise_bsn(str(value))
        case QuestionType.POSTCODE:
            return validators.normalise_postcode(str(value))
        case QuestionType.PHONE:
            return validators.normalise_phone(str(value))
        case QuestionType.EMAIL:
            return validators.normalise_email(str(value))
        case QuestionType.GROUP:
            return _coerce_group(question, value)
        case QuestionType.COMPUTED:
            raise ValueError(_("This value is calculated and cannot be typed."))
    raise ValueError(f"unknown type {question.type}")  # pragma: no cover - schema forbids it


def _coerce_group(question: Question, value: Any) -> list[dict[str, object]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ValueError(_("A list of entries is needed here."))
    if question.max_items is not None and len(value) > question.max_items:
        raise ValueError(_("At most {n} entries.").format(n=question.max_items))
    items = []
    for item in value:
        unknown = set(item) - {q.id for q in question.questions}
        if unknown:
            raise ValueError(
                _("Unknown field(s): {names}.").format(names=", ".join(sorted(unknown)))
            )
        clean: dict[str, object] = {}
        for field in question.questions:
            if field.type == QuestionType.COMPUTED or is_empty(item.get(field.id)):
                continue
            try:
                clean[field.id] = _coerce(field, item[field.id])
            except ValueError as exc:
                raise ValueError(f"{field.label}: {exc}") from exc
        items.append(clean)
    return items


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


class ConversationState:
    """Answers applied to a form. `answers` maps top-level question ids to stored values."""

    def __init__(
        self, form: Form, answers: Mapping[str, object], today: date | None = None
    ) -> None:
        self.form = form
        self.answers: dict[str, object] = dict(answers)
        self.today = today or date.today()
        self._env: dict[str, object] | None = None
        self._computed = _computed_in_order(form)

    # -- values --------------------------------------------------------------------------
    def set(self, question_id: str, value: object) -> object:
        """Coerce and apply one answer; returns the stored value (None clears it)."""
        question = self.form.question(question_id)
        if question is None:
            raise InvalidAnswer(
                question=question_id, message=_("This question is not in the form.")
            )
        stored = coerce(question, value)
        if stored is None:
            self.answers.pop(question_id, None)
        else:
            self.answers[question_id] = stored
        self._env = None
        return stored

    def env(self) -> dict[str, object]:
        """Answers plus computed values, as expressions see them.

        An answer to a question that skip logic hides counts as unanswered (None): it stays
        stored, so switching back brings it back, but it never drives other rules, computed
        values or the plan. Hiding one answer can hide another, so this repeats until no
        answered question is hidden; each round drops at least one answer, so it ends.
        """
        if self._env is None:
            answers = dict(self.answers)
            while True:
                env = self._with_computed(answers)
                hidden = [
                    qid
                    for qid in answers
                    if (question := self.form.question(qid)) is not None
                    and not self._shown(question, env)
                ]
                if not hidden:
                    break
                for qid in hidden:
                    del answers[qid]
            self._env = env
        return self._env

    def _with_computed(self, answers: Mapping[str, object]) -> dict[str, object]:
        env = dict(answers)
        for question_id, expression in self._computed:
            env[question_id] = self._evaluate(expression, env, None)
        return env

    def _shown(self, question: Question, env: Mapping[str, object]) -> bool:
        section = self.form.section_of(question.id)
        if (
            section is not None
            and section.visible_if is not None
            and not self._evaluate(section.visible_if, env, False)
        ):
            return False
        return question.visible_if is None or bool(self._evaluate(question.visible_if, env, False))

    def shown_value(self, question: Question, item: Mapping[str, object]) -> object:
        """A group field's value as the plan may use it: None when the field is hidden."""
        return item.get(question.id) if self.visible(question, item) else None

    def value(self, question_id: str) -> object:
        return self.env().get(question_id)

    def _evaluate(
        self, expression: Expression, env: Mapping[str, object], default: object
    ) -> object:
        try:
            return expression.evaluate(env, self.today)
        except EvaluationError:
            return default

    def _scope(self, item: Mapping[str, object] | None) -> Mapping[str, object]:
        return {**self.env(), **item} if item is not None else self.env()

    # -- skip logic and rules --------------------------------------------------------------
    def section_visible(self, section: Section) -> bool:
        return section.visible_if is None or bool(
            self._evaluate(section.visible_if, self.env(), False)
        )

    def visible(self, question: Question, item: Mapping[str, object] | None = None) -> bool:
        if item is None:
            section = self.form.section_of(question.id)
            if section is not None and not self.section_visible(section):
                return False
        if question.visible_if is None:
            return True
        return bool(self._evaluate(question.visible_if, self._scope(item), False))

    def required(self, question: Question, item: Mapping[str, object] | None = None) -> bool:
        if isinstance(question.required, Expression):
            return bool(self._evaluate(question.required, self._scope(item), False))
        return question.required

    def visible_questions(self, section: Section) -> list[Question]:
        if not self.section_visible(section):
            return []
        return [q for q in section.questions if self.visible(q)]

    def question_error(
        self, question: Question, item: Mapping[str, object] | None = None
    ) -> str | None:
        """The message to show under a visible question, or None when it is fine."""
        scope = self._scope(item)
        value = scope.get(question.id)
        if question.type == QuestionType.COMPUTED:
            return None
        if is_empty(value):
            if self.required(question, item):
                return _("This question is required.")
            return None
        if (
            question.type == QuestionType.GROUP
            and isinstance(value, list)
            and question.min_items
            and len(value) < question.min_items
        ):
            return _("At least {n} entries.").format(n=question.min_items)
        if question.valid_if is not None:
            try:
                ok = bool(question.valid_if.evaluate(scope, self.today))
            except EvaluationError:
                ok = True  # an expression that cannot be evaluated never blocks the consultant
            if not ok:
                return str(question.message) if question.message else _("This answer is not valid.")
        return None

    def errors(self) -> dict[str, str]:
        """Messages for every visible question, keyed 'id' or 'group[index].field'."""
        found: dict[str, str] = {}
        for section in self.form.sections:
            for question in self.visible_questions(section):
                message = self.question_error(question)
                if message:
                    found[question.id] = message
                if question.type == QuestionType.GROUP:
                    found.update(self.group_errors(question))
        return found

    def group_errors(self, group: Question) -> dict[str, str]:
        found: dict[str, str] = {}
        for index, item in enumerate(self._items(group)):
            for field in group.questions:
                if self.visible(field, item):
                    message = self.question_error(field, item)
                    if message:
                        found[f"{group.id}[{index}].{field.id}"] = message
        return found

    def _items(self, group: Question) -> list[dict[str, object]]:
        items = self.answers.get(group.id)
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []

    # -- legal topics and progress ---------------------------------------------------------
    def topic_open(self, topic: LegalTopic) -> bool:
        """Open until a visible tagged question is answered and no visible required one is empty.

        A field inside a group counts once per item it is visible in.
        """
        answered = False
        for question, item in self._visible_answerables():
            if topic.id not in question.legal_topics:
                continue
            value = self._scope(item).get(question.id)
            if is_empty(value):
                if self.required(question, item):
                    return True
            else:
                answered = True
        return not answered

    def _visible_answerables(
        self, sections: tuple[Section, ...] | None = None
    ) -> list[tuple[Question, Mapping[str, object] | None]]:
        """Every visible question that takes an answer, with its group item when it has one."""
        found: list[tuple[Question, Mapping[str, object] | None]] = []
        for section in self.form.sections if sections is None else sections:
            for question in self.visible_questions(section):
                if question.type == QuestionType.COMPUTED:
                    continue
                found.append((question, None))
                if question.type == QuestionType.GROUP:
                    for item in self._items(question):
                        found.extend(
                            (field, item)
                            for field in question.questions
                            if field.type != QuestionType.COMPUTED and self.visible(field, item)
                        )
        return found

    def open_topics(self, required_only: bool = True) -> list[LegalTopic]:
        return [
            t
            for t in self.form.legal_topics
            if (t.required or not required_only) and self.topic_open(t)
        ]

    def section_topics_open(self, section: Section) -> list[LegalTopic]:
        tagged = {t for q in section.questions for t in (*q.legal_topics, *_field_topics(q))}
        return [t for t in self.open_topics() if t.id in tagged]

    def progress(self, section: Section) -> Progress:
        """Counts for one section; `errors` are answers that are wrong, not ones still missing."""
        total = answered = required_open = errors = 0
        for question, item in self._visible_answerables((section,)):
            empty = is_empty(self._scope(item).get(question.id))
            if item is None:
                total += 1
                answered += not empty
            if empty:
                required_open += self.required(question, item)
            elif self.question_error(question, item):
                errors += 1
        return Progress(answered, total, required_open, errors)

    def complete(self) -> bool:
        return not self.errors() and not self.open_topics()


def _field_topics(question: Question) -> tuple[str, ...]:
    return tuple(t for field in question.questions for t in field.legal_topics)


def _computed_in_order(form: Form) -> list[tuple[str, Expression]]:
    """Top-level computed values, each after the computed values it reads.

    The loader refuses circles; should one slip through, it is cut where it closes and the
    value that closes it reads None.
    """
    computed = {
        q.id: q.expression
        for q in form.questions()
        if q.type == QuestionType.COMPUTED and q.expression is not None
    }
    ordered: list[tuple[str, Expression]] = []
    placed: set[str] = set()

    def place(question_id: str, trail: frozenset[str]) -> None:
        if question_id in placed or question_id in trail:
            return
        expression = computed[question_id]
        for name in sorted(expression.names & computed.keys()):
            place(name, trail | {question_id})
        placed.add(question_id)
        ordered.append((question_id, expression))

    for question_id in computed:
        place(question_id, frozenset())
    return ordered
