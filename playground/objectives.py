"""GAN objectives, one per slide. The critic returns a raw score s(x); classic GANs read D(x) = sigmoid(s(x)).

Every loss is written to be *minimised*: the critic minimises `critic_loss(s_real, s_fake)`, the generator
minimises `generator_loss(s_fake)`. The stable identities −log D = softplus(−s) and −log(1 − D) = softplus(s)
keep the classic losses finite for any logit. Each expectation is a mean over all scores, or over `dim` when given:
the ensemble passes [K, n] scores with dim=-1 and gets one loss per member.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor


def minimax_critic_loss(scores_real: Tensor, scores_fake: Tensor, dim: int | None = None) -> Tensor:
    """−V(D, G) = −E_x log D(x) − E_z log(1 − D(G(z))) (Goodfellow et al., 2014). Equals log 4 at D = ½."""
    return F.softplus(-scores_real).mean(dim) + F.softplus(scores_fake).mean(dim)


def minimax_generator_loss(scores_fake: Tensor, dim: int | None = None) -> Tensor:
    """Minimise E_z log(1 − D(G(z))). Saturates once D rejects fakes confidently: the gradient vanishes."""
    return -F.softplus(scores_fake).mean(dim)


def non_saturating_generator_loss(scores_fake: Tensor, dim: int | None = None) -> Tensor:
    """Minimise −E_z log D(G(z)): the same fixed point, strong gradients exactly where minimax saturates."""
    return F.softplus(-scores_fake).mean(dim)


def wasserstein_critic_loss(scores_real: Tensor, scores_fake: Tensor, dim: int | None = None) -> Tensor:
    """−(E_x f(x) − E_z f(G(z))): the critic maximises the Kantorovich–Rubinstein dual over (roughly) 1-Lipschitz f."""
    return scores_fake.mean(dim) - scores_real.mean(dim)


def wasserstein_generator_loss(scores_fake: Tensor, dim: int | None = None) -> Tensor:
    """Minimise −E_z f(G(z)): move the fakes up the critic's slope."""
    return -scores_fake.mean(dim)


def least_squares_critic_loss(scores_real: Tensor, scores_fake: Tensor, dim: int | None = None) -> Tensor:
    """½ E_x (D(x) − 1)² + ½ E_z D(G(z))² with a = 0, b = 1 (Mao et al., 2017); D is the raw score."""
    return 0.5 * ((scores_real - 1.0) ** 2).mean(dim) + 0.5 * (scores_fake**2).mean(dim)


def least_squares_generator_loss(scores_fake: Tensor, dim: int | None = None) -> Tensor:
    """½ E_z (D(G(z)) − 1)² with c = 1: pull the fakes' scores to the real label."""
    return 0.5 * ((scores_fake - 1.0) ** 2).mean(dim)


def hinge_critic_loss(scores_real: Tensor, scores_fake: Tensor, dim: int | None = None) -> Tensor:
    """E_x max(0, 1 − s(x)) + E_z max(0, 1 + s(G(z))) (Lim & Ye 2017; Miyato et al. 2018)."""
    return F.relu(1.0 - scores_real).mean(dim) + F.relu(1.0 + scores_fake).mean(dim)


MINIMAX_TEX = (r"\min_G \max_D\; \mathbb{E}_{x\sim\pi}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(G(z)))]")
NS_TEX = (r"\max_D\; \mathbb{E}_{\pi}[\log D(x)] + \mathbb{E}_{z}[\log(1-D(G(z)))],\qquad "
          r"\min_G\; -\mathbb{E}_{z}[\log D(G(z))]")
WGAN_TEX = (r"\min_G \max_{w \in [-c, c]^d}\; \mathbb{E}_{x\sim\pi}[f_w(x)] - \mathbb{E}_{z}[f_w(G(z))]")
WGAN_GP_TEX = (r"\min_G \max_f\; \mathbb{E}_{\pi}[f(x)] - \mathbb{E}_{z}[f(G(z))] "
               r"- \lambda\, \mathbb{E}_{\hat x}\big[(\lVert \nabla_{\hat x} f(\hat x)\rVert_2 - 1)^2\big]")
LSGAN_TEX = (r"\min_D \tfrac12\mathbb{E}_{\pi}[(D(x)-1)^2] + \tfrac12\mathbb{E}_{z}[D(G(z))^2],\qquad "
             r"\min_G \tfrac12\mathbb{E}_{z}[(D(G(z))-1)^2]")
HINGE_TEX = (r"\min_D \mathbb{E}_{\pi}[\max(0, 1-D(x))] + \mathbb{E}_{z}[\max(0, 1+D(G(z)))],\qquad "
             r"\min_G -\mathbb{E}_{z}[D(G(z))]")


@dataclass(frozen=True)
class Objective:
    """One GAN game: its display label, slide formula and the two losses to minimise."""

    label: str
    tex: str
    critic_loss: Callable[..., Tensor]      # (scores_real, scores_fake, dim=None)
    generator_loss: Callable[..., Tensor]   # (scores_fake, dim=None)
    lipschitz: str | None = None     # None, "clip" (weight clipping) or "gradient_penalty"
    probabilistic: bool = False      # True when D(x) = sigmoid(s(x)) is a probability (classic GANs)


OBJECTIVES: dict[str, Objective] = {  # keys are URL ids: never rename
    "minimax": Objective("Minimax (saturating)", MINIMAX_TEX, minimax_critic_loss, minimax_generator_loss,
                         probabilistic=True),
    "non_saturating": Objective("Non-saturating", NS_TEX, minimax_critic_loss, non_saturating_generator_loss,
                                probabilistic=True),
    "wgan": Objective("WGAN, weight clipping", WGAN_TEX, wasserstein_critic_loss, wasserstein_generator_loss,
                      lipschitz="clip"),
    "wgan_gp": Objective("WGAN-GP", WGAN_GP_TEX, wasserstein_critic_loss, wasserstein_generator_loss,
                         lipschitz="gradient_penalty"),
    "lsgan": Objective("Least squares (LSGAN)", LSGAN_TEX, least_squares_critic_loss,
                       least_squares_generator_loss),
    "hinge": Objective("Hinge", HINGE_TEX, hinge_critic_loss, wasserstein_generator_loss),
}

# The settings that only one Lipschitz scheme reads: under any other loss their controls change nothing.
LIPSCHITZ_SETTINGS = {"clip_value": "clip", "gp_weight": "gradient_penalty"}


def unused_setting_note(objective_id: str, setting: str) -> str | None:
    """Why `setting` has no effect under the objective `objective_id` (for a disabled control), or None when the
    objective uses it (or the setting is not a Lipschitz setting)."""
    scheme = LIPSCHITZ_SETTINGS.get(setting)
    objective = OBJECTIVES.get(objective_id)
    if setting == "r1_weight" and objective is not None and not objective.probabilistic:
        users = " and ".join(o.label for o in OBJECTIVES.values() if o.probabilistic)
        return f"R1 regularises the classic losses ({users}); {objective.label} ignores it."
    if scheme is None or objective is None or objective.lipschitz == scheme:
        return None
    users = " and ".join(o.label for o in OBJECTIVES.values() if o.lipschitz == scheme)
    return f"Only the {users} loss uses it; {objective.label} ignores it."
