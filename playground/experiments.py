"""The lecture's protocols as plain functions: the saturation of the minimax generator loss, and Arjovsky &
Bottou's (2017) frozen-generator experiment, where a discriminator trained against a fixed generator drives the
minimax generator gradient to zero while the non-saturating one stays strong."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy import special
from torch import Tensor

from playground import metrics, objectives
from playground.datasets import BUILT_IN, DATASETS
from playground.models import Critic
from playground.settings import knob
from playground.training import Trainer, TrainingConfig

# --- saturation, in one picture -------------------------------------------------------------------------------

SATURATION_TEX = (r"\frac{\partial}{\partial s}\log\big(1-\sigma(s)\big) = -\sigma(s) = -D(G(z)),\qquad "
                  r"\frac{\partial}{\partial s}\big(-\log\sigma(s)\big) = \sigma(s)-1 = D(G(z))-1")


def saturation_curves(points: int = 400, smallest: float = 1e-3) -> dict[str, np.ndarray]:
    """The two generator losses and their slopes in the discriminator's logit s, against D = σ(s) ∈ (0, 1).

    minimax:         ℓ(s) = log(1 − σ(s)),  dℓ/ds = −σ(s) = −D          → 0 as D(G(z)) → 0 (a poor generator)
    non-saturating:  ℓ(s) = −log σ(s),      dℓ/ds = σ(s) − 1 = D − 1     → −1 as D(G(z)) → 0
    D runs over [smallest, 1 − smallest] on a logit-uniform grid, so both ends are resolved.
    """
    bound = special.logit(smallest)
    logits = np.linspace(bound, -bound, points)
    d = special.expit(logits)
    return {
        "logit": logits,
        "d": d,
        "loss_minimax": -np.logaddexp(0.0, logits),           # log(1 − σ(s)) = −softplus(s)
        "loss_non_saturating": np.logaddexp(0.0, -logits),    # −log σ(s) = softplus(−s)
        "slope_minimax": -d,
        "slope_non_saturating": d - 1.0,
    }


# --- Arjovsky & Bottou's frozen-generator experiment -------------------------------------------------------------

FROZEN_GENERATOR_TEX = (
    r"\begin{aligned} \nabla_\theta\, \mathbb{E}_z \log\big(1-D(G(z))\big) &= -\,\mathbb{E}_z\big[D(G(z))\,"
    r"\nabla_\theta s(G(z))\big] \\ &\longrightarrow\; 0 \quad \text{as } D \to D^* \text{ where } "
    r"D^*(G(z)) = 0 \text{ (disjoint supports)} \\ "
    r"\nabla_\theta \big(-\mathbb{E}_z \log D(G(z))\big) &= -\,\mathbb{E}_z\big[\big(1-D(G(z))\big)\,"
    r"\nabla_\theta s(G(z))\big] \end{aligned}")
CRITIC_SEED_OFFSET = 7_919     # the fresh critic's weights: a stream of its own, not the trainer's critic
DATA_SEED_OFFSET = 104_729     # its training batches and the fixed evaluation batch
SURFACE_GRID = 48              # the critic surface in snapshots: 48 × 48 points, cheap enough for every frame
SNAPSHOT_POINTS = 400          # real and fake points drawn in snapshots
RECORDS = ("grad_norm_minimax", "grad_norm_non_saturating", "critic_accuracy", "critic_loss")


@dataclass(frozen=True)
class FrozenGeneratorSettings:
    """The Vanishing gradients page's frozen-generator experiment. Every field is live: the experiment runs on
    demand (a Run button), so a change starts nothing; the page says when the result shown was run with others."""

    dataset: str = knob(next(iter(DATASETS)), "Dataset", live=True, choices=BUILT_IN, url="vg_dataset",
                        help="The real distribution π (2-D).")
    pretrain_steps: int = knob(0, "Pretrain G (steps)", live=True, options=(0, 100, 250, 500, 1000, 2000),
                               url="vg_pretrain", help="Train the GAN this long before freezing G; 0 keeps G as "
                               "initialised.")
    critic_steps: int = knob(2000, "D steps", live=True, options=(200, 500, 1000, 2000, 4000),
                             url="vg_critic_steps", help="Discriminator steps against the frozen G.")
    seed: int = knob(0, "Seed", live=True, min=0, max=2**31 - 1, widget="number", url="vg_seed",
                     help="Seeds G's weights, D's weights and the data.")


def _critic_optimizer(config: TrainingConfig, critic: Critic) -> torch.optim.Optimizer:
    """The config's critic optimiser and learning rate (as `Trainer` builds them)."""
    if config.critic_optimizer == "rmsprop":
        return torch.optim.RMSprop(critic.parameters(), lr=config.critic_lr)
    if config.critic_optimizer == "sgd":
        return torch.optim.SGD(critic.parameters(), lr=config.critic_lr, momentum=config.beta1)
    return torch.optim.Adam(critic.parameters(), lr=config.critic_lr, betas=(config.beta1, config.beta2))


