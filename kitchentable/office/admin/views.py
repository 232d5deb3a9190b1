"""The admin page's handlers: login and logout, the overview and the five lists, revoking a
device and making an enrolment code.

Owns what each page shows and what each form does. Every page is rendered from metadata
(`store.overview`); a sealed payload is never read, let alone opened. Every form post carries the
session's CSRF token, compared here in constant time; the session gate and the same-origin
check ran before (`security`). Never logs a password, token or enrolment code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from kitchentable.office.admin.accounts import MAX_PASSWORD, normalise_username, verify_login
from kitchentable.office.admin.security import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Refusal,
    cookie_path,
    is_https,
    read_form,
)
from kitchentable.office.admin.sessions import (
    SESSION_LIFETIME,
    LoginThrottle,
    Session,
    end_session,
    new_csrf_token,
    same_token,
    start_session,
)
from kitchentable.office.store import Store
from kitchentable.office.store import overview as admin_rows

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
MAX_CONSULTANT = 100
try:
    # Office staff read Dutch local time; the database keeps UTC.
    LOCAL: Any = ZoneInfo("Europe/Amsterdam")
except ZoneInfoNotFoundError:  # no tz database (a bare Windows install): show UTC
    LOCAL = UTC

ACTIONS = {"push": "Verzonden", "pull": "Opgehaald", "enrol": "Gekoppeld", "upload": "Bestand"}
COUNT_NAMES = {
    "accepted": "geaccepteerd",
    "duplicate": "dubbel",
    "conflict": "conflict",
    "rejected": "geweigerd",
    "entries": "items",
}
CASE_STATES = {
    "assigned": "Toegewezen",
    "received": "Ontvangen",
    "conflict": "Conflict",
    "withdrawn": "Ingetrokken",
}
CODE_STATES = {"unused": "Ongebruikt", "used": "Gebruikt", "expired": "Verlopen"}


def when(value: str | None) -> str:
    """An ISO time from the database as Dutch local time, `02-03-2026 10:00`."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL).strftime("%d-%m-%Y %H:%M")


def templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["when"] = when
    env.globals.update(
        actions=ACTIONS, count_names=COUNT_NAMES, case_states=CASE_STATES, code_states=CODE_STATES
    )
    return env


