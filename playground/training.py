"""`TrainingConfig` (everything a lecturer can change) and `Trainer` (one GAN run: step, train, sample,
snapshot, history). The trainer never raises on a diverging run: it restores its last finite state, sets
`diverged` to a short message and stops stepping."""

from __future__ import annotations

import copy
import dataclasses
import math
import numbers
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from torch import Tensor

from playground import checkpoint, drawing, lipschitz, metrics
from playground.datasets import DATASETS, DRAW_EXTENT, Dataset, from_points
from playground.models import ACTIVATIONS, Critic, Generator
from playground.noise import add_instance_noise, noise_level
from playground.objectives import OBJECTIVES, unused_setting_note
from playground.settings import field_specs, knob, live_changes, parse_settings, restart_changes

OPTIMIZERS = {"adam": "Adam", "rmsprop": "RMSprop", "sgd": "SGD"}  # id -> label
DEVICES = {"auto": "Auto (CUDA → MPS → CPU)", "cpu": "CPU", "cuda": "CUDA", "mps": "Apple MPS"}


@dataclass(frozen=True)
class TrainingConfig:
    """Everything a lecturer can change. One field = one widget = one URL key.

    Defaults are a plain non-saturating GAN on 8 Gaussians with the usual small-toy sizes (2 hidden layers
    of 128 ReLU units, batch 256, Adam 1e-3 with β₁ = 0.5 as in DCGAN); presets override a few fields.
    """

    dataset: str = knob("eight_gaussians", "Dataset", choices=DATASETS,
                        help="The real distribution π. Changing it starts a new run.")
    points: str = knob("", "Drawn points", check=drawing.problem, url_max=drawing.URL_LIMIT,
                       help="The Draw dataset's points as a link's compact text (`drawing.encode`); empty: the "
                            "starter drawing. No control: the page's brush, eraser and upload set it.")
    objective: str = knob("non_saturating", "Loss", live=True, choices=OBJECTIVES,
                          help="The game G and D play. Switching keeps the networks and changes the losses.")
    seed: int = knob(0, "Seed", min=0, max=2**31 - 1, widget="number",
                     help="Seeds the weights, the data and the noise: same seed, same run (on the CPU).")
    critic_steps: int = knob(1, "Critic steps per G step", live=True, min=1, max=20,
                             help="WGANs train the critic to (near) optimality: 5 in the papers.")
    generator_steps: int = knob(1, "G steps per iteration", live=True, min=0, max=10,
                                help="Generator updates after each round of critic steps; 0 freezes G.")
    unrolled_steps: int = knob(0, "Unrolled critic steps", live=True, min=0, max=10,
                               help="Metz et al. 2016: G looks k critic updates ahead; a cure for mode collapse.")
    generator_lr: float = knob(1e-3, "G learning rate", live=True, min=1e-5, max=1.0, log=True,
                               help="Learning rate of the generator's optimiser.")
    critic_lr: float = knob(1e-3, "D learning rate", live=True, min=1e-5, max=1.0, log=True,
                            help="Learning rate of the critic's optimiser.")
    generator_optimizer: str = knob("adam", "G optimiser", live=True, choices=OPTIMIZERS,
                                    help="Changing it restarts the optimiser's state, not the network.")
    critic_optimizer: str = knob("adam", "D optimiser", live=True, choices=OPTIMIZERS,
                                 help="WGAN used RMSprop: momentum destabilised its clipped critic.")
    beta1: float = knob(0.5, "Adam β₁", live=True, min=0.0, max=0.99,
                        help="Adam's momentum; 0.5 is the GAN default since DCGAN (also SGD momentum).")
    beta2: float = knob(0.999, "Adam β₂", live=True, min=0.9, max=0.9999, widget="number", step=0.001,
                        help="Adam's second-moment decay; WGAN-GP used 0.9.")
    clip_value: float = knob(0.01, "Clipping constant c", live=True, min=0.001, max=1.0, log=True,
                             help="WGAN's box [−c, c] for every critic weight (used by the WGAN loss).")
    gp_weight: float = knob(0.1, "Gradient penalty λ", live=True, min=0.0, max=100.0, widget="number", step=0.1,
                            help="Weight of (‖∇f‖ − 1)² in WGAN-GP: 10 in the paper, 0.1 in its toy script.")
    r1_weight: float = knob(0.0, "R1 penalty γ", live=True, min=0.0, max=100.0, widget="number", step=0.1,
                            help="(γ/2)·E‖∇ₓs(x)‖² on real points (Mescheder et al. 2018), for the classic "
                                 "losses; 0 turns it off.")
    instance_noise: float = knob(0.0, "Instance noise σ", live=True, min=0.0, max=1.0,
                                 help="Gaussian noise added to real and fake points before the critic.")
    noise_anneal_steps: int = knob(0, "Anneal noise over steps", live=True, min=0, max=20000, widget="number",
                                   help="σ falls linearly to 0 over this many steps; 0 keeps it constant.")
    batch_size: int = knob(256, "Batch size", live=True, min=8, max=2048, widget="powers_of_two",
                           help="Real and fake points per step.")
    latent_size: int = knob(2, "Latent size", min=1, max=64, help="Dimension of z ~ N(0, I).")
    generator_hidden_units: int = knob(128, "G width", min=4, max=512, help="Units per hidden layer of G.")
    generator_depth: int = knob(2, "G depth", min=1, max=8, help="Hidden layers of G.")
    critic_hidden_units: int = knob(128, "D width", min=4, max=512, help="Units per hidden layer of D.")
    critic_depth: int = knob(2, "D depth", min=1, max=8, help="Hidden layers of D.")
    activation: str = knob("relu", "Activation", choices=ACTIVATIONS, help="Hidden activation of both nets.")
    coverage_every: int = knob(100, "Measure coverage every", live=True, min=10, max=5000, widget="number",
                               help="Steps between mode-coverage measurements (2,500 samples each).")
    device: str = knob("auto", "Device", choices=DEVICES,
                       help="Auto picks CUDA, then Apple MPS, then the CPU.")

    # Below these a run cannot be built or is meaningless; the widgets' ranges (field_specs) are narrower, and a
    # notebook may step outside them (a learning rate of 10 to show a diverging run).
    _AT_LEAST = {"critic_steps": 1, "unrolled_steps": 0, "batch_size": 1, "latent_size": 1,
                 "generator_hidden_units": 1, "generator_depth": 1, "critic_hidden_units": 1, "critic_depth": 1,
                 "coverage_every": 1, "noise_anneal_steps": 0, "gp_weight": 0.0, "generator_steps": 0,
                 "r1_weight": 0.0, "instance_noise": 0.0, "seed": 0}
    _POSITIVE = ("generator_lr", "critic_lr", "clip_value")

    def __post_init__(self):
        """Reject a config no run can use (a batch of 0, a NaN learning rate, an unknown loss) with a message
        naming each field, instead of failing later inside torch."""
        problems = []
        for name, spec in self.field_specs().items():
            value = getattr(self, name)
            if name == "points":
                if not isinstance(value, str):
                    problems.append(f"points={value!r} is not text (drawing.encode writes it)")
            elif "choices" in spec:
                if value not in spec["choices"]:
                    problems.append(f"{name}={value!r} is not one of {', '.join(spec['choices'])}")
            elif isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                problems.append(f"{name}={value!r} is not a finite number")
            elif spec["type"] is int and not isinstance(value, numbers.Integral):
                problems.append(f"{name}={value!r} is not a whole number")
            elif name in self._AT_LEAST and value < self._AT_LEAST[name]:
                problems.append(f"{name}={value!r} must be at least {self._AT_LEAST[name]}")
            elif name in self._POSITIVE and value <= 0:
                problems.append(f"{name}={value!r} must be positive")
            elif name in ("beta1", "beta2") and not 0 <= value < 1:
                problems.append(f"{name}={value!r} must lie in [0, 1)")
        if problems:
            raise ValueError("TrainingConfig: " + "; ".join(problems) + ".")

    @classmethod
    def field_specs(cls) -> dict[str, dict[str, Any]]:
        """name -> widget spec (label, live, help, url, choices or min/max/log) with the field's type and default."""
        return field_specs(cls)

    def restart_changes(self, other: TrainingConfig) -> list[str]:
        """Names of fields that differ from `other` and cannot change a running trainer."""
        return restart_changes(other, self)

    def shows(self, name: str) -> bool:
        """Every field has a control except the drawn points (the brush, eraser and upload set them)."""
        return name != "points"

    def unused_note(self, name: str) -> str | None:
        """Why this config ignores the field `name` (the loss or the optimisers do not use it), or None."""
        return (unused_setting_note(self.objective, name)
                or unused_optimizer_note(name, self.generator_optimizer, self.critic_optimizer))


