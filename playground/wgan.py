"""WGAN and weight clipping: several GANs trained in lockstep on the same data (WGAN with clipping beside
WGAN-GP and a classic GAN), the exact W₁ of their samples, and Gulrajani et al.'s per-layer gradient norms of a
deep clipped critic (2017, Fig. 1b: gradients with respect to each layer's activations)."""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from playground.compare import EVALUATE_EVERY, Lockstep
from playground.datasets import BUILT_IN
from playground.models import Critic
from playground.settings import knob, live_changes
from playground.training import Trainer, TrainingConfig


def critic_weights(critic: torch.nn.Module) -> np.ndarray:
    """All weight-matrix entries of the critic (biases left out), flattened."""
    return torch.cat([p.detach().flatten() for name, p in critic.named_parameters() if name.endswith("weight")]
                     ).cpu().numpy()


@dataclass(frozen=True)
class WganSettings:
    """The WGAN page: the data, seed and optimisation its three runs share, WGAN's clipping constant c and
    WGAN-GP's penalty λ. URL ids are the page's first links' keys (wg_c, …): never rename them."""

    dataset: str = knob("eight_gaussians", "Dataset", choices=BUILT_IN, url="wg_dataset")
    clip_value: float = knob(0.01, "Clipping constant c", live=True,
                             options=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0), url="wg_c",
                             help="Every critic weight is clamped into [−c, c] after each critic step (live).")
    gp_weight: float = knob(0.1, "Gradient penalty λ", live=True, options=(0.1, 0.3, 1.0, 3.0, 10.0),
                            url="wg_lambda", help="WGAN-GP's weight of (‖∇f‖ − 1)² (live).")
    critic_steps: int = knob(5, "Critic steps per G step", live=True, min=1, max=10, url="wg_critic_steps",
                             help="Critic updates before each generator update, for both WGANs (live); the classic "
                                  "GAN keeps one.")
    learning_rate: float = knob(5e-4, "Learning rate", live=True, options=(5e-5, 1e-4, 2e-4, 5e-4, 1e-3),
                                format="{:g}", url="wg_lr",
                                help="For every network (the paper's 5e-5 is slow for a lecture minute).")
    seed: int = knob(0, "Seed", min=0, max=2**31 - 1, widget="number", url="wg_seed")

    def configs(self) -> dict[str, TrainingConfig]:
        """The three runs' configs (`comparison_configs`), with small 64-unit networks and batches of 128 so
        that three GANs train live at once."""
        base = TrainingConfig(dataset=self.dataset, seed=self.seed, critic_steps=self.critic_steps,
                              generator_lr=self.learning_rate, critic_lr=self.learning_rate,
                              generator_hidden_units=64, critic_hidden_units=64, batch_size=128)
        return comparison_configs(base, self.clip_value, self.gp_weight)


class WganComparison(Lockstep):
    """The WGAN page's runs in lockstep, built from `WganSettings` (its `config`); each snapshot adds every
    critic's weights for the histograms and the classic discriminator's `jsd_note`."""

    def __init__(self, settings: WganSettings, evaluate_every: int = EVALUATE_EVERY):
        self.settings = settings
        super().__init__({name: Trainer(config) for name, config in settings.configs().items()}, evaluate_every)

    @classmethod
    def from_settings(cls, settings: WganSettings) -> WganComparison:
        return cls(settings)

    @property
    def config(self) -> WganSettings:
        return self.settings

    def reconfigure(self, settings: WganSettings) -> list[str]:
        """c, λ, the critic steps and the learning rate into every run in place; returns the names of those that
        changed. The dataset and the seed need a new comparison."""
        changed = live_changes(self.settings, settings)
        super().reconfigure(settings.configs())
        self.settings = replace(self.settings, **{name: getattr(settings, name) for name in changed})
        return changed

    def snapshot(self) -> dict[str, Any]:
        snapshot = super().snapshot()
        for name, trainer in self.trainers.items():
            snapshot["runs"][name]["weights"] = critic_weights(trainer.critic)
        snapshot["jsd_note"] = jsd_note(snapshot["runs"]["Classic GAN"]["history"]["critic_loss"])
        return snapshot


