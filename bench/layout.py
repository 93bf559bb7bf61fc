"""Where each page's main chart sits on the screen: a projector (1920×1080, ?lecture=1) and a laptop (1366×768).

For every page: open it in a fresh tab, press Play where there is one, wait for the first live chart, and print
the main chart's bounding box (the first chart of the page, its figure and its plot area) and whether its bottom
edge is within the first screen. Screenshots of the first screen go to --shots (one per page and size), to look at
as a lecturer would.

Usage: python bench/layout.py [--pages Mode_collapse,WGAN_and_clipping] [--shots /tmp/layout_shots] [--root DIR]
(--root: serve another checkout, e.g. `git archive main | tar -x -C /tmp/before`, to measure before and after.)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_streamlit, stop  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from playground.ui import PAGES  # noqa: E402

SIZES = {"projector": (1920, 1080, "?lecture=1"), "laptop": (1366, 768, "")}
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
# The page's main chart: the first drawn cell of a live-chart grid in the main column (the hidden preload component
# holds no cell). Its figure box, and the box of its main plot area (plotly's drag layer over the x-y axes).
MAIN_CHART = """() => {
  const cell = [...document.querySelectorAll('[data-testid=stMain] .gp-live-cell')]
    .find(c => c.querySelector('.main-svg'));
  if (!cell) return null;
  const box = (e) => { const r = e.getBoundingClientRect();
    return {x: Math.round(r.x), y: Math.round(r.y), width: Math.round(r.width), height: Math.round(r.height)}; };
  const plot = cell.querySelector('.nsewdrag');
  return {figure: box(cell), plot: plot ? box(plot) : null};
}"""


def measure(browser, url: str, width: int, height: int, shot: Path | None) -> dict | None:
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(90_000)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(IDLE)
    page.wait_for_function(f"() => ({MAIN_CHART})() !== null")
    page.wait_for_timeout(1000)
    page.wait_for_selector(IDLE)
    play = page.locator("[data-testid=stMain] button", has_text="Play")
    played = play.count() > 0
    if played:
        play.first.click()
        page.wait_for_timeout(3000)  # a few frames, and the secondary charts' first redraw
    else:
        page.wait_for_timeout(1500)
    # Play scrolls its section into view; the first screen is what the bench measures (Streamlit scrolls a
    # container of its own, not the window)
    page.evaluate("() => document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; })")
    page.wait_for_timeout(300)
    boxes = page.evaluate(MAIN_CHART)
    if shot is not None:
        page.screenshot(path=str(shot))
    context.close()
    return boxes and {**boxes, "played": played}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", default="", help="comma-separated URL paths; default: every page")
    parser.add_argument("--shots", type=Path, default=Path("/tmp/layout_shots"))
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve (default: this one)")
    args = parser.parse_args()
    pages = [Path(file).stem.split("_", 1)[1] for file in PAGES if (ROOT / file).exists()]
    chosen = [name for name in args.pages.split(",") if name] or pages
    args.shots.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = start_streamlit(port, root=args.root.resolve())
    print(f"{'page':<28} {'size':<10} {'figure x,y,w,h':<24} {'plot area x,y,w,h':<24} bottom in view")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name in chosen:
                for size, (width, height, query) in SIZES.items():
                    url = f"http://127.0.0.1:{port}/{name}{query}"
                    try:
                        boxes = measure(browser, url, width, height, args.shots / f"{name}.{size}.png")
                    except Exception as error:  # one page's failure must not hide the others' figures
                        print(f"{name:<28} {size:<10} failed: {type(error).__name__}: {str(error)[:80]}", flush=True)
                        continue
                    figure, plot = boxes["figure"], boxes["plot"] or boxes["figure"]
                    text = lambda b: f"{b['x']},{b['y']},{b['width']},{b['height']}"  # noqa: E731
                    inside = figure["y"] + figure["height"] <= height
                    print(f"{name:<28} {size:<10} {text(figure):<24} {text(plot):<24} "
                          f"{'yes' if inside else 'no'}{'' if boxes['played'] else ' (no Play)'}", flush=True)
            browser.close()
    finally:
        stop(server)


if __name__ == "__main__":
    main()
