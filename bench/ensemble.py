"""Ensemble.train (K seeds in one batched step) against K sequential Trainer.train calls, same config, same steps.

Both sides do the same work per member and step: `critic_steps` critic updates, one generator update, the metric
row, a finiteness check every 25 steps and a 2,500-sample coverage measurement every `coverage_every` steps. They
run alternately in one process (the order flips every round), so that a noisy, shared machine slows both alike;
the medians and the spread over rounds are printed, with the speed-up as time(sequential) / time(ensemble).

It also prints the ceiling that arithmetic sets: both sides compute the same matrix products (counted with torch's
FlopCounterMode on a round of the ensemble), and no batching makes a product cheaper than the rate this machine
reaches on the networks' widest product, [K, batch, width] × [K, width, width]. So time(sequential) divided by
the products' time at that rate bounds the speed-up any batched step could show here, whatever its overheads.

With --thin it first times, side by side, the backward of each layer that `Ensemble` runs as a thin layer (1 or 2
outputs, or 2 inputs whose gradient is wanted) as autograd lays it out for a plain baddbmm and as
`ensemble.BatchedLinear` lays it out.

Usage: python bench/ensemble.py [--members 16] [--steps 50] [--rounds 5] [--threads 1,2]
                                [--configs default,small,mode_collapse] [--device cpu|cuda] [--forward bmm|vmap]
                                [--thin]
(a config is `default`, `small` or any id of playground.presets.PRESETS without unrolling; mode_collapse is
the Many-seeds page's default)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from playground.ensemble import BatchedLinear, Ensemble  # noqa: E402
from playground.presets import PRESETS  # noqa: E402
from playground.training import Trainer, TrainingConfig  # noqa: E402

CONFIGS = {
    # The default TrainingConfig: non-saturating, 2×128 ReLU, batch 256, Adam 1e-3.
    "default": TrainingConfig(),
    # A smaller run (2×64, batch 128), where per-step Python overhead dominates a single Trainer.
    "small": TrainingConfig(generator_hidden_units=64, critic_hidden_units=64, batch_size=128),
}


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(action, device: torch.device) -> float:
    synchronize(device)
    started = time.perf_counter()
    action()
    synchronize(device)
    return time.perf_counter() - started


def compare(config: TrainingConfig, members: int, steps: int, rounds: int, forward: str) -> dict[str, list[float]]:
    """Seconds per round for K sequential Trainers and for one Ensemble, each advancing every member `steps`."""
    seeds = range(members)
    ensemble = Ensemble(config, seeds, forward=forward)
    trainers = [Trainer(replace(config, seed=seed)) for seed in seeds]
    device = ensemble.device

    def sequential() -> None:
        for trainer in trainers:
            trainer.train(steps)

    def batched() -> None:
        ensemble.train(steps)

    timed(lambda: [trainer.train(10) for trainer in trainers], device)  # warm up both paths
    timed(lambda: ensemble.train(10), device)
    times: dict[str, list[float]] = {"sequential": [], "ensemble": []}
    for round_index in range(rounds):
        order = ("sequential", "ensemble") if round_index % 2 == 0 else ("ensemble", "sequential")
        for name in order:
            times[name].append(timed(sequential if name == "sequential" else batched, device))
    diverged = [trainer.diverged for trainer in trainers if trainer.diverged] + [ensemble.diverged or ""]
    if any(diverged):
        print(f"  note: a run diverged during the benchmark: {[d for d in diverged if d][:1]}")
    return times


def product_flops(config: TrainingConfig, members: int, steps: int, forward: str) -> int:
    """Floating-point operations of the matrix products in one round of Ensemble.train (forward and backward)."""
    ensemble = Ensemble(config, range(members), forward=forward)
    with FlopCounterMode(display=False) as counter:
        ensemble.train(steps)
    return counter.get_total_flops()


def product_rate(config: TrainingConfig, members: int, device: torch.device, repeats: int = 50) -> float:
    """The best FLOP/s of the step's widest batched products, [K, rows, width] × [K, width, width] with rows =
    batch (a generator's batch) or 2·batch (the critic scores real and fake points together), on `device`. The
    step's other products are thinner and run slower on this CPU."""
    width = max(config.generator_hidden_units, config.critic_hidden_units)
    right = torch.randn(members, width, width, device=device)
    rates = []
    for rows in (config.batch_size, 2 * config.batch_size):
        left = torch.randn(members, rows, width, device=device)
        seconds = statistics.median(timed(lambda left=left: [torch.bmm(left, right) for _ in range(repeats)],
                                          device) / repeats for _ in range(5))
        rates.append(2 * members * rows * width * width / seconds)
    return max(rates)


def thin_layer_times(members: int, rows: int, inputs: int, outputs: int, input_grad: bool, device: torch.device,
                     repeats: int = 100) -> tuple[float, float]:
    """µs per forward + backward of one layer, autograd's plain baddbmm and BatchedLinear, alternating,
    median of 7 rounds each."""
    points = torch.randn(members, rows, inputs, device=device, requires_grad=input_grad)
    weight = torch.randn(members, outputs, inputs, device=device, requires_grad=True)
    bias = torch.randn(members, outputs, device=device, requires_grad=True)
    upstream = torch.randn(members, rows, outputs, device=device)
    wanted = [tensor for tensor in (points, weight, bias) if tensor.requires_grad]

    def plain() -> None:
        output = torch.baddbmm(bias.unsqueeze(1), points, weight.transpose(1, 2))
        torch.autograd.grad(output, wanted, upstream)

    def thin() -> None:
        torch.autograd.grad(BatchedLinear.apply(points, weight, bias, False), wanted, upstream)

    times: dict[str, list[float]] = {"plain": [], "thin": []}
    for round_index in range(7):
        for name, action in ((("plain", plain), ("thin", thin)) if round_index % 2 == 0
                             else (("thin", thin), ("plain", plain))):
            times[name].append(timed(lambda action=action: [action() for _ in range(repeats)], device)
                               / repeats * 1e6)
    return statistics.median(times["plain"]), statistics.median(times["thin"])


def thin_layers(config: TrainingConfig, members: int, device: torch.device) -> None:
    """Print `thin_layer_times` for each layer of `config`'s networks that Ensemble runs as a thin layer."""
    width = config.critic_hidden_units
    layers = (  # (what, rows, inputs, outputs, whether the layer's input needs a gradient)
        ("critic's first layer, generator step", config.batch_size, 2, width, True),
        ("critic's score layer, critic step", 2 * config.batch_size, width, 1, True),
        ("generator's output layer", config.batch_size, config.generator_hidden_units, 2, True),
    )
    print(f"thin layers (K = {members}; forward + backward, µs per call, median of 7):")
    for what, rows, inputs, outputs, input_grad in layers:
        autograd_us, thin_us = thin_layer_times(members, rows, inputs, outputs, input_grad, device)
        print(f"  {what:<38} [{members}, {rows}, {inputs}] → {outputs}: autograd {autograd_us:7.1f}  "
              f"BatchedLinear {thin_us:7.1f}  ({autograd_us / thin_us:.2f}×)")


def report(label: str, times: dict[str, list[float]], members: int, steps: int) -> float:
    work = members * steps  # member-steps per round, the same on both sides
    rates = {name: [work / seconds for seconds in values] for name, values in times.items()}
    ratios = [s / e for s, e in zip(times["sequential"], times["ensemble"], strict=True)]
    print(f"{label}")
    for name, title in (("sequential", f"{members} × Trainer.train"), ("ensemble", "Ensemble.train")):
        values = rates[name]
        print(f"  {title:<20}: median {statistics.median(values):8.1f} member-steps/s "
              f"(min {min(values):.1f}, max {max(values):.1f}; {statistics.median(times[name]) / steps * 1e3:.1f} "
              f"ms per step of all {members})")
    print(f"  speed-up           : median {statistics.median(ratios):.2f}×  (min {min(ratios):.2f}×, "
          f"max {max(ratios):.2f}×; rounds: {', '.join(f'{r:.2f}' for r in ratios)})")
    return statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=16)
    parser.add_argument("--steps", type=int, default=50, help="steps per member per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", default="1,2", help="comma-separated torch thread counts to measure")
    parser.add_argument("--configs", default="default,small,mode_collapse",
                        help=f"comma-separated, from {', '.join(CONFIGS)} or a preset id")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--forward", default="bmm", choices=("bmm", "vmap"))
    parser.add_argument("--thin", action="store_true", help="time the thin layers' backward first")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"torch {torch.__version__}, device {args.device}, {os.cpu_count()} CPUs, load average {load:.1f}; "
          f"K = {args.members}, {args.rounds} rounds × {args.steps} steps, forward {args.forward}")
    summary = []
    if args.thin:
        for threads in (int(value) for value in args.threads.split(",")):
            torch.set_num_threads(threads)
            print(f"{threads} thread{'s' if threads > 1 else ''}: ", end="")
            thin_layers(PRESETS["mode_collapse"].config(), args.members, torch.device(args.device))
    for threads in (int(value) for value in args.threads.split(",")):
        torch.set_num_threads(threads)
        for name in args.configs.split(","):
            config = replace(CONFIGS[name] if name in CONFIGS else PRESETS[name].config(), device=args.device)
            label = (f"[{name}: {config.objective}, G {config.generator_depth}×{config.generator_hidden_units}, "
                     f"D {config.critic_depth}×{config.critic_hidden_units}, batch {config.batch_size}, "
                     f"{config.critic_steps} critic step(s); {threads} thread{'s' if threads > 1 else ''}]")
            times = compare(config, args.members, args.steps, args.rounds, args.forward)
            speed_up = report(label, times, args.members, args.steps)
            flops = product_flops(config, args.members, args.steps, args.forward)
            rate = product_rate(config, args.members, torch.device(args.device))
            floor = flops / rate / args.steps
            ceiling = statistics.median(times["sequential"]) / args.steps / floor
            print(f"  ceiling            : {flops / args.steps / 1e9:.2f} GFLOP of matrix products per step of all "
                  f"{args.members}; at {rate / 1e9:.0f} GFLOP/s (the best rate of the step's widest products here) "
                  f"they take {floor * 1e3:.1f} ms, so no batched step can be more than {ceiling:.2f}× faster")
            summary.append((label, speed_up, ceiling))
    print("summary (median speed-up of Ensemble.train over sequential Trainer.train; the ceiling set by the matrix "
          "products):")
    for label, ratio, ceiling in summary:
        print(f"  {ratio:5.2f}× of at most {ceiling:5.2f}×  {label}")


if __name__ == "__main__":
    main()
