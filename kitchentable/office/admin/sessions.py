"""Admin sessions and login throttling.

Owns what a session is (its cookie token, stored only as its SHA-256 by `store.admin`,
beside the session's CSRF token) and the count of failed logins. Never logs a token
and never extends a session: it ends 8 hours after login, whatever happens in between.

The throttle lives in memory, per server process: it needs no schema and forgets on a
restart. It counts per account *and* client (the client's address), so a guesser locks out
only itself; behind a load balancer with N processes a guesser gets at most 5·N guesses per
15 minutes per account and address, each costing an Argon2id on our side.
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
MAX_FAILURES = 5  # per account and client
MAX_CLIENT_FAILURES = 20  # per client, whatever the accounts
ACCOUNT_UNDER_ATTACK = 50  # per account, from all clients together
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


Key = tuple[str, ...]


class LoginThrottle:
    """Failed logins, counted so that a guesser is stopped and the right person is not.

    - MAX_FAILURES failures for one account from one client within FAILURE_WINDOW lock that
      account *for that client* for LOCKOUT (the right password too);
    - MAX_CLIENT_FAILURES failures from one client, whatever the accounts, lock that client;
    - an account that ACCOUNT_UNDER_ATTACK failures reached from anywhere refuses, for the
      window, every client that already failed on it once (a guesser spread over many
      addresses gets one try per address).
    A client that has not failed is never refused: five wrong passwords from one computer
    never stop a correct login from another. Attempts still being checked count too, so a
    burst of parallel guesses cannot slip past the limit while the first ones are hashing.
    The counts live in memory, per server process, and are bounded (MAX_TRACKED keys).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[Key, deque[datetime]] = {}
        self._locked_until: dict[Key, datetime] = {}
        self._checking: dict[Key, int] = {}

    @staticmethod
    def _keys(username: str, client: str) -> tuple[Key, Key, Key]:
        return ("pair", username, client), ("client", client), ("account", username)

    def _recent(self, key: Key, now: datetime) -> int:
        times = self._failures.get(key)
        while times and now - times[0] > FAILURE_WINDOW:
            times.popleft()
        return len(times) if times else 0

    def _locked(self, key: Key, now: datetime) -> bool:
        until = self._locked_until.get(key)
        if until is not None and now >= until:
            del self._locked_until[key]
            self._failures.pop(key, None)
            return False
        return until is not None

    def begin(self, username: str, now: datetime, client: str = "unknown") -> bool:
        """Start one attempt; False when it is refused (then call nothing else)."""
        pair, by_client, account = self._keys(username, client)
        with self._lock:
            if self._locked(pair, now) or self._locked(by_client, now):
                return False
            failed_here = self._recent(pair, now)
            if failed_here + self._checking.get(pair, 0) >= MAX_FAILURES:
                return False
            if failed_here and self._recent(account, now) >= ACCOUNT_UNDER_ATTACK:
                return False
            self._checking[pair] = self._checking.get(pair, 0) + 1
            return True

    def end(self, username: str, now: datetime, *, success: bool, client: str = "unknown") -> None:
        """Finish an attempt begun with `begin`."""
        pair, by_client, account = self._keys(username, client)
        with self._lock:
            left = self._checking.get(pair, 1) - 1
            if left > 0:
                self._checking[pair] = left
            else:
                self._checking.pop(pair, None)
            if success:
                self._failures.pop(pair, None)
                return
            if len(self._failures) >= MAX_TRACKED:
                self._prune(now)
            for key, limit in ((pair, MAX_FAILURES), (by_client, MAX_CLIENT_FAILURES)):
                self._failures.setdefault(key, deque()).append(now)
                if self._recent(key, now) >= limit:
                    self._locked_until[key] = now + LOCKOUT
            self._failures.setdefault(account, deque()).append(now)
            self._recent(account, now)

    def _prune(self, now: datetime) -> None:
        for key in [k for k, times in self._failures.items() if now - times[-1] > FAILURE_WINDOW]:
            del self._failures[key]
        for key in [k for k, until in self._locked_until.items() if now >= until]:
            del self._locked_until[key]
        if len(self._failures) >= MAX_TRACKED:
            # Still full of fresh entries: forget the oldest half rather than grow.
            oldest = sorted(self._failures, key=lambda k: self._failures[k][-1])
            for key in oldest[: MAX_TRACKED // 2]:
                del self._failures[key]
