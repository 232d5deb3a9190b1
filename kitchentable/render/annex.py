"""The annex *Verantwoording*: the plan as the file and the quality officer read it.

Owns the annex's sections, after a page break: the procedure (who was present, the checks
with their dates), the legal topics with their articles and whether each duty is met, the
investigation term (six weeks, an agreed extension and its reason, an overrun in days), the
consents (for a gezinsplan per purpose: who gave it and whether it counts under art. 7.3.4),
the weighing per result along the steps of the law with every motivation, the advice's
details, the self-reliance scores and what else the form routes here. Formal words and
article numbers belong here, not in the main text. Never prints an answer marked `file`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from kitchentable.domain.case import Case, deadline_for
from kitchentable.domain.consent import valid_purposes
from kitchentable.domain.plan import Level, Result, SupportPlan
from kitchentable.formengine.model import Form, PrintTarget, QuestionType
from kitchentable.render import document as d
from kitchentable.render.entries import Entries
from kitchentable.render.plan_builder import TERM_EXTENDED_UNTIL, consenters, role_fields
from kitchentable.render.values import format_date, format_number, format_value, yes_no

ANNEX = PrintTarget.ANNEX


@dataclass(frozen=True)
class Term:
    """The investigation term as the annex and the header show it."""

    melding: str
    six_weeks: str
    extended_until: str
    overrun_days: int  # > 0: late by this many days


def level_label(form: Form, level: Level | None, lang: str) -> str:
    if level is None:
        return ""
    for question in form.questions():
        for item in question.questions:
            option = item.option(level.value) if item.type == QuestionType.CHOICE else None
            if option is not None:
                return option.label.get(lang)
    return level.value.replace("_", " ")


def result_value(form: Form, role: str, value: object, lang: str) -> str:
    """A result's raw value (an option value, a date) as people read it."""
    group = next((q for q in form.questions() if q.plan == "results"), None)
    field = role_fields(group).get(role) if group is not None else None
    if field is None or value in (None, ""):
        return "" if value is None else str(value)
    return format_value(field, value, lang)


def annex(
    plan: SupportPlan,
    form: Form,
    entries: Entries,
    term: Term,
    _: Callable[[str], str],
) -> list[d.Section]:
    lang = plan.language
    sections: list[d.Section] = []

    def add(title: str, blocks: list[d.Block]) -> None:
        if blocks:
            sections.append(d.Section(title, tuple(blocks), new_page=not sections))

    intro = d.Paragraphs(
        (
            _(
                "This annex is for the file. It shows how the investigation was done: the "
                "procedure, the legal topics and the weighing per result, with the articles of "
                "the law."
            ),
        )
    )
    add(
        _("Annex: Verantwoording"),
        [intro, *entries.blocks(entries.prefix(ANNEX, "header", "present", "checks"), ANNEX)],
    )
    add(_("Legal topics"), [_topics(plan, form, lang, _)])
    add(_("Investigation term"), _term(entries, term, _))
    consent_blocks = entries.blocks(entries.prefix(ANNEX, "consents"), ANNEX)
    if form.kind == "jeugd":
        consent_blocks += _youth_consent(plan, form, _)
    add(_("Consents"), consent_blocks)
    add(
        _("Weighing per goal (order of Jeugdwet art. 2.3 and 1.1)")
        if form.kind == "jeugd"
        else _("Weighing per result (order of art. 2.3.5 lid 3)"),
        _weighing(plan, form, lang, _),
    )
    add(_("Advice"), entries.blocks(entries.prefix(ANNEX, "advice", "application"), ANNEX))
    add(_("Self-reliance scores (optional, only where relevant)"), _scores(entries, form, lang, _))
    add(_("Other information"), entries.blocks(entries.take(ANNEX, lambda _p, _q: True), ANNEX))
    if plan.application and form.kind != "jeugd":
        sections.append(
            d.Section(
                _("Decision"),
                (
                    d.Paragraphs(
                        (
                            _(
                                "The decision (beschikking) follows within two weeks of the "
                                "application (Wmo 2015 art. 2.3.5 lid 2). It is taken by a "
                                "mandated officer of the municipality, who may be someone "
                                "other than the consultant."
                            ),
                        )
                    ),
                ),
            )
        )
    return sections


def _topics(plan: SupportPlan, form: Form, lang: str, _: Callable[[str], str]) -> d.Table:
    rows = tuple(
        (
            topic.label.get(lang),
            topic.article,
            (_("open") if topic.id in plan.open_topics else _("done"))
            + ("" if topic.required else " " + _("(optional)")),
        )
        for topic in form.legal_topics
    )
    return d.Table((_("Topic"), _("Article"), _("Status")), rows, (0.5, 0.32, 0.18))


def _term(entries: Entries, term: Term, _: Callable[[str], str]) -> list[d.Block]:
    rows = [
        (_("Melding date"), term.melding),
        (_("Six weeks after the melding"), term.six_weeks),
    ]
    if term.extended_until:
        rows.append((_("Extended by agreement until"), term.extended_until))
    rows.append(
        (
            _("Status"),
            _("exceeded by {n} days").format(n=term.overrun_days)
            if term.overrun_days > 0
            else _("within the term"),
        )
    )
    return [d.Fields(tuple(rows)), *entries.blocks(entries.prefix(ANNEX, "term"), ANNEX)]