class FrozenGeneratorExperiment:
    """Arjovsky & Bottou (2017, §2.2 and Figs. 1–3): freeze G, train a fresh D to optimality, watch ‖∇_θ L_G‖.

    Protocol, step by step:
      1. G is `Trainer(config)`'s generator: deterministic from `config.seed` (after `pretrain_steps` steps of
         ordinary training with `config` when asked), and never updated afterwards.
      2. A fresh critic (the config's architecture, optimiser and critic learning rate) is trained for
         `critic_steps` steps with the minimax critic loss −E log D(x) − E log(1 − D(G(z))) on fresh batches of
         `config.batch_size` real and fake points. Fixed choices of the protocol, whatever the config says: no
         instance noise (the experiment is about disjoint supports) and the minimax critic loss (the
         objective field is ignored).
      3. At step 0 and every `every` steps it records, on one fixed evaluation batch (`config.batch_size` real
         points and latent codes drawn once), ‖∇_θ L_G‖₂ over all of G's parameters θ for
           minimax          L_G = E_z log(1 − D(G(z)))     (gradient −σ(s) ∂s/∂θ: vanishes as D(G(z)) → 0)
           non-saturating   L_G = −E_z log D(G(z))         (gradient (σ(s) − 1) ∂s/∂θ: stays)
         and the critic's accuracy (real scored D > ½, fake D < ½) and loss on that batch.

    Steppable: `step` counts critic steps; `train(n)` first spends steps on pretraining G (if asked), then on
    the critic, and stops at `critic_steps`. `snapshot()` draws the curves so far and the critic's surface.
    """

    def __init__(self, config: TrainingConfig | None = None, *, critic_steps: int = 2000, every: int = 20,
                 pretrain_steps: int = 0):
        if critic_steps < 1 or every < 1 or pretrain_steps < 0:
            raise ValueError("critic_steps and every must be ≥ 1 and pretrain_steps ≥ 0")
        self.config = config = config or TrainingConfig()
        self.critic_steps, self.every, self.pretrain_steps = int(critic_steps), int(every), int(pretrain_steps)
        self.trainer = Trainer(config)
        self.generator = self.trainer.generator
        self.device = self.trainer.device
        self.dataset = self.trainer.dataset
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed + CRITIC_SEED_OFFSET)
            self.critic = Critic(config.critic_hidden_units, config.critic_depth, config.activation)
        self.critic.to(self.device)
        self.optimizer = _critic_optimizer(config, self.critic)
        self.rng = torch.Generator(device=self.device).manual_seed(config.seed + DATA_SEED_OFFSET)
        self.evaluation_real = self.dataset.sample(config.batch_size, self.rng)
        self.evaluation_latent = self._latent(config.batch_size)
        self.step = 0
        self.pretrained = 0
        self.diverged: str | None = None
        self.seconds = 0.0
        self._steps: list[int] = []
        self._records: dict[str, list[float]] = {name: [] for name in RECORDS}
        if self.pretrain_steps == 0:
            self._record()

    @classmethod
    def from_settings(cls, settings: FrozenGeneratorSettings, **options: Any) -> FrozenGeneratorExperiment:
        """The experiment the page's settings describe: the default config on `settings.dataset` and `.seed`."""
        return cls(TrainingConfig(dataset=settings.dataset, seed=settings.seed), critic_steps=settings.critic_steps,
                   pretrain_steps=settings.pretrain_steps, **options)

    # --- progress ---------------------------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self.step >= self.critic_steps or self.diverged is not None

    @property
    def phase(self) -> str:
        if self.pretrained < self.pretrain_steps:
            return "pretraining the generator"
        return "done" if self.done else "training the discriminator"

    @property
    def progress(self) -> float:
        """Share of the work done, in [0, 1] (a pretraining step costs about as much as two critic steps)."""
        total = 2 * self.pretrain_steps + self.critic_steps
        return min(1.0, (2 * self.pretrained + self.step) / total)

    # --- stepping ---------------------------------------------------------------------------------------------

    def train(self, steps: int = 1) -> dict[str, float]:
        """Advance `steps`: pretraining steps of G while those remain, then critic steps up to `critic_steps`."""
        started = time.perf_counter()
        remaining = int(steps)
        if remaining > 0 and self.pretrained < self.pretrain_steps:
            chunk = min(remaining, self.pretrain_steps - self.pretrained)
            self.trainer.train(chunk)
            self.pretrained += chunk
            remaining -= chunk
            if self.trainer.diverged:
                self.diverged = f"Pretraining the generator diverged: {self.trainer.diverged}"
            elif self.pretrained == self.pretrain_steps:
                self._record()
        while remaining > 0 and not self.done:
            # Train up to the next recording step, then record there.
            chunk = min(remaining, self.every - self.step % self.every, self.critic_steps - self.step)
            self._critic_updates(chunk)
            remaining -= chunk
            if self.step % self.every == 0:
                self._record()
        self.seconds += time.perf_counter() - started
        return self.latest()

    def run(self, chunk_steps: int = 100) -> Iterator[FrozenGeneratorExperiment]:
        """Train to the end in chunks, yielding itself after each (for a progress bar and growing curves)."""
        while not self.done:
            self.train(chunk_steps)
            yield self

    def _latent(self, n: int) -> Tensor:
        return torch.randn(n, self.config.latent_size, generator=self.rng, device=self.device)

    def _critic_updates(self, steps: int) -> None:
        """`steps` minimax critic updates; real and fake batches for all of them are drawn in one go."""
        batch = self.config.batch_size
        real = self.dataset.sample(steps * batch, self.rng).reshape(steps, batch, -1)
        with torch.no_grad():
            fake = self.generator(self._latent(steps * batch)).reshape(steps, batch, -1)
        both = torch.cat([real, fake], dim=1)  # one forward pass per step for real and fake together
        for index in range(steps):
            scores = self.critic(both[index])
            loss = objectives.minimax_critic_loss(scores[:batch], scores[batch:])
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
        self.step += steps

    def _record(self) -> None:
        """‖∇_θ L_G‖ for both generator losses, and D's accuracy and loss, on the fixed evaluation batch."""
        parameters = list(self.generator.parameters())
        scores_fake = self.critic(self.generator(self.evaluation_latent))
        minimax = torch.autograd.grad(objectives.minimax_generator_loss(scores_fake), parameters,
                                      retain_graph=True)
        non_saturating = torch.autograd.grad(objectives.non_saturating_generator_loss(scores_fake), parameters)
        with torch.no_grad():
            scores_real = self.critic(self.evaluation_real)
            scores_fake = scores_fake.detach()
            row = {
                "grad_norm_minimax": _norm(minimax),
                "grad_norm_non_saturating": _norm(non_saturating),
                "critic_accuracy": metrics.critic_accuracy(scores_real, scores_fake).item(),
                "critic_loss": objectives.minimax_critic_loss(scores_real, scores_fake).item(),
            }
        if not all(np.isfinite(value) for value in row.values()):
            self.diverged = (f"The discriminator diverged at step {self.step:,} (a non-finite value appeared). "
                             "Try a smaller D learning rate.")
            return
        self._steps.append(self.step)
        for name, value in row.items():
            self._records[name].append(value)

    # --- reading ----------------------------------------------------------------------------------------------

    def results(self) -> dict[str, np.ndarray]:
        """The records so far: "step" and one float64 array per measurement, all of the same length."""
        out = {"step": np.asarray(self._steps, dtype=np.int64)}
        out.update({name: np.asarray(values, dtype=np.float64) for name, values in self._records.items()})
        return out

    def latest(self) -> dict[str, float]:
        out = {"step": float(self.step), "pretrained": float(self.pretrained)}
        if self._steps:
            out.update({name: values[-1] for name, values in self._records.items()})
        return out

    def snapshot(self) -> dict[str, Any]:
        """Curves so far, the fixed batch's points and D(x) on a grid: what the page draws (numpy only)."""
        extent = self.dataset.extent
        axis = np.linspace(-extent, extent, SURFACE_GRID, dtype=np.float32)
        grid = torch.from_numpy(np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)).to(self.device)
        with torch.no_grad():
            surface = torch.sigmoid(self.critic(grid)).reshape(SURFACE_GRID, SURFACE_GRID)
            fake = self.generator(self.evaluation_latent[:SNAPSHOT_POINTS])
        return {
            "step": self.step,
            "critic_steps": self.critic_steps,
            "pretrained": self.pretrained,
            "pretrain_steps": self.pretrain_steps,
            "progress": self.progress,
            "phase": self.phase,
            "dataset": self.config.dataset,
            "extent": extent,
            "probabilistic": True,
            "grid_axis": axis,
            "surface": surface.cpu().numpy().astype(np.float32),
            "real": self.evaluation_real[:SNAPSHOT_POINTS].cpu().numpy().astype(np.float32),
            "fake": fake.cpu().numpy().astype(np.float32),
            "arrow_origin": np.zeros((0, 2), np.float32),
            "arrow_direction": np.zeros((0, 2), np.float32),
            "records": self.results(),
            "seconds": self.seconds,
            "diverged": self.diverged,
        }


