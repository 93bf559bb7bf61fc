"""Which backward pays in `Ensemble`'s batched layers: CPU time per step (one thread, `time.thread_time`, so that
other processes on a shared machine count less) of three otherwise identical 16-seed ensembles, run alternately:

  current             `BatchedLinear`'s backward for the losses, autograd's own inside the gradient penalty
  custom everywhere   `BatchedLinear`'s (differentiable) backward inside the penalty too
  autograd everywhere autograd's baddbmm backward in every layer

Printed: the median ms per step of all 16 seeds, and each variant's median speed relative to `current` (> 1: faster).

Usage: python bench/ensemble_backward.py [--configs mode_collapse,default,wgan_gp] [--rounds 16] [--steps 10]
(a config is `default` or an id of playground.presets.PRESETS without unrolling)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from playground import ensemble as ensemble_module  # noqa: E402
from playground.presets import PRESETS  # noqa: E402
from playground.training import TrainingConfig  # noqa: E402

CUSTOM = ensemble_module.batched_linear


def autograd_linear(inputs, weight, bias, relu=False, *, custom_backward=True):
    return CUSTOM(inputs, weight, bias, relu, custom_backward=False)


def build(config: TrainingConfig, variant: str) -> ensemble_module.Ensemble:
    ensemble = ensemble_module.Ensemble(config, range(16))
    if variant == "custom everywhere":
        ensemble._penalty_critic = ensemble.critic
    return ensemble


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="mode_collapse,default,wgan_gp")
    parser.add_argument("--rounds", type=int, default=16)
    parser.add_argument("--steps", type=int, default=10, help="steps per variant per round")
    args = parser.parse_args()
    torch.set_num_threads(1)
    variants = ("current", "custom everywhere", "autograd everywhere")
    for name in args.configs.split(","):
        config = TrainingConfig() if name == "default" else PRESETS[name].config()
        runs = {variant: build(config, variant) for variant in variants}
        times: dict[str, list[float]] = {variant: [] for variant in variants}
        for round_index in range(args.rounds + 1):  # round 0 warms up
            for variant in variants if round_index % 2 == 0 else variants[::-1]:
                ensemble_module.batched_linear = autograd_linear if variant == "autograd everywhere" else CUSTOM
                started = time.thread_time()
                runs[variant].train(args.steps)
                if round_index:
                    times[variant].append(time.thread_time() - started)
        ensemble_module.batched_linear = CUSTOM
        print(f"[{name}: {config.objective}, D {config.critic_depth}×{config.critic_hidden_units}, "
              f"batch {config.batch_size}, {config.critic_steps} critic step(s); K = 16, 1 thread]")
        for variant in variants:
            speed = statistics.median(c / t for c, t in zip(times["current"], times[variant], strict=True))
            print(f"  {variant:<20}: {statistics.median(times[variant]) / args.steps * 1e3:7.2f} ms per step, "
                  f"speed {speed:.3f}× of current")


if __name__ == "__main__":
    main()
