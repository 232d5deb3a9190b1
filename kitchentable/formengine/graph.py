"""The dependency graph of a form: which rule reads which answer, built once per Form.

Owns the static analysis a conversation needs to recompute only what an answer change
touches (the way ODK's JavaRosa keeps "triggerables" and Enketo its dependency map):
computed values in evaluation order, the answers each question's visibility reads (through
computed values), the order skip logic settles in, and for every name the sections,
questions, groups, rules, topics and computed values that read it. Never holds answers
and never evaluates an expression (formengine.skiplogic and formengine.status do).
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from kitchentable.formengine.expressions import Expression
from kitchentable.formengine.model import Form, LegalTopic, Question, QuestionType, Rule, Section


@dataclass(frozen=True)
class FormGraph:
    form: Form
    questions: dict[str, Question]  # top level, in form order
    position: dict[str, int]  # top-level question id -> place in the form
    section_of: dict[str, Section]
    sections: dict[str, Section]
    computed: dict[str, Expression]  # top-level computed values, each after what it reads
    computed_rank: dict[str, int]
    # skip logic: answers each question's visibility (its section's and its own) reads,
    # computed values replaced by the answers they read; who reads each answer that way;
    # the order to settle in (rank) and the circles (members in form order) that settle
    # together
    nodes: tuple[str, ...]
    vis_inputs: dict[str, frozenset[str]]
    vis_dependents: dict[str, tuple[str, ...]]
    rank: dict[str, int]
    cycles: dict[str, tuple[str, ...]]
    # readers of each name (an answer or a computed value) in the final answers
    computed_readers: dict[str, tuple[str, ...]]
    section_readers: dict[str, tuple[str, ...]]
    question_readers: dict[str, tuple[str, ...]]
    group_readers: dict[str, tuple[str, ...]]
    rule_readers: dict[str, tuple[str, ...]]
    topic_readers: dict[str, tuple[str, ...]]
    rules: dict[str, Rule]
    rules_at: dict[str, tuple[Rule, ...]]  # question id -> rules shown at it
    topics: dict[str, LegalTopic]

    def answers_read(self, names: Iterable[str]) -> frozenset[str]:
        return answers_behind(names, self.questions, self.computed)


_GRAPHS: dict[int, FormGraph] = {}


def graph_of(form: Form) -> FormGraph:
    """The form's graph, built on first use and kept while the Form lives."""
    found = _GRAPHS.get(id(form))
    if found is None or found.form is not form:
        found = _build(form)
        _GRAPHS[id(form)] = found
        weakref.finalize(form, _GRAPHS.pop, id(form), None)
    return found


def _build(form: Form) -> FormGraph:
    questions = {q.id: q for s in form.sections for q in s.questions}
    section_of = {q.id: s for s in form.sections for q in s.questions}
    computed = _computed_in_order(questions)
    nodes = tuple(qid for qid, q in questions.items() if q.type != QuestionType.COMPUTED)
    vis_inputs = {
        qid: answers_behind(
            _names(section_of[qid].visible_if) | _names(questions[qid].visible_if),
            questions,
            computed,
        )
        for qid in nodes
    }
    rank, cycles = _settle_order(nodes, vis_inputs)
    position = {qid: i for i, qid in enumerate(questions)}
    order = {**position, **{t.id: i for i, t in enumerate(form.legal_topics)}}
    order |= {s.id: i for i, s in enumerate(form.sections)} | {c: i for i, c in enumerate(computed)}
    order |= {r.id: i for i, r in enumerate(form.rules)}
    readers = {kind: _sorted(found, order) for kind, found in _readers(form, computed).items()}
    rules_at: dict[str, list[Rule]] = defaultdict(list)
    for rule in form.rules:
        for qid in rule.questions:
            rules_at[qid].append(rule)
    return FormGraph(
        form=form,
        questions=questions,
        position=position,
        section_of=section_of,
        sections={s.id: s for s in form.sections},
        computed=computed,
        computed_rank={cid: i for i, cid in enumerate(computed)},
        nodes=nodes,
        vis_inputs=vis_inputs,
        vis_dependents=_reverse(vis_inputs),
        rank=rank,
        cycles=cycles,
        computed_readers=readers["computed"],
        section_readers=readers["section"],
        question_readers=readers["question"],
        group_readers=readers["group"],
        rule_readers=readers["rule"],
        topic_readers=readers["topic"],
        rules={r.id: r for r in form.rules},
        rules_at={q: tuple(r) for q, r in rules_at.items()},
        topics={t.id: t for t in form.legal_topics},
    )


