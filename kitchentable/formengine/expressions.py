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


def _empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


# name -> (function, number of arguments, needs today)
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, bool]] = {
    "count": (_count, 1, False),
    "age": (_age, 1, True),
    "days_between": (_days_between, 2, False),
    "add_days": (_add_days, 2, False),
    "total": (_total, 2, False),
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
        try:
            tree = ast.parse(source.strip(), mode="eval")
        except SyntaxError as exc:
            raise ExpressionError(f"not a valid expression: {exc.msg}", (exc.offset or 1) - 1) from exc
        names: set[str] = set()
        count = 0
        for node in ast.walk(tree):
            count += 1
            _check_node(node, names)
        if count > MAX_NODES:
            raise ExpressionError(f"expression too complex (more than {MAX_NODES} parts)")
        return cls(source=source, tree=tree, names=frozenset(names))

    def evaluate(self, env: Mapping[str, object], today: dt.date | None = None) -> object:
        """Evaluate on answers; unknown names are unanswered (None)."""
        context = _Context(env, (today or dt.date.today()).isoformat())
        try:
            return context.eval(self.tree.body)
        except EvaluationError:
            raise
        except (TypeError, ValueError, ZeroDivisionError, OverflowError) as exc:
            raise EvaluationError(str(exc)) from exc


def _check_node(node: ast.AST, names: set[str]) -> None:
    offset = getattr(node, "col_offset", 0)
    match node:
        case ast.Expression() | ast.Load() | ast.And() | ast.Or() | ast.Not() | ast.USub() | ast.UAdd():
            return
        case ast.BoolOp() | ast.Compare() | ast.IfExp() | ast.List() | ast.Tuple():
            return
        case ast.UnaryOp(op=ast.Not() | ast.USub() | ast.UAdd()):
            return
        case ast.BinOp(op=op) if type(op) in _BINARY:
            return
        case ast.BinOp() | ast.UnaryOp():
            raise ExpressionError("this operator is not allowed in a form expression", offset)
        case _ if isinstance(node, tuple(_BINARY)) or isinstance(node, tuple(_COMPARE)):
            return
        case ast.Constant(value=value):
            if not isinstance(value, _ALLOWED_CONSTANTS):
                raise ExpressionError("only text, numbers, True, False and None are allowed", offset)
            return
        case ast.Name(id=name):
            if name.startswith("_"):
                raise ExpressionError(f"the name '{name}' is not allowed", offset)
            if name in FUNCTIONS:
                return  # checked as part of its Call; a bare function name is refused at eval
            if name not in RESERVED_NAMES:
                names.add(name)
            return
        case ast.Call(func=ast.Name(id=fname), args=args, keywords=[]) if fname in FUNCTIONS:
            expected = FUNCTIONS[fname][1]
            if len(args) != expected or any(isinstance(a, ast.Starred) for a in args):
                raise ExpressionError(f"{fname}() takes {expected} argument(s)", offset)
            return
        case ast.Call():
            raise ExpressionError(
                "calls are not allowed, except count, age, days_between, add_days, total, empty",
                offset,
            )
        case ast.Attribute():
            raise ExpressionError("attribute access (a.b) is not allowed", offset)
        case ast.Subscript():
            raise ExpressionError("indexing (a[b]) is not allowed", offset)
        case _:
            raise ExpressionError(
                f"'{type(node).__name__}' is not allowed in a form expression", offset
            )


class _Context:
    def __init__(self, env: Mapping[str, object], today: str) -> None:
        self.env = env
        self.today = today

    def eval(self, node: ast.expr) -> Any:  # noqa: PLR0911, PLR0912 - one branch per node kind
        match node:
            case ast.Constant(value=value):
                return value
            case ast.Name(id="today"):
                return self.today
            case ast.Name(id=name):
                if name in FUNCTIONS:
                    raise EvaluationError(f"{name} must be called")
                return self.env.get(name)
            case ast.BoolOp(op=ast.And(), values=values):
                result: Any = True
                for value in values:
                    result = self.eval(value)
                    if not result:
                        return result
                return result
            case ast.BoolOp(op=ast.Or(), values=values):
                result = False
                for value in values:
                    result = self.eval(value)
                    if result:
                        return result
                return result
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                return not self.eval(operand)
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                return -_number(self.eval(operand))
            case ast.UnaryOp(op=ast.UAdd(), operand=operand):
                return +_number(self.eval(operand))
            case ast.BinOp(left=left, op=op, right=right):
                value = _BINARY[type(op)](self.eval(left), self.eval(right))
                if isinstance(value, str | list) and len(value) > MAX_STRING:
                    raise EvaluationError("result too long")
                return value
            case ast.Compare(left=left, ops=ops, comparators=comparators):
                current = self.eval(left)
                for op, comparator in zip(ops, comparators, strict=True):
                    other = self.eval(comparator)
                    if not _COMPARE[type(op)](current, other):
                        return False
                    current = other
                return True
            case ast.IfExp(test=test, body=body, orelse=orelse):
                return self.eval(body) if self.eval(test) else self.eval(orelse)
            case ast.List(elts=elts) | ast.Tuple(elts=elts):
                return [self.eval(e) for e in elts]
            case ast.Call(func=ast.Name(id=fname), args=args):
                function, _, needs_today = FUNCTIONS[fname]
                values = [self.eval(a) for a in args]
                if needs_today:
                    values.append(self.today)
                return function(*values)
        raise EvaluationError(f"cannot evaluate {type(node).__name__}")  # unreachable after parse


def _number(value: object) -> int | float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    raise EvaluationError("a number is needed")
