"""The safe expression language of forms (`visible_if`, `valid_if`, `required`, `expression`).

Owns parsing and checking expressions. Python's `ast` parses the text; a whitelist walk
accepts only literals, names, boolean logic, comparisons, arithmetic, conditional
expressions and calls to the function table (formengine.operations), by plain name.
Everything else (attribute access, subscripts, calls to anything else, lambdas,
comprehensions, walrus, f-strings, starred arguments) is refused when the form loads. A
checked tree is then turned into closures once (formengine.closures); there is no `eval`,
`exec` or `compile` anywhere in the form engine.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from kitchentable.formengine.closures import Closure, closure_for
from kitchentable.formengine.operations import (
    BINARY,
    COMPARE,
    FUNCTIONS,
    MAX_STRING,
    RESERVED_NAMES,
    EvaluationError,
)

__all__ = [
    "FUNCTIONS",
    "MAX_STRING",
    "RESERVED_NAMES",
    "EvaluationError",
    "Expression",
    "ExpressionError",
]

MAX_LENGTH = 2000
MAX_NODES = 200  # a form expression is a line, not a program


class ExpressionError(Exception):
    """The expression is not allowed or does not parse. `offset` is 0-based in the text."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


_ALLOWED_CONSTANTS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Expression:
    """A parsed, checked expression. `names` are the question ids it reads; `run` is the
    expression compiled once into closures (formengine.closures), taking the names to read
    and today's date as ISO text."""

    source: str
    tree: ast.Expression
    names: frozenset[str]
    run: Closure = field(compare=False, repr=False)

    @classmethod
    def parse(cls, source: str) -> Expression:
        if len(source) > MAX_LENGTH:
            raise ExpressionError(f"expression longer than {MAX_LENGTH} characters")
        # A YAML literal block (`|`) keeps its line breaks; inside one expression they are
        # only spacing, as they would be between brackets. Same length, so offsets still fit.
        text = source.replace("\r", " ").replace("\n", " ").strip()
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as exc:
            raise ExpressionError(
                f"not a valid expression: {exc.msg}", (exc.offset or 1) - 1
            ) from exc
        except (RecursionError, MemoryError, ValueError) as exc:
            raise ExpressionError("expression too deeply nested") from exc
        nodes = list(ast.walk(tree))
        if len(nodes) > MAX_NODES:
            raise ExpressionError(f"expression too complex (more than {MAX_NODES} parts)")
        called = {id(node.func) for node in nodes if isinstance(node, ast.Call)}
        names: set[str] = set()
        for node in nodes:
            _check_node(node, names, id(node) in called)
        return cls(source=source, tree=tree, names=frozenset(names), run=closure_for(tree))

    def evaluate(self, env: Mapping[str, object], today: dt.date | None = None) -> object:
        """Evaluate on answers; unknown names are unanswered (None)."""
        return self.run(env, (today or dt.date.today()).isoformat())


_PASSIVE = (
    ast.Expression,
    ast.Load,
    ast.And,
    ast.Or,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.List,
    ast.Tuple,
    *BINARY,
    *COMPARE,
)
_UNARY = (ast.Not, ast.USub, ast.UAdd)


# One case per node kind reads better than a table of small functions.
def _check_node(node: ast.AST, names: set[str], called: bool) -> None:  # noqa: PLR0912
    """Accept one node of the tree or raise ExpressionError saying why not."""
    offset = node.col_offset if isinstance(node, ast.expr) else 0
    if isinstance(node, (*_PASSIVE, *_UNARY)):
        return
    match node:
        case ast.UnaryOp(op=op) if isinstance(op, _UNARY):
            return
        case ast.BinOp(op=op) if type(op) in BINARY:
            return
        case ast.BinOp() | ast.UnaryOp():
            raise ExpressionError("this operator is not allowed in a form expression", offset)
        case ast.Constant(value=value):
            if not isinstance(value, _ALLOWED_CONSTANTS):
                raise ExpressionError(
                    "only text, numbers, True, False and None are allowed", offset
                )
        case ast.Name(id=name):
            _check_name(name, names, called, offset)
        case ast.Call(func=ast.Name(id=fname), args=args, keywords=keywords) if fname in FUNCTIONS:
            expected = FUNCTIONS[fname][1]
            if keywords or any(isinstance(a, ast.Starred) for a in args):
                raise ExpressionError(f"{fname}() takes plain arguments only", offset)
            if len(args) != expected:
                raise ExpressionError(f"{fname}() takes {expected} argument(s)", offset)
        case ast.Call(func=ast.Attribute()) | ast.Attribute():
            raise ExpressionError("attribute access (a.b) is not allowed", offset)
        case ast.Call():
            raise ExpressionError(
                "calls are not allowed, except count, age, days_between, add_days, total, values, empty",
                offset,
            )
        case ast.Subscript():
            raise ExpressionError("indexing (a[b]) is not allowed", offset)
        case _:
            raise ExpressionError(
                f"'{type(node).__name__}' is not allowed in a form expression", offset
            )


def _check_name(name: str, names: set[str], called: bool, offset: int) -> None:
    if name.startswith("_"):
        raise ExpressionError(f"the name '{name}' is not allowed", offset)
    if name in FUNCTIONS:
        if not called:
            raise ExpressionError(f"{name} is a function: write {name}(...)", offset)
        return
    if called:
        raise ExpressionError(
            "calls are not allowed, except count, age, days_between, add_days, total, values, empty",
            offset,
        )
    if name not in RESERVED_NAMES:
        names.add(name)
