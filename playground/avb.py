"""Adversarial variational Bayes (Mescheder, Nowozin & Geiger 2017) on their toy: x uniform over the four
one-hot vectors of {0, 1}⁴, z ∈ ℝ² with prior N(0, I), a decoder p(x|z) = Πᵢ Bernoulli(xᵢ; σ(ℓᵢ(z))) as in their
code. A VAE with a Gaussian encoder trains beside AVB, whose implicit encoder z = g(x, ε) has no density: an
adversary T(x, z), trained with the density-ratio trick, stands in for log q(z|x) − log p(z) in the ELBO.
Because z is 2-D, the truth can be computed beside it: KL(q(z|x) ‖ p(z)) of the implicit encoder by a k-nearest-
neighbour entropy estimate on its samples, and log p(x) by quadrature over z."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch
import torch.nn.functional as F
from scipy import special, stats
from scipy.spatial import cKDTree
from torch import Tensor, nn

from playground import checkpoint
from playground.density_ratio import LEARNING_RATES, logistic_loss
from playground.models import mlp
from playground.settings import Preset, knob

CATEGORIES = 4            # x ∈ {e₁, e₂, e₃, e₄} ⊂ {0, 1}⁴, uniform
LATENT_SIZE = 2
BEST_ELBO = -math.log(CATEGORIES)   # E_x log p(x) ≤ −log 4 for uniform x (Gibbs), and ELBO ≤ log p(x)
# A decoder that ignores z can only say "each bit is on with probability ¼": log p(x) = log ¼ + 3 log ¾.
# The latent code must carry which bit is on to beat it; this is why the toy has a factorised decoder (a
# categorical decoder would reach −log 4 with q(z|x) = p(z) and the latent space would stay empty).
INDEPENDENT_BITS_LOG_LIKELIHOOD = math.log(0.25) + 3 * math.log(0.75)

ELBO_TEX = (r"\log p(x) \;\ge\; \mathrm{ELBO}(x) = \mathbb{E}_{q(z|x)}\big[\log p(x\mid z)\big] "
            r"- \mathrm{KL}\big(q(z\mid x)\,\|\,p(z)\big)")
VAE_TEX = (r"\begin{aligned}\text{VAE: }\; & z = \mu(x) + \sigma(x)\odot\varepsilon,\quad \varepsilon\sim N(0, I)\\"
           r"& \mathrm{KL} = \textstyle\sum_i \tfrac12\big(\mu_i^2 + \sigma_i^2 - 1\big) - \log\sigma_i"
           r"\quad\text{(exact)}\end{aligned}")
AVB_TEX = (r"\begin{aligned}\text{AVB: }\; & z = g(x, \varepsilon),\quad \varepsilon\sim N(0, I)\\"
           r"& \max_T\; \mathbb{E}_{q(z|x)}\log\sigma(T) + \mathbb{E}_{p(z)}\log\big(1-\sigma(T)\big)\\"
           r"& \Rightarrow\; T^*(x,z) = \log q(z\mid x) - \log p(z)\end{aligned}")
AVB_ELBO_TEX = (r"\text{AVB trains on } \mathbb{E}_{\varepsilon}\big[\log p(x \mid g(x,\varepsilon)) "
                r"- T(x, g(x,\varepsilon))\big],\qquad \mathbb{E}_{q(z|x)}[T(x,z)] \approx "
                r"\mathrm{KL}\big(q(z\mid x)\,\|\,p(z)\big) \text{ only when } T = T^*")
KNN_TEX = (r"\widehat{\mathrm{KL}} = -\hat H(q) + \mathbb{E}_{q}\big[\tfrac12\|z\|^2\big] + \log 2\pi,\quad "
           r"\hat H(q) = \psi(n) - \psi(k) + \log\pi + \tfrac{2}{n}\textstyle\sum_i \log r_{k,i}")


def one_hot(labels: Tensor) -> Tensor:
    return F.one_hot(labels, CATEGORIES).float()


def log_likelihood_table(decoder_logits: Tensor) -> Tensor:
    """log p(e_k|z) for every k, [n, 4]: Σᵢ log Bernoulli(xᵢ; σ(ℓᵢ)) with x = e_k equals ℓ_k − Σᵢ softplus(ℓᵢ)."""
    return decoder_logits - F.softplus(decoder_logits).sum(-1, keepdim=True)


def log_likelihood(decoder_logits: Tensor, labels: Tensor) -> Tensor:
    """log p(x|z) = Σᵢ xᵢ log σ(ℓᵢ) + (1 − xᵢ) log(1 − σ(ℓᵢ)) for x = e_label, one value per row."""
    return log_likelihood_table(decoder_logits).gather(-1, labels[:, None]).squeeze(-1)


def gaussian_kl_to_standard(mean: Tensor, log_std: Tensor) -> Tensor:
    """KL(N(μ, diag σ²) ‖ N(0, I)) = Σᵢ ½(μᵢ² + σᵢ² − 1) − log σᵢ, one value per row."""
    return (0.5 * (mean**2 + torch.exp(2 * log_std) - 1.0) - log_std).sum(-1)


def avb_encoder_loss(log_likelihoods: Tensor, adversary_scores: Tensor) -> Tensor:
    """−ELBO estimate for the encoder and decoder: E[T(x, z) − log p(x|z)] with z = g(x, ε)."""
    return (adversary_scores - log_likelihoods).mean()


def mean_log_marginal(decoder: nn.Module, prior_samples: Tensor) -> float:
    """E_x log p(x) for uniform x, with p(x) = E_{p(z)} p(x|z) as the plain mean over `prior_samples` (random
    draws, or the equal-mass points of `prior_quadrature`)."""
    with torch.no_grad():
        log_probabilities = log_likelihood_table(decoder(prior_samples))          # [n, 4]
    log_marginal = torch.logsumexp(log_probabilities, 0) - math.log(len(prior_samples))
    return float(log_marginal.mean())


QUADRATURE_POINTS = 64    # per axis; on trained decoders 64, 128 and 512 agreed with 2·10⁶ prior draws to 10⁻⁴ nats


def prior_quadrature(points_per_axis: int = QUADRATURE_POINTS) -> Tensor:
    """Midpoint quadrature of N(0, I) in ℝ²: z = (Φ⁻¹(uᵢ), Φ⁻¹(uⱼ)) at the midpoints uᵢ = (i + ½)/m of m equal-mass
    cells per axis, every point of weight 1/m². E_{p(z)} f ≈ the plain mean of f over these points."""
    axis = stats.norm.ppf((np.arange(points_per_axis) + 0.5) / points_per_axis)
    first, second = np.meshgrid(axis, axis, indexing="ij")
    return torch.tensor(np.stack([first.ravel(), second.ravel()], axis=1), dtype=torch.float32)


KL_NEIGHBOURS = 3          # k of the k-NN estimate: k = 1 is noisier, k = 5 more biased at sharp edges
KL_SAMPLES = 2048          # samples of q(z|x) per x for the k-NN estimate
# The mean over the four x against closed forms (Gaussian posteriors; uniform pie slices of radius 0.1, 2 and 3),
# 20 noise draws each: bias −0.02 to +0.01 nats, worst error 0.04. tests/test_avb.py pins KL_ACCURACY.
KL_ESTIMATOR = "k-NN (Kozachenko–Leonenko) entropy estimate, k = 3, 2,048 samples of q(z|x) per x"
KL_ACCURACY = 0.05         # nats, on the mean over the four x: the bound stated on the page and pinned in tests


def knn_entropy(samples: np.ndarray, neighbours: int = KL_NEIGHBOURS) -> float:
    """Kozachenko–Leonenko estimate of the differential entropy H(q) = −E_q log q(z) from samples [n, 2]:
    Ĥ = ψ(n) − ψ(k) + log π + (2/n) Σᵢ log rᵢ, with rᵢ the distance from zᵢ to its k-th nearest neighbour
    (π is the area of the unit disc). Consistent for any density; no bandwidth to choose."""
    samples = np.asarray(samples, dtype=np.float64)
    count, dimension = samples.shape
    distances = cKDTree(samples).query(samples, k=neighbours + 1)[0][:, neighbours]
    # an encoder collapsed to one point makes distances 0: the entropy is then −∞ and the KL +∞, as it should
    with np.errstate(divide="ignore"):
        log_distances = np.log(distances)
    return float(special.digamma(count) - special.digamma(neighbours) + math.log(math.pi)
                 + dimension * np.mean(log_distances))


def knn_kl_to_standard(samples: np.ndarray, neighbours: int = KL_NEIGHBOURS) -> float:
    """KL(q ‖ N(0, I)) = −H(q) − E_q log p(z) = −H(q) + E_q ½‖z‖² + log 2π in ℝ², H(q) by `knn_entropy`."""
    samples = np.asarray(samples, dtype=np.float64)
    return -knn_entropy(samples, neighbours) + 0.5 * float((samples**2).sum(1).mean()) + math.log(2 * math.pi)


@torch.no_grad()
def encoder_kl(encoder: nn.Module, noise: Tensor, neighbours: int = KL_NEIGHBOURS) -> float:
    """E_x KL(q(z|x) ‖ p(z)) over the four x by `knn_kl_to_standard`, from z = encoder(x, noise[x]) for noise
    [4, n, noise size]: independent noise per x, so that the four estimates' errors partly cancel in the mean."""
    values = []
    for category in range(CATEGORIES):
        labels = torch.full((noise.shape[1],), category)
        values.append(knn_kl_to_standard(encoder.sample(labels, noise[category]).numpy(), neighbours))
    return float(np.mean(values))


