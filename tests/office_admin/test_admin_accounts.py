"""Admin accounts: the password rules, the Argon2id hash format, enabling and disabling."""

from __future__ import annotations

import pytest
from adminkit import ADMIN, ADMIN_PASSWORD, Site

from kitchentable.office.admin.accounts import (
    LOW_COST,
    AccountError,
    PasswordCost,
    add_account,
    check_password,
    cmd_admin_add,
    disable_account,
    hash_password,
    set_password,
    verify_login,
)


def test_a_hash_is_a_self_describing_argon2id_string() -> None:
    encoded = hash_password("twelve chars!", LOW_COST)
    algorithm, version, params, salt, digest = encoded.split("$")[1:]
    assert (algorithm, version) == ("argon2id", "v=19")
    assert params == f"m={LOW_COST.memory_kib},t={LOW_COST.iterations},p={LOW_COST.lanes}"
    assert len(salt) >= 22 and len(digest) >= 43
    assert hash_password("twelve chars!", LOW_COST) != encoded  # a fresh salt every time


def test_a_hash_checks_with_the_cost_it_was_made_with() -> None:
    cost = PasswordCost(memory_kib=16 * 1024, iterations=2, lanes=2)
    encoded = hash_password("twelve chars!", cost)
    assert check_password("twelve chars!", encoded)
    assert not check_password("twelve chars?", encoded)


@pytest.mark.parametrize(
    "damaged",
    [
        "",
        "plain text",
        "$argon2i$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaA",
        "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaA",
        "$argon2id$v=19$m=8192,t=1$c2FsdHNhbHRzYWx0$aGFzaA",
    ],
)
def test_a_damaged_hash_matches_nothing(damaged: str) -> None:
    assert not check_password("anything at all", damaged)


def test_the_tests_use_the_low_cost() -> None:
    assert f"m={LOW_COST.memory_kib}," in hash_password("twelve chars!")


def test_add_stores_only_the_hash(site: Site) -> None:
    add_account(site.store, "Marieke", "een heel lang wachtwoord", site.clock())
    with site.store.backend.transaction() as cur:
        rows = cur.execute("SELECT username, password_hash FROM admin_accounts").fetchall()
    stored = dict(rows)
    assert set(stored) == {ADMIN, "marieke"}
    assert "een heel lang wachtwoord" not in stored["marieke"]
    assert stored["marieke"].startswith("$argon2id$")


def test_verify_login(site: Site) -> None:
    assert verify_login(site.store, ADMIN, ADMIN_PASSWORD)
    assert verify_login(site.store, f"  {ADMIN.upper()} ", ADMIN_PASSWORD)
    assert not verify_login(site.store, ADMIN, ADMIN_PASSWORD + "x")
    assert not verify_login(site.store, "niemand", ADMIN_PASSWORD)
    assert not verify_login(site.store, ADMIN, "x" * 5000)


@pytest.mark.parametrize(
    ("username", "password", "code"),
    [
        ("kort", "elf tekens!", "password_too_short"),
        ("", "twaalf tekens", "username_invalid"),
        ("met spatie", "twaalf tekens", "username_invalid"),
        ("-begin", "twaalf tekens", "username_invalid"),
        (ADMIN, "twaalf tekens", "username_taken"),
    ],
)
def test_add_refuses_with_a_reason(site: Site, username: str, password: str, code: str) -> None:
    with pytest.raises(AccountError) as refused:
        add_account(site.store, username, password, site.clock())
    assert refused.value.code == code


def test_cmd_admin_add_says_where_to_sign_in(site: Site) -> None:
    message = cmd_admin_add(site.store, "jan", "twaalf tekens", site.clock())
    assert "jan" in message and "/admin" in message
    assert "twaalf tekens" not in message
    assert site.browser().login("jan", "twaalf tekens").status_code == 303


def test_a_new_password_replaces_the_old_and_ends_sessions(site: Site) -> None:
    admin = site.admin()
    set_password(site.store, ADMIN, "een nieuw lang wachtwoord")
    assert admin.get("/admin/").status_code == 303
    assert not verify_login(site.store, ADMIN, ADMIN_PASSWORD)
    assert verify_login(site.store, ADMIN, "een nieuw lang wachtwoord")


def test_a_disabled_account_cannot_log_in(site: Site) -> None:
    disable_account(site.store, ADMIN, site.clock())
    assert not verify_login(site.store, ADMIN, ADMIN_PASSWORD)
    with pytest.raises(AccountError):
        disable_account(site.store, "niemand", site.clock())
