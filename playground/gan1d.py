"""A 1-D GAN that learns, drawn as Goodfellow et al. (2014), Fig. 1: G maps z to x, D(x) sits between the data
density and G's, and at equilibrium D = ½ and the densities meet. No streamlit; the figures are in
`playground.figures.gan1d`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import torch

from playground import checkpoint, lipschitz, noise
from playground.models import ACTIVATIONS, Critic, Generator
from playground.objectives import OBJECTIVES
from playground.settings import Preset, knob

DATA = {"gaussian": "One Gaussian N(μ, σ²)", "mixture": "Two Gaussians ½N(μ − 1.5, σ²) + ½N(μ + 1.5, σ²)"}
MIXTURE_OFFSET = 1.5      # each mode sits this far from μ: with σ ≤ 0.5 the modes are separated by ≥ 6σ
LATENTS = {"uniform": "Uniform U[−1, 1]", "gaussian": "Gaussian N(0, 1)"}
GRID_POINTS = 400         # x grid of the densities: smooth curves, a small frame
DENSITY_SAMPLES = 4000    # samples of G behind its density (fixed latent batch: the curve does not flicker)
MAPPING_LINES = 25        # z → G(z) lines in the lower panel, as in the paper's figure
SUPPORT_SHARE = 0.05      # "the data's support": where p_data is at least this share of its peak
BETAS = (0.5, 0.999)      # Adam's momentum as in DCGAN: β₁ = 0.5 damps the G–D oscillation
LATENT_RANGE = 2.0        # a Gaussian z's grid for the mapping spans ±2 (95% of the mass)


@dataclass(frozen=True)
class Gan1dSettings:
    """Everything the 1-D GAN page lets a lecturer change. One field = one widget = one URL key."""

    data: str = knob("gaussian", "Data distribution", choices=DATA, url="g1_data",
                     help="What G must learn: one Gaussian, or two equal Gaussians 3 apart (a mode to miss).")
    data_mean: float = knob(1.0, "Data mean μ", live=True, min=-2.0, max=2.0, step=0.1, url="g1_mu",
                            help="Moves the data while G trains: G follows.")
    data_std: float = knob(0.5, "Data std σ", live=True, min=0.1, max=1.0, step=0.05, url="g1_sigma",
                           help="Width of the (each) data Gaussian.")
    objective: str = knob("non_saturating", "Loss", choices={k: o.label for k, o in OBJECTIVES.items()},
                          url="g1_loss", help="The GAN game; the same losses as every other page.")
    latent_distribution: str = knob("uniform", "Latent z", choices=LATENTS, url="g1_latent",
                                    help="The noise G maps onto x: the paper's figure uses a uniform z.")
    hidden_units: int = knob(32, "Hidden units (G and D)", options=(8, 16, 32, 64), url="g1_hidden",
                             help="Width of both MLPs' two hidden layers.")
    activation: str = knob("leaky_relu", "Activation", choices=list(ACTIVATIONS), url="g1_act",
                           help="The hidden layers' nonlinearity, in G and in D.")
    critic_steps: int = knob(5, "D steps per G step (k)", live=True, min=1, max=20, url="g1_k",
                             help="Algorithm 1's k: discriminator updates before each generator update. With k = 1 "
                                  "D lags behind G here and G hops around the data instead of settling.")
    learning_rate: float = knob(1e-3, "Learning rate", live=True, options=(1e-4, 3e-4, 1e-3, 3e-3), format="{:g}",
                                url="g1_lr", help="Adam's step size for G and D.")
    clip_value: float = knob(0.1, "Clipping constant c", live=True, min=0.01, max=1.0, step=0.01, url="g1_c",
                             help="WGAN's box [−c, c] for every critic weight.")
    gp_weight: float = knob(1.0, "Gradient penalty λ", live=True, options=(0.1, 1.0, 10.0), format="{:g}",
                            url="g1_gp", help="WGAN-GP's weight on (‖∇f‖ − 1)².")
    instance_noise: float = knob(0.0, "Instance noise σ", live=True, min=0.0, max=1.0, step=0.05, url="g1_noise",
                                 help="Gaussian noise on real and fake points before D sees them.")
    batch_size: int = knob(256, "Batch size", options=(64, 128, 256, 512), url="g1_batch",
                           help="Real and fake points per update.")
    seed: int = knob(0, "Seed", min=0, max=2**31 - 1, widget="number", url="g1_seed",
                     help="Initial weights and every batch.")

    def unused_note(self, name: str) -> str | None:
        if name in ("clip_value", "gp_weight"):
            scheme = {"clip_value": "clip", "gp_weight": "gradient_penalty"}[name]
            if OBJECTIVES[self.objective].lipschitz != scheme:
                return f"{OBJECTIVES[self.objective].label} does not use it."
        return None


PRESETS: dict[str, Preset] = {  # ids are URL values: never rename
    "gaussian": Preset("One Gaussian", "G learns N(1, 0.5²); D flattens to ½ as the densities meet.", {}),
    "goodfellow": Preset(
        "Goodfellow Fig. 1", "The paper's setting: a uniform z and one Gaussian. Run the four panels below.",
        {"latent_distribution": "uniform", "data_mean": 0.5, "data_std": 0.5}),
    "mixture": Preset("Two Gaussians", "Two modes: watch G stretch over both, or settle on one.",
                      {"data": "mixture", "data_mean": 0.0, "data_std": 0.3, "hidden_units": 64}),
    "wgan": Preset("WGAN, clipping", "The critic is a clipped slope, not a probability.",
                   {"objective": "wgan", "critic_steps": 5}),
    "wgan_gp": Preset("WGAN-GP", "The critic's slope is held near 1 between the densities.",
                      {"objective": "wgan_gp", "critic_steps": 5}),
}


# --- densities -----------------------------------------------------------------------------------------------

def normal_pdf(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    return np.exp(-0.5 * ((np.asarray(x, dtype=np.float64) - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def data_components(settings: Gan1dSettings) -> list[tuple[float, float, float]]:
    """(weight, mean, std) of each Gaussian in the data distribution."""
    if settings.data == "mixture":
        return [(0.5, settings.data_mean - MIXTURE_OFFSET, settings.data_std),
                (0.5, settings.data_mean + MIXTURE_OFFSET, settings.data_std)]
    return [(1.0, settings.data_mean, settings.data_std)]


def data_density(x: np.ndarray, settings: Gan1dSettings) -> np.ndarray:
    """p_data(x), exact."""
    return sum(w * normal_pdf(x, m, s) for w, m, s in data_components(settings))


def kde_bandwidth(samples: np.ndarray) -> float:
    """Silverman's rule, h = 0.9·min(std, IQR/1.34)·n^(−1/5), floored so that a collapsed G still draws a peak."""
    samples = np.asarray(samples, dtype=np.float64)
    spread = min(samples.std(), np.subtract(*np.percentile(samples, [75, 25])) / 1.34) or samples.std()
    return max(0.9 * spread * len(samples) ** -0.2, 1e-3)