class GaussianEncoder(nn.Module):
    """q(z|x) = N(μ(x), diag σ(x)²): the VAE's encoder."""

    def __init__(self, hidden_units: int, depth: int):
        super().__init__()
        self.net = mlp(CATEGORIES, 2 * LATENT_SIZE, hidden_units, depth, "elu")

    def forward(self, labels: Tensor) -> tuple[Tensor, Tensor]:
        mean, log_std = self.net(one_hot(labels)).chunk(2, dim=-1)
        return mean, log_std

    def sample(self, labels: Tensor, noise: Tensor) -> Tensor:
        """Reparameterisation: z = μ(x) + σ(x) ⊙ ε with ε ~ N(0, I) (noise[:, :2])."""
        mean, log_std = self(labels)
        return mean + torch.exp(log_std) * noise[:, :LATENT_SIZE]


class ImplicitEncoder(nn.Module):
    """z = g(x, ε): AVB's neural sampler. Any shape of q(z|x) is possible; its density is unknown."""

    def __init__(self, hidden_units: int, depth: int, noise_size: int):
        super().__init__()
        self.noise_size = noise_size
        self.net = mlp(CATEGORIES + noise_size, LATENT_SIZE, hidden_units, depth, "elu")

    def sample(self, labels: Tensor, noise: Tensor) -> Tensor:
        return self.net(torch.cat([one_hot(labels), noise[:, : self.noise_size]], dim=-1))


