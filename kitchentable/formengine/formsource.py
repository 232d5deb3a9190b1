"""Reading a form file's YAML with its line numbers, and saying where it is wrong.

Owns the YAML and JSON Schema layers of loading: composing the node tree (which carries a
line for every key and value), turning YAML and schema errors into `file:line: message`,
and finding the line of any path in the data. Never builds a Form (formengine.loader does).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

import jsonschema
import yaml

from kitchentable.errors import FormError, FormErrors
from kitchentable.paths import forms_dir

Path_ = tuple[str | int, ...]

# YAML errors about something opened and never closed are found where the file ends or the
# next key starts; the place it was opened is where the author has to look.
_UNCLOSED = {
    "while parsing a flow sequence": "[",
    "while parsing a flow mapping": "{",
    "while scanning a quoted scalar": "quote",
}


@cache
def schema() -> dict[str, Any]:
    with open(forms_dir() / "schema.json", encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


class Lines:
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


class _FormLoader(yaml.SafeLoader):
    """SafeLoader that remembers where aliases (`*name`) are used: a form may not use them."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.alias_lines: list[int] = []

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            self.alias_lines.append(event.start_mark.line + 1)
        return super().compose_node(parent, index)


def compose(text: str, source: str) -> tuple[yaml.Node, dict[str, Any]]:
    """The node tree and the data of a form file, or FormErrors saying where YAML breaks."""
    try:
        loader = _FormLoader(text)
        try:
            root = loader.get_single_node()
            aliases = loader.alias_lines
            data = loader.construct_document(root) if root is not None and not aliases else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        raise FormErrors([_marked_error(exc, source)]) from exc
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        message = f"not valid YAML: character #x{exc.character:04x} is not allowed in a form"
        raise FormErrors([FormError(source, line, message)]) from exc
    except yaml.YAMLError as exc:
        raise FormErrors([FormError(source, 1, f"not valid YAML: {exc}")]) from exc
    if aliases:
        message = "YAML aliases (*name) are not supported in a form: write the text out"
        raise FormErrors([FormError(source, line, message) for line in aliases])
    if root is None or not isinstance(data, dict):
        raise FormErrors([FormError(source, 1, "the file does not contain a form (a mapping)")])
    return root, data


def _marked_error(exc: yaml.MarkedYAMLError, source: str) -> FormError:
    problem = exc.problem or exc.context or "cannot read this"
    mark = exc.problem_mark or exc.context_mark
    context = exc.context or ""
    unclosed = next((what for start, what in _UNCLOSED.items() if context.startswith(start)), None)
    if exc.context_mark is not None and unclosed is not None:
        opened = exc.context_mark.line + 1
        found = exc.problem_mark.line + 1 if exc.problem_mark else opened
        where = f" on line {found}" if found != opened else ""
        message = f"not valid YAML: the {unclosed} opened here is not closed ({problem}{where})"
        return FormError(source, opened, message)
    return FormError(source, mark.line + 1 if mark else 1, f"not valid YAML: {problem}")


def duplicate_keys(node: yaml.Node) -> Iterator[tuple[int, str]]:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value in seen:
                yield key.start_mark.line + 1, f"the key '{key.value}' appears twice"
            seen.add(key.value)
            yield from duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from duplicate_keys(item)


def schema_errors(data: dict[str, Any], lines: Lines, source: str) -> list[FormError]:
    validator = jsonschema.Draft202012Validator(schema())
    errors = []
    for error in validator.iter_errors(data):
        if _follows_from_missing_type(error):
            continue
        path: Path_ = tuple(error.absolute_path)
        line, message = _schema_problem(error, path, lines)
        errors.append(FormError(source, line, message, ".".join(map(str, path))))
    return errors


def _follows_from_missing_type(error: jsonschema.ValidationError) -> bool:
    """The schema's `if type is choice then options` holds vacuously when `type` is missing.

    One 'type is missing' is the error; 'options', 'levels', 'questions', 'item_label' and
    'expression' missing as well would only bury it.
    """
    return (
        error.validator in ("required", "anyOf")  # anyOf: options or options_from
        and "allOf" in error.schema_path
        and isinstance(error.instance, dict)
        and "type" not in error.instance
        and error.validator_value != ["message"]
    )


def _schema_problem(
    error: jsonschema.ValidationError, path: Path_, lines: Lines
) -> tuple[int, str]:
    """The line to point at and the message, for the errors a form author makes most."""
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = [k for k in instance if k not in known]
        if extra:
            return lines.line((*path, extra[0]), key=True), _schema_message(error)
    if error.validator == "required" and error.validator_value == ["message"]:
        where = ".".join(str(p) for p in path)
        return lines.line((*path, "valid_if"), key=True), (
            f"{where}: valid_if needs a message ({{nl, en}}) that says what is wrong"
        )
    return lines.line(path), _schema_message(error)


def _schema_message(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(p) for p in error.absolute_path) or "form"
    match error.validator:
        case "additionalProperties":
            unknown = error.message.replace("Additional properties are not allowed", "unknown key")
            return f"{where}: {unknown}"
        case "required":
            return f"{where}: {error.message.replace('is a required property', 'is missing')}"
        case "enum" if error.absolute_path and error.absolute_path[-1] == "type":
            allowed = ", ".join(str(v) for v in _as_list(error.validator_value))
            return f"{where}: unknown question type {error.instance!r} (known types: {allowed})"
        case "type" if error.validator_value == "string" and not isinstance(
            error.instance, dict | list
        ):
            # YAML reads unquoted yes/no/on/off as booleans and 1.0 or 2026-01-01 as numbers
            # and dates; the author meant text.
            return f"{where}: {error.instance!r} is not text; put it in quotes"
        case "oneOf" | "anyOf" if error.context:
            best = jsonschema.exceptions.best_match(error.context)
            return _schema_message(best) if best is not None else f"{where}: {error.message}"
        case _:
            return f"{where}: {error.message}"


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else [value]