def kde(samples: np.ndarray, x: np.ndarray, bandwidth: float | None = None) -> np.ndarray:
    """Gaussian kernel density estimate of `samples` at `x` (integrates to 1)."""
    samples = np.asarray(samples, dtype=np.float64).ravel()
    h = kde_bandwidth(samples) if bandwidth is None else bandwidth
    x = np.asarray(x, dtype=np.float64)
    density = np.zeros_like(x)
    for chunk in np.array_split(samples, max(1, len(samples) // 500)):  # bounded memory: 500 × grid at a time
        density += normal_pdf(x[:, None], chunk[None, :], h).sum(axis=1)
    return density / len(samples)


def optimal_discriminator(p_data: np.ndarray, p_generator: np.ndarray) -> np.ndarray:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)) (Goodfellow et al. 2014, Prop. 1); ½ where both vanish."""
    total = p_data + p_generator
    return np.divide(p_data, total, out=np.full_like(total, 0.5), where=total > 1e-300)


def total_variation(x: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    """½ ∫ |p − q| dx by the trapezoid rule on the grid x."""
    return 0.5 * float(np.trapezoid(np.abs(p - q), x))


def plot_range(settings: Gan1dSettings) -> tuple[float, float]:
    """The x window: the data's ±4σ and the latent's grid, so that both lines of the mapping fit."""
    components = data_components(settings)
    low = min(m - 4 * s for _, m, s in components)
    high = max(m + 4 * s for _, m, s in components)
    reach = 1.0 if settings.latent_distribution == "uniform" else LATENT_RANGE
    return min(low, -reach), max(high, reach)


# --- the run -------------------------------------------------------------------------------------------------

@checkpoint.register
class Gan1dRun(checkpoint.Checkpointable):
    """G: z → x and D: x → s(x), both small MLPs, trained by the chosen objective on 1-D data.

    One step is Algorithm 1 of Goodfellow et al.: k = `critic_steps` discriminator updates, then one generator
    update. Losses, clipping, gradient penalty and instance noise are the core's own functions."""

    CHECKPOINT_KIND = "gan1d"
    CHECKPOINT_LABEL = "1-D GAN"

    def __init__(self, settings: Gan1dSettings = Gan1dSettings()):
        self.settings = settings
        self.rng = torch.Generator().manual_seed(settings.seed)
        with torch.random.fork_rng():  # seeded initial weights without touching the caller's global RNG
            torch.manual_seed(settings.seed)
            self.generator = Generator(1, settings.hidden_units, 2, settings.activation, data_size=1)
            self.critic = Critic(settings.hidden_units, 2, settings.activation, data_size=1)
        self.generator_optimizer = torch.optim.Adam(self.generator.parameters(), settings.learning_rate, betas=BETAS)
        self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), settings.learning_rate, betas=BETAS)
        evaluation = torch.Generator().manual_seed(settings.seed + 1)
        self.evaluation_latent = self._latent(DENSITY_SAMPLES, evaluation)
        self.step = 0
        self.diverged: str | None = None

    @classmethod
    def from_settings(cls, settings: Gan1dSettings) -> Gan1dRun:
        return cls(settings)

    @property
    def config(self) -> Gan1dSettings:
        return self.settings

    @property
    def objective(self):
        return OBJECTIVES[self.settings.objective]

    def reconfigure(self, settings: Gan1dSettings) -> list[str]:
        """Take the live fields (learning rate, k, c, λ, noise, the data's μ and σ) in place."""
        changed = [name for name, value in asdict(settings).items()
                   if getattr(self.settings, name) != value]
        self.settings = settings
        for optimizer in (self.generator_optimizer, self.critic_optimizer):
            for group in optimizer.param_groups:
                group["lr"] = settings.learning_rate
        return changed

    # --- batches -------------------------------------------------------------------------------------------
    def _latent(self, n: int, rng: torch.Generator) -> torch.Tensor:
        if self.settings.latent_distribution == "uniform":
            return torch.rand(n, 1, generator=rng) * 2 - 1
        return torch.randn(n, 1, generator=rng)

    def latent_batch(self, n: int | None = None) -> torch.Tensor:
        return self._latent(n or self.settings.batch_size, self.rng)

    def real_batch(self, n: int | None = None) -> torch.Tensor:
        n = n or self.settings.batch_size
        components = data_components(self.settings)
        which = torch.multinomial(torch.tensor([w for w, _, _ in components]), n, replacement=True, generator=self.rng)
        means = torch.tensor([m for _, m, _ in components])[which]
        stds = torch.tensor([s for _, _, s in components])[which]
        return (means + stds * torch.randn(n, generator=self.rng)).unsqueeze(1)

    def _noisy(self, points: torch.Tensor) -> torch.Tensor:
        return noise.add_instance_noise(points, self.settings.instance_noise, self.rng)

    # --- Algorithm 1 ---------------------------------------------------------------------------------------
    def critic_step(self) -> float:
        """One update of D on fresh batches, G fixed."""
        objective, settings = self.objective, self.settings
        real = self._noisy(self.real_batch())
        with torch.no_grad():
            fake = self._noisy(self.generator(self.latent_batch()))
        loss = objective.critic_loss(self.critic(real), self.critic(fake))
        if objective.lipschitz == "gradient_penalty":
            loss = loss + settings.gp_weight * lipschitz.gradient_penalty(self.critic, real, fake, self.rng)
        self.critic_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.critic_optimizer.step()
        if objective.lipschitz == "clip":
            lipschitz.clip_weights(self.critic, settings.clip_value)
        return float(loss.detach())

    def generator_step(self, optimizer: torch.optim.Optimizer | None = None) -> float:
        """One update of G through the current D (by `optimizer` when given, else G's own Adam)."""
        optimizer = optimizer or self.generator_optimizer
        fake = self._noisy(self.generator(self.latent_batch()))
        loss = self.objective.generator_loss(self.critic(fake))
        optimizer.zero_grad(set_to_none=True)
        loss.backward(inputs=list(self.generator.parameters()))
        optimizer.step()
        return float(loss.detach())

    def train(self, steps: int = 1) -> dict[str, float]:
        critic_loss = generator_loss = float("nan")
        for _ in range(steps):
            for _ in range(self.settings.critic_steps):
                critic_loss = self.critic_step()
            generator_loss = self.generator_step()
            self.step += 1
            if not (math.isfinite(critic_loss) and math.isfinite(generator_loss)):
                self.diverged = f"A loss became non-finite at step {self.step}."
                break
        return {"critic_loss": critic_loss, "generator_loss": generator_loss}

    # --- what the figure draws -----------------------------------------------------------------------------
    def latent_grid(self, count: int = MAPPING_LINES) -> np.ndarray:
        reach = 1.0 if self.settings.latent_distribution == "uniform" else LATENT_RANGE
        return np.linspace(-reach, reach, count)

    @torch.no_grad()
    def generate(self, z: np.ndarray | torch.Tensor) -> np.ndarray:
        z = torch.as_tensor(np.asarray(z, dtype=np.float32)).reshape(-1, 1)
        return self.generator(z).double().numpy().ravel()

    @torch.no_grad()
    def discriminator(self, x: np.ndarray) -> np.ndarray:
        """D(x) = σ(s(x)) for the classic losses; the raw critic value f(x) otherwise."""
        scores = self.critic(torch.as_tensor(np.asarray(x, dtype=np.float32)).reshape(-1, 1)).double().ravel()
        return (torch.sigmoid(scores) if self.objective.probabilistic else scores).numpy()

    def samples(self) -> np.ndarray:
        return self.generate(self.evaluation_latent)

    def snapshot(self) -> dict[str, Any]:
        low, high = plot_range(self.settings)
        x = np.linspace(low, high, GRID_POINTS)
        p_data = data_density(x, self.settings)
        samples = self.samples()
        p_generator = kde(samples, x)
        d = self.discriminator(x)
        support = p_data >= SUPPORT_SHARE * p_data.max()
        d_star = optimal_discriminator(p_data, p_generator)
        probabilistic = self.objective.probabilistic
        z = self.latent_grid()
        return {
            "step": self.step, "x": x, "p_data": p_data, "p_generator": p_generator, "samples": samples,
            "discriminator": d, "probabilistic": probabilistic, "objective_label": self.objective.label,
            "latent_label": LATENTS[self.settings.latent_distribution],
            "z": z, "generated": self.generate(z),
            "optimal_discriminator": d_star,
            "total_variation": total_variation(x, p_data, p_generator),
            "mean_distance_from_half": float(np.mean(np.abs(d[support] - 0.5))) if probabilistic else float("nan"),
            "mean_distance_from_optimal": float(np.mean(np.abs(d - d_star)[support])) if probabilistic else math.nan,
        }

    # --- checkpoint ----------------------------------------------------------------------------------------
    def _checkpoint_config(self) -> dict[str, Any]:
        return asdict(self.settings)

    @classmethod
    def _from_checkpoint_config(cls, config: dict[str, Any]) -> Gan1dRun:
        try:
            return cls(Gan1dSettings(**config))
        except (TypeError, KeyError) as error:
            raise ValueError(f"The file's settings are not a 1-D GAN's: {error}") from None

    def _checkpoint_state(self) -> dict[str, Any]:
        return {"step": self.step, "generator": self.generator.state_dict(), "critic": self.critic.state_dict(),
                "generator_optimizer": self.generator_optimizer.state_dict(),
                "critic_optimizer": self.critic_optimizer.state_dict(), "rng": self.rng.get_state()}

    def _restore_checkpoint_state(self, state: dict[str, Any], template: dict[str, Any]) -> None:
        checkpoint.check_like(state, template, "state", {
            "state.generator_optimizer": checkpoint.optimizer_checker(self.generator_optimizer,
                                                                      list(self.generator.parameters())),
            "state.critic_optimizer": checkpoint.optimizer_checker(self.critic_optimizer,
                                                                   list(self.critic.parameters())),
            "state.step": lambda value, where: None})
        if not isinstance(state["step"], int) or state["step"] < 0:
            raise ValueError("The file's step is not a count.")
        self.step = state["step"]
        self.generator.load_state_dict(state["generator"])
        self.critic.load_state_dict(state["critic"])
        self.generator_optimizer.load_state_dict(state["generator_optimizer"])
        self.critic_optimizer.load_state_dict(state["critic_optimizer"])
        self.rng.set_state(state["rng"])


