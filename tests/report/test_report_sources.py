"""Where the report's facts come from besides a signed plan: a melding the office assigned
counts before any laptop sent it back; a case without a signed plan counts its conversation
from the day it began and takes the team its consultant named in their latest plan."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pg import fresh_schema, server_url
from zgwkit import received_office

from kitchentable.formengine.loader import FormRegistry
from kitchentable.office import publish
from kitchentable.office.report.figures import month_label
from kitchentable.office.report.records import collect
from tests.coded_cases import TODAY, Scenario, answer, case, sign

SIGNED = Scenario("S01", 30, team="Wijkteam Oost", steps=("eigen_kracht",))
OPEN = Scenario("S02", 80, signed=False)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_assigned_meldingen_and_open_conversations_are_counted(
    tmp_path: Path, forms: FormRegistry, backend: str
) -> None:
    scenarios = {s.reference: s for s in (SIGNED, OPEN)}
    with ExitStack() as stack:
        database = (
            stack.enter_context(fresh_schema(server_url())) if backend == "postgres" else None
        )
        office = received_office(
            tmp_path,
            forms,
            stack,
            list(scenarios),
            database,
            sign=lambda laptop, refs: [sign(laptop, scenarios[r]) for r in refs],
            case=lambda r: case(scenarios[r]),
            answer=lambda laptop, r: answer(laptop, scenarios[r]),
        )
        melding = (TODAY - timedelta(days=3)).isoformat()
        publish.assign(
            office.store,
            office.data,
            office.public,
            office.private,
            [{"external_id": "A-0001", "melding_date": melding, "form": "wmo-keukentafelgesprek",
              "person": {"name": "Nog Niet Bezocht"}, "consultant": "anna"}],
            datetime.now(UTC),
        )  # fmt: skip
        collected = collect(office.store, office.private)
    by_reference = {c.reference: c for c in collected.cases}
    assert set(by_reference) == {"S01", "S02", "A-0001"} and collected.unreadable == 0
    assigned = by_reference["A-0001"]
    assert assigned.melding is not None and assigned.melding.isoformat() == melding
    assert assigned.plan is None and assigned.conversation is None
    still_open = by_reference["S02"]
    assert still_open.plan is None and still_open.conversation == TODAY  # began today
    assert still_open.team == "Wijkteam Oost"  # anna's team, from her latest signed plan
    assert still_open.term_end is not None and still_open.term_end < TODAY  # overdue
    signed = by_reference["S01"]
    assert signed.plan is not None and signed.plan.signed == TODAY
    assert month_label(signed.conversation) == month_label(SIGNED.melding_date + timedelta(days=5))
