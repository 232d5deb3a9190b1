"""Loading form files: YAML → JSON Schema → semantic checks → a frozen `Form`.

Owns turning a form file into a Form or into `file:line: message` errors. Lines come from
the YAML node tree that PyYAML composes anyway, so every error points at the key that is
wrong. Never evaluates an expression: it only parses and checks them (formengine.expressions).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from kitchentable.errors import FormError, FormErrors, UnknownForm
from kitchentable.formengine.expressions import Expression, ExpressionError
from kitchentable.formengine.model import (
    Form,
    LegalTopic,
    Option,
    Question,
    QuestionType,
    Section,
    Text,
    version_key,
)
from kitchentable.paths import forms_dir

Path_ = tuple[str | int, ...]


@cache
def schema() -> dict[str, Any]:
    with open(forms_dir() / "schema.json", encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


class _Lines:
    """Maps a JSON path (keys and indexes) to a 1-based line in the YAML source."""

    def __init__(self, root: yaml.Node) -> None:
        self.root = root

    def node(self, path: Iterable[str | int], key: bool = False) -> yaml.Node:
        node = self.root
        parts = list(path)
        for i, part in enumerate(parts):
            if isinstance(node, yaml.MappingNode):
                match = [(k, v) for k, v in node.value if k.value == part]
                if not match:
                    return node
                node = match[-1][0] if key and i == len(parts) - 1 else match[-1][1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    return node
                node = node.value[part]
            else:
                return node
        return node

    def line(self, path: Iterable[str | int], key: bool = False) -> int:
        return int(self.node(path, key).start_mark.line) + 1


def _duplicate_keys(node: yaml.Node) -> Iterator[tuple[int, str]]:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                yield key.start_mark.line + 1, f"the key '{key.value}' appears twice"
            seen.add(key.value)
            yield from _duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _duplicate_keys(item)


def _schema_message(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(p) for p in error.absolute_path) or "form"
    match error.validator:
        case "additionalProperties":
            return f"{where}: {error.message.replace('Additional properties are not allowed', 'unknown key')}"
        case "required":
            return f"{where}: {error.message.replace('is a required property', 'is missing')}"
        case "enum" if error.absolute_path and error.absolute_path[-1] == "type":
            allowed = ", ".join(str(v) for v in error.validator_value)
            return f"{where}: unknown question type {error.instance!r} (known types: {allowed})"
        case "oneOf" | "anyOf" if error.context:
            best = jsonschema.exceptions.best_match(error.context)
            return _schema_message(best) if best is not None else f"{where}: {error.message}"
        case _:
            return f"{where}: {error.message}"


def parse_form_text(text: str, source: str = "<form>") -> Form:
    """Parse and check a form given as YAML text; raises FormErrors listing every problem."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise FormErrors([FormError(source, line, f"not valid YAML: {exc.problem}")]) from exc
    except yaml.YAMLError as exc:
        raise FormErrors([FormError(source, 1, f"not valid YAML: {exc}")]) from exc
    if root is None or not isinstance(data, dict):
        raise FormErrors([FormError(source, 1, "the file does not contain a form (a mapping)")])

    errors = [FormError(source, line, msg) for line, msg in _duplicate_keys(root)]
    lines = _Lines(root)
    validator = jsonschema.Draft202012Validator(schema())
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = tuple(error.absolute_path)
        errors.append(FormError(source, lines.line(path), _schema_message(error), ".".join(map(str, path))))
    if errors:
        raise FormErrors(errors)
    builder = _Builder(source, lines)
    form = builder.build(data, hashlib.sha256(text.encode("utf-8")).hexdigest())
    if builder.errors:
        raise FormErrors(builder.errors)
    return form


def load_form(path: str | Path) -> Form:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormErrors([FormError(str(file), 1, f"cannot read the file: {exc}")]) from exc
    return parse_form_text(text, str(file))


class _Builder:
    """Builds the Form and collects semantic errors (ids, references, expressions)."""

    def __init__(self, source: str, lines: _Lines) -> None:
        self.source = source
        self.lines = lines
        self.errors: list[FormError] = []
        self.seen_ids: dict[str, int] = {}
        self.topic_ids: set[str] = set()
        self.top_ids: set[str] = set()
        # (expression, names allowed, path) checked once every id is known
        self.pending: list[tuple[Expression, frozenset[str], Path_]] = []

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
                LegalTopic(raw["id"], raw["article"], _text(raw["label"]), raw.get("required", True))
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
                self.question(q, (*path, "questions", j), None) for j, q in enumerate(raw["questions"])
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
        for expression, allowed, path in self.pending:
            for name in sorted(expression.names - allowed):
                self.error(path, f"the expression refers to an unknown question '{name}'")
        return Form(
            id=data["id"],
            version=data["version"],
            kind=data["kind"],
            title=_text(data["title"]),
            description=_text(data.get("description")),
            legal_topics=tuple(topics),
            sections=tuple(sections),
            source=self.source,
            sha256=sha256,
        )

    def expression(self, text: str | None, path: Path_, group: frozenset[str] | None) -> Expression | None:
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

    def question(self, raw: dict[str, Any], path: Path_, group: frozenset[str] | None) -> Question:
        qid = raw["id"]
        if qid in self.seen_ids:
            self.error((*path, "id"), f"question id '{qid}' is already used on line {self.seen_ids[qid]}")
        else:
            self.seen_ids[qid] = self.lines.line((*path, "id"))
        qtype = QuestionType(raw["type"])
        topics = raw.get("legal_topic", ())
        topics = (topics,) if isinstance(topics, str) else tuple(topics)
        for topic in topics:
            if topic not in self.topic_ids:
                self.error((*path, "legal_topic"), f"unknown legal topic '{topic}' (list it under legal_topics)")
        options = tuple(
            Option(o["value"], _text(o["label"]), _text(o.get("help"))) for o in raw.get("options", ())
        )
        values = [o.value for o in options]
        for value in {v for v in values if values.count(v) > 1}:
            self.error((*path, "options"), f"option '{value}' is listed twice")
        if raw.get("options") and qtype not in (QuestionType.CHOICE, QuestionType.MULTICHOICE):
            self.error((*path, "options"), f"options are only used by choice and multichoice, not {qtype}")
        if "min" in raw and "max" in raw and raw["min"] > raw["max"]:
            self.error((*path, "min"), "min is larger than max")
        if qtype == QuestionType.COMPUTED and raw.get("required"):
            self.error((*path, "required"), "a computed value cannot be required")
        children: tuple[Question, ...] = ()
        child_scope = group
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
            options=options,
            levels=tuple(_text(level) for level in raw.get("levels", ())),
            min=raw.get("min"),
            max=raw.get("max"),
            decimals=raw.get("decimals"),
            unit=_text(raw.get("unit")),
            max_length=raw.get("max_length"),
            expression=self.expression(raw.get("expression"), (*path, "expression"), group),
            item_label=_text(raw.get("item_label")),
            min_items=raw.get("min_items"),
            max_items=raw.get("max_items"),
            questions=children,
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
                registry.add(load_form(path))
            except FormErrors as exc:
                registry.problems.extend(exc.errors)
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
