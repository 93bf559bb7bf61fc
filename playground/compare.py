"""Runs side by side: several trainers advanced in lockstep on the same data, with the exact W₁ (POT) of each
run's samples measured on one clock, for the Compare and WGAN pages; the Compare page's settings (the data and
seed both runs share, and each run's preset, loss, c, σ and unrolling) and its run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import torch

from playground import checkpoint, transport
from playground.datasets import BUILT_IN
from playground.figures import training as figures
from playground.objectives import OBJECTIVES, unused_setting_note
from playground.presets import PRESETS
from playground.settings import Preset, field_specs, knob
from playground.training import Trainer, TrainingConfig

EVALUATE_EVERY = 100      # steps between exact-W₁ measurements: one (POT, 500 + 500 points) costs several steps
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


def comparison_view(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """The Compare page's frame: each run's samples and critic under a title from the settings it trains with now
    (its name is fixed when it starts; c and σ are live), then both runs' coverage and exact W₁ on one clock."""
    runs = {name.split(":", 1)[0]: run for name, run in snapshot["runs"].items()}   # by side: "A", "B"
    configs = {side: run["config"] for side, run in runs.items()}
    chart_titles, legend_titles = run_titles(configs, two_lines=True), run_titles(configs)
    return [*(figures.samples_and_critic(run, title=chart_titles[side], height=460) for side, run in runs.items()),
            figures.coverage_comparison({legend_titles[side]: run for side, run in runs.items()})]


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

# ---- the Compare page: two runs, A and B, on one dataset and seed ---------------------------------------------

SIDES = ("A", "B")
DEFAULT_PRESETS = {"A": "mode_collapse", "B": "wgan_gp"}   # a collapsing GAN against its best-known cure
CLIP_OPTIONS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
RUN_CONTROLS = ("objective", "clip_value", "instance_noise", "unrolled_steps")   # what a run's section draws
_HELP = {name: spec["help"] for name, spec in field_specs(TrainingConfig).items()}   # Mode collapse's own texts


@dataclass(frozen=True)
class SharedSettings:
    """What both runs share, so that they differ only in their own settings. URL ids are the page's first links'
    keys: never rename them."""

    dataset: str = knob("eight_gaussians", "Dataset", choices=BUILT_IN, url="cmp_dataset",
                        help="The real distribution π, the same for both runs.")
    seed: int = knob(0, "Seed", min=0, max=2**31 - 1, widget="number", url="cmp_seed",
                     help="Seeds both runs' weights, data and noise: they start from one start.")

    def with_dataset_of(self, preset_id: str) -> SharedSettings:
        """These settings on the preset's dataset: a preset named for its data brings it, for both runs."""
        return replace(self, dataset=PRESETS[preset_id].config().dataset)


def _run_settings(side: str) -> type:
    """The settings class of run `side`: one class a side, because each knob's URL id names its side."""

    @dataclass(frozen=True)
    class RunSettings:
        """One run: the preset its other settings come from (learning rates, critic steps, optimisers, networks;
        not drawn), and the four controls a comparison turns on."""

        base: str = knob("mode_collapse", "Preset", choices=PRESETS, url=f"cmp_{side}_base",
                         help="The preset whose other settings the run trains with.")
        objective: str = knob("non_saturating", "Loss", choices=OBJECTIVES, url=f"cmp_{side}_loss",
                              help="The game G and D play in this run.")
        clip_value: float = knob(0.01, "Clipping c", live=True, options=CLIP_OPTIONS, url=f"cmp_{side}_c",
                                 help=_HELP["clip_value"])
        instance_noise: float = knob(0.0, "Instance noise σ", live=True, min=0.0, max=1.0, step=0.01,
                                     url=f"cmp_{side}_noise", help=_HELP["instance_noise"])
        unrolled_steps: int = knob(0, "Unrolled steps", min=0, max=10, url=f"cmp_{side}_unrolled",
                                   help=_HELP["unrolled_steps"])

        def unused_note(self, name: str) -> str | None:
            """c means something only under a loss that clips its critic."""
            return unused_setting_note(self.objective, name)

        def config(self, shared: SharedSettings) -> TrainingConfig:
            """The run's TrainingConfig: its base preset's, with the shared data and seed and its own controls."""
            return PRESETS[self.base].config(dataset=shared.dataset, seed=shared.seed, objective=self.objective,
                                             clip_value=self.clip_value, instance_noise=self.instance_noise,
                                             unrolled_steps=self.unrolled_steps)

    RunSettings.__name__ = RunSettings.__qualname__ = f"Run{side}Settings"
    return RunSettings


RUN_SETTINGS: dict[str, type] = {side: _run_settings(side) for side in SIDES}


def run_preset(preset_id: str) -> Preset:
    """A Mode-collapse preset as a run's preset: its loss, c (the nearest offered), σ and unrolling, and itself as
    the base of the run's other settings."""
    preset = PRESETS[preset_id]
    config = preset.config()
    return Preset(preset.label, preset.note, {
        "base": preset_id, "objective": config.objective,
        "clip_value": min(CLIP_OPTIONS, key=lambda c: abs(c - config.clip_value)),
        "instance_noise": float(config.instance_noise), "unrolled_steps": config.unrolled_steps})


RUN_PRESETS: dict[str, Preset] = {preset_id: run_preset(preset_id) for preset_id in PRESETS}  # the same URL ids


@dataclass(frozen=True)
class CompareSettings:
    """Everything the two runs train with, as the live view compares it: a changed restart field of any section
    (the data, the seed, a run's preset, loss or unrolling) starts both runs again; c and σ change them live."""

    shared: SharedSettings = knob(SharedSettings(), "both runs")
    a: Any = knob(RUN_SETTINGS["A"](**RUN_PRESETS[DEFAULT_PRESETS["A"]].overrides), "run A")
    b: Any = knob(RUN_SETTINGS["B"](**RUN_PRESETS[DEFAULT_PRESETS["B"]].overrides), "run B")

    def configs(self) -> dict[str, TrainingConfig]:
        """Each run's TrainingConfig under its name, "A: Non-saturating" (the name a divergence message gives)."""
        return {f"{side}: {OBJECTIVES[run.objective].label}": run.config(self.shared)
                for side, run in zip(SIDES, (self.a, self.b), strict=True)}


class CompareRun(Lockstep):
    """The Compare page's run: runs A and B of `CompareSettings` in lockstep."""

    def __init__(self, settings: CompareSettings, **options: Any):
        super().__init__({name: Trainer(config) for name, config in settings.configs().items()}, **options)
        self.settings = settings

    @classmethod
    def from_settings(cls, settings: CompareSettings, **options: Any) -> CompareRun:
        return cls(settings, **options)

    @property
    def config(self) -> CompareSettings:
        """The settings both runs train with now (the `Steppable` contract)."""
        return self.settings

    def reconfigure(self, settings: CompareSettings) -> list[str]:
        """Both runs take the live fields (c, σ) of their new settings; returns "name.field" for each changed."""
        changed = super().reconfigure(dict(zip(self.trainers, settings.configs().values(), strict=True)))
        self.settings = settings
        return changed
