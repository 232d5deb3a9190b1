"""The plan's own words for its reader: plain Dutch (B1), "u" or "je", Wmo or Jeugdwet.

Owns every fixed text of the main text: titles, the intro, what each step of the weighing
means in words, zin and pgb, what happens now (aanvraag and beschikking, bezwaar, free
client support, evaluation, the cliëntervaringsonderzoek), the reaction and the signature
note, and the explanation of terms (CAK, pgb, Zvw, Wlz, zorg in natura) where they are first
used. Each text is marked `say(...)`: the catalogue holds it twice, as is ("u") and with the
context "je" (i18n_tools), and Say picks the register the form asks for. Never reads forms
or storage; the annex's words are in render.annex.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kitchentable.domain.plan import JeugdLevel, Level, PyramidLevel
from kitchentable.i18n import READER_CONTEXT, translation
from kitchentable.render import document as d


class Say:
    """A reader-addressed text in the plan's language and the form's register."""

    def __init__(self, language: str, address: str) -> None:
        self.language = language
        self.catalogue = translation(language)
        self.informal = address == READER_CONTEXT

    def __call__(self, message: str) -> str:
        if self.informal:
            return self.catalogue.pgettext(READER_CONTEXT, message)
        return self.catalogue.gettext(message)


def level_words(say: Say, level: Level | None, kind: str) -> str:
    """What a step of the weighing means for the reader, in one or two sentences."""
    if level is None:
        return say("How this will be reached is not decided yet.")
    # Two tables: the Wmo and the Jeugdwet steps share values ("sociaal_netwerk").
    if isinstance(level, JeugdLevel):
        return {
            JeugdLevel.EIGEN_MOGELIJKHEDEN: say("Your family does this itself."),
            JeugdLevel.GEBRUIKELIJKE_HULP: say("The parents or others at home help with this."),
            JeugdLevel.SOCIAAL_NETWERK: say("People around your family help with this."),
            JeugdLevel.VRIJ_TOEGANKELIJK: say(
                "Help that is open to everyone helps with this, such as at school or in the "
                "neighbourhood. No decision of the municipality is needed for it."
            ),
            JeugdLevel.ZVW_WLZ: say("This goes through the health insurance (Zvw) or the Wlz."),
            JeugdLevel.JEUGDHULP: say("We advise youth care: {kind}."),
        }[level]
    return {
        PyramidLevel.EIGEN_KRACHT: say("You do this yourself."),
        PyramidLevel.GEBRUIKELIJKE_HULP: say("The people you live with help with this."),
        PyramidLevel.MANTELZORG: say("Your informal carer helps with this."),
        PyramidLevel.SOCIAAL_NETWERK: say("People around you help with this."),
        PyramidLevel.ALGEMENE_VOORZIENING: say(
            "Help nearby that is open to everyone helps with this. You do not need to apply for it."
        ),
        PyramidLevel.VOORLIGGENDE_VOORZIENING: say(
            "This goes through your health insurance (Zvw), the Wlz or another law."
        ),
        PyramidLevel.MAATWERKVOORZIENING: say(
            "We advise help from the municipality: {kind}. This is called a maatwerkvoorziening."
        ),
    }[level]


def delivery_words(say: Say, delivery: str) -> str:
    if delivery == "pgb":
        return say("With a personal budget (pgb): you get money and buy the help yourself.")
    if delivery == "zin":
        return say("As care in kind: the municipality arranges the help with a care provider.")
    return delivery


@dataclass(frozen=True)
class Term:
    name: str
    pattern: re.Pattern[str]
    explanation: str


def glossary(say: Say) -> list[Term]:
    """Terms a reader may not know; each is explained once, after the block that first uses it."""

    def term(name: str, pattern: str, explanation: str) -> Term:
        return Term(name, re.compile(pattern, re.IGNORECASE), explanation)

    return [
        term(
            "Zvw",
            r"\bZvw\b|zorgverzekering",
            say(
                "The Zvw is the Health Insurance Act. The health insurer pays for the care of "
                "this law, such as district nursing."
            ),
        ),
        term(
            "Wlz",
            r"\bWlz\b",
            say(
                "The Wlz is the Long-term Care Act. It is for people who always need care or "
                "someone nearby."
            ),
        ),
        term(
            "CAK",
            r"\bCAK\b",
            say(
                "The CAK works out what you pay yourself for help from the municipality, and "
                "sends you the bill. The CAK is not part of the municipality."
            ),
        ),
        term(
            "pgb",
            r"\bpgb\b|persoonsgebonden budget|personal budget",
            say("A pgb is a personal budget: money with which you buy the help yourself."),
        ),
        term(
            "zorg in natura",
            r"zorg in natura|\bzin\b|care in kind",
            say(
                "Care in kind means that the municipality arranges the help with a care "
                "provider. You do not buy anything yourself."
            ),
        ),
    ]


def reaction_question(say: Say, kind: str) -> str:
    if kind == "jeugd":
        return say("Do you agree with this plan?")
    return say("Do you agree with this report?")


def reaction_given(say: Say, kind: str, agrees: bool) -> str:
    if kind == "jeugd":
        return (
            say("You agree with this plan.") if agrees else say("You do not agree with this plan.")
        )
    return (
        say("You agree with this report.") if agrees else say("You do not agree with this report.")
    )


def signature_note(say: Say, kind: str) -> str:
    if kind == "jeugd":
        return say(
            "By signing, you say that you have read this plan. You do not say that you agree "
            "with everything. A member of staff of the municipality who may decide on youth "
            "care takes that decision."
        )
    return say(
        "By signing, you say that you have read this report. You do not say that you agree "
        "with everything. A member of staff of the municipality who may decide on help takes "
        "that decision. That can be someone other than the consultant."
    )


def intro(say: Say, kind: str, melding: str, conversation: str, youth: str) -> str:
    if kind == "jeugd":
        return say(
            "On {date} we talked with your family about {name}. This family plan says what "
            "we discussed and what we agreed together. Please read it carefully. Is something "
            "wrong, or is something missing? Then write it under ‘Your reaction’."
        ).format(date=conversation, name=youth)
    return say(
        "On {melding} you asked the municipality for help. On {date} we talked with you "
        "about it. This report says what we discussed and what is needed. Please read it "
        "carefully. Is something wrong, or is something missing? Then write it under ‘Your "
        "reaction’."
    ).format(melding=melding, date=conversation)


@dataclass(frozen=True)
class NextSteps:
    """What the main text's "what happens now" needs to know, already formatted."""

    kind: str
    application: bool
    application_date: str  # dd-mm-jjjj once sealed, else ""
    decision_by: str  # application date + 14 days, once sealed
    against_advice: bool
    decision_advised: bool  # a result needs maatwerk (Wmo) or jeugdhulp (Jeugd)
    evaluation: str
    paper_by: str  # a gezinsplan asked for on paper: the date it is due
    client_support: str  # "name, phone, website" from the branding
    phone: str
    email: str


