"""The expression language: what a form may say, what it may not, and how it evaluates.

docs/forms.md is the specification. Anything not listed there is refused when the form is
parsed, so a form file can never run code on the consultant's laptop.
"""

from __future__ import annotations

import ast
import datetime as dt
import tracemalloc
from pathlib import Path

import pytest

from kitchentable.formengine import expressions
from kitchentable.formengine.expressions import (
    FUNCTIONS,
    EvaluationError,
    Expression,
    ExpressionError,
)

TODAY = dt.date(2026, 3, 15)


def evaluate(source: str, **answers: object) -> object:
    return Expression.parse(source).evaluate(answers, today=TODAY)


# -- what a form may say ------------------------------------------------------------------

ALLOWED = [
    # boolean logic
    ("True and False", False),
    ("True or False", True),
    ("not False", True),
    ("not None", True),
    ("a and b", "tweede", {"a": "eerste", "b": "tweede"}),
    ("a or b", "eerste", {"a": "eerste", "b": "tweede"}),
    # comparisons, chained and membership
    ("1 == 1", True),
    ("1 != 2", True),
    ("1 < 2 <= 2 < 3", True),
    ("1 < 3 < 2", False),
    ("3 >= 3 > 2", True),
    ("'samen' in ['alleen', 'samen']", True),
    ("'instelling' not in ['alleen', 'samen']", True),
    ("'rollator' in hulpmiddelen", True, {"hulpmiddelen": ["rollator", "traplift"]}),
    ("'scootmobiel' not in hulpmiddelen", True, {"hulpmiddelen": ["rollator"]}),
    ("woonsituatie == 'samen'", True, {"woonsituatie": "samen"}),
    ("woonsituatie == None", True),
    # arithmetic
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("10 - 4 - 3", 3),
    ("7 / 2", 3.5),
    ("-uren + 10", 6, {"uren": 4}),
    ("+1.5", 1.5),
    ("'Zo' + 'ë'", "Zoë"),
    ("[1] + [2]", [1, 2]),
    # conditional expression and literals
    ("'veel' if uren > 40 else 'weinig'", "veel", {"uren": 41}),
    ("'veel' if uren > 40 else 'weinig'", "weinig", {"uren": 40}),
    ("['a', 'b']", ["a", "b"]),
    ("[]", []),
    ("None", None),
    # the six functions
    ("count(netwerk)", 2, {"netwerk": [{"naam": "An"}, {"naam": "Bo"}]}),
    ("count(netwerk)", 0),
    ("count(['a', 'b', 'c'])", 3),
    ("total(netwerk, 'uren')", 5.5, {"netwerk": [{"uren": 2}, {"uren": 3.5}, {}]}),
    ("total(netwerk, 'uren')", 0),
    ("empty(x)", True),
    ("empty('')", True),
    ("empty([])", True),
    ("empty('tekst')", False),
    ("empty(0)", False),
    ("age('1950-03-15')", 76),
    ("age('1950-03-16')", 75),
    ("age(geboren) >= 18", True, {"geboren": "2008-03-15"}),
    ("age(geboren) >= 18", False, {"geboren": "2008-03-16"}),
    ("days_between('2026-01-01', '2026-03-01')", 59),
    ("days_between('2026-03-01', '2026-01-01')", -59),
    ("add_days('2026-02-27', 2)", "2026-03-01"),
    ("add_days(today, 7)", "2026-03-22"),
    # dates are ISO strings, so they compare as dates
    ("today", "2026-03-15"),
    ("'2025-12-31' < '2026-01-01'", True),
    ("geboortedatum <= today", True, {"geboortedatum": "2026-03-15"}),
    ("geboortedatum <= today", False, {"geboortedatum": "2026-03-16"}),
    ("start < add_days(start, 1)", True, {"start": "2026-12-31"}),
    # values(): one field over a group's items, empty answers left out
    ("values(r, 'x')", ["a", "b"], {"r": [{"x": "a"}, {"x": ""}, {"y": 1}, {"x": "b"}]}),
    ("'m' in values(r, 'x')", True, {"r": [{"x": "e"}, {"x": "m"}]}),
    ("'m' in values(r, 'x')", False, {"r": [{"x": "e"}]}),
    ("'m' in values(r, 'x')", False, {"r": None}),
]


@pytest.mark.parametrize(
    ("source", "expected", "answers"),
    [(case[0], case[1], case[2] if len(case) > 2 else {}) for case in ALLOWED],
    ids=[case[0] for case in ALLOWED],
)
def test_allowed_constructs_evaluate_like_python(
    source: str, expected: object, answers: dict[str, object]
) -> None:
    assert evaluate(source, **answers) == expected


def test_the_seven_documented_functions_are_the_whole_function_table() -> None:
    assert set(FUNCTIONS) == {
        "count",
        "age",
        "days_between",
        "add_days",
        "total",
        "values",
        "empty",
    }


def test_names_are_the_question_ids_an_expression_reads() -> None:
    expression = Expression.parse("age(geboren) > 65 and today > start and 'x' in keuzes")
    assert expression.names == {"geboren", "start", "keuzes"}


def test_unknown_name_evaluates_to_none() -> None:
    assert evaluate("nooit_gevraagd") is None
    assert evaluate("nooit_gevraagd == None") is True


def test_and_or_stop_at_the_first_deciding_value() -> None:
    # The right side would fail; short-circuiting means it is never evaluated.
    assert evaluate("False and (None > 3)") is False
    assert evaluate("True or (None > 3)") is True
    assert evaluate("'a' if True else (None > 3)") == "a"


def test_expression_written_over_several_lines_parses() -> None:
    # A YAML literal block (`|`) keeps the line breaks.
    assert evaluate("woonsituatie == 'samen'\n  and uren > 4\n", woonsituatie="samen", uren=5)