def _norm(gradients: tuple[Tensor, ...]) -> float:
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in gradients])).item()


ACCURATE = 0.99  # "D separates the batch": the accuracy the frozen-generator summary reports reaching


def frozen_generator_summary(records: dict[str, np.ndarray]) -> str:
    """What a frozen-generator run showed, in numbers from its own records: when D's accuracy reached ACCURATE
    (or its best), how far the minimax ‖∇_θ L_G‖ fell from its peak by the end, and how the non-saturating one
    ended against its start."""
    steps = np.asarray(records["step"])
    accuracy = np.asarray(records["critic_accuracy"], dtype=np.float64)
    minimax = np.asarray(records["grad_norm_minimax"], dtype=np.float64)
    non_saturating = np.asarray(records["grad_norm_non_saturating"], dtype=np.float64)
    if steps.size == 0:
        return "This run has no records yet."
    reached = np.flatnonzero(accuracy >= ACCURATE)
    accuracy_text = (f"D's accuracy reached {ACCURATE:g} at step {int(steps[reached[0]]):,}" if reached.size else
                     f"D's accuracy never reached {ACCURATE:g} (best {accuracy.max():.3f})")
    peak = int(np.argmax(minimax))
    fall = minimax[peak] / minimax[-1] if minimax[-1] > 0 else math.inf
    minimax_text = (f"the minimax norm ended {_times(fall)} below its peak (step {int(steps[peak]):,})"
                    if fall > 1 else "the minimax norm ended at its peak")
    change = non_saturating[-1] / non_saturating[0] if non_saturating[0] > 0 else math.inf
    non_saturating_text = (f"the non-saturating norm ended {_times(change)} above its start" if change >= 1 else
                           f"the non-saturating norm ended {_times(1 / change)} below its start")
    return f"This run: {accuracy_text}; {minimax_text}; {non_saturating_text}."


