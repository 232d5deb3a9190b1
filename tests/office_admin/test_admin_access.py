"""Who gets in: login, lockout, sessions, CSRF and the headers every page carries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from adminkit import ADMIN, ADMIN_PASSWORD, PAGES, POSTS, Site, csrf_of

from kitchentable.office.admin.accounts import disable_account
from kitchentable.office.admin.security import LOGIN_COOKIE, SESSION_COOKIE
from kitchentable.office.admin.sessions import MAX_TRACKED, LoginThrottle
from kitchentable.office.store import sha256_hex


def test_every_page_sends_a_visitor_without_session_to_the_login(site: Site) -> None:
    visitor = site.browser()
    for path in PAGES:
        answer = visitor.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/admin/login"


def test_every_post_without_session_is_refused(site: Site) -> None:
    visitor = site.browser()
    for path in POSTS:
        answer = visitor.post(path, {"csrf": "x", "consultant": "anna"})
        assert answer.status_code == 403, path
        assert "Log eerst in" in answer.text


def test_a_session_cookie_that_is_not_one_opens_nothing(site: Site) -> None:
    visitor = site.browser()
    visitor.client.cookies.set(SESSION_COOKIE, "made-up-token", path="/admin")
    assert visitor.get("/admin/devices").status_code == 303


def test_the_right_password_opens_the_overview(site: Site) -> None:
    browser = site.browser()
    answer = browser.login()
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/"
    overview = browser.get("/admin/")
    assert overview.status_code == 200
    assert "Overzicht" in overview.text
    assert ADMIN in overview.text


def test_the_session_cookie_is_http_only_strict_and_scoped_to_admin(site: Site) -> None:
    answer = site.browser().login()
    cookie = next(
        value for value in answer.headers.get_list("set-cookie") if SESSION_COOKIE in value
    )
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Path=/admin" in cookie
    assert "Secure" not in cookie  # plain HTTP here; over https it is set (below)


def test_over_https_the_cookies_are_secure(site: Site) -> None:
    from starlette.testclient import TestClient

    client = TestClient(site.app, base_url="https://office.example", follow_redirects=False)
    page = client.get("/admin/login")
    assert "Secure" in page.headers["set-cookie"]
    answer = client.post(
        "/admin/login",
        data={"csrf": csrf_of(page.text), "username": ADMIN, "password": ADMIN_PASSWORD},
        headers={"Origin": "https://office.example"},
    )
    assert answer.status_code == 303
    session = next(v for v in answer.headers.get_list("set-cookie") if SESSION_COOKIE in v)
    assert "Secure" in session


def test_the_database_holds_only_the_session_token_s_hash(site: Site) -> None:
    browser = site.admin()
    token = browser.client.cookies[SESSION_COOKIE]
    with site.store.backend.transaction() as cur:
        rows = cur.execute("SELECT token_hash FROM admin_sessions").fetchall()
    assert [row[0] for row in rows] == [sha256_hex(token)]


def test_a_wrong_password_is_refused_without_a_session(site: Site) -> None:
    browser = site.browser()
    answer = browser.login(password="not the password at all")
    assert answer.status_code == 401
    assert "Gebruikersnaam of wachtwoord klopt niet" in answer.text
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
    assert browser.get("/admin/").status_code == 303


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(site: Site) -> None:
    unknown = site.browser().login(username="niemand")
    wrong = site.browser().login(password="not the password at all")
    assert unknown.status_code == wrong.status_code == 401
    assert "Gebruikersnaam of wachtwoord klopt niet" in unknown.text


def test_five_wrong_passwords_from_one_computer_do_not_stop_a_correct_login_from_another(
    site: Site,
) -> None:
    attacker = site.browser("203.0.113.66")
    for _ in range(5):
        assert attacker.login(password="wrong wrong wrong").status_code == 401
    assert attacker.login().status_code == 429  # locked out: itself, even with the password
    admin_at_work = site.browser("10.1.2.3")
    assert admin_at_work.login().status_code == 303
    # More guessing from the attacker changes nothing for the admin's next login.
    for _ in range(20):
        attacker.login(password="wrong wrong wrong")
    assert site.browser("10.1.2.3").login().status_code == 303


def test_a_computer_guessing_many_accounts_is_locked_for_all_of_them(site: Site) -> None:
    attacker = site.browser("203.0.113.66")
    for number in range(20):
        assert attacker.login(f"gok-{number}", "wrong wrong wrong").status_code == 401
    assert attacker.login("nog-een", "wrong wrong wrong").status_code == 429
    assert attacker.login().status_code == 429
    assert site.browser("10.1.2.3").login().status_code == 303


def test_an_account_guessed_from_many_computers_gives_each_only_its_first_try(
    site: Site,
) -> None:
    for number in range(50):
        assert site.browser(f"198.51.100.{number}").login(password="wrong").status_code == 401
    again = site.browser("198.51.100.7")
    assert again.login(password="wrong").status_code == 429
    assert again.login().status_code == 429  # a computer that failed waits out the window
    assert site.browser("10.1.2.3").login().status_code == 303  # one that did not, goes in


def test_five_failures_lock_the_username_for_fifteen_minutes(site: Site) -> None:
    browser = site.browser()
    for _ in range(5):
        assert browser.login(password="wrong wrong wrong").status_code == 401
    locked = browser.login()  # even the right password
    assert locked.status_code == 429
    assert "Te veel mislukte pogingen" in locked.text
    site.clock.advance(minutes=14)
    assert browser.login().status_code == 429
    site.clock.advance(minutes=1, seconds=1)
    assert browser.login().status_code == 303


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(site: Site) -> None:
    browser = site.browser()
    for _ in range(4):
        assert browser.login(password="wrong wrong wrong").status_code == 401
    site.clock.advance(minutes=16)
    assert browser.login(password="wrong wrong wrong").status_code == 401
    assert browser.login().status_code == 303


def test_a_login_post_without_the_login_page_s_cookie_is_refused(site: Site) -> None:
    browser = site.browser()
    page = browser.get("/admin/login")
    token = csrf_of(page.text)
    browser.client.cookies.clear()
    answer = browser.post(
        "/admin/login", {"csrf": token, "username": ADMIN, "password": ADMIN_PASSWORD}
    )
    assert answer.status_code == 403
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


def test_a_login_post_with_a_token_other_than_its_cookie_is_refused(site: Site) -> None:
    browser = site.browser()
    browser.get("/admin/login")
    assert browser.client.cookies.get(LOGIN_COOKIE)
    answer = browser.post(
        "/admin/login", {"csrf": "A" * 43, "username": ADMIN, "password": ADMIN_PASSWORD}
    )
    assert answer.status_code == 403


def test_a_login_post_from_another_origin_is_refused(site: Site) -> None:
    browser = site.browser()
    token = csrf_of(browser.get("/admin/login").text)
    answer = browser.post(
        "/admin/login",
        {"csrf": token, "username": ADMIN, "password": ADMIN_PASSWORD},
        Origin="https://evil.example",
    )
    assert answer.status_code == 403


def test_a_post_without_csrf_token_is_refused(site: Site) -> None:
    admin = site.admin()
    answer = admin.post("/admin/codes", {"consultant": "anna"})
    assert answer.status_code == 403
    assert "formulier" in answer.text
    assert "Ongebruikt" not in admin.get("/admin/codes").text


def test_a_post_with_another_session_s_token_is_refused(site: Site) -> None:
    mine, theirs = site.admin(), site.admin()
    answer = mine.post("/admin/codes", {"csrf": theirs.csrf(), "consultant": "anna"})
    assert answer.status_code == 403
    assert "Ongebruikt" not in mine.get("/admin/codes").text


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null", "Sec-Fetch-Site": ""},
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://testserver:8080"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_a_post_from_another_site_is_refused_even_with_the_token(
    site: Site, headers: dict[str, str]
) -> None:
    admin = site.admin()
    answer = admin.post("/admin/codes", {"csrf": admin.csrf(), "consultant": "anna"}, **headers)
    assert answer.status_code == 403
    assert "Ongebruikt" not in admin.get("/admin/codes").text


def test_a_null_origin_vouched_for_by_sec_fetch_site_is_accepted(site: Site) -> None:
    # What Chrome sends for our own forms, because the pages say Referrer-Policy: no-referrer.
    admin = site.admin()
    answer = admin.post(
        "/admin/codes",
        {"csrf": admin.csrf(), "consultant": "anna"},
        Origin="null",
        **{"Sec-Fetch-Site": "same-origin"},
    )
    assert answer.status_code == 200
    assert 'id="new-code"' in answer.text


def test_a_post_without_origin_headers_but_with_the_token_is_accepted(site: Site) -> None:
    # Older browsers and privacy proxies drop Origin; the synchronizer token still guards.
    admin = site.admin()
    token = admin.csrf()
    answer = admin.client.post("/admin/codes", data={"csrf": token, "consultant": "anna"})
    assert answer.status_code == 200
    assert 'id="new-code"' in answer.text


def test_logout_ends_the_session_on_the_server(site: Site) -> None:
    admin = site.admin()
    token = admin.client.cookies[SESSION_COOKIE]
    answer = admin.submit("/admin/", "/admin/logout")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/login"
    # Replaying the old cookie gets nowhere: the server forgot it.
    replay = site.browser()
    replay.client.cookies.set(SESSION_COOKIE, token, path="/admin")
    assert replay.get("/admin/").status_code == 303


def test_a_session_ends_eight_hours_after_login(site: Site) -> None:
    admin = site.admin()
    site.clock.advance(hours=7, minutes=59)
    assert admin.get("/admin/devices").status_code == 200
    site.clock.advance(minutes=1)
    assert admin.get("/admin/devices").status_code == 303
    with site.store.backend.transaction() as cur:
        assert cur.execute("SELECT COUNT(*) FROM admin_sessions").fetchone()[0] == 0


def test_disabling_an_account_ends_its_sessions(site: Site) -> None:
    admin = site.admin()
    disable_account(site.store, ADMIN, site.clock())
    assert admin.get("/admin/").status_code == 303
    assert site.browser().login().status_code == 401


def test_every_answer_carries_the_security_headers(site: Site) -> None:
    admin = site.admin()
    answers = [admin.get(path) for path in PAGES]
    answers += [site.browser().get("/admin/login"), site.browser().get("/admin/devices")]
    answers += [site.browser().post("/admin/codes", {}), admin.get("/admin/no-such-page")]
    for answer in answers:
        headers = answer.headers
        assert headers["cache-control"] == "no-store", answer.url
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp
        assert "script-src" not in csp  # no script at all: default-src 'none' covers it
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp


def test_no_page_has_a_script(site: Site) -> None:
    admin = site.admin()
    for path in [*PAGES, "/admin/login"]:
        assert "<script" not in admin.get(path).text.lower()


def test_guesses_still_being_checked_count_towards_the_limit() -> None:
    throttle = LoginThrottle()
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert all(throttle.begin("beheer", now) for _ in range(5))
    assert not throttle.begin("beheer", now)  # a sixth parallel guess waits its turn
    assert throttle.begin("iemand-anders", now)
    throttle.end("beheer", now, success=True)
    assert throttle.begin("beheer", now)


def test_the_throttle_forgets_old_usernames_rather_than_grow() -> None:
    throttle = LoginThrottle()
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for number in range(MAX_TRACKED + 10):
        name, client = f"gok-{number}", f"10.{number // 65536}.{number // 256 % 256}.{number % 256}"
        assert throttle.begin(name, now, client)
        throttle.end(name, now, success=False, client=client)
    assert len(throttle._failures) <= MAX_TRACKED


def test_over_https_every_admin_answer_tells_the_browser_to_stay_on_https(site: Site) -> None:
    browser = site.browser(https=True)
    answers = [browser.get("/admin/login"), browser.get("/admin/devices")]
    answers.append(browser.get("/admin/no-such-page"))
    for answer in answers:
        assert answer.headers["strict-transport-security"] == "max-age=63072000"
    # Over plain HTTP (loopback only) the header would mean nothing and is left out.
    assert "strict-transport-security" not in site.browser().get("/admin/login").headers
