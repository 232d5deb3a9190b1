"""Building a Form from checked YAML data, and the checks only meaning can make.

Owns ids (unique, not reserved), references (legal topics, question ids in expressions and
rules), expressions (parsed once here; their names must exist), computed values that refer
to each other in a circle, and the keys that only fit some questions (prefill, person,
keep_last), and options taken from a code list (`options_from: codelist WMO020`: the list's
current codes become the options) or left to the office's product list (`options_from:
products`, filled in per laptop by formengine.optionsources). Every problem becomes a `file:line: message` pointing at the key that is wrong.
Never evaluates an expression.
"""

from __future__ import annotations

import ast
from typing import Any

from kitchentable.errors import FormError
from kitchentable.formengine import optionsources
from kitchentable.formengine.expressions import (
    FUNCTIONS,
    RESERVED_NAMES,
    Expression,
    ExpressionError,
)
from kitchentable.formengine.formsource import Lines, Path_
from kitchentable.formengine.model import (
    Form,
    LegalTopic,
    Prefill,
    PrintTarget,
    Question,
    QuestionType,
    Rule,
    Section,
    Text,
)

_RESERVED_IDS = frozenset(FUNCTIONS) | RESERVED_NAMES
_TEXTS = frozenset({QuestionType.TEXT, QuestionType.LONGTEXT})
_PREFILL_TYPES: dict[Prefill, frozenset[QuestionType]] = {
    Prefill.CONVERSATION_DATE: frozenset({QuestionType.DATE}),
    Prefill.CONSULTANT: _TEXTS,
    Prefill.CONSULTANT_AND_ROLE: _TEXTS,
    Prefill.TEAM: _TEXTS,
    Prefill.CASE_KIND: _TEXTS | {QuestionType.CHOICE},
}
_EXPRESSION_KEYS = ("visible_if", "valid_if", "required", "expression", "met_if")


def _passed_to_age(data: Any) -> frozenset[str]:
    """Question ids the form passes to age(): those dates are birth dates."""
    found: set[str] = set()
    todo = [data]
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            todo.extend(node)
        elif isinstance(node, dict):
            todo.extend(node.values())
            for key in _EXPRESSION_KEYS:
                text = node.get(key)
                if isinstance(text, str):
                    found.update(_age_arguments(text))
    return frozenset(found)


def _age_arguments(text: str) -> set[str]:
    try:
        tree = ast.parse(text.replace("\n", " ").strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()  # the expression check reports it
    return {
        node.args[0].id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "age"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Name)
    }


