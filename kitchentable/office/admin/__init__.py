"""The office admin web page, for office staff (not consultants), mounted at `/admin`.

Owns assembling the admin app: its routes, the session gate, the security headers and the
error pages. Shows metadata only (devices, consultants, enrolment codes, sync activity,
cases): it never reads a sealed payload and holds no office private key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import Route

from kitchentable.office.admin.accounts import add_account, cmd_admin_add, verify_login
from kitchentable.office.admin.security import Refusal, SecurityHeaders, SessionGate
from kitchentable.office.admin.views import AdminPages
from kitchentable.office.errors import AccountError
from kitchentable.office.store import Store

__all__ = ["AccountError", "add_account", "cmd_admin_add", "create_admin_app", "verify_login"]


def create_admin_app(store: Store, clock: Callable[[], datetime]) -> Starlette:
    pages = AdminPages(store, clock)
    return Starlette(
        routes=[
            Route("/", pages.overview, methods=["GET"]),
            Route("/login", pages.login_form, methods=["GET"]),
            Route("/login", pages.login, methods=["POST"]),
            Route("/logout", pages.logout, methods=["POST"]),
            Route("/devices", pages.devices, methods=["GET"]),
            Route("/devices/{device_id}/revoke", pages.confirm_revoke, methods=["GET"]),
            Route("/devices/{device_id}/revoke", pages.revoke, methods=["POST"]),
            Route("/consultants", pages.consultants, methods=["GET"]),
            Route("/codes", pages.codes, methods=["GET"]),
            Route("/codes", pages.create_code, methods=["POST"]),
            Route("/activity", pages.activity, methods=["GET"]),
            Route("/cases", pages.cases, methods=["GET"]),
            Route("/static/admin.css", pages.stylesheet, methods=["GET"]),
        ],
        middleware=[
            # Outermost first: headers on every answer, then the gate before any route.
            Middleware(SecurityHeaders),
            Middleware(SessionGate, store=store, clock=clock, refuse=pages.refusal_app),
        ],
        exception_handlers={
            Refusal: pages.refused,
            HTTPException: pages.http_error,
            # A browser that went away mid-post: nothing to answer, nothing to log.
            ClientDisconnect: lambda request, exc: Response(status_code=400),
        },
    )
