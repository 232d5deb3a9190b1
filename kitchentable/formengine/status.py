"""What the answers that count mean for each part of the form, kept part by part.

Owns the cached state of every section (visible), top-level question (visible, required,
empty, its message), group item field, form rule (broken or not) and legal topic (open or
met), the counts per section, and bringing up to date only the parts that read a changed
name, with a `Changes` report. Messages are kept as keys and become text when asked, so a
language switch needs no recomputation. Never decides which answers count (skip logic does)
and never coerces.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from kitchentable.formengine.changes import Changes, Progress
from kitchentable.formengine.coercion import is_empty
from kitchentable.formengine.expressions import Expression
from kitchentable.formengine.graph import FormGraph
from kitchentable.formengine.model import Question, QuestionType
from kitchentable.formengine.skiplogic import Run

Message = tuple[
    str, int | str
]  # ("required", 0) | ("min_items", n) | ("invalid", 0) | ("rule", id) | ("filtered", field)
REQUIRED: Message = ("required", 0)
INVALID: Message = ("invalid", 0)
_MISSING = object()


class ItemScope:
    """A group item's fields, then the form's answers: what a field's expressions read."""

    __slots__ = ("env", "item")

    def __init__(self, item: Mapping[str, object], env: Mapping[str, object]) -> None:
        self.item = item
        self.env = env

    def get(self, name: str, /) -> object:
        return self.item[name] if name in self.item else self.env.get(name)


class QuestionState(NamedTuple):
    visible: bool
    required: bool
    empty: bool
    own: Message | None  # its own message (required, too few entries, valid_if)
    rule: str | None  # the first broken form rule shown at it


class FieldState(NamedTuple):
    visible: bool
    required: bool
    empty: bool
    own: Message | None


Counts = tuple[int, int, int, int]  # answered, total, required open, errors
_ZERO: Counts = (0, 0, 0, 0)


def same(first: object, second: object) -> bool:
    return type(first) is type(second) and first == second