class Builder:
    """Builds the Form and collects semantic errors (ids, references, expressions)."""

    def __init__(self, source: str, lines: Lines) -> None:
        self.source = source
        self.lines = lines
        self.errors: list[FormError] = []
        self.seen_ids: dict[str, int] = {}
        self.topic_ids: set[str] = set()
        self.tagged_topics: set[str] = set()
        self.top_ids: set[str] = set()
        # (expression, names allowed, path) checked once every id is known
        self.pending: list[tuple[Expression, frozenset[str], Path_]] = []
        # top-level computed question id -> (its expression, path of `expression`)
        self.computed: dict[str, tuple[Expression, Path_]] = {}
        self.birth_dates: frozenset[str] = frozenset()

    def error(self, path: Path_, message: str, key: bool = False) -> None:
        self.errors.append(
            FormError(self.source, self.lines.line(path, key), message, ".".join(map(str, path)))
        )

    def build(self, data: dict[str, Any], sha256: str) -> Form:
        for section in data["sections"]:
            self.top_ids.update(q["id"] for q in section["questions"])
        self.birth_dates = _passed_to_age(data)
        topics = []
        for i, raw in enumerate(data["legal_topics"]):
            if raw["id"] in self.topic_ids:
                self.error(("legal_topics", i, "id"), f"legal topic '{raw['id']}' is listed twice")
            self.topic_ids.add(raw["id"])
            met_if = self.expression(raw.get("met_if"), ("legal_topics", i, "met_if"), None)
            topics.append(
                LegalTopic(
                    raw["id"],
                    raw["article"],
                    _text(raw["label"]),
                    raw.get("required", True),
                    met_if,
                )
            )
        sections = []
        section_ids: set[str] = set()
        for i, raw in enumerate(data["sections"]):
            path: Path_ = ("sections", i)
            if raw["id"] in section_ids:
                self.error((*path, "id"), f"section id '{raw['id']}' is used twice")
            section_ids.add(raw["id"])
            questions = tuple(
                self.question(q, (*path, "questions", j), None)
                for j, q in enumerate(raw["questions"])
            )
            sections.append(
                Section(
                    id=raw["id"],
                    title=_text(raw["title"]),
                    line=self.lines.line(path),
                    questions=questions,
                    help=_text(raw.get("help")),
                    visible_if=self.expression(raw.get("visible_if"), (*path, "visible_if"), None),
                )
            )
        rules = self.rules(data.get("rules", ()))
        for expression, allowed, where in self.pending:
            for name in sorted(expression.names - allowed):
                self.error(where, f"the expression refers to an unknown question '{name}'")
        self.check_topics_asked(topics)
        self.check_computed_cycles()
        return Form(
            id=data["id"],
            version=data["version"],
            kind=data["kind"],
            title=_text(data["title"]),
            description=_text(data.get("description")),
            address=data.get("address", "u"),
            legal_topics=tuple(topics),
            sections=tuple(sections),
            source=self.source,
            sha256=sha256,
            rules=rules,
        )

    def rules(self, raws: list[dict[str, Any]]) -> tuple[Rule, ...]:
        """Form-level rules: an id of their own, a condition, and top-level questions to show
        the message at."""
        rules = []
        seen: set[str] = set()
        for i, raw in enumerate(raws):
            path: Path_ = ("rules", i)
            if raw["id"] in seen:
                self.error((*path, "id"), f"rule '{raw['id']}' is listed twice")
            seen.add(raw["id"])
            for k, qid in enumerate(raw["questions"]):
                if qid not in self.top_ids:
                    self.error(
                        (*path, "questions", k),
                        f"the rule names an unknown question '{qid}' (only top-level "
                        "questions can show a rule's message)",
                    )
            valid_if = self.expression(raw["valid_if"], (*path, "valid_if"), None)
            if valid_if is not None:
                rules.append(
                    Rule(
                        raw["id"],
                        valid_if,
                        _text(raw["message"]),
                        tuple(raw["questions"]),
                        self.lines.line(path),
                    )
                )
        return tuple(rules)

    def check_topics_asked(self, topics: list[LegalTopic]) -> None:
        """A required topic no question is tagged with stays open, so no plan could be signed
        (unless its met_if says when it is met)."""
        for i, topic in enumerate(topics):
            if topic.required and topic.met_if is None and topic.id not in self.tagged_topics:
                self.error(
                    ("legal_topics", i),
                    f"no question is tagged with the required legal topic '{topic.id}'",
                )

    def check_computed_cycles(self) -> None:
        """Computed values may use each other, but not in a circle (it would never settle)."""
        done: set[str] = set()
        for start in self.computed:
            trail: list[str] = []
            current: str | None = start
            while current is not None and current not in done:
                if current in trail:
                    circle = " -> ".join([*trail[trail.index(current) :], current])
                    self.error(
                        self.computed[start][1],
                        f"computed values refer to each other in a circle: {circle}",
                    )
                    break
                trail.append(current)
                names = self.computed[current][0].names
                current = next((n for n in sorted(names) if n in self.computed), None)
            done.update(trail)

    def expression(
        self, text: str | None, path: Path_, group: frozenset[str] | None
    ) -> Expression | None:
        if text is None:
            return None
        try:
            expression = Expression.parse(text)
        except ExpressionError as exc:
            self.error(path, f"{exc.message} in expression {text!r}")
            return None
        allowed = self.top_ids | (group or frozenset())
        self.pending.append((expression, frozenset(allowed), path))
        return expression

    def check_id(self, qid: str, path: Path_) -> None:
        if qid in self.seen_ids:
            self.error(
                (*path, "id"), f"question id '{qid}' is already used on line {self.seen_ids[qid]}"
            )
        else:
            self.seen_ids[qid] = self.lines.line((*path, "id"))
        if qid in _RESERVED_IDS:
            self.error(
                (*path, "id"), f"'{qid}' means something else in expressions; choose another id"
            )

    def check_topics(self, raw: dict[str, Any], path: Path_) -> tuple[str, ...]:
        value = raw.get("legal_topic", ())
        topics = (value,) if isinstance(value, str) else tuple(value)
        for k, topic in enumerate(topics):
            where = (*path, "legal_topic") if isinstance(value, str) else (*path, "legal_topic", k)
            if topic not in self.topic_ids:
                self.error(where, f"unknown legal topic '{topic}' (list it under legal_topics)")
        self.tagged_topics.update(topics)
        return topics

    def check_options(self, raw: dict[str, Any], qtype: QuestionType, path: Path_) -> None:
        seen: set[str] = set()
        for k, option in enumerate(raw.get("options", ())):
            if option["value"] in seen:
                self.error(
                    (*path, "options", k, "value"), f"option '{option['value']}' is listed twice"
                )
            seen.add(option["value"])
        if raw.get("options") and qtype not in (QuestionType.CHOICE, QuestionType.MULTICHOICE):
            self.error(
                (*path, "options"), f"options are only used by choice and multichoice, not {qtype}"
            )

    def check_ranges(self, raw: dict[str, Any], path: Path_) -> None:
        if "min" in raw and "max" in raw and raw["min"] > raw["max"]:
            self.error((*path, "min"), "min is larger than max")
        if "min_items" in raw and "max_items" in raw and raw["min_items"] > raw["max_items"]:
            self.error((*path, "min_items"), "min_items is larger than max_items")

    def question(self, raw: dict[str, Any], path: Path_, group: frozenset[str] | None) -> Question:
        qid = raw["id"]
        self.check_id(qid, path)
        qtype = QuestionType(raw["type"])
        topics = self.check_topics(raw, path)
        self.check_options(raw, qtype, path)
        optionsources.check_filter(raw, group, lambda key, msg: self.error((*path, key), msg))
        self.check_ranges(raw, path)
        if qtype == QuestionType.COMPUTED and raw.get("required"):
            self.error((*path, "required"), "a computed value cannot be required")
        if qtype == QuestionType.COMPUTED and group is not None:
            self.error((*path, "type"), "a computed value inside a group is not supported")
        children: tuple[Question, ...] = ()
        if qtype == QuestionType.GROUP:
            if group is not None:
                self.error((*path, "type"), "a group inside a group is not supported")
            child_scope = frozenset(q["id"] for q in raw["questions"])
            children = tuple(
                self.question(q, (*path, "questions", j), child_scope)
                for j, q in enumerate(raw["questions"])
            )
        elif "questions" in raw:
            self.error((*path, "questions"), "only a group has questions of its own")
        self.check_extras(raw, qtype, path, group)
        required = raw.get("required", False)
        expression = self.expression(raw.get("expression"), (*path, "expression"), group)
        if qtype == QuestionType.COMPUTED and expression is not None and group is None:
            self.computed[qid] = (expression, (*path, "expression"))
        return Question(
            id=qid,
            type=qtype,
            label=_text(raw["label"]),
            line=self.lines.line(path),
            help=_text(raw.get("help")),
            placeholder=_text(raw.get("placeholder")),
            required=required
            if isinstance(required, bool)
            else (self.expression(required, (*path, "required"), group) or False),
            visible_if=self.expression(raw.get("visible_if"), (*path, "visible_if"), group),
            valid_if=self.expression(raw.get("valid_if"), (*path, "valid_if"), group),
            message=_text(raw.get("message")),
            legal_topics=topics,
            plan=raw.get("plan"),
            options=optionsources.listed(
                raw, qtype, lambda key, msg: self.error((*path, key), msg)
            ),
            options_from=raw.get("options_from"),
            options_filter=raw.get("options_filter"),
            levels=tuple(_text(level) for level in raw.get("levels", ())),
            min=raw.get("min"),
            max=raw.get("max"),
            decimals=raw.get("decimals"),
            unit=_text(raw.get("unit")),
            max_length=raw.get("max_length"),
            expression=expression,
            item_label=_text(raw.get("item_label")),
            min_items=raw.get("min_items"),
            max_items=raw.get("max_items"),
            questions=children,
            print=PrintTarget(raw["print"]) if "print" in raw else None,
            print_label=_text(raw.get("print_label")),
            prefill=Prefill(raw["prefill"]) if "prefill" in raw else None,
            person=raw.get("person", False),
            keep_last=raw.get("keep_last", False),
            birth_date=qtype == QuestionType.DATE
            and (qid in self.birth_dates or "geboorte" in qid or "birth" in qid),
        )

    def check_extras(
        self, raw: dict[str, Any], qtype: QuestionType, path: Path_, group: frozenset[str] | None
    ) -> None:
        """prefill, person and keep_last each fit only some questions."""
        if "prefill" in raw:
            fits = _PREFILL_TYPES[Prefill(raw["prefill"])]
            if group is not None:
                self.error((*path, "prefill"), "prefill works on top-level questions only")
            elif qtype not in fits:
                kinds = " or ".join(sorted(fits))
                self.error(
                    (*path, "prefill"), f"prefill '{raw['prefill']}' fits a {kinds} question"
                )
        if raw.get("person") and qtype != QuestionType.TEXT:
            self.error((*path, "person"), "person marks a text question (a name)")
        if raw.get("keep_last") and (qtype != QuestionType.TEXT or "max_length" not in raw):
            self.error((*path, "keep_last"), "keep_last needs a text question with max_length")


def _text(raw: dict[str, str] | None) -> Any:
    return Text(raw["nl"], raw["en"]) if raw else None
