"""One signed plan into the case system, step by step, each result recorded before the next.

Owns looking up the catalogue types the settings name (once per round), what each request
carries, and the order: reserve a zaaknummer, create the zaak with it, the rollen, reserve
a documentnummer, the sealed PDF as an enkelvoudiginformatieobject (inline, base64) and its
zaakinformatieobject, the same for the conversation as a JSON document, then the status
(last: a closing status must not lock the zaak before its documents are in).

The rule that makes a retry safe: before a create is sent, the ledger notes it; after, it
keeps the URL. A step with a URL is skipped; a step noted but without a URL (its answer was
lost) is first looked up (the zaak and the documents by their reserved number, relations by
their two ends) and created only when not found. Reserving again is harmless: an unused
number is a gap, never a second zaak. Never sleeps or retries itself (run.py does).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from kitchentable.office.toewijzing import advised
from kitchentable.office.zgw.client import Refused, Unusable, ZgwClient
from kitchentable.office.zgw.config import ZgwConfig
from kitchentable.office.zgw.ledger import Ledger, Step
from kitchentable.office.zgw.source import SignedPlan

VERSLAG_FORMAT = "kitchentable-verslag"
SOURCE = "Kitchentable"  # the `bron` of the zaak's kenmerk (its external reference)


@dataclass(frozen=True)
class Types:
    zaaktype: str
    plan_informatieobjecttype: str
    verslag_informatieobjecttype: str
    statustype: str
    inwoner_roltype: str
    consulent_roltype: str


def resolve_types(client: ZgwClient, config: ZgwConfig, today: date) -> Types:
    """The URLs of the catalogue types the settings name; a URL is taken as given (the API
    judges it at the first create), a name must be found, published and valid today."""
    api, catalogus = config.catalogi_api, config.catalogus
    when = {"status": "definitief", "datumGeldigheid": today.isoformat()}

    def one(kind: str, name: str, found: list[Any]) -> str:
        if len(found) != 1:
            how = "no" if not found else f"{len(found)}"
            raise Unusable(
                f"The catalogus {catalogus} has {how} published {kind} '{name}' valid on "
                f"{today.isoformat()}; give its exact name or its URL in the settings."
            )
        return str(found[0]["url"])

    zaaktype = config.zaaktype
    if not _is_url(zaaktype):
        params = {"catalogus": catalogus, "identificatie": zaaktype, **when}
        zaaktype = one("zaaktype", zaaktype, client.list_all(f"{api}/zaaktypen", params))

    def informatieobjecttype(name: str) -> str:
        if not name or _is_url(name):
            return name
        found = client.list_all(
            f"{api}/informatieobjecttypen", {"catalogus": catalogus, "omschrijving": name, **when}
        )
        return one("informatieobjecttype", name, found)

    def of_zaaktype(kind: str, name: str) -> str:
        # A statustype or roltype belongs to one version of the zaaktype, found above.
        if not name or _is_url(name):
            return name
        items = client.list_all(f"{api}/{kind}n", {"zaaktype": zaaktype, "status": "definitief"})
        exact = [i for i in items if i.get("omschrijving") == name]
        generic = [i for i in items if i.get("omschrijvingGeneriek") == name]
        return one(kind, name, exact or generic)

    return Types(
        zaaktype=zaaktype,
        plan_informatieobjecttype=informatieobjecttype(config.plan_informatieobjecttype),
        verslag_informatieobjecttype=informatieobjecttype(config.verslag_informatieobjecttype),
        statustype=of_zaaktype("statustype", config.statustype),
        inwoner_roltype=of_zaaktype("roltype", config.inwoner_roltype),
        consulent_roltype=of_zaaktype("roltype", config.consulent_roltype),
    )


class StepRefused(Exception):
    """The case system refused one step of one plan for good."""

    def __init__(self, step: str, refusal: Refused) -> None:
        super().__init__(refusal.message)
        self.step = step
        self.refusal = refusal


class PlanDelivery:
    def __init__(
        self,
        client: ZgwClient,
        config: ZgwConfig,
        types: Types,
        ledger: Ledger,
        plan: SignedPlan,
        now: Callable[[], datetime],
    ) -> None:
        self.client, self.config, self.types = client, config, types
        self.ledger, self.plan, self.now = ledger, plan, now
        self.known: dict[str, Step] = {}

    def run(self) -> str:
        """Every step not yet done; returns the zaak's URL. Raises Transient, Unusable or
        StepRefused; whatever was done stays recorded for the next attempt."""
        self.known = self.ledger.steps(self.plan.change_id)
        zaak = self._zaak()
        if self.types.inwoner_roltype:
            self._step("rol-inwoner", self._inhabitant_body(zaak), "rollen", self._rol_lookup)
        if self.types.consulent_roltype:
            self._step("rol-consulent", self._consultant_body(zaak), "rollen", self._rol_lookup)
        self._document("plan", zaak, self._plan_body)
        if self.types.verslag_informatieobjecttype:
            self._document("verslag", zaak, self._verslag_body)
        status = {
            "zaak": zaak,
            "statustype": self.types.statustype,
            "datumStatusGezet": self.plan.received_at,
            "statustoelichting": f"Ondersteuningsplan ondertekend op {self._signed_on()}.",
        }
        self._step("status", status, "statussen", self._status_lookup)
        return zaak

    # -- the steps ------------------------------------------------------------------------
    def _zaak(self) -> str:
        zaken = self.config.zaken_api
        number = self._reserve("zaaknummer", f"{zaken}/zaaknummer_reserveren", "zaaknummer")
        snapshot = self.plan.snapshot.get("case", {})
        body = {
            "identificatie": number,
            "bronorganisatie": self.config.bronorganisatie,
            "verantwoordelijkeOrganisatie": self.config.verantwoordelijke_organisatie,
            "zaaktype": self.types.zaaktype,
            "startdatum": snapshot.get("melding_date") or self.plan.received_at[:10],
            "omschrijving": f"Keukentafelgesprek {self.plan.reference}"[:80],
            "toelichting": "Ondertekend ondersteuningsplan, ontvangen via Kitchentable.",
            "kenmerken": [{"kenmerk": self.plan.reference[:40], "bron": SOURCE}],
        }

        def lookup() -> str | None:
            params = {"identificatie": number, "bronorganisatie": self.config.bronorganisatie}
            return _first_url(self.client.list_all(f"{zaken}/zaken", params))

        return self._create("zaak", f"{zaken}/zaken", lambda: body, lookup)

    def _document(self, name: str, zaak: str, body: Callable[[str], dict[str, Any]]) -> None:
        documenten = self.config.documenten_api
        number = self._reserve(
            f"{name}-nummer", f"{documenten}/documentnummer_reserveren", "identificatie"
        )

        def lookup() -> str | None:
            params = {"identificatie": number, "bronorganisatie": self.config.bronorganisatie}
            found = self.client.list_all(f"{documenten}/enkelvoudiginformatieobjecten", params)
            return _first_url(found)

        content = partial(body, number)  # built only when it is sent
        document = self._create(
            name, f"{documenten}/enkelvoudiginformatieobjecten", content, lookup
        )
        title = f"{'Ondersteuningsplan' if name == 'plan' else 'Verslag'} {self.plan.reference}"
        relation = {"zaak": zaak, "informatieobject": document, "titel": title[:200]}

        def related() -> str | None:
            params = {"zaak": zaak, "informatieobject": document}
            return _first_url(
                self.client.list_all(f"{self.config.zaken_api}/zaakinformatieobjecten", params)
            )

        self._create(
            f"{name}-zio",
            f"{self.config.zaken_api}/zaakinformatieobjecten",
            lambda: relation,
            related,
        )

    def _step(
        self,
        name: str,
        body: dict[str, Any],
        collection: str,
        lookup: Callable[[str, dict[str, Any]], str | None],
    ) -> str:
        url = f"{self.config.zaken_api}/{collection}"
        return self._create(name, url, lambda: body, lambda: lookup(url, body))

    def _rol_lookup(self, url: str, body: dict[str, Any]) -> str | None:
        return _first_url(
            self.client.list_all(url, {"zaak": body["zaak"], "roltype": body["roltype"]})
        )

    def _status_lookup(self, url: str, body: dict[str, Any]) -> str | None:
        params = {"zaak": body["zaak"], "statustype": body["statustype"]}
        return _first_url(self.client.list_all(url, params))

    # -- the ledger rule --------------------------------------------------------------------
    def _reserve(self, name: str, url: str, field: str) -> str:
        """A reserved number; a lost answer just means reserving another one."""
        kept = self.known.get(name)
        if kept is not None and kept.value:
            return kept.value
        answer = self._send(name, url, {"bronorganisatie": self.config.bronorganisatie})
        number = answer.get(field) if isinstance(answer, dict) else None
        if not isinstance(number, str) or not number:
            raise Unusable(
                f"{url} answered without a '{field}': is this a ZGW API of 1.5 or later?"
            )
        self._keep(name, number)
        return number

    def _create(
        self,
        name: str,
        url: str,
        body: Callable[[], dict[str, Any]],
        lookup: Callable[[], str | None],
    ) -> str:
        kept = self.known.get(name)
        if kept is not None and kept.value:
            return kept.value
        if kept is not None and kept.sent and (found := lookup()):
            self._keep(name, found)
            return found
        try:
            answer = self._send(name, url, body())
        except StepRefused:
            # A second create of something an earlier, lost answer made (a reserved number
            # is taken, a relation exists): the first one is the one to keep.
            if (found := lookup()) is None:
                raise
            self._keep(name, found)
            return found
        created = answer.get("url") if isinstance(answer, dict) else None
        if not isinstance(created, str) or not created:
            raise Unusable(f"{url} answered a create without the new object's URL.")
        self._keep(name, created)
        return created

    def _send(self, name: str, url: str, body: dict[str, Any]) -> Any:
        self.ledger.sent(self.plan.change_id, name, self.now())
        self.known[name] = Step(True, None)
        try:
            return self.client.post(url, body)
        except Refused as exc:
            raise StepRefused(name, exc) from exc

    def _keep(self, name: str, value: str) -> None:
        self.ledger.done(self.plan.change_id, name, value, self.now())
        self.known[name] = Step(True, value)

    # -- what the requests carry --------------------------------------------------------------
    def _signed_on(self) -> str:
        dates = [str(s.get("date") or "") for s in self.plan.plan.get("signatures", [])]
        return max([d for d in dates if d] or [self.plan.received_at[:10]])[:10]

    def _author(self) -> str:
        for signature in self.plan.plan.get("signatures", []):
            if signature.get("role") == "consultant" and signature.get("name"):
                return str(signature["name"])[:200]
        return (self.plan.consultant or SOURCE)[:200]

    def _confidentiality(self) -> dict[str, str]:
        wanted = self.config.vertrouwelijkheidaanduiding
        return {"vertrouwelijkheidaanduiding": wanted} if wanted else {}

    def _plan_body(self, number: str) -> dict[str, Any]:
        pdf, signed = self.plan.pdf, self._signed_on()
        return {
            "identificatie": number,
            "bronorganisatie": self.config.bronorganisatie,
            "creatiedatum": signed,
            "titel": f"Ondersteuningsplan {self.plan.reference}"[:200],
            "auteur": self._author(),
            "status": "definitief",
            "formaat": "application/pdf",
            "taal": "dut",
            "bestandsnaam": f"ondersteuningsplan-{_safe(self.plan.reference)}.pdf",
            "inhoud": base64.b64encode(pdf).decode("ascii"),
            "bestandsomvang": len(pdf),
            "beschrijving": "Ondersteuningsplan, ondertekend door inwoner en consulent en "
            "verzegeld (PAdES).",
            "informatieobjecttype": self.types.plan_informatieobjecttype,
            "ondertekening": {"soort": self.config.ondertekening, "datum": signed},
            "integriteit": _integrity(pdf, self.plan.received_at),
            "indicatieGebruiksrecht": False,
            **self._confidentiality(),
        }

    def _verslag_body(self, number: str) -> dict[str, Any]:
        data = verslag(self.plan)
        return {
            "identificatie": number,
            "bronorganisatie": self.config.bronorganisatie,
            "creatiedatum": self._signed_on(),
            "titel": f"Verslag keukentafelgesprek {self.plan.reference}"[:200],
            "auteur": self._author(),
            "status": "definitief",
            "formaat": "application/json",
            "taal": "dut",
            "bestandsnaam": f"verslag-{_safe(self.plan.reference)}.json",
            "inhoud": base64.b64encode(data).decode("ascii"),
            "bestandsomvang": len(data),
            "beschrijving": f"Het gesprek en het plan als gegevens ({VERSLAG_FORMAT} 1).",
            "informatieobjecttype": self.types.verslag_informatieobjecttype,
            "integriteit": _integrity(data, self.plan.received_at),
            "indicatieGebruiksrecht": False,
            **self._confidentiality(),
        }

    def _inhabitant_body(self, zaak: str) -> dict[str, Any]:
        person = self.plan.snapshot.get("person", {})
        identification: dict[str, Any] = {}
        if person.get("bsn"):
            identification["inpBsn"] = str(person["bsn"])
        else:  # no BSN known: the name lets the back office find the person
            identification["geslachtsnaam"] = str(person.get("name", ""))[:200]
        if person.get("birth_date"):
            identification["geboortedatum"] = str(person["birth_date"])[:18]
        return {
            "zaak": zaak,
            "betrokkeneType": "natuurlijk_persoon",
            "roltype": self.types.inwoner_roltype,
            "roltoelichting": "Inwoner met wie het keukentafelgesprek is gevoerd.",
            "betrokkeneIdentificatie": identification,
        }

    def _consultant_body(self, zaak: str) -> dict[str, Any]:
        return {
            "zaak": zaak,
            "betrokkeneType": "medewerker",
            "roltype": self.types.consulent_roltype,
            "roltoelichting": "Consulent die het gesprek voerde en het plan ondertekende.",
            "betrokkeneIdentificatie": {
                "identificatie": (self.plan.consultant or self._author())[:128],
                "achternaam": self._author(),
            },
        }


def verslag(plan: SignedPlan) -> bytes:
    """The conversation and the plan as one JSON document: labelled answers, the plan's
    entries and results, the advice as codes (`toewijzing`), who signed when (the drawn
    strokes stay in the PDF). The same plan gives the same bytes."""
    snapshot = plan.snapshot
    signed = dict(plan.plan)
    signed["signatures"] = [
        {k: v for k, v in s.items() if k != "strokes"} for s in plan.plan.get("signatures", [])
    ]
    document = {
        "format": VERSLAG_FORMAT,
        "format_version": 1,
        "case": snapshot.get("case"),
        "person": snapshot.get("person"),
        "form": snapshot.get("form"),
        "conversation": snapshot.get("conversation"),
        "answers": snapshot.get("answers", []),
        "plan": signed,
        "toewijzing": advised(plan.plan),  # the advice as codes (office.toewijzing)
        "plan_pdf": {"sha256": hashlib.sha256(plan.pdf).hexdigest(), "size": len(plan.pdf)},
        "consultant": plan.consultant,
        "received_at": plan.received_at,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")


def _integrity(data: bytes, received_at: str) -> dict[str, str]:
    return {
        "algoritme": "sha_256",
        "waarde": hashlib.sha256(data).hexdigest(),
        "datum": received_at[:10],
    }


def _first_url(found: list[Any]) -> str | None:
    urls = [str(item["url"]) for item in found if isinstance(item, dict) and item.get("url")]
    return urls[0] if urls else None


def _is_url(value: str) -> bool:
    return value.startswith(("https://", "http://"))


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:100] or "plan"
