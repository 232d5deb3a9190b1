"""The laptop's side of sync: enrolment, push from the outbox, pull from the office.

Owns the device's enrolment (its key pairs, token and the office's keys, sealed in the
vault's `sync_state` table), turning local work into outbox changes (a case snapshot when
its content changed; the sealed plan with its PDF as an attachment), sending each change
exactly as it was first built (so a retry after a cut connection is a duplicate, never a
second record), marking each by the server's answer, and applying what the office sends
(assignments, forms by hash, the catalogue, policy, other devices' versions of shared
cases) idempotently, page by page with the cursor in the same transaction.

Never imports Qt, never decides by wall clock which version of a case wins, and never
lets one bad change or item stop the rest: it is quarantined with its reason. Network
and server failures end in a `SyncError` whose sentence a consultant can act on, with the
outbox intact. A revoked device wipes its vault on that contact.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import shutil
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from kitchentable import casefile
from kitchentable.domain.case import CaseStatus, transition
from kitchentable.errors import KitchentableError
from kitchentable.i18n import N_
from kitchentable.storage.database import now_iso
from kitchentable.sync.pinning import is_loopback
from kitchentable.sync.protocol import (
    Change,
    ChangeResult,
    DeviceKeys,
    EnrolRequest,
    EnrolResponse,
    ErrorBody,
    FeedItem,
    PullEntry,
    PullResponse,
    PushRequest,
    PushResponse,
    SealedPayload,
    UploadState,
    attachment_info,
    code_key,
)
from kitchentable.sync.wire import ProtocolError, b64, canonical, parse_json

if TYPE_CHECKING:
    from kitchentable.services import Profile

log = logging.getLogger(__name__)

PUSH_BATCH = 50
TIMEOUT = httpx.Timeout(30.0, connect=8.0)
SYNCED_FORMS = "synced-forms"


# --- errors a consultant reads -----------------------------------------------------------


class SyncError(KitchentableError):
    code = "sync_failed"
    template = N_("Synchronising failed. Your work is kept on this laptop; try again later.")


class NotEnrolled(SyncError):
    code = "not_enrolled"
    template = N_(
        "This laptop is not connected to the office yet. Ask the office for an enrolment "
        "code and enter it under Synchronise → Connect to the office."
    )


class AlreadyEnrolled(SyncError):
    code = "already_enrolled"
    template = N_(
        "This profile is already connected to the office ({server}). Nothing was changed."
    )


class Offline(SyncError):
    code = "offline"
    template = N_(
        "The office server cannot be reached ({reason}). You can keep working; everything "
        "waits safely on this laptop and is sent at the next connection."
    )


class ServerAnswerUnreadable(SyncError):
    code = "server_garbage"
    template = N_(
        "The office server sent an answer this laptop cannot read ({reason}). Nothing was lost: "
        "your work is still waiting on this laptop. If this keeps happening, tell the office."
    )


class ServerRefused(SyncError):
    code = "server_refused"
    template = N_("The office server refused: {message}")


class ServerNotTrusted(SyncError):
    code = "server_not_trusted"
    template = N_(
        "The office server could not be trusted ({reason}). Nothing was sent. Tell the "
        "office; do not synchronise over this network until it is sorted out."
    )


class EnrolmentRefused(SyncError):
    code = "enrolment_refused"
    template = N_("The office did not accept the enrolment: {message}")


class TokenRejected(SyncError):
    code = "token_rejected"
    template = N_(
        "The office no longer knows this laptop ({message}). Ask the office for a new "
        "enrolment code; your work stays on this laptop until then."
    )


class DeviceRevoked(SyncError):
    code = "device_revoked"
    template = N_(
        "The office has revoked this laptop. For the inhabitants' safety all Kitchentable data "
        "on it has been removed. Contact the office."
    )


class CheckInRequired(KitchentableError):
    code = "check_in_required"
    template = N_(
        "This laptop has not been in touch with the office for more than {days} days. "
        "Connect to the internet and synchronise first; then you can go on working."
    )


# --- what the client keeps --------------------------------------------------------------


@dataclass
class Enrolment:
    server: str
    fingerprint: str | None
    device_id: str
    token: str
    consultant: str
    office_box_public: bytes
    office_sign_public: bytes
    keys: DeviceKeys

    def to_dict(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "fingerprint": self.fingerprint,
            "device_id": self.device_id,
            "token": self.token,
            "consultant": self.consultant,
            "office_box_public": b64(self.office_box_public),
            "office_sign_public": b64(self.office_sign_public),
            "sign_private": b64(self.keys.sign_private),
            "sign_public": b64(self.keys.sign_public),
            "box_private": b64(self.keys.box_private),
            "box_public": b64(self.keys.box_public),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Enrolment:
        raw = {
            k: base64.b64decode(v) for k, v in data.items() if k.endswith(("_public", "_private"))
        }
        return cls(
            server=data["server"],
            fingerprint=data["fingerprint"],
            device_id=data["device_id"],
            token=data["token"],
            consultant=data["consultant"],
            office_box_public=raw["office_box_public"],
            office_sign_public=raw["office_sign_public"],
            keys=DeviceKeys(
                raw["sign_private"], raw["sign_public"], raw["box_private"], raw["box_public"]
            ),
        )


@dataclass(frozen=True)
class Policy:
    auto_lock_minutes: int | None = None
    retention_days: int | None = None
    offline_days: int | None = None
    issued_at: str = ""

    @classmethod
    def from_content(cls, content: dict[str, Any], issued_at: str) -> Policy:
        def number(key: str, low: int, high: int) -> int | None:
            value = content.get(key)
            if value is None:
                return None
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ProtocolError("malformed", f"The policy's {key} is out of range.")
            return value

        return cls(
            number("auto_lock_minutes", 1, 240),
            number("retention_days", 0, 3650),
            number("offline_days", 1, 365),
            issued_at,
        )


@dataclass
class SyncReport:
    """What one synchronisation did, for the status line and the CLI."""

    pushed: int = 0
    accepted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    quarantined: int = 0
    retry_later: int = 0
    pulled: int = 0
    assignments: int = 0
    forms: int = 0
    resynced: bool = False
    purged: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SyncStatus:
    enrolled: bool
    server: str
    waiting: int
    quarantined: int
    conflicts: int
    last_sync_at: str | None
    check_in_overdue: bool


@dataclass(frozen=True)
class Progress:
    phase: str  # "push" | "pull"
    done: int
    total: int


ProgressFn = Callable[[Progress], None]


# --- enrolment ---------------------------------------------------------------------------


def normalise_server(url: str) -> str:
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServerRefused(message=f"'{url}' is not a server address (https://host:port).")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ServerRefused(
            message="plain http is only allowed to this computer itself; use https://."
        )
    return url


class SyncClient:
    """Sync for one unlocked profile. `transport` lets tests put a fault injector between
    the laptop and a real server; by default a pinned HTTPS client is used."""

    def __init__(
        self,
        profile: Profile,
        *,
        transport: httpx.BaseTransport | None = None,
        progress: ProgressFn | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        keep_as_is: frozenset[str] = frozenset(),
    ) -> None:
        self.profile = profile
        # Cases open on screen: another device's version of one becomes a conflict to look
        # at, never a silent change under the consultant's hands.
        self.keep_as_is = keep_as_is
        self.transport = transport
        self.progress = progress or (lambda _p: None)
        self.clock = clock
        self.unreadable = 0  # cases the last look could not snapshot (they wait)

    # -- state in the vault -----------------------------------------------------------
    def _get(self, key: str) -> Any:
        row = self.profile.db.execute("SELECT data FROM sync_state WHERE key = ?", [key]).fetchone()
        return None if row is None else self.profile.keys.open("sync_state", key, 1, row[0])

    def _put(self, key: str, value: Any) -> None:
        self.profile.db.execute(
            "INSERT INTO sync_state(key, data) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET data = excluded.data",
            [key, self.profile.keys.seal("sync_state", key, 1, value)],
        )

    def enrolment(self) -> Enrolment | None:
        data = self._get("enrolment")
        return None if data is None else Enrolment.from_dict(data)

    def _require(self) -> Enrolment:
        enrolment = self.enrolment()
        if enrolment is None:
            raise NotEnrolled()
        return enrolment

    @property
    def cursor(self) -> int:
        return int(self._get("cursor") or 0)

    def policy(self) -> Policy:
        data = self._get("policy")
        return Policy(**data) if data else Policy()

    def catalogue(self) -> dict[str, Any] | None:
        data: dict[str, Any] | None = self._get("catalogue")
        return data

    # -- HTTP -------------------------------------------------------------------------
    @contextmanager
    def _http(self, server: str, fingerprint: str | None) -> Iterator[httpx.Client]:
        if self.transport is not None:
            client = httpx.Client(base_url=server, transport=self.transport, timeout=TIMEOUT)
        elif server.startswith("http://"):
            # normalise_server allows plain HTTP only to this computer itself (tests, demo).
            client = httpx.Client(base_url=server, timeout=TIMEOUT, trust_env=False)
        else:
            from kitchentable.sync.pinning import InsecureServer, pinned_client

            try:
                client = pinned_client(server, fingerprint, TIMEOUT.read or 30.0)
            except InsecureServer as exc:
                raise ServerNotTrusted(reason=str(exc)) from exc
        with client:
            yield client

    def _call(
        self,
        http: httpx.Client,
        method: str,
        path: str,
        enrolment: Enrolment | None,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if enrolment is not None:
            headers["Authorization"] = f"Bearer {enrolment.token}"
        from kitchentable.sync.pinning import PinMismatch

        try:
            response = http.request(method, path, headers=headers, **kwargs)
        except PinMismatch as exc:
            raise ServerNotTrusted(reason=str(exc)) from exc
        except (
            httpx.TimeoutException,
            httpx.NetworkError,
            httpx.ProxyError,
            socket.gaierror,
        ) as exc:
            raise Offline(reason=_reason(exc)) from exc
        except httpx.RemoteProtocolError as exc:
            raise ServerAnswerUnreadable(reason="the connection broke off mid-answer") from exc
        except httpx.HTTPError as exc:
            raise Offline(reason=_reason(exc)) from exc
        if response.status_code >= 400:
            self._refusal(response, enrolment)
        return response

    def _refusal(self, response: httpx.Response, enrolment: Enrolment | None) -> None:
        try:
            body = ErrorBody.from_wire(parse_json(response.content))
        except ProtocolError as exc:
            if response.status_code >= 500:
                raise ServerAnswerUnreadable(reason=f"server error {response.status_code}") from exc
            raise ServerAnswerUnreadable(reason=f"HTTP {response.status_code}") from exc
        if response.status_code == 403 and body.wipe and enrolment is not None:
            self._wipe()
            raise DeviceRevoked()
        if response.status_code == 401:
            raise TokenRejected(message=body.message)
        if response.status_code == 409 and body.error == "resync_required":
            raise _Resync()
        raise ServerRefused(message=body.message)

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        try:
            return parse_json(response.content)
        except ProtocolError as exc:
            raise ServerAnswerUnreadable(reason=exc.message) from exc

    # -- enrolment ----------------------------------------------------------------------
    def enrol(
        self, server: str, code: str, label: str, fingerprint: str | None = None
    ) -> Enrolment:
        existing = self.enrolment()
        if existing is not None:
            raise AlreadyEnrolled(server=existing.server)
        server = normalise_server(server)
        if fingerprint:
            from kitchentable.sync.pinning import normalise_fingerprint

            try:
                fingerprint = normalise_fingerprint(fingerprint)
            except ValueError as exc:
                raise EnrolmentRefused(
                    message="the fingerprint is not a SHA-256 (64 hexadecimal characters)."
                ) from exc
        if server.startswith("https://") and not fingerprint:
            from kitchentable.sync.pinning import fetch_fingerprint

            parts = urlsplit(server)
            try:
                fingerprint = fetch_fingerprint(parts.hostname or "", parts.port or 443, 8.0)
            except OSError as exc:
                raise Offline(reason=_reason(exc)) from exc
        keys = DeviceKeys.generate()
        identity = self.profile.plans.identity()
        request = EnrolRequest.create(
            code,
            label[:80] or "laptop",
            keys,
            seal_public=_public_pem(identity.key_pem),
            tls_fingerprint=fingerprint if server.startswith("https://") else None,
        )
        with self._http(server, fingerprint) as http:
            try:
                response = self._call(http, "POST", "/api/v1/enrol", None, json=request.to_wire())
            except ServerRefused as exc:
                raise EnrolmentRefused(message=exc.params["message"]) from exc
            try:
                answer = EnrolResponse.from_wire(self._json(response))
            except ProtocolError as exc:
                raise ServerAnswerUnreadable(reason=exc.message) from exc
        if not answer.proves(code_key(code), request):
            raise ServerNotTrusted(
                reason="its answer was not made with your enrolment code, so the keys in it "
                "may not be the office's"
            )
        if answer.tls_fingerprint and fingerprint and answer.tls_fingerprint != fingerprint:
            raise EnrolmentRefused(
                message="the server's certificate differs from the one it reports; "
                "someone may be listening in. Nothing was stored."
            )
        enrolment = Enrolment(
            server,
            fingerprint,
            answer.device_id,
            answer.token,
            answer.consultant,
            answer.office_box_public,
            answer.office_sign_public,
            keys,
        )
        with self.profile.db.atomic():
            if answer.certificate:
                # From now on plans are sealed with a certificate the office CA issued.
                from kitchentable.render.seal import SealIdentity

                issued, *chain = _split_pem(answer.certificate)
                if _public_pem_of_cert(issued) != _public_pem(identity.key_pem):
                    raise ServerAnswerUnreadable(reason="the certificate is for another key")
                self.profile.plans.store_identity(
                    SealIdentity(identity.key_pem, issued, tuple(chain))
                )
            self._put("enrolment", enrolment.to_dict())
            self._put("cursor", 0)
            self._put("last_checkin", self.clock().isoformat())
            self.profile.update_settings(office_url=server)
            self.profile.access.record("sync.enrol", "profile", detail={"device": answer.device_id})
        return enrolment

    # -- status -------------------------------------------------------------------------
    def status(self) -> SyncStatus:
        enrolment = self.enrolment()
        db = self.profile.db
        conflicts = db.execute(
            "SELECT count(*) FROM sync_conflicts WHERE resolved_at IS NULL"
        ).fetchone()[0]
        return SyncStatus(
            enrolled=enrolment is not None,
            server=enrolment.server if enrolment else "",
            waiting=self.profile.outbox.count("pending")
            + len(self._dirty_cases())
            + self.unreadable,
            quarantined=self.profile.outbox.count("quarantined"),
            conflicts=int(conflicts),
            last_sync_at=self._get("last_sync_at"),
            check_in_overdue=self.check_in_overdue(),
        )

    def check_in_overdue(self) -> bool:
        days = self.policy().offline_days
        last = self._get("last_checkin")
        if days is None or last is None or self.enrolment() is None:
            return False
        return self.clock() - datetime.fromisoformat(last) > timedelta(days=days)

    # -- the whole round --------------------------------------------------------------
    def sync(self) -> SyncReport:
        enrolment = self._require()
        report = SyncReport()
        with self._http(enrolment.server, enrolment.fingerprint) as http:
            self._queue_changed_cases(enrolment)
            self._push(http, enrolment, report)
            self._pull(http, enrolment, report)
        with self.profile.db.atomic():
            stamp = self.clock().isoformat()
            self._put("last_sync_at", stamp)
            self._put("last_checkin", stamp)
            report.purged = self._purge()
            self.profile.access.record(
                "sync.run",
                "profile",
                detail={"pushed": report.pushed, "pulled": report.pulled},
            )
        return report

    # -- local work → outbox ----------------------------------------------------------
    def _snapshot(self, case_id: str) -> dict[str, Any]:
        profile = self.profile
        case = profile.repo.get_case(case_id)
        conversation = profile.repo.conversation_for(case_id)
        answers = profile.repo.answers(conversation["id"]) if conversation else {}
        form = None
        if conversation:
            form = profile.forms.get(conversation["form_id"], conversation["form_version"])
        export = casefile.build_export(
            case, conversation, answers, form, profile.repo.get_plan(case_id), [], []
        )
        for volatile in ("exported_by", "documents", "access_log"):
            export.pop(volatile, None)
        export["case"].pop("updated_at", None)
        return export

    @staticmethod
    def _digest(snapshot: dict[str, Any]) -> str:
        return hashlib.sha256(canonical(snapshot)).hexdigest()

    def _sync_case(self, case_id: str) -> dict[str, Any] | None:
        row = self.profile.db.execute(
            "SELECT office_case_id, base_version, pushed_digest, synced_at, data "
            "FROM sync_cases WHERE case_id = ?",
            [case_id],
        ).fetchone()
        if row is None:
            return None
        return {
            "office_case_id": row[0],
            "base_version": row[1],
            "pushed_digest": row[2],
            "synced_at": row[3],
            **self.profile.keys.open("sync_cases", case_id, 1, row[4]),
        }

    def _save_sync_case(self, case_id: str, **values: Any) -> None:
        current = self._sync_case(case_id) or {
            "office_case_id": case_id,
            "base_version": 0,
            "pushed_digest": None,
            "synced_at": None,
            "recipients": [],
        }
        current.update(values)
        sealed = self.profile.keys.seal(
            "sync_cases", case_id, 1, {"recipients": current.get("recipients", [])}
        )
        self.profile.db.execute(
            "INSERT INTO sync_cases(case_id, office_case_id, base_version, pushed_digest, "
            "synced_at, data) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(case_id) DO UPDATE SET "
            "base_version = excluded.base_version, pushed_digest = excluded.pushed_digest, "
            "synced_at = excluded.synced_at, data = excluded.data",
            [
                case_id,
                current["office_case_id"],
                current["base_version"],
                current["pushed_digest"],
                current["synced_at"],
                sealed,
            ],
        )

    def _dirty_cases(self) -> list[tuple[str, dict[str, Any], str]]:
        """Cases whose content differs from what the office last accepted, that have no
        change on the way and no open conflict: (case id, snapshot, digest)."""
        db = self.profile.db
        busy = {
            row[0]
            for row in db.execute(
                "SELECT case_id FROM outbox WHERE entity = 'case' AND state = 'pending'"
            )
        }
        busy |= {
            row[0]
            for row in db.execute("SELECT case_id FROM sync_conflicts WHERE resolved_at IS NULL")
        }
        dirty = []
        self.unreadable = 0
        # Only cases with work since the office last had them (the repository flips a
        # 'synced' case to 'pending' on every change), so a quiet laptop reads nothing.
        candidates = db.execute(
            "SELECT id FROM cases WHERE sync_state != 'synced' "
            "OR id NOT IN (SELECT case_id FROM sync_cases) ORDER BY created_at, id"
        ).fetchall()
        for (case_id,) in candidates:
            if case_id in busy:
                continue
            try:
                snapshot = self._snapshot(case_id)
            except KitchentableError as exc:
                # One case that cannot be read (say, its form version is missing) waits;
                # the others go.
                log.warning("case %s not queued for sync: %s", case_id, exc.code)
                self.unreadable += 1
                continue
            digest = self._digest(snapshot)
            state = self._sync_case(case_id)
            if state is None or state["pushed_digest"] != digest:
                dirty.append((case_id, snapshot, digest))
            else:
                # Touched, but the same as what the office has (opened and saved again).
                self.profile.repo.set_sync_state(case_id, "synced")
        return dirty

    def _queue_changed_cases(self, enrolment: Enrolment) -> None:
        for case_id, snapshot, digest in self._dirty_cases():
            with self.profile.db.atomic():
                state = self._sync_case(case_id)
                if state is None:
                    self._save_sync_case(case_id)
                    state = self._sync_case(case_id)
                    assert state is not None
                snapshot["office_case_id"] = state["office_case_id"]
                self.profile.outbox.enqueue(
                    "case",
                    state["office_case_id"],
                    {"snapshot": snapshot, "digest": digest},
                    case_id=case_id,
                    base_version=int(state["base_version"]),
                )
                self.profile.repo.set_sync_state(case_id, "pending")

    # -- push -------------------------------------------------------------------------
    def _wire(self, entry: Any, enrolment: Enrolment) -> tuple[Change, list[bytes]]:
        """The change for an outbox entry, built once and kept: a retry resends it as is."""
        db, keys = self.profile.db, self.profile.keys
        row = db.execute("SELECT data FROM outbox_wire WHERE change_id = ?", [entry.id]).fetchone()
        if row is not None:
            kept = keys.open("outbox_wire", entry.id, 1, row[0])
            change = Change.from_wire(kept["change"])
            if change.device_id == enrolment.device_id:
                return change, [base64.b64decode(a) for a in kept["attachments"]]
        attachments: list[bytes] = []
        payload = dict(entry.payload)
        if entry.entity == "plan":
            pdf = self.profile.repo.get_document(payload["document_id"])
            plain_sha = hashlib.sha256(pdf).hexdigest()
            sealed = SealedPayload.seal(
                enrolment.office_box_public, pdf, attachment_info(plain_sha)
            )
            attachments.append(canonical(sealed.to_wire()))
            payload["pdf"] = {"sha256": plain_sha, "size": len(pdf)}
        office_case = None
        copy_to: tuple[tuple[str, bytes], ...] = ()
        if entry.case_id:
            state = self._sync_case(entry.case_id)
            if state is not None:
                office_case = state["office_case_id"]
                copy_to = tuple(
                    (r["device_id"], base64.b64decode(r["box_public"]))
                    for r in state.get("recipients", [])
                    if r["device_id"] != enrolment.device_id
                )
        change = Change.create(
            id=entry.id,
            device_id=enrolment.device_id,
            seq=entry.seq,
            entity=entry.entity,
            entity_id=entry.entity_id,
            case_ref=office_case,
            base_version=entry.base_version,
            last_seen_server_version=self.cursor,
            plaintext=canonical(payload),
            office_box_public=enrolment.office_box_public,
            sign_private=enrolment.keys.sign_private,
            attachments=tuple(hashlib.sha256(a).hexdigest() for a in attachments),
            copy_to=copy_to,
        )
        kept = {"change": change.to_wire(), "attachments": [b64(a) for a in attachments]}
        with db.atomic():
            db.execute(
                "INSERT INTO outbox_wire(change_id, data) VALUES (?, ?) ON CONFLICT(change_id) "
                "DO UPDATE SET data = excluded.data",
                [entry.id, keys.seal("outbox_wire", entry.id, 1, kept)],
            )
        return change, attachments

    def _push(self, http: httpx.Client, enrolment: Enrolment, report: SyncReport) -> None:
        pending = self.profile.outbox.pending()
        total = len(pending)
        self.progress(Progress("push", 0, total))
        done = 0
        for start in range(0, total, PUSH_BATCH):
            batch = pending[start : start + PUSH_BATCH]
            changes = []
            for entry in batch:
                try:
                    change, attachments = self._wire(entry, enrolment)
                except (KitchentableError, ProtocolError, KeyError, ValueError) as exc:
                    self.profile.outbox.mark(entry.id, "quarantined", f"cannot be prepared: {exc}")
                    report.quarantined += 1
                    continue
                for blob in attachments:
                    self._upload(http, enrolment, blob)
                changes.append((entry, change))
            if not changes:
                continue
            body = PushRequest.of(enrolment.device_id, [c for _, c in changes]).to_wire()
            response = self._call(http, "POST", "/api/v1/push", enrolment, json=body)
            try:
                answer = PushResponse.from_wire(self._json(response))
                if len(answer.results) != len(changes):
                    raise ProtocolError("malformed", "the answer lists another number of changes")
                for (entry, change), result in zip(changes, answer.results, strict=True):
                    if result.index != changes.index((entry, change)) or result.id not in (
                        None,
                        change.id,
                    ):
                        raise ProtocolError("malformed", "the answers are out of order")
            except ProtocolError as exc:
                raise ServerAnswerUnreadable(reason=exc.message) from exc
            for (entry, _change), result in zip(changes, answer.results, strict=True):
                self._settle(entry, result, report)
            report.pushed += len(changes)
            done += len(batch)
            self.progress(Progress("push", done, total))

    def _upload(self, http: httpx.Client, enrolment: Enrolment, blob: bytes) -> None:
        sha = hashlib.sha256(blob).hexdigest()
        response = self._call(
            http,
            "POST",
            "/api/v1/uploads",
            enrolment,
            json={"v": 1, "sha256": sha, "size": len(blob)},
        )
        try:
            state = UploadState.from_wire(self._json(response))
        except ProtocolError as exc:
            raise ServerAnswerUnreadable(reason=exc.message) from exc
        if state.complete:
            return
        count = -(-len(blob) // state.chunk_size)
        complete = False
        for index in range(count):
            if index in state.received:
                continue  # resumed: the server has this chunk from an earlier attempt
            chunk = blob[index * state.chunk_size : (index + 1) * state.chunk_size]
            answer = self._call(
                http,
                "PUT",
                f"/api/v1/uploads/{state.upload_id}/chunks/{index}",
                enrolment,
                content=chunk,
                headers={
                    "Content-Type": "application/octet-stream",
                    "X-Content-SHA256": hashlib.sha256(chunk).hexdigest(),
                },
            )
            # The last chunk completes the file; an older server needs the extra call.
            complete = self._json(answer).get("complete") is True
        if not complete:
            self._call(http, "POST", f"/api/v1/uploads/{state.upload_id}/complete", enrolment)

    def _settle(self, entry: Any, result: ChangeResult, report: SyncReport) -> None:
        outbox = self.profile.outbox
        status = result.status
        if status == "duplicate":
            report.duplicates += 1
            status = result.first_status or "accepted"
        with self.profile.db.atomic():
            if status == "accepted":
                report.accepted += 1
                outbox.mark(entry.id, "sent")
                self._accepted(entry, result)
            elif status == "conflict":
                report.conflicts += 1
                outbox.mark(entry.id, "conflict", "another device changed this case first")
                self._conflict_from_push(entry, result)
            elif result.reason in ("server_error", "attachment_missing"):
                report.retry_later += 1
                outbox.mark(entry.id, "pending", result.reason)
            else:
                report.quarantined += 1
                outbox.mark(entry.id, "quarantined", f"{result.reason}: {result.message}")
                report.problems.append(f"{entry.entity} {entry.entity_id}: {result.message}")

    def _accepted(self, entry: Any, result: ChangeResult) -> None:
        if entry.case_id is None:
            return
        if entry.entity == "case":
            self._save_sync_case(
                entry.case_id,
                base_version=result.server_version or 0,
                pushed_digest=entry.payload.get("digest"),
                synced_at=now_iso(),
            )
            self._settled(entry.case_id)
        elif entry.entity == "plan":
            case = self.profile.repo.get_case(entry.case_id)
            if case.status == CaseStatus.SIGNED:
                self.profile.repo.set_status(
                    entry.case_id, transition(case.status, CaseStatus.SYNCED)
                )
            self._save_sync_case(entry.case_id, synced_at=now_iso())

    def _settled(self, case_id: str) -> None:
        """'synced' when the office now has exactly what is here; else work still waits."""
        state = self._sync_case(case_id)
        current = self._digest(self._snapshot(case_id))
        if state is not None and state["pushed_digest"] == current:
            self.profile.repo.set_sync_state(case_id, "synced")

    def _conflict_from_push(self, entry: Any, result: ChangeResult) -> None:
        if entry.entity != "case" or entry.case_id is None:
            return
        self._record_conflict(
            entry.case_id,
            conflict_id=entry.id,
            mine=entry.payload.get("snapshot"),
            theirs=None,
            theirs_from=None,
            current_version=result.current_version or 0,
        )

    # -- conflicts --------------------------------------------------------------------
    def _record_conflict(
        self,
        case_id: str,
        *,
        conflict_id: str,
        mine: Any,
        theirs: Any,
        theirs_from: str | None,
        current_version: int,
    ) -> None:
        db, keys = self.profile.db, self.profile.keys
        open_row = db.execute(
            "SELECT id, data FROM sync_conflicts WHERE case_id = ? AND resolved_at IS NULL",
            [case_id],
        ).fetchone()
        if open_row is not None:
            data = keys.open("sync_conflicts", open_row[0], 1, open_row[1])
            if theirs is not None:
                data["theirs"], data["theirs_from"] = theirs, theirs_from
            if mine is not None and data.get("mine") is None:
                data["mine"] = mine
            data["current_version"] = max(int(data["current_version"]), current_version)
            db.execute(
                "UPDATE sync_conflicts SET data = ? WHERE id = ?",
                [keys.seal("sync_conflicts", open_row[0], 1, data), open_row[0]],
            )
            return
        data = {
            "mine": mine,
            "theirs": theirs,
            "theirs_from": theirs_from,
            "current_version": current_version,
        }
        db.execute(
            "INSERT INTO sync_conflicts(id, case_id, created_at, data) VALUES (?, ?, ?, ?)",
            [conflict_id, case_id, now_iso(), keys.seal("sync_conflicts", conflict_id, 1, data)],
        )
        self.profile.repo.set_sync_state(case_id, "conflict")
        self.profile.access.record("sync.conflict", "case", case_id)

    def conflicts(self) -> list[dict[str, Any]]:
        """Open conflicts with both versions (the consultant decides; nothing is dropped)."""
        keys = self.profile.keys
        result = []
        for conflict_id, case_id, created_at, data in self.profile.db.execute(
            "SELECT id, case_id, created_at, data FROM sync_conflicts "
            "WHERE resolved_at IS NULL ORDER BY created_at"
        ).fetchall():
            opened = keys.open("sync_conflicts", conflict_id, 1, data)
            result.append(
                {"id": conflict_id, "case_id": case_id, "created_at": created_at, **opened}
            )
        return result

    def resolve(self, conflict_id: str, keep: str) -> None:
        """Close a conflict. keep="mine": this laptop's version goes to the office as the
        next version; keep="theirs": the other device's version replaces the local one."""
        if keep not in ("mine", "theirs"):
            raise ValueError(keep)
        conflict = next((c for c in self.conflicts() if c["id"] == conflict_id), None)
        if conflict is None:
            raise ServerRefused(message="this conflict is not open (any more).")
        case_id = conflict["case_id"]
        with self.profile.db.atomic():
            if keep == "theirs":
                if conflict.get("theirs") is None:
                    raise ServerRefused(
                        message="the other version has not arrived yet; synchronise first."
                    )
                self._apply_snapshot(case_id, conflict["theirs"])
                digest = self._digest(self._snapshot(case_id))
                self._save_sync_case(
                    case_id, base_version=conflict["current_version"], pushed_digest=digest
                )
                self.profile.repo.set_sync_state(case_id, "synced")
            else:
                # Mine becomes a clean update on top of the version it lost against.
                self._save_sync_case(
                    case_id, base_version=conflict["current_version"], pushed_digest=None
                )
                self.profile.repo.set_sync_state(case_id, "pending")
            self.profile.db.execute(
                "UPDATE sync_conflicts SET resolved_at = ? WHERE id = ?", [now_iso(), conflict_id]
            )
            self.profile.access.record("sync.resolve", "case", case_id, detail={"keep": keep})

    def _apply_snapshot(self, case_id: str, snapshot: dict[str, Any]) -> None:
        """Make the local conversation equal to another device's version (answers only:
        the case, person and plan follow the conversation)."""
        profile = self.profile
        case = profile.repo.get_case(case_id)
        if case.status in (CaseStatus.SIGNED, CaseStatus.SYNCED):
            raise ServerRefused(message="a signed case cannot take another version.")
        conversation = profile.repo.conversation_for(case_id)
        form_info = snapshot.get("form") or {}
        if conversation is None:
            form = profile.forms.get(form_info.get("id", case.form_id), form_info.get("version"))
            conversation_id = profile.repo.start_conversation(
                case_id, form.id, form.version, form.sha256
            )
        else:
            conversation_id = conversation["id"]
        theirs = {a["question"]: a["answer"] for a in snapshot.get("answers", [])}
        mine = profile.repo.answers(conversation_id)
        for question_id in set(mine) | set(theirs):
            if mine.get(question_id) != theirs.get(question_id):
                profile.repo.save_answer(conversation_id, question_id, theirs.get(question_id))
        if case.status == CaseStatus.NEW and theirs:
            profile.repo.set_status(case_id, CaseStatus.IN_CONVERSATION)
        profile.repo.touch_case(case_id)

    # -- pull -------------------------------------------------------------------------
    def _pull(self, http: httpx.Client, enrolment: Enrolment, report: SyncReport) -> None:
        resync = False
        pages = 0
        while True:
            params = {"cursor": str(0 if resync else self.cursor)}
            if resync:
                params["resync"] = "1"
            try:
                response = self._call(http, "GET", "/api/v1/pull", enrolment, params=params)
            except _Resync as exc:
                if resync:
                    raise ServerAnswerUnreadable(
                        reason="the server keeps asking for a resync"
                    ) from exc
                # Start over from the beginning; applying is idempotent and never
                # overwrites local work (assignments for known cases are skipped).
                resync = report.resynced = True
                continue
            try:
                answer = PullResponse.from_wire(self._json(response))
            except ProtocolError as exc:
                raise ServerAnswerUnreadable(reason=exc.message) from exc
            if not resync and answer.entries and answer.entries[0].version <= self.cursor:
                raise ServerAnswerUnreadable(reason="the server sent items this laptop already has")
            for entry in answer.entries:
                self._apply_entry(http, enrolment, entry, report)
            with self.profile.db.atomic():
                self._put("cursor", answer.cursor)
            report.pulled += len(answer.entries)
            pages += 1
            self.progress(Progress("pull", pages, pages + (1 if answer.more else 0)))
            resync = False
            if not answer.more:
                return

    def _apply_entry(
        self, http: httpx.Client, enrolment: Enrolment, entry: PullEntry, report: SyncReport
    ) -> None:
        try:
            if entry.item is not None:
                entry.item.verify(enrolment.office_sign_public)
                self._apply_item(http, enrolment, entry.item, report)
            elif entry.change is not None:
                self._apply_peer_change(enrolment, entry, report)
        except (ProtocolError, KitchentableError, ValueError, KeyError, TypeError) as exc:
            if isinstance(exc, SyncError) and not isinstance(exc, ServerRefused):
                raise  # the network or the server itself failed: stop, retry later
            # One bad item never blocks the rest; it is logged (without content) and noted.
            log.warning("pull item %s not applied: %s", entry.version, exc)
            report.problems.append(f"item {entry.version}: {exc}")

    def _apply_item(
        self, http: httpx.Client, enrolment: Enrolment, item: FeedItem, report: SyncReport
    ) -> None:
        if item.device_id not in (None, enrolment.device_id):
            raise ProtocolError("wrong_device", "an item for another device")
        content = item.content or {}
        if item.kind == "assignment":
            data = json.loads(item.open(enrolment.device_id, enrolment.keys.box_private))
            if self._assign(data):
                report.assignments += 1
        elif item.kind == "form":
            if self._form(http, enrolment, content):
                report.forms += 1
        elif item.kind == "catalogue":
            current = self.catalogue()
            if current is None or current.get("issued_at", "") < item.issued_at:
                data = self._fetch(http, enrolment, content["sha256"])
                catalogue = json.loads(data)
                with self.profile.db.atomic():
                    self._put(
                        "catalogue",
                        {"issued_at": item.issued_at, "sha256": content["sha256"], **catalogue},
                    )
        elif item.kind == "policy":
            policy = Policy.from_content(content, item.issued_at)
            if policy.issued_at > self.policy().issued_at:
                with self.profile.db.atomic():
                    self._put("policy", policy.__dict__)
                    if policy.auto_lock_minutes is not None:
                        self.profile.update_settings(
                            auto_lock_minutes=min(
                                self.profile.settings.auto_lock_minutes, policy.auto_lock_minutes
                            )
                        )

    def _fetch(self, http: httpx.Client, enrolment: Enrolment, sha: str) -> bytes:
        response = self._call(http, "GET", f"/api/v1/blobs/{sha}", enrolment)
        if hashlib.sha256(response.content).hexdigest() != sha:
            raise ServerAnswerUnreadable(reason="a file does not match its SHA-256")
        return response.content

    def _form(self, http: httpx.Client, enrolment: Enrolment, content: dict[str, Any]) -> bool:
        from kitchentable.formengine.loader import FormRegistry

        sha = content["sha256"]
        folder = self.profile.path / SYNCED_FORMS
        target = folder / f"{sha}.yaml"
        if target.exists() or any(f.sha256 == sha for f in self.profile.forms.all()):
            return False
        data = self._fetch(http, enrolment, sha)
        staging = folder / f".{sha}.check"
        staging.mkdir(parents=True, exist_ok=True)
        try:
            (staging / f"{sha}.yaml").write_bytes(data)
            checked = FormRegistry.from_directory(staging)
            if checked.problems or not checked.all():
                raise ValueError(f"form {content.get('form_id')} does not load on this laptop")
            (staging / f"{sha}.yaml").replace(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        for form in checked.all():
            self.profile.forms.add(form)
        return True

    def _assign(self, data: dict[str, Any]) -> bool:
        office_case_id = data["office_case_id"]
        recipients = data.get("recipients", [])
        known = self.profile.db.execute(
            "SELECT case_id FROM sync_cases WHERE office_case_id = ?", [office_case_id]
        ).fetchone()
        with self.profile.db.atomic():
            if known is not None:
                # Already here (a resync, or the office added a colleague): never touch the
                # work, only learn who else works on the case.
                self._save_sync_case(known[0], recipients=recipients)
                return False
            raw = data["case"]
            if self.profile.external_id_exists(raw["external_id"]):
                raise ValueError(f"a case {raw['external_id']} already exists on this laptop")
            (case_id,) = self.profile.import_cases({"cases": [raw]})
            digest = self._digest(self._snapshot(case_id))
            self.profile.db.execute(
                "INSERT INTO sync_cases(case_id, office_case_id, base_version, pushed_digest, "
                "data) VALUES (?, ?, 0, ?, ?)",
                [
                    case_id,
                    office_case_id,
                    digest,
                    self.profile.keys.seal("sync_cases", case_id, 1, {"recipients": recipients}),
                ],
            )
            self.profile.repo.set_sync_state(case_id, "synced")
        return True

    def _apply_peer_change(
        self, enrolment: Enrolment, entry: PullEntry, report: SyncReport
    ) -> None:
        change = entry.change
        assert change is not None
        if change.entity != "case":
            return
        row = self.profile.db.execute(
            "SELECT case_id FROM sync_cases WHERE office_case_id = ?", [change.entity_id]
        ).fetchone()
        if row is None:
            return
        case_id = row[0]
        state = self._sync_case(case_id)
        assert state is not None
        author = next(
            (r for r in state.get("recipients", []) if r["device_id"] == change.device_id), None
        )
        if author is None:
            raise ProtocolError("unknown_author", "a version from a device the office never named")
        change.verify(base64.b64decode(author["sign_public"]))
        theirs = json.loads(change.open_copy(enrolment.device_id, enrolment.keys.box_private))
        snapshot = theirs["snapshot"]
        version = entry.server_version or 0
        current_digest = self._digest(self._snapshot(case_id))
        untouched = (
            state["pushed_digest"] == current_digest
            and not self._case_pending(case_id)
            and case_id not in self.keep_as_is
        )
        open_conflict = self.profile.db.execute(
            "SELECT 1 FROM sync_conflicts WHERE case_id = ? AND resolved_at IS NULL", [case_id]
        ).fetchone()
        with self.profile.db.atomic():
            if (
                entry.status == "accepted"
                and untouched
                and open_conflict is None
                and version > int(state["base_version"])
            ):
                # A clean update by a colleague on a case this laptop did not change.
                self._apply_snapshot(case_id, snapshot)
                self._save_sync_case(
                    case_id,
                    base_version=version,
                    pushed_digest=self._digest(self._snapshot(case_id)),
                )
                self.profile.repo.set_sync_state(case_id, "synced")
                return
            if snapshot == self._snapshot_for_compare(case_id, snapshot):
                return
            report.conflicts += 1
            self._record_conflict(
                case_id,
                conflict_id=change.id,
                mine=self._snapshot(case_id),
                theirs=snapshot,
                theirs_from=author.get("label") or author.get("consultant") or change.device_id,
                current_version=version
                if entry.status == "accepted"
                else int(state["base_version"]),
            )

    def _snapshot_for_compare(self, case_id: str, theirs: dict[str, Any]) -> dict[str, Any]:
        mine = self._snapshot(case_id)
        mine["office_case_id"] = theirs.get("office_case_id")
        return mine

    def _case_pending(self, case_id: str) -> bool:
        return (
            self.profile.db.execute(
                "SELECT 1 FROM outbox WHERE case_id = ? AND entity = 'case' AND state = 'pending'",
                [case_id],
            ).fetchone()
            is not None
        )

    # -- retention and wiping ---------------------------------------------------------
    def _purge(self) -> int:
        """Remove synced and closed cases once the office's retention days have passed."""
        days = self.policy().retention_days
        if days is None:
            return 0
        limit = (self.clock() - timedelta(days=days)).isoformat()
        purged = 0
        rows = self.profile.db.execute(
            "SELECT c.id FROM cases c JOIN sync_cases s ON s.case_id = c.id "
            "WHERE c.status = ? AND s.synced_at IS NOT NULL AND s.synced_at <= ?",
            [CaseStatus.SYNCED.value, limit],
        ).fetchall()
        for (case_id,) in rows:
            if self.profile.db.execute(
                "SELECT 1 FROM outbox WHERE case_id = ? AND state = 'pending'", [case_id]
            ).fetchone():
                continue
            self.profile.repo.delete_case(case_id)
            self.profile.access.record("case.purge", "case", case_id)
            purged += 1
        return purged

    def _wipe(self) -> None:
        wipe_profile(self.profile)


def wipe_profile(profile: Profile) -> None:
    """Erase a revoked laptop's vault: the key wraps first (without them the sealed data
    cannot be opened by anyone), then the database files and the synced forms."""
    path = profile.path
    try:
        profile.db.execute("DELETE FROM vault")
        profile.db.execute("DELETE FROM sync_state")
        profile.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        profile.close()
    for leftover in list(path.glob("kitchentable.db*")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(path / SYNCED_FORMS, ignore_errors=True)
    log.warning("the office revoked this device: the profile was wiped")


class _Resync(Exception):
    """The server cannot continue from this cursor (handled inside the pull)."""


def _public_pem(key_pem: bytes) -> str:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(key_pem, password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def _public_pem_of_cert(cert_pem: bytes) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError as exc:
        raise ServerAnswerUnreadable(reason="the device certificate cannot be read") from exc
    return (
        cert.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def _split_pem(text: str) -> list[bytes]:
    end = "-----END CERTIFICATE-----"
    parts = [p.strip() + "\n" + end + "\n" for p in text.split(end) if p.strip()]
    if not parts:
        raise ServerAnswerUnreadable(reason="the device certificate is empty")
    return [p.encode("ascii") for p in parts]


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:160]