class Adversary(nn.Module):
    """T(x, z): a classifier of (x, z ~ q(z|x)) against (x, z ~ p(z)); its logit estimates log q(z|x)/p(z)."""

    def __init__(self, hidden_units: int, depth: int, prior_term: bool = True):
        super().__init__()
        self.prior_term = prior_term
        self.net = mlp(CATEGORIES + LATENT_SIZE, 1, hidden_units, depth, "elu")

    def forward(self, labels: Tensor, z: Tensor) -> Tensor:
        scores = self.net(torch.cat([one_hot(labels), z], dim=-1)).squeeze(-1)
        if self.prior_term:
            # ½‖z‖² = −log p(z) + const is part of T* = log q(z|x) − log p(z) for every encoder: adding it
            # leaves the network only log q(z|x) to learn, which stays bounded far from the prior's mass.
            scores = scores + 0.5 * (z**2).sum(-1)
        return scores


@dataclass(frozen=True)
class AvbConfig:
    """Both models share every size and rate so that only the encoder differs. Rates are live."""

    seed: int = 0
    hidden_units: int = 64           # encoder and decoder: 2 × 64 ELU (the paper's toy used 3 × 64)
    depth: int = 2
    adversary_hidden_units: int = 128
    adversary_depth: int = 2
    noise_size: int = 8              # ε ∈ ℝ⁸ for AVB's encoder (the VAE uses the first two coordinates)
    batch_size: int = 256
    learning_rate: float = 2e-3      # encoder + decoder (Adam); the paper's 2e-5 needs 100,000 steps
    adversary_learning_rate: float = 4e-3  # the adversary must track the moving encoder: faster than it
    adversary_steps: int = 1         # adversary updates per encoder/decoder update
    adversary_prior_term: bool = True  # T(x, z) = network(x, z) + ½‖z‖², see Adversary.forward
    adam_beta1: float = 0.5          # the GAN habit; with 0.9 (and rates halved) AVB's posteriors shrank to dots
    record_every: int = 25           # steps between points on the curves
    evaluation_size: int = 512       # fixed ε per category for the curves and the scatter


