"""Who must consent for a young person, by age (Jeugdwet art. 7.3.4), checked per person.

Owns the age rule and the check of recorded consents against it: younger than 12 the parents
with gezag; from 12 to 16 the young person and the parents with gezag; from 16 the young
person alone. A consent for a purpose counts only when everyone the rule names gave it, so
"the young person and the parents" cannot be claimed while one parent with gezag was not
asked. Pure: no forms, no storage, no words for people (the caller phrases the problems).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Party(StrEnum):
    YOUTH = "youth"
    PARENTS = "parents"


def required_parties(age: int) -> frozenset[Party]:
    if age < 12:
        return frozenset({Party.PARENTS})
    if age < 16:
        return frozenset({Party.YOUTH, Party.PARENTS})
    return frozenset({Party.YOUTH})


@dataclass(frozen=True)
class Consenter:
    """One person who may consent, and the purposes they consented to."""

    name: str
    party: Party
    purposes: frozenset[str]


@dataclass(frozen=True)
class ConsentProblem:
    """A purpose someone consented to, for which a person the rule names did not."""

    purpose: str
    missing: tuple[str, ...]  # names of the people whose consent is missing
    age: int
    no_parent: bool = False  # the rule needs parents, and no parent with gezag is recorded


def consent_problems(
    age: int | None, youth: Consenter, parents: list[Consenter]
) -> list[ConsentProblem]:
    """Per purpose anyone consented to: whose consent the rule still needs (none = valid)."""
    if age is None:
        return []
    needed = required_parties(age)
    people = [youth, *parents]
    purposes = sorted({p for person in people for p in person.purposes})
    problems = []
    for purpose in purposes:
        missing: list[str] = []
        if Party.YOUTH in needed and purpose not in youth.purposes:
            missing.append(youth.name)
        if Party.PARENTS in needed:
            missing += [p.name for p in parents if purpose not in p.purposes]
        no_parent = Party.PARENTS in needed and not parents
        if missing or no_parent:
            problems.append(ConsentProblem(purpose, tuple(missing), age, no_parent))
    return problems


def valid_purposes(age: int | None, youth: Consenter, parents: list[Consenter]) -> list[str]:
    """The purposes with a complete consent under the age rule."""
    if age is None:
        return []
    given = {p for person in (youth, *parents) for p in person.purposes}
    broken = {problem.purpose for problem in consent_problems(age, youth, parents)}
    return sorted(given - broken)
