"""What a form expression can do when it runs: the function table, the operators and limits.

Owns the seven functions (count, age, days_between, add_days, total, values, empty), the arithmetic
and comparison operators with their size limits, and `EvaluationError` (an expression that
is valid but cannot be evaluated on these answers). Never parses text (formengine.expressions)
and never walks a tree (formengine.closures).
"""

from __future__ import annotations

import ast
import datetime as dt
import operator
from collections.abc import Callable
from typing import Any

MAX_STRING = (
    10_000  # results of + and * on strings/lists are capped so a form cannot blow up memory
)


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

BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def binary(binop: type[ast.operator], left: object, right: object) -> Any:
    if binop is ast.Mult:
        # Check the size first: 'a' * 10**9 must never be built just to be refused.
        for sequence, times in ((left, right), (right, left)):
            if (
                isinstance(sequence, str | list)
                and isinstance(times, int)
                and len(sequence) * times > MAX_STRING
            ):
                raise EvaluationError("result too long")
    value = BINARY[binop](left, right)
    if isinstance(value, str | list) and len(value) > MAX_STRING:
        raise EvaluationError("result too long")
    return value


def number(value: object) -> int | float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    raise EvaluationError("a number is needed")
