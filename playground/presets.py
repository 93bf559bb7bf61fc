"""Presets: small, named sets of `TrainingConfig` overrides, each showing one fact of the lecture, and the
teaching guarantees that pin the facts (checked over several seeds by tests/test_presets.py and
bench/calibrate_presets.py). Keys of `PRESETS` are URL ids: never rename them."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from playground import settings
from playground.training import Trainer, TrainingConfig


@dataclass(frozen=True)
class Preset(settings.Preset):
    """A Mode-collapse starting point: the `TrainingConfig` fields it changes (see `settings.Preset`), and for a
    preset whose point takes a long wait, a shipped run file (`checkpoint`, under CHECKPOINT_DIR) trained for
    `checkpoint_steps` steps by tools/make_checkpoints.py, that "Start trained" loads."""

    checkpoint: str | None = None
    checkpoint_steps: int = 0

    def config(self, **changes: Any) -> TrainingConfig:
        """The defaults with this preset's overrides, then `changes` (e.g. seed=3), applied."""
        return self.settings(TrainingConfig, **changes)


# Metz et al.'s (2016) toy setting, sped up: a one-hidden-layer critic and a 64-d latent (they used 256), Adam
# 1e-3 with β₁ = 0.5 (they used 1e-4: ten times slower). With this critic a plain GAN hops from mode to mode
# (≤ 3 modes at step 1,000 on 40 of 40 seeds, mostly 0-1); with the default two-layer critic it usually covers
# all 8 modes (shared/FACTS.md), so the shallow critic is what makes the collapse reliable. The collapse is a
# phase, not an end state: Trainer seeds 0-5 spread over 5-8 modes between steps 5,000 and 12,500, and 12-14 of
# 16 ensemble seeds do by step 11,000. A slower critic (lr 1e-4) kept all 16 collapsed for
# 16,000 steps, but then unrolling cured only 1 of 6 seeds; a faster one (3e-3) spread sooner.
COLLAPSING_GAME: dict[str, Any] = {
    "objective": "non_saturating",
    "latent_size": 64,
    "critic_depth": 1,
    "batch_size": 128,     # half the default: faster, and the collapse is no weaker
}

CHECKPOINT_DIR = Path(__file__).parent / "checkpoints"

UNROLLED_STEPS = 10  # Metz et al. unrolled 5-10; with 5, 2 of 100 seeds stayed collapsed here, with 10 none

# A critic trained 5 steps per G step against the original minimax loss: D(G(z)) → 0 and with it G's gradient.
# G uses SGD because Adam divides by the gradient's running size and so hides the vanishing.
SATURATING_GAME: dict[str, Any] = {
    "objective": "minimax",
    "critic_steps": 5,
    "generator_optimizer": "sgd",
    "generator_lr": 0.01,
}

# WGAN-GP as in Gulrajani et al.'s gan_toy.py: λ = 0.1 (the paper's λ = 10 covers the modes slowly here),
# 5 critic steps, Adam 1e-4 with β = (0.5, 0.9).
WGAN_GP_GAME: dict[str, Any] = {
    "objective": "wgan_gp",
    "critic_steps": 5,
    "generator_lr": 1e-4,
    "critic_lr": 1e-4,
    "beta1": 0.5,
    "beta2": 0.9,
    "gp_weight": 0.1,
}

PRESETS: dict[str, Preset] = {  # keys are URL ids: never rename
    "mode_collapse": Preset(
        "Mode collapse (vanilla GAN)",
        "A non-saturating GAN with a one-hidden-layer critic (Metz et al.'s toy): G's samples bunch into one "
        "blob that hops from mode to mode. A phase, not an end: most seeds spread out after 5,000–12,000 steps.",
        dict(COLLAPSING_GAME),
    ),
    "unrolled": Preset(
        "Unrolled GAN",
        f"Identical to Mode collapse except that G looks {UNROLLED_STEPS} critic updates ahead and "
        "differentiates through them (Metz et al. 2016): the blob spreads over all 8 modes.",
        {**COLLAPSING_GAME, "unrolled_steps": UNROLLED_STEPS},
    ),
    "wgan": Preset(
        "WGAN, weight clipping",
        "The WGAN paper's recipe: RMSprop 5e-5, clipping c = 0.01, 5 critic steps. Slow but steady; the "
        "clipped critic can only draw simple, nearly linear slopes.",
        {"objective": "wgan", "generator_optimizer": "rmsprop", "critic_optimizer": "rmsprop",
         "generator_lr": 5e-5, "critic_lr": 5e-5, "clip_value": 0.01, "critic_steps": 5},
    ),
    "wgan_gp": Preset(
        "WGAN-GP",
        "Gradient penalty λ = 0.1 (the authors' toy script), 5 critic steps, Adam 1e-4 with β = (0.5, 0.9): "
        "the samples spread over all 8 modes within about a thousand steps.",
        dict(WGAN_GP_GAME), checkpoint="wgan_gp_8_gaussians.gganrun", checkpoint_steps=2000,
    ),
    "minimax_saturates": Preset(
        "Minimax saturates",
        "The original minimax loss against a critic trained 5 steps per G step, G on SGD: D(G(z)) falls to "
        "~1e-6, G's gradient vanishes with it and G freezes.",
        dict(SATURATING_GAME),
    ),
    "instance_noise": Preset(
        "Instance noise",
        "Minimax saturates plus Gaussian noise σ = 0.3 (annealed to 0 over 10,000 steps) on real and fake "
        "points: the blurred supports overlap, D(G(z)) stays near 0.4 and G's gradient stays alive.",
        {**SATURATING_GAME, "instance_noise": 0.3, "noise_anneal_steps": 10000},
    ),
    "twenty_five_gaussians": Preset(
        "WGAN-GP on 25 Gaussians",
        "WGAN-GP on the 5×5 grid of Gulrajani et al., with Adam 1e-3 (ten times the paper's, to fit a "
        "lecture): most of the 25 modes within a few thousand steps.",
        {**WGAN_GP_GAME, "dataset": "twenty_five_gaussians", "generator_lr": 1e-3, "critic_lr": 1e-3},
        checkpoint="wgan_gp_25_gaussians.gganrun", checkpoint_steps=3000,
    ),
    "swiss_roll": Preset(
        "WGAN-GP on the swiss roll",
        "The WGAN-GP preset on a curve instead of blobs; coverage counts 24 anchors along the roll.",
        {**WGAN_GP_GAME, "dataset": "swiss_roll"},
    ),
}