def _times(ratio: float) -> str:
    return "∞×" if not math.isfinite(ratio) else f"{ratio:,.0f}×" if ratio >= 10 else f"{ratio:.1f}×"


def frozen_generator(config: TrainingConfig | None = None, critic_steps: int = 2000, every: int = 20, *,
                     pretrain_steps: int = 0, progress: Callable[[int, int], None] | None = None,
                     chunk_steps: int = 100) -> dict[str, np.ndarray]:
    """Arjovsky & Bottou's protocol (see `FrozenGeneratorExperiment`): keep G fixed, train a fresh D with the
    minimax loss for `critic_steps` steps, and record every `every` steps, including step 0 (the untrained D),
    on one fixed batch. Returns "step" (critic steps 0, every, 2·every, …) and "grad_norm_minimax",
    "grad_norm_non_saturating", "critic_accuracy", "critic_loss": critic_steps // every + 1 values each.

    Expected outcome with the default config (8 Gaussians; measured on seeds 0–29: accuracy 1.000, minimax norm
    345–37,000× below its peak at step 2,000 (median ≈ 2,300×), non-saturating norm 11–700× above its start) and on
    the ring (seeds 0–7: ≥ 518×): accuracy reaches 1, the minimax norm falls by orders of magnitude and the
    non-saturating norm grows, as in Arjovsky & Bottou's Figs. 1 (accuracy), 2 (the minimax gradient) and 3 (the
    −log D gradient). The premise is disjoint supports. In 2-D an untrained G
    puts its points in a small blob near the origin; where the data has mass there (the 25 Gaussians' centre mode,
    the inner end of the swiss roll for some seeds), or after pretraining has brought G's points onto the data, D*
    does not saturate on those points and the minimax norm need not vanish. The Gaussian tails of two moons and two
    Gaussians reach the blob faintly: their fall is usually ≥ 100× but can stop short (two moons, seed 2: 46×).

    `pretrain_steps` trains the GAN (with `config`) that many steps before freezing G; `progress(step, total)`
    is called after each chunk of `chunk_steps` with the critic steps done so far.
    """
    experiment = FrozenGeneratorExperiment(config, critic_steps=critic_steps, every=every,
                                           pretrain_steps=pretrain_steps)
    for _ in experiment.run(chunk_steps):
        if progress is not None:
            progress(experiment.step, experiment.critic_steps)
    return experiment.results()
