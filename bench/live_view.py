"""The live view in headless Chromium: main-chart redraws per second, training steps per second while watching,
against Trainer.train's raw speed measured in the same run, the first-chart latency on a warm server and the
websocket payload per frame.

Usage: python bench/live_view.py [--seconds 20] [--rounds 3] [--page Mode_collapse]
Needs Debian's chromium. Prints medians over rounds and every round's figures.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import torch  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_streamlit, stop  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from playground.presets import preset_config  # noqa: E402
from playground.training import Trainer, TrainingConfig  # noqa: E402


def raw_steps_per_second(config: TrainingConfig, seconds: float = 4.0) -> float:
    torch.set_num_threads(1)
    trainer = Trainer(config)
    trainer.train(30)
    started, steps = time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        trainer.train(50)
        steps += 50
    return steps / (time.perf_counter() - started)


def read_step(page) -> int:
    text = page.get_by_text(re.compile(r"^Step [\d,]+")).first.inner_text()
    return int(re.search(r"Step ([\d,]+)", text).group(1).replace(",", ""))


def main_chart_frames(page) -> int:
    return int(page.locator(".gp-live-cell").first.get_attribute("data-frames") or 0)


def one_round(browser, url: str, seconds: float) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    received: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(len(payload))))
    opened = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(".gp-live-cell[data-drawn]", state="attached", timeout=60_000)  # drawn
    first_chart = time.perf_counter() - opened
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
    page.get_by_role("button", name="Play").click()
    page.wait_for_timeout(3000)  # warm-up: thread started, plotly compiled its paths
    frames0, steps0, bytes0, count0 = main_chart_frames(page), read_step(page), sum(received), len(received)
    started = time.perf_counter()
    page.wait_for_timeout(seconds * 1000)
    elapsed = time.perf_counter() - started
    frames1, steps1 = main_chart_frames(page), read_step(page)
    messages = len(received) - count0
    payload = (sum(received) - bytes0) / max(1, frames1 - frames0)
    page.get_by_role("button", name="Pause").click()
    context.close()
    return {"first_chart_s": first_chart, "frames_per_s": (frames1 - frames0) / elapsed,
            "steps_per_s": (steps1 - steps0) / elapsed, "kib_per_frame": payload / 1024,
            "messages_per_s": messages / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--page", default="Mode_collapse")
    args = parser.parse_args()
    port = free_port()
    server = start_streamlit(port)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            warm = browser.new_page()
            warm.goto(f"http://127.0.0.1:{port}/{args.page}")  # warm the server: imports, plotly.js cached
            warm.wait_for_selector(".gp-live-cell .main-svg", timeout=90_000)
            warm.close()
            rows = []
            raws = []
            for _ in range(args.rounds):
                raws.append(raw_steps_per_second(preset_config("mode_collapse")))  # the page's default preset
                rows.append(one_round(browser, f"http://127.0.0.1:{port}/{args.page}", args.seconds))
            browser.close()
    finally:
        stop(server)
    print(f"page /{args.page}, {args.rounds} rounds × {args.seconds:.0f} s, chromium headless, server on this machine")
    for index, (row, raw) in enumerate(zip(rows, raws, strict=True)):
        print(f"round {index + 1}: first chart {row['first_chart_s']:.2f} s · main chart {row['frames_per_s']:.1f} "
              f"updates/s · training {row['steps_per_s']:.0f} steps/s (raw Trainer.train {raw:.0f}) · "
              f"{row['kib_per_frame']:.1f} KiB/frame · {row['messages_per_s']:.1f} ws messages/s")
    median = {key: statistics.median(r[key] for r in rows) for key in rows[0]}
    ratio = statistics.median(r["steps_per_s"] / raw for r, raw in zip(rows, raws, strict=True))
    print(f"median: first chart {median['first_chart_s']:.2f} s · main chart {median['frames_per_s']:.1f} updates/s · "
          f"training while watching / raw = {ratio:.2f} · {median['kib_per_frame']:.1f} KiB/frame")


if __name__ == "__main__":
    main()
