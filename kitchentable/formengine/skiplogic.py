"""Skip logic: which stored answers count, kept up to date one answer change at a time.

Owns the fixed point of hidden answers. An answer to a question that skip logic hides counts
as unanswered (None): it stays stored, so switching back brings it back, but it never drives
other rules, computed values or the plan. Hiding one answer can hide another, so the rule is
applied in rounds: round 0 looks at every stored answer and drops, all at once, each one
whose question (or section) is hidden; the next round looks again at what is left, and so on
until a round drops nothing. Each round drops at least one answer, so it ends.

Kept incrementally: for every question, `removal` is the first round in which it is hidden
(NEVER if none). A question's rounds depend only on the answers its visibility reads
(`FormGraph.vis_inputs`), and those answers change presence only in the round after their
own removal, so its removal round is the first of round 0 and those rounds in which it is
hidden: a handful of evaluations, in the order the graph settles in. When one answer
changes, only the questions that read it are looked at again, and theirs only when their
own round moved. Questions whose visibility reads each other in a circle settle together,
round by round, as the rule says. Never decides messages, topics or progress
(formengine.status does) and never coerces.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping

from kitchentable.formengine.expressions import Expression
from kitchentable.formengine.graph import FormGraph

NEVER = 1 << 60  # a removal round no conversation reaches: "never hidden"

Run = Callable[[Expression, object, object], object]  # (expression, scope, default) -> value


class _Round:
    """The answers as round `number` sees them: those not dropped before it, with computed
    values worked out from them on demand."""

    __slots__ = ("logic", "memo", "number")

    def __init__(self, logic: SkipLogic, number: int) -> None:
        self.logic = logic
        self.number = number
        self.memo: dict[str, object] = {}

    def get(self, name: str, /) -> object:
        if name in self.memo:
            return self.memo[name]
        logic = self.logic
        expression = logic.graph.computed.get(name)
        if expression is not None:
            self.memo[name] = None  # a circle (the loader refuses them) reads None
            value = logic.run(expression, self, None)
            self.memo[name] = value
            return value
        if name in logic.answers and logic.removal.get(name, NEVER) >= self.number:
            return logic.answers[name]
        return None


class SkipLogic:
    def __init__(self, graph: FormGraph, answers: Mapping[str, object], run: Run) -> None:
        self.graph = graph
        self.answers = answers  # the stored answers; the owner changes them, then calls update
        self.run = run
        self.removal: dict[str, int] = {}
        for rank_members in self._all_in_order():
            self._settle(rank_members)

    def counts(self, question_id: str) -> bool:
        """Whether a stored answer counts (it is there and never hidden)."""
        return question_id in self.answers and self.removal.get(question_id, NEVER) == NEVER

    def update(self, question_id: str) -> set[str]:
        """After the stored answer to `question_id` changed: settle what reads it again.
        Returns the questions (besides this one) whose answer started or stopped counting."""
        graph = self.graph
        queue: list[tuple[int, str]] = []
        queued: set[str] = set()

        def push_readers(name: str, settling: str | None) -> None:
            for reader in graph.vis_dependents.get(name, ()):
                first = graph.cycles.get(reader, (reader,))[0]
                if first != settling and first not in queued:
                    queued.add(first)
                    heapq.heappush(queue, (graph.rank[first], first))

        push_readers(question_id, None)
        if question_id in graph.cycles:
            first = graph.cycles[question_id][0]
            queued.add(first)
            heapq.heappush(queue, (graph.rank[first], first))
        flipped: set[str] = set()
        while queue:
            _rank, first = heapq.heappop(queue)
            queued.discard(first)
            members = graph.cycles.get(first, (first,))
            before = {m: self.removal[m] for m in members}
            self._settle(members)
            for member in members:
                old, new = before[member], self.removal[member]
                if old != new and member in self.answers:
                    if (old == NEVER) != (new == NEVER) and member != question_id:
                        flipped.add(member)
                    push_readers(member, first)
        return flipped

    # -- settling ----------------------------------------------------------------------------
    def _all_in_order(self) -> list[tuple[str, ...]]:
        graph = self.graph
        firsts = sorted(
            {graph.cycles.get(q, (q,))[0] for q in graph.nodes}, key=graph.rank.__getitem__
        )
        return [graph.cycles.get(first, (first,)) for first in firsts]

    def _settle(self, members: tuple[str, ...]) -> None:
        if members[0] in self.graph.cycles:
            self._settle_circle(members)
        else:
            self.removal[members[0]] = self._first_hidden(members[0])

    def _hidden(self, question_id: str, view: _Round) -> bool:
        graph = self.graph
        section = graph.section_of[question_id].visible_if
        if section is not None and not self.run(section, view, False):
            return True
        own = graph.questions[question_id].visible_if
        return own is not None and not self.run(own, view, False)

    def _changes_of(self, inputs: frozenset[str]) -> set[int]:
        """The rounds in which one of these answers is dropped from what rounds see."""
        found = set()
        for name in inputs:
            if name in self.answers:
                removal = self.removal.get(name, NEVER)
                if removal != NEVER:
                    found.add(removal + 1)
        return found

    def _first_hidden(self, question_id: str) -> int:
        graph = self.graph
        if (
            graph.section_of[question_id].visible_if is None
            and graph.questions[question_id].visible_if is None
        ):
            return NEVER
        for number in sorted({0} | self._changes_of(graph.vis_inputs[question_id])):
            if self._hidden(question_id, _Round(self, number)):
                return number
        return NEVER

    def _settle_circle(self, members: tuple[str, ...]) -> None:
        """Questions that read each other: play the rounds, jumping over quiet stretches."""
        inputs = frozenset().union(*(self.graph.vis_inputs[m] for m in members))
        outside = inputs - set(members)
        for member in members:
            self.removal[member] = NEVER
        number = 0
        while True:
            view = _Round(self, number)
            dropped = [m for m in members if self.removal[m] == NEVER and self._hidden(m, view)]
            for member in dropped:
                self.removal[member] = number
            if any(m in self.answers for m in dropped):
                number += 1
                continue
            later = [r for r in self._changes_of(outside) if r > number]
            if not later:
                return
            number = min(later)
