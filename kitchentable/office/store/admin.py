"""Admin page accounts and sessions: the office store's `admin_accounts` and
`admin_sessions` rows.

Owns the SQL of accounts (a username, an Argon2id hash made by the caller, disabled or
not) and of sessions (the cookie's token only as its SHA-256, beside the session's CSRF
token and its end). Hashing, password rules and cookies are the admin page's
(`office/admin`). Never sees a password or a cookie token, never logs. Times are ISO text
in UTC, given by the caller.
"""

from __future__ import annotations

from kitchentable.office.backends import Backend, Cursor
from kitchentable.office.errors import AccountError


def add_account(backend: Backend, username: str, password_hash: str, created_at: str) -> None:
    with backend.transaction() as cur:
        taken = cur.execute(
            "SELECT 1 FROM admin_accounts WHERE username = ?", [username]
        ).fetchone()
        if taken is not None:
            raise AccountError("username_taken", f"There is already an admin account '{username}'.")
        cur.execute(
            "INSERT INTO admin_accounts (username, password_hash, created_at) VALUES (?, ?, ?)",
            [username, password_hash, created_at],
        )


def _known(cur: Cursor, username: str) -> None:
    if (
        cur.execute("SELECT 1 FROM admin_accounts WHERE username = ?", [username]).fetchone()
        is None
    ):
        raise AccountError("unknown_account", f"There is no admin account '{username}'.")


def set_password_hash(backend: Backend, username: str, password_hash: str) -> None:
    """Replace an account's hash and end its sessions."""
    with backend.transaction() as cur:
        _known(cur, username)
        cur.execute(
            "UPDATE admin_accounts SET password_hash = ? WHERE username = ?",
            [password_hash, username],
        )
        cur.execute("DELETE FROM admin_sessions WHERE username = ?", [username])


def disable_account(backend: Backend, username: str, at: str) -> None:
    """Disable an account (kept for the record) and end its sessions."""
    with backend.transaction() as cur:
        _known(cur, username)
        cur.execute(
            "UPDATE admin_accounts SET disabled_at = ? WHERE username = ? AND disabled_at IS NULL",
            [at, username],
        )
        cur.execute("DELETE FROM admin_sessions WHERE username = ?", [username])


def login_row(backend: Backend, username: str) -> tuple[str, str | None] | None:
    """(password hash, disabled at) of an account, or None."""
    with backend.transaction(write=False) as cur:
        row = cur.execute(
            "SELECT password_hash, disabled_at FROM admin_accounts WHERE username = ?",
            [username],
        ).fetchone()
    return None if row is None else (row[0], row[1])


def start_session(
    backend: Backend, token_hash: str, username: str, csrf_token: str, now: str, expires_at: str
) -> None:
    """Keep a new session; sessions that ended before `now` are purged."""
    with backend.transaction() as cur:
        cur.execute("DELETE FROM admin_sessions WHERE expires_at <= ?", [now])
        cur.execute(
            "INSERT INTO admin_sessions (token_hash, username, csrf_token, created_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?)",
            [token_hash, username, csrf_token, now, expires_at],
        )


def find_session(backend: Backend, token_hash: str, now: str) -> tuple[str, str, str] | None:
    """(username, CSRF token, end) of a live session of an enabled account; a session found
    ended is removed."""
    with backend.transaction() as cur:
        row = cur.execute(
            "SELECT s.username, s.csrf_token, s.expires_at FROM admin_sessions s "
            "JOIN admin_accounts a ON a.username = s.username "
            "WHERE s.token_hash = ? AND a.disabled_at IS NULL",
            [token_hash],
        ).fetchone()
        if row is None:
            return None
        if row[2] <= now:
            cur.execute("DELETE FROM admin_sessions WHERE token_hash = ?", [token_hash])
            return None
    return row[0], row[1], row[2]


def end_session(backend: Backend, token_hash: str) -> None:
    with backend.transaction() as cur:
        cur.execute("DELETE FROM admin_sessions WHERE token_hash = ?", [token_hash])
