"""Shared fixtures: a real Streamlit server on a free loopback port and a headless Chromium page.

Browser tests are required in CI: they skip only when no Chromium exists and the CI variable is unset, and
then they say so.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import torch

# One thread, as the app runs (playground.ui): on 2 cores, intra-op threads only slow these small networks down.
torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_streamlit(port: int, script: str = "app.py", extra: list[str] | None = None) -> subprocess.Popen:
    """`streamlit run` on 127.0.0.1:port from the repo root; returns once /_stcore/health answers."""
    command = [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", *(extra or [])]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
        if process.poll() is not None:
            break
    process.kill()
    output = process.stdout.read().decode(errors="replace") if process.stdout else ""
    raise RuntimeError(f"streamlit did not start:\n{output[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def app_url():
    port = free_port()
    process = start_streamlit(port)
    yield f"http://127.0.0.1:{port}"
    stop(process)


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but no Chromium at {CHROMIUM}: browser tests are required in CI.")
        pytest.skip(f"SKIPPED browser test: no Chromium at {CHROMIUM} (install Debian's `chromium`).")


@pytest.fixture(scope="session")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


BROWSER_TIMEOUT_MS = 90_000  # a loaded 2-core CI machine runs the server, the browser and the tests at once


def new_context(browser, **options):
    """A browser context (one student: own cookies, own session) with timeouts sized for a busy machine."""
    context = browser.new_context(**options)
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    context.set_default_navigation_timeout(BROWSER_TIMEOUT_MS)
    return context


@pytest.fixture
def page(browser):
    context = new_context(browser, viewport={"width": 1600, "height": 1000})
    tab = context.new_page()
    yield tab
    context.close()


def wait_for_app(tab, timeout: float = 60_000) -> None:
    """Wait until the app is connected and its script has finished running."""
    tab.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=timeout)
    tab.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)


def screenshot(tab, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(autouse=True)
def fresh_streamlit_caches():
    """AppTests in one process share st.cache_resource (the session's live runs): start each test clean."""
    import streamlit as st

    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


# --- reading plotly charts out of AppTest -----------------------------------------------------------------------

def chart(app, key: str) -> dict:
    """The plotly spec of the chart whose element id contains `key` (AppTest has no typed accessor)."""
    import json

    for element in app.get("plotly_chart"):
        if element.proto.id and key in element.proto.id:
            return json.loads(element.proto.spec)
    raise AssertionError(f"no chart with key {key}")


def decode(values):
    """Plotly 7 sends numpy arrays as {dtype, bdata, shape}; lists stay lists. Returns a float array."""
    import base64

    import numpy as np

    if isinstance(values, dict):
        array = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"])).astype(float)
        return array.reshape([int(n) for n in values["shape"].split(",")]) if "shape" in values else array
    return np.asarray(values, dtype=float)


def series(trace: dict, axis: str):
    """One axis of a trace as a float array."""
    return decode(trace[axis])
