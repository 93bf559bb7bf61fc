"""Calibrate the presets' teaching guarantees: run each preset over N seeds and print, per seed, the modes
captured at every coverage checkpoint, whether the guarantee holds, the pass counts and the wall time.

    /work/venv/bin/python bench/calibrate_presets.py --seeds 10 --processes 2
    /work/venv/bin/python bench/calibrate_presets.py --presets unrolled --seeds 10 --set unrolled_steps=3
    /work/venv/bin/python bench/calibrate_presets.py --presets instance_noise --steps 5000

Each run uses one thread (torch.set_num_threads(1)); --processes runs seeds side by side (at most 2 on a
shared 2-core machine). A preset without a guarantee is trained for --steps and only reported.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from playground.presets import GUARANTEES, PRESETS, Guarantee, check_guarantee  # noqa: E402
from playground.training import parse_config  # noqa: E402


def _one_thread() -> None:
    torch.set_num_threads(1)


def guarantee_for(preset_id: str, steps: int) -> Guarantee:
    """The preset's guarantee, or a report-only stand-in that trains for `steps` (it never 'holds')."""
    if preset_id in GUARANTEES:
        return GUARANTEES[preset_id]
    dataset = PRESETS[preset_id].config().dataset
    return Guarantee(preset_id, dataset, steps + 1, steps, at_least=10**9, seeds_needed=0)


def run_seed(preset_id: str, steps: int, seed: int, stop_early: bool, changes: dict) -> dict:
    started = time.perf_counter()
    holds, checkpoints = check_guarantee(guarantee_for(preset_id, steps), seed, stop_early, **changes)
    return {"preset": preset_id, "seed": seed, "holds": holds, "checkpoints": checkpoints,
            "seconds": time.perf_counter() - started}


def trajectory(checkpoints: list[tuple[int, int]]) -> str:
    """Modes captured at each checkpoint after step 0, in groups of 1,000 steps: '1101101111 0011...'."""
    digits, groups = "", []
    for step, modes in checkpoints[1:]:
        digits += str(modes)
        if step % 1000 == 0:
            groups.append(digits)
            digits = ""
    return " ".join(groups + ([digits] if digits else []))


def report(preset_id: str, results: list[dict], steps: int) -> None:
    guarantee = guarantee_for(preset_id, steps)
    known = preset_id in GUARANTEES
    print(f"\n== {preset_id}: " + (guarantee.describe() if known else f"report only, {steps:,} steps"))
    print("   modes captured every 100 steps, a space every 1,000 steps")
    for result in sorted(results, key=lambda r: r["seed"]):
        checkpoints = result["checkpoints"]
        window = [m for s, m in checkpoints if guarantee.first_step <= s <= guarantee.last_step] if known else []
        window = window or [m for _, m in checkpoints[1:]] or [-1]
        verdict = ("PASS" if result["holds"] else "FAIL") if known else "    "
        print(f"   seed {result['seed']:3d} {verdict} last step {checkpoints[-1][0]:5d} final {checkpoints[-1][1]} "
              f"window min {min(window)} max {max(window)} {result['seconds']:6.1f}s | {trajectory(checkpoints)}")
    if known:
        passed = sum(r["holds"] for r in results)
        print(f"   {passed}/{len(results)} seeds pass (the guarantee asks {guarantee.seeds_needed} of "
              f"{guarantee.seeds}); compute {sum(r['seconds'] for r in results):.0f}s")


def parse_changes(pairs: list[str]) -> dict:
    raw = dict(pair.split("=", 1) for pair in pairs)
    config, notices = parse_config(raw)
    if notices:
        raise SystemExit("; ".join(notices))
    return {name: getattr(config, name) for name in raw}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", default=",".join(GUARANTEES), help="comma-separated preset ids")
    parser.add_argument("--seeds", type=int, default=10, help="number of seeds")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--processes", type=int, default=2, help="seeds run side by side (one thread each)")
    parser.add_argument("--stop-early", action="store_true", help="stop a run once its guarantee holds (as tests do)")
    parser.add_argument("--steps", type=int, default=5000, help="steps for presets without a guarantee")
    parser.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE", help="config changes to try")
    args = parser.parse_args()
    presets = args.presets.split(",")
    unknown = [p for p in presets if p not in PRESETS]
    if unknown:
        raise SystemExit(f"unknown presets {unknown}; known: {list(PRESETS)}")
    changes = parse_changes(args.set)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    print(f"seeds {seeds.start}-{seeds.stop - 1}, {args.processes} processes, one thread each, "
          f"stop early: {args.stop_early}, changes: {changes or 'none'}")
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.processes, mp_context=context, initializer=_one_thread) as pool:
        for preset_id in presets:
            preset_started = time.perf_counter()
            jobs = [pool.submit(run_seed, preset_id, args.steps, seed, args.stop_early, changes) for seed in seeds]
            report(preset_id, [job.result() for job in jobs], args.steps)
            print(f"   wall {time.perf_counter() - preset_started:.0f}s")
    print(f"\ntotal wall {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
