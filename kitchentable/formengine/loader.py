"""Loading form files: YAML → JSON Schema → semantic checks → a frozen `Form`.

Owns turning a form file into a Form or into `file:line: message` errors. Lines come from
the YAML node tree that PyYAML composes anyway, so every error points at the key that is
wrong. Never evaluates an expression: it only parses and checks them (formengine.expressions).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kitchentable.errors import FormError, FormErrors, UnknownForm
from kitchentable.formengine.expressions import (
    FUNCTIONS,
    RESERVED_NAMES,
    Expression,
    ExpressionError,
)
from kitchentable.formengine.formsource import (
    Lines,
    Path_,
    compose,
    duplicate_keys,
    schema,
    schema_errors,
)
from kitchentable.formengine.model import (
    Form,
    LegalTopic,
    Option,
    PrintTarget,
    Question,
    QuestionType,
    Section,
    Text,
    version_key,
)
from kitchentable.paths import forms_dir

__all__ = ["FormRegistry", "load_form", "parse_form_text", "schema"]


def parse_form_text(text: str, source: str = "<form>") -> Form:
    """Parse and check a form given as YAML text; raises FormErrors listing every problem."""
    root, data = compose(text, source)
    lines = Lines(root)
    errors = [FormError(source, line, msg) for line, msg in duplicate_keys(root)]
    errors += schema_errors(data, lines, source)
    if errors:
        raise FormErrors(sorted(errors, key=lambda e: e.line))
    builder = _Builder(source, lines)
    form = builder.build(data, hashlib.sha256(text.encode("utf-8")).hexdigest())
    if builder.errors:
        raise FormErrors(sorted(builder.errors, key=lambda e: e.line))
    return form


def load_form(path: str | Path) -> Form:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormErrors([FormError(str(file), 1, f"cannot read the file: {exc}")]) from exc
    return parse_form_text(text, str(file))


_RESERVED_IDS = frozenset(FUNCTIONS) | RESERVED_NAMES


class _Builder:
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

    def error(self, path: Path_, message: str, key: bool = False) -> None:
        self.errors.append(
            FormError(self.source, self.lines.line(path, key), message, ".".join(map(str, path)))
        )

    def build(self, data: dict[str, Any], sha256: str) -> Form:
        topics = []
        for i, raw in enumerate(data["legal_topics"]):
            if raw["id"] in self.topic_ids:
                self.error(("legal_topics", i, "id"), f"legal topic '{raw['id']}' is listed twice")
            self.topic_ids.add(raw["id"])
            topics.append(
                LegalTopic(
                    raw["id"], raw["article"], _text(raw["label"]), raw.get("required", True)
                )
            )
        for section in data["sections"]:
            self.top_ids.update(q["id"] for q in section["questions"])
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
        )

    def check_topics_asked(self, topics: list[LegalTopic]) -> None:
        """A required topic no question is tagged with stays open, so no plan could be signed."""
        for i, topic in enumerate(topics):
            if topic.required and topic.id not in self.tagged_topics:
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
            options=tuple(
                Option(o["value"], _text(o["label"]), _text(o.get("help")))
                for o in raw.get("options", ())
            ),
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
        )


def _text(raw: dict[str, str] | None) -> Any:
    return Text(raw["nl"], raw["en"]) if raw else None


class FormRegistry:
    """Every form version this laptop knows: shipped files plus versions received later.

    A conversation asks for the exact (id, version) it began with; new conversations get the
    newest version of a form.
    """

    def __init__(self, forms: Iterable[Form] = ()) -> None:
        self._forms: dict[tuple[str, str], Form] = {}
        self.problems: list[FormError] = []
        for form in forms:
            self.add(form)

    @classmethod
    def from_directory(cls, directory: Path | None = None) -> FormRegistry:
        registry = cls()
        for path in sorted((directory or forms_dir()).glob("*.yaml")):
            try:
                form = load_form(path)
            except FormErrors as exc:
                registry.problems.extend(exc.errors)
                continue
            earlier = registry._forms.get(form.key)
            if earlier is not None:
                # Two files claiming one version: which one a conversation gets would depend on
                # file names. The first is kept and the second reported.
                registry.problems.append(
                    FormError(
                        str(path),
                        _version_line(path),
                        f"form '{form.id}' version {form.version} is also in {earlier.source}; "
                        "give this file a new version",
                    )
                )
                continue
            registry.add(form)
        return registry

    def add(self, form: Form) -> None:
        self._forms[form.key] = form

    def get(self, form_id: str, version: str | None = None) -> Form:
        if version is not None:
            form = self._forms.get((form_id, version))
            if form is None:
                raise UnknownForm(form=form_id, version=version)
            return form
        versions = [f for (fid, _v), f in self._forms.items() if fid == form_id]
        if not versions:
            raise UnknownForm(form=form_id, version="-")
        return max(versions, key=lambda f: version_key(f.version))

    def latest(self) -> list[Form]:
        ids = sorted({fid for fid, _ in self._forms})
        return [self.get(fid) for fid in ids]

    def all(self) -> list[Form]:
        return [self._forms[k] for k in sorted(self._forms)]


def _version_line(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    found = re.search(r"^version\s*:", text, re.MULTILINE)
    return text.count("\n", 0, found.start()) + 1 if found else 1