def preset_config(preset_id: str, **changes: Any) -> TrainingConfig:
    """The TrainingConfig of `PRESETS[preset_id]`, with `changes` (e.g. seed=3) applied on top."""
    if preset_id not in PRESETS:
        raise KeyError(f"unknown preset {preset_id!r}; presets are {', '.join(PRESETS)}")
    return PRESETS[preset_id].config(**changes)


# --- teaching guarantees ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Guarantee:
    """A lecture claim about a preset, read off the trainer's mode coverage (VEEGAN's definitions, 2,500
    samples, 3 std): at some coverage checkpoint with first_step ≤ step ≤ last_step, the modes captured are
    at most `at_most` (collapse) or at least `at_least` (coverage). It must hold for `seeds_needed` of
    `seeds` seeds."""

    preset: str
    dataset: str
    first_step: int
    last_step: int
    at_most: int | None = None
    at_least: int | None = None
    seeds_needed: int = 5
    seeds: int = 5

    def holds_at(self, step: int, modes_captured: int) -> bool:
        """Does this one checkpoint satisfy the claim?"""
        if not self.first_step <= step <= self.last_step:
            return False
        if self.at_most is not None and modes_captured > self.at_most:
            return False
        return self.at_least is None or modes_captured >= self.at_least

    def holds(self, checkpoints: list[tuple[int, int]]) -> bool:
        """Does the claim hold for a run whose coverage checkpoints are (step, modes captured) pairs?"""
        return any(self.holds_at(step, modes) for step, modes in checkpoints)

    def describe(self) -> str:
        bound = f"≤ {self.at_most}" if self.at_most is not None else f"≥ {self.at_least}"
        return (f"{self.preset}: {bound} modes at some checkpoint in steps {self.first_step:,}–{self.last_step:,}, "
                f"for {self.seeds_needed} of {self.seeds} seeds")


GUARANTEES: dict[str, Guarantee] = {  # the floors of issue 4 (the mode-collapse lab)
    "mode_collapse": Guarantee("mode_collapse", "eight_gaussians", 1000, 5000, at_most=3, seeds_needed=4),
    # Step 0 (the untrained generator) does not count towards the two coverage claims.
    "unrolled": Guarantee("unrolled", "eight_gaussians", 1, 5000, at_least=6, seeds_needed=4),
    "wgan_gp": Guarantee("wgan_gp", "eight_gaussians", 1, 2000, at_least=7, seeds_needed=5),
}


def check_guarantee(guarantee: Guarantee, seed: int, stop_early: bool = True, **changes: Any
                    ) -> tuple[bool, list[tuple[int, int]]]:
    """Train the guarantee's preset with `seed` (and any config `changes`, for calibration) up to its last
    step and read the coverage checkpoints.

    With `stop_early` training stops at the first checkpoint that satisfies the claim (what a test needs);
    without it, the whole run is recorded (what calibration reports). Returns (holds, [(step, modes)]).
    """
    config = preset_config(guarantee.preset, **{"dataset": guarantee.dataset, **changes, "seed": seed})
    trainer = Trainer(config)
    every = trainer.config.coverage_every
    while trainer.step < guarantee.last_step and trainer.diverged is None:
        trainer.train(min(every - trainer.step % every, guarantee.last_step - trainer.step))
        if stop_early and guarantee.holds(_checkpoints(trainer)):
            break
    checkpoints = _checkpoints(trainer)
    return guarantee.holds(checkpoints), checkpoints


def _checkpoints(trainer: Trainer) -> list[tuple[int, int]]:
    return [(int(step), int(modes)) for step, modes, _, _ in trainer.coverage_history]


def check_guarantee_over_seeds(guarantee: Guarantee, seeds: list[int] | range, processes: int = 2,
                               stop_early: bool = True) -> list[tuple[bool, list[tuple[int, int]]]]:
    """`check_guarantee` for each seed, `processes` seeds side by side (fresh processes, one thread each:
    on a small machine more threads only slow the tiny networks down)."""
    context = multiprocessing.get_context("spawn")  # fork after torch has run threads can deadlock
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        jobs = [pool.submit(_check_on_one_thread, guarantee, seed, stop_early) for seed in seeds]
        return [job.result() for job in jobs]


def _check_on_one_thread(guarantee: Guarantee, seed: int, stop_early: bool) -> tuple[bool, list[tuple[int, int]]]:
    torch.set_num_threads(1)
    return check_guarantee(guarantee, seed, stop_early)