# --- Goodfellow et al. (2014), Fig. 1 ------------------------------------------------------------------------

@dataclass(frozen=True)
class Protocol:
    """The four panels' schedule: steps of ordinary training before (a), D updates with G frozen for (b),
    plain gradient steps of G with D frozen for (c), ordinary training for (d)."""

    approach_steps: int = 45                # G near the data but off it (the paper's "near convergence")
    critic_steps: int = 400
    generator_steps: int = 10
    generator_learning_rate: float = 0.002  # plain descent in (c): D* is steep, larger steps overshoot the data
    equilibrium_steps: int = 1000


PANELS = {
    "a": "(a) Near convergence: $p_g$ is close to $p_{data}$ and D is a partially accurate classifier.",
    "b": "(b) D trained to convergence with G frozen: $D^* = p_{data} / (p_{data} + p_g)$.",
    "c": "(c) After G updates with D frozen: D's gradient has moved G(z) towards regions more likely to be data.",
    "d": "(d) After long training: $p_g = p_{data}$, and D = ½ everywhere: D cannot tell them apart.",
}


def goodfellow_protocol(settings: Gan1dSettings, protocol: Protocol = Protocol()
                        ) -> Iterator[tuple[float, str, None]]:
    """Run the four stages of Fig. 1 on a fresh run; yields (share done, text, None) for a progress bar and
    returns {panel id: snapshot}."""
    run = Gan1dRun(settings)
    panels: dict[str, dict[str, Any]] = {}
    total = protocol.approach_steps + protocol.critic_steps + protocol.generator_steps + protocol.equilibrium_steps
    done = 0
    chunk = 50

    def stage(count: int, action, text: str):
        nonlocal done
        for start in range(0, count, chunk):
            for _ in range(min(chunk, count - start)):
                action()
            done += min(chunk, count - start)
            yield done / total, text, None

    yield from stage(protocol.approach_steps, run.train, "(a) training G close to the data…")
    panels["a"] = run.snapshot()
    yield from stage(protocol.critic_steps, run.critic_step, "(b) training D to convergence, G frozen…")
    panels["b"] = run.snapshot()
    # Plain gradient steps: Adam's momentum from (a) would carry G along its old direction, not D's gradient.
    descent = torch.optim.SGD(run.generator.parameters(), lr=protocol.generator_learning_rate)
    yield from stage(protocol.generator_steps, lambda: run.generator_step(descent), "(c) updating G, D frozen…")
    panels["c"] = run.snapshot()
    yield from stage(protocol.equilibrium_steps, run.train, "(d) training to equilibrium…")
    panels["d"] = run.snapshot()
    return panels


def with_protocol_defaults(settings: Gan1dSettings) -> Gan1dSettings:
    """The settings the protocol runs with: a probabilistic D is what the figure draws, so a WGAN loss is
    replaced by the non-saturating one."""
    if OBJECTIVES[settings.objective].probabilistic:
        return settings
    return replace(settings, objective="non_saturating")


def protocol_note(settings: Gan1dSettings) -> str:
    """What `with_protocol_defaults` changed, for the page's sentence."""
    if OBJECTIVES[settings.objective].probabilistic:
        return ""
    return (f" (with the non-saturating loss instead of {OBJECTIVES[settings.objective].label}: the figure draws D as "
            "a probability)")
