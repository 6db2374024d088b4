"""Headless Chromium via Selenium, with the flags measured to work here (docs: STACK.md)."""

from __future__ import annotations

import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
PAGE_LOAD_SECONDS = 90
CHART = '[data-test="chart-grid-component"]'
# Messages Superset shows instead of a chart.
NO_DATA_TEXTS = ("No results", "No data")
ERROR_SELECTORS = (".alert-danger", '[data-test="error-alert"]', ".ant-alert-error")


def available() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


@contextmanager
def chromium(width: int = 1600, height: int = 1500):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="mognad-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        options.add_argument(f"--window-size={width},{height}")
        options.add_argument("--lang=sv-SE")
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        driver.set_page_load_timeout(PAGE_LOAD_SECONDS)
        try:
            yield driver
        finally:
            driver.quit()


class Browser:
    """A Chromium that is replaced when it stops answering, so one hung renderer fails one
    test, not every test after it."""

    def __init__(self, **size):
        self._size = size
        self._context = None
        self.driver = None

    def _start(self):
        self._context = chromium(**self._size)
        self.driver = self._context.__enter__()

    def close(self) -> None:
        if self._context is not None:
            context, self._context, self.driver = self._context, None, None
            try:
                context.__exit__(None, None, None)
            except Exception:  # noqa: BLE001 - a hung browser may not quit cleanly
                pass

    def alive(self):
        if self.driver is not None:
            try:
                self.driver.execute_script("return 1")
                return self.driver
            except Exception:  # noqa: BLE001 - any failure to answer means a new browser
                self.close()
        self._start()
        return self.driver


def login(driver, base_url: str, username: str, password: str, timeout: float = 30) -> None:
    driver.get(base_url.rstrip("/") + "/login/")
    wait = WebDriverWait(driver, timeout)
    wait.until(ec.presence_of_element_located((By.ID, "username"))).send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(lambda d: "/login" not in d.current_url)


def chart_states(driver) -> list[dict]:
    """One entry per chart on the dashboard: rendered?, loading?, error?, no data?, text."""
    return driver.execute_script(
        """
        const charts = Array.from(document.querySelectorAll(arguments[0]));
        return charts.map(h => ({
          title: h.getAttribute('data-test-chart-name') || '',
          viz: h.getAttribute('data-test-viz-type') || '',
          rendered: !!h.querySelector('canvas, svg.chart, table, .echarts-for-react svg'),
          canvas: h.querySelectorAll('canvas').length,
          rows: h.querySelectorAll('tbody tr').length,
          loading: !!h.querySelector('.loading, [data-test="loading-indicator"]'),
          error: arguments[1].some(s => !!h.querySelector(s)),
          text: h.innerText,
        }));
        """,
        CHART,
        list(ERROR_SELECTORS),
    )


def wait_for_charts(driver, expected: int, timeout: float = 90) -> list[dict]:
    """Wait until ``expected`` charts are rendered (or show an error/no data), then settle."""
    deadline = time.monotonic() + timeout
    states: list[dict] = []
    while time.monotonic() < deadline:
        states = chart_states(driver)
        done = [
            s
            for s in states
            if not s["loading"]
            and (s["rendered"] or s["error"] or any(t in s["text"] for t in NO_DATA_TEXTS))
        ]
        if len(states) >= expected and len(done) == len(states):
            time.sleep(1.5)  # let animations finish before a screenshot
            return chart_states(driver)
        time.sleep(0.5)
    raise TimeoutError(f"charts not rendered after {timeout} s: {states}")