def next_steps(say: Say, n: NextSteps) -> list[str]:
    """The paragraphs of "what happens now". The two-week term is only said with an
    application (Wmo 2015 art. 2.3.5 lid 2): without one there is nothing it runs from."""
    out: list[str] = []
    if n.kind == "jeugd":
        out.append(
            say(
                "The municipality decides about the youth care in this plan. That decision is "
                "called a beschikking. You get it by post. Do you disagree with it? Then you can "
                "object (bezwaar). The decision says how."
            )
            if n.decision_advised
            else say("The help in this plan needs no decision of the municipality.")
        )
        if n.paper_by:
            out.append(
                say("You get this plan on paper by {date} at the latest.").format(date=n.paper_by)
            )
    else:
        if n.application and n.against_advice:
            out.append(
                say(
                    "You apply for help from the municipality, although we advise something "
                    "else. You may always do that."
                )
            )
        if n.application and n.application_date:
            out.append(
                say(
                    "You applied on {date}: the day you signed this report. The municipality "
                    "decides within two weeks after your application. That decision is called a "
                    "beschikking. You get it by post by {deadline} at the latest."
                ).format(date=n.application_date, deadline=n.decision_by)
            )
        elif n.application:
            out.append(
                say(
                    "You said that this report is also your application. You apply on the day "
                    "you sign this report. The municipality decides within two weeks after your "
                    "application. That decision is called a beschikking. You get it by post."
                )
            )
        elif n.decision_advised:
            out.append(
                say(
                    "We advise help from the municipality. For that you need to apply. You can "
                    "sign this report as your application, or apply later. Please contact us "
                    "about it."
                )
            )
        else:
            out.append(
                say(
                    "For the help in this plan you do not need to apply. Would you still like to "
                    "apply for help from the municipality? You may always do that. Please "
                    "contact us."
                )
            )
        if n.application or n.decision_advised:
            out.append(
                say(
                    "Do you disagree with the decision? Then you can object (bezwaar). The "
                    "decision says how."
                )
            )
    client = say(
        "You can get free help from an independent client supporter. They help you, for "
        "example with your application or when you disagree with a decision."
    )
    if n.client_support:
        client += " " + say("Contact: {contact}.").format(contact=n.client_support)
    out.append(client)
    if n.evaluation:
        out.append(
            (
                say("On {date} we will look together at whether the goals have been reached.")
                if n.kind == "jeugd"
                else say(
                    "On {date} we will look together at how things are going and whether the help still fits."
                )
            ).format(date=n.evaluation)
        )
    out.append(
        say(
            "Later the municipality may ask you how you experienced the help. This is called "
            "the cliëntervaringsonderzoek. You may take part, but you do not have to."
        )
    )
    out.append(
        say(
            "You may always see your file. Is something wrong in it? Then you may ask us to correct it."
        )
    )
    if n.phone or n.email:
        out.append(
            say("Do you have questions? Call {phone} or e-mail {email}.").format(
                phone=n.phone or "-", email=n.email or "-"
            )
        )
    return out


def explain_terms(sections: list[d.Section], say: Say) -> None:
    """At the end of the main-text section that first uses a term, a short explanation."""
    explained: set[str] = set()
    terms = glossary(say)
    for index, section in enumerate(sections):
        text = " ".join(x for block in section.blocks for x in _texts(block))
        notes: list[d.Block] = []
        for term in terms:
            if term.name not in explained and term.pattern.search(text):
                explained.add(term.name)
                notes.append(
                    d.Paragraphs(
                        (term.explanation,),
                        label=say("What does {term} mean?").format(term=term.name),
                    )
                )
        if notes and not section.keep_together:
            sections[index] = d.Section(section.title, (*section.blocks, *notes))


def _texts(block: d.Block) -> list[str]:
    match block:
        case d.Paragraphs(texts=texts, label=label):
            return [label, *texts]
        case d.Fields(rows=rows):
            return [x for row in rows for x in row]
        case d.Table(headers=headers, rows=rows, caption=caption):
            return [caption, *headers, *(x for row in rows for x in row)]
    return []
