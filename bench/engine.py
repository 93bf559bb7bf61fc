"""Trainer.train against a bare PyTorch loop on deep copies of the same networks (same batch, same loss, Adam).

Prints steps/s of both, measured alternately in one run, and their ratio (median of several rounds).
Usage: python bench/engine.py [--rounds 7] [--steps 400] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from playground.training import Trainer, TrainingConfig  # noqa: E402


def bare_loop(trainer: Trainer, steps: int) -> float:
    """The same GAN step written the plain way: no metrics, no history, no checks."""
    generator, critic = copy.deepcopy(trainer.generator), copy.deepcopy(trainer.critic)
    config = trainer.config
    generator_optimizer = torch.optim.Adam(generator.parameters(), lr=config.generator_lr,
                                           betas=(config.beta1, config.beta2))
    critic_optimizer = torch.optim.Adam(critic.parameters(), lr=config.critic_lr, betas=(config.beta1, config.beta2))
    rng = torch.Generator(device=trainer.device).manual_seed(1)
    dataset, batch, latent = trainer.dataset, config.batch_size, config.latent_size
    synchronize(trainer.device)
    started = time.perf_counter()
    for _ in range(steps):
        real = dataset.sample(batch, rng)
        with torch.no_grad():
            fake = generator(torch.randn(batch, latent, generator=rng, device=trainer.device))
        critic_loss = F.softplus(-critic(real)).mean() + F.softplus(critic(fake)).mean()
        critic_optimizer.zero_grad(set_to_none=True)
        critic_loss.backward()
        critic_optimizer.step()
        fake = generator(torch.randn(batch, latent, generator=rng, device=trainer.device))
        generator_loss = F.softplus(-critic(fake)).mean()
        generator_optimizer.zero_grad(set_to_none=True)
        generator_loss.backward()
        generator_optimizer.step()
    synchronize(trainer.device)
    return steps / (time.perf_counter() - started)


def trainer_loop(trainer: Trainer, steps: int) -> float:
    synchronize(trainer.device)
    started = time.perf_counter()
    trainer.train(steps)
    synchronize(trainer.device)
    return steps / (time.perf_counter() - started)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = TrainingConfig(device=args.device)  # the default: non-saturating, 2×128 ReLU, batch 256, Adam
    trainer = Trainer(config)
    trainer.train(50)  # warm up both paths
    bare_loop(trainer, 50)
    ours, bare = [], []
    for _ in range(args.rounds):
        bare.append(bare_loop(trainer, args.steps))
        ours.append(trainer_loop(trainer, args.steps))
    ratios = [o / b for o, b in zip(ours, bare, strict=True)]
    print(f"device {trainer.device}, threads {torch.get_num_threads()}, batch {config.batch_size}, "
          f"{args.rounds} rounds × {args.steps} steps")
    for label, values in (("bare PyTorch loop", bare), ("Trainer.train    ", ours)):
        every = ", ".join(f"{v:.0f}" for v in values)
        print(f"{label} : median {statistics.median(values):7.1f} steps/s  (all: {every})")
    print(f"ratio Trainer/bare: median {statistics.median(ratios):.3f}  (min {min(ratios):.3f}, max {max(ratios):.3f})")


if __name__ == "__main__":
    main()