class Status:
    def __init__(
        self,
        graph: FormGraph,
        env: dict[str, object],
        answers: Mapping[str, object],
        run: Run,
    ) -> None:
        self.graph = graph
        self.env = env  # the answers that count plus computed values; computed kept here
        self.answers = answers  # stored answers: group items are read from here
        self.run = run
        self.sections: dict[str, bool] = {}
        self.questions: dict[str, QuestionState] = {}
        self.items: dict[str, list[dict[str, FieldState]]] = {}
        self._item_values: dict[str, list[dict[str, object]]] = {}
        self.broken: dict[str, bool] = {}
        self.met: dict[str, bool] = {}
        self.open: dict[str, bool] = {}
        self.counts: dict[str, Counts] = {sid: _ZERO for sid in graph.sections}
        self._parts: dict[str, Counts] = {}
        self._topic_parts: dict[str, dict[str, tuple[int, int]]] = {}
        self._topic_totals: dict[str, tuple[int, int]] = {}
        for cid, expression in graph.computed.items():
            env[cid] = self.run(expression, env, None)
        for sid, section in graph.sections.items():
            self.sections[sid] = self._visible(section.visible_if, env)
        for rid, rule in graph.rules.items():
            self.broken[rid] = not self.run(rule.valid_if, env, True)
        for qid in graph.questions:
            self.questions[qid] = self._question_state(qid)
            self._refresh_items(qid, everything=True)
            self._account(qid, {}, set())
        for tid, topic in graph.topics.items():
            if topic.met_if is not None:
                self.met[tid] = bool(self.run(topic.met_if, env, False))
            self.open[tid] = self._topic_open(tid)

    # -- reading ----------------------------------------------------------------------------
    def progress(self, section_id: str) -> Progress:
        answered, total, required_open, errors = self.counts[section_id]
        return Progress(answered, total, required_open, errors)

    def message(self, question_id: str) -> Message | None:
        return _shown(self.questions[question_id])

    def group_items(self, group_id: str) -> list[dict[str, object]]:
        items = self.answers.get(group_id)
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []

    # -- one change -------------------------------------------------------------------------
    def apply(self, names: set[str], stored: str) -> Changes:  # noqa: PLR0912 - one step a kind
        """`names` are the answers whose counted value changed (already in `env`); `stored`
        is the question whose stored answer changed (its group items may have changed)."""
        graph = self.graph
        computed = self._recompute(names)
        names |= computed
        sections: set[str] = set()
        rules: set[str] = set()
        dirty: set[str] = set()
        for sid in _readers(graph.section_readers, names):
            shown = self._visible(graph.sections[sid].visible_if, self.env)
            if shown != self.sections[sid]:
                self.sections[sid] = shown
                sections.add(sid)
                dirty.update(q.id for q in graph.sections[sid].questions)
        for rid in _readers(graph.rule_readers, names):
            broken = not self.run(graph.rules[rid].valid_if, self.env, True)
            if broken != self.broken[rid]:
                self.broken[rid] = broken
                rules.add(rid)
                dirty.update(graph.rules[rid].questions)
        dirty.update(_readers(graph.question_readers, names))
        visible: set[str] = set()
        required: set[str] = set()
        messages: set[str] = set()
        touched: set[str] = set()
        for qid in dirty:
            old, new = self.questions[qid], self._question_state(qid)
            if old != new:
                self.questions[qid] = new
                touched.add(qid)
                if old.visible != new.visible:
                    visible.add(qid)
                if old.required != new.required:
                    required.add(qid)
                if _shown(old) != _shown(new):
                    messages.add(qid)
        groups: set[str] = set()
        refreshed = set(_readers(graph.group_readers, names))
        for gid in refreshed | {stored}:
            if self._refresh_items(gid, everything=gid in refreshed):
                groups.add(gid)
        counts_before: dict[str, Counts] = {}
        topics: set[str] = set()
        for qid in touched | groups | {stored}:
            self._account(qid, counts_before, topics)
        progress = {sid for sid, old in counts_before.items() if old != self.counts[sid]}
        for tid in _readers(graph.topic_readers, names):
            met_if = graph.topics[tid].met_if
            assert met_if is not None
            self.met[tid] = bool(self.run(met_if, self.env, False))
            topics.add(tid)
        opened: set[str] = set()
        closed: set[str] = set()
        for tid in topics:
            now = self._topic_open(tid)
            if now != self.open[tid]:
                self.open[tid] = now
                (opened if now else closed).add(tid)
        return Changes(
            visible=frozenset(visible),
            required=frozenset(required),
            messages=frozenset(messages),
            values=frozenset(computed),
            groups=frozenset(groups),
            sections=frozenset(sections),
            progress=frozenset(progress),
            opened=frozenset(opened),
            closed=frozenset(closed),
            rules=frozenset(rules),
        )

    def _recompute(self, names: set[str]) -> set[str]:
        """Computed values that read a changed name, each after what it reads."""
        graph = self.graph
        changed: set[str] = set()
        queue = [(graph.computed_rank[c], c) for c in _readers(graph.computed_readers, names)]
        heapq.heapify(queue)
        done: set[str] = set()
        while queue:
            _rank, cid = heapq.heappop(queue)
            if cid in done:
                continue
            done.add(cid)
            value = self.run(graph.computed[cid], self.env, None)
            if not same(self.env.get(cid, _MISSING), value):
                self.env[cid] = value
                changed.add(cid)
                for reader in graph.computed_readers.get(cid, ()):
                    heapq.heappush(queue, (graph.computed_rank[reader], reader))
        return changed

    # -- evaluating one part ----------------------------------------------------------------
    def _visible(self, expression: Expression | None, scope: object) -> bool:
        return expression is None or bool(self.run(expression, scope, False))

    def _required(self, question: Question, scope: object) -> bool:
        if isinstance(question.required, Expression):
            return bool(self.run(question.required, scope, False))
        return question.required

    def own_message(
        self, question: Question, scope: object, value: object, required: bool
    ) -> Message | None:
        if question.type == QuestionType.COMPUTED:
            return None
        if is_empty(value):
            return REQUIRED if required else None
        if (
            question.type == QuestionType.GROUP
            and isinstance(value, list)
            and question.min_items
            and len(value) < question.min_items
        ):
            return ("min_items", question.min_items)
        # an expression that cannot be evaluated never blocks the consultant
        if question.valid_if is not None and not self.run(question.valid_if, scope, True):
            return INVALID
        if question.options_filter is not None:  # a product of another category than chosen
            option = question.option(str(value))
            wanted = scope.get(question.options_filter)  # type: ignore[attr-defined]
            if option is not None and option.group != wanted:
                return ("filtered", question.options_filter)
        return None

    def _question_state(self, question_id: str) -> QuestionState:
        graph, env = self.graph, self.env
        question = graph.questions[question_id]
        visible = self.sections[graph.section_of[question_id].id] and self._visible(
            question.visible_if, env
        )
        required = self._required(question, env)
        value = env.get(question_id)
        rule = next((r.id for r in graph.rules_at.get(question_id, ()) if self.broken[r.id]), None)
        return QuestionState(
            visible,
            required,
            is_empty(value),
            self.own_message(question, env, value, required),
            rule,
        )

    def field_state(self, field: Question, item: Mapping[str, object]) -> FieldState:
        scope = ItemScope(item, self.env)
        required = self._required(field, scope)
        value = scope.get(field.id)
        return FieldState(
            self._visible(field.visible_if, scope),
            required,
            is_empty(value),
            self.own_message(field, scope, value, required),
        )

    def _refresh_items(self, group_id: str, everything: bool) -> bool:
        """Item states of a group after its items (or, with everything, what its fields read)
        changed; True when any state changed."""
        group = self.graph.questions.get(group_id)
        if group is None or group.type != QuestionType.GROUP:
            return False
        items = self.group_items(group_id)
        old_items = self._item_values.get(group_id, [])
        old_states = self.items.get(group_id, [])
        states = []
        changed = len(items) != len(old_states)
        for index, item in enumerate(items):
            if not everything and index < len(old_items) and old_items[index] == item:
                states.append(old_states[index])
                continue
            state = {field.id: self.field_state(field, item) for field in group.questions}
            changed = changed or index >= len(old_states) or state != old_states[index]
            states.append(state)
        self.items[group_id] = states
        self._item_values[group_id] = [dict(item) for item in items]
        return changed

    # -- counting ---------------------------------------------------------------------------
    def _account(
        self, question_id: str, counts_before: dict[str, Counts], topics: set[str]
    ) -> None:
        """Bring the section counts and topic tallies up to date with one question; the
        counts a section had before the change are noted in `counts_before`."""
        graph = self.graph
        question = graph.questions.get(question_id)
        if question is None:
            return
        state = self.questions[question_id]
        counts: Counts = _ZERO
        tallies: dict[str, tuple[int, int]] = {}
        if state.visible and question.type != QuestionType.COMPUTED:
            answered, missing = int(not state.empty), int(state.empty and state.required)
            wrong = int((not state.empty and state.own is not None) or state.rule is not None)
            _tally(tallies, self._counted_topics(question.legal_topics), answered, missing)
            for fields in self.items.get(question_id, ()):
                for field in question.questions:
                    one = fields[field.id]
                    if not one.visible or field.type == QuestionType.COMPUTED:
                        continue
                    gap = int(one.empty and one.required)
                    missing += gap
                    wrong += int(not one.empty and one.own is not None)
                    topics_of = self._counted_topics(field.legal_topics)
                    _tally(tallies, topics_of, int(not one.empty), gap)
            counts = (answered, 1, missing, wrong)
        old = self._parts.get(question_id, _ZERO)
        if counts != old:
            self._parts[question_id] = counts
            sid = graph.section_of[question_id].id
            counts_before.setdefault(sid, self.counts[sid])
            self.counts[sid] = _plus(self.counts[sid], counts, old)
        old_tallies = self._topic_parts.get(question_id, {})
        if tallies != old_tallies:
            self._topic_parts[question_id] = tallies
            for tid in tallies.keys() | old_tallies.keys():
                a, m = tallies.get(tid, (0, 0))
                old_a, old_m = old_tallies.get(tid, (0, 0))
                total_a, total_m = self._topic_totals.get(tid, (0, 0))
                self._topic_totals[tid] = (total_a + a - old_a, total_m + m - old_m)
                topics.add(tid)

    def _counted_topics(self, topic_ids: Iterable[str]) -> list[str]:
        """Tagged topics that tags decide (a topic with met_if is decided by it alone)."""
        topics = self.graph.topics
        return [t for t in topic_ids if t in topics and topics[t].met_if is None]

    def _topic_open(self, topic_id: str) -> bool:
        if topic_id in self.met:
            return not self.met[topic_id]
        answered, missing = self._topic_totals.get(topic_id, (0, 0))
        return missing > 0 or answered == 0


def _shown(state: QuestionState) -> Message | None:
    """The message a question shows: its own first, else the first broken rule's."""
    return state.own or (("rule", state.rule) if state.rule is not None else None)


def _readers(table: Mapping[str, tuple[str, ...]], names: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for name in names:
        found.update(table.get(name, ()))
    return found


def _tally(
    tallies: dict[str, tuple[int, int]], topics: list[str], answered: int, missing: int
) -> None:
    for tid in topics:
        a, m = tallies.get(tid, (0, 0))
        tallies[tid] = (a + answered, m + missing)


def _plus(total: Counts, new: Counts, old: Counts) -> Counts:
    return (
        total[0] + new[0] - old[0],
        total[1] + new[1] - old[1],
        total[2] + new[2] - old[2],
        total[3] + new[3] - old[3],
    )
