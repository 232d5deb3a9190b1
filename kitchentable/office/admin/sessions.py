"""Admin sessions and login throttling.

Owns what a session is (its cookie token, stored only as its SHA-256 by `store.admin`,
beside the session's CSRF token) and the count of failed logins. Never logs a token
and never extends a session: it ends 8 hours after login, whatever happens in between.

The throttle lives in memory, per server process: it needs no schema and forgets on a
restart. Behind a load balancer with N processes an attacker gets at most 5·N guesses per
15 minutes per username, each costing an Argon2id on our side.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from kitchentable.office.store import Store, admin, new_token, sha256_hex
from kitchentable.office.store.common import utc_iso

SESSION_LIFETIME = timedelta(hours=8)
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
# Names tracked at once; beyond this, stale entries are dropped first (bounded memory even
# when someone tries a million usernames).
MAX_TRACKED = 10_000


@dataclass(frozen=True)
class Session:
    username: str
    csrf_token: str
    expires_at: str


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of two tokens; a missing or empty one never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def start_session(store: Store, username: str, now: datetime) -> tuple[str, Session]:
    """A new session for `username`: (cookie token, session). Purges expired sessions."""
    token = new_token()
    session = Session(username, new_csrf_token(), utc_iso(now + SESSION_LIFETIME))
    admin.start_session(
        store.backend,
        sha256_hex(token),
        username,
        session.csrf_token,
        utc_iso(now),
        session.expires_at,
    )
    return token, session


def find_session(store: Store, token: str | None, now: datetime) -> Session | None:
    """The live session for a cookie token: not expired, its account not disabled."""
    if not token or len(token) > 128:
        return None
    row = admin.find_session(store.backend, sha256_hex(token), utc_iso(now))
    return None if row is None else Session(*row)


def end_session(store: Store, token: str | None) -> None:
    if token:
        admin.end_session(store.backend, sha256_hex(token))


class LoginThrottle:
    """After MAX_FAILURES failed logins for a username within FAILURE_WINDOW, every login
    for it (even with the right password) is refused for LOCKOUT.

    Attempts still being checked count too, so a burst of parallel guesses cannot slip past
    the limit while the first ones are hashing.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, deque[datetime]] = {}
        self._locked_until: dict[str, datetime] = {}
        self._checking: dict[str, int] = {}

    def begin(self, username: str, now: datetime) -> bool:
        """Start one attempt; False when the username is locked (then call nothing else)."""
        with self._lock:
            until = self._locked_until.get(username)
            if until is not None and now < until:
                return False
            if until is not None:
                del self._locked_until[username]
                self._failures.pop(username, None)
            recent = self._failures.get(username, deque())
            while recent and now - recent[0] > FAILURE_WINDOW:
                recent.popleft()
            if len(recent) + self._checking.get(username, 0) >= MAX_FAILURES:
                return False
            self._checking[username] = self._checking.get(username, 0) + 1
            return True

    def end(self, username: str, now: datetime, *, success: bool) -> None:
        """Finish an attempt begun with `begin`."""
        with self._lock:
            left = self._checking.get(username, 1) - 1
            if left > 0:
                self._checking[username] = left
            else:
                self._checking.pop(username, None)
            if success:
                self._failures.pop(username, None)
                return
            if len(self._failures) >= MAX_TRACKED:
                self._prune(now)
            recent = self._failures.setdefault(username, deque())
            recent.append(now)
            while recent and now - recent[0] > FAILURE_WINDOW:
                recent.popleft()
            if len(recent) >= MAX_FAILURES:
                self._locked_until[username] = now + LOCKOUT

    def _prune(self, now: datetime) -> None:
        for name in [n for n, times in self._failures.items() if now - times[-1] > FAILURE_WINDOW]:
            del self._failures[name]
        for name in [n for n, until in self._locked_until.items() if now >= until]:
            del self._locked_until[name]
        if len(self._failures) >= MAX_TRACKED:
            # Still full of fresh entries: forget the oldest half rather than grow.
            oldest = sorted(self._failures, key=lambda n: self._failures[n][-1])
            for name in oldest[: MAX_TRACKED // 2]:
                del self._failures[name]