@dataclass(frozen=True)
class AvbSettings:
    """The AVB section's controls, the `AvbConfig` fields a lecturer changes. URL ids are the page's first links'
    keys (avb_lr, avb_seed, …): never rename them. β₁ has no control of its own: a preset sets it."""

    learning_rate: float = knob(2e-3, "Encoder/decoder rate", live=True, options=LEARNING_RATES, format="{:g}",
                                url="avb_lr", help="Adam's rate for both models' encoders and decoders; applies live.")
    adversary_learning_rate: float = knob(
        4e-3, "Adversary rate", live=True, options=LEARNING_RATES, format="{:g}", url="avb_adversary_lr",
        help="Adam's rate for the adversaries T(x, z); applies live. T must keep up with the encoder.")
    adversary_steps: int = knob(1, "T steps per step", live=True, min=1, max=5, widget="number",
                                url="avb_adversary_steps",
                                help="Adversary updates per encoder/decoder update; applies live.")
    seed: int = knob(0, "Seed", min=0, max=9999, widget="number", url="avb_seed",
                     help="Initial weights and noise.")
    adam_beta1: float = knob(0.5, "Adam's β₁", options=(0.5, 0.9), format="{:g}",
                             help="Adam's momentum for every network of both models.")

    def comparison_config(self, **config) -> AvbConfig:
        """The `AvbConfig` these settings describe (`config`: its other fields)."""
        return AvbConfig(learning_rate=self.learning_rate, adversary_learning_rate=self.adversary_learning_rate,
                         adversary_steps=self.adversary_steps, seed=self.seed, adam_beta1=self.adam_beta1, **config)


PRESETS: dict[str, Preset] = {  # keys are URL ids: never rename
    "paper": Preset(
        "The paper's toy (Fig. 4), fast rates",
        "Mescheder, Nowozin & Geiger (2017), Fig. 4, with rates fast enough for a CPU. Measured at seed 0: "
        "AVB's posteriors tile the prior by step 1,500 while the VAE's stay ellipses. At "
        "seeds 0 and 1, AVB's log p(x) is above the VAE's from step 1,000 on, but its true ELBO passes the "
        "VAE's only around step 2,000: AVB climbs the ELBO through T, which sat a few tenths of a nat above "
        "its true ELBO."),
    "lagging_adversary": Preset(
        "Adversary that lags",
        "Adam's heavier momentum (β₁ = 0.9) and halved rates. Measured at seed 0: T fell behind AVB's encoder, "
        "which exploited its errors: AVB's posteriors shrank towards dots, their true KL (k-NN) rose to about "
        "6.5 nats by step 1,000 while $E_q[T]$ read about 2.3, and AVB's true ELBO fell below −6 before it "
        "recovered to about −2 by step 2,500. The VAE's adversary stayed near the exact KL (≤ 0.05 nats off "
        "in 200-step averages at every 500th step).",
        {"learning_rate": 1e-3, "adversary_learning_rate": 2e-3, "adam_beta1": 0.9}),
}


@dataclass
class Networks:
    """One model's encoder and decoder, and the adversary T(x, z) trained on its encoder."""

    encoder: nn.Module
    decoder: nn.Module
    adversary: Adversary

    def model_parameters(self) -> list[nn.Parameter]:
        return [*self.encoder.parameters(), *self.decoder.parameters()]


def build_networks(config: AvbConfig, implicit: bool) -> Networks:
    encoder = (ImplicitEncoder(config.hidden_units, config.depth, config.noise_size) if implicit
               else GaussianEncoder(config.hidden_units, config.depth))
    decoder = mlp(LATENT_SIZE, CATEGORIES, config.hidden_units, config.depth, "elu")
    adversary = Adversary(config.adversary_hidden_units, config.adversary_depth, config.adversary_prior_term)
    return Networks(encoder, decoder, adversary)


def adversary_loss(networks: Networks, labels: Tensor, noise: Tensor, prior: Tensor) -> Tensor:
    """The density-ratio trick between q(z|x) (label 1) and p(z) (label 0), the encoder held fixed."""
    with torch.no_grad():
        z_posterior = networks.encoder.sample(labels, noise)
    return logistic_loss(networks.adversary(labels, z_posterior), networks.adversary(labels, prior))