def parse_config(values: Mapping[str, Any], base: TrainingConfig | None = None
                 ) -> tuple[TrainingConfig, list[str]]:
    """Build a config from untrusted strings or values (a URL, a JSON file). Unknown keys, wrong types and
    out-of-range values are ignored: the field keeps `base`'s value, and a notice says why. Never raises."""
    return parse_settings(TrainingConfig, values, base or TrainingConfig())


def resolve_device(name: str) -> torch.device:
    """'auto' → CUDA if present, else Apple MPS, else CPU; an unavailable forced device falls back to CPU."""
    cuda, mps = torch.cuda.is_available(), torch.backends.mps.is_available()
    if name == "cuda" and cuda or name == "auto" and cuda:
        return torch.device("cuda")
    if name == "mps" and mps or name == "auto" and mps:
        return torch.device("mps")
    return torch.device("cpu")


METRICS = (  # one row per step, in this order
    "critic_loss", "generator_loss",
    "d_real", "d_fake",              # mean D(x), D(G(z)) for classic GANs; mean f(x), f(G(z)) otherwise
    "critic_gap",                    # E s(x) − E s(G(z)): the WGAN critic's estimate of W₁
    "critic_grad_norm", "generator_grad_norm", "critic_accuracy", "noise_sigma",
)
EXPLODED = 1e8  # |loss| beyond this counts as an exploding run, before it turns into inf or NaN
CHECK_EVERY = 25  # steps between finiteness checks
RESTORE_EVERY = 100  # steps between restore points (a copy of both networks and optimisers) for a diverging run
COVERAGE_SAMPLES = 2500  # VEEGAN's protocol
MAX_HISTORY_ROWS = 4000  # beyond this the history keeps every other row: memory stays flat in a long lecture
MAX_COVERAGE_ROWS = 600
MAX_REPLAY_FRAMES = 160  # replay keeps at most this many frames (~10 KB each), thinning old ones by half when full
# Replay also keeps the model state (networks, optimisers, RNG) of at most this many frames, spread over the run
# like the frames (every other one dropped when full): ≈ 0.4 MB each at the default sizes, ≈ 8 MB in all.
MAX_REPLAY_STATES = 20


