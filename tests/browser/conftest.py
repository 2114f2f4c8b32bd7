"""Browser-test fixtures: a small generated lake, `python app.py` as a subprocess on a free port, headless Chromium;
helpers to emulate a screen width, tell what is on screen, and check a page fits its width before its screenshot."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.services.conftest import small_lake_root

__all__ = ["small_lake_root"]  # the generated lake the dashboard serves

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts"  # git-ignored
CHROME_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1500,2400",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_serving(url: str, process: subprocess.Popen, timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"{url}/health", timeout=2)
            return
        except urllib.error.HTTPError:
            return  # 503 is an answer: the server is up
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


@pytest.fixture(scope="session")
def dashboard_url(small_lake_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "NKDASH_IGNORE_DOTENV": "1", "DATA_LAKE_ROOT": str(small_lake_root), "HOST": "127.0.0.1",
           "PORT": str(port), "LOG_LEVEL": "WARNING"}
    log = (tmp_path_factory.mktemp("app-log") / "app.log").open("w")
    process = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_serving(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def driver() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="nkdash-chrome-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        yield chrome
    finally:
        chrome.quit()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def emulate(driver: webdriver.Chrome, width: int, height: int = 900) -> None:
    """A `width` × `height` px screen; below 768 px a phone's."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 768})


def on_screen(driver: webdriver.Chrome, element: WebElement) -> bool:
    """Whether some of `element` is within the window's width (a closed navigation is pushed off it)."""
    right, left = driver.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.right, r.left];",
                                        element)
    return right > 0 and left < driver.execute_script("return window.innerWidth")


def assert_burger_toggles_navigation(driver: webdriver.Chrome) -> None:
    """On a phone: the navigation is off screen until the burger opens it, and the burger closes it again."""
    link = driver.find_element(By.CSS_SELECTOR, 'a[href^="/sales"]')
    assert not on_screen(driver, link)
    driver.find_element(By.ID, "nav-burger").click()
    WebDriverWait(driver, 10).until(lambda d: on_screen(d, link))
    driver.find_element(By.ID, "nav-burger").click()
    WebDriverWait(driver, 10).until(lambda d: not on_screen(d, link))


def assert_fits_and_screenshot(driver: webdriver.Chrome, path: Path, width: int) -> None:
    """The page does not scroll sideways at `width` px; then a screenshot of all of it (up to 8000 px) at `path`."""
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path.stem} is {overflow}px wider than the window"
    emulate(driver, width, min(driver.execute_script("return document.documentElement.scrollHeight") + 40, 8000))
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))
