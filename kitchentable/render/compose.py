"""Composing the plan: one document for two audiences (DOMAIN.md section 4).

Owns the document's order. The main text is a letter-like plan in plain Dutch addressed to
its reader ("u", or "je" for a young person): about this report · your question · your
situation · what you and the people around you do · what is needed, per result in words ·
agreements · what happens now · your reaction and the signatures, kept together. A Jeugdwet
gezinsplan has its own title, headings and words (jeugdige, ouders met gezag, jeugdconsulent)
and a signature for the young person and each parent with gezag. The annex *Verantwoording*
(render.annex) follows on a new page. Which answer goes where is the form's `print` key
(render.entries); answers marked `file` are never printed. Labels come from the form version
the conversation used; fixed words from the catalogue in the plan's language. Never draws
(render.pdf) and never reads storage.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from kitchentable.domain.case import BsnSource, Case
from kitchentable.domain.plan import Result, SupportPlan
from kitchentable.formengine.model import Form, PrintTarget, Question, QuestionType
from kitchentable.i18n import translator
from kitchentable.render import advice
from kitchentable.render import document as d
from kitchentable.render.annex import Term, annex, result_value, term_of
from kitchentable.render.entries import Entries
from kitchentable.render.plan_builder import APPLICATION
from kitchentable.render.signing import reaction_blocks, signature_blocks
from kitchentable.render.values import format_date, format_value, mask_bsn
from kitchentable.render.wording import (
    NextSteps,
    Say,
    delivery_words,
    explain_terms,
    intro,
    level_words,
    next_steps,
)

MAIN = PrintTarget.MAIN
DECISION_TERM = timedelta(weeks=2)  # Wmo 2015 art. 2.3.5 lid 2


def load_branding(
    data: dict[str, Any], language: str, logo_folder: str | None = None
) -> d.Branding:
    department = data.get("department", "")
    if isinstance(department, dict):
        department = department.get(language) or department.get("nl", "")
    contact = tuple(
        x for x in (data.get("phone", ""), data.get("email", ""), data.get("website", "")) if x
    )
    support = data.get("client_support") or {}
    logo = data.get("logo")
    return d.Branding(
        municipality=data.get("municipality", ""),
        department=department,
        address=tuple(data.get("address", ())),
        contact=contact,
        logo_path=f"{logo_folder}/{logo}" if logo and logo_folder else None,
        color=data.get("color", "#1f5f8b"),
        email=data.get("email", ""),
        phone=data.get("phone", ""),
        client_support=tuple(
            str(support[k]) for k in ("name", "phone", "website") if support.get(k)
        ),
    )


def compose(
    plan: SupportPlan,
    form: Form,
    case: Case,
    *,
    branding: d.Branding,
    consultant: str,
    consultant_role: str,
    draft: bool,
    today: date | None = None,
) -> d.Document:
    lang, kind = plan.language, form.kind
    _ = translator(lang)
    say = Say(lang, form.address)
    entries = Entries(form, plan.entries, lang)
    term = term_of(case, plan, today or date.today())
    youth = str(plan.entries.get("youth.name", "")) or case.person.name
    conversation = plan.entries.get("header.conversation_date")
    # Told by fixed texts ("what happens now"), not as label and value.
    entries.consume("evaluation_date", APPLICATION, "checks.plan_on_paper_deadline")
    main: list[d.Section] = []

    def add(title: str, blocks: list[d.Block], keep: bool = False) -> None:
        if blocks:
            main.append(d.Section(title, tuple(blocks), keep))

    opening: list[d.Block] = [
        d.Paragraphs(
            (
                intro(
                    say,
                    kind,
                    format_date(case.melding_date.isoformat(), lang),
                    format_date(conversation, lang) if conversation else "-",
                    youth,
                ),
            )
        )
    ]
    if term.extended_until:
        opening.append(
            d.Paragraphs(
                (
                    say(
                        "We agreed with you that the investigation takes longer, until {date}."
                    ).format(date=term.extended_until),
                )
            )
        )
    if term.overrun_days > 0:
        opening.append(
            d.Paragraphs(
                (
                    say(
                        "The investigation took {n} days longer than the term allows. We are sorry."
                    ).format(n=term.overrun_days),
                )
            )
        )
    opening += entries.blocks(entries.prefix(MAIN, "header", "present"), MAIN)
    add(say("About this plan") if kind == "jeugd" else say("About this report"), opening)
    if kind == "jeugd":
        add(say("Your family's question"), entries.blocks(entries.prefix(MAIN, "request"), MAIN))
        add(
            say("Your family"),
            entries.blocks(entries.prefix(MAIN, "youth", "household"), MAIN),
        )
        add(
            say("What goes well and what worries you"),
            entries.blocks(entries.prefix(MAIN, "strengths_worries"), MAIN),
        )
        add(say("Goals and what is needed"), _needed(plan, form, entries, say))
    else:
        add(say("Your question"), entries.blocks(entries.prefix(MAIN, "request"), MAIN))
        add(say("Your situation"), _situation(entries, form, lang))
        add(
            say("What you and the people around you do"),
            entries.blocks(
                entries.prefix(MAIN, "strength", "informal_care", "network", "facilities"), MAIN
            ),
        )
        add(say("What is needed"), _needed(plan, form, entries, say))
    add(
        say("Agreements"),
        entries.blocks(
            entries.prefix(MAIN, "agreements", "cooperation", "coordination", "involved"), MAIN
        ),
    )
    add(say("Also discussed"), entries.blocks(entries.take(MAIN, lambda p, _q: True), MAIN))
    add(say("What happens now"), _now(plan, form, entries, branding, say))
    add(
        say("Your family's reaction and signatures")
        if kind == "jeugd"
        else say("Your reaction and signatures"),
        [
            *reaction_blocks(plan, kind, say),
            signature_blocks(plan, case, consultant, consultant_role, say, kind),
        ],
        keep=True,
    )
    explain_terms(main, say)
    title = say("Family plan") if kind == "jeugd" else _("Report and support plan")
    return d.Document(
        meta=d.DocumentMeta(
            title=title,
            subtitle=say("What we discussed with your family, and what we agreed")
            if kind == "jeugd"
            else say("What we discussed with you, and what is needed"),
            document_id=plan.document_id,
            form=f"{form.id} {form.version}",
            language=lang,
            author=consultant,
            subject=f"{_('Melding')} {case.external_id}",
            draft=draft,
            header_right=f"{_('Melding')} {case.external_id}",
        ),
        branding=branding,
        facts=_facts(plan, case, entries, term, consultant, consultant_role, say, kind, youth),
        sections=(*main, *annex(plan, form, entries, term, _)),
        labels={
            "page": _("Page {x} of {y}"),
            "draft": _("CONCEPT"),
            "draft_note": _("CONCEPT – not yet signed"),
            "document": _("Document"),
            "name": _("Name"),
            "role": _("Role"),
            "place_date": _("Place and date"),
        },
    )


def _facts(
    plan: SupportPlan,
    case: Case,
    entries: Entries,
    term: Term,
    consultant: str,
    role: str,
    say: Say,
    kind: str,
    youth: str,
) -> tuple[tuple[str, str], ...]:
    person = case.person
    bsn = mask_bsn(person.bsn)
    if bsn:
        bsn += " " + (
            say("(from the municipality)")
            if person.bsn_source == BsnSource.OFFICE
            else say("(not checked)")
        )
    conversation = ", ".join(
        _mid_sentence(q, format_value(q, v, plan.language))
        for p, q, v in entries.ordered()
        if p in ("header.conversation_date", "header.place", "header.place_other")
    )
    ready = term.extended_until or format_date(case.deadline.isoformat(), plan.language)
    if term.extended_until:
        ready += " " + say("(extended by agreement)")
    if term.overrun_days > 0:
        ready += " · " + say("{n} days late").format(n=term.overrun_days)
    facts = [
        (
            say("Young person") if kind == "jeugd" else say("Name"),
            youth if kind == "jeugd" else person.name,
        ),
        (
            say("Date of birth"),
            format_date(person.birth_date, plan.language) if person.birth_date else "",
        ),
        (say("Address"), person.address.one_line()),
        (say("BSN"), bsn),
        (
            say("Melding"),
            f"{case.external_id} · {format_date(case.melding_date.isoformat(), plan.language)}",
        ),
        (say("Our conversation"), conversation),
        (
            say("Your youth consultant") if kind == "jeugd" else say("Your consultant"),
            ", ".join(x for x in (consultant, role) if x),
        ),
        (say("Plan ready by") if kind == "jeugd" else say("Investigation ready by"), ready),
    ]
    return tuple((label, value) for label, value in facts if value)


def _mid_sentence(question: Question, text: str) -> str:
    """An option's label after a comma reads as the rest of a sentence ("30 november 2026,
    thuis"); what was typed (a place's name) keeps its capitals."""
    return text[:1].lower() + text[1:] if question.type == QuestionType.CHOICE else text


