"""The plan use cases: draft from the conversation, reaction, signatures, seal, PDF.

Owns the order of the signing moment: nothing is signed while the plan is not ready
(services.readiness names each open duty, error, missing reaction or place); every signer's
signature in (or, for the young person and a parent, their absence with a reason), the final
PDF rendered without the CONCEPT mark, sealed with the device's key (PAdES), stored sealed in
the vault (never as a loose file), the case marked signed and the result queued for the
office. Every unsigned PDF and export is built from the current answers; a signed plan is
its sealed document and is never rebuilt. Reached through `Profile.plans`; it needs of the
profile only what `PlanHost` names (so it never imports services.profile); synchronous and
Qt-free like services.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import sqlite_utils

from kitchentable.config import Settings
from kitchentable.domain.case import Case, CaseStatus, transition
from kitchentable.domain.plan import Reaction, Signature, SignerRole, SupportPlan
from kitchentable.errors import PlanNotReady, SealBlocker, SealRefused
from kitchentable.formengine.loader import FormRegistry
from kitchentable.formengine.model import Form
from kitchentable.formengine.session import ConversationState
from kitchentable.i18n import N_, _, translator
from kitchentable.paths import resources_dir
from kitchentable.render import document as d
from kitchentable.render.compose import compose, load_branding
from kitchentable.render.pdf import render_document
from kitchentable.render.pdfa import make_pdfa
from kitchentable.render.plan_builder import build_plan
from kitchentable.services.readiness import seal_blockers
from kitchentable.storage import crypto
from kitchentable.storage.audit import AccessLog
from kitchentable.storage.keys import VaultKeys
from kitchentable.storage.outbox import Outbox
from kitchentable.storage.repositories import Repository

if TYPE_CHECKING:
    from kitchentable.render.seal import SealIdentity

SEALED_PLAN = "plan-sealed"
IDENTITY_KEY = "seal_identity"
GENERIC_ROLES = {"Wmo-consulent", "Jeugdconsulent", "Wmo consultant", "Youth consultant"}


def role_title(settings: Settings, kind: str, language: str) -> str:
    """The consultant's role as the plan prints it: their own title for their own kind of
    work, else the role of the document's kind, so a gezinsplan never names a Wmo role."""
    own = settings.role.strip()
    if own and own not in GENERIC_ROLES and settings.consultant_role == kind:
        return own
    _t = translator(language)
    return _t(N_("Youth consultant")) if kind == "jeugd" else _t(N_("Wmo consultant"))


class OpenConversation(Protocol):
    """A conversation as a profile opens it: its case, form and state."""

    @property
    def case(self) -> Case: ...

    @property
    def form(self) -> Form: ...

    @property
    def state(self) -> ConversationState: ...


class PlanHost(Protocol):
    """What the plan use cases need of an unlocked profile (services.profile.Profile)."""

    @property
    def db(self) -> sqlite_utils.Database: ...

    @property
    def keys(self) -> VaultKeys: ...

    @property
    def repo(self) -> Repository: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def access(self) -> AccessLog: ...

    @property
    def forms(self) -> FormRegistry: ...

    @property
    def settings(self) -> Settings: ...

    def case(self, reference: str) -> Case: ...

    def open_conversation(self, reference: str) -> OpenConversation: ...


