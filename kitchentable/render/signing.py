"""The end of the main text: the reader's reaction and every signer's block, kept together.

Owns how a reaction reads (not given: a question with boxes and lines to write on, never
"geen"; given: agree or not, and the remarks) and one signature block per signer the plan
names (an absent young person or parent: the reason, no place or date). Never decides who
must sign (domain.plan) and never draws (render.pdf).
"""

from __future__ import annotations

from kitchentable.domain.case import Case
from kitchentable.domain.plan import SignerRole, SupportPlan
from kitchentable.render import document as d
from kitchentable.render.values import format_date
from kitchentable.render.wording import Say, reaction_given, reaction_question, signature_note

WRITING_LINE = "_" * 60


def reaction_blocks(plan: SupportPlan, kind: str, say: Say) -> list[d.Block]:
    """A reaction not given is never printed as "none": a draft leaves room to write it."""
    reaction = plan.reaction
    if reaction.agrees is None:
        return [
            d.Fields(((reaction_question(say, kind), say("☐ Yes      ☐ No")),)),
            d.Paragraphs(
                (WRITING_LINE, WRITING_LINE, WRITING_LINE),
                label=say("Your family's remarks or additions:")
                if kind == "jeugd"
                else say("Your remarks or additions:"),
            ),
        ]
    blocks: list[d.Block] = [d.Paragraphs((reaction_given(say, kind, reaction.agrees),))]
    if reaction.remarks.strip():
        blocks.append(
            d.Paragraphs(
                (reaction.remarks.strip(),),
                label=say("Your family's remarks and additions")
                if kind == "jeugd"
                else say("Your remarks and additions"),
            )
        )
    return blocks


def signature_blocks(
    plan: SupportPlan, case: Case, consultant: str, role: str, say: Say, kind: str
) -> d.Signatures:
    blocks = []
    for signer in plan.required_signers:
        signature = plan.signature(signer.key)
        heading, name, capacity = {
            SignerRole.INHABITANT: (say("You, or your representative"), case.person.name, ""),
            SignerRole.YOUTH: (say("Young person"), signer.name, ""),
            SignerRole.PARENT: (
                say("Parent with parental authority"),
                signer.name,
                say("parent with parental authority"),
            ),
            SignerRole.CONSULTANT: (
                say("Youth consultant") if kind == "jeugd" else say("Consultant"),
                consultant,
                role,
            ),
        }[signer.role]
        absent = signature is not None and signature.absent
        blocks.append(
            d.SignatureBlock(
                heading=heading,
                name=signature.name if signature and signature.name else name,
                role=signature.capacity if signature and signature.capacity else capacity,
                # An absent signer signed nowhere and on no date.
                place=""
                if absent
                else (signature.place if signature and signature.place else plan.place),
                date=format_date(signature.date, plan.language)
                if signature and signature.date and not absent
                else "",
                strokes=signature.strokes if signature and signature.signed else None,
                note=say("Not present at the signing: {reason}").format(
                    reason=signature.absent_reason.strip()
                )
                if absent and signature
                else "",
            )
        )
    return d.Signatures(tuple(blocks), note=signature_note(say, kind))
