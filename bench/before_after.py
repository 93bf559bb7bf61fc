"""Two checkouts side by side: Trainer.train and Ensemble.train steps per CPU-second (time.thread_time, one torch
thread), alternating fresh processes, so that other load on the machine inflates neither side's figure much.

Usage: python bench/before_after.py OLD_CHECKOUT NEW_CHECKOUT [--rounds 3] [--steps 300]
Prints each round and the medians, and new ÷ old (above 1: the new checkout is faster).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

PROBE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import torch
torch.set_num_threads(1)
from playground.presets import PRESETS
from playground.training import Trainer
from playground.ensemble import Ensemble
steps = int(sys.argv[2])
config = PRESETS["mode_collapse"].config()
trainer = Trainer(config)
trainer.train(20)
started = time.thread_time(); trainer.train(steps); trainer_rate = steps / (time.thread_time() - started)
ensemble = Ensemble(config, range(16))
ensemble.train(5)
started = time.thread_time(); ensemble.train(steps // 6); ensemble_rate = (steps // 6) / (time.thread_time() - started)
print(json.dumps({"trainer": trainer_rate, "ensemble": ensemble_rate}))
"""


def probe(checkout: Path, steps: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", PROBE, str(checkout), str(steps)], capture_output=True, text=True,
                         check=True, cwd=checkout)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
    for round_index in range(args.rounds):
        for side, checkout in (("old", args.old), ("new", args.new)) if round_index % 2 == 0 else (
                ("new", args.new), ("old", args.old)):
            figures = probe(checkout.resolve(), args.steps)
            results[side].append(figures)
            print(f"round {round_index + 1} {side}: Trainer {figures['trainer']:.0f} steps/CPU-s, "
                  f"Ensemble(16) {figures['ensemble']:.1f} steps/CPU-s", flush=True)
    for metric in ("trainer", "ensemble"):
        old = statistics.median(r[metric] for r in results["old"])
        new = statistics.median(r[metric] for r in results["new"])
        print(f"{metric:9s}: old {old:8.1f}  new {new:8.1f}  new/old {new / old:.3f}")


if __name__ == "__main__":
    main()
