"""What office staff do on the admin page, and what the page must never show."""

from __future__ import annotations

import json
import re
from typing import Any

from adminkit import PAGES, Site
from officekit import uid

from kitchentable.sync.protocol import DeviceKeys, EnrolRequest

MARKER = "MARKER-ADMIN-42"
SEALED_OFFICE_COPY = "SEALED-OFFICE-COPY-7f3a9c"


def test_revoking_a_device_on_the_page_refuses_it_with_wipe(site: Site) -> None:
    laptop = site.office.enrol("anna")
    device_id = laptop.enrolment.device_id
    assert site.office.client.get("/api/v1/status", headers=laptop.auth).status_code == 200
    admin = site.admin()

    devices = admin.get("/admin/devices")
    assert f"/admin/devices/{device_id}/revoke" in devices.text
    confirm = admin.get(f"/admin/devices/{device_id}/revoke")
    assert confirm.status_code == 200
    assert "Apparaat intrekken?" in confirm.text
    # Opening the confirmation revokes nothing.
    assert site.office.client.get("/api/v1/status", headers=laptop.auth).status_code == 200

    answer = admin.submit(
        f"/admin/devices/{device_id}/revoke", f"/admin/devices/{device_id}/revoke"
    )
    assert answer.status_code == 303
    after = admin.get(answer.headers["location"])
    assert "is ingetrokken" in after.text
    assert "Ingetrokken" in after.text

    refused = site.office.client.get("/api/v1/status", headers=laptop.auth)
    assert refused.status_code == 403
    assert refused.json()["wipe"] is True
    assert refused.json()["error"] == "device_revoked"


def test_revoking_an_unknown_device_says_so(site: Site) -> None:
    admin = site.admin()
    assert admin.get("/admin/devices/no-such-device/revoke").status_code == 404
    answer = admin.submit("/admin/", "/admin/devices/no-such-device/revoke")
    assert answer.status_code == 404


def test_a_revoke_post_without_the_token_revokes_nothing(site: Site) -> None:
    laptop = site.office.enrol("anna")
    admin = site.admin()
    path = f"/admin/devices/{laptop.enrolment.device_id}/revoke"
    assert admin.post(path, {"csrf": ""}).status_code == 403
    assert site.office.client.get("/api/v1/status", headers=laptop.auth).status_code == 200


def test_a_code_made_on_the_page_is_shown_once_and_enrols_a_laptop(site: Site) -> None:
    admin = site.admin()
    made = admin.submit("/admin/codes", "/admin/codes", consultant="  Anna   de Vries ")
    assert made.status_code == 200
    found = re.search(r'id="new-code">([A-Z0-9-]+)<', made.text)
    assert found is not None
    code = found.group(1)
    assert "Anna de Vries" in made.text

    listing = admin.get("/admin/codes").text
    assert code not in listing
    assert "Ongebruikt" in listing

    device = DeviceKeys.generate()
    enrolled = site.office.client.post(
        "/api/v1/enrol", json=EnrolRequest.create(code, "laptop", device).to_wire()
    )
    assert enrolled.status_code == 200, enrolled.text
    assert enrolled.json()["consultant"] == "Anna de Vries"
    listing = admin.get("/admin/codes").text
    assert "Gebruikt" in listing
    assert code not in listing
    assert "Anna de Vries" in admin.get("/admin/devices").text


def test_an_empty_consultant_makes_no_code(site: Site) -> None:
    admin = site.admin()
    answer = admin.submit("/admin/codes", "/admin/codes", consultant="   ")
    assert answer.status_code == 400
    assert 'id="new-code"' not in answer.text


def test_codes_past_their_day_show_as_expired(site: Site) -> None:
    site.store.create_code("bram", site.clock())
    site.clock.advance(hours=24)
    assert "Verlopen" in site.admin().get("/admin/codes").text


def test_names_are_escaped_on_every_page(site: Site) -> None:
    laptop_name = "<script>alert(1)</script>"
    site.office.enrol(laptop_name)
    admin = site.admin()
    for path in PAGES:
        text = admin.get(path).text
        assert laptop_name not in text, path
    assert "&lt;script&gt;" in admin.get("/admin/devices").text


def _leaves(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value] if isinstance(value, str) else []


