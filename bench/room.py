"""A room full of students, on loopback: T headless-Chromium tabs play the mode-collapse page at once, against
one Streamlit process or N replicas behind nginx (deploy/serve.sh). Prints each tab's chart updates/s and
training steps/s, and which replica served it.

Usage: python bench/room.py --tabs 8 --replicas 2 [--seconds 20]      (replicas 0: one plain streamlit process)
Needs Debian's chromium and, for replicas ≥ 1, nginx.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_streamlit, stop  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402


def start_replicas(replicas: int, port: int) -> subprocess.Popen:
    base = free_port()
    env = {**os.environ, "REPLICAS": str(replicas), "PORT": str(port), "BASE_PORT": str(base),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    process = subprocess.Popen(["bash", "deploy/serve.sh"], cwd=ROOT, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1):
                return process
        except OSError:
            time.sleep(0.5)
    os.killpg(process.pid, 15)
    raise RuntimeError("replicas did not start")


def counters(tab) -> tuple[int, int]:
    text = tab.get_by_text(re.compile(r"^Step [\d,]+")).first.inner_text()
    step = int(re.search(r"Step ([\d,]+)", text).group(1).replace(",", ""))
    return step, int(tab.locator(".gp-live-cell").first.get_attribute("data-frames") or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tabs", type=int, default=8)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    port = free_port()
    server = start_replicas(args.replicas, port) if args.replicas else start_streamlit(port)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            tabs = []
            for _ in range(args.tabs):  # one browser context per student: its own cookies, its own session
                tab = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
                tab.goto(f"http://127.0.0.1:{port}/Mode_collapse")
                tab.wait_for_selector(".gp-live-cell .main-svg", timeout=120_000)
                tab.get_by_role("button", name="Play").click()
                tabs.append(tab)
            time.sleep(5)
            before = [counters(tab) for tab in tabs]
            started = time.monotonic()
            time.sleep(args.seconds)
            elapsed = time.monotonic() - started
            after = [counters(tab) for tab in tabs]
            cookies = [tab.context.cookies() for tab in tabs]
            errors = sum(tab.locator("[data-testid='stException']").count() for tab in tabs)
            browser.close()
    finally:
        if args.replicas:
            os.killpg(server.pid, 15)
        else:
            stop(server)
    rates = [((s1 - s0) / elapsed, (f1 - f0) / elapsed) for (s0, f0), (s1, f1) in zip(before, after, strict=True)]
    setup = f"{args.replicas} replicas behind nginx" if args.replicas else "one streamlit process"
    print(f"{args.tabs} tabs, {setup}, {args.seconds:.0f} s, this machine ({os.cpu_count()} cores)")
    for index, ((steps, frames), jar) in enumerate(zip(rates, cookies, strict=True)):
        xsrf = next((c["value"][:8] for c in jar if c["name"] == "_streamlit_xsrf"), "-")
        print(f"tab {index + 1}: {frames:5.1f} chart updates/s · {steps:6.1f} steps/s · xsrf cookie {xsrf}")
    print(f"median per tab: {statistics.median(f for _, f in rates):.1f} updates/s, "
          f"{statistics.median(s for s, _ in rates):.0f} steps/s; slowest tab {min(f for _, f in rates):.1f} "
          f"updates/s; all tabs together {sum(s for s, _ in rates):.0f} steps/s; exceptions shown: {errors}")


if __name__ == "__main__":
    main()
