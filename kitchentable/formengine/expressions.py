"""The safe expression language of forms (`visible_if`, `valid_if`, `required`, `expression`).

Owns parsing and evaluating expressions. Python's `ast` parses the text; a whitelist walk
accepts only literals, names, boolean logic, comparisons, arithmetic, conditional
expressions and calls to the small function table below, by plain name. Everything else
(attribute access, subscripts, calls to anything else, lambdas, comprehensions, walrus,
f-strings, starred arguments) is refused when the form loads. Evaluation interprets the
tree itself: there is no `eval`, `exec` or `compile` anywhere in this module.
"""

from __future__ import annotations

import ast
import datetime as dt
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

MAX_LENGTH = 2000
MAX_NODES = 200  # a form expression is a line, not a program
MAX_STRING = 10_000  # results of + on strings/lists are capped so a form cannot blow up memory


class ExpressionError(Exception):
    """The expression is not allowed or does not parse. `offset` is 0-based in the text."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class EvaluationError(Exception):
    """The expression is valid but cannot be evaluated on these answers (e.g. None > 3)."""


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    raise EvaluationError(f"not a date: {type(value).__name__}")


def _count(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, list | tuple):
        return len(value)
    raise EvaluationError("count() needs a list or group")


def _age(value: object, today: object) -> int:
    born, now = _as_date(value), _as_date(today)
    return now.year - born.year - ((now.month, now.day) < (born.month, born.day))


def _days_between(first: object, second: object) -> int:
    return (_as_date(second) - _as_date(first)).days


def _add_days(value: object, days: object) -> str:
    if not isinstance(days, int) or isinstance(days, bool):
        raise EvaluationError("add_days() needs a whole number of days")
    return (_as_date(value) + dt.timedelta(days=days)).isoformat()


def _total(group: object, field: object) -> float | int:
    if group is None:
        return 0
    if not isinstance(group, list) or not isinstance(field, str):
        raise EvaluationError("total() needs a group and a field name")
    result: float | int = 0
    for item in group:
        value = item.get(field) if isinstance(item, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            result += value
    return result


def _values(group: object, field: object) -> list[object]:
    """The answers to one field across a group's items (empty ones left out), in order."""
    if group is None:
        return []
    if not isinstance(group, list) or not isinstance(field, str):
        raise EvaluationError("values() needs a group and a field name")
    return [
        item[field]
        for item in group
        if isinstance(item, dict) and item.get(field) not in (None, "", [], {})
    ]


def _empty(value: object) -> bool:
    return value is None or value in ("", [], {})


# name -> (function, number of arguments, needs today)
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, bool]] = {
    "count": (_count, 1, False),
    "age": (_age, 1, True),
    "days_between": (_days_between, 2, False),
    "add_days": (_add_days, 2, False),
    "total": (_total, 2, False),
    "values": (_values, 2, False),
    "empty": (_empty, 1, False),
}
RESERVED_NAMES = frozenset({"today"})

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_ALLOWED_CONSTANTS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Expression:
    """A parsed, checked expression. `names` are the question ids it reads."""

    source: str
    tree: ast.Expression
    names: frozenset[str]

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
        return cls(source=source, tree=tree, names=frozenset(names))

    def evaluate(self, env: Mapping[str, object], today: dt.date | None = None) -> object:
        """Evaluate on answers; unknown names are unanswered (None)."""
        context = _Context(env, (today or dt.date.today()).isoformat())
        try:
            return context.value(self.tree.body)
        except EvaluationError:
            raise
        except (TypeError, ValueError, ZeroDivisionError, OverflowError) as exc:
            raise EvaluationError(str(exc)) from exc


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
    *_BINARY,
    *_COMPARE,
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
        case ast.BinOp(op=op) if type(op) in _BINARY:
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
                "calls are not allowed, except count, age, days_between, add_days, total, empty",
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
            "calls are not allowed, except count, age, days_between, add_days, total, empty",
            offset,
        )
    if name not in RESERVED_NAMES:
        names.add(name)


class _Context:
    """Interprets a checked tree. Only node kinds `_check_node` accepted can reach it."""

    def __init__(self, env: Mapping[str, object], today: str) -> None:
        self.env = env
        self.today = today

    def value(self, node: ast.expr) -> Any:  # noqa: PLR0911, PLR0912 - one case per node kind
        match node:
            case ast.Constant(value=value):
                return value
            case ast.Name(id="today"):
                return self.today
            case ast.Name(id=name):
                return self.env.get(name)
            case ast.BoolOp(op=ast.And(), values=operands):
                return self._and(operands)
            case ast.BoolOp(op=ast.Or(), values=operands):
                return self._or(operands)
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                return not self.value(operand)
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                return -_number(self.value(operand))
            case ast.UnaryOp(op=ast.UAdd(), operand=operand):
                return +_number(self.value(operand))
            case ast.BinOp(left=left, op=binop, right=right):
                return _binary(binop, self.value(left), self.value(right))
            case ast.Compare(left=left, ops=ops, comparators=comparators):
                return self._compare(left, ops, comparators)
            case ast.IfExp(test=test, body=body, orelse=orelse):
                return self.value(body) if self.value(test) else self.value(orelse)
            case ast.List(elts=elts) | ast.Tuple(elts=elts):
                return [self.value(e) for e in elts]
            case ast.Call(func=ast.Name(id=fname), args=args):
                function, _, needs_today = FUNCTIONS[fname]
                values: list[object] = [self.value(a) for a in args]
                if needs_today:
                    values.append(self.today)
                return function(*values)
        raise EvaluationError(f"cannot evaluate {type(node).__name__}")  # unreachable after parse

    def _and(self, operands: list[ast.expr]) -> Any:
        result: Any = True
        for operand in operands:
            result = self.value(operand)
            if not result:
                return result
        return result

    def _or(self, operands: list[ast.expr]) -> Any:
        result: Any = False
        for operand in operands:
            result = self.value(operand)
            if result:
                return result
        return result

    def _compare(self, left: ast.expr, ops: list[ast.cmpop], comparators: list[ast.expr]) -> bool:
        current = self.value(left)
        for cmpop, comparator in zip(ops, comparators, strict=True):
            other = self.value(comparator)
            if not _COMPARE[type(cmpop)](current, other):
                return False
            current = other
        return True


def _binary(binop: ast.operator, left: object, right: object) -> Any:
    if isinstance(binop, ast.Mult):
        # Check the size first: 'a' * 10**9 must never be built just to be refused.
        for sequence, times in ((left, right), (right, left)):
            if (
                isinstance(sequence, str | list)
                and isinstance(times, int)
                and len(sequence) * times > MAX_STRING
            ):
                raise EvaluationError("result too long")
    value = _BINARY[type(binop)](left, right)
    if isinstance(value, str | list) and len(value) > MAX_STRING:
        raise EvaluationError("result too long")
    return value


def _number(value: object) -> int | float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    raise EvaluationError("a number is needed")
