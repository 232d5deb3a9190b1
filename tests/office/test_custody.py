"""Key custody, as an attacker with code execution in the serving process would test it:
`serve` holds no key that opens a payload or signs for the office, and no office passphrase;
it certifies laptops with an online CA that chains to an offline root."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from officekit import OFFICE_PASSPHRASE
from serverproc import move_serve_secret, serve, service_environment

from kitchentable.office import keys, pki
from kitchentable.office.cli import main
from kitchentable.sync.protocol import Change, DeviceKeys, EnrolRequest, EnrolResponse

pytestmark = pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")


def _init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[Path, Path]:
    data = tmp_path / "office"
    monkeypatch.setenv("KITCHENTABLE_OFFICE_PASSPHRASE", OFFICE_PASSPHRASE)
    assert main(["init", "--data", str(data), "--host", "127.0.0.1"]) == 0
    out = capsys.readouterr().out
    assert "Move the serve secret out of the data folder" in out
    credentials = tmp_path / "credentials"
    move_serve_secret(data, credentials)
    return data, credentials


def _code(data: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["enrol", "anna", "--data", str(data)]) == 0
    found = re.search(r"^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$", capsys.readouterr().out, re.M)
    assert found is not None
    return found.group(0)


def _readable_memory(pid: int) -> Iterator[bytes]:
    """Every readable mapping of a process, as /proc/<pid>/mem gives it."""
    with open(f"/proc/{pid}/maps", encoding="ascii") as maps, open(f"/proc/{pid}/mem", "rb") as mem:
        for line in maps:
            fields = line.split()
            if not fields[1].startswith("r") or (len(fields) > 5 and fields[5] == "[vvar]"):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            try:
                mem.seek(start)
                yield mem.read(end - start)
            except (OSError, OverflowError, ValueError):
                continue


def _forms(secret: bytes) -> list[bytes]:
    """A key as it may sit in memory: as given, and byte-reversed (OpenSSL's BIGNUMs keep
    their words least significant first on little-endian machines)."""
    return [secret, secret[::-1]]


def _scalar(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_numbers().private_value.to_bytes(32, "big")


def test_serve_holds_no_office_private_key_no_root_key_and_no_passphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data, credentials = _init(tmp_path, monkeypatch, capsys)
    code = _code(data, capsys)
    private = keys.unlock(data, OFFICE_PASSPHRASE)
    root = pki.load_ca(data, private.ca_password)
    secret = (credentials / "serve-secret").read_bytes().strip()
    online = pki.load_online_ca(data, secret)
    fingerprint = pki.tls_fingerprint((data / pki.TLS_CERT).read_bytes())
    env = service_environment(credentials)
    with serve(data, env) as server:
        base = f"https://127.0.0.1:{server.port}/api/v1"
        seal_key = ec.generate_private_key(ec.SECP256R1())
        seal_public = seal_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        device = DeviceKeys.generate()
        request = EnrolRequest.create(
            code, "laptop", device, seal_public=seal_public.decode(), tls_fingerprint=fingerprint
        )
        # The test pins nothing itself: the enrolment proof carries the fingerprint it saw.
        with httpx.Client(verify=False, trust_env=False, timeout=10) as http:
            answer = http.post(f"{base}/enrol", json=request.to_wire())
            assert answer.status_code == 200, answer.text
            enrolment = EnrolResponse.from_wire(answer.json())
            change = Change.create(
                id=str(uuid.uuid4()),
                device_id=enrolment.device_id,
                seq=1,
                entity="case",
                entity_id=str(uuid.uuid4()),
                case_ref=None,
                base_version=0,
                last_seen_server_version=0,
                plaintext=b'{"secret": "Markeerstraat 1"}',
                office_box_public=enrolment.office_box_public,
                sign_private=device.sign_private,
            )
            body = {"v": 1, "device_id": enrolment.device_id, "changes": [change.to_wire()]}
            headers = {"Authorization": f"Bearer {enrolment.token}"}
            pushed = http.post(f"{base}/push", json=body, headers=headers)
            assert pushed.json()["results"][0]["status"] == "accepted"
            # The serving process time-stamps with the online CA's sibling.
            query = tsp.TimeStampReq(
                {
                    "version": "v1",
                    "message_imprint": {
                        "hash_algorithm": {"algorithm": "sha256"},
                        "hashed_message": bytes(32),
                    },
                }
            ).dump()
            stamped = http.post(f"{base}/timestamp", content=query, headers=headers)
            assert stamped.status_code == 200
            assert tsp.TimeStampResp.load(stamped.content)["status"]["status"].native == "granted"

        # The laptop got the chain up to the root it will trust: device ← online ← root.
        assert enrolment.certificate is not None
        issued, issuer, anchor = x509.load_pem_x509_certificates(enrolment.certificate.encode())
        issued.verify_directly_issued_by(online.certificate)
        assert issuer == online.certificate and anchor == root.certificate
        online.certificate.verify_directly_issued_by(root.certificate)
        # The server's TLS certificate comes from the online CA too, chained to the root.
        leaf, *above = x509.load_pem_x509_certificates((data / pki.TLS_CERT).read_bytes())
        leaf.verify_directly_issued_by(online.certificate)
        assert above == [online.certificate, root.certificate]

        # The attack: read everything the serving process can read of itself.
        environ = Path(f"/proc/{server.pid}/environ").read_bytes()
        memory = b"".join(_readable_memory(server.pid))
    assert len(memory) > 10_000_000  # the scan saw the process, not an empty shell
    assert b"KITCHENTABLE_OFFICE_PASSPHRASE" not in environ
    assert OFFICE_PASSPHRASE.encode() not in environ
    assert sorted(p.name for p in credentials.iterdir()) == ["serve-secret"]
    forbidden = {
        "office X25519 private key": _forms(private.box_private),
        "office Ed25519 private key": _forms(private.sign_private),
        "root CA private key": _forms(_scalar(root.key)),
        "root CA key password": _forms(private.ca_password),
        "office passphrase": [
            OFFICE_PASSPHRASE.encode("utf-8"),
            OFFICE_PASSPHRASE.encode("utf-16-le"),
        ],
    }
    found = [what for what, forms in forbidden.items() if any(f in memory for f in forms)]
    assert found == []
    # The scan finds a key that IS there: the online CA's, which the server must hold.
    assert any(f in memory for f in _forms(_scalar(online.key)))


@pytest.mark.parametrize("where", ["environment", "file", "credential"])
def test_serve_refuses_to_start_when_given_the_office_passphrase(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    where: str,
) -> None:
    data, credentials = _init(tmp_path, monkeypatch, capsys)
    monkeypatch.delenv("KITCHENTABLE_OFFICE_PASSPHRASE")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    if where == "environment":
        monkeypatch.setenv("KITCHENTABLE_OFFICE_PASSPHRASE", OFFICE_PASSPHRASE)
    elif where == "file":
        (tmp_path / "p").write_text(OFFICE_PASSPHRASE, encoding="utf-8")
        monkeypatch.setenv("KITCHENTABLE_OFFICE_PASSPHRASE_FILE", str(tmp_path / "p"))
    else:
        (credentials / "office-passphrase").write_text(OFFICE_PASSPHRASE, encoding="utf-8")
    code = main(["serve", "--data", str(data), "--host", "127.0.0.1", "--port", "1"])
    err = capsys.readouterr().err
    assert code == 1 and "must not be given the office passphrase" in err


def test_serve_without_its_secret_or_with_a_wrong_one_does_not_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = _init(tmp_path, monkeypatch, capsys)
    monkeypatch.delenv("KITCHENTABLE_OFFICE_PASSPHRASE")
    args = ["serve", "--data", str(data), "--host", "127.0.0.1", "--port", "1"]
    assert main(args) == 1
    assert "credential 'serve-secret'" in capsys.readouterr().err
    (tmp_path / "wrong").write_text("x" * 43, encoding="utf-8")
    assert main([*args, "--serve-secret", str(tmp_path / "wrong")]) == 1
    assert "does not open the online CA key" in capsys.readouterr().err


def test_ca_issue_renews_the_online_ca_from_the_root_kept_off_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data, credentials = _init(tmp_path, monkeypatch, capsys)
    secret = (credentials / "serve-secret").read_bytes().strip()
    old = pki.load_online_ca(data, secret)
    before = old.certificate
    tsa_before = pki.load_tsa(data, secret).certificate
    seal = ec.generate_private_key(ec.SECP256R1()).public_key()
    earlier = x509.load_pem_x509_certificate(
        pki.issue_device_certificate(
            old.key,
            old.certificate,
            "dev-1",
            "Anna",
            seal.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
        )
    )
    offline = tmp_path / "usb" / pki.CA_KEY
    offline.parent.mkdir()
    (data / pki.CA_KEY).replace(offline)  # the root key leaves the server after init
    issue = [
        "ca",
        "issue",
        "--data",
        str(data),
        "--serve-secret",
        str(credentials / "serve-secret"),
    ]
    assert main(issue) == 1
    assert "ca-key.pem" in capsys.readouterr().err
    assert main([*issue, "--root-key", str(offline)]) == 0
    after = pki.load_online_ca(data, secret).certificate
    assert after != before and after.public_key() != before.public_key()
    assert pki.load_tsa(data, secret).certificate != tsa_before
    after.verify_directly_issued_by(
        pki.load_ca(data, keys.unlock(data, OFFICE_PASSPHRASE).ca_password, offline).certificate
    )
    # What the old online CA certified stays valid: the root still vouches for its issuer.
    earlier.verify_directly_issued_by(before)
    before.verify_directly_issued_by(after_root(data))
    monkeypatch.setenv("KITCHENTABLE_OFFICE_PASSPHRASE", "a wrong office passphrase")
    assert main([*issue, "--root-key", str(offline)]) == 1
    assert "passphrase is not correct" in capsys.readouterr().err


def after_root(data: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate((data / pki.CA_CERT).read_bytes())


def test_an_office_without_an_online_ca_serves_but_certifies_no_seal_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An office made before the online CA existed (or whose online CA was removed)."""
    data, credentials = _init(tmp_path, monkeypatch, capsys)
    code = _code(data, capsys)
    for name in (pki.ONLINE_CERT, pki.ONLINE_KEY):
        (data / name).unlink()
    seal_public = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with serve(data, service_environment(credentials), "--insecure-http") as server:
        request = EnrolRequest.create(
            code, "laptop", DeviceKeys.generate(), seal_public=seal_public
        )
        with httpx.Client(trust_env=False, timeout=10) as http:
            answer = http.post(
                f"http://127.0.0.1:{server.port}/api/v1/enrol", json=request.to_wire()
            )
    assert answer.status_code == 200, answer.text
    assert EnrolResponse.from_wire(answer.json()).certificate is None
    assert "this office has no online CA" in server.output()
