"""The slow, obvious evaluator the incremental form engine is checked against.

This is the form engine as it was before it became incremental (issue 10): every question
answered by walking the expression tree and re-evaluating the whole form, the fixed point of
hidden answers played round by round over every answer. It adds the two features decided
for issue 11 in the most direct way: a legal topic's `met_if` and form-level `rules`. Nothing
here is cached; nothing is fast; that is the point.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from datetime import date
from typing import Any

from kitchentable.formengine.coercion import is_empty
from kitchentable.formengine.expressions import Expression
from kitchentable.formengine.model import Form, LegalTopic, Question, QuestionType, Section
from kitchentable.formengine.operations import (
    COMPARE,
    FUNCTIONS,
    EvaluationError,
    binary,
    number,
)
from kitchentable.formengine.session import Progress
from kitchentable.i18n import _


def interpret(expression: Expression, env: Mapping[str, object], today: date) -> object:
    """Walk the tree (the evaluator before closures), failures as EvaluationError."""
    context = _Context(env, today.isoformat())
    try:
        return context.value(expression.tree.body)
    except EvaluationError:
        raise
    except (TypeError, ValueError, ZeroDivisionError, OverflowError) as exc:
        raise EvaluationError(str(exc)) from exc


class _Context:
    def __init__(self, env: Mapping[str, object], today: str) -> None:
        self.env = env
        self.today = today

    def value(self, node: ast.expr) -> Any:
        match node:
            case ast.Constant(value=value):
                return value
            case ast.Name(id="today"):
                return self.today
            case ast.Name(id=name):
                return self.env.get(name)
            case ast.BoolOp(op=ast.And(), values=operands):
                result: Any = True
                for operand in operands:
                    result = self.value(operand)
                    if not result:
                        return result
                return result
            case ast.BoolOp(op=ast.Or(), values=operands):
                result = False
                for operand in operands:
                    result = self.value(operand)
                    if result:
                        return result
                return result
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                return not self.value(operand)
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                return -number(self.value(operand))
            case ast.UnaryOp(op=ast.UAdd(), operand=operand):
                return +number(self.value(operand))
            case ast.BinOp(left=left, op=binop, right=right):
                return binary(type(binop), self.value(left), self.value(right))
            case ast.Compare(left=left, ops=ops, comparators=comparators):
                current = self.value(left)
                for cmpop, comparator in zip(ops, comparators, strict=True):
                    other = self.value(comparator)
                    if not COMPARE[type(cmpop)](current, other):
                        return False
                    current = other
                return True
            case ast.IfExp(test=test, body=body, orelse=orelse):
                return self.value(body) if self.value(test) else self.value(orelse)
            case ast.List(elts=elts) | ast.Tuple(elts=elts):
                return [self.value(e) for e in elts]
            case ast.Call(func=ast.Name(id=fname), args=args):
                function, _count, needs_today = FUNCTIONS[fname]
                values: list[object] = [self.value(a) for a in args]
                if needs_today:
                    values.append(self.today)
                return function(*values)
        raise EvaluationError(f"cannot evaluate {type(node).__name__}")


class ReferenceState:
    """Answers applied to a form, everything recomputed on every question."""

    def __init__(self, form: Form, answers: Mapping[str, object], today: date) -> None:
        self.form = form
        self.answers = dict(answers)
        self.today = today
        self._env: dict[str, object] | None = None

    def _evaluate(self, expression: Expression, env: Mapping[str, object], default: object):
        try:
            return interpret(expression, env, self.today)
        except EvaluationError:
            return default

    def env(self) -> dict[str, object]:
        """The fixed point, round by round: drop every hidden answer at once, look again."""
        if self._env is not None:
            return self._env
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
                self._env = env
                return env
            for qid in hidden:
                del answers[qid]

    def _computed_order(self) -> list[Question]:
        computed = {q.id: q for q in self.form.questions() if q.type == QuestionType.COMPUTED}
        ordered: list[Question] = []

        def place(qid: str, trail: frozenset[str]) -> None:
            if qid in trail or computed[qid] in ordered:
                return
            expression = computed[qid].expression
            assert expression is not None
            for name in sorted(expression.names & computed.keys()):
                place(name, trail | {qid})
            ordered.append(computed[qid])

        for qid in computed:
            place(qid, frozenset())
        return ordered

    def _with_computed(self, answers: Mapping[str, object]) -> dict[str, object]:
        env = dict(answers)
        for question in self._computed_order():
            assert question.expression is not None
            env[question.id] = self._evaluate(question.expression, env, None)
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

    def value(self, question_id: str) -> object:
        return self.env().get(question_id)

    def _scope(self, item: Mapping[str, object] | None) -> dict[str, object]:
        return {**self.env(), **item} if item is not None else self.env()

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

    def broken_rules(self) -> list[str]:
        return [
            rule.id
            for rule in self.form.rules
            if not self._evaluate(rule.valid_if, self.env(), True)
        ]

    def _own_error(self, question: Question, item: Mapping[str, object] | None) -> str | None:
        scope = self._scope(item)
        value = scope.get(question.id)
        if question.type == QuestionType.COMPUTED:
            return None
        if is_empty(value):
            return _("This question is required.") if self.required(question, item) else None
        if (
            question.type == QuestionType.GROUP
            and isinstance(value, list)
            and question.min_items
            and len(value) < question.min_items
        ):
            return _("At least {n} entries.").format(n=question.min_items)
        if question.valid_if is not None:
            try:
                ok = bool(interpret(question.valid_if, scope, self.today))
            except EvaluationError:
                ok = True
            if not ok:
                return str(question.message) if question.message else _("This answer is not valid.")
        if question.options_filter is not None:  # a product must be of the chosen category
            chosen = next((o for o in question.options if o.value == value), None)
            if chosen is not None and chosen.group != scope.get(question.options_filter):
                return _("This product is not in the chosen category. Choose one of that category.")
        return None

    def _rule_error(self, question: Question) -> str | None:
        broken = set(self.broken_rules())
        for rule in self.form.rules:
            if rule.id in broken and question.id in rule.questions:
                return str(rule.message)
        return None

    def question_error(
        self, question: Question, item: Mapping[str, object] | None = None
    ) -> str | None:
        own = self._own_error(question, item)
        if own or item is not None or self.form.question(question.id) is not question:
            return own
        return self._rule_error(question)

    def errors(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for section in self.form.sections:
            for question in self.visible_questions(section):
                message = self.question_error(question)
                if message:
                    found[question.id] = message
                if question.type == QuestionType.GROUP:
                    found.update(self.group_errors(question))
        for rule in self.form.rules:
            if rule.id in self.broken_rules() and not any(
                self.visible(q) for q in self.form.questions() if q.id in rule.questions
            ):
                found[f"rules.{rule.id}"] = str(rule.message)
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

    def topic_open(self, topic: LegalTopic) -> bool:
        if topic.met_if is not None:
            return not self._evaluate(topic.met_if, self.env(), False)
        answered = False
        for question, item in self._visible_answerables():
            if topic.id not in question.legal_topics:
                continue
            if is_empty(self._scope(item).get(question.id)):
                if self.required(question, item):
                    return True
            else:
                answered = True
        return not answered

    def _visible_answerables(
        self, sections: tuple[Section, ...] | None = None
    ) -> list[tuple[Question, Mapping[str, object] | None]]:
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

    def progress(self, section: Section) -> Progress:
        total = answered = required_open = errors = 0
        for question, item in self._visible_answerables((section,)):
            empty = is_empty(self._scope(item).get(question.id))
            if item is None:
                total += 1
                answered += not empty
            own = self._own_error(question, item)
            rule = self._rule_error(question) if item is None else None
            if empty:
                required_open += self.required(question, item)
                errors += rule is not None
            elif own or rule:
                errors += 1
        return Progress(answered, total, required_open, errors)
