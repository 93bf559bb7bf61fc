"""Runs side by side: several trainers advanced in lockstep on the same data, with the exact W₁ (POT) of each
run's samples measured on one clock, for the Compare and WGAN pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np
import torch

from playground import checkpoint, transport
from playground.objectives import OBJECTIVES
from playground.training import Trainer, TrainingConfig

EVALUATE_EVERY = 100      # steps between exact-W₁ measurements (POT on 500 + 500 points: ~20 ms)
EVALUATION_POINTS = 500
MAX_RUNS = 8             # runs side by side that a saved comparison may hold
MAX_EVALUATIONS = 10**6  # exact-W₁ rows a saved comparison may claim per run


# Settings named in the titles when two runs' titles would otherwise read the same, most telling first.
DISTINGUISHING = {"critic_steps": "{} D steps", "generator_lr": "G lr {:g}", "critic_lr": "D lr {:g}",
                  "generator_optimizer": "G {}", "critic_optimizer": "D {}", "gp_weight": "λ {:g}",
                  "batch_size": "batch {}", "beta1": "β₁ {:g}", "beta2": "β₂ {:g}", "latent_size": "z dim {}",
                  "generator_hidden_units": "G width {}", "critic_hidden_units": "D width {}",
                  "generator_depth": "G depth {}", "critic_depth": "D depth {}", "activation": "{}",
                  "noise_anneal_steps": "σ → 0 in {} steps"}
MOST_DIFFERENCES = 3


def run_titles(configs: Mapping[str, TrainingConfig], two_lines: bool = False) -> dict[str, str]:
    """`run_title` of each side ("A", "B", …). Where every run's title would read the same (two WGAN-GP presets),
    each also names up to MOST_DIFFERENCES of the settings in which the runs differ."""
    titles = {side: run_title(side, config) for side, config in configs.items()}
    extra: dict[str, list[str]] = {side: [] for side in configs}
    if len({title.split(": ", 1)[1] for title in titles.values()}) == 1 and len(configs) > 1:
        differing = [name for name in DISTINGUISHING
                     if len({getattr(config, name) for config in configs.values()}) > 1][:MOST_DIFFERENCES]
        for side, config in configs.items():
            extra[side] = [DISTINGUISHING[name].format(getattr(config, name)) for name in differing]
    return {side: run_title(side, config, two_lines, extra[side]) for side, config in configs.items()}


def run_title(side: str, config: TrainingConfig, two_lines: bool = False, extra: Sequence[str] = ()) -> str:
    """A run's title, "A: WGAN, weight clipping · c = 0.5": its loss and the settings a comparison turns on (c
    where the loss clips, instance noise σ, unrolled steps), so that two runs of one loss are told apart. With
    `two_lines` the settings go on a smaller second line (plotly markup), for a chart half a screen wide."""
    parts = [OBJECTIVES[config.objective].label]
    if OBJECTIVES[config.objective].lipschitz == "clip":
        parts.append(f"c = {config.clip_value:g}")
    if config.instance_noise > 0:
        parts.append(f"σ = {config.instance_noise:g}")
    if config.unrolled_steps > 0:
        parts.append(f"{config.unrolled_steps} unrolled")
    parts.extend(extra)
    if two_lines and len(parts) > 1:
        return f"{side}: {parts[0]}<br><sup>{' · '.join(parts[1:])}</sup>"
    return f"{side}: {' · '.join(parts)}"


@checkpoint.register
class Lockstep(checkpoint.Checkpointable):
    """Several trainers advanced together, the same number of steps each, so their curves share one clock.

    A run that diverges stops the group (and the message names it): a comparison with one side missing
    would mislead.
    """

    CHECKPOINT_KIND, CHECKPOINT_LABEL = "compare", "Compare"

    def __init__(self, trainers: Mapping[str, Trainer], evaluate_every: int = EVALUATE_EVERY):
        self.trainers = dict(trainers)
        self.evaluate_every = evaluate_every
        self.step = 0
        self.diverged: str | None = None
        first = next(iter(self.trainers.values()))
        generator = torch.Generator().manual_seed(first.config.seed + 2)
        self.evaluation_real = first.dataset.sample(EVALUATION_POINTS, generator).numpy()
        self.exact_w1: dict[str, list[tuple[int, float]]] = {name: [] for name in self.trainers}
        self._evaluate()

    def train(self, steps: int) -> dict[str, float]:
        remaining = int(steps)
        while remaining > 0 and self.diverged is None:
            chunk = min(remaining, self.evaluate_every - self.step % self.evaluate_every)
            for name, trainer in self.trainers.items():
                trainer.train(chunk)
                if trainer.diverged:
                    self.diverged = f"{name}: {trainer.diverged}"
            if self.diverged is None:
                self.step += chunk
                remaining -= chunk
                if self.step % self.evaluate_every == 0:
                    self._evaluate()
        return {f"{name}.{key}": value for name, trainer in self.trainers.items()
                for key, value in trainer.latest_metrics().items()}

    def _evaluate(self) -> None:
        for name, trainer in self.trainers.items():
            fake = trainer.sample(EVALUATION_POINTS)
            self.exact_w1[name].append((self.step, transport.wasserstein(self.evaluation_real, fake)))

    def snapshot(self) -> dict[str, Any]:
        runs = {name: trainer.snapshot(points=600, grid_size=44, arrows=60) for name, trainer in self.trainers.items()}
        for name, trainer in self.trainers.items():
            runs[name]["exact_w1"] = np.array(self.exact_w1[name], dtype=np.float64).reshape(-1, 2)
            runs[name]["config"] = trainer.config
        return {"step": self.step, "runs": runs, "diverged": self.diverged}

    @property
    def config(self) -> dict[str, TrainingConfig]:
        """Each run's config, by name (the `Steppable` contract)."""
        return {name: trainer.config for name, trainer in self.trainers.items()}

    def reconfigure(self, configs: Mapping[str, TrainingConfig]) -> list[str]:
        """Each named run takes the live fields of its config; returns "name.field" for each one changed."""
        return [f"{name}.{field}" for name, config in configs.items()
                for field in self.trainers[name].reconfigure(config)]

    # --- saving and loading (playground/checkpoint.py) ------------------------------------------------------

    def _checkpoint_config(self) -> dict[str, Any]:
        return {"evaluate_every": self.evaluate_every,
                "runs": {name: asdict(trainer.config) for name, trainer in self.trainers.items()}}

    @classmethod
    def _from_checkpoint_config(cls, values: dict[str, Any]) -> Lockstep:
        every, runs = values.get("evaluate_every"), values.get("runs")
        if set(values) != {"evaluate_every", "runs"}:
            raise ValueError("The file's config should hold evaluate_every and runs.")
        if type(every) is not int or not 1 <= every <= 10**6:
            raise ValueError(f"The file's evaluate_every={str(every)[:20]!r} is not a whole number in [1, 10⁶].")
        if not isinstance(runs, dict) or not 1 <= len(runs) <= MAX_RUNS or not all(
                isinstance(name, str) and 0 < len(name) <= 20 for name in runs):
            raise ValueError(f"The file's runs should be 1 to {MAX_RUNS} named settings.")
        return cls({name: Trainer(checkpoint.training_config_from(config, f"config of run {name}"))
                    for name, config in runs.items()}, every)

    def _checkpoint_state(self) -> dict[str, Any]:
        return {"step": self.step, "diverged": self.diverged,
                "exact_w1": {name: torch.tensor(rows, dtype=torch.float64).reshape(-1, 2)
                             for name, rows in self.exact_w1.items()},
                "runs": {name: trainer._checkpoint_state() for name, trainer in self.trainers.items()}}

    def _restore_checkpoint_state(self, state: dict[str, Any], template: dict[str, Any]) -> None:
        rules = {f"state.exact_w1.{name}": checkpoint.bounded_rows(MAX_EVALUATIONS, 2) for name in self.trainers}
        rules.update({f"state.runs.{name}": lambda value, where: None for name in self.trainers})  # checked below
        checkpoint.check_like(state, template, "state", rules)
        if not 0 <= state["step"] < 2**53:
            raise ValueError("The file's step counter is out of range.")
        for name, trainer in self.trainers.items():
            if not isinstance(state["runs"][name], dict):
                raise ValueError(f"Run {name}'s state is not a table.")
            trainer._restore_checkpoint_state(state["runs"][name], template["runs"][name])
        self.step, self.diverged = state["step"], state["diverged"]
        self.exact_w1 = {name: [(int(step), float(value)) for step, value in rows.tolist()]
                         for name, rows in state["exact_w1"].items()}
