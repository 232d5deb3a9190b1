"""Laptop ↔ office over real HTTP on loopback: enrol, push, pull, conflicts, faults, revocation."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from synckit import OfficeServer, get_state, put_state

from kitchentable.domain.case import CaseStatus
from kitchentable.services import Profile, sync
from kitchentable.sync import logship, push, snapshots
from kitchentable.sync.errors import (
    ConnectionCut,
    DeviceRevoked,
    EnrolmentRefused,
    NotEnrolled,
    Offline,
    ServerAnswerUnreadable,
)
from kitchentable.sync.protocol import FeedItem
from tests.core.helpers import MARKERS, case_document

MARK = "Keukenmarkering Quirijn"


def assignment(ref: str, consultant: str = "anna", name: str = MARK) -> dict[str, Any]:
    return {
        "consultant": consultant,
        "external_id": ref,
        "melding_date": "2026-11-02",
        "form": "wmo-keukentafelgesprek",
        "notes": "via de huisarts",
        "person": {"name": name, "address": {"postcode": "9601 AB", "city": "Hoogezand"}},
    }


def answer(profile: Profile, ref: str, question: str, value: object) -> None:
    profile.save_answer(profile.open_conversation(ref), question, value)


def test_enrol_push_a_case_and_the_office_export_opens_it(
    office: OfficeServer, laptop_factory: Any, tmp_path: Path
) -> None:
    laptop = laptop_factory()
    laptop.import_cases(case_document("M-2026-0101"))
    assert laptop.case("M-2026-0101").sync_state == "local"
    report = sync.synchronise(laptop)
    assert report.accepted == 1 and report.conflicts == 0 and not report.problems
    assert laptop.case("M-2026-0101").sync_state == "synced"
    # Nothing changed since: the next round sends nothing.
    assert sync.synchronise(laptop).pushed == 0
    # A change makes it waiting again, and the next round sends exactly that.
    conversation = laptop.open_conversation("M-2026-0101")
    question = next(iter(conversation.state.answers))
    laptop.save_answer(conversation, question, conversation.state.answers[question])
    assert laptop.case("M-2026-0101").sync_state == "pending"
    assert sync.synchronise(laptop).pushed == 0  # saved again unchanged: nothing to send
    assert laptop.case("M-2026-0101").sync_state == "synced"

    counts = office.export(tmp_path / "export")
    assert counts["cases"] == 1 and counts["unreadable"] == 0
    exported = "\n".join(
        p.read_text(encoding="utf-8") for p in (tmp_path / "export").rglob("*.json")
    )
    for marker in (MARKERS["name"], MARKERS["street"], MARKERS["note"]):
        assert marker in exported
        assert marker.encode() not in office.files_bytes()
    overview = (tmp_path / "export" / "overview.csv").read_text()
    assert "M-2026-0101" in overview and "accepted" in overview
    assert (tmp_path / "export").stat().st_mode & 0o077 == 0


def test_an_assignment_arrives_sealed_and_only_on_its_consultants_laptops(
    office: OfficeServer, laptop_factory: Any
) -> None:
    anna, bert = laptop_factory("anna"), laptop_factory("bert")
    office.assign([assignment("M-2026-0201")])
    assert MARK.encode() not in office.files_bytes()
    report = sync.synchronise(anna)
    assert report.assignments == 1
    case = anna.case("M-2026-0201")
    assert case.person.name == MARK and case.status == CaseStatus.NEW
    # Pulling again (or after a resync) never creates it twice, and it is not pushed back
    # unchanged.
    again = sync.synchronise(anna)
    assert again.assignments == 0 and again.pushed == 0
    assert sync.synchronise(bert).assignments == 0
    assert [c.external_id for c in bert.case_summaries()] == []


def test_forms_catalogue_and_policy_reach_the_laptop(
    office: OfficeServer, laptop_factory: Any, tmp_path: Path
) -> None:
    laptop = laptop_factory()
    entries = [
        {"kind": "algemene_voorziening", "product": "boodschappen", "name": "Boodschappenbus"},
        {"kind": "gecontracteerde_aanbieder", "product": "hulp bij het huishouden",
         "name": "Thuiszorg Noord", "waiting_weeks": 3},
    ]  # fmt: skip
    publish = __import__("kitchentable.office.publish", fromlist=["x"])
    publish.publish_catalogue(office.store, office.private, entries, datetime.now(UTC))
    publish.publish_policy(
        office.store,
        office.private,
        {"auto_lock_minutes": 3, "retention_days": 30, "offline_days": 14},
        datetime.now(UTC),
    )
    form_text = (Path(__file__).parent.parent / "data/extra-forms").glob("*.yaml")
    source = next(iter(sorted(form_text)))
    changed = tmp_path / "form.yaml"
    changed.write_text(
        re.sub(
            r"^version: .*$",
            'version: "9.1"',
            source.read_text(encoding="utf-8"),
            count=1,
            flags=re.M,
        ),
        encoding="utf-8",
    )
    form_id, version, _ = publish.publish_form(
        office.store, office.data, office.private, changed, datetime.now(UTC)
    )
    report = sync.synchronise(laptop)
    assert report.forms == 1, report.problems
    assert laptop.forms.get(form_id, version).version == version
    catalogue = sync.catalogue(laptop)
    assert catalogue is not None
    assert [e["name"] for e in catalogue["entries"]] == ["Boodschappenbus", "Thuiszorg Noord"]
    assert sync.policy(laptop).retention_days == 30
    assert laptop.settings.auto_lock_minutes == 3
    # The form survives a restart of the app: it is in the profile.
    reopened = Profile.unlock(laptop.path, "correct horse battery")
    try:
        assert reopened.forms.get(form_id, version)
    finally:
        reopened.close()


def test_a_signed_plan_goes_with_its_sealed_pdf_and_the_case_becomes_synced(
    office: OfficeServer, laptop_factory: Any, tmp_path: Path
) -> None:
    from tests.core.test_plan import answer_all, sign_both

    laptop = laptop_factory()
    laptop.update_settings(consultant="Anja de Consulent")
    laptop.import_cases(case_document("M-2026-0412", form="test-plan"))
    answer_all(laptop, "M-2026-0412")
    sign_both(laptop, "M-2026-0412")
    report = sync.synchronise(laptop)
    assert report.accepted == 2, report  # the case and its plan
    assert laptop.case("M-2026-0412").status == CaseStatus.SYNCED
    office.export(tmp_path / "out")
    pdfs = list((tmp_path / "out").rglob("*.pdf"))
    assert len(pdfs) == 1
    sealed = laptop.repo.get_document(laptop.repo.documents(laptop.case("M-2026-0412").id)[0]["id"])
    assert pdfs[0].read_bytes() == sealed
    assert b"Markeerstra" not in office.files_bytes()
    # The seal's certificate was issued by the office CA at enrolment: the office's own
    # trust anchor verifies it, and the device id is in the certificate.
    from kitchentable.office.pki import CA_CERT
    from kitchentable.render.verify import SealStatus, verify_pdf

    ca_pem = (office.data / CA_CERT).read_bytes()
    checked = verify_pdf(sealed, (ca_pem,))
    assert checked.status == SealStatus.INTACT, checked
    assert verify_pdf(sealed).status == SealStatus.UNKNOWN_SIGNER
    enrolment = sync.enrolment_of(laptop)
    assert enrolment is not None
    assert office.store.certificate(enrolment.device_id)


def test_two_laptops_edit_one_case_both_versions_are_kept_and_shown(
    office: OfficeServer, laptop_factory: Any
) -> None:
    first, second = laptop_factory("anna"), laptop_factory("anna")
    office.assign([assignment("M-2026-0301")])
    sync.synchronise(first)
    sync.synchronise(second)
    answer(first, "M-2026-0301", "hulpvraag_eigen_woorden", "Versie van laptop één")
    answer(second, "M-2026-0301", "hulpvraag_eigen_woorden", "Versie van laptop twee")
    assert sync.synchronise(first).accepted == 1
    report = sync.synchronise(second)
    assert report.conflicts >= 1
    assert second.case("M-2026-0301").sync_state == "conflict"
    (conflict,) = sync.conflict_list(second)
    mine = {a["question"]: a["answer"] for a in conflict["mine"]["answers"]}
    theirs = {a["question"]: a["answer"] for a in conflict["theirs"]["answers"]}
    assert mine["hulpvraag_eigen_woorden"] == "Versie van laptop twee"
    assert theirs["hulpvraag_eigen_woorden"] == "Versie van laptop één"
    assert conflict["theirs_from"] == "laptop1"
    # The first laptop learns of the parallel version too.
    sync.synchronise(first)
    assert len(sync.conflict_list(first)) == 1
    # Both versions are on the server, the second flagged.
    statuses = sorted(c["status"] for c in office.store.changes() if c["entity"] == "case")
    assert statuses.count("conflict") == 1
    # The second consultant keeps their own version: it becomes the next version.
    sync.resolve(second, conflict["id"], "mine")
    assert sync.synchronise(second).accepted == 1
    assert sync.conflict_list(second) == []
    # The first takes theirs: its conversation now holds laptop two's answer.
    (other,) = sync.conflict_list(first)
    sync.synchronise(first)
    sync.resolve(first, other["id"], "theirs")
    conversation = first.open_conversation("M-2026-0301")
    assert conversation.state.answers["hulpvraag_eigen_woorden"] == "Versie van laptop twee"


class Garbage(httpx.AsyncBaseTransport):
    """Answers every request with what a broken proxy or server might send."""

    def __init__(self, inner: httpx.AsyncBaseTransport, body: bytes, status: int = 200) -> None:
        self.inner, self.body, self.status = inner, body, status

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/push":
            return httpx.Response(self.status, content=self.body)
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"<html><body>Gateway Timeout</body></html>", 200),
        (b'{"v": 1, "results": [', 200),
        (b'{"v": 1, "results": []}', 200),
        (b"\x00\xff\xfe", 200),
        (b"<h1>502 Bad Gateway</h1>", 502),
    ],
)
def test_a_garbage_answer_is_a_clear_error_and_the_outbox_stays(
    office: OfficeServer, laptop_factory: Any, body: bytes, status: int
) -> None:
    laptop = laptop_factory()
    laptop.import_cases(case_document("M-2026-0401"))
    garbage = Garbage(httpx.AsyncHTTPTransport(), body, status)
    with pytest.raises(ServerAnswerUnreadable) as caught:
        sync.synchronise(laptop, inner=garbage)
    assert "Nothing was lost" in str(caught.value)
    assert laptop.outbox.count("pending") == 1
    # What waits is the snapshot as the office gets it (kept in the bytes sealed to the
    # office, not encoded a second time), and the digest of it without the office's id.
    (waiting,) = laptop.outbox.pending()
    kept = dict(waiting.payload["snapshot"])
    assert kept.pop("office_case_id") == waiting.entity_id
    assert kept == snapshots.snapshot(sync.local(laptop), laptop.case("M-2026-0401").id)
    assert waiting.payload["digest"] == snapshots.digest(kept)
    # With a sane server the same change goes through exactly once.
    assert sync.synchronise(laptop).accepted == 1
    assert len(office.store.changes()) == 1


class CutAfterAnswer(httpx.AsyncBaseTransport):
    """The office acts on the push, then the line breaks before its answer arrives."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        if request.url.path == "/api/v1/push":
            raise httpx.RemoteProtocolError("peer closed connection", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_cut_connection_is_named_as_one_and_the_change_goes_once(
    office: OfficeServer, laptop_factory: Any
) -> None:
    laptop = laptop_factory()
    laptop.import_cases(case_document("M-2026-0451"))
    with pytest.raises(ConnectionCut) as caught:
        sync.synchronise(laptop, inner=CutAfterAnswer())
    assert "broke off" in str(caught.value) and "cannot read" not in str(caught.value)
    assert sync.synchronise(laptop).duplicates == 1  # the office had it; counted once
    assert len(office.store.changes()) == 1


def test_offline_is_said_plainly_and_nothing_is_lost(laptop_factory: Any) -> None:
    laptop = laptop_factory()
    laptop.import_cases(case_document("M-2026-0501"))
    enrolment = sync.enrolment_of(laptop)
    assert enrolment is not None
    unreachable = httpx.AsyncHTTPTransport()
    enrolment.server = "http://127.0.0.1:9"  # discard port: nothing listens
    put_state(laptop, "enrolment", enrolment.to_dict())
    with pytest.raises(Offline) as caught:
        sync.synchronise(laptop, inner=unreachable)
    assert "keep working" in str(caught.value)
    assert laptop.outbox.count("pending") == 1


def test_not_enrolled_and_a_bad_code_say_what_to_do(
    office: OfficeServer, laptop_factory: Any
) -> None:
    laptop = laptop_factory(enrol=False)
    with pytest.raises(NotEnrolled):
        sync.synchronise(laptop)
    with pytest.raises(EnrolmentRefused) as caught:
        sync.enrol(laptop, office.url, "AAAA-BBBB-CCCC-DDDD", "laptop")
    assert "not known" in str(caught.value)
    assert sync.enrolment_of(laptop) is None


def test_a_revoked_laptop_wipes_its_vault_on_contact(
    office: OfficeServer, laptop_factory: Any
) -> None:
    laptop = laptop_factory()
    laptop.import_cases(case_document("M-2026-0601"))
    enrolment = sync.enrolment_of(laptop)
    assert enrolment is not None
    office.store.revoke(enrolment.device_id, datetime.now(UTC))
    path = laptop.path
    with pytest.raises(DeviceRevoked) as caught:
        sync.synchronise(laptop)
    assert "removed" in str(caught.value)
    assert not list(path.glob("kitchentable.db*"))
    office.laptops.remove(laptop)


def test_an_expired_cursor_resyncs_without_overwriting_local_work(
    office: OfficeServer, laptop_factory: Any
) -> None:
    laptop = laptop_factory()
    office.assign([assignment("M-2026-0701")])
    sync.synchronise(laptop)
    answer(laptop, "M-2026-0701", "hulpvraag_eigen_woorden", "nog niet verzonden werk")
    with office.store.backend.transaction() as cur:
        cur.execute("UPDATE counters SET value = value + 1000 WHERE name = 'server_version'")
        cur.execute("UPDATE counters SET value = 1000 WHERE name = 'feed_horizon'")
    put_state(laptop, "cursor", 3)
    report = sync.synchronise(laptop)
    assert report.resynced and report.assignments == 0
    conversation = laptop.open_conversation("M-2026-0701")
    assert conversation.state.answers["hulpvraag_eigen_woorden"] == "nog niet verzonden werk"
    assert report.accepted == 1
    assert get_state(laptop, "cursor") >= 1000


def test_retention_purges_synced_cases_and_offline_days_require_a_check_in(
    office: OfficeServer, laptop_factory: Any
) -> None:
    from tests.core.test_plan import answer_all, sign_both

    laptop = laptop_factory()
    laptop.import_cases(case_document("M-2026-0412", form="test-plan"))
    answer_all(laptop, "M-2026-0412")
    sign_both(laptop, "M-2026-0412")
    publish = __import__("kitchentable.office.publish", fromlist=["x"])
    publish.publish_policy(
        office.store, office.private, {"retention_days": 7, "offline_days": 10}, datetime.now(UTC)
    )
    sync.synchronise(laptop)
    assert laptop.case("M-2026-0412").status == CaseStatus.SYNCED
    later = datetime.now(UTC) + timedelta(days=8)
    assert sync.check_in_overdue(laptop, clock=lambda: later) is False
    report = sync.synchronise(laptop, clock=lambda: later)
    assert report.purged == 1
    assert laptop.case_summaries() == []
    much_later = later + timedelta(days=11)
    assert sync.check_in_overdue(laptop, clock=lambda: much_later) is True


def test_an_item_not_signed_by_the_office_is_not_applied(
    office: OfficeServer, laptop_factory: Any
) -> None:
    from kitchentable.sync.protocol import ed25519_keypair

    laptop = laptop_factory()
    forged_key, _ = ed25519_keypair()
    item = FeedItem.create(
        kind="policy",
        item_id="forged",
        issued_at="2099-01-01T00:00:00+00:00",
        office_sign_private=forged_key,
        content={"auto_lock_minutes": 240},
    )
    office.store.publish([item], datetime.now(UTC))
    report = sync.synchronise(laptop)
    assert report.problems and "signature" in report.problems[0]
    assert sync.policy(laptop).auto_lock_minutes is None


def test_server_database_never_sees_markers_in_assignments_or_pushes(
    office: OfficeServer, laptop_factory: Any, tmp_path: Path
) -> None:
    laptop = laptop_factory()
    office.assign([assignment("M-2026-0801")])
    sync.synchronise(laptop)
    answer(laptop, "M-2026-0801", "hulpvraag_eigen_woorden", MARKERS["answer"])
    sync.synchronise(laptop)
    stored = office.files_bytes()
    for marker in (MARK, MARKERS["answer"]):
        assert marker.encode() not in stored
    office.export(tmp_path / "x")
    text = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "x").rglob("*.json"))
    assert MARKERS["answer"] in text and MARK in text
    assert json.loads((next((tmp_path / "x").rglob("case-v*.json"))).read_text())["status"]


