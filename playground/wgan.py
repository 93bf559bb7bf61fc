"""WGAN and weight clipping: several GANs trained in lockstep on the same data (WGAN with clipping beside
WGAN-GP and a classic GAN), the exact W₁ of their samples, and Gulrajani et al.'s per-layer gradient norms of a
deep clipped critic (2017, Fig. 1b)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from playground.compare import Lockstep
from playground.models import Critic
from playground.training import Trainer, TrainingConfig


def critic_weights(critic: torch.nn.Module) -> np.ndarray:
    """All weight-matrix entries of the critic (biases left out), flattened."""
    return torch.cat([p.detach().flatten() for name, p in critic.named_parameters() if name.endswith("weight")]
                     ).cpu().numpy()


class WganComparison(Lockstep):
    """The WGAN page's runs in lockstep; each snapshot adds every critic's weights for the histograms."""

    def snapshot(self) -> dict[str, Any]:
        snapshot = super().snapshot()
        for name, trainer in self.trainers.items():
            snapshot["runs"][name]["weights"] = critic_weights(trainer.critic)
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


# --- Gulrajani et al. 2017, Fig. 1b ------------------------------------------------------------------------------

def layer_gradient_norms(critic: Critic, real: torch.Tensor, fake: torch.Tensor) -> np.ndarray:
    """‖∂L/∂W_ℓ‖ for every weight matrix ℓ (input layer first) of the WGAN critic loss on one batch."""
    critic.zero_grad(set_to_none=True)
    loss = critic(fake).mean() - critic(real).mean()
    loss.backward()
    return np.array([p.grad.norm().item() for name, p in critic.named_parameters() if name.endswith("weight")])


# RMSprop's step is ~lr per weight whatever the gradient's size: at 1e-3, 20 steps push many weights to ±c, the state a
# long clipped training ends in (Gulrajani et al.'s Fig. 1c); at WGAN's own 5e-5, 20 steps barely leave the initial
# weights, so the profile would show no explosion.
CLIP_PROFILE_LR = 1e-3


def clipping_gradient_profile(clip_values=(0.1, 0.01, 0.001), *, gp_weight: float = 10.0, depth: int = 12,
                              hidden_units: int = 64, steps: int = 100, dataset: str = "swiss_roll",
                              seed: int = 0, progress: Callable[[float], None] | None = None
                              ) -> dict[str, np.ndarray]:
    """Train a deep critic (depth ReLU layers, no normalisation) between the data and a fixed, untrained
    generator for `steps` RMSprop steps (lr CLIP_PROFILE_LR) with weight clipping at each c — and once with a
    gradient penalty (Adam) — then measure the per-layer gradient norms of the critic loss. Returns label → norms
    (input layer first). Clipping makes them explode (c = 0.1: 1e9–1e12 on 8 Gaussians, swiss roll and 25
    Gaussians, seeds 0–2) or vanish (c = 0.01: 1e-12–1e-8; c = 0.001: exactly 0 in float32 at 10–12 of 13
    layers); the penalty keeps them level (1e-3–1e-1)."""
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
        profile[label] = layer_gradient_norms(trainer.critic, real, fake)
        if progress:
            progress((index + 1) / len(settings))
    return profile