@checkpoint.register
@dataclass
class AvbComparison(checkpoint.Checkpointable):
    """A VAE and AVB trained in lockstep on the same batches (the Steppable protocol).

    Each step: (1) the VAE's encoder and decoder climb the exact ELBO and AVB's climb the adversarial ELBO
    E[log p(x|z) − T(x, z)], T held fixed; (2) each adversary takes `adversary_steps` logistic-loss steps on
    its own encoder's z against prior z. The VAE never uses its adversary: it is there to show how well T
    estimates a KL that is known exactly. The two models share no parameters, so one backward pass over the
    sum of their losses gives each exactly its own gradients (and halves the Python overhead of a step).
    """

    config: AvbConfig = field(default_factory=AvbConfig)

    def __post_init__(self) -> None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.config.seed)
            self.vae = build_networks(self.config, implicit=False)
            self.avb = build_networks(self.config, implicit=True)
        betas = (self.config.adam_beta1, 0.999)
        self.model_optimizer = torch.optim.Adam(
            [{"params": self.vae.model_parameters()}, {"params": self.avb.model_parameters()}],
            lr=self.config.learning_rate, betas=betas)
        self.adversary_optimizer = torch.optim.Adam(
            [{"params": self.vae.adversary.parameters()}, {"params": self.avb.adversary.parameters()}],
            lr=self.config.adversary_learning_rate, betas=betas)
        self.generator = torch.Generator().manual_seed(self.config.seed)
        self.adversary_steps = self.config.adversary_steps     # live: `reconfigure` changes it
        self.step = 0
        self.diverged: str | None = None
        fixed = torch.Generator().manual_seed(self.config.seed + 1)
        size = self.config.evaluation_size
        self.evaluation_labels = torch.arange(CATEGORIES).repeat_interleave(size)
        self.evaluation_noise = torch.randn(CATEGORIES * size, self.config.noise_size, generator=fixed)
        self.kl_noise = torch.randn(CATEGORIES, KL_SAMPLES, self.config.noise_size, generator=fixed)
        self.quadrature = prior_quadrature()
        self.history: dict[str, list[float]] = {key: [] for key in HISTORY_KEYS}
        self._record()

    # --- one step, in numbered phases ------------------------------------------------------------------------

    def _batch(self) -> tuple[Tensor, Tensor, Tensor]:
        size = self.config.batch_size
        labels = torch.randint(CATEGORIES, (size,), generator=self.generator)
        noise = torch.randn(size, self.config.noise_size, generator=self.generator)
        prior = torch.randn(size, LATENT_SIZE, generator=self.generator)
        return labels, noise, prior

    def _vae_loss(self, labels: Tensor, noise: Tensor) -> Tensor:
        """−ELBO with the exact Gaussian KL and the reparameterised z = μ + σ ⊙ ε."""
        mean, log_std = self.vae.encoder(labels)
        z = mean + torch.exp(log_std) * noise[:, :LATENT_SIZE]
        return -(log_likelihood(self.vae.decoder(z), labels) - gaussian_kl_to_standard(mean, log_std)).mean()

    def _avb_loss(self, labels: Tensor, noise: Tensor) -> Tensor:
        """−ELBO through T: E[T(x, z) − log p(x|z)], z = g(x, ε); the gradient reaches g through z."""
        z = self.avb.encoder.sample(labels, noise)
        return avb_encoder_loss(log_likelihood(self.avb.decoder(z), labels), self.avb.adversary(labels, z))

    def train(self, steps: int) -> dict[str, float]:
        """`steps` lockstep updates of both models; stops and sets `diverged` on a non-finite loss."""
        metrics: dict[str, float] = {}
        for _ in range(int(steps)):
            if self.diverged:
                break
            # (1) Encoders and decoders: the VAE on its exact ELBO, AVB on its adversarial ELBO.
            labels, noise, _ = self._batch()
            vae_loss, avb_loss = self._vae_loss(labels, noise), self._avb_loss(labels, noise)
            self.model_optimizer.zero_grad(set_to_none=True)
            (vae_loss + avb_loss).backward()     # also fills T's gradients; cleared before T's own step
            self.model_optimizer.step()
            metrics["vae_batch_elbo"], metrics["avb_batch_elbo"] = -vae_loss.item(), -avb_loss.item()
            # (2) Both adversaries: the density-ratio trick between q(z|x) and p(z), on fresh noise.
            for _ in range(self.adversary_steps):
                labels, noise, prior = self._batch()
                vae_adversary = adversary_loss(self.vae, labels, noise, prior)
                avb_adversary = adversary_loss(self.avb, labels, noise, prior)
                self.adversary_optimizer.zero_grad(set_to_none=True)
                (vae_adversary + avb_adversary).backward()
                self.adversary_optimizer.step()
            metrics["vae_adversary_loss"], metrics["avb_adversary_loss"] = vae_adversary.item(), avb_adversary.item()
            if not all(math.isfinite(value) for value in metrics.values()):
                self.diverged = f"a loss became non-finite at step {self.step}: {metrics}"
                break
            self.step += 1
            if self.step % self.config.record_every == 0:
                self._record()
        return metrics

    @classmethod
    def from_settings(cls, settings: AvbSettings, **config) -> AvbComparison:
        """A comparison built from the page's settings (`config`: other `AvbConfig` fields)."""
        return cls(settings.comparison_config(**config))

    def reconfigure(self, config: AvbSettings | AvbConfig) -> list[str]:
        """The live settings of `config`: both models' rates and the adversaries' updates per step; returns the
        names that changed. The others need a new comparison."""
        live = ("learning_rate", "adversary_learning_rate", "adversary_steps")
        changed = [name for name in live if getattr(config, name) != getattr(self.config, name)]
        self.config = replace(self.config, learning_rate=float(config.learning_rate),
                              adversary_learning_rate=float(config.adversary_learning_rate),
                              adversary_steps=max(1, int(config.adversary_steps)))
        self.adversary_steps = self.config.adversary_steps
        for group in self.model_optimizer.param_groups:
            group["lr"] = self.config.learning_rate
        for group in self.adversary_optimizer.param_groups:
            group["lr"] = self.config.adversary_learning_rate
        return changed

    # --- evaluation on fixed noise -------------------------------------------------------------------------

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """Averages over x uniform, on fixed noise. For each model (prefix vae_ / avb_): elbo, the true ELBO
        (E_q log p(x|z) − kl); kl, KL(q(z|x) ‖ p(z)), exact for the VAE and by the k-NN estimate for AVB;
        kl_adversary, its adversary's E_q[T(x, z)]; log_likelihood, E_x log p(x) by quadrature over z. Also
        avb_elbo_adversary, the ELBO through T that AVB trains on, and vae_kl_knn, the k-NN estimate applied to the
        VAE's encoder, whose exact KL shows the estimate's error live."""
        labels, noise = self.evaluation_labels, self.evaluation_noise
        mean, log_std = self.vae.encoder(labels)
        z_vae = mean + torch.exp(log_std) * noise[:, :LATENT_SIZE]
        vae_kl = float(gaussian_kl_to_standard(mean, log_std).mean())
        vae_reconstruction = float(log_likelihood(self.vae.decoder(z_vae), labels).mean())
        z_avb = self.avb.encoder.sample(labels, noise)
        avb_reconstruction = float(log_likelihood(self.avb.decoder(z_avb), labels).mean())
        avb_kl_adversary = float(self.avb.adversary(labels, z_avb).mean())
        avb_kl = encoder_kl(self.avb.encoder, self.kl_noise)
        return {
            "vae_elbo": vae_reconstruction - vae_kl,
            "vae_kl": vae_kl,
            "vae_kl_adversary": float(self.vae.adversary(labels, z_vae).mean()),
            "vae_kl_knn": encoder_kl(self.vae.encoder, self.kl_noise),
            "vae_log_likelihood": mean_log_marginal(self.vae.decoder, self.quadrature),
            "avb_elbo": avb_reconstruction - avb_kl,
            "avb_kl": avb_kl,
            "avb_kl_adversary": avb_kl_adversary,
            "avb_elbo_adversary": avb_reconstruction - avb_kl_adversary,
            "avb_log_likelihood": mean_log_marginal(self.avb.decoder, self.quadrature),
        }

    # --- saving and loading (playground/checkpoint.py) --------------------------------------------------------

    CHECKPOINT_KIND, CHECKPOINT_LABEL = "avb", "AVB"
    CHECKPOINT_LIMITS = {"seed": (0, 2**31 - 1), "hidden_units": (1, 512), "depth": (1, 8),
                         "adversary_hidden_units": (1, 512), "adversary_depth": (1, 8), "noise_size": (2, 256),
                         "batch_size": (1, 8192), "learning_rate": (1e-8, 10.0),
                         "adversary_learning_rate": (1e-8, 10.0), "adversary_steps": (1, 100),
                         "adam_beta1": (0.0, 0.999), "record_every": (1, 10**6), "evaluation_size": (1, 8192)}
    MAX_HISTORY = 10**6

    def _checkpoint_config(self) -> dict:
        # the rates and adversary steps are live (reconfigure): the file keeps the ones in use now
        return {**asdict(self.config), "learning_rate": float(self.model_optimizer.param_groups[0]["lr"]),
                "adversary_learning_rate": float(self.adversary_optimizer.param_groups[0]["lr"]),
                "adversary_steps": self.adversary_steps}

    @classmethod
    def _from_checkpoint_config(cls, values: dict) -> AvbComparison:
        return cls(checkpoint.dataclass_from(AvbConfig, values, cls.CHECKPOINT_LIMITS))

    def _checkpoint_state(self) -> dict:
        networks = {f"{model}_{part}": getattr(getattr(self, model), part).state_dict()
                    for model in ("vae", "avb") for part in ("encoder", "decoder", "adversary")}
        return {**networks, "model_optimizer": self.model_optimizer.state_dict(),
                "adversary_optimizer": self.adversary_optimizer.state_dict(), "rng": self.generator.get_state(),
                "step": self.step, "diverged": self.diverged,
                "history": torch.tensor([self.history[key] for key in HISTORY_KEYS],
                                        dtype=torch.float64).T.contiguous()}

    def _restore_checkpoint_state(self, state: dict, template: dict) -> None:
        checkpoint.check_like(state, template, "state", {
            "state.model_optimizer": checkpoint.optimizer_checker(
                self.model_optimizer, [*self.vae.model_parameters(), *self.avb.model_parameters()]),
            "state.adversary_optimizer": checkpoint.optimizer_checker(
                self.adversary_optimizer, [*self.vae.adversary.parameters(), *self.avb.adversary.parameters()]),
            "state.history": checkpoint.bounded_rows(self.MAX_HISTORY, len(HISTORY_KEYS))})
        if not 0 <= state["step"] < 2**53:
            raise ValueError("The file's step counter is out of range.")
        for model in ("vae", "avb"):
            for part in ("encoder", "decoder", "adversary"):
                getattr(getattr(self, model), part).load_state_dict(state[f"{model}_{part}"])
        self.model_optimizer.load_state_dict(state["model_optimizer"])
        self.adversary_optimizer.load_state_dict(state["adversary_optimizer"])
        self.generator.set_state(state["rng"])
        self.step, self.diverged = state["step"], state["diverged"]
        columns = state["history"].T.tolist() if len(state["history"]) else [[] for _ in HISTORY_KEYS]
        self.history = dict(zip(HISTORY_KEYS, columns, strict=True))

    def _record(self) -> None:
        self.history["step"].append(float(self.step))
        for key, value in self.evaluate().items():
            self.history[key].append(value)

    @torch.no_grad()
    def latent_samples(self, per_category: int = 250) -> dict[str, np.ndarray]:
        """z ~ q(z|x) for each x on fixed noise, for both encoders, with the x of each row."""
        size = self.config.evaluation_size
        rows = (torch.arange(CATEGORIES)[:, None] * size + torch.arange(min(per_category, size))).ravel()
        labels, noise = self.evaluation_labels[rows], self.evaluation_noise[rows]
        return {
            "labels": labels.numpy(),
            "vae_z": self.vae.encoder.sample(labels, noise).numpy().astype(np.float32),
            "avb_z": self.avb.encoder.sample(labels, noise).numpy().astype(np.float32),
        }

    @torch.no_grad()
    def vae_posteriors(self) -> tuple[np.ndarray, np.ndarray]:
        """The VAE's posterior means and standard deviations, one row per x: [4, 2] each."""
        mean, log_std = self.vae.encoder(torch.arange(CATEGORIES))
        return mean.numpy(), torch.exp(log_std).numpy()

    def snapshot(self) -> dict:
        samples = self.latent_samples()
        means, stds = self.vae_posteriors()
        history = {f"history_{key}": np.asarray(values, dtype=np.float32) for key, values in self.history.items()}
        latest = {key: values[-1] for key, values in self.history.items() if key != "step"}
        return {"step": self.step, **samples, "vae_means": means, "vae_stds": stds, **history, **latest,
                "best_elbo": BEST_ELBO, "summary": avb_summary(latest, int(self.history["step"][-1]))}


