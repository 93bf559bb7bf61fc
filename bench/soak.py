"""A long lecture: one tab plays the mode-collapse page for N minutes; the server's memory (RSS) is sampled
every few seconds. Histories are downsampled and snapshots bounded, so memory must stay flat.

Usage: python bench/soak.py [--minutes 10] [--every 15]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_streamlit, stop  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--every", type=float, default=15)
    parser.add_argument("--page", default="Mode_collapse")
    args = parser.parse_args()
    port = free_port()
    server = start_streamlit(port)
    samples: list[tuple[float, float, int]] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/{args.page}")
            page.wait_for_selector(".gp-live-cell .main-svg", timeout=90_000)
            page.get_by_role("button", name="Play").click()
            started = time.monotonic()
            while time.monotonic() - started < args.minutes * 60:
                page.wait_for_timeout(args.every * 1000)
                text = page.get_by_text(re.compile(r"^Step [\d,]+")).first.inner_text()
                step = int(re.search(r"Step ([\d,]+)", text).group(1).replace(",", ""))
                samples.append((time.monotonic() - started, rss_mib(server.pid), step))
                print(f"{samples[-1][0]:6.0f} s  RSS {samples[-1][1]:7.1f} MiB  step {step:,}", flush=True)
            errors = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']").count()
            browser.close()
    finally:
        stop(server)
    first_minute = [rss for t, rss, _ in samples if t <= 90]
    last_minute = [rss for t, rss, _ in samples if t >= samples[-1][0] - 90]
    print(f"soak {args.minutes:.0f} min: RSS after ~1 min {sum(first_minute) / len(first_minute):.1f} MiB, "
          f"at the end {sum(last_minute) / len(last_minute):.1f} MiB, peak {max(r for _, r, _ in samples):.1f} MiB; "
          f"{samples[-1][2]:,} steps; error boxes on the page: {errors}")


if __name__ == "__main__":
    main()