def answers_behind(
    names: Iterable[str], questions: dict[str, Question], computed: dict[str, Expression]
) -> frozenset[str]:
    """The answers behind these names: a computed value stands for what it reads."""
    found: set[str] = set()
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        expression = computed.get(name)
        if expression is not None:
            todo.extend(expression.names)
        elif name in questions:
            found.add(name)
    return frozenset(found)


_KINDS = ("computed", "section", "question", "group", "rule", "topic")


def _readers(form: Form, computed: dict[str, Expression]) -> dict[str, dict[str, set[str]]]:
    """kind -> name -> ids of that kind whose expressions read the name."""
    readers: dict[str, dict[str, set[str]]] = {kind: defaultdict(set) for kind in _KINDS}
    for cid, expression in computed.items():
        _note(readers["computed"], expression.names, cid)
    for section in form.sections:
        _note(readers["section"], _names(section.visible_if), section.id)
        for question in section.questions:
            own = {question.id}.union(*(e.names for e in _own_expressions(question)))
            _note(readers["question"], own, question.id)  # its own value: its messages
            fields = {f.id for f in question.questions}
            for field in question.questions:
                for expression in _own_expressions(field):
                    _note(readers["group"], expression.names - fields, question.id)
    for rule in form.rules:
        _note(readers["rule"], rule.valid_if.names, rule.id)
    for topic in form.legal_topics:
        _note(readers["topic"], _names(topic.met_if), topic.id)
    return readers


def _note(table: dict[str, set[str]], names: Iterable[str], reader: str) -> None:
    for name in names:
        table[name].add(reader)


def _sorted(found: dict[str, set[str]], order: dict[str, int]) -> dict[str, tuple[str, ...]]:
    return {name: tuple(sorted(ids, key=lambda i: order.get(i, 0))) for name, ids in found.items()}


def _names(expression: Expression | None) -> frozenset[str]:
    return expression.names if expression is not None else frozenset()


def _own_expressions(question: Question) -> list[Expression]:
    found = [question.visible_if, question.valid_if]
    if isinstance(question.required, Expression):
        found.append(question.required)
    return [e for e in found if e is not None]


def _reverse(edges: dict[str, frozenset[str]]) -> dict[str, tuple[str, ...]]:
    reverse: dict[str, list[str]] = defaultdict(list)
    for target, sources in edges.items():
        for source in sources:
            reverse[source].append(target)
    return {source: tuple(targets) for source, targets in reverse.items()}


def _computed_in_order(questions: dict[str, Question]) -> dict[str, Expression]:
    """Top-level computed values, each after the computed values it reads.

    The loader refuses circles; should one slip through, it is cut where it closes and the
    value that closes it reads None.
    """
    computed = {
        qid: q.expression
        for qid, q in questions.items()
        if q.type == QuestionType.COMPUTED and q.expression is not None
    }
    ordered: dict[str, Expression] = {}
    for start in computed:
        stack: list[tuple[str, list[str]]] = [(start, [])]
        trail: set[str] = set()
        while stack:
            qid, pending = stack[-1]
            if not pending and qid not in trail:
                if qid in ordered:
                    stack.pop()
                    continue
                trail.add(qid)
                pending.extend(sorted(computed[qid].names & computed.keys(), reverse=True))
            while pending and (pending[-1] in ordered or pending[-1] in trail):
                pending.pop()
            if pending:
                stack.append((pending.pop(), []))
                continue
            stack.pop()
            trail.discard(qid)
            ordered.setdefault(qid, computed[qid])
    return ordered


def _settle_order(
    nodes: tuple[str, ...], inputs: dict[str, frozenset[str]]
) -> tuple[dict[str, int], dict[str, tuple[str, ...]]]:
    """A rank per question (what it reads settles first) and the circles, by Tarjan's
    strongly connected components, iteratively (a chain of a thousand questions is no
    reason to hit the recursion limit)."""
    place = {q: i for i, q in enumerate(nodes)}
    edges = {q: sorted(inputs[q], key=place.__getitem__) for q in nodes}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            targets = edges[node]
            if child < len(targets):
                work.append((node, child + 1))
                target = targets[child]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return _ranks(components, place, inputs)


def _ranks(
    components: list[list[str]], place: dict[str, int], inputs: dict[str, frozenset[str]]
) -> tuple[dict[str, int], dict[str, tuple[str, ...]]]:
    # Edges go from a question to the answers it reads, and Tarjan emits a component only
    # after every component it reaches: the order found is already the order to settle in.
    rank: dict[str, int] = {}
    cycles: dict[str, tuple[str, ...]] = {}
    for i, component in enumerate(components):
        members = tuple(sorted(component, key=place.__getitem__))
        for member in members:
            rank[member] = i
        if len(members) > 1 or members[0] in inputs[members[0]]:
            for member in members:
                cycles[member] = members
    return rank, cycles
