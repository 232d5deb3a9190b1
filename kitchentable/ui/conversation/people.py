"""The people named so far in a conversation, to be picked instead of typed again.

Owns collecting the answers of every `person` question (a name) of the form, at the top
level and inside repeating groups, in form order and without repeats: who was present, the
informal carer, the network. Never changes an answer; Qt-free so it reads like the data it is.
"""

from __future__ import annotations

from collections.abc import Mapping

from kitchentable.formengine.model import Form, QuestionType


def named_people(form: Form, answers: Mapping[str, object]) -> list[str]:
    found: dict[str, str] = {}  # casefolded -> as typed first
    for question in form.questions():
        values: list[object] = []
        if question.person:
            values.append(answers.get(question.id))
        if question.type == QuestionType.GROUP:
            fields = [f.id for f in question.questions if f.person]
            items = answers.get(question.id)
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict):
                    values.extend(item.get(f) for f in fields)
        for value in values:
            if isinstance(value, str) and value.strip():
                found.setdefault(value.strip().casefold(), value.strip())
    return list(found.values())
