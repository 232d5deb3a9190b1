"""A real browser (Debian's chromium + chromedriver, headless) on the admin page: log in,
revoke a device, see it marked revoked, and the device's next call refused."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from adminkit import ADMIN, ADMIN_PASSWORD
from officekit import OFFICE_PASSPHRASE, Clock, Office
from starlette.testclient import TestClient

from kitchentable.office import keys
from kitchentable.office.admin.accounts import add_account
from kitchentable.office.app import create_app
from kitchentable.office.store import DB_NAME, SQLiteBackend, Store

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REQUIRE_ENV = "KITCHENTABLE_REQUIRE_BROWSER"
SCREENSHOT = Path("/tmp/admin-devices.png")

pytestmark = pytest.mark.slow


def _need_browser() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return
    why = f"no browser for the admin page test: {', '.join(missing)} missing (apt-get install chromium chromium-driver)"
    if os.environ.get(REQUIRE_ENV, "") not in {"", "0"}:
        pytest.fail(f"{why}; {REQUIRE_ENV} is set", pytrace=False)
    pytest.skip(why)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Office]]:
    """The office app served by uvicorn on 127.0.0.1 (a free port, plain HTTP)."""
    data = tmp_path / "office"
    data.mkdir()
    store = Store(SQLiteBackend(data / DB_NAME))
    clock = Clock()
    add_account(store, ADMIN, ADMIN_PASSWORD, clock())
    app = create_app(store, keys.create(data, OFFICE_PASSPHRASE), clock=clock)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        with TestClient(app) as client:  # enrols the laptop in-process (same store)
            yield f"http://127.0.0.1:{port}", Office(data, store, client, clock)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        store.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,800",
        "--lang=nl",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def test_an_admin_revokes_a_device_in_a_real_browser(
    served: tuple[str, Office], browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    base, office = served
    anna = office.enrol("anna")
    office.enrol("bram")
    status_url = f"{base}/api/v1/status"
    assert httpx.get(status_url, headers=anna.auth).status_code == 200

    browser.get(f"{base}/admin/devices")
    assert browser.current_url == f"{base}/admin/login"  # sent to the login first
    browser.find_element(By.ID, "username").send_keys(ADMIN)
    browser.find_element(By.ID, "password").send_keys(ADMIN_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit].primary").click()
    # A click that submits a form does not wait for the next page; a loaded machine shows it.
    WebDriverWait(browser, 10).until(expected_conditions.url_to_be(f"{base}/admin/"))
    assert "Overzicht" in browser.find_element(By.TAG_NAME, "h1").text

    browser.find_element(By.LINK_TEXT, "Apparaten").click()
    WebDriverWait(browser, 10).until(
        expected_conditions.presence_of_element_located(
            (By.ID, f"revoke-{anna.enrolment.device_id}")
        )
    )
    SCREENSHOT.unlink(missing_ok=True)
    browser.save_screenshot(str(SCREENSHOT))
    browser.find_element(By.ID, f"revoke-{anna.enrolment.device_id}").click()
    WebDriverWait(browser, 10).until(
        expected_conditions.presence_of_element_located((By.ID, "confirm-revoke"))
    )
    assert "Apparaat intrekken?" in browser.find_element(By.TAG_NAME, "h1").text
    browser.find_element(By.ID, "confirm-revoke").click()

    # The confirm page's own address holds /admin/devices too: wait for the notice the
    # next page brings, not for the address.
    WebDriverWait(browser, 10).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".notice"))
    )
    assert "is ingetrokken" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    revoked = browser.find_elements(By.CSS_SELECTOR, "tr.revoked")
    assert len(revoked) == 1
    assert "anna" in revoked[0].text and "Ingetrokken" in revoked[0].text

    refused = httpx.get(status_url, headers=anna.auth)
    assert refused.status_code == 403
    assert refused.json()["wipe"] is True
