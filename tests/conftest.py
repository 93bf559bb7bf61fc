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
import tempfile
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


def start_streamlit(port: int, script: str = "app.py", extra: list[str] | None = None, *,
                    root: Path = ROOT) -> subprocess.Popen:
    """`streamlit run` on 127.0.0.1:port from the repo root (or another checkout's `root`); returns once
    /_stcore/health answers.

    The server's output goes to a log file, never to an unread pipe: once a pipe's 64 KiB buffer fills, the
    server blocks in its next log write and stops answering page loads. (Page loads on the long-lived shared
    server hung twice in CI while it wrote to such a pipe; that this was the cause is not proven.)
    `process.log_path` names the file; failures quote its tail.
    """
    command = [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", *(extra or [])]
    with tempfile.NamedTemporaryFile("wb", prefix=f"streamlit-{port}-", suffix=".log", delete=False) as log:
        process = subprocess.Popen(command, cwd=root, stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
    process.log_path = Path(log.name)  # the child keeps its own descriptor open
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
    process.wait(10)
    output = server_log(process)
    process.log_path.unlink(missing_ok=True)
    raise RuntimeError(f"streamlit did not start:\n{output}")


def server_log(process: subprocess.Popen, chars: int = 3000) -> str:
    """The last `chars` characters the server wrote."""
    try:
        return process.log_path.read_text(errors="replace")[-chars:]
    except OSError as error:
        return f"(no server log: {error})"


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
    process.log_path.unlink(missing_ok=True)


_SHARED_SERVER: list[subprocess.Popen] = []


@pytest.fixture(scope="session")
def app_url():
    port = free_port()
    process = start_streamlit(port)
    _SHARED_SERVER.append(process)
    yield f"http://127.0.0.1:{port}"
    _SHARED_SERVER.remove(process)
    stop(process)


@pytest.fixture
def own_server():
    """A Streamlit server for this test alone, as (base URL, process): for a test that measures the server's CPU
    time, or that must not depend on what the long-lived shared server has served before."""
    port = free_port()
    process = start_streamlit(port)
    yield f"http://127.0.0.1:{port}", process
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
    tab.pending_requests = track_requests(tab)
    yield tab
    context.close()


def track_requests(tab) -> dict:
    """Requests the tab started and has not finished (url → seconds since start), for failure reports."""
    pending: dict = {}
    tab.on("request", lambda request: pending.__setitem__(request, time.monotonic()))
    tab.on("requestfinished", lambda request: pending.pop(request, None))
    tab.on("requestfailed", lambda request: pending.pop(request, None))
    return pending


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """When a browser test fails, say what the browser was still waiting for and what the server logged."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    tab = item.funcargs.get("page")
    if tab is not None and getattr(tab, "pending_requests", None) is not None:
        now = time.monotonic()
        lines = [f"{now - started:6.1f} s  {request.method} {request.url}"
                 for request, started in list(tab.pending_requests.items())]
        report.sections.append(("browser: unfinished requests", "\n".join(lines) or "(none)"))
    servers = [("own server", item.funcargs["own_server"][1])] if "own_server" in item.funcargs else []
    if "app_url" in item.funcargs and _SHARED_SERVER:
        servers.append(("shared server", _SHARED_SERVER[-1]))
    for name, server in servers:
        state = "running" if server.poll() is None else f"exited with {server.returncode}"
        report.sections.append((f"{name} ({state}): last log lines", server_log(server)))


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
    for element in app.get("bidi_component"):  # ui.chart / ui.live_charts: the figures travel as JSON strings
        if element.proto.id and key in element.proto.id and element.proto.json:
            figures = json.loads(element.proto.json)["figures"]
            return json.loads(figures[0])
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