def comparison_configs(base: TrainingConfig, clip_value: float, gp_weight: float) -> dict[str, TrainingConfig]:
    """The page's three games on one dataset and seed: WGAN with clipping (the paper's RMSprop), WGAN-GP
    (Adam β = (0.5, 0.9)) and a classic non-saturating GAN whose discriminator gives the JSD estimate."""
    return {
        "WGAN (clip c)": replace(base, objective="wgan", clip_value=clip_value, critic_optimizer="rmsprop",
                                 generator_optimizer="rmsprop"),
        "WGAN-GP": replace(base, objective="wgan_gp", gp_weight=gp_weight, beta1=0.5, beta2=0.9),
        "Classic GAN": replace(base, objective="non_saturating", critic_steps=1),
    }


def jsd_estimate(critic_loss: np.ndarray) -> np.ndarray:
    """JSD(π‖p) ≈ ½(log 4 − L_D) from the minimax discriminator's loss L_D (exact at the optimal D)."""
    return 0.5 * (math.log(4) - np.asarray(critic_loss))


JSD_NOTE_WINDOW = 50  # the estimate is a one-batch loss: averaging the last records steadies the stated number


def jsd_note(critic_loss: np.ndarray, window: int = JSD_NOTE_WINDOW) -> str:
    """What the classic discriminator's JSD estimate ½(log 4 − L_D) says now, from its last `window` records. L_D is
    a sum of two cross-entropies, so L_D ≥ 0 and the estimate never exceeds ln 2, which only a discriminator that
    separates data from samples perfectly reaches."""
    losses = np.asarray(critic_loss, dtype=np.float64)
    if losses.size == 0:
        return "Classic GAN's JSD estimate: no steps yet"
    recent = float(np.mean(jsd_estimate(losses[-window:])))
    return (f"Classic GAN's JSD estimate ½(log 4 − L<sub>D</sub>), mean of its last {min(window, losses.size)} steps: "
            f"{recent:.2f} ({recent / math.log(2):.0%} of its ceiling ln 2 ≈ 0.69)")


# --- Gulrajani et al. 2017, Fig. 1b ------------------------------------------------------------------------------

def layer_activation_gradient_norms(critic: Critic, real: torch.Tensor, fake: torch.Tensor) -> np.ndarray:
    """‖∂L/∂h_ℓ‖ for the activations h_ℓ of every critic layer ℓ = 1 … depth + 1 (h_ℓ = ReLU output of hidden
    layer ℓ, the last h the score f(x)), of the WGAN critic loss L = E f(G(z)) − E f(x) on one batch: what
    Gulrajani et al.'s Fig. 1b plots ("the norm of the gradient of the critic loss with respect to successive
    layers of activations"). Norms are over the whole batch's activations, layer by layer."""
    activations: list[torch.Tensor] = []
    scores = []
    for batch in (fake, real):
        hidden = batch
        layers = []
        for module in critic.net:
            hidden = module(hidden)
            if not isinstance(module, torch.nn.Linear):  # the activation after a hidden Linear
                layers.append(hidden)
        layers.append(hidden)  # the score f(x), shape [n, 1]
        activations += layers
        scores.append(hidden.mean())
    loss = scores[0] - scores[1]
    gradients = torch.autograd.grad(loss, activations)
    per_batch = len(activations) // 2
    return np.array([math.hypot(gradients[i].norm().item(), gradients[per_batch + i].norm().item())
                     for i in range(per_batch)])


# RMSprop's step is ~lr per weight whatever the gradient's size: at 1e-3, 20 steps push many weights to ±c, the state a
# long clipped training ends in (Gulrajani et al.'s Fig. 1c); at WGAN's own 5e-5 they barely leave their initial values.
CLIP_PROFILE_LR = 1e-3