def apply_live_settings(run, config: TrainingConfig, **forced: Any) -> list[str]:
    """Copy the live fields of `config` (and `forced` overrides) into `run.config`; rebuild the optimisers when
    their kind or betas changed, else set the new learning rates in place. `run` is a Trainer or an Ensemble.
    Returns the restart-only fields that differ (not applied)."""
    blocked = config.restart_changes(run.config)
    live = {name: getattr(config, name) for name, spec in config.field_specs().items() if spec["live"]}
    old, run.config = run.config, replace(run.config, **{**live, **forced})
    if (old.generator_optimizer, old.critic_optimizer, old.beta1, old.beta2) != (
            run.config.generator_optimizer, run.config.critic_optimizer, run.config.beta1, run.config.beta2):
        run._build_optimizers()
    for optimizer, lr in ((run.generator_optimizer, run.config.generator_lr),
                          (run.critic_optimizer, run.config.critic_lr)):
        for group in optimizer.param_groups:
            group["lr"] = lr
    return blocked


def bad_rows(rows: np.ndarray) -> np.ndarray:
    """Which `METRICS` rows ([…, len(METRICS)]) show a diverging run: a non-finite value, or a loss past EXPLODED."""
    return ~np.isfinite(rows).all(axis=-1) | (np.abs(rows[..., :2]) > EXPLODED).any(axis=-1)


def failed_loss(row: np.ndarray, whose: str = "the") -> str:
    """'the critic loss became NaN': which loss of a bad `METRICS` row failed first, and how."""
    which = "critic" if not np.isfinite(row[0]) or abs(row[0]) > EXPLODED else "generator"
    value = row[0] if which == "critic" else row[1]
    what = "NaN" if np.isnan(value) else ("infinite" if np.isinf(value) else f"{value:.3g}")
    return f"{whose} {which} loss became {what}"


DIVERGENCE_ADVICE = "Try a smaller learning rate, a smaller clipping constant, or the non-saturating loss."


def trained_sigmas(config: TrainingConfig, steps: np.ndarray) -> np.ndarray:
    """The instance-noise σ each of `steps` (numbered from 1) trained with: step t ran at σ(t − 1)."""
    return np.array([noise_level(config.instance_noise, int(step) - 1, config.noise_anneal_steps) for step in steps])


SAMPLING_SEED_OFFSET = 7919  # a seed apart from the training RNG's, so that sampling never moves training


def sampling_latent(shape: tuple[int, ...], step: int, device: torch.device) -> Tensor:
    """Latents for `sample(n)` at `step` ([n, latent] or [K, n, latent]): the same step gives the same samples,
    and the training RNG is not touched."""
    rng = torch.Generator(device=device).manual_seed(step + SAMPLING_SEED_OFFSET)
    return torch.randn(shape, generator=rng, device=device)


def training_chunks(step: int, steps: int, coverage_every: int) -> list[int]:
    """Chunk sizes for training `steps` steps from `step`: each at most CHECK_EVERY (finiteness is checked after
    every chunk) and ending exactly on the coverage checkpoints (multiples of `coverage_every`)."""
    sizes, remaining = [], int(steps)
    while remaining > 0:
        size = min(remaining, CHECK_EVERY, coverage_every - step % coverage_every)
        sizes.append(size)
        step, remaining = step + size, remaining - size
    return sizes


def train_in_chunks(run, steps: int) -> dict[str, float]:
    """Advance `run` (a Trainer or an Ensemble) by `steps` steps, one `_train_chunk` per `training_chunks` size,
    until it has diverged; returns its latest metrics."""
    for chunk in training_chunks(run.step, steps, run.config.coverage_every):
        if run.diverged is not None:
            break
        run._train_chunk(chunk)
    return run.latest_metrics()


def build_optimizer(kind: str, parameters, lr: float, beta1: float, beta2: float,
                    device: torch.device) -> torch.optim.Optimizer:
    """The optimiser a run uses for one network: Adam, RMSprop, or SGD with momentum β₁ (`Trainer`, `Ensemble`)."""
    if kind == "rmsprop":
        return torch.optim.RMSprop(parameters, lr=lr, foreach=True)
    if kind == "sgd":
        return torch.optim.SGD(parameters, lr=lr, momentum=beta1, foreach=True)
    # The fused kernel does Adam's whole update in one op, fewer ops per small GAN step than the default; it reads
    # a gradient in its parameter's memory order, so gradients must be contiguous.
    fused = device.type in {"cpu", "cuda"}
    return torch.optim.Adam(parameters, lr=lr, betas=(beta1, beta2), fused=fused, foreach=None if fused else True)


def unused_optimizer_note(setting: str, generator_optimizer: str, critic_optimizer: str) -> str | None:
    """Why β₁ or β₂ has no effect with these optimisers (for a disabled control), or None when one of them uses it:
    Adam uses both, SGD uses β₁ as its momentum, RMSprop neither."""
    if setting == "beta1" and {generator_optimizer, critic_optimizer} <= {"rmsprop"}:
        return "Adam and SGD (as momentum) use it; both networks train with RMSprop, which ignores it."
    if setting == "beta2" and "adam" not in {generator_optimizer, critic_optimizer}:
        return "Only Adam uses it; neither network trains with Adam."
    return None


class History:
    """Per-step metric rows with bounded memory: when full, it keeps every other row and doubles its stride."""

    def __init__(self, columns: tuple[str, ...], max_rows: int):
        self.columns, self.max_rows = columns, max_rows
        self.rows = np.empty((0, len(columns) + 1), dtype=np.float64)  # first column: step
        self.stride = 1

    def extend(self, steps: np.ndarray, values: np.ndarray) -> None:
        keep = steps % self.stride == 0
        if keep.any():
            self.rows = np.concatenate([self.rows, np.column_stack([steps[keep], values[keep]])])
        while len(self.rows) > self.max_rows:
            self.stride *= 2
            self.rows = self.rows[self.rows[:, 0] % self.stride == 0]

    def truncate(self, last_step: int) -> None:
        """Forget the rows after `last_step` (a diverging run rolled back there)."""
        self.rows = self.rows[self.rows[:, 0] <= last_step]

    def as_dict(self) -> dict[str, np.ndarray]:
        out = {"step": self.rows[:, 0].copy()}
        out.update({name: self.rows[:, i + 1].copy() for i, name in enumerate(self.columns)})
        return out


