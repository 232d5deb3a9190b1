"""The support plan (*ondersteuningsplan*, *gezinsplan*): what was agreed, and who signed it.

Owns the plan's shape and its rules: the order of weighing (Wmo 2015 art. 2.3.5 lid 3; for
youth Jeugdwet art. 2.3 and 1.1), which earlier steps a result passes over (each needs a
motivation: CRvB 2018), who must sign (the inhabitant or representative; for youth the
young person and each parent with gezag, each of whom may be absent with a reason; always
the consultant) and when a plan counts as signed. Pure data: built from a conversation by
render.plan_builder, edited by the consultant, stored sealed as JSON by the repository.
Knows nothing of PDFs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any


class _Steps(StrEnum):
    """An order of weighing: each step comes before the next."""

    def passed_over(self) -> list[_Steps]:
        """The earlier steps that did not suffice when this step solves a result."""
        order = list(type(self))
        return order[: order.index(self)]

    @property
    def needs_decision(self) -> bool:
        """The last step is an individual provision: it needs an aanvraag and a beschikking."""
        return self is list(type(self))[-1]


class PyramidLevel(_Steps):
    """Wmo 2015 art. 2.3.5 lid 3; values equal the option values in the shipped forms."""

    EIGEN_KRACHT = "eigen_kracht"
    GEBRUIKELIJKE_HULP = "gebruikelijke_hulp"
    MANTELZORG = "mantelzorg"
    SOCIAAL_NETWERK = "sociaal_netwerk"
    ALGEMENE_VOORZIENING = "algemene_voorziening"
    VOORLIGGENDE_VOORZIENING = "voorliggende_voorziening"
    MAATWERKVOORZIENING = "maatwerkvoorziening"


class JeugdLevel(_Steps):
    """Jeugdwet art. 2.3 lid 1 and 1.1: the family's own possibilities first, jeugdhulp last."""

    EIGEN_MOGELIJKHEDEN = "eigen_mogelijkheden"  # and problem-solving ability of the family
    GEBRUIKELIJKE_HULP = "gebruikelijke_hulp"
    SOCIAAL_NETWERK = "sociaal_netwerk"
    VRIJ_TOEGANKELIJK = "vrij_toegankelijke_voorziening"
    ZVW_WLZ = "zvw_wlz"  # care under the health insurance or long-term care act comes first
    JEUGDHULP = "individuele_voorziening"


Level = PyramidLevel | JeugdLevel
STEPS: dict[str, type[_Steps]] = {"wmo": PyramidLevel, "jeugd": JeugdLevel}


def parse_level(value: object, kind: str | None = None) -> Level | None:
    """A stored level value as a step of its weighing (the form's kind decides ties)."""
    orders = [STEPS[kind]] if kind in STEPS else []
    orders += [o for o in (PyramidLevel, JeugdLevel) if o not in orders]
    for order in orders:
        try:
            return order(str(value))  # type: ignore[return-value]
        except ValueError:
            continue
    return None


class SignerRole(StrEnum):
    INHABITANT = "inhabitant"  # or the representative, with the basis recorded
    YOUTH = "youth"  # the young person of a gezinsplan
    PARENT = "parent"  # a parent with gezag (parental authority)
    CONSULTANT = "consultant"


@dataclass(frozen=True)
class Result:
    """One agreed result (or, in a gezinsplan, goal) and how it will be reached."""

    description: str
    domain: str = ""
    level: Level | None = None
    motivations: dict[str, str] = field(default_factory=dict)  # passed-over level -> why not
    who_what: str = ""
    provider: str = ""
    delivery: str = ""  # zin | pgb, for an individual provision
    start_date: str = ""
    evaluation_date: str = ""
    # The individual provision this result needs, when it is the last step (advice, not yet a
    # decision): kind (option value), extent, duration, and why zin or pgb.
    support_kind: str = ""
    support_kind_other: str = ""
    extent: str = ""
    duration: str = ""
    delivery_reasons: str = ""
    pgb_plan: bool | None = None
    pgb_management: bool | None = None
    # The same advice coded for the toewijzing (iWmo WMO301, iJw JW301): product category
    # (code list WMO020 or JZ020), the municipality's product code, the omvang (volume, unit
    # from WJ756, frequency from WMO757) or a budget in euros, and the intended end date
    # (start_date is the intended start). The consultant picked words; these are the codes.
    category: str = ""
    product: str = ""
    volume: float | None = None
    unit: str = ""
    frequency: str = ""
    budget: float | None = None
    end_date: str = ""
    # A gezinsplan's goal: for whom, who acts, by when, and when it is reached.
    for_whom: str = ""
    who: str = ""
    by_date: str = ""
    reached_when: str = ""

    @property
    def needs_decision(self) -> bool:
        return self.level is not None and self.level.needs_decision

    def missing_motivations(self) -> list[_Steps]:
        if self.level is None:
            return []
        return [
            lvl
            for lvl in self.level.passed_over()
            if not self.motivations.get(lvl.value, "").strip()
        ]