def clipping_gradient_profile(clip_values=(0.1, 0.01, 0.001), *, gp_weight: float = 10.0, depth: int = 12,
                              hidden_units: int = 64, steps: int = 100, dataset: str = "swiss_roll",
                              seed: int = 0, progress: Callable[[float], None] | None = None
                              ) -> dict[str, np.ndarray]:
    """`measure_gradient_profile` run to the end; `progress(share)` after each critic."""
    measuring = measure_gradient_profile(clip_values, gp_weight=gp_weight, depth=depth, hidden_units=hidden_units,
                                         steps=steps, dataset=dataset, seed=seed)
    while True:
        try:
            share, _, _ = next(measuring)
        except StopIteration as finished:
            return finished.value
        if progress:
            progress(share)


def page_gradient_profile(settings: WganSettings) -> Generator[tuple[float, str, None], None, dict[str, np.ndarray]]:
    """The WGAN page's measurement (256-unit critics, 20 steps, on the page's dataset and seed), for `ui.experiment`."""
    return measure_gradient_profile(steps=20, hidden_units=256, dataset=settings.dataset, seed=settings.seed)


def measure_gradient_profile(clip_values=(0.1, 0.01, 0.001), *, gp_weight: float = 10.0, depth: int = 12,
                             hidden_units: int = 64, steps: int = 100, dataset: str = "swiss_roll", seed: int = 0
                             ) -> Generator[tuple[float, str, None], None, dict[str, np.ndarray]]:
    """Train a deep critic (depth ReLU layers, no normalisation) between the data and a fixed, untrained
    generator for `steps` RMSprop steps (lr CLIP_PROFILE_LR) with weight clipping at each c — and once with a
    gradient penalty (Adam) — then measure ‖∂L/∂h_ℓ‖ for every layer's activations (Gulrajani et al.'s Fig. 1b,
    which trains WGANs with 12-layer ReLU critics on the swiss roll). Returns label → norms, layer 1 (first hidden
    layer) first, the score last. Every curve starts at the score's √(2/n); moving back through the layers,
    clipping at c = 0.1 multiplies the gradient by ~10 a layer and c = 0.01 or 0.001 divides it by ~10 or ~100,
    while the penalty's changes by under three decades in all."""
    base = TrainingConfig(dataset=dataset, seed=seed, critic_depth=depth, critic_hidden_units=hidden_units,
                          batch_size=256)
    settings = [(f"clip c = {c:g}", replace(base, objective="wgan", clip_value=c, critic_optimizer="rmsprop",
                                            critic_lr=CLIP_PROFILE_LR)) for c in clip_values]
    settings.append((f"gradient penalty λ = {gp_weight:g}", replace(base, objective="wgan_gp", gp_weight=gp_weight,
                                                                    critic_lr=1e-4, beta1=0.5, beta2=0.9)))
    profile: dict[str, np.ndarray] = {}
    for index, (label, config) in enumerate(settings):
        trainer = Trainer(config)
        for _ in range(steps):
            trainer.critic_step()
        real = trainer.real_batch()
        with torch.no_grad():
            fake = trainer.generator(trainer.latent_batch())
        profile[label] = layer_activation_gradient_norms(trainer.critic, real, fake)
        yield (index + 1) / len(settings), f"Measured the critic with {label}", None
    return profile


def profile_summary(profile: dict[str, np.ndarray]) -> str:
    """One sentence per measured critic: how many powers of ten its gradient gains or loses from the last layer
    (the score) back to the first, or that it reached exactly 0 (below float32's range)."""
    parts = []
    for label, norms in profile.items():
        norms = np.asarray(norms, dtype=np.float64)
        if norms[0] == 0:
            parts.append(f"falls to exactly 0 with {label}")
            continue
        decades = math.log10(norms[0] / norms[-1])
        verb = "grows" if decades > 0 else "shrinks"
        parts.append(f"{verb} by {abs(decades):.1f} decades with {label}")
    return "From the score back to layer 1, the gradient norm " + "; ".join(parts) + "."

