"""Forms written by code for the engine's property tests and benchmarks.

`large_form`: about a thousand questions in sections that open from the first one, with
chains of visibility inside each section (every question shown once the one before it is
answered; every seventh link negated, so hiding one answer can show another). `tricky_form`:
every kind of dependency the engine must keep straight, each once: a negated chain, two
questions that show each other, one that reads itself, computed values in a visibility
chain and in a section condition, group fields that read the form, required and valid_if
reading other answers, a form rule and a legal topic with met_if.
"""

from __future__ import annotations


def large_form(questions: int = 1000, per_section: int = 50) -> str:
    """`questions` questions: section 0 holds a yes/no `open_k` per later section and text
    questions to make up the number; sections 1… hold `per_section` questions each."""
    sections = max(2, questions // (per_section + 1))
    fillers = max(1, questions - (sections - 1) * (per_section + 1))
    per = per_section
    lines = [
        "id: generated",
        'version: "1.0"',
        "kind: wmo",
        "title: {nl: Groot, en: Large}",
        "legal_topics:",
        "  - {id: t.a, article: art. 1, label: {nl: A, en: A}}",
        "  - {id: t.b, article: art. 2, label: {nl: B, en: B}}",
        "sections:",
        "  - id: s0",
        "    title: {nl: S0, en: S0}",
        "    questions:",
    ]
    for k in range(1, sections):
        lines.append(f"      - {{id: open_{k}, type: yesno, label: {{nl: O{k}, en: O{k}}}}}")
    for i in range(fillers):
        lines.append(
            f"      - {{id: s0_q{i}, type: text, label: {{nl: Q, en: Q}}, legal_topic: t.a}}"
        )
    for k in range(1, sections):
        lines += [
            f"  - id: s{k}",
            f"    title: {{nl: S{k}, en: S{k}}}",
            f"    visible_if: 'open_{k} == True'",
            "    questions:",
        ]
        for i in range(per):
            parts = [f"id: s{k}_q{i}", "type: text", "label: {nl: Q, en: Q}"]
            if i:
                test = "empty" if i % 7 == 0 else "not empty"
                parts.append(f"visible_if: '{test}(s{k}_q{i - 1})'")
            if i % 5 == 0:
                parts.append("required: true")
            if i % 11 == 3:
                parts.append("legal_topic: t.b")
            lines.append("      - {" + ", ".join(parts) + "}")
    return "\n".join(lines) + "\n"


TRICKY = """\
id: tricky
version: "1.0"
kind: wmo
title: {nl: Lastig, en: Tricky}
legal_topics:
  - {id: t.tag, article: art. 1, label: {nl: Tag, en: Tag}}
  - {id: t.group, article: art. 2, label: {nl: Groep, en: Group}}
  - id: t.met
    article: art. 3
    label: {nl: Verteld, en: Told}
    met_if: "verteld == True and not empty(verteld_datum)"
  - {id: t.optional, article: art. 4, label: {nl: Vrij, en: Free}, required: false}
rules:
  - id: aantal_klopt
    valid_if: "empty(aantal) or aantal == count(leden)"
    message: {nl: Het aantal klopt niet met de leden., en: The number does not match.}
    questions: [aantal, leden]
  - id: verborgen_regel
    valid_if: "not (z == 3 and y == 1)"
    message: {nl: Z en Y botsen., en: Z and Y clash.}
    questions: [y]
sections:
  - id: begin
    title: {nl: Begin, en: Start}
    questions:
      - {id: z, type: number, label: {nl: Z, en: Z}, legal_topic: t.tag}
      - {id: y, type: number, label: {nl: Y, en: Y}, visible_if: "z == 1"}
      - {id: x, type: text, label: {nl: X, en: X}, visible_if: "y != 1", required: true}
      - {id: w, type: text, label: {nl: W, en: W}, visible_if: "empty(x)", legal_topic: t.tag}
      - {id: a, type: choice, label: {nl: A, en: A}, visible_if: "b != 'nee'",
         options: [{value: ja, label: {nl: Ja, en: "Yes"}}, {value: nee, label: {nl: Nee, en: "No"}}]}
      - {id: b, type: choice, label: {nl: B, en: B}, visible_if: "a != 'nee'",
         options: [{value: ja, label: {nl: Ja, en: "Yes"}}, {value: nee, label: {nl: Nee, en: "No"}}]}
      - {id: zelf, type: text, label: {nl: Zelf, en: Self}, visible_if: "zelf != 'weg'"}
      - {id: verteld, type: yesno, label: {nl: Verteld, en: Told}}
      - {id: verteld_datum, type: date, label: {nl: Wanneer, en: When},
         visible_if: "verteld == True", valid_if: "verteld_datum <= today",
         message: {nl: Toekomst., en: Future.}}
  - id: leden_deel
    title: {nl: Leden, en: Members}
    questions:
      - {id: aantal, type: number, label: {nl: Aantal, en: Number}, min: 0, max: 9,
         required: "count(leden) > 0"}
      - id: leden
        type: group
        label: {nl: Leden, en: Members}
        item_label: {nl: Lid, en: Member}
        min_items: 2
        visible_if: "z != 9"
        questions:
          - {id: lid_naam, type: text, label: {nl: Naam, en: Name}, required: true,
             legal_topic: t.group}
          - {id: lid_uren, type: number, label: {nl: Uren, en: Hours}, min: 0, max: 40,
             visible_if: "z == 1 or not empty(lid_naam)", required: "aantal == 2",
             valid_if: "lid_uren <= 40 - z", message: {nl: Te veel., en: Too many.}}
      - {id: leden_aantal, type: computed, label: {nl: Aantal leden, en: Count},
         expression: "count(leden)"}
      - {id: uren_totaal, type: computed, label: {nl: Uren, en: Hours},
         expression: "total(leden, 'lid_uren') + leden_aantal"}
      - {id: veel, type: yesno, label: {nl: Veel, en: Many}, visible_if: "uren_totaal > 5",
         required: true, legal_topic: t.optional}
      - {id: nog_meer, type: text, label: {nl: Meer, en: More}, visible_if: "veel == True"}
  - id: verder
    title: {nl: Verder, en: Further}
    visible_if: "leden_aantal >= 1 or nog_meer == 'open'"
    questions:
      - {id: slot, type: longtext, label: {nl: Slot, en: End}, required: true,
         legal_topic: t.tag}
      - {id: slot_datum, type: date, label: {nl: Datum, en: Date}, visible_if: "not empty(slot)",
         valid_if: "days_between(slot_datum, today) < 30", message: {nl: Oud., en: Old.}}
"""


def tricky_form() -> str:
    return TRICKY
