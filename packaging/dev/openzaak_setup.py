"""Configure a throwaway Open Zaak for Kitchentable's ZGW delivery tests.

Run by packaging/dev/openzaak.sh inside Open Zaak's own Django (`manage.py shell`), never
imported by Kitchentable. Idempotent: running it twice changes nothing. Creates what a
municipality's information manager sets up before a case system accepts deliveries:

- API credentials: a JWT secret (client id + secret from OZ_CLIENT_ID / OZ_SECRET) and an
  Applicatie with autorisaties for Zaken and Documenten on the catalogus (read, create,
  update, add statuses, lock) and for reading the Catalogi;
- a published catalogus "Sociaal domein" (domein WMO) with the zaaktype "Wmo melding /
  keukentafelgesprek" (identificatie WMO-KTG), its statustypen, roltypen (inwoner as
  initiator, consulent as behandelaar) and two informatieobjecttypen, "Ondersteuningsplan"
  (the sealed PDF) and "Verslag keukentafelgesprek" (the conversation as JSON).
"""

from __future__ import annotations

import datetime
import json
import os

from django.db import transaction
from openzaak.components.autorisaties.models import CatalogusAutorisatie
from openzaak.components.catalogi.models import (
    Catalogus,
    InformatieObjectType,
    RolType,
    StatusType,
    ZaakType,
    ZaakTypeInformatieObjectType,
)
from vng_api_common.authorizations.models import Applicatie, Autorisatie
from vng_api_common.models import JWTSecret

RSIN = "002220647"  # passes the 11-test; the municipality of the tests
CLIENT_ID = os.environ["OZ_CLIENT_ID"]
SECRET = os.environ["OZ_SECRET"]
SINCE = datetime.date(2024, 1, 1)

ZAKEN_SCOPES = [
    "zaken.lezen",
    "zaken.aanmaken",
    "zaken.bijwerken",
    "zaken.statussen.toevoegen",
]
DOCUMENTEN_SCOPES = [
    "documenten.lezen",
    "documenten.aanmaken",
    "documenten.bijwerken",
    "documenten.lock",
]
STATUSES = [
    (1, "Melding ontvangen"),
    (2, "Gesprek gevoerd, plan ondertekend"),
    (3, "Afgehandeld"),
]
ROLES = [("Inwoner", "initiator"), ("Consulent", "behandelaar")]
DOCUMENT_TYPES = [
    ("Ondersteuningsplan", "Plan", "inkomend"),
    ("Verslag keukentafelgesprek", "Verslag", "intern"),
]


@transaction.atomic
def configure() -> dict[str, str]:
    JWTSecret.objects.update_or_create(identifier=CLIENT_ID, defaults={"secret": SECRET})
    app, _ = Applicatie.objects.get_or_create(
        label="Kitchentable",
        defaults={"client_ids": [CLIENT_ID], "heeft_alle_autorisaties": False},
    )
    if CLIENT_ID not in app.client_ids:
        app.client_ids = [*app.client_ids, CLIENT_ID]
        app.save()

    catalogus, _ = Catalogus.objects.get_or_create(
        domein="WMO",
        rsin=RSIN,
        defaults={
            "naam": "Sociaal domein",
            "contactpersoon_beheer_naam": "Informatiebeheer",
        },
    )
    zaaktype, _ = ZaakType.objects.get_or_create(
        catalogus=catalogus,
        identificatie="WMO-KTG",
        defaults={
            "zaaktype_omschrijving": "Wmo melding / keukentafelgesprek",
            "vertrouwelijkheidaanduiding": "vertrouwelijk",
            "doel": "Onderzoek naar de ondersteuningsbehoefte na een Wmo-melding.",
            "aanleiding": "Een inwoner meldt een hulpvraag (Wmo 2015 art. 2.3.2).",
            "indicatie_intern_of_extern": "extern",
            "handeling_initiator": "melden",
            "onderwerp": "Wmo melding",
            "handeling_behandelaar": "onderzoeken",
            "doorlooptijd_behandeling": datetime.timedelta(weeks=6),
            "opschorting_en_aanhouding_mogelijk": True,
            "verlenging_mogelijk": False,
            "publicatie_indicatie": False,
            "versiedatum": SINCE,
            "verantwoordelijke": "Team Wmo",
            "referentieproces_naam": "Wmo melding",
            "datum_begin_geldigheid": SINCE,
            "concept": False,
        },
    )
    for number, name in STATUSES:
        StatusType.objects.get_or_create(
            zaaktype=zaaktype,
            statustypevolgnummer=number,
            defaults={"statustype_omschrijving": name},
        )
    for name, generic in ROLES:
        RolType.objects.get_or_create(
            zaaktype=zaaktype,
            omschrijving=name,
            defaults={"omschrijving_generiek": generic},
        )
    for number, (name, category, direction) in enumerate(DOCUMENT_TYPES, start=1):
        iotype, _ = InformatieObjectType.objects.get_or_create(
            catalogus=catalogus,
            omschrijving=name,
            defaults={
                "informatieobjectcategorie": category,
                "vertrouwelijkheidaanduiding": "vertrouwelijk",
                "datum_begin_geldigheid": SINCE,
                "concept": False,
            },
        )
        ZaakTypeInformatieObjectType.objects.get_or_create(
            zaaktype=zaaktype,
            informatieobjecttype=iotype,
            defaults={"volgnummer": number, "richting": direction},
        )

    for component, scopes in (("zrc", ZAKEN_SCOPES), ("drc", DOCUMENTEN_SCOPES)):
        CatalogusAutorisatie.objects.update_or_create(
            applicatie=app,
            catalogus=catalogus,
            component=component,
            defaults={"scopes": scopes, "max_vertrouwelijkheidaanduiding": "geheim"},
        )
    Autorisatie.objects.get_or_create(
        applicatie=app, component="ztc", defaults={"scopes": ["catalogi.lezen"]}
    )
    return {
        "client_id": CLIENT_ID,
        "rsin": RSIN,
        "catalogus": str(catalogus.uuid),
        "zaaktype": zaaktype.identificatie,
    }


print(json.dumps(configure()))  # the shell's output lands in setup.log
