"""Options a form does not list itself: a code list's codes, and the office's product list.

Owns the form key `options_from`: `codelist WMO020` becomes that list's current codes when
the form loads (the consultant picks a name, the code is stored); `products` is filled in
per laptop from the product list the office publishes with its catalogue, each product an
option whose `group` is its category, so `options_filter` can offer only the products of
the category chosen in the same item. Also reading that product list out of a catalogue
document (tolerant: an entry without a code, a name or a known category is left out).
Never reads storage or the network: the catalogue is handed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from kitchentable import codelists
from kitchentable.formengine.model import Form, Option, Question, QuestionType, Text

PRODUCTS = "products"
CODELIST = "codelist "
Report = Callable[[str, str], None]  # (key, message): a problem at that key of the question


@dataclass(frozen=True)
class Product:
    """One product of the municipality's product list, as the office published it."""

    code: str
    name: str
    category: str  # WMO020 or JZ020 code
    unit: str = ""  # WJ756 code
    provider: str = ""
    tariff: float | None = None  # euros per unit

    @property
    def law(self) -> str | None:
        return codelists.law_of_category(self.category)


def listed(raw: Mapping[str, Any], qtype: QuestionType, report: Report) -> tuple[Option, ...]:
    """The options a question offers when it loads: its own, or a code list's current codes
    (a product list comes later, per laptop)."""
    source = raw.get("options_from")
    if source is None:
        return tuple(
            Option(o["value"], Text(o["label"]["nl"], o["label"]["en"]), _text(o.get("help")))
            for o in raw.get("options", ())
        )
    if "options" in raw:
        report("options_from", "give options or options_from, not both")
    if qtype not in (QuestionType.CHOICE, QuestionType.MULTICHOICE):
        report("options_from", f"options_from fits a choice or multichoice, not {qtype}")
        return ()
    if source == PRODUCTS:
        return ()
    try:
        found = codelists.get(str(source).removeprefix(CODELIST))
    except codelists.CodeListError as exc:
        report("options_from", str(exc))
        return ()
    return tuple(Option(c.code, Text(c.nl, c.en)) for c in found.current())


def check_filter(raw: Mapping[str, Any], group: frozenset[str] | None, report: Report) -> None:
    """options_filter: only on a product choice, naming another field of its group item."""
    name = raw.get("options_filter")
    if name is None:
        return
    if raw.get("options_from") != PRODUCTS:
        report("options_filter", "options_filter goes with options_from: products")
    elif group is None or name not in group or name == raw.get("id"):
        report(
            "options_filter",
            f"options_filter must name another field of the same group, not '{name}'",
        )


def products_from_catalogue(catalogue: Mapping[str, Any] | None) -> tuple[Product, ...]:
    """The products in a catalogue document as the laptop keeps it (None: no catalogue)."""
    raw = catalogue.get("products") if catalogue else None
    found: list[Product] = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        code, name, category = (
            str(item.get(k) or "").strip() for k in ("code", "name", "category")
        )
        if not code or not name or codelists.law_of_category(category) is None:
            continue
        tariff = item.get("tariff")
        found.append(
            Product(
                code,
                name,
                category,
                str(item.get("unit") or ""),
                str(item.get("provider") or ""),
                float(tariff) if isinstance(tariff, int | float) else None,
            )
        )
    return tuple(found)


def with_products(form: Form, products: tuple[Product, ...]) -> Form:
    """The form with every `options_from: products` question offering the products of the
    form's law (a Wmo form the Wmo categories' products); the same form when it has none."""
    if not any(_is_product_question(q) for s in form.sections for q in _all(s.questions)):
        return form
    options = tuple(
        Option(
            p.code,
            Text(p.name, p.name),
            Text(p.provider, p.provider) if p.provider else None,
            group=p.category,
        )
        for p in products
        if p.law == form.kind
    )
    sections = tuple(
        replace(s, questions=tuple(_resolved(q, options) for q in s.questions))
        for s in form.sections
    )
    return replace(form, sections=sections, _index={})


def _resolved(question: Question, options: tuple[Option, ...]) -> Question:
    if question.questions:
        return replace(question, questions=tuple(_resolved(q, options) for q in question.questions))
    return replace(question, options=options) if _is_product_question(question) else question


def _is_product_question(question: Question) -> bool:
    return question.options_from == PRODUCTS


def _all(questions: tuple[Question, ...]) -> list[Question]:
    return [q for question in questions for q in (question, *question.questions)]


def _text(raw: Mapping[str, str] | None) -> Text | None:
    return Text(raw["nl"], raw["en"]) if raw else None