def test_no_page_shows_client_data_or_sealed_payloads(site: Site) -> None:
    site.office.assign("case-77", "anna")
    anna, bram = site.office.enrol("anna"), site.office.enrol("anna")
    first = anna.change("answer-1", f'{{"text": "{MARKER}"}}'.encode(), case_ref="case-77")
    # Her second laptop edits the same record from the same base: a conflict, both kept.
    second = bram.change("answer-1", f'{{"text": "{MARKER} bis"}}'.encode(), case_ref="case-77")
    assert [r["status"] for r in site.office.push(anna, [first])] == ["accepted"]
    assert [r["status"] for r in site.office.push(bram, [second])] == ["conflict"]
    site.store.assign(
        "case-88", "anna", "WMO-2026-0088", None, SEALED_OFFICE_COPY, [], site.clock()
    )

    admin = site.admin()
    pages = {path: admin.get(path).text for path in PAGES}
    pages["confirm"] = admin.get(f"/admin/devices/{anna.enrolment.device_id}/revoke").text
    pages["code"] = admin.submit("/admin/codes", "/admin/codes", consultant="anna").text

    metadata = {anna.enrolment.device_id, bram.enrolment.device_id, uid("case-77"), uid("answer-1")}
    sealed = {SEALED_OFFICE_COPY}
    for change in site.store.changes():
        sealed.add(change["envelope"])
        # Every long value inside the envelope (ciphertext, nonce, keys, signature).
        sealed.update(
            leaf
            for leaf in _leaves(json.loads(change["envelope"]))
            if len(leaf) >= 16 and leaf not in metadata and leaf != change["id"]
        )
    for path, text in pages.items():
        assert MARKER not in text, path
        for secret in sealed:
            assert secret not in text, (path, secret[:20])

    cases = pages["/admin/cases"]
    assert "case-77" in cases
    assert "WMO-2026-0088" in cases
    assert "Conflict" in cases
    row = re.search(r"case-77.*?</tr>", cases, re.S)
    assert row is not None
    assert '<td class="num warn">1</td>' in row.group(0)


def test_sync_activity_shows_counts_per_device(site: Site) -> None:
    anna = site.office.enrol("anna")
    site.office.push(anna, [anna.change("a-1", b"{}"), anna.change("a-2", b"{}")])
    site.office.client.get("/api/v1/pull", headers=anna.auth)
    text = site.admin().get("/admin/activity").text
    assert "Verzonden" in text
    assert "2 geaccepteerd" in text
    assert "Opgehaald" in text
    assert "anna" in text


def test_consultants_come_from_devices_codes_and_assignments(site: Site) -> None:
    site.office.enrol("anna")
    site.office.enrol("anna")
    site.store.create_code("bram", site.clock())
    site.store.assign("case-1", "carla", "WMO-1", None, SEALED_OFFICE_COPY, [], site.clock())
    text = site.admin().get("/admin/consultants").text
    for name in ("anna", "bram", "carla"):
        assert f"<td>{name}</td>" in text
    anna_row = re.search(r"<td>anna</td>(.*?)</tr>", text, re.S)
    assert anna_row is not None
    assert re.findall(r'<td class="num">(\d+)</td>', anna_row.group(1)) == ["2", "0", "0", "0"]


def test_the_overview_counts(site: Site) -> None:
    anna = site.office.enrol("anna")
    site.office.enrol("bram")
    site.store.create_code("carla", site.clock())
    site.office.push(anna, [anna.change("a-1", b"{}")])
    text = site.admin().get("/admin/").text
    assert "<strong>2</strong> actieve apparaten" in text
    assert "<strong>3</strong> consulenten" in text
    assert "<strong>1</strong> open koppelcodes" in text
    assert "<strong>1</strong> zaken" in text


def test_a_case_without_assignment_names_everyone_who_sent_changes(site: Site) -> None:
    anna, bram = site.office.enrol("anna"), site.office.enrol("bram")
    site.office.push(anna, [anna.change("a-1", b"{}", case_ref="case-5")])
    # Anna's laptop made the case; the office hands it to Bram.
    site.store.reassign(uid("case-5"), "bram", site.clock())
    site.office.push(bram, [bram.change("b-1", b"{}", case_ref="case-5")])
    text = site.admin().get("/admin/cases").text
    assert "<td>anna, bram</td>" in text