def test_a_case_whose_form_is_missing_waits_and_the_others_go(
    office: OfficeServer, laptop_factory: Any
) -> None:
    laptop = laptop_factory()
    laptop.import_cases(case_document("M-2026-0901"))
    laptop.import_cases(case_document("M-2026-0902"))
    # The form of the first case disappears (an extra-forms folder was removed).
    laptop.db.execute(
        "UPDATE conversations SET form_version = '0.0' WHERE case_id = ?",
        [laptop.case("M-2026-0901").id],
    )
    report = sync.synchronise(laptop)
    assert report.accepted == 1
    assert sync.sync_status(laptop).waiting == 1


def test_a_colleagues_version_of_the_case_on_screen_becomes_a_conflict_not_a_change(
    office: OfficeServer, laptop_factory: Any
) -> None:
    first, second = laptop_factory("anna"), laptop_factory("anna")
    office.assign([assignment("M-2026-0311")])
    sync.synchronise(first)
    sync.synchronise(second)
    answer(first, "M-2026-0311", "hulpvraag_eigen_woorden", "van de collega")
    sync.synchronise(first)
    on_screen = frozenset({second.case("M-2026-0311").id})
    report = sync.synchronise(second, keep_as_is=on_screen)
    assert report.conflicts == 1
    assert "hulpvraag_eigen_woorden" not in second.open_conversation("M-2026-0311").state.answers
    # Closed again: the next colleague's version applies cleanly (after choosing theirs).
    (conflict,) = sync.conflict_list(second)
    sync.resolve(second, conflict["id"], "theirs")
    answers = second.open_conversation("M-2026-0311").state.answers
    assert answers["hulpvraag_eigen_woorden"] == "van de collega"