def _situation(entries: Entries, form: Form, lang: str) -> list[d.Block]:
    """Per relevant life domain, under the domain's title."""
    by_domain: dict[str, list[Any]] = {}
    for item in entries.prefix(MAIN, "domains"):
        by_domain.setdefault(item[0].split(".")[1], []).append(item)
    blocks: list[d.Block] = []
    for items in by_domain.values():
        section = form.section_of(items[0][1].id)
        if section is not None:
            blocks.append(d.Paragraphs((), label=section.title.get(lang)))
        blocks.extend(entries.blocks(items, MAIN))
    return blocks


def _needed(plan: SupportPlan, form: Form, entries: Entries, say: Say) -> list[d.Block]:
    """Per result, in words: what, who, how long; an individual provision as advice."""
    lang = plan.language
    blocks: list[d.Block] = []
    for number, result in enumerate(plan.results, start=1):
        kind_text = (
            result_value(form, "category", result.category, lang)
            or result_value(form, "support_kind", result.support_kind, lang)
            or result.support_kind_other
        )
        blocks.append(
            d.Paragraphs(
                (level_words(say, result.level, form.kind).format(kind=kind_text.lower() or "-"),),
                label=f"{number}. {result.description}",
            )
        )
        rows = [(label, value) for label, value in _result_rows(result, form, say) if value]
        if rows:
            blocks.append(d.Fields(tuple(rows)))
    if any(r.needs_decision for r in plan.results):
        blocks.append(
            d.Paragraphs(
                (
                    say("Youth care is advice for now. The municipality decides about it.")
                    if form.kind == "jeugd"
                    else say(
                        "Help from the municipality is advice for now. The municipality decides "
                        "about it after your application."
                    ),
                )
            )
        )
    blocks += entries.blocks(entries.prefix(MAIN, "advice", APPLICATION), MAIN)
    return blocks


