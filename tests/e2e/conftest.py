"""Headless Chromium driven by Selenium against pytest-django's live server.

Skipped, with the reason printed, only when Chromium or its driver is absent. Every step of a
journey takes a screenshot; when the test fails (or E2E_KEEP_SHOTS=1, or the test sets
`request.node.keep_shots`) they are kept in test-artifacts/<test name>/.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(autouse=True)
def _e2e_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    # The live server serves static files itself; no manifest is needed.
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


class Browser:
    def __init__(self, driver, base_url, shots: Path, downloads: Path):
        self.driver = driver
        self.base_url = base_url
        self.shots = shots
        self.downloads = downloads
        self.step = 0

    def get(self, path):
        self.driver.get(self.base_url + path)

    def shot(self, name):
        self.step += 1
        self.driver.save_screenshot(str(self.shots / f"{self.step:02d}-{name}.png"))

    def find(self, css):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css):
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def click(self, css):
        element = self.find(css)
        # A fixed footer can cover the element at the bottom of the window: bring it to the middle.
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
        element.click()

    def fill(self, css, value):
        element = self.find(css)
        element.clear()
        element.send_keys(value)

    def set_value(self, css, value):
        """Date and month inputs: typing depends on the browser's locale, so set the value as a script would."""
        self.driver.execute_script("arguments[0].value = arguments[1];", self.find(css), value)

    def wait_for_download(self, suffix, timeout=20) -> Path:
        """The one file the browser downloaded (complete, not a .crdownload) ending in `suffix`."""
        found = []

        def done():
            found[:] = [p for p in self.downloads.iterdir() if p.name.endswith(suffix)]
            return bool(found)

        self.wait_for(done, timeout)
        assert len(found) == 1, found
        return found[0]

    def select(self, css, value):
        from selenium.webdriver.support.ui import Select

        Select(self.find(css)).select_by_value(value)

    def wait_for(self, predicate, timeout=10):
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, timeout).until(lambda d: predicate())

    @property
    def html(self):
        return self.driver.page_source

    @property
    def path(self):
        return self.driver.current_url.removeprefix(self.base_url)

    def log_in(self, username, password):
        self.get("/accounts/login/")
        self.fill("#id_username", username)
        self.fill("#id_password", password)
        self.shot(f"login-{username}")
        self.click("form button[type=submit]")
        self.wait_for(lambda: "/accounts/login/" not in self.driver.current_url)

    def log_out(self):
        """Forget the session (and its CSRF cookie); the language chosen on the page stays."""
        for name in ("sessionid", "csrftoken"):
            self.driver.delete_cookie(name)


def _skip_without_chromium():
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        print(f"SKIP e2e: {CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)")
        pytest.skip(f"{CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)")


def _new_driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1000",
                "--disable-dev-shm-usage"):
        options.add_argument(arg)
    # A Chinese browser, as the village staff use; the English journey switches with the page's selector.
    options.add_argument("--lang=zh-CN")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(2)
    return driver


def _browser(request, driver, live_server, tmp_path):
    shots = tmp_path / "shots"
    shots.mkdir()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return Browser(driver, live_server.url, shots, downloads)


def _keep_shots(request, browser):
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    # A journey that sets `keep_shots` (the phone-width days) keeps its screenshots as artifacts always.
    if failed or os.environ.get("E2E_KEEP_SHOTS") or getattr(request.node, "keep_shots", False):
        try:
            browser.driver.save_screenshot(str(browser.shots / "99-at-failure.png"))
        except Exception:  # noqa: S110 - the browser may be gone; keep what we have
            pass
        target = ARTIFACTS / request.node.name.replace("/", "_")
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(browser.shots, target)


@pytest.fixture
def browser(request, live_server, tmp_path):
    _skip_without_chromium()
    driver = _new_driver()
    b = _browser(request, driver, live_server, tmp_path)
    try:
        yield b
    finally:
        _keep_shots(request, b)
        driver.quit()


@pytest.fixture(scope="module")
def _module_driver():
    _skip_without_chromium()
    driver = _new_driver()
    yield driver
    driver.quit()


@pytest.fixture
def shared_browser(request, _module_driver, live_server, tmp_path):
    """The `browser` of a module's journeys, one Chromium for all of them (starting one costs seconds):
    each test starts with no cookies (no session, no language chosen) on a blank page, at desktop width."""
    driver = _module_driver
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.set_window_size(1280, 1000)
    b = _browser(request, driver, live_server, tmp_path)
    try:
        yield b
    finally:
        _keep_shots(request, b)
