"""A plan's answers, routed to the main text or the annex and turned into document blocks.

Owns which answer lands where in the printed plan: each entry (plan path -> answer) belongs to
the question that gives it, and the question's `print` target decides: `main` (under its
`print_label`, written to the reader), `annex` (under its conversation label) or `file`
(never printed). Sections take entries by plan-path prefix; each entry is taken once, and
what no section took is shown last. A group prints the fields of its own target as a table;
its fields for the annex also get a table there, identified by the group's first field.
Never decides the order of the document (render.compose) and never draws (render.pdf).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kitchentable.formengine.model import Form, PrintTarget, Question, QuestionType
from kitchentable.render import document as d
from kitchentable.render.values import format_value

Item = tuple[str, Question, Any]  # plan path, question, stored answer
LONG_TEXT = (QuestionType.LONGTEXT,)


def field_target(group: Question, question: Question) -> PrintTarget:
    """A field inside a group goes where its group goes, unless it says otherwise."""
    return question.print if question.print is not None else group.print_target


def label(question: Question, target: PrintTarget, language: str) -> str:
    return (
        question.printed_label(language)
        if target == PrintTarget.MAIN
        else question.label.get(language)
    )


def group_table(
    question: Question, items: list[dict[str, Any]], language: str, target: PrintTarget
) -> d.Table | None:
    """The group's fields for one target that have an answer somewhere; None when none do.

    In the annex a main group's table starts with its first field, so each row says whose
    it is (the household member whose consent it records).
    """
    fields = [
        f
        for f in question.questions
        if field_target(question, f) == target
        and any(item.get(f.id) not in (None, "", []) for item in items)
    ]
    if not fields:
        return None
    first = question.questions[0]
    if target == PrintTarget.ANNEX and question.print_target != target and first not in fields:
        fields.insert(0, first)
    caption_target = PrintTarget.MAIN if question.print_target == PrintTarget.MAIN else target
    return d.Table(
        headers=tuple(label(f, target, language) for f in fields),
        rows=tuple(
            tuple(format_value(f, item.get(f.id), language) for f in fields) for item in items
        ),
        caption=label(question, caption_target, language),
    )


@dataclass
class Entries:
    """Plan entries with their questions, consumed section by section."""

    form: Form
    values: dict[str, Any]
    language: str
    used: set[tuple[str, PrintTarget]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.questions = {q.plan: q for q in self.form.questions() if q.plan}

    def ordered(self) -> list[Item]:
        return [(p, q, self.values[p]) for p, q in self.questions.items() if p in self.values]

    def take(self, target: PrintTarget, predicate: Callable[[str, Question], bool]) -> list[Item]:
        """Entries for `target` not taken before; a group with fields for another target
        stays available to that target."""
        found = [
            (p, q, v)
            for p, q, v in self.ordered()
            if (p, target) not in self.used
            and predicate(p, q)
            and (
                q.print_target == target
                or (
                    q.type == QuestionType.GROUP
                    and any(field_target(q, f) == target for f in q.questions)
                )
            )
        ]
        self.used.update((p, target) for p, _q, _v in found)
        return found

    def prefix(self, target: PrintTarget, *prefixes: str) -> list[Item]:
        return self.take(
            target, lambda p, _q: any(p == x or p.startswith(x + ".") for x in prefixes)
        )

    def value(self, path: str) -> Any:
        return self.values.get(path)

    def consume(self, *paths: str) -> None:
        """Entries a fixed text already tells (the evaluation date, the application)."""
        self.used.update((p, t) for p in paths for t in PrintTarget)

    def blocks(self, items: list[Item], target: PrintTarget) -> list[d.Block]:
        """Short answers as label/value rows; long text as a labelled paragraph; groups as
        tables."""
        rows: list[tuple[str, str]] = []
        blocks: list[d.Block] = []

        def flush() -> None:
            if rows:
                blocks.append(d.Fields(tuple(rows)))
                rows.clear()

        for _path, question, value in items:
            if question.type == QuestionType.GROUP and isinstance(value, list):
                table = group_table(question, value, self.language, target)
                if table is not None:
                    flush()
                    blocks.append(table)
            elif target == PrintTarget.MAIN and question.type in LONG_TEXT:
                flush()
                blocks.append(
                    d.Paragraphs(
                        tuple(p for p in str(value).split("\n\n") if p.strip()),
                        label=label(question, target, self.language),
                    )
                )
            elif question.print_target == target:
                rows.append(
                    (
                        label(question, target, self.language),
                        format_value(question, value, self.language),
                    )
                )
        flush()
        return blocks