def fit_adversary(encoder: nn.Module, steps: int, config: AvbConfig | None = None,
                  seed: int = 0) -> tuple[Adversary, np.ndarray]:
    """Train a fresh T(x, z) for `steps` logistic-loss steps between (x, z ~ q(z|x)) and (x, z ~ p(z)) with the
    encoder held fixed. Returns T and, per step, the batch estimate E_q[T(x, z)] of E_x KL(q(z|x) ‖ p(z))."""
    config = config or AvbConfig()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        adversary = Adversary(config.adversary_hidden_units, config.adversary_depth, config.adversary_prior_term)
    networks = Networks(encoder, nn.Identity(), adversary)
    optimizer = torch.optim.Adam(adversary.parameters(), lr=config.adversary_learning_rate,
                                 betas=(config.adam_beta1, 0.999))
    generator = torch.Generator().manual_seed(seed)
    estimates = np.empty(steps, dtype=np.float64)
    for index in range(steps):
        labels = torch.randint(CATEGORIES, (config.batch_size,), generator=generator)
        noise = torch.randn(config.batch_size, config.noise_size, generator=generator)
        prior = torch.randn(config.batch_size, LATENT_SIZE, generator=generator)
        loss = adversary_loss(networks, labels, noise, prior)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            estimates[index] = float(adversary(labels, encoder.sample(labels, noise)).mean())
    return adversary, estimates


