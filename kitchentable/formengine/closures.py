"""Turning a checked expression tree into nested Python closures, once, when the form loads.

Owns the evaluator of the expression language. Each node kind becomes a small function that
calls the functions of its children, so evaluating an expression is a few plain calls and
no tree walk. Only node kinds `expressions._check_node` accepted can reach it; anything else
is a programming error. Never uses `eval`, `exec` or `compile`: the closures are ordinary
functions written below, chosen by node kind.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any, Protocol

from kitchentable.formengine.operations import (
    COMPARE,
    FUNCTIONS,
    EvaluationError,
    binary,
    number,
)


class Scope(Protocol):
    """What an expression reads names from: a dict of answers, or a view over one."""

    def get(self, name: str, /) -> Any: ...


Node = Callable[[Scope, str], Any]  # (names, today as ISO text) -> value
Closure = Callable[[Scope, str], object]

_SAFE_ERRORS = (TypeError, ValueError, ZeroDivisionError, OverflowError)


def closure_for(tree: ast.Expression) -> Closure:
    """The expression as one function; failures on these answers raise EvaluationError."""
    body = _node(tree.body)

    def run(scope: Scope, today: str) -> object:
        try:
            return body(scope, today)
        except EvaluationError:
            raise
        except _SAFE_ERRORS as exc:
            raise EvaluationError(str(exc)) from exc

    return run


# One case per node kind reads better than a table of small functions.
def _node(node: ast.expr) -> Node:  # noqa: PLR0911, PLR0912
    match node:
        case ast.Constant(value=value):
            return lambda _scope, _today: value
        case ast.Name(id="today"):
            return lambda _scope, today: today
        case ast.Name(id=name):
            return lambda scope, _today: scope.get(name)
        case ast.BoolOp(op=ast.And(), values=operands):
            return _and([_node(o) for o in operands])
        case ast.BoolOp(op=ast.Or(), values=operands):
            return _or([_node(o) for o in operands])
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            inner = _node(operand)
            return lambda scope, today: not inner(scope, today)
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            inner = _node(operand)
            return lambda scope, today: -number(inner(scope, today))
        case ast.UnaryOp(op=ast.UAdd(), operand=operand):
            inner = _node(operand)
            return lambda scope, today: +number(inner(scope, today))
        case ast.BinOp(left=left, op=binop, right=right):
            kind, first, second = type(binop), _node(left), _node(right)
            return lambda scope, today: binary(kind, first(scope, today), second(scope, today))
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            return _compare(_node(left), ops, [_node(c) for c in comparators])
        case ast.IfExp(test=test, body=body, orelse=orelse):
            condition, then, otherwise = _node(test), _node(body), _node(orelse)
            return lambda scope, today: (
                then(scope, today) if condition(scope, today) else otherwise(scope, today)
            )
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            items = [_node(e) for e in elts]
            return lambda scope, today: [item(scope, today) for item in items]
        case ast.Call(func=ast.Name(id=fname), args=args):
            return _call(fname, [_node(a) for a in args])
    raise EvaluationError(f"cannot evaluate {type(node).__name__}")  # unreachable after parse


def _and(operands: list[Node]) -> Node:
    def run(scope: Scope, today: str) -> Any:
        result: Any = True
        for operand in operands:
            result = operand(scope, today)
            if not result:
                return result
        return result

    return run


def _or(operands: list[Node]) -> Node:
    def run(scope: Scope, today: str) -> Any:
        result: Any = False
        for operand in operands:
            result = operand(scope, today)
            if result:
                return result
        return result

    return run


def _compare(left: Node, ops: list[ast.cmpop], comparators: list[Node]) -> Node:
    tests = [COMPARE[type(op)] for op in ops]
    if len(tests) == 1:  # the common case, `a == 'x'`, without the loop
        test, right = tests[0], comparators[0]
        return lambda scope, today: bool(test(left(scope, today), right(scope, today)))
    pairs = list(zip(tests, comparators, strict=True))

    def run(scope: Scope, today: str) -> bool:
        current = left(scope, today)
        for test, comparator in pairs:
            other = comparator(scope, today)
            if not test(current, other):
                return False
            current = other
        return True

    return run


def _call(fname: str, args: list[Node]) -> Node:
    function, _count, needs_today = FUNCTIONS[fname]
    if needs_today:
        return lambda scope, today: function(*[a(scope, today) for a in args], today)
    return lambda scope, today: function(*[a(scope, today) for a in args])
