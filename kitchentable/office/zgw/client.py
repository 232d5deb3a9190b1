"""One HTTP request at a time to the ZGW APIs, with the JWT they expect, answers classified.

Owns the httpx client, the credentials (a fresh HS256 JWT per request, signed with the
client secret: `iss` and `client_id` the client id, `iat` now) and turning every answer into
a value or one of three failures: `Transient` (connection lost, timeout, 5xx, 429: may pass;
whether a create happened is unknown), `Refused` (a 4xx with a ZGW problem body: this
request will never succeed as it is; carries the API's own message) and `Unusable` (the
case system cannot be used at all: credentials refused, an address that is not a ZGW API).
Never retries (the caller decides, because only it can look up what a lost create made),
never logs a request body, never puts the secret or a token in a message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt

# The Zaken API wants the coordinate system named on every request (zaakgeometrie).
CRS_HEADERS = {"Accept-Crs": "EPSG:4326", "Content-Crs": "EPSG:4326"}
USER_AGENT = "Kitchentable-office (ZGW delivery)"
MAX_MESSAGE = 600


class Transient(Exception):
    """A fault that may pass; for a create, whether it happened is unknown."""


class Refused(Exception):
    """A 4xx with a ZGW problem body: the API's message, and its codes per field."""

    def __init__(self, status: int, message: str, codes: tuple[str, ...]) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.codes = codes


class Unusable(Exception):
    """The case system cannot be used with these settings (nothing is delivered this round)."""


class ZgwClient:
    def __init__(
        self,
        client_id: str,
        secret: str,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client_id = client_id
        self._secret = secret
        self._clock = clock
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
            trust_env=False,
            headers={"User-Agent": USER_AGENT, **CRS_HEADERS},
        )
        self.requests = 0  # sent, for the figures and the report

    def close(self) -> None:
        self._http.close()

    def token(self) -> str:
        now = int(self._clock())
        claims = {
            "iss": self._client_id,
            "client_id": self._client_id,
            "iat": now,
            "user_id": "kitchentable-office",
            "user_representation": "Kitchentable office",
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def get(self, url: str, params: dict[str, str] | None = None) -> Any:
        return self._send("GET", url, params=params)

    def post(self, url: str, body: dict[str, Any]) -> Any:
        return self._send("POST", url, content=json.dumps(body).encode("utf-8"))

    def put_part(self, url: str, lock: str, data: bytes) -> Any:
        """One bestandsdeel (Documenten API, large files): multipart with the lock."""
        return self._send("PUT", url, data={"lock": lock}, files={"inhoud": ("deel", data)})

    def list_all(self, url: str, params: dict[str, str]) -> list[Any]:
        """Every result of a paginated list (follows `next`)."""
        page = self.get(url, params)
        if isinstance(page, list):
            return page
        results = list(_results(page, url))
        while page.get("next"):
            page = self.get(str(page["next"]))
            results += _results(page, url)
        return results

    def _send(self, method: str, url: str, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token()}", "Accept": "application/json"}
        if "content" in kw:
            headers["Content-Type"] = "application/json"
        self.requests += 1
        try:
            answer = self._http.request(method, url, headers=headers, **kw)
        except httpx.TimeoutException as exc:
            raise Transient(f"{method} {url}: no answer in time ({type(exc).__name__}).") from exc
        except httpx.TransportError as exc:
            raise Transient(
                f"{method} {url}: the connection failed ({type(exc).__name__})."
            ) from exc
        return _answer(method, url, answer)


def _results(page: Any, url: str) -> list[Any]:
    if not isinstance(page, dict) or not isinstance(page.get("results"), list):
        raise Unusable(f"{url} does not answer like a ZGW API (no list of results).")
    return list(page["results"])


def _answer(method: str, url: str, answer: httpx.Response) -> Any:
    status = answer.status_code
    body = _json(answer)
    where = f"{method} {url}"
    if status == 429 or status >= 500:
        raise Transient(f"{where}: the case system answered {status}; trying again later.")
    if status in (401, 403):
        raise Unusable(
            f"{where}: the case system refused the credentials ({status}): "
            f"{_problem_text(body) or 'no reason given'}. Check client_id and the secret, and "
            "the application's autorisaties in the case system."
        )
    if 400 <= status < 500:
        if _is_problem(body):
            return _refuse(status, body)
        raise Unusable(
            f"{where}: answered {status} without a ZGW error; is the address in the settings "
            "a ZGW API?"
        )
    if 300 <= status < 400:
        raise Unusable(
            f"{where}: answered {status}, a redirect to {answer.headers.get('location', '?')}; "
            "give that address in the settings."
        )
    if status == 204:
        return {}
    if body is None:
        # A 2xx that is not JSON (a proxy's page): the outcome of a create is unknown.
        raise Transient(f"{where}: the answer was not JSON ({status}).")
    return body


def _json(answer: httpx.Response) -> Any:
    try:
        return answer.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _is_problem(body: Any) -> bool:
    return isinstance(body, dict) and ("title" in body or "invalidParams" in body)


def _problem_text(body: Any) -> str:
    if not _is_problem(body):
        return ""
    parts = [str(body.get("detail") or body.get("title") or "").strip()]
    for param in body.get("invalidParams") or []:
        if isinstance(param, dict):
            parts.append(f"{param.get('name', '?')}: {param.get('reason', param.get('code', ''))}")
    return "; ".join(p for p in parts if p)[:MAX_MESSAGE]


def _refuse(status: int, body: dict[str, Any]) -> Any:
    codes = [str(body.get("code", ""))]
    codes += [
        str(p.get("code", "")) for p in body.get("invalidParams") or [] if isinstance(p, dict)
    ]
    raise Refused(status, _problem_text(body), tuple(c for c in codes if c))