HISTORY_KEYS = ("step", "vae_elbo", "vae_kl", "vae_kl_adversary", "vae_kl_knn", "vae_log_likelihood", "avb_elbo",
                "avb_kl", "avb_kl_adversary", "avb_elbo_adversary", "avb_log_likelihood")


# --- the page's sentences, computed from the numbers it shows ------------------------------------------------

CAPTION = (
    "x is one of four one-hot vectors, z ∈ ℝ² has prior N(0, I). The VAE's posteriors are Gaussian (axis-aligned "
    "ellipses in the plane); AVB's q(z|x) = g(x, ε) may take any shape, and in the paper's figure they tile the "
    "prior like slices of a pie. Both models are scored by their true ELBO: the VAE's with its exact KL, AVB's "
    f"with a KL estimated from its samples ({KL_ESTIMATOR}; within ±{KL_ACCURACY:g} nats of the closed form on "
    "Gaussian and pie-slice posteriors in the tests). AVB trains on the ELBO through T instead, an estimate that "
    "equals the ELBO only when T = T*: it is too high wherever $E_q[T]$ underestimates the KL, and can then exceed "
    "log p(x), which no lower bound can. Every number is a mean over the four x, in nats: log p(x) (quadrature "
    "over z) bounds its own model's ELBO from above, and −log 4 bounds every model's mean log p(x) (Gibbs' "
    "inequality).")