class AdminPages:
    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        self.env = templates()
        self.throttle = LoginThrottle()
        self.css = (HERE / "static" / "admin.css").read_bytes()

    # -- rendering -------------------------------------------------------------------------
    def render(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        session: Session | None = getattr(request.state, "admin_session", None)
        html = self.env.get_template(template).render(
            base=request.scope.get("root_path", ""),
            session=session,
            csrf=session.csrf_token if session else "",
            page=template.removesuffix(".html"),
            **context,
        )
        return HTMLResponse(html, status)

    def refusal(self, base: str, status: int, message: str) -> HTMLResponse:
        """A plain page saying why a request was refused."""
        html = self.env.get_template("refused.html").render(
            base=base, status=status, message=message
        )
        return HTMLResponse(html, status)

    def refusal_app(self, status: int, message: str) -> ASGIApp:
        """The refusal page as an ASGI app, for the session gate (which has no request)."""

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            page = self.refusal(scope.get("root_path", ""), status, message)
            await page(scope, receive, send)

        return app

    async def refused(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refusal)
        return self.refusal(request.scope.get("root_path", ""), exc.status, exc.message)

    async def http_error(self, request: Request, exc: Exception) -> Response:
        status = int(getattr(exc, "status_code", 500))
        message = {404: "Deze pagina bestaat niet.", 405: "Dat kan op deze pagina niet."}
        text = message.get(status, "Dit verzoek kan niet worden verwerkt.")
        return self.refusal(request.scope.get("root_path", ""), status, text)

    def session(self, request: Request) -> Session:
        session: Session | None = request.state.admin_session
        if session is None:  # the gate lets no one without a session this far
            raise Refusal(403, "Log eerst in op de beheerpagina.")
        return session

    async def posted(self, request: Request) -> dict[str, str]:
        """The form of a post within a session, after checking its CSRF token."""
        session = self.session(request)
        form = await read_form(request)
        if not same_token(form.get("csrf"), session.csrf_token):
            raise Refusal(
                403,
                "Dit formulier is verlopen of kwam niet van deze pagina. "
                "Ga terug, vernieuw de pagina en probeer het opnieuw.",
            )
        return form

    def redirect(self, request: Request, path: str) -> RedirectResponse:
        return RedirectResponse(f"{request.scope.get('root_path', '')}{path}", status_code=303)

    async def stylesheet(self, request: Request) -> Response:
        return Response(self.css, media_type="text/css")

    # -- login and logout ------------------------------------------------------------------
    async def login_form(self, request: Request) -> Response:
        if request.state.admin_session is not None:
            return self.redirect(request, "/")
        return self._login_page(request)

    def _login_page(
        self, request: Request, status: int = 200, message: str = "", username: str = ""
    ) -> Response:
        token = request.cookies.get(LOGIN_COOKIE, "")
        if not 32 <= len(token) <= 64:
            token = new_csrf_token()
        response = self.render(
            request, "login.html", status, login_csrf=token, message=message, username=username
        )
        response.set_cookie(
            LOGIN_COOKIE,
            token,
            path=cookie_path(request.scope),
            secure=is_https(request),
            httponly=True,
            samesite="strict",
        )
        return response

    async def login(self, request: Request) -> Response:
        form = await read_form(request)
        if not same_token(form.get("csrf"), request.cookies.get(LOGIN_COOKIE)):
            raise Refusal(
                403,
                "Het inlogformulier is verlopen of kwam niet van deze pagina. "
                "Open de inlogpagina opnieuw.",
            )
        username = normalise_username(form.get("username", ""))[:64]
        password = form.get("password", "")[: MAX_PASSWORD + 1]
        now = self.clock()
        client = request.client.host if request.client else "unknown"
        if not self.throttle.begin(username, now, client):
            return self._login_page(
                request,
                429,
                "Te veel mislukte pogingen vanaf deze computer. Probeer het over 15 minuten opnieuw.",
                username,
            )
        success = False
        try:
            success = await run_in_threadpool(verify_login, self.store, username, password)
        finally:
            self.throttle.end(username, now, success=success, client=client)
        if not success:
            log.info("admin login failed")
            return self._login_page(
                request, 401, "Gebruikersnaam of wachtwoord klopt niet.", username
            )
        # A fresh token at every login: a session id planted before login is worthless.
        await run_in_threadpool(end_session, self.store, request.cookies.get(SESSION_COOKIE))
        token, _session = await run_in_threadpool(start_session, self.store, username, now)
        log.info("admin %s signed in", username)
        response = self.redirect(request, "/")
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            path=cookie_path(request.scope),
            secure=is_https(request),
            httponly=True,
            samesite="strict",
        )
        response.delete_cookie(LOGIN_COOKIE, path=cookie_path(request.scope))
        return response

    async def logout(self, request: Request) -> Response:
        await self.posted(request)
        await run_in_threadpool(end_session, self.store, request.cookies.get(SESSION_COOKIE))
        response = self.redirect(request, "/login")
        response.delete_cookie(
            SESSION_COOKIE,
            path=cookie_path(request.scope),
            secure=is_https(request),
            httponly=True,
            samesite="strict",
        )
        return response

    # -- pages -----------------------------------------------------------------------------
    async def overview(self, request: Request) -> Response:
        summary = await run_in_threadpool(admin_rows.overview, self.store.backend, self.clock())
        return self.render(request, "overview.html", summary=summary)

    async def devices(self, request: Request) -> Response:
        rows = await run_in_threadpool(admin_rows.devices, self.store.backend)
        revoked = request.query_params.get("ingetrokken", "")
        done = next((row for row in rows if row.id == revoked and row.revoked), None)
        return self.render(request, "devices.html", devices=rows, just_revoked=done)

    async def confirm_revoke(self, request: Request) -> Response:
        device = await self._device(request)
        return self.render(request, "revoke.html", device=device)

    async def revoke(self, request: Request) -> Response:
        await self.posted(request)
        device = await self._device(request)
        await run_in_threadpool(self.store.revoke, device.id, self.clock())
        log.info("admin %s revoked device %s", self.session(request).username, device.id)
        return self.redirect(request, f"/devices?ingetrokken={device.id}")

    async def _device(self, request: Request) -> admin_rows.DeviceRow:
        device_id = str(request.path_params["device_id"])
        device = await run_in_threadpool(admin_rows.device, self.store.backend, device_id[:64])
        if device is None:
            raise Refusal(404, "Dit apparaat bestaat niet.")
        return device

    async def consultants(self, request: Request) -> Response:
        rows = await run_in_threadpool(admin_rows.consultants, self.store.backend, self.clock())
        return self.render(request, "consultants.html", consultants=rows)

    async def codes(self, request: Request) -> Response:
        return await self._codes_page(request)

    async def create_code(self, request: Request) -> Response:
        form = await self.posted(request)
        consultant = " ".join(form.get("consultant", "").split())
        if not consultant or len(consultant) > MAX_CONSULTANT:
            return await self._codes_page(
                request,
                400,
                error=f"Vul de naam van de consulent in (hoogstens {MAX_CONSULTANT} tekens).",
            )
        code = await run_in_threadpool(self.store.create_code, consultant, self.clock())
        log.info("admin %s made an enrolment code", self.session(request).username)
        # Shown in this answer only (no redirect, no URL): the database keeps just its hash.
        return await self._codes_page(request, new_code=code, for_consultant=consultant)

    async def _codes_page(self, request: Request, status: int = 200, **extra: Any) -> Response:
        now = self.clock()
        rows = await run_in_threadpool(admin_rows.codes, self.store.backend, now)
        people = await run_in_threadpool(admin_rows.consultants, self.store.backend, now)
        context: dict[str, Any] = {"new_code": None, "for_consultant": "", "error": ""}
        context.update(extra)
        return self.render(
            request, "codes.html", status, codes=rows, known=[p.name for p in people], **context
        )

    async def activity(self, request: Request) -> Response:
        rows = await run_in_threadpool(admin_rows.activity, self.store.backend)
        return self.render(request, "activity.html", rows=rows, limit=admin_rows.ACTIVITY_ROWS)

    async def cases(self, request: Request) -> Response:
        rows = await run_in_threadpool(admin_rows.cases, self.store.backend)
        return self.render(request, "cases.html", cases=rows, limit=admin_rows.CASE_ROWS)