def test_a_sync_step_gives_way_to_an_autosave_and_nothing_is_lost(
    office: OfficeServer, laptop_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    laptop = laptop_factory()
    for i in range(3):
        laptop.import_cases(case_document(f"M-2026-06{i:02d}"))
    for _ in range(5):
        laptop.access.record("case.open", "case")
    waiting = sync.local(laptop, others_waiting=lambda: True)  # an autosave always waits
    enrolment = waiting.enrolment()
    assert enrolment is not None
    # The collect looks at one case, queues it without building its change (that is left
    # for a later step), and gives way.
    collected = push.collect(waiting, push.candidates(waiting), enrolment)
    assert collected.looked == 1 and len(collected.stamps) == 1 and collected.ready == []
    # An autosave that comes while the step writes its changes: what is written stays, the
    # cases after it are left for the next step (an autosave waits for one case, not for
    # the step), and the next step queues them, each once.
    asked = iter([False] * 2 + [True] * 100)  # the looks: 2nd case, 1st build, 2nd write
    midway = sync.local(laptop, others_waiting=lambda: next(asked))
    rest = push.candidates(midway)
    collected = push.collect(midway, rest, enrolment)
    assert collected.looked == len(collected.stamps) == 1 < len(rest)
    assert len(collected.ready) == 1  # built before the autosave came
    collected = push.collect(sync.local(laptop), rest[collected.looked :], enrolment)
    assert collected.looked == len(collected.stamps) == len(rest) - 1
    queued = [e.case_id for e in laptop.outbox.pending() if e.entity == "case"]
    assert sorted(queued) == sorted(set(queued)) and len(queued) == 3
    # The access log is read a chunk per step while the autosave waits; the picture is the
    # one a single pass makes.
    monkeypatch.setattr(logship, "READ_CHUNK", 2)
    now = datetime.now(UTC)
    parts = logship.begin(waiting, enrolment, now)
    steps = 1
    while not logship.read_part(waiting, parts):
        steps += 1
    whole = logship.begin(sync.local(laptop), enrolment, now)
    monkeypatch.setattr(logship, "READ_CHUNK", 10_000)
    assert logship.read_part(sync.local(laptop), whole)
    assert steps == len(laptop.access.lines()) // 2 + 1
    assert parts.head == whole.head and parts.lines == whole.lines
    # The sync sends each change once, the one queued early included.
    report = sync.synchronise(laptop)
    assert report.accepted == 3 and not report.problems, report
    assert len(office.store.changes()) == 3
