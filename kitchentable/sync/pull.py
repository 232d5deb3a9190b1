"""Pull: what the office sends, page by page, applied idempotently.

Owns reading the feed from the cursor (network), fetching and checking the files a page
names (forms by hash, the catalogue; network), and applying a page (database): assignments
become cases (through the app's import rules), forms join the profile, the catalogue and
the office's policy are kept, a colleague's version of a shared case is applied or kept as a
conflict; the cursor moves in the same transaction as the page, so a cut connection or a
killed laptop re-reads the page and nothing is applied twice. Every office item is checked
against the office's signing key first. One bad item never blocks the rest: it is noted,
without content, and skipped. Never imports Qt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kitchentable.errors import KitchentableError
from kitchentable.formengine.loader import FormRegistry
from kitchentable.formengine.model import Form
from kitchentable.storage.sync_state import CaseSyncState, SyncCase
from kitchentable.sync.conflicts import apply_peer_change
from kitchentable.sync.errors import ServerAnswerUnreadable, ServerRefused, SyncError
from kitchentable.sync.model import SYNCED_FORMS, Enrolment, Local, Policy, StateKey, SyncReport
from kitchentable.sync.protocol import FeedItem, PullEntry, PullResponse
from kitchentable.sync.snapshots import current_digest
from kitchentable.sync.transport import Transport
from kitchentable.sync.wire import ProtocolError

log = logging.getLogger(__name__)

FETCHED_KINDS = ("form", "catalogue")  # items whose content is a file fetched by hash


@dataclass
class Page:
    """One page of the feed with the files it names, fetched and checked."""

    answer: PullResponse
    resync: bool
    files: dict[str, bytes] = field(default_factory=dict)  # sha256 → bytes
    forms: dict[str, list[Form]] = field(default_factory=dict)  # sha256 → loaded, checked


# --- network ------------------------------------------------------------------------------


async def fetch_page(net: Transport, cursor: int, resync: bool, crl: bool = False) -> PullResponse:
    """One page after `cursor`; with `crl`, the office adds its revocation list (an office
    from before that addition ignores the question)."""
    params = {"cursor": str(0 if resync else cursor)}
    if resync:
        params["resync"] = "1"
    if crl:
        params["crl"] = "1"
    body = await net.json("GET", "/api/v1/pull", params=params)
    try:
        answer = PullResponse.from_wire(body)
    except ProtocolError as exc:
        raise ServerAnswerUnreadable(reason=exc.message) from exc
    if not resync and answer.entries and answer.entries[0].version <= cursor:
        raise ServerAnswerUnreadable(reason="the server sent items this laptop already has")
    return answer


async def fetch_file(net: Transport, sha: str) -> bytes:
    content = (await net.request("GET", f"/api/v1/blobs/{sha}")).content
    if hashlib.sha256(content).hexdigest() != sha:
        raise ServerAnswerUnreadable(reason="a file does not match its SHA-256")
    return content


def wanted_files(answer: PullResponse, known: set[str]) -> list[str]:
    """The hashes of forms and catalogues this page names that are not here yet."""
    shas = []
    for entry in answer.entries:
        item = entry.item
        if item is None or item.kind not in FETCHED_KINDS:
            continue
        sha = (item.content or {}).get("sha256")
        if isinstance(sha, str) and sha not in known and sha not in shas:
            shas.append(sha)
    return shas


async def fetch_files(net: Transport, page: Page, shas: list[str], kinds: dict[str, str]) -> None:
    """Fetch each file; a form is loaded and checked here (off the database thread). A
    file that fails is left out: its item is then reported, the rest go on."""
    for sha in shas:
        try:
            page.files[sha] = data = await fetch_file(net, sha)
            if kinds.get(sha) == "form":
                page.forms[sha] = load_checked_form(sha, data)
        except (ValueError, KitchentableError) as exc:
            if isinstance(exc, SyncError) and not isinstance(exc, ServerRefused):
                raise
            log.warning("file %s not fetched: %s", sha[:12], exc)


def load_checked_form(sha: str, data: bytes) -> list[Form]:
    """A form file as the office sent it, loaded in a scratch folder: it must load cleanly
    on this laptop before it joins the profile."""
    with tempfile.TemporaryDirectory(prefix="kitchentable-form-") as folder:
        (Path(folder) / f"{sha}.yaml").write_bytes(data)
        checked = FormRegistry.from_directory(Path(folder))
    if checked.problems or not checked.all():
        raise ValueError("the form does not load on this laptop")
    return checked.all()


def file_kinds(answer: PullResponse) -> dict[str, str]:
    return {
        str((e.item.content or {}).get("sha256")): e.item.kind
        for e in answer.entries
        if e.item is not None and e.item.kind in FETCHED_KINDS
    }


# --- database -----------------------------------------------------------------------------


def known_files(local: Local) -> set[str]:
    """Hashes of the forms and the catalogue already here (nothing to fetch for them)."""
    known = {form.sha256 for form in local.forms.all()}
    folder = local.path / SYNCED_FORMS
    if folder.is_dir():
        known |= {p.stem for p in folder.glob("*.yaml")}
    catalogue = local.catalogue()
    if catalogue is not None:
        known.add(str(catalogue.get("sha256")))
    return known


def apply_page(
    local: Local,
    enrolment: Enrolment,
    page: Page,
    report: SyncReport,
    keep_as_is: frozenset[str],
) -> None:
    """Apply every entry of the page and move the cursor, in one transaction; each entry in
    a savepoint of its own, so a bad one is undone alone."""
    with local.db.atomic():
        for entry in page.answer.entries:
            try:
                with local.db.atomic():
                    _apply_entry(local, enrolment, entry, page, report, keep_as_is)
            except (ProtocolError, KitchentableError, ValueError, KeyError, TypeError) as exc:
                if isinstance(exc, SyncError) and not isinstance(exc, ServerRefused):
                    raise  # the network or the server itself failed: stop, retry later
                log.warning("pull item %s not applied: %s", entry.version, exc)
                report.problems.append(f"item {entry.version}: {exc}")
        local.state.put(StateKey.CURSOR, page.answer.cursor)
    report.pulled += len(page.answer.entries)


def _apply_entry(
    local: Local,
    enrolment: Enrolment,
    entry: PullEntry,
    page: Page,
    report: SyncReport,
    keep_as_is: frozenset[str],
) -> None:
    if entry.item is not None:
        entry.item.verify(enrolment.office_sign_public)
        _apply_item(local, enrolment, entry.item, page, report)
    elif entry.change is not None and apply_peer_change(local, enrolment, entry, keep_as_is):
        report.conflicts += 1


def _apply_item(
    local: Local, enrolment: Enrolment, item: FeedItem, page: Page, report: SyncReport
) -> None:
    if item.device_id not in (None, enrolment.device_id):
        raise ProtocolError("wrong_device", "an item for another device")
    content = item.content or {}
    if item.kind == "assignment":
        data = json.loads(item.open(enrolment.device_id, enrolment.keys.box_private))
        if _assign(local, data):
            report.assignments += 1
    elif item.kind == "form":
        if _add_form(local, content, page):
            report.forms += 1
    elif item.kind == "catalogue":
        current = local.catalogue()
        if current is None or current.get("issued_at", "") < item.issued_at:
            catalogue = json.loads(_file(page, content))
            local.state.put(
                StateKey.CATALOGUE,
                {"issued_at": item.issued_at, "sha256": content["sha256"], **catalogue},
            )
    elif item.kind == "policy":
        policy = Policy.from_content(content, item.issued_at)
        if policy.issued_at > local.policy().issued_at:
            local.state.put(StateKey.POLICY, policy.__dict__)
            if policy.auto_lock_minutes is not None:
                local.host.lower_auto_lock(policy.auto_lock_minutes)
            report.policy = policy


def _file(page: Page, content: dict[str, Any]) -> bytes:
    data = page.files.get(content["sha256"])
    if data is None:
        raise ValueError("its file could not be fetched")
    return data


def _add_form(local: Local, content: dict[str, Any], page: Page) -> bool:
    sha = content["sha256"]
    folder = local.path / SYNCED_FORMS
    target = folder / f"{sha}.yaml"
    if target.exists() or any(f.sha256 == sha for f in local.forms.all()):
        return False
    forms = page.forms.get(sha)
    data = _file(page, content)
    if forms is None:
        raise ValueError(f"form {content.get('form_id')} does not load on this laptop")
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f".{sha}.part"
    staging.write_bytes(data)
    staging.replace(target)
    for form in forms:
        local.forms.add(form)
    return True


def _assign(local: Local, data: dict[str, Any]) -> bool:
    office_case_id = data["office_case_id"]
    recipients = data.get("recipients", [])
    known = local.state.local_case(office_case_id)
    if known is not None:
        # Already here (a resync, or the office added a colleague): never touch the work,
        # only learn who else works on the case.
        state = local.state.case(known) or SyncCase(office_case_id)
        state.recipients = recipients
        local.state.save_case(known, state)
        return False
    raw = data["case"]
    if local.repo.external_id_exists(raw["external_id"]):
        raise ValueError(f"a case {raw['external_id']} already exists on this laptop")
    case_id = local.host.import_case(raw)
    local.state.save_case(
        case_id,
        SyncCase(office_case_id, 0, current_digest(local, case_id), None, recipients),
    )
    local.repo.set_sync_state(case_id, CaseSyncState.SYNCED)
    return True