def _nats(value: float) -> str:
    return f"{abs(value):.3f} nats"


def avb_summary(values: dict[str, float], step: int) -> str:
    """The numbers on screen and the sentences that compare them, for one record of `AvbComparison.evaluate`
    (`step` is the step it was recorded at). Every comparison is made here, from these numbers."""
    vae_elbo, avb_elbo = values["vae_elbo"], values["avb_elbo"]
    vae_kl, avb_kl = values["vae_kl"], values["avb_kl"]
    vae_likelihood, avb_likelihood = values["vae_log_likelihood"], values["avb_log_likelihood"]
    numbers = (f"At step {step:,}: ELBO VAE **{vae_elbo:.3f}** (exact KL {vae_kl:.3f}) · AVB **{avb_elbo:.3f}** "
               f"(k-NN KL {avb_kl:.3f}) · AVB through T **{values['avb_elbo_adversary']:.3f}** ($E_q[T]$ "
               f"{values['avb_kl_adversary']:.3f}, an estimate) · log p(x): VAE **{vae_likelihood:.3f}**, AVB "
               f"**{avb_likelihood:.3f}** · best possible **{BEST_ELBO:.3f}**.")
    sentences = [numbers]
    difference = avb_elbo - vae_elbo
    if abs(difference) <= KL_ACCURACY:
        sentences.append(f"AVB's ELBO and the VAE's differ by {_nats(difference)}, within the k-NN estimate's "
                         f"±{KL_ACCURACY:g}: neither is ahead.")
    else:
        leader, other = ("AVB's", "the VAE's") if difference > 0 else ("The VAE's", "AVB's")
        sentences.append(f"{leader} ELBO is {_nats(difference)} above {other}.")
    gap = values["avb_kl_adversary"] - avb_kl
    if abs(gap) <= KL_ACCURACY:
        sentences.append(f"AVB's adversary agrees with the k-NN KL within ±{KL_ACCURACY:g} nats "
                         f"($E_q[T]$ − KL = {gap:+.3f}).")
    else:
        direction, effect = ("underestimates", "too high") if gap < 0 else ("overestimates", "too low")
        sentence = (f"AVB's adversary {direction} its KL by {_nats(gap)}, so the ELBO through T is "
                    f"{_nats(gap)} {effect}")
        beyond = [name for name, bound in (("AVB's log p(x)", avb_likelihood), ("−log 4", BEST_ELBO))
                  if values["avb_elbo_adversary"] > bound]
        sentences.append(sentence + (f": it lies above {' and '.join(beyond)}, where no lower bound can."
                                     if beyond else "."))
    vae_gap = values["vae_kl_adversary"] - vae_kl
    sentences.append(f"On the VAE's Gaussian posteriors, where the KL is exact, its adversary is "
                     f"{_nats(vae_gap)} {'below' if vae_gap < 0 else 'above'} it, and the k-NN estimate "
                     f"{_nats(values['vae_kl_knn'] - vae_kl)} {'below' if values['vae_kl_knn'] < vae_kl else 'above'}.")
    for model, elbo, likelihood in (("VAE", vae_elbo, vae_likelihood), ("AVB", avb_elbo, avb_likelihood)):
        if elbo > likelihood:
            allowed = KL_ACCURACY if model == "AVB" else 0.0
            reason = ("within the k-NN estimate's accuracy" if elbo - likelihood <= allowed
                      else "more than the estimates' accuracy allows: a numerical error")
            sentences.append(f"The {model}'s ELBO lies {_nats(elbo - likelihood)} above its log p(x), {reason}.")
    return " ".join(sentences)