class PlanService:
    def __init__(self, profile: PlanHost) -> None:
        self.profile = profile

    # -- the plan -------------------------------------------------------------------------
    def current(self, reference: str) -> SupportPlan | None:
        case_id = self.profile.repo.resolve_case(reference)
        data = self.profile.repo.get_plan(case_id)
        return SupportPlan.from_dict(data) if data else None

    def _signed(self, reference: str) -> bool:
        return self.profile.case(reference).status in (CaseStatus.SIGNED, CaseStatus.SYNCED)

    def up_to_date(self, reference: str) -> SupportPlan:
        """The plan from the current answers (stored when it changed); the reaction and place
        are kept, signatures only while the content they confirm is the same. A signed plan is
        returned as it was signed. The case's status is left alone."""
        conversation = self.profile.open_conversation(reference)
        case = conversation.case
        previous = self.current(case.id)
        if self._signed(case.id) and previous is not None:
            return previous
        plan = build_plan(
            conversation.form, conversation.state, case.id, self.profile.settings.language, previous
        )
        if plan != previous:
            with self.profile.db.atomic():
                self.profile.repo.put_plan(case.id, plan.to_dict())
        return plan

    def draft(self, reference: str) -> SupportPlan:
        """(Re)build the plan from the conversation and mark the case as having a draft."""
        plan = self.up_to_date(reference)
        case = self.profile.case(reference)
        if case.status in (CaseStatus.SIGNED, CaseStatus.SYNCED):
            return plan
        with self.profile.db.atomic():
            if case.status == CaseStatus.NEW:
                self.profile.repo.set_status(case.id, CaseStatus.IN_CONVERSATION)
                case = replace(case, status=CaseStatus.IN_CONVERSATION)
            self.profile.repo.set_status(case.id, transition(case.status, CaseStatus.PLAN_DRAFTED))
            self.profile.access.record("plan.draft", "plan", case.id)
        return plan

    def _store(self, plan: SupportPlan) -> None:
        with self.profile.db.atomic():
            self.profile.repo.put_plan(plan.case_id, plan.to_dict())

    def set_reaction(
        self, reference: str, agrees: bool | None, remarks: str, place: str = ""
    ) -> SupportPlan:
        plan = self._editable(reference)
        plan = replace(
            plan, reaction=Reaction(agrees, remarks), place=place or plan.place, signatures=()
        )
        self._store(plan)
        return plan

    def _editable(self, reference: str) -> SupportPlan:
        """The current draft, for a reaction or a signature (the case now has a draft)."""
        if self._signed(reference):
            raise PlanNotReady(reason="signed")
        return self.draft(reference)

    # -- signing --------------------------------------------------------------------------
    def blockers(self, reference: str) -> list[SealBlocker]:
        """What must happen before the plan can be signed; empty when it can."""
        if self._signed(reference):
            raise PlanNotReady(reason="signed")
        plan = self.up_to_date(reference)
        conversation = self.profile.open_conversation(reference)
        return seal_blockers(conversation.form, conversation.state, plan)

    def sign(self, reference: str, signature: Signature) -> SupportPlan:
        """Add one signer's signature (or absence); when every signer is in, the plan is sealed
        and the case is signed. Refused, with every reason, while the plan is not ready."""
        plan = self._editable(reference)
        blockers = self.blockers(reference)
        signer = plan.signer(signature.key)
        if signer is None:
            blockers.append(
                SealBlocker(
                    "signature", _("This plan has no signer '{key}'.").format(key=signature.key)
                )
            )
        elif not signature.signed and not (signer.may_be_absent and signature.absent):
            blockers.append(
                SealBlocker(
                    "signature",
                    _("{name} must sign.").format(name=signature.name or signer.name)
                    if not signer.may_be_absent
                    else _("{name}: sign, or give the reason they are not there.").format(
                        name=signature.name or signer.name
                    ),
                    question=signature.key,
                )
            )
        if blockers:
            raise SealRefused(blockers)
        plan = plan.with_signature(
            replace(
                signature,
                date=signature.date or date.today().isoformat(),
                place=signature.place or plan.place,
            )
        )
        self._store(plan)
        self.profile.access.record(
            "plan.sign", "plan", plan.case_id, detail={"role": signature.role.value}
        )
        if plan.fully_signed:
            self._seal(plan)
        return plan

    def seal(
        self,
        reference: str,
        agrees: bool | None,
        remarks: str,
        place: str,
        signatures: list[Signature],
    ) -> SupportPlan:
        """The signing moment in one step (the app, `kitchentable sign`): the reaction and
        place, then every signature. Refused before anything is signed when not ready."""
        self.set_reaction(reference, agrees, remarks, place)
        blockers = self.blockers(reference)
        if blockers:
            raise SealRefused(blockers)
        plan = self.up_to_date(reference)
        for signature in signatures:
            plan = self.sign(reference, signature)
        if not plan.fully_signed:
            missing = [
                s.name or s.key for s in plan.required_signers if plan.signature(s.key) is None
            ]
            raise SealRefused(
                [
                    SealBlocker(
                        "signature",
                        _("Still to sign: {names}.").format(names=", ".join(missing)),
                    )
                ]
            )
        return plan

    def _seal(self, plan: SupportPlan) -> None:
        from kitchentable.render.seal import seal_pdf  # pyHanko: ~0.7 s to import, only here

        case = self.profile.case(plan.case_id)
        family = [
            s.date
            for s in plan.signatures
            if s.signed and s.role != SignerRole.CONSULTANT and s.date
        ]
        if plan.application and family:
            # The signed report is the aanvraag: it is made on the day the inhabitant signs.
            plan = replace(plan, application_date=min(family))
            self._store(plan)
        pdf = self.render(plan, draft=False)
        settings = self.profile.settings
        sealed = seal_pdf(
            pdf,
            self.identity(),
            reason="Ondertekend gezinsplan"
            if plan.kind == "jeugd"
            else "Ondertekend gespreksverslag en ondersteuningsplan",
            location=plan.place,
            name=settings.consultant,
        )
        with self.profile.db.atomic():
            document_id = self.profile.repo.put_document(case.id, SEALED_PLAN, sealed)
            self.profile.repo.set_status(case.id, transition(case.status, CaseStatus.SIGNED))
            self.profile.outbox.enqueue(
                "plan",
                plan.document_id,
                {"document_id": document_id, "plan": plan.to_dict()},
                case_id=case.id,
            )
            self.profile.access.record("plan.seal", "plan", case.id)

    # -- output ---------------------------------------------------------------------------
    def render(self, plan: SupportPlan, draft: bool = True) -> bytes:
        case = self.profile.case(plan.case_id)
        form = self.profile.forms.get(plan.form_id, plan.form_version)
        settings = self.profile.settings
        document = compose(
            plan,
            form,
            case,
            branding=branding(plan.language),
            consultant=settings.consultant,
            consultant_role=role_title(settings, form.kind, plan.language),
            draft=draft,
        )
        return make_pdfa(render_document(document), plan.language)

    def pdf(self, reference: str) -> tuple[bytes, bool]:
        """The plan as the inhabitant would see it now: (pdf, sealed?). Unsigned, it is built
        from the current answers; signed, it is the sealed document."""
        case_id = self.profile.repo.resolve_case(reference)
        sealed = [doc for doc in self.profile.repo.documents(case_id) if doc["kind"] == SEALED_PLAN]
        if sealed:
            return self.profile.repo.get_document(sealed[-1]["id"]), True
        return self.render(self.up_to_date(case_id), draft=True), False

    # -- the device's seal identity -----------------------------------------------------
    def identity(self) -> SealIdentity:
        """The device seal key (sealed in the vault table) and its certificate; made on first use."""
        from kitchentable.render.seal import new_self_issued_identity

        stored = self.stored_identity()
        if stored is not None:
            return stored
        identity = new_self_issued_identity(
            f"Kitchentable {self.profile.settings.consultant or 'device'}",
            str(branding_data().get("municipality", "")),
        )
        self.store_identity(identity)
        return identity

    def stored_identity(self) -> SealIdentity | None:
        """The seal identity when this laptop has made one (it is never made here)."""
        from kitchentable.render.seal import SealIdentity

        db, keys = self.profile.db, self.profile.keys
        row = db.execute("SELECT value FROM vault WHERE key = ?", [IDENTITY_KEY]).fetchone()
        if row is None:
            return None
        stored = json.loads(row[0])
        key_pem = keys.open_bytes("vault", IDENTITY_KEY, 1, crypto.unb64(stored["key"]))
        return SealIdentity(
            key_pem, stored["cert"].encode(), tuple(c.encode() for c in stored.get("chain", ()))
        )

    def recertify(self, certificate: bytes, chain: tuple[bytes, ...]) -> None:
        """Seal with a new certificate for the same key from now on (renewed at sync)."""
        stored = self.stored_identity()
        if stored is None:
            raise ValueError("this laptop has no seal key to certify")
        self.store_identity(replace(stored, cert_pem=certificate, chain_pem=chain))

    def store_identity(self, identity: SealIdentity) -> None:
        value = {
            "cert": identity.cert_pem.decode(),
            "chain": [c.decode() for c in identity.chain_pem],
            "key": crypto.b64(
                self.profile.keys.seal_bytes("vault", IDENTITY_KEY, 1, identity.key_pem)
            ),
        }
        self.profile.db.execute(
            "INSERT INTO vault(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [IDENTITY_KEY, json.dumps(value)],
        )


def branding_file() -> Path:
    """IT's branding (presets.json) or the shipped example municipality."""
    from kitchentable.presets import installation_presets

    return installation_presets().branding or resources_dir() / "branding" / "municipality.json"


def branding_data() -> dict[str, object]:
    data: dict[str, object] = json.loads(branding_file().read_text("utf-8-sig"))
    return data


def branding(language: str) -> d.Branding:
    return load_branding(branding_data(), language, str(branding_file().parent))