def test_today_defaults_to_the_real_date() -> None:
    assert Expression.parse("today").evaluate({}) == dt.date.today().isoformat()


# -- what a form may not say: refused when the form is parsed -------------------------------

REFUSED = [
    "x.__class__",
    "naam.upper",
    "naam.upper()",
    "open('x')",
    "eval('1')",
    "exec('x')",
    "compile('1', 'f', 'eval')",
    "getattr(x, 'y')",
    "print(1)",
    "len(x)",
    "__import__('os')",
    "__import__('os').system('true')",
    "lambda: 1",
    "(lambda x: x)(1)",
    "[x for x in y]",
    "{x for x in y}",
    "{x: 1 for x in y}",
    "(x for x in y)",
    "x[0]",
    "x['a']",
    "x[1:2]",
    "__builtins__",
    "__name__",
    "_private",
    "f'{x}'",
    "f'{x.__class__}'",
    "(y := 1)",
    "{'a': 1}",
    "{1, 2}",
    "2 ** 8",
    "x ** 2",
    "1 | 2",
    "1 & 2",
    "1 ^ 2",
    "1 << 2",
    "1 >> 2",
    "~1",
    "7 // 2",
    "7 % 2",
    "x is None",
    "x is not None",
    "count(x=netwerk)",
    "total(netwerk, field='uren')",
    "count(*netwerk)",
    "[*netwerk]",
    "b'bytes'",
    "1j",
    "...",
    "count",
    "age(x) + age",
    "count(a, b)",
    "age()",
    "await x",
    "(yield x)",
    "x = 1",
    "import os",
    "",
    "1 +",
    "'unclosed",
    "(" * 300 + "1" + ")" * 300,
    "a\x00",
]


@pytest.mark.parametrize("source", REFUSED)
def test_anything_not_in_the_language_is_refused_at_parse_time(source: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        Expression.parse(source)
    assert caught.value.message  # a sentence the form author can act on


def test_refusal_says_what_is_wrong() -> None:
    with pytest.raises(ExpressionError, match="attribute access"):
        Expression.parse("naam.upper")
    with pytest.raises(ExpressionError, match="calls are not allowed"):
        Expression.parse("open('x')")
    with pytest.raises(ExpressionError, match="indexing"):
        Expression.parse("x[0]")
    with pytest.raises(ExpressionError, match="takes 2 argument"):
        Expression.parse("total(netwerk)")


def test_expression_longer_than_the_limit_is_refused() -> None:
    with pytest.raises(ExpressionError, match="longer than"):
        Expression.parse("x == '" + "a" * expressions.MAX_LENGTH + "'")


def test_expression_with_too_many_parts_is_refused() -> None:
    with pytest.raises(ExpressionError, match="too complex"):
        Expression.parse(" + ".join(["1"] * 150))


def test_no_form_engine_module_calls_eval_exec_or_compile() -> None:
    # Expressions become closures once (formengine.closures); nothing turns text into code.
    modules = sorted(Path(expressions.__file__).parent.glob("*.py"))
    assert any(m.name == "closures.py" for m in modules)
    for module in modules:
        called = set()
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                if isinstance(node.func, ast.Name):
                    called.add(node.func.id)
                elif isinstance(node.func, ast.Attribute):
                    owner = node.func.value
                    regex = isinstance(owner, ast.Name) and owner.id == "re"  # re.compile
                    called.add("re.compile" if regex else node.func.attr)
        assert not called & {"eval", "exec", "compile", "__import__", "getattr"}, module.name


# -- evaluation that cannot succeed ----------------------------------------------------------

CANNOT_EVALUATE = [
    ("None > 3", {}),
    ("uren > 3", {}),
    ("'a' + 1", {}),
    ("1 / 0", {}),
    ("-naam", {"naam": "An"}),
    ("-True", {}),
    ("'a' < 1", {}),
    ("1 in 'abc'", {}),
    ("age(geboren)", {}),
    ("age('geen datum')", {}),
    ("age('2026-02-30')", {}),
    ("days_between(None, today)", {}),
    ("add_days(today, 1.5)", {}),
    ("add_days(today, 100000000000)", {}),
    ("count('tekst')", {}),
    ("total(netwerk, 3)", {"netwerk": []}),
]


@pytest.mark.parametrize(
    ("source", "answers"), CANNOT_EVALUATE, ids=[case[0] for case in CANNOT_EVALUATE]
)
def test_evaluation_that_cannot_succeed_raises_evaluation_error(
    source: str, answers: dict[str, object]
) -> None:
    expression = Expression.parse(source)
    with pytest.raises(EvaluationError):
        expression.evaluate(answers, today=TODAY)


def test_string_repetition_is_refused_before_the_string_is_built() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(EvaluationError, match="too long"):
            evaluate("'a' * 50000000")
        with pytest.raises(EvaluationError, match="too long"):
            evaluate("('a' * 9000) * 9000")
        with pytest.raises(EvaluationError, match="too long"):
            evaluate("['a'] * 50000000")
        with pytest.raises(EvaluationError, match="too long"):
            evaluate("50000000 * naam", naam="An")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000


def test_string_growth_by_addition_is_capped() -> None:
    long = "x" * (expressions.MAX_STRING // 2 + 1)
    with pytest.raises(EvaluationError, match="too long"):
        evaluate("a + b", a=long, b=long)
    assert evaluate("'ab' * 3") == "ababab"


def test_huge_repetition_count_is_an_evaluation_error_not_a_memory_error() -> None:
    with pytest.raises(EvaluationError):
        evaluate("'a' * 1000000000000000")
