"""Helpers for the ZGW delivery tests: the Open Zaak the suite started, settings files, a TCP
proxy that loses requests and answers, and reading a delivery back through the APIs.

packaging/dev/run-tests starts Open Zaak (packaging/dev/openzaak.sh) and sets
KITCHENTABLE_TEST_OPENZAAK (its URL) and KITCHENTABLE_TEST_OPENZAAK_DIR; without them the
tests skip, unless KITCHENTABLE_REQUIRE_OPENZAAK=1 (root, CI) makes that a failure.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from kitchentable.config import Settings
from kitchentable.formengine.loader import FormRegistry
from kitchentable.office import keys, pki
from kitchentable.office.app import ServerIdentity, create_app
from kitchentable.office.store import CONFIG_NAME, Store
from kitchentable.office.zgw.client import ZgwClient
from kitchentable.services import Profile
from kitchentable.services import sync as sync_service
from tests.conftest import PASSPHRASE
from tests.core.helpers import case_document
from tests.core.test_plan import answer_all, sign_both
from tests.netkit import serve

ROOT = Path(__file__).resolve().parents[2]
URL_ENV = "KITCHENTABLE_TEST_OPENZAAK"
DIR_ENV = "KITCHENTABLE_TEST_OPENZAAK_DIR"
REQUIRE_ENV = "KITCHENTABLE_REQUIRE_OPENZAAK"
CATALOGUS_RSIN = "002220647"  # packaging/dev/openzaak_setup.py
SCRIPT = ROOT / "packaging" / "dev" / "openzaak.sh"
OFFICE_PASSPHRASE = "office horse battery staple"


@dataclass
class SignedOffice:
    """An office that received signed plans (conftest.signed_office makes one)."""

    data: Path
    store: Store
    public: keys.OfficePublicKeys
    private: keys.OfficePrivateKeys
    pdfs: dict[str, bytes]  # reference → the sealed PDF as the laptop made it


@dataclass
class OpenZaak:
    url: str
    dir: Path
    client_id: str
    secret: str
    catalogus: str = ""

    def client(self) -> ZgwClient:
        return ZgwClient(self.client_id, self.secret, timeout=30)

    def kill(self) -> None:
        """SIGKILL to the web server: requests in flight die, their transactions roll back."""
        subprocess.run(["bash", str(SCRIPT), "kill", str(self.dir)], check=True)

    def restart(self) -> None:
        subprocess.run(
            ["bash", str(SCRIPT), "web", str(self.dir)], check=True, stdout=subprocess.DEVNULL
        )

    def up(self) -> bool:
        try:
            answer = httpx.get(f"{self.url}/zaken/api/v1/zaken", timeout=5)
        except httpx.HTTPError:
            return False
        return answer.status_code == 403


def sign_each(laptop: Profile, references: list[str]) -> None:
    for reference in references:
        sign_both(laptop, reference)


def received_office(
    tmp: Path,
    forms: FormRegistry,
    stack: ExitStack,
    references: list[str],
    database: str | None = None,
    sign: Callable[[Profile, list[str]], None] = sign_each,
) -> SignedOffice:
    """An office (SQLite, or PostgreSQL at `database`) whose data folder the CLI can open,
    that received a signed plan for each reference from a real laptop over real sync."""
    data = tmp / "office"
    data.mkdir()
    if database:
        (data / CONFIG_NAME).write_text(json.dumps({"database": database}), encoding="utf-8")
    store = Store.open(data)
    stack.callback(store.close)
    public = keys.create(data, OFFICE_PASSPHRASE)
    private = keys.unlock(data, OFFICE_PASSPHRASE)
    ca = pki.create_ca(data, private.ca_password, "Gemeente Testdam")
    server, thread, base = serve(create_app(store, public, identity=ServerIdentity(ca=ca)))
    stack.callback(thread.join, 10)
    stack.callback(setattr, server, "should_exit", True)
    laptop = Profile.create(
        tmp / "laptop", PASSPHRASE, settings=Settings(consultant="anna"), forms=forms
    )
    stack.callback(laptop.close)
    sync_service.enrol(laptop, base, store.create_code("anna", datetime.now(UTC)), "laptop1")
    laptop.import_cases(
        {"cases": [case_document(r, form="test-plan")["cases"][0] for r in references]}
    )
    for reference in references:
        answer_all(laptop, reference)
    sign(laptop, references)
    pdfs = {}
    for reference in references:
        (document,) = laptop.repo.documents(laptop.case(reference).id)
        pdfs[reference] = laptop.repo.get_document(document["id"])
    report = sync_service.synchronise(laptop)
    assert report.accepted == 2 * len(references) and not report.problems, report
    return SignedOffice(data, store, public, private, pdfs)


def open_zaak() -> OpenZaak:
    url, folder = os.environ.get(URL_ENV, ""), os.environ.get(DIR_ENV, "")
    required = os.environ.get(REQUIRE_ENV, "") not in {"", "0"}
    if not url or not folder:
        why = f"no Open Zaak for the ZGW tests: set {URL_ENV} and {DIR_ENV} (packaging/dev/openzaak.sh start DIR)"
        if required:
            pytest.fail(f"{why}; {REQUIRE_ENV} is set", pytrace=False)
        pytest.skip(why)
    path = Path(folder)
    oz = OpenZaak(
        url.rstrip("/"),
        path,
        (path / "client_id").read_text().strip(),
        (path / "secret").read_text().strip(),
    )
    if not oz.up():
        oz.restart()  # a fault test that died half-way may have left it down
    client = oz.client()
    try:
        found = client.list_all(
            f"{oz.url}/catalogi/api/v1/catalogussen", {"rsin": CATALOGUS_RSIN, "domein": "WMO"}
        )
    finally:
        client.close()
    oz.catalogus = found[0]["url"]
    return oz


def rsins(start: int) -> Iterator[str]:
    """Valid RSINs (11-test), each test round delivering as an organisation of its own."""
    for base in itertools.count(start):
        digits = f"{base:08d}"
        check = sum(int(d) * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if check < 10:
            yield digits + str(check)


def settings(
    folder: Path, oz: OpenZaak, rsin: str, base_url: str | None = None, **overrides: Any
) -> Path:
    """A settings file as an administrator writes it, the secret in a file of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    secret = folder / "zgw-secret"
    secret.write_text(oz.secret + "\n", encoding="utf-8")
    secret.chmod(0o600)
    values: dict[str, Any] = {
        "base_url": base_url or oz.url,
        "client_id": oz.client_id,
        "secret_file": str(secret),
        "bronorganisatie": rsin,
        "catalogus": catalogus_via(oz.catalogus, base_url or oz.url),
        "zaaktype": "WMO-KTG",
        "plan_informatieobjecttype": "Ondersteuningsplan",
        "verslag_informatieobjecttype": "Verslag keukentafelgesprek",
        "statustype": "Gesprek gevoerd, plan ondertekend",
        "inwoner_roltype": "initiator",
        "consulent_roltype": "behandelaar",
        "ondertekening": "digitaal",
        "attempts": 6,
    }
    values.update(overrides)
    lines = [
        f"{key} = {value}" if isinstance(value, int) else f'{key} = "{value}"'
        for key, value in values.items()
        if value is not None
    ]
    path = folder / "zgw.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def catalogus_via(url: str, base: str) -> str:
    """Open Zaak names its objects by the address it was asked at: through a proxy, the
    catalogus is under the proxy's address."""
    return base.rstrip("/") + url[url.index("/catalogi/") :]