def _youth_consent(plan: SupportPlan, form: Form, _: Callable[[str], str]) -> list[d.Block]:
    """Per purpose: who gave consent and whether it counts under the age rule."""
    age, youth, parents = consenters(form, plan.entries)
    labels = {o.value: o.label.get(plan.language) for q in form.questions() for o in q.options}
    purposes = sorted({p for person in (youth, *parents) for p in person.purposes})
    if not purposes:
        return []
    valid = set(valid_purposes(age, youth, parents))
    rows = tuple(
        (
            labels.get(purpose, purpose),
            ", ".join(p.name for p in (youth, *parents) if purpose in p.purposes),
            _("yes") if purpose in valid else _("no: not everyone the law names consented"),
        )
        for purpose in purposes
    )
    return [
        d.Table(
            (_("Purpose"), _("Consent given by"), _("Counts (Jeugdwet art. 7.3.4)")),
            rows,
            (0.4, 0.3, 0.3),
            caption=_("Consent per purpose (young person aged {age})").format(
                age=age if age is not None else "?"
            ),
        )
    ]


def _weighing(plan: SupportPlan, form: Form, lang: str, _: Callable[[str], str]) -> list[d.Block]:
    blocks: list[d.Block] = []
    for i, result in enumerate(plan.results, start=1):
        rows = [(_("Reached by"), level_label(form, result.level, lang) or _("not yet decided"))]
        if result.level is not None:
            for level in result.level.passed_over():
                why = result.motivations.get(level.value, "").strip()
                rows.append(
                    (
                        _("Why not: {step}").format(step=level_label(form, level, lang)),  # type: ignore[arg-type]
                        why or _("(no motivation given)"),
                    )
                )
        rows += _advice_rows(result, form, lang, _)
        blocks.append(d.Paragraphs((), label=f"{i}. {result.description}"))
        blocks.append(d.Fields(tuple(rows)))
    return blocks


def _advice_rows(
    result: Result, form: Form, lang: str, _: Callable[[str], str]
) -> list[tuple[str, str]]:
    codes = dict(coded_rows(result, form, lang))
    values: list[tuple[str, Any]] = [
        (_("Kind (advice)"), result_value(form, "support_kind", result.support_kind, lang)),
        (_("Product category"), codes["category"]),
        (_("Product"), codes["product"]),
        (_("Which provision"), result.support_kind_other),
        (_("Extent"), result.extent),
        (_("Volume"), format_number(result.volume, lang)),
        (_("Unit"), codes["unit"]),
        (_("Frequency"), codes["frequency"]),
        (_("Budget (euro)"), format_number(result.budget, lang)),
        (_("Intended start"), format_date(result.start_date, lang) if result.category else ""),
        (_("Intended end"), format_date(result.end_date, lang) if result.end_date else ""),
        (_("Duration"), result.duration),
        (
            _("Care in kind or personal budget"),
            result_value(form, "delivery", result.delivery, lang),
        ),
        (_("Why this form"), result.delivery_reasons),
        (
            _("Budget plan for the pgb"),
            "" if result.pgb_plan is None else yes_no(result.pgb_plan, lang),
        ),
        (
            _("Can manage the pgb"),
            "" if result.pgb_management is None else yes_no(result.pgb_management, lang),
        ),
        (_("Provider"), result.provider),
        (
            _("Evaluation"),
            format_date(result.evaluation_date, lang) if result.evaluation_date else "",
        ),
    ]
    return [(label, str(value)) for label, value in values if value]


def _scores(entries: Entries, form: Form, lang: str, _: Callable[[str], str]) -> list[d.Block]:
    rows: list[tuple[str, ...]] = []
    for _path, question, value in entries.take(
        ANNEX, lambda p, q: q.type == QuestionType.SCALE and p.startswith("domains.")
    ):
        section = form.section_of(question.id)
        level = int(value)
        description = (
            question.levels[level - 1].get(lang) if 0 < level <= len(question.levels) else ""
        )
        rows.append((section.title.get(lang) if section else question.id, str(level), description))
    if not rows:
        return []
    return [
        d.Table(
            (_("Life domain"), _("Score (1–5)"), _("What the score means")),
            tuple(rows),
            (0.3, 0.15, 0.55),
        )
    ]


def term_of(case: Case, plan: SupportPlan, today: date) -> Term:
    six_weeks = deadline_for(case.melding_date)
    extended = plan.entries.get(TERM_EXTENDED_UNTIL)
    end = date.fromisoformat(extended) if extended else case.deadline
    # A signed plan is judged on the day it was signed; a draft on today.
    signed = [s.date for s in plan.signatures if s.date]
    moment = date.fromisoformat(max(signed)) if signed and plan.fully_signed else today
    return Term(
        melding=format_date(case.melding_date.isoformat(), plan.language),
        six_weeks=format_date(six_weeks.isoformat(), plan.language),
        extended_until=format_date(extended, plan.language) if extended else "",
        overrun_days=max(0, (moment - end).days),
    )


def coded_rows(result: Result, form: Form, language: str) -> list[tuple[str, str]]:
    """For the annex: each code with its name, as the back office will enter it."""

    def named(role: str, value: str, list_id: str) -> str:
        if not value:
            return ""
        name = result_value(form, role, value, language)
        where = f", {list_id}" if list_id else ""
        return f"{name} ({value}{where})" if name != value else f"{value}{where}"

    lists = {"wmo": "WMO020", "jeugd": "JZ020"}
    return [
        ("category", named("category", result.category, lists.get(form.kind, ""))),
        ("product", named("product", result.product, "")),
        ("unit", named("unit", result.unit, "WJ756")),
        ("frequency", named("frequency", result.frequency, "WMO757")),
    ]
