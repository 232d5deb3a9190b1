"""Composing the report and support plan: which sections, in which order, with which words.

Owns the document's structure as DOMAIN.md section 4 lays it out: header facts, who was
present, procedural checks, the request, situation and problems per relevant domain (scores
as a table), desired results, possibilities a–f, the weighing per pyramid step with its
motivations, advice, agreements and evaluation date, consents, the inhabitant's reaction,
the optional application, and signatures with the mandate note. Labels of answers come
from the form version the conversation used; the document's own words from the gettext
catalogue in the plan's language. Never draws (render.pdf) and never reads storage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kitchentable.domain.case import BsnSource, Case
from kitchentable.domain.plan import PyramidLevel, SignerRole, SupportPlan
from kitchentable.formengine.model import Form, Question, QuestionType
from kitchentable.i18n import translator
from kitchentable.render import document as d
from kitchentable.render.values import format_date, format_value, mask_bsn, yes_no

POSSIBILITY_TOPICS = ("a", "b", "c", "d", "e", "f")


@dataclass
class _Entries:
    """Plan entries with their questions, consumed section by section; leftovers come last."""

    form: Form
    values: dict[str, Any]
    language: str
    used: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.questions = {q.plan: q for q in self.form.questions() if q.plan}

    def ordered(self) -> list[tuple[str, Question, Any]]:
        return [(p, q, self.values[p]) for p, q in self.questions.items() if p in self.values]

    def take(self, predicate: Callable[[str, Question], bool]) -> list[tuple[str, Question, Any]]:
        found = [(p, q, v) for p, q, v in self.ordered() if p not in self.used and predicate(p, q)]
        self.used.update(p for p, _, _ in found)
        return found

    def prefix(self, *prefixes: str) -> list[tuple[str, Question, Any]]:
        return self.take(lambda p, _q: any(p == x or p.startswith(x + ".") for x in prefixes))

    def blocks(self, items: list[tuple[str, Question, Any]]) -> list[d.Block]:
        rows: list[tuple[str, str]] = []
        blocks: list[d.Block] = []
        for _path, question, value in items:
            if question.type == QuestionType.GROUP and isinstance(value, list):
                if rows:
                    blocks.append(d.Fields(tuple(rows)))
                    rows = []
                blocks.append(group_table(question, value, self.language))
            else:
                rows.append(
                    (
                        question.label.get(self.language),
                        format_value(question, value, self.language),
                    )
                )
        if rows:
            blocks.append(d.Fields(tuple(rows)))
        return blocks


def group_table(question: Question, items: list[dict[str, Any]], language: str) -> d.Table:
    fields = [
        f for f in question.questions if any(item.get(f.id) not in (None, "", []) for item in items)
    ]
    fields = fields or list(question.questions[:1])
    return d.Table(
        headers=tuple(f.label.get(language) for f in fields),
        rows=tuple(
            tuple(format_value(f, item.get(f.id), language) for f in fields) for item in items
        ),
        caption=question.label.get(language),
    )


def load_branding(
    data: dict[str, Any], language: str, logo_folder: str | None = None
) -> d.Branding:
    department = data.get("department", "")
    if isinstance(department, dict):
        department = department.get(language) or department.get("nl", "")
    contact = tuple(
        x for x in (data.get("phone", ""), data.get("email", ""), data.get("website", "")) if x
    )
    logo = data.get("logo")
    return d.Branding(
        municipality=data.get("municipality", ""),
        department=department,
        address=tuple(data.get("address", ())),
        contact=contact,
        logo_path=f"{logo_folder}/{logo}" if logo and logo_folder else None,
        color=data.get("color", "#1f5f8b"),
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
) -> d.Document:
    lang = plan.language
    _ = translator(lang)
    entries = _Entries(form, plan.entries, lang)
    header = {p.split(".", 1)[1]: (q, v) for p, q, v in entries.prefix("header")}
    kind = format_value(*header["kind"], lang) if "kind" in header else case.kind
    conversation = ", ".join(
        x
        for x in (
            format_value(*header[k], lang) for k in ("conversation_date", "place") if k in header
        )
        if x
    )
    person = case.person
    bsn = mask_bsn(person.bsn)
    if bsn:
        bsn += " " + (
            _("(from the office)") if person.bsn_source == BsnSource.OFFICE else _("(not verified)")
        )
    facts = [
        (_("Melding"), case.external_id),
        (_("Kind"), kind),
        (_("Melding date"), format_date(case.melding_date.isoformat(), lang)),
        (_("Deadline (6 weeks)"), format_date(case.deadline.isoformat(), lang)),
        (_("Conversation"), conversation),
        (_("Inhabitant"), person.name),
        (_("Date of birth"), format_date(person.birth_date, lang) if person.birth_date else ""),
        (_("BSN"), bsn),
        (_("Address"), person.address.one_line()),
        (_("Consultant"), ", ".join(x for x in (consultant, consultant_role) if x)),
    ]
    sections: list[d.Section] = []

    def add(title: str, blocks: list[d.Block], keep: bool = False) -> None:
        if blocks:
            sections.append(d.Section(title, tuple(blocks), keep))

    add(_("Who was present"), entries.blocks(entries.prefix("present")))
    add(_("Procedural checks"), entries.blocks(entries.prefix("checks")))
    add(_("The request for help"), entries.blocks(entries.prefix("request")))
    # Jeugdwet gezinsplan: one plan for the household (DOMAIN.md section 2).
    add(_("The young person"), entries.blocks(entries.prefix("youth")))
    add(_("The household"), entries.blocks(entries.prefix("household")))
    add(_("Strengths and worries"), entries.blocks(entries.prefix("strengths_worries")))
    add(_("Goals and actions"), entries.blocks(entries.prefix("goals")))
    add(
        _("Coordination and who is involved"),
        entries.blocks(entries.prefix("coordination", "involved")),
    )
    add(_("Safety"), entries.blocks(entries.prefix("safety")))
    add(_("Situation and problems per life domain"), _domains(entries, form, lang, _))
    add(_("Desired results"), _results_table(plan, form, lang, _))
    add(_("Possibilities (Wmo 2015 art. 2.3.2 lid 4 a–f)"), _possibilities(entries, form, lang))
    add(_("Weighing per result (order of art. 2.3.5 lid 3)"), _weighing(plan, form, lang, _))
    add(_("Advice"), entries.blocks(entries.prefix("advice")))
    agreements = entries.blocks(entries.prefix("agreements", "evaluation_date"))
    add(_("Agreements and evaluation"), agreements)
    add(_("Consents"), entries.blocks(entries.prefix("consents")))
    add(_("Other information"), entries.blocks(entries.take(lambda p, _q: p != "application")))
    add(_("The inhabitant's reaction"), _reaction(plan, lang, _))
    if plan.application:
        add(
            _("Application"),
            [
                d.Paragraphs(
                    (
                        _(
                            "The inhabitant asks for the customised support described in this report; "
                            "this signed report serves as the application (aanvraag)."
                        ),
                    )
                )
            ],
        )
    add(
        _("Signatures"),
        [_signatures(plan, person.name, consultant, consultant_role, _, form.kind)],
        keep=True,
    )
    return d.Document(
        meta=d.DocumentMeta(
            title=_("Report and support plan"),
            subtitle=f"{form.title.get(lang)} · "
            + (
                _("plan with the young person and the parents, Jeugdwet art. 4.1.3")
                if form.kind == "jeugd"
                else _("investigation after a melding, Wmo 2015 art. 2.3.2")
            ),
            document_id=plan.document_id,
            form=f"{form.id} {form.version}",
            language=lang,
            author=consultant,
            subject=f"{_('Melding')} {case.external_id}",
            draft=draft,
            header_right=f"{_('Melding')} {case.external_id}",
        ),
        branding=branding,
        facts=tuple(facts),
        sections=tuple(sections),
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


def _domains(entries: _Entries, form: Form, lang: str, _: Callable[[str], str]) -> list[d.Block]:
    items = entries.prefix("domains")
    blocks: list[d.Block] = []
    scores: list[tuple[str, ...]] = []
    by_domain: dict[str, list[tuple[str, Question, Any]]] = {}
    for path, question, value in items:
        parts = path.split(".")
        domain = parts[1] if len(parts) > 2 else "-"
        if question.type == QuestionType.SCALE:
            section = form.section_of(question.id)
            title = section.title.get(lang) if section else domain
            level = int(value)
            description = (
                question.levels[level - 1].get(lang) if 0 < level <= len(question.levels) else ""
            )
            scores.append((title, str(level), description))
        else:
            by_domain.setdefault(domain, []).append((path, question, value))
    for _domain, domain_items in by_domain.items():
        section = form.section_of(domain_items[0][1].id)
        if section is not None:
            blocks.append(d.Paragraphs((), label=section.title.get(lang)))
        blocks.extend(entries.blocks(domain_items))
    if scores:
        blocks.append(
            d.Table(
                (_("Life domain"), _("Score (1–5)"), _("What the score means")),
                tuple(scores),
                (0.3, 0.15, 0.55),
                caption=_("Self-reliance scores (optional, only where relevant)"),
            )
        )
    return blocks


def _level_label(form: Form, level: PyramidLevel | None, lang: str) -> str:
    if level is None:
        return ""
    for question in form.questions():
        for item in question.questions:
            option = item.option(level.value) if item.type == QuestionType.CHOICE else None
            if option is not None:
                return option.label.get(lang)
    return level.value.replace("_", " ")


def _domain_label(form: Form, value: str, lang: str) -> str:
    results = next((q for q in form.questions() if q.plan == "results"), None)
    if results is not None:
        for field in results.questions:
            option = field.option(value) if field.type == QuestionType.CHOICE else None
            if option is not None:
                return option.label.get(lang)
    return value


def _results_table(
    plan: SupportPlan, form: Form, lang: str, _: Callable[[str], str]
) -> list[d.Block]:
    if not plan.results:
        return []
    rows = tuple(
        (
            str(i),
            r.description,
            _domain_label(form, r.domain, lang),
            _level_label(form, r.level, lang),
            r.who_what,
            format_date(r.start_date, lang) if r.start_date else "",
        )
        for i, r in enumerate(plan.results, start=1)
    )
    return [
        d.Table(
            ("#", _("Result"), _("Life domain"), _("Solved by"), _("Who does what"), _("From")),
            rows,
            (0.04, 0.22, 0.13, 0.22, 0.25, 0.14),
        )
    ]


def _possibilities(entries: _Entries, form: Form, lang: str) -> list[d.Block]:
    blocks: list[d.Block] = []
    for topic in form.legal_topics:
        letter = topic.id.rsplit(".", 1)[-1]
        if not topic.id.startswith("wmo.2.3.2.4.") or letter not in POSSIBILITY_TOPICS:
            continue
        tagged = topic.id
        items = entries.take(lambda _p, q, tid=tagged: tid in q.legal_topics)  # type: ignore[misc]
        if items:
            blocks.append(d.Paragraphs((), label=f"{letter}. {topic.label.get(lang)}"))
            blocks.extend(entries.blocks(items))
    rest = entries.prefix("strength", "informal_care", "network", "facilities")
    return blocks + entries.blocks(rest)


def _weighing(plan: SupportPlan, form: Form, lang: str, _: Callable[[str], str]) -> list[d.Block]:
    blocks: list[d.Block] = []
    for i, result in enumerate(plan.results, start=1):
        rows = [(_("Solved by"), _level_label(form, result.level, lang) or _("not yet decided"))]
        if result.level is not None:
            for level in result.level.passed_over():
                why = result.motivations.get(level.value, "").strip()
                rows.append(
                    (
                        _("Why not: {step}").format(step=_level_label(form, level, lang)),
                        why or _("(no motivation given)"),
                    )
                )
        for label, value in (
            (_("Provider"), result.provider),
            (_("Care in kind or personal budget"), result.delivery),
            (
                _("Evaluation"),
                format_date(result.evaluation_date, lang) if result.evaluation_date else "",
            ),
        ):
            if value:
                rows.append((label, value))
        blocks.append(d.Paragraphs((), label=f"{i}. {result.description}"))
        blocks.append(d.Fields(tuple(rows)))
    return blocks


def _reaction(plan: SupportPlan, lang: str, _: Callable[[str], str]) -> list[d.Block]:
    reaction = plan.reaction
    rows: list[tuple[str, str]] = []
    if reaction.agrees is not None:
        rows.append((_("Agrees with this report"), yes_no(reaction.agrees, lang)))
    rows.append(
        (_("Remarks and additions of the inhabitant"), reaction.remarks.strip() or _("none"))
    )
    return [d.Fields(tuple(rows))]


def _signatures(
    plan: SupportPlan,
    inhabitant: str,
    consultant: str,
    role: str,
    _: Callable[[str], str],
    kind: str = "wmo",
) -> d.Signatures:
    blocks = []
    for signer_role, heading, default_name, default_capacity in (
        (SignerRole.INHABITANT, _("Inhabitant or representative"), inhabitant, ""),
        (SignerRole.CONSULTANT, _("Consultant"), consultant, role),
    ):
        signature = plan.signature(signer_role)
        blocks.append(
            d.SignatureBlock(
                heading=heading,
                name=signature.name if signature else default_name,
                role=(signature.capacity if signature else default_capacity),
                place=(signature.place if signature else plan.place),
                date=format_date(signature.date, plan.language)
                if signature and signature.date
                else "",
                strokes=signature.strokes if signature and signature.signed else None,
            )
        )
    note = (
        _(
            "By signing, the parents and the young person confirm having read this plan. "
            "A decision on youth care (beschikking) is taken by a mandated officer of the "
            "municipality, who may be someone other than the consultant."
        )
        if kind == "jeugd"
        else _(
            "By signing, the inhabitant confirms having read this report. The decision "
            "(beschikking) follows within two weeks of the application and is taken by a "
            "mandated officer of the municipality, who may be someone other than the consultant."
        )
    )
    return d.Signatures(tuple(blocks), note=note)