def _result_rows(result: Result, form: Form, say: Say) -> list[tuple[str, str]]:
    def date_(value: str) -> str:
        return format_date(value, say.language) if value else ""

    product = result_value(form, "product", result.product, say.language)
    the_help = " · ".join(
        x for x in (product if product != result.product else "", result.support_kind_other) if x
    )
    coded = [
        (say("The help"), the_help if result.category else ""),
        (say("How much"), advice.amount(result, say)),
        (say("How long"), advice.period(result, say)),
        (
            say("How you get the help"),
            delivery_words(say, result.delivery) if result.delivery else "",
        ),
        (say("Preferred provider"), result.provider),
    ]
    if form.kind == "jeugd":
        return [
            (say("For whom"), result.for_whom),
            (say("What we will do"), result.who_what),
            (say("Who does it"), result.who),
            (say("Ready by"), date_(result.by_date)),
            (say("The goal is reached when"), result.reached_when),
            *coded,
        ]
    return [
        (say("Who does what"), result.who_what),
        (say("Starts on"), "" if result.category else date_(result.start_date)),
        *coded,
    ]


def _now(
    plan: SupportPlan, form: Form, entries: Entries, branding: d.Branding, say: Say
) -> list[d.Block]:
    decision_advised = any(r.needs_decision for r in plan.results)
    applied = plan.application_date
    evaluation = entries.value("evaluation_date")
    paper = entries.value("checks.plan_on_paper_deadline")
    steps = NextSteps(
        kind=form.kind,
        application=plan.application and form.kind != "jeugd",
        application_date=format_date(applied, plan.language) if applied else "",
        decision_by=format_date(
            (date.fromisoformat(applied) + DECISION_TERM).isoformat(), plan.language
        )
        if applied
        else "",
        against_advice=plan.application and not decision_advised,
        decision_advised=decision_advised,
        evaluation=format_date(evaluation, plan.language) if evaluation else "",
        paper_by=format_date(paper, plan.language) if paper else "",
        client_support=", ".join(branding.client_support),
        phone=branding.phone,
        email=branding.email,
    )
    return [d.Paragraphs(tuple(next_steps(say, steps)))]