@dataclass(frozen=True)
class Signer:
    """Someone who must sign this plan; `key` is unique within the plan."""

    key: str
    role: SignerRole
    name: str = ""
    capacity: str = ""  # "ouder met gezag", "wettelijk vertegenwoordiger (curator)"

    @property
    def may_be_absent(self) -> bool:
        """The young person or a parent may be absent (with a reason); the inhabitant or their
        representative and the consultant must sign."""
        return self.role in (SignerRole.YOUTH, SignerRole.PARENT)


DEFAULT_SIGNERS = (
    Signer(SignerRole.INHABITANT.value, SignerRole.INHABITANT),
    Signer(SignerRole.CONSULTANT.value, SignerRole.CONSULTANT),
)


@dataclass(frozen=True)
class Signature:
    role: SignerRole
    name: str
    capacity: str = ""  # "Wmo-consulent", or "wettelijk vertegenwoordiger (curator)"
    place: str = ""
    date: str = ""  # ISO
    strokes: tuple[tuple[tuple[float, float, float], ...], ...] = ()  # (x, y, pressure) in 0..1
    signer: str = ""  # the Signer's key; empty: the role's value (plans stored before signers)
    absent_reason: str = ""  # the signer was not there to sign, and why

    @property
    def key(self) -> str:
        return self.signer or self.role.value

    @property
    def signed(self) -> bool:
        return bool(self.strokes)

    @property
    def absent(self) -> bool:
        return not self.signed and bool(self.absent_reason.strip())


@dataclass(frozen=True)
class Reaction:
    """The inhabitant's reaction to the report (art. 2.3.2 lid 8 practice; 5.3.2 correction)."""

    agrees: bool | None = None
    remarks: str = ""

    @property
    def given(self) -> bool:
        return self.agrees is not None


@dataclass(frozen=True)
class SupportPlan:
    document_id: str
    case_id: str
    form_id: str
    form_version: str
    language: str
    entries: dict[str, Any]  # plan path -> stored answer value, from the form's `plan` mapping
    results: tuple[Result, ...] = ()
    reaction: Reaction = field(default_factory=Reaction)
    application: bool = False  # the signed report also serves as the application (aanvraag)
    signatures: tuple[Signature, ...] = ()
    place: str = ""
    signers: tuple[Signer, ...] = ()  # empty: the inhabitant and the consultant
    application_date: str = ""  # ISO; the inhabitant's signature date once sealed
    kind: str = "wmo"  # the form's kind: wmo (verslag) | jeugd (gezinsplan)
    open_topics: tuple[str, ...] = ()  # legal topics (ids) still open when the plan was built

    @property
    def required_signers(self) -> tuple[Signer, ...]:
        return self.signers or DEFAULT_SIGNERS

    def signer(self, key: str) -> Signer | None:
        return next((s for s in self.required_signers if s.key == key), None)

    def signature(self, key: str) -> Signature | None:
        """The signature of one signer, by key (a SignerRole is its own default key)."""
        return next((s for s in self.signatures if s.key == key), None)

    @property
    def fully_signed(self) -> bool:
        """Everyone signed or (where allowed) is absent with a reason, and someone besides the
        consultant really signed."""
        family_signed = False
        for signer in self.required_signers:
            signature = self.signature(signer.key)
            if signature is not None and signature.signed:
                family_signed |= signer.role != SignerRole.CONSULTANT
                continue
            if signature is None or not (signer.may_be_absent and signature.absent):
                return False
        return family_signed

    def with_signature(self, signature: Signature) -> SupportPlan:
        others = tuple(s for s in self.signatures if s.key != signature.key)
        return replace(self, signatures=(*others, signature))

    def content(self) -> tuple[object, ...]:
        """What the signatures confirm: a rebuild that changes this asks for new signatures."""
        return (
            self.form_id,
            self.form_version,
            self.entries,
            self.results,
            self.application,
            self.signers,
            self.open_topics,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SupportPlan:
        kind = str(data.get("kind", "wmo"))
        results = tuple(
            Result(**{**r, "level": parse_level(r.get("level"), kind) if r.get("level") else None})
            for r in data.get("results", ())
        )
        signatures = tuple(
            Signature(
                **{
                    **s,
                    "role": SignerRole(s["role"]),
                    "strokes": tuple(
                        tuple(tuple(p) for p in stroke) for stroke in s.get("strokes", ())
                    ),
                }
            )
            for s in data.get("signatures", ())
        )
        signers = tuple(
            Signer(**{**s, "role": SignerRole(s["role"])}) for s in data.get("signers", ())
        )
        return cls(
            document_id=data["document_id"],
            case_id=data["case_id"],
            form_id=data["form_id"],
            form_version=data["form_version"],
            language=data.get("language", "nl"),
            entries=dict(data.get("entries", {})),
            results=results,
            reaction=Reaction(**data.get("reaction", {})),
            application=bool(data.get("application", False)),
            signatures=signatures,
            place=data.get("place", ""),
            signers=signers,
            application_date=data.get("application_date", ""),
            kind=kind,
            open_topics=tuple(data.get("open_topics", ())),
        )