@checkpoint.register
class Trainer(checkpoint.Checkpointable):
    """One GAN run: a generator, a critic, their optimisers, its RNG and its history.

    `train(steps)` runs `steps` iterations: `critic_steps` critic updates, then `generator_steps` generator updates.
    """

    CHECKPOINT_KIND, CHECKPOINT_LABEL = "trainer", "Mode collapse"

    def __init__(self, config: TrainingConfig | None = None):
        self.config = config = config or TrainingConfig()
        self.device = resolve_device(config.device)
        self.dataset = dataset_of(config)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            self.generator = Generator(config.latent_size, config.generator_hidden_units,
                                       config.generator_depth, config.activation)
            self.critic = Critic(config.critic_hidden_units, config.critic_depth, config.activation)
        self.generator.to(self.device)
        self.critic.to(self.device)
        self.rng = torch.Generator(device=self.device).manual_seed(config.seed)
        evaluation_rng = torch.Generator(device=self.device).manual_seed(config.seed + 1)
        self.evaluation_latent = torch.randn(COVERAGE_SAMPLES, config.latent_size, generator=evaluation_rng,
                                             device=self.device)
        self.evaluation_real = self.dataset.sample(1000, evaluation_rng)
        self.step = 0
        self.critic_updates = 0
        self.generator_updates = 0  # with critic_updates: counts the page's single D / G steps, which `step` does not
        self.diverged: str | None = None
        self.history = History(METRICS, MAX_HISTORY_ROWS)
        self.coverage_history: list[tuple[int, int, float, np.ndarray]] = []
        self.frames: list[dict[str, Any]] = []  # replay: light snapshots at coverage checkpoints
        self.replay_states: dict[int, dict[str, Any]] = {}  # step -> {"config", "state", "ordinal"} of some frames
        self._checkpoints_recorded, self._state_stride = -1, 1
        self._last_scores: tuple[Tensor, Tensor] | None = None
        self._build_optimizers()
        self._restore_point = self._state()
        self._record_coverage()

    # --- configuration ---------------------------------------------------------------------------------

    @property
    def objective(self):
        return OBJECTIVES[self.config.objective]

    def _optimizer(self, kind: str, parameters, lr: float) -> torch.optim.Optimizer:
        return build_optimizer(kind, parameters, lr, self.config.beta1, self.config.beta2, self.device)

    def _build_optimizers(self) -> None:
        self.generator_optimizer = self._optimizer(self.config.generator_optimizer, self.generator.parameters(),
                                                   self.config.generator_lr)
        self.critic_optimizer = self._optimizer(self.config.critic_optimizer, self.critic.parameters(),
                                                self.config.critic_lr)

    def reconfigure(self, config: TrainingConfig) -> list[str]:
        """Apply the live fields of `config` in place (the `Steppable` contract). Returns the names of the live
        fields it changed; restart-only differences are not applied (`live_view` starts a new trainer for them)."""
        changed = live_changes(self.config, config)
        self.update_config(config)
        return changed

    def update_config(self, config: TrainingConfig) -> list[str]:
        """Apply the live fields of `config` in place. Returns the restart-only fields that differ (and were
        not applied): the caller decides whether to start a new trainer."""
        return apply_live_settings(self, config)

    # --- data ------------------------------------------------------------------------------------------

    def real_batch(self) -> Tensor:
        return self.dataset.sample(self.config.batch_size, self.rng)

    def latent_batch(self, n: int | None = None) -> Tensor:
        return torch.randn(n or self.config.batch_size, self.config.latent_size, generator=self.rng,
                           device=self.device)

    def _noisy(self, points: Tensor) -> Tensor:
        return add_instance_noise(points, self.noise_sigma, self.rng)

    @property
    def noise_sigma(self) -> float:
        return noise_level(self.config.instance_noise, self.step, self.config.noise_anneal_steps)

    # --- the two updates -------------------------------------------------------------------------------

    def critic_step(self) -> Tensor:
        """One critic update on fresh batches; detach() keeps the generator fixed. Returns the loss."""
        objective = self.objective
        real = self.real_batch()
        with torch.no_grad():
            fake = self.generator(self.latent_batch())
        real, fake = self._noisy(real), self._noisy(fake)
        scores_real, scores_fake = self.critic(real), self.critic(fake)
        loss = objective.critic_loss(scores_real, scores_fake)
        if objective.lipschitz == "gradient_penalty" and self.config.gp_weight > 0:
            loss = loss + self.config.gp_weight * lipschitz.gradient_penalty(self.critic, real, fake, self.rng)
        if objective.probabilistic and self.config.r1_weight > 0:  # on the points the critic saw as real
            loss = loss + self.config.r1_weight * lipschitz.r1_penalty(self.critic, real)
        self.critic_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.critic_optimizer.step()
        if objective.lipschitz == "clip":
            lipschitz.clip_weights(self.critic, self.config.clip_value)
        self.critic_updates += 1
        self._last_scores = (scores_real.detach(), scores_fake.detach())
        return loss.detach()

    def generator_step(self) -> Tensor:
        """One generator update through the current critic (or an unrolled copy of it). Returns the loss."""
        self.generator_updates += 1
        if self.config.unrolled_steps > 0:
            return self._unrolled_generator_step()
        return self._generator_update()

    def _generator_update(self) -> Tensor:
        fake = self._noisy(self.generator(self.latent_batch()))
        return self._descend_generator(self.objective.generator_loss(self.critic(fake)))

    def _descend_generator(self, loss: Tensor) -> Tensor:
        """One optimiser step of G on `loss`. Gradients are taken for G's weights only (inputs=): the critic's
        weight gradients would only be thrown away before its next update (fewer products, same G step).
        backward() hands each gradient over in its weight's memory order, which the fused Adam kernel relies on
        (it misreads a strided gradient); `Ensemble.generator_step` does the same."""
        self.generator_optimizer.zero_grad(set_to_none=True)
        loss.backward(inputs=list(self.generator.parameters()))
        self.generator_optimizer.step()
        return loss.detach()

    def _unrolled_generator_step(self) -> Tensor:
        """Metz et al. (2016): G descends L_G(θ_G, θ_D^k), the loss against the critic as it would be after k
        more updates θ_D^{i+1} = θ_D^i − η·u(∇L_D(θ_D^i, θ_G)), and differentiates *through* those updates
        (second order): G sees how the critic would answer its move. The unrolled updates copy the critic's
        optimiser, starting from its current state (Adam's moments, RMSprop's average, SGD's momentum), with
        Adam's and RMSprop's divisor held constant in the derivative. The real critic is never changed."""
        config, objective, group = self.config, self.objective, self.critic_optimizer.param_groups[0]
        named = dict(self.critic.named_parameters())
        weights = {name: parameter.detach().requires_grad_(True) for name, parameter in named.items()}
        states = {name: dict(self.critic_optimizer.state.get(parameter, {})) for name, parameter in named.items()}

        def score(points: Tensor, critic_weights: dict[str, Tensor]) -> Tensor:
            return torch.func.functional_call(self.critic, critic_weights, (points,))

        def update(weight: Tensor, gradient: Tensor, state: dict[str, Any]) -> Tensor:
            """One differentiable step of the critic's optimiser; `state` is advanced in place."""
            if config.critic_optimizer == "sgd":
                previous = state.get("momentum_buffer")
                state["momentum_buffer"] = gradient if previous is None else group["momentum"] * previous + gradient
                return weight - group["lr"] * state["momentum_buffer"]
            with torch.no_grad():  # the divisor √v̂ + ε: advanced, but a constant for the derivative
                if config.critic_optimizer == "adam":
                    beta1, beta2 = group["betas"]
                    step = state["step"] = float(state.get("step", 0)) + 1
                    average = state.get("exp_avg_sq", torch.zeros_like(weight)) * beta2
                    state["exp_avg_sq"] = average.addcmul_(gradient, gradient, value=1 - beta2)
                    divisor = (state["exp_avg_sq"] / (1 - beta2**step)).sqrt_().add_(group["eps"])
                    scale = group["lr"] / (1 - beta1**step) / divisor
                else:  # RMSprop
                    average = state.get("square_avg", torch.zeros_like(weight)) * group["alpha"]
                    state["square_avg"] = average.addcmul_(gradient, gradient, value=1 - group["alpha"])
                    scale = group["lr"] / state["square_avg"].sqrt().add_(group["eps"])
            if config.critic_optimizer == "adam":  # the first moment carries G's influence: m ← β₁m + (1 − β₁)g
                state["exp_avg"] = torch.lerp(state.get("exp_avg", torch.zeros_like(weight)), gradient, 1 - beta1)
                return weight - scale * state["exp_avg"]
            return weight - scale * gradient

        for _ in range(config.unrolled_steps):
            real, fake = self._noisy(self.real_batch()), self._noisy(self.generator(self.latent_batch()))
            scores = score(torch.cat([real, fake]), weights)  # one pass for both: these small steps are overhead-bound
            loss = objective.critic_loss(scores[:len(real)], scores[len(real):])
            if objective.lipschitz == "gradient_penalty" and config.gp_weight > 0:
                def critic(points: Tensor, critic_weights: dict[str, Tensor] = weights) -> Tensor:
                    return score(points, critic_weights)

                penalty = lipschitz.gradient_penalty(critic, real, fake, self.rng)
                loss = loss + config.gp_weight * penalty
            if objective.probabilistic and config.r1_weight > 0:
                loss = loss + config.r1_weight * lipschitz.r1_penalty(
                    lambda points, critic_weights=weights: score(points, critic_weights), real)
            gradients = torch.autograd.grad(loss, list(weights.values()), create_graph=True)
            weights = {name: update(weight, gradient, states[name])
                       for (name, weight), gradient in zip(weights.items(), gradients, strict=True)}
            if objective.lipschitz == "clip":
                weights = {name: weight.clamp(-config.clip_value, config.clip_value)
                           for name, weight in weights.items()}
        return self._descend_generator(
            objective.generator_loss(score(self._noisy(self.generator(self.latent_batch())), weights)))

    def _frozen_generator_loss(self) -> Tensor:
        """G's loss and gradient on a fresh batch without a step (generator_steps = 0): the charts still show the
        signal a frozen G would receive, as in Arjovsky & Bottou's frozen-generator protocol."""
        fake = self._noisy(self.generator(self.latent_batch()))
        loss = self.objective.generator_loss(self.critic(fake))
        self.generator_optimizer.zero_grad(set_to_none=True)
        loss.backward(inputs=list(self.generator.parameters()))
        return loss.detach()

    def train_step(self) -> Tensor:
        """`critic_steps` critic updates, then `generator_steps` generator updates; returns the step's raw metrics
        (one tensor, turned into a `METRICS` row by `_metric_rows` once per chunk: no host sync, no extra ops per
        step). The generator's loss and gradient norm are those of its last update."""
        # (1) Critic, on fresh batches.
        for _ in range(self.config.critic_steps):
            critic_loss = self.critic_step()
        critic_norms = torch._foreach_norm([p.grad for p in self.critic.parameters()])
        # (2) Generator, through the critic just trained.
        if self.config.generator_steps == 0:
            generator_loss = self._frozen_generator_loss()
        for _ in range(self.config.generator_steps):
            generator_loss = self.generator_step()
        generator_norms = torch._foreach_norm([p.grad for p in self.generator.parameters()])
        self.step += 1
        d_real, d_fake, gap, accuracy = metrics.critic_readout(*self._last_scores, self.objective.probabilistic)
        return torch.stack([critic_loss, generator_loss, d_real, d_fake, gap, accuracy, *critic_norms,
                            *generator_norms])

    def _metric_rows(self, raw: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """Raw per-step metrics [n, 6 + parameter norms] → `METRICS` rows [n, len(METRICS)]."""
        critic_count = sum(1 for _ in self.critic.parameters())
        critic_norm = np.sqrt((raw[:, 6:6 + critic_count] ** 2).sum(axis=1))
        generator_norm = np.sqrt((raw[:, 6 + critic_count:] ** 2).sum(axis=1))
        return np.column_stack([raw[:, :5], critic_norm, generator_norm, raw[:, 5], trained_sigmas(self.config, steps)])

    # --- running -----------------------------------------------------------------------------------------

    def train(self, steps: int = 1) -> dict[str, float]:
        """Advance `steps` iterations (fewer if the run diverges). Returns the latest metrics."""
        return train_in_chunks(self, steps)

    def _train_chunk(self, steps: int) -> None:
        if self.step - self._restore_point["step"] >= RESTORE_EVERY:  # the state here passed its check
            self._restore_point = self._state()
        first_step = self.step + 1
        step_numbers = np.arange(first_step, first_step + steps)
        raw = torch.stack([self.train_step() for _ in range(steps)]).cpu().double().numpy()
        rows = self._metric_rows(raw, step_numbers)
        parameters_finite = all(bool(torch.isfinite(p).all()) for p in self.generator.parameters())
        bad = bad_rows(rows)
        if bad.any() or not parameters_finite:
            first_bad = int(np.argmax(bad)) if bad.any() else steps - 1
            self._load_state(self._restore_point)
            self.history.truncate(self.step)
            self.diverged = self._divergence_message(first_step + first_bad, rows[first_bad])
            return
        self.history.extend(step_numbers, rows)
        if self.step % self.config.coverage_every == 0:
            self._record_coverage()

    def _divergence_message(self, step: int, row: np.ndarray) -> str:
        return (f"Training diverged at step {step:,}: {failed_loss(row)}. The run was stopped and its last finite "
                f"state (step {self.step:,}) kept. {DIVERGENCE_ADVICE}")

    def _state(self) -> dict[str, Any]:
        return {
            "generator": copy.deepcopy(self.generator.state_dict()),
            "critic": copy.deepcopy(self.critic.state_dict()),
            "generator_optimizer": copy.deepcopy(self.generator_optimizer.state_dict()),
            "critic_optimizer": copy.deepcopy(self.critic_optimizer.state_dict()),
            "step": self.step, "critic_updates": self.critic_updates, "generator_updates": self.generator_updates,
            "rng": self.rng.get_state(),
        }

    def _load_state(self, state: dict[str, Any]) -> None:
        self.generator.load_state_dict(state["generator"])
        self.critic.load_state_dict(state["critic"])
        self.generator_optimizer.load_state_dict(state["generator_optimizer"])
        self.critic_optimizer.load_state_dict(state["critic_optimizer"])
        self.step, self.critic_updates = state["step"], state["critic_updates"]
        self.generator_updates = state["generator_updates"]
        self.rng.set_state(state["rng"])

    def latest_metrics(self) -> dict[str, float]:
        out: dict[str, float] = {"step": float(self.step)}
        if len(self.history.rows):
            out.update(zip(METRICS, self.history.rows[-1, 1:].tolist(), strict=True))
        _, captured, quality, _ = self.coverage_history[-1]
        out.update(modes_captured=float(captured), high_quality=quality)
        return out

    # --- evaluation ------------------------------------------------------------------------------------

    def coverage(self) -> metrics.Coverage:
        """Mode coverage of 2,500 samples from a fixed latent batch."""
        with torch.no_grad():
            samples = self.generator(self.evaluation_latent)
        return metrics.mode_coverage(samples, self.dataset.modes, self.dataset.mode_std)

    def _record_coverage(self) -> None:
        result = self.coverage()
        self.coverage_history.append((self.step, result.modes_captured, result.high_quality, result.occupancy))
        if len(self.coverage_history) > MAX_COVERAGE_ROWS:
            self.coverage_history = self.coverage_history[::2]
        self.frames.append(self.frame(points=500, grid_size=32))
        if len(self.frames) > MAX_REPLAY_FRAMES:
            self.frames = self.frames[::2]
        # States sit on every `_state_stride`-th checkpoint (the stride doubling when full, as History's does),
        # plus the newest: evenly spread over the run, whatever its length.
        self._checkpoints_recorded += 1
        self.replay_states[self.step] = {"config": self.config, "state": self._state(),
                                         "ordinal": self._checkpoints_recorded}
        framed = {frame["step"] for frame in self.frames}

        def kept() -> dict[int, dict[str, Any]]:
            return {step: value for step, value in self.replay_states.items() if step in framed and (
                value["ordinal"] % self._state_stride == 0 or step == self.step)}
        while len(kept()) > MAX_REPLAY_STATES:
            self._state_stride *= 2
        self.replay_states = kept()

    def resume_from_frame(self, index: int, config: TrainingConfig | None = None) -> Trainer:
        """A new run that continues from replay frame `index` (its networks, optimisers, RNG, history up to there)
        with the settings it had then, or with `config`'s live settings (switch the loss at the collapse and go
        on). This run is left as it is. With the settings unchanged it trains exactly as this run did from that
        frame (CPU). ValueError for a frame that keeps no model state or a `config` whose restart-only settings
        differ (those need new networks)."""
        if not -len(self.frames) <= index < len(self.frames):
            raise ValueError(f"There is no replay frame {index}: the run has {len(self.frames)}.")
        step = self.frames[index]["step"]
        if step not in self.replay_states:
            nearest = sorted(self.replay_states, key=lambda kept: abs(kept - step))[:2]
            raise ValueError(f"Replay frame {index} (step {step:,}) keeps no model state; the nearest frames that "
                             f"do are at steps {' and '.join(f'{kept:,}' for kept in sorted(nearest))}.")
        kept = self.replay_states[step]
        if config is not None and (blocked := config.restart_changes(kept["config"])):
            raise ValueError(f"These settings need a new run and cannot continue a frame: {', '.join(blocked)}.")
        run = Trainer(kept["config"])
        run._load_state(copy.deepcopy(kept["state"]))  # the optimisers would otherwise share the kept tensors
        run._restore_point = run._state()  # it passed its finiteness check when it was recorded
        run.history.rows, run.history.stride = self.history.rows[self.history.rows[:, 0] <= step], self.history.stride
        run.coverage_history = [row for row in self.coverage_history if row[0] <= step]
        run.frames = [frame for frame in self.frames if frame["step"] <= step]
        run.replay_states = {kept_step: value for kept_step, value in self.replay_states.items() if kept_step <= step}
        run._checkpoints_recorded, run._state_stride = kept["ordinal"], self._state_stride
        if config is not None:
            run.update_config(config)
        return run

    # --- saving and loading (playground/checkpoint.py: the file format and its checks) -----------------------

    def _checkpoint_config(self) -> dict[str, Any]:
        return dataclasses.asdict(self.config)

    @classmethod
    def _from_checkpoint_config(cls, values: dict[str, Any]) -> Trainer:
        return cls(checkpoint.training_config_from(values))

    def _checkpoint_state(self) -> dict[str, Any]:
        """Everything that makes the run continue as if never stopped. The replay frames travel (≈ 10 KB each);
        the replay's model states do not (≈ 0.4 MB each): a loaded run resumes from its last frame only."""
        return {
            "run": self._state(),
            "restore_point": self._restore_point,
            "diverged": self.diverged,
            "history": {"rows": torch.from_numpy(self.history.rows.copy()), "stride": self.history.stride},
            "coverage": [{"step": int(step), "captured": int(captured), "quality": float(quality),
                          "occupancy": torch.from_numpy(np.asarray(occupancy, dtype=np.float64).copy())}
                         for step, captured, quality, occupancy in self.coverage_history],
            "frames": [checkpoint.numpy_to_tensors(frame) for frame in self.frames],
        }

    def _restore_checkpoint_state(self, state: dict[str, Any], template: dict[str, Any]) -> None:
        """Load a file's state into this fresh run after checking every part against the fresh run's own."""
        rules: dict[str, Any] = {
            "state.history.rows": checkpoint.bounded_rows(MAX_HISTORY_ROWS, len(METRICS) + 1),
            "state.coverage": checkpoint.bounded_list(
                MAX_COVERAGE_ROWS, lambda value, where: checkpoint.check_like(value, template["coverage"][0], where)),
            "state.frames": checkpoint.bounded_list(
                MAX_REPLAY_FRAMES, lambda value, where: checkpoint.check_like(value, template["frames"][0], where)),
        }
        for network in ("generator", "critic"):
            parameters = list(getattr(self, network).parameters())
            rules[f"state.run.{network}_optimizer"] = checkpoint.optimizer_checker(
                getattr(self, f"{network}_optimizer"), parameters)
            rules[f"state.restore_point.{network}_optimizer"] = checkpoint.earlier_optimizer_checker(
                lambda kind, lr, beta1, beta2, parameters=parameters: build_optimizer(
                    kind, parameters, lr, beta1, beta2, self.device), parameters)
        checkpoint.check_like(state, template, "state", rules)
        counters = [state[part][key] for part in ("run", "restore_point")
                    for key in ("step", "critic_updates", "generator_updates")]
        if any(not 0 <= value < 2**53 for value in counters) or state["restore_point"]["step"] > state["run"]["step"]:
            raise ValueError("The file's step counters are out of range.")
        stride = state["history"]["stride"]
        if not 1 <= stride <= 2**53 or stride & (stride - 1):
            raise ValueError(f"The file's history stride {stride} is not a power of two.")
        if any(frame["objective"] not in OBJECTIVES for frame in state["frames"]):
            raise ValueError("A replay frame in the file names an unknown loss.")
        self._load_state(state["run"])
        self._restore_point = state["restore_point"]
        self.diverged = state["diverged"]
        self.history.rows, self.history.stride = state["history"]["rows"].numpy(), stride
        self.coverage_history = [(row["step"], row["captured"], row["quality"], row["occupancy"].numpy())
                                 for row in state["coverage"]]
        self.frames = [checkpoint.tensors_to_numpy(frame) for frame in state["frames"]]
        self.replay_states = {self.step: {"config": self.config, "state": copy.deepcopy(state["run"]), "ordinal": 0}}

    @torch.no_grad()
    def sample(self, n: int) -> np.ndarray:
        """n fresh generator samples as a float32 array [n, 2] (does not touch the training RNG)."""
        latent = sampling_latent((n, self.config.latent_size), self.step, self.device)
        return self.generator(latent).float().cpu().numpy()

    def frame(self, points: int = 1000, grid_size: int = 48, arrows: int = 80) -> dict[str, Any]:
        """The picture of the run now, as numpy: points, the critic surface and G's gradient arrows."""
        extent = self.dataset.extent
        axis = np.linspace(-extent, extent, grid_size, dtype=np.float32)
        grid = torch.from_numpy(np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)).to(self.device)
        with torch.no_grad():
            fake = self.generator(self.evaluation_latent[:points])
            surface = self.critic(grid)
            if self.objective.probabilistic:
                surface = torch.sigmoid(surface)
        # The direction each fake point is pushed: −∇ₓ of the generator loss at that point.
        arrow_points = fake[:arrows].detach().requires_grad_(True)
        if arrows:
            loss = self.objective.generator_loss(self.critic(arrow_points)) * len(arrow_points)
            (gradient,) = torch.autograd.grad(loss, arrow_points)
        else:
            gradient = torch.zeros_like(arrow_points)
        return {
            "step": self.step,
            "objective": self.config.objective,
            "probabilistic": self.objective.probabilistic,
            "extent": extent,
            "real": self.evaluation_real[:points].cpu().numpy().astype(np.float32),
            "fake": fake.cpu().numpy().astype(np.float32),
            "grid_axis": axis,
            "surface": surface.reshape(grid_size, grid_size).cpu().numpy().astype(np.float32),
            "arrow_origin": arrow_points.detach().cpu().numpy().astype(np.float32),
            "arrow_direction": (-gradient).cpu().numpy().astype(np.float32),
        }

    @torch.no_grad()
    def manifold(self, grid: int = 15, directions: tuple[int, int] = (0, 1), reach: float = 2.0,
                 bins: int = 40) -> dict[str, Any]:
        """GAN Lab's transformation view: G on a regular grid × grid of the plane through z = 0 spanned by the
        latent axes `directions` (the whole latent plane for a latent of size 2), over ±`reach` (z ~ N(0, I): ±2
        holds most of the mass), and G(z)'s density as a histogram of the fixed evaluation batch (mass 1)."""
        first, second = directions
        size = self.config.latent_size
        if not (0 <= first < size and 0 <= second < size) or (first == second and size > 1):
            raise ValueError(f"directions {directions} are not two latent axes of 0…{size - 1}")
        axis = torch.linspace(-reach, reach, grid)
        latent = torch.zeros(grid, grid, size)
        latent[..., first] = axis[None, :]
        if size > 1:
            latent[..., second] = axis[:, None]
        mesh = self.generator(latent.reshape(-1, size).to(self.device)).cpu().reshape(grid, grid, -1)
        samples = self.generator(self.evaluation_latent).cpu().numpy()
        extent = self.dataset.extent
        edges = np.linspace(-extent, extent, bins + 1)
        inside = np.all(np.abs(samples) <= extent, axis=1)
        counts, _, _ = np.histogram2d(samples[inside, 0], samples[inside, 1], bins=[edges, edges])
        return {"latent_axis": axis.numpy().astype(np.float32), "mesh": mesh.numpy().astype(np.float32),
                "directions": (first, second), "density_edges": edges.astype(np.float32),
                # [y, x], mass 1 over the window; the share of samples outside it is reported beside
                "density": (counts / max(int(inside.sum()), 1)).T.astype(np.float32),
                "outside": float(1 - inside.mean()), "extent": extent,
                "real": self.evaluation_real[:1000].cpu().numpy().astype(np.float32)}

    def snapshot(self, points: int = 1000, grid_size: int = 48, arrows: int = 80) -> dict[str, Any]:
        """What the live view draws: `frame()` plus the run's history and coverage, all numpy."""
        started = time.perf_counter()
        coverage = self.coverage_history
        return {
            **self.frame(points, grid_size, arrows),
            "critic_updates": self.critic_updates,
            "generator_updates": self.generator_updates,
            "dataset": self.config.dataset,
            "modes": self.dataset.modes.astype(np.float32),
            "history": self.history.as_dict(),
            "coverage_step": np.array([row[0] for row in coverage], dtype=np.float64),
            "modes_captured": np.array([row[1] for row in coverage], dtype=np.float64),
            "high_quality": np.array([row[2] for row in coverage], dtype=np.float64),
            "occupancy": np.stack([row[3] for row in coverage]).astype(np.float32),
            "noise_sigma": self.noise_sigma,
            "diverged": self.diverged,
            "frames": len(self.frames),
            "manifold": self.manifold(),
            "snapshot_seconds": time.perf_counter() - started,
        }


def dataset_of(config: TrainingConfig) -> Dataset:
    """The config's dataset: a registry entry, or for "draw" with points, `from_points` of the decoded points.
    Raises ValueError (saying why) for drawn points no dataset can be made of."""
    if config.dataset == "draw" and config.points:
        return from_points(drawing.decode(config.points), label=DATASETS["draw"].label, extent=DRAW_EXTENT)
    return DATASETS[config.dataset]


def describe_device(device: torch.device | None = None) -> str:
    """A one-line description of where models run, for the home page."""
    device = device or resolve_device("auto")
    if device.type == "cuda":
        return f"CUDA GPU: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple GPU (MPS)"
    return "CPU (one training thread per run)"