# -- reading back ---------------------------------------------------------------------------


@dataclass
class Delivered:
    zaak: dict[str, Any]
    statussen: list[dict[str, Any]]
    rollen: list[dict[str, Any]]
    documents: list[dict[str, Any]] = field(default_factory=list)  # each with "content"


def read_back(oz: OpenZaak, rsin: str) -> dict[str, list[Delivered]]:
    """Every zaak of one organisation, by its kenmerk (the case reference), with everything
    related to it, read through the APIs at Open Zaak's own address."""
    client = oz.client()
    zaken_api = f"{oz.url}/zaken/api/v1"
    found: dict[str, list[Delivered]] = {}
    try:
        for zaak in client.list_all(f"{zaken_api}/zaken", {"bronorganisatie": rsin}):
            zaak_url = zaak["url"]
            item = Delivered(
                zaak,
                client.list_all(f"{zaken_api}/statussen", {"zaak": zaak_url}),
                client.list_all(f"{zaken_api}/rollen", {"zaak": zaak_url}),
            )
            for relation in client.list_all(
                f"{zaken_api}/zaakinformatieobjecten", {"zaak": zaak_url}
            ):
                document = client.get(relation["informatieobject"])
                content = httpx.get(
                    document["inhoud"],
                    headers={"Authorization": f"Bearer {client.token()}"},
                    timeout=30,
                )
                content.raise_for_status()
                item.documents.append({**document, "content": content.content, "zio": relation})
            reference = zaak["kenmerken"][0]["kenmerk"] if zaak["kenmerken"] else ""
            found.setdefault(reference, []).append(item)
    finally:
        client.close()
    return found


