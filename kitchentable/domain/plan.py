"""The support plan (*ondersteuningsplan*): what was agreed, and who signed it.

Owns the plan's shape and its rules: the order of the pyramid (Wmo 2015 art. 2.3.5 lid 3),
which earlier steps a result passes over (each needs a motivation: CRvB 2018), and when a
plan may be signed. Pure data: built from a conversation by render.compose/plan_builder,
edited by the consultant, stored sealed as JSON by the repository. Knows nothing of PDFs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any


class PyramidLevel(StrEnum):
    """The order of weighing; values equal the option values in the shipped forms."""

    EIGEN_KRACHT = "eigen_kracht"
    GEBRUIKELIJKE_HULP = "gebruikelijke_hulp"
    MANTELZORG = "mantelzorg"
    SOCIAAL_NETWERK = "sociaal_netwerk"
    ALGEMENE_VOORZIENING = "algemene_voorziening"
    VOORLIGGENDE_VOORZIENING = "voorliggende_voorziening"
    MAATWERKVOORZIENING = "maatwerkvoorziening"

    def passed_over(self) -> list[PyramidLevel]:
        """The earlier steps that did not suffice when this step solves a result."""
        order = list(PyramidLevel)
        return order[: order.index(self)]


class SignerRole(StrEnum):
    INHABITANT = "inhabitant"  # or the representative, with the basis recorded
    CONSULTANT = "consultant"


@dataclass(frozen=True)
class Result:
    """One agreed result and how it will be reached."""

    description: str
    domain: str = ""
    level: PyramidLevel | None = None
    motivations: dict[str, str] = field(default_factory=dict)  # passed-over level -> why not
    who_what: str = ""
    provider: str = ""
    delivery: str = ""  # zin | pgb, for customised support
    start_date: str = ""
    evaluation_date: str = ""

    def missing_motivations(self) -> list[PyramidLevel]:
        if self.level is None:
            return []
        return [
            lvl
            for lvl in self.level.passed_over()
            if not self.motivations.get(lvl.value, "").strip()
        ]


@dataclass(frozen=True)
class Signature:
    role: SignerRole
    name: str
    capacity: str = ""  # "Wmo-consulent", or "wettelijk vertegenwoordiger (curator)"
    place: str = ""
    date: str = ""  # ISO
    strokes: tuple[tuple[tuple[float, float, float], ...], ...] = ()  # (x, y, pressure) in 0..1

    @property
    def signed(self) -> bool:
        return bool(self.strokes)


@dataclass(frozen=True)
class Reaction:
    """The inhabitant's reaction to the report (art. 2.3.2 lid 8 practice; 5.3.2 correction)."""

    agrees: bool | None = None
    remarks: str = ""


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
    application: bool = False  # the signed report also serves as the application
    signatures: tuple[Signature, ...] = ()
    place: str = ""

    def signature(self, role: SignerRole) -> Signature | None:
        return next((s for s in self.signatures if s.role == role), None)

    @property
    def fully_signed(self) -> bool:
        return all((s := self.signature(r)) is not None and s.signed for r in SignerRole)

    def with_signature(self, signature: Signature) -> SupportPlan:
        others = tuple(s for s in self.signatures if s.role != signature.role)
        return replace(self, signatures=(*others, signature))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SupportPlan:
        results = tuple(
            Result(**{**r, "level": PyramidLevel(r["level"]) if r.get("level") else None})
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
        )
