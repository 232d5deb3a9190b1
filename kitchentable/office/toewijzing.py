"""The advice of a signed plan as codes, the input the back office needs for a toewijzing.

Owns turning a received plan's results into the coded advice the back office enters into
its iWmo WMO301 (iJw JW301) after the beschikking: per result that needs a decision, the
product category (code list WMO020 or JZ020), the municipality's product code, the
leveringsvorm (zin or pgb), the intended start and end date, and the omvang (volume, unit
WJ756, frequency WMO757) or a budget in eurocents. Marked `beoogd`: it is advice, not a
decision and not delivered care. The export (plan JSON) and the ZGW verslag carry it under
`toewijzing`. Never sends a toewijzing and never trusts a value's type (the plan came from
a device): what is not of the expected shape is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kitchentable import codelists

# The last step of each weighing (domain.plan): the only results that need a decision.
DECISION_LEVELS = {"maatwerkvoorziening": "wmo", "individuele_voorziening": "jeugd"}
STATUS = "beoogd"  # the intended support, not delivered


def advised(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One coded item per result of the plan that needs a decision and has a category."""
    results = plan.get("results")
    found = []
    for result in results if isinstance(results, list) else []:
        if not isinstance(result, dict):
            continue
        law = DECISION_LEVELS.get(str(result.get("level")))
        category = _text(result.get("category"))
        if law is None or not category:
            continue
        found.append(_item(result, law, category))
    return found


def _item(result: Mapping[str, Any], law: str, category: str) -> dict[str, Any]:
    list_id = codelists.CATEGORY_LISTS[law]
    known = codelists.get(list_id)
    volume, unit = _number(result.get("volume")), _text(result.get("unit"))
    budget = _number(result.get("budget"))
    omvang = None
    if volume is not None and unit:
        omvang = {
            "volume": volume,
            "eenheid": unit,
            "eenheid_omschrijving": codelists.get(codelists.UNIT_LIST).name_of(unit),
            "frequentie": _text(result.get("frequency")) or None,
            "frequentie_omschrijving": codelists.get(codelists.FREQUENCY_LIST).name_of(
                _text(result.get("frequency"))
            )
            if result.get("frequency")
            else None,
        }
    return {
        "status": STATUS,
        "wet": law,
        "resultaat": _text(result.get("description")),
        "productcategorie": category,
        "productcategorie_codelijst": f"{list_id} ({known.standard} {known.release})",
        "productcategorie_omschrijving": known.name_of(category),
        "productcode": _text(result.get("product")) or None,
        "leveringsvorm": _text(result.get("delivery")) or None,
        "ingangsdatum": _text(result.get("start_date")) or None,
        "einddatum": _text(result.get("end_date")) or None,
        "omvang": omvang,
        "budget_eurocent": round(budget * 100) if budget is not None else None,
    }


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