# -- a proxy that loses things --------------------------------------------------------------


class FaultyProxy:
    """127.0.0.1:port → Open Zaak. Request number n (counted from 0 over all connections) can
    be lost: 'before' (never reaches Open Zaak), 'after' (Open Zaak acted, its answer is
    lost) or 'cut' (half the answer arrives, then the connection drops)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = upstream_port
        self.faults: dict[int, str] = {}
        self.hit: list[tuple[int, str, str]] = []  # (number, fault, request line)
        self.count = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def plan(self, seed: int, requests: int, faults: int) -> None:
        chance = random.Random(seed)
        numbers = chance.sample(range(requests), faults)
        self.faults = {n: chance.choice(["before", "after", "cut"]) for n in numbers}

    def close(self) -> None:
        self._closed = True
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        source = client.makefile("rb")
        reader = None
        try:
            while True:
                request = _message(source, response=False)
                if request is None:
                    return
                with self._lock:
                    number, self.count = self.count, self.count + 1
                fault = self.faults.get(number, "")
                if fault:
                    self.hit.append((number, fault, request.split(b"\r\n", 1)[0].decode()))
                if fault == "before":
                    return
                if upstream is None:
                    upstream = socket.create_connection(("127.0.0.1", self.upstream))
                    reader = upstream.makefile("rb")
                upstream.sendall(request)
                assert reader is not None
                answer = _message(reader, response=True)
                if answer is None or fault == "after":
                    return
                if fault == "cut":
                    client.sendall(answer[: len(answer) // 2])
                    return
                client.sendall(answer)
                if b"\r\nconnection: close" in answer.split(b"\r\n\r\n", 1)[0].lower():
                    upstream.close()
                    upstream, reader = None, None
        except OSError:
            return
        finally:
            client.close()
            if upstream is not None:
                upstream.close()


def _message(stream: Any, response: bool) -> bytes | None:
    """One HTTP/1.1 message from a buffered socket: head, then the body by Content-Length,
    chunks, or (an answer without either) until the connection closes."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = stream.readline()
        if not line:
            return None
        head += line
    headers = {
        k.strip().lower(): v.strip()
        for k, _, v in (h.partition(b":") for h in head.split(b"\r\n")[1:] if h)
    }
    if b"content-length" in headers:
        return head + stream.read(int(headers[b"content-length"]))
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = b""
        while True:
            size_line = stream.readline()
            body += size_line
            size = int(size_line.split(b";")[0], 16)
            body += stream.read(size + 2)
            if size == 0:
                return head + body
    status = head.split(b" ", 2)[1] if response else b""
    if not response or status in (b"204", b"304"):
        return head
    return head + stream.read()
