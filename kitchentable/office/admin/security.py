"""The admin page's gatekeeping: who may see a page, which posts are accepted, which headers
every answer carries.

Owns the cookie names, the session gate (no session: a GET goes to the login page, anything
else is refused), the same-origin check on every non-GET request, and the security headers.
Knows nothing of what a page shows. The synchronizer CSRF token is checked where the form is
read (`views.AdminPages.posted`), because only there is the body parsed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kitchentable.office.admin.sessions import find_session
from kitchentable.office.errors import OfficeError
from kitchentable.office.store import Store

SESSION_COOKIE = "kt_admin_session"
LOGIN_COOKIE = "kt_admin_login"  # the pre-session CSRF token (double submit) for the login form
MAX_FORM_BYTES = 16 * 1024
# Pages any visitor may open: the login form and the style sheet it uses.
PUBLIC_PATHS = frozenset({"/login", "/static/admin.css"})

SECURITY_HEADERS = [
    # No script at all; styles only from our own file; forms post only to us; no framing.
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        b"frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]

# Over HTTPS only (browsers ignore it over plain HTTP): for two years, this host only (the
# admin page's host may share a domain with sites the office does not run).
HSTS = [(b"strict-transport-security", b"max-age=63072000")]

ASGIAppFactory = Callable[[int, str], ASGIApp]


class Refusal(OfficeError):
    """A request the admin page turns away, with a sentence for the person at the screen."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__("refused", message, status)


def route_path(scope: Scope) -> str:
    """The path inside the admin app (the mount's `/admin` prefix removed)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        return path[len(root) :] or "/"
    return path


def cookie_path(scope: Scope) -> str:
    root: str = scope.get("root_path", "")
    return root or "/"


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}".lower()


def cross_site(request: Request) -> bool:
    """True when the browser says the request came from another site or origin.

    Behind a reverse proxy the proxy must pass the original Host (nginx: `proxy_set_header
    Host $host`) and scheme (uvicorn --proxy-headers), or every post looks foreign.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in {"same-origin", "none"}:
        return True
    origin = request.headers.get("origin")
    if origin == "null":
        # Our own `Referrer-Policy: no-referrer` makes browsers send `Origin: null` on form
        # posts; then only the browser's Sec-Fetch-Site can vouch (a sandboxed frame, the
        # other source of `null`, is marked cross-site).
        return fetch_site != "same-origin"
    return origin is not None and origin.lower() != own_origin(request)


async def read_form(request: Request) -> dict[str, str]:
    """A small url-encoded form; the first value of each field. Larger bodies are refused."""
    if request.headers.get("content-type", "").split(";")[0].strip() != (
        "application/x-www-form-urlencoded"
    ):
        raise Refusal(415, "Dit verzoek is geen formulier van deze pagina.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise Refusal(413, "Dit formulier is te groot.")
    form: dict[str, str] = {}
    for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        form.setdefault(key, value)
    return form


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every answer of the admin app, errors included, and HSTS to
    every answer over HTTPS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        headers = SECURITY_HEADERS + (HSTS if scope.get("scheme") == "https" else [])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in headers}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = kept + headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SessionGate:
    """Lets a request through only with a live session (public paths excepted) and only
    from our own origin (any method but GET/HEAD). The session goes to `request.state`."""

    def __init__(
        self, app: ASGIApp, store: Store, clock: Callable[[], datetime], refuse: ASGIAppFactory
    ) -> None:
        self.app = app
        self.store = store
        self.clock = clock
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        safe = request.method in {"GET", "HEAD"}
        if not safe and cross_site(request):
            await self.refuse(
                403, "Dit formulier kwam niet van deze pagina en is daarom geweigerd."
            )(scope, receive, send)
            return
        token = request.cookies.get(SESSION_COOKIE)
        session = await run_in_threadpool(find_session, self.store, token, self.clock())
        scope.setdefault("state", {})["admin_session"] = session
        if session is None and route_path(scope) not in PUBLIC_PATHS:
            if safe:
                root: str = scope.get("root_path", "")
                await RedirectResponse(f"{root}/login", status_code=303)(scope, receive, send)
            else:
                await self.refuse(403, "Log eerst in op de beheerpagina.")(scope, receive, send)
            return
        await self.app(scope, receive, send)
