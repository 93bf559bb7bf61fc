"""Many seeds at once: K GANs of one configuration, trained together in one batched step, so that a lecture can
show the *distribution* of modes captured across seeds ("out of 16 seeds, the minimax GAN keeps 2.1 ± 0.9 modes")
instead of one lucky or unlucky run.

The K generators and K critics are built exactly as `Trainer` builds them for each seed, their parameters are
stacked along a leading member axis (`torch.func.stack_module_state`), and every linear layer runs as one batched
matrix product over the members: `vmap(functional_call(linear))` is `baddbmm`, which is what `Ensemble` calls
directly (fewer Python operations per step; `vmap_forward` is the torch.func reference it is tested against).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.func import functional_call, stack_module_state, vmap

from playground import checkpoint as run_file  # `checkpoint` names a coverage step in describe()
from playground import lipschitz, metrics
from playground.datasets import BUILT_IN, DATASETS
from playground.models import Critic, Generator
from playground.noise import add_instance_noise, noise_level
from playground.objectives import OBJECTIVES
from playground.presets import PRESETS
from playground.settings import Preset, knob, live_changes
from playground.training import (
    COVERAGE_SAMPLES,
    DIVERGENCE_ADVICE,
    MAX_COVERAGE_ROWS,
    MAX_HISTORY_ROWS,
    METRICS,
    History,
    TrainingConfig,
    apply_live_settings,
    bad_rows,
    build_optimizer,
    failed_loss,
    resolve_device,
    sampling_latent,
    train_in_chunks,
    trained_sigmas,
)

DEFAULT_SEEDS = tuple(range(16))
FORWARDS = ("bmm", "vmap")  # how the stacked networks run: explicit baddbmm layers, or vmap(functional_call)
SNAPSHOT_POINTS = 200     # samples per member in a snapshot: 16 members × 200 points stay a small frame


# --- batched networks ---------------------------------------------------------------------------------------------

class BatchedMLP:
    """K copies of one `nn.Sequential` MLP with stacked weights: x [K, n, in] → [K, n, out].

    Member k's output is exactly `functional_call(template, params[k], x[k])`: each `nn.Linear` becomes one
    `baddbmm` over the member axis (bias + x · Wᵀ), each activation is applied elementwise to the whole stack; a
    ReLU right after a linear layer runs inside that layer (`BatchedLinear`).
    """

    def __init__(self, template: nn.Sequential, parameters: dict[str, Tensor], prefix: str = "net."):
        self.layers: list[tuple[Tensor, Tensor, bool] | nn.Module] = []
        modules = list(template)
        for index, module in enumerate(modules):
            if isinstance(module, nn.Linear):
                relu = index + 1 < len(modules) and isinstance(modules[index + 1], nn.ReLU)
                self.layers.append((parameters[f"{prefix}{index}.weight"], parameters[f"{prefix}{index}.bias"],
                                    relu))
            elif not (isinstance(module, nn.ReLU) and index > 0 and isinstance(modules[index - 1], nn.Linear)):
                self.layers.append(module)

    def __call__(self, inputs: Tensor, custom_backward: bool = True) -> Tensor:
        hidden = inputs
        for layer in self.layers:
            hidden = batched_linear(hidden, *layer, custom_backward=custom_backward) if isinstance(layer, tuple) \
                else layer(hidden)
        return hidden


THIN = 2  # a layer with this many inputs or outputs or fewer (the 2-D points, the critic's score) is "thin"


def batched_linear(inputs: Tensor, weight: Tensor, bias: Tensor, relu: bool = False, *,
                   custom_backward: bool = True) -> Tensor:
    """inputs [K, n, in] · weight [K, out, in]ᵀ + bias [K, out] → [K, n, out], then ReLU if `relu`: one `baddbmm`
    over the members. When a gradient will be taken it runs through `BatchedLinear`, whose backward lays out its
    products for the CPU's batched GEMM and hands every gradient over contiguous, unless `custom_backward` is
    False: a gradient penalty differentiates the backward again, which autograd's own backward does faster."""
    if custom_backward and torch.is_grad_enabled() and (weight.requires_grad or inputs.requires_grad):
        return BatchedLinear.apply(inputs, weight, bias, relu)
    return _affine(inputs, weight, bias, relu)


def _affine(inputs: Tensor, weight: Tensor, bias: Tensor, relu: bool) -> Tensor:
    """bias + inputs · weightᵀ over the members, ReLU'd in place if `relu`: the forward of every batched layer."""
    output = torch.baddbmm(bias.unsqueeze(1), inputs, weight.transpose(1, 2))
    return output.relu_() if relu else output


class BatchedLinear(torch.autograd.Function):
    """`baddbmm(bias, inputs, weightᵀ)`, ReLU'd in place if `relu`, with a backward that computes the same gradients
    as autograd's, but each product in the orientation that MKL's batched GEMM runs fast, and with less memory
    traffic.

    For a thin layer autograd's own backward asks for products with one or two result columns and a right-hand
    operand stored row by row, which MKL runs several times slower than the same products laid out the other way: the
    input gradient g · W of a 2-input layer, the weight gradient hᵀ · g of a 1- or 2-output layer, and for a
    1-output layer an input gradient g · W over a single term. Here the weight gradient is gᵀ · h, or (hᵀ · g)ᵀ
    for a thin input; the input gradient multiplies by a column-major copy of W (a few thousand numbers), or is a
    broadcast multiply for a single output. `python bench/ensemble.py --thin` times each thin layer both ways.

    Every gradient comes back contiguous, as the fused Adam kernel needs, without autograd's copy of a transposed
    weight gradient into the weight's layout. With `relu` the ReLU's backward masks the incoming gradient in place
    instead of writing a new tensor: that gradient is the next layer's input gradient, made by its backward for this
    layer alone. The backward is written in differentiable ops and masks out of place when it is itself
    differentiated, so that it stays correct under create_graph (the ensemble's gradient penalty uses autograd's
    own backward instead, which is faster there). Only for `BatchedMLP`: a caller that hands in a gradient of its
    own with `relu` gets it back masked."""

    @staticmethod
    def forward(ctx, inputs: Tensor, weight: Tensor, bias: Tensor, relu: bool) -> Tensor:
        # forward(ctx, …), not forward + setup_context: with setup_context, Function.apply binds the arguments
        # through inspect.signature on every call, a cost paid nine times a step
        output = _affine(inputs, weight, bias, relu)
        ctx.relu = relu
        ctx.save_for_backward(inputs, weight, *((output,) if relu else ()))
        return output

    @staticmethod
    def backward(ctx, grad_output: Tensor):
        points, weight, *relu_output = ctx.saved_tensors
        grad_output = grad_output.contiguous()
        if ctx.relu:
            if torch.is_grad_enabled():  # this backward is differentiated again: no in-place op
                grad_output = torch.ops.aten.threshold_backward(grad_output, relu_output[0], 0)
            else:
                torch.ops.aten.threshold_backward.grad_input(grad_output, relu_output[0], 0, grad_input=grad_output)
        grad_inputs = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            if weight.shape[1] == 1:    # a product over one term is an outer product: a broadcast multiply
                grad_inputs = grad_output * weight
            elif weight.shape[2] <= THIN:
                grad_inputs = torch.bmm(grad_output, weight.transpose(1, 2).contiguous().transpose(1, 2))
            else:
                grad_inputs = torch.bmm(grad_output, weight)
        if ctx.needs_input_grad[1]:
            if weight.shape[2] <= THIN:
                grad_weight = torch.bmm(points.transpose(1, 2), grad_output).transpose(1, 2).contiguous()
            else:
                grad_weight = torch.bmm(grad_output.transpose(1, 2), points)
        if ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(1)
        return grad_inputs, grad_weight, grad_bias, None


def vmap_forward(template: nn.Module, parameters: dict[str, Tensor], inputs: Tensor) -> Tensor:
    """The torch.func reference: `vmap(functional_call)` of the template module over the member axis."""
    return vmap(lambda member, points: functional_call(template, member, (points,)))(parameters, inputs)


def stacked_parameters(modules: Sequence[nn.Module], device: torch.device) -> dict[str, Tensor]:
    """`stack_module_state` as leaf tensors on `device`: name -> [K, *shape], ready for one optimiser."""
    parameters, _ = stack_module_state(list(modules))
    return {name: value.detach().to(device).requires_grad_(True) for name, value in parameters.items()}


def member_norms(tensors: Sequence[Tensor]) -> Tensor:
    """‖·‖₂ of each member's slice across all tensors (leading axis = member): shape [K]."""
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(t.flatten(1), dim=1) for t in tensors]),
                                    dim=0)


def members_finite(tensors: Sequence[Tensor]) -> Tensor:
    """True for each member whose slices of all tensors are finite: shape [K]."""
    return torch.stack([torch.isfinite(tensor).flatten(1).all(1) for tensor in tensors]).all(0)


# --- the ensemble ------------------------------------------------------------------------------------------------

@run_file.register
class Ensemble(run_file.Checkpointable):
    """K GAN runs of one configuration, one per seed, trained together: a `Steppable` for the live view.

    Member k starts from exactly the weights `Trainer(replace(config, seed=seeds[k]))` starts from, and scores
    coverage on the same fixed latent batch; its training batches come from one ensemble RNG (each member its
    own batch), so its trajectory differs from that Trainer's. A member whose losses or weights turn NaN, inf or
    explode is rolled back to its last finite state, frozen and reported; the others go on. `diverged` is set
    only once every member has diverged. Unrolled critic steps are not supported.
    """

    def __init__(self, config: TrainingConfig | None = None, seeds: Sequence[int] = DEFAULT_SEEDS, *,
                 forward: str = "bmm"):
        config = config or TrainingConfig()
        seeds = tuple(int(seed) for seed in seeds)
        if not seeds:
            raise ValueError("An ensemble needs at least one seed.")
        if config.unrolled_steps > 0:
            raise ValueError("The ensemble does not unroll the critic: set unrolled_steps to 0 (a single Trainer "
                             "can unroll).")
        if config.generator_steps != 1 or config.r1_weight != 0:
            raise ValueError("The ensemble makes one generator step per iteration and has no R1 penalty: set "
                             "generator_steps to 1 and r1_weight to 0 (a single Trainer has both).")
        self.config, self.seeds = config, seeds
        self.device = resolve_device(config.device)
        self.dataset = DATASETS[config.dataset]
        if forward not in FORWARDS:
            raise ValueError(f"forward must be one of {', '.join(FORWARDS)}, not {forward!r}.")
        generators, critics = zip(*(self._build_networks(config, seed) for seed in seeds), strict=True)
        self.generator_parameters = stacked_parameters(generators, self.device)
        self.critic_parameters = stacked_parameters(critics, self.device)
        self.forward = forward
        if forward == "bmm":
            self.generate = BatchedMLP(generators[0].net, self.generator_parameters)
            batched_critic = BatchedMLP(critics[0].net, self.critic_parameters)
            self._critic_net = lambda points: batched_critic(points).squeeze(-1)
            self._penalty_critic = lambda points: batched_critic(points, custom_backward=False).squeeze(-1)
        else:  # the torch.func reference: same numbers, more Python work per layer
            generator_template, critic_template = (generators[0].to("meta"), critics[0].to("meta"))
            self.generate = lambda latent: vmap_forward(generator_template, self.generator_parameters, latent)
            self._critic_net = lambda points: vmap_forward(critic_template, self.critic_parameters, points)
            self._penalty_critic = self._critic_net
        # One RNG for every member's batches, seeded by the whole seed list: the same seeds give the same run.
        ensemble_seed = int(np.random.SeedSequence(seeds).generate_state(1)[0])
        self.rng = torch.Generator(device=self.device).manual_seed(ensemble_seed)
        evaluation = [self._evaluation_batches(seed) for seed in seeds]
        self.evaluation_latent = torch.stack([latent for latent, _ in evaluation])
        self.evaluation_real = evaluation[0][1]
        self.step = 0
        self.critic_updates = 0
        self.diverged: str | None = None
        self.member_diverged: list[str | None] = [None] * len(seeds)
        self._frozen_index: Tensor | None = None            # members frozen after a divergence
        self._frozen: dict[str, dict[str, Tensor]] = {}     # "generator"/"critic" -> name -> their weights [F, …]
        self.history = History(METRICS, MAX_HISTORY_ROWS)  # the mean over live members, one row per step
        self.latest_member_metrics = np.full((len(seeds), len(METRICS)), np.nan)
        self.coverage_steps: list[int] = []
        self.coverage_captured: list[np.ndarray] = []       # each [K]
        self.coverage_quality: list[np.ndarray] = []
        self.occupancy = np.zeros((len(seeds), len(self.dataset.modes)))
        self._last_scores: tuple[Tensor, Tensor] | None = None
        self._build_optimizers()
        self._record_coverage()

    # --- construction -------------------------------------------------------------------------------------------

    @staticmethod
    def _build_networks(config: TrainingConfig, seed: int) -> tuple[Generator, Critic]:
        """The same calls in the same order as `Trainer.__init__`: the same initial weights for the same seed."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            generator = Generator(config.latent_size, config.generator_hidden_units, config.generator_depth,
                                  config.activation)
            critic = Critic(config.critic_hidden_units, config.critic_depth, config.activation)
        return generator, critic

    def _evaluation_batches(self, seed: int) -> tuple[Tensor, Tensor]:
        """Trainer's fixed coverage latents and real points for this seed (from an RNG seeded with seed + 1)."""
        rng = torch.Generator(device=self.device).manual_seed(seed + 1)
        latent = torch.randn(COVERAGE_SAMPLES, self.config.latent_size, generator=rng, device=self.device)
        return latent, self.dataset.sample(1000, rng)

    def _build_optimizers(self) -> None:
        """One optimiser over each network's stacked [K, …] parameters, built as `Trainer` builds its own. Adam,
        RMSprop and SGD with momentum keep elementwise state and update each element from its own gradient only;
        the step counter is shared and every member steps together. So one optimiser over [K, …] tensors is
        mathematically K separate optimisers (tests/test_ensemble.py checks it against K `Trainer` updates)."""
        config = self.config
        self.generator_optimizer = build_optimizer(config.generator_optimizer, list(self.generator_parameters.values()),
                                                   config.generator_lr, config.beta1, config.beta2, self.device)
        self.critic_optimizer = build_optimizer(config.critic_optimizer, list(self.critic_parameters.values()),
                                                config.critic_lr, config.beta1, config.beta2, self.device)

    @classmethod
    def from_settings(cls, settings: SeedsSettings) -> Ensemble:
        """The Many seeds page's ensemble: its preset's configuration on its dataset, from its seeds."""
        return cls(settings.training_config(), settings.seeds())

    def reconfigure(self, config: TrainingConfig | SeedsSettings) -> list[str]:
        """Apply the live fields of `config` (or of the page's settings' configuration) in place, like
        `Trainer.reconfigure`; returns the names of those that changed. Restart-only differences are not applied.
        Unrolled steps stay 0, G steps 1 and R1 0: the ensemble has none of them."""
        if isinstance(config, SeedsSettings):
            config = config.training_config()
        changed = [name for name in live_changes(self.config, config)
                   if name not in ("unrolled_steps", "generator_steps", "r1_weight")]
        apply_live_settings(self, config, unrolled_steps=0, generator_steps=1, r1_weight=0.0)
        return changed

    # --- shapes, data and networks ----------------------------------------------------------------------------

    @property
    def members(self) -> int:
        return len(self.seeds)

    @property
    def objective(self):
        return OBJECTIVES[self.config.objective]

    @property
    def noise_sigma(self) -> float:
        return noise_level(self.config.instance_noise, self.step, self.config.noise_anneal_steps)

    @property
    def alive(self) -> np.ndarray:
        """Members still training (not frozen after a divergence), as a boolean array [K]."""
        return np.array([message is None for message in self.member_diverged])

    def real_batch(self) -> Tensor:
        """Each member its own batch of real points: [K, batch, 2]."""
        batch = self.config.batch_size
        return self.dataset.sample(self.members * batch, self.rng).view(self.members, batch, -1)

    def latent_batch(self, n: int | None = None) -> Tensor:
        return torch.randn(self.members, n or self.config.batch_size, self.config.latent_size, generator=self.rng,
                           device=self.device)

    def _noisy(self, points: Tensor) -> Tensor:
        return add_instance_noise(points, self.noise_sigma, self.rng)

    def critic(self, points: Tensor) -> Tensor:
        """Every member's raw score s(x) of its own points: [K, n, 2] → [K, n]."""
        return self._critic_net(points)

    # --- the two updates, for all members at once -----------------------------------------------------------

    def critic_step(self, real: Tensor | None = None, latent: Tensor | None = None) -> Tensor:
        """One critic update of every member on fresh batches (or the given [K, batch, ·] ones); the generators
        stay fixed. The objective's loss per member, plus λ·(gradient penalty) for WGAN-GP, then weight clipping
        for WGAN. Returns the per-member losses [K]."""
        objective, config = self.objective, self.config
        real = self.real_batch() if real is None else real
        latent = self.latent_batch() if latent is None else latent
        with torch.no_grad():
            fake = self.generate(latent)
        real, fake = self._noisy(real), self._noisy(fake)
        # Real and fake points through the critic in two calls, not one on their concatenation: the hidden layer
        # of one call stays in a core's L2 cache at the preset's sizes.
        scores_real, scores_fake = self.critic(real), self.critic(fake)
        losses = objective.critic_loss(scores_real, scores_fake, dim=-1)
        if objective.lipschitz == "gradient_penalty" and config.gp_weight > 0:
            losses = losses + config.gp_weight * lipschitz.gradient_penalty(self._penalty_critic, real, fake,
                                                                          self.rng)
        self.critic_optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()  # members are independent: the sum's gradient is each member's own gradient
        self.critic_optimizer.step()
        if objective.lipschitz == "clip":
            lipschitz.clip_weights(self.critic_parameters.values(), config.clip_value)
        self._hold_frozen("critic")
        self.critic_updates += 1
        self._last_scores = (scores_real.detach(), scores_fake.detach())
        return losses.detach()

    def generator_step(self, latent: Tensor | None = None) -> Tensor:
        """One generator update of every member through its current critic. Returns the per-member losses [K]."""
        latent = self.latent_batch() if latent is None else latent
        fake = self._noisy(self.generate(latent))
        losses = self.objective.generator_loss(self.critic(fake), dim=-1)
        self.generator_optimizer.zero_grad(set_to_none=True)
        # inputs=: the critics' weights need no gradient here. backward() hands each gradient over in its weight's
        # memory order (`BatchedLinear` makes them contiguous), which the fused Adam kernel relies on.
        losses.sum().backward(inputs=list(self.generator_parameters.values()))
        self.generator_optimizer.step()
        self._hold_frozen("generator")
        return losses.detach()

    def train_step(self) -> Tensor:
        """`critic_steps` critic updates, then one generator update, for every member. Returns the step's raw
        metrics [K, 4 + 2·batch] (losses, gradient norms, the last critic update's scores), turned into `METRICS`
        rows by `_metric_rows` once per chunk: a step adds one concatenation, not a dozen small ops."""
        # (1) Critics, on fresh batches.
        for _ in range(self.config.critic_steps):
            critic_loss = self.critic_step()
        critic_grad_norm = member_norms([weight.grad for weight in self.critic_parameters.values()])
        # (2) Generators, through the critics just trained.
        generator_loss = self.generator_step()
        generator_grad_norm = member_norms([weight.grad for weight in self.generator_parameters.values()])
        self.step += 1
        scores_real, scores_fake = self._last_scores
        return torch.cat([torch.stack([critic_loss, generator_loss, critic_grad_norm, generator_grad_norm], dim=1),
                          scores_real, scores_fake], dim=1)

    def _metric_rows(self, raw: Tensor, steps: np.ndarray) -> np.ndarray:
        """Raw metrics of consecutive steps [steps, K, 4 + 2·batch] → `Trainer`'s metric rows for every member,
        [steps, K, len(METRICS)]; σ is the noise level each step trained with, as `Trainer` records it."""
        critic_loss, generator_loss, critic_grad_norm, generator_grad_norm = raw[..., :4].unbind(-1)
        scores_real, scores_fake = raw[..., 4:].chunk(2, dim=-1)
        d_real, d_fake, gap, accuracy = metrics.critic_readout(scores_real, scores_fake, self.objective.probabilistic,
                                                               dim=-1)
        sigma = torch.as_tensor(trained_sigmas(self.config, steps), dtype=raw.dtype, device=raw.device)
        return torch.stack([critic_loss, generator_loss, d_real, d_fake, gap, critic_grad_norm, generator_grad_norm,
                            accuracy, sigma[:, None].expand_as(gap)], dim=-1).cpu().numpy()

    # --- freezing diverged members ------------------------------------------------------------------------------

    @torch.no_grad()
    def _hold_frozen(self, network: str) -> None:
        """Put frozen members' weights back after an update (their optimiser state no longer matters)."""
        if self._frozen_index is None:
            return
        for name, weight in self._networks()[network].items():
            weight.index_copy_(0, self._frozen_index, self._frozen[network][name])

    def _networks(self) -> dict[str, dict[str, Tensor]]:
        return {"generator": self.generator_parameters, "critic": self.critic_parameters}

    def _weights(self) -> list[Tensor]:
        return [*self.generator_parameters.values(), *self.critic_parameters.values()]

    @torch.no_grad()
    def _freeze(self, members: np.ndarray, restore_point: list[Tensor], step: int, rows: np.ndarray) -> None:
        """Roll `members` back to `restore_point` and freeze them there, each with a message saying why."""
        for member in members:
            failure = failed_loss(rows[member], "its")
            self.member_diverged[member] = (f"Seed {self.seeds[member]} diverged by step {step:,}: {failure}; it was "
                                            f"frozen at its last finite state.")
        index = torch.as_tensor(members, device=self.device)
        for weight, saved in zip(self._weights(), restore_point, strict=True):
            weight.index_copy_(0, index, saved[index])
        self._frozen_index = torch.as_tensor(np.flatnonzero(~self.alive), device=self.device)
        self._frozen = {network: {name: weight[self._frozen_index].clone() for name, weight in parameters.items()}
                        for network, parameters in self._networks().items()}
        if not self.alive.any():
            self.diverged = f"All {self.members} seeds diverged (the last by step {step:,}). {DIVERGENCE_ADVICE}"

    # --- running --------------------------------------------------------------------------------------------------

    def train(self, steps: int = 1) -> dict[str, float]:
        """Advance `steps` steps for every live member (none once all have diverged). Returns the latest metrics,
        averaged over live members, with the mean and std of modes captured."""
        return train_in_chunks(self, steps)

    def _train_chunk(self, steps: int) -> None:
        restore_point = [weight.detach().clone() for weight in self._weights()]
        first_step = self.step + 1
        step_numbers = np.arange(first_step, first_step + steps)
        rows = self._metric_rows(torch.stack([self.train_step() for _ in range(steps)]), step_numbers)  # [steps, K, ·]
        finite_weights = members_finite(self._weights()).cpu().numpy()
        bad = bad_rows(rows)  # [steps, K]
        newly_bad = np.flatnonzero((bad.any(axis=0) | ~finite_weights) & self.alive)
        if len(newly_bad):
            first_bad = np.where(bad[:, newly_bad].any(axis=0), bad[:, newly_bad].argmax(axis=0), steps - 1)
            bad_row_values = np.stack([rows[first_bad[i], member] for i, member in enumerate(newly_bad)])
            full_rows = np.full((self.members, rows.shape[2]), np.nan)
            full_rows[newly_bad] = bad_row_values
            self._freeze(newly_bad, restore_point, first_step + int(first_bad.max()), full_rows)
        live = self.alive
        if live.any():
            self.history.extend(step_numbers, rows[:, live].mean(axis=1))
            self.latest_member_metrics = np.where(live[:, None], rows[-1], self.latest_member_metrics)
        if self.step % self.config.coverage_every == 0:
            self._record_coverage()

    def latest_metrics(self) -> dict[str, float]:
        out: dict[str, float] = {"step": float(self.step)}
        if len(self.history.rows):
            out.update(zip(METRICS, self.history.rows[-1, 1:].tolist(), strict=True))
        captured = self.coverage_captured[-1][self.alive] if self.alive.any() else self.coverage_captured[-1]
        out.update(modes_captured_mean=float(captured.mean()), modes_captured_std=float(captured.std()),
                   members_alive=float(self.alive.sum()))
        return out

    # --- evaluation ---------------------------------------------------------------------------------------------

    @torch.no_grad()
    def coverage(self) -> metrics.Coverage:
        """Every member's mode coverage on its fixed batch of 2,500 latents: captured [K], quality [K],
        occupancy [K, modes]."""
        samples = self.generate(self.evaluation_latent)
        return metrics.mode_coverage(samples, self.dataset.modes, self.dataset.mode_std)

    def _record_coverage(self) -> None:
        result = self.coverage()
        self.occupancy = result.occupancy
        self.coverage_steps.append(self.step)
        self.coverage_captured.append(result.modes_captured.astype(np.float64))
        self.coverage_quality.append(result.high_quality)
        if len(self.coverage_steps) > MAX_COVERAGE_ROWS:  # thin out, as Trainer does: memory stays flat
            self.coverage_steps = self.coverage_steps[::2]
            self.coverage_captured = self.coverage_captured[::2]
            self.coverage_quality = self.coverage_quality[::2]

    @torch.no_grad()
    def sample(self, n: int) -> np.ndarray:
        """n fresh samples from every member, float32 [K, n, 2] (does not touch the training RNG)."""
        latent = sampling_latent((self.members, n, self.config.latent_size), self.step, self.device)
        return self.generate(latent).float().cpu().numpy()

    def snapshot(self, points: int = SNAPSHOT_POINTS) -> dict[str, Any]:
        """What the live view draws, as numpy: per-seed modes captured over time [K, checkpoints], the mean and
        std over live seeds now, and every member's samples [K, points, 2]."""
        started = time.perf_counter()
        with torch.no_grad():
            fake = self.generate(self.evaluation_latent[:, :points]).float().cpu().numpy()
        alive = self.alive
        latest = self.coverage_captured[-1]
        counted = latest[alive] if alive.any() else latest
        return {
            "step": self.step,
            "critic_updates": self.critic_updates,
            "seeds": np.array(self.seeds, dtype=np.int64),
            "dataset": self.config.dataset,
            "objective": self.config.objective,
            "objective_label": self.objective.label,
            "mode_count": len(self.dataset.modes),
            "extent": self.dataset.extent,
            "modes": self.dataset.modes.astype(np.float32),
            "real": self.evaluation_real[:points].cpu().numpy().astype(np.float32),
            "fake": fake,
            "coverage_step": np.array(self.coverage_steps, dtype=np.float64),
            "modes_captured": np.stack(self.coverage_captured, axis=1),   # [K, checkpoints]
            "high_quality": np.stack(self.coverage_quality, axis=1),      # [K, checkpoints]
            "occupancy": self.occupancy.astype(np.float32),               # [K, modes], latest checkpoint
            "modes_captured_mean": float(counted.mean()),
            "modes_captured_std": float(counted.std()),
            "alive": alive,
            "member_diverged": list(self.member_diverged),
            "member_metrics": self.latest_member_metrics.copy(),
            "history": self.history.as_dict(),
            "diverged": self.diverged,
            "snapshot_seconds": time.perf_counter() - started,
        }

    # --- saving and loading (playground/checkpoint.py) ------------------------------------------------------

    CHECKPOINT_KIND, CHECKPOINT_LABEL = "ensemble", "Many seeds"
    MAX_SEEDS = 64  # members a saved ensemble may claim

    def _checkpoint_config(self) -> dict[str, Any]:
        return {"config": asdict(self.config), "seeds": list(self.seeds), "forward": self.forward}

    @classmethod
    def _from_checkpoint_config(cls, values: dict[str, Any]) -> Ensemble:
        seeds, forward = values.get("seeds"), values.get("forward")
        if set(values) != {"config", "seeds", "forward"}:
            raise ValueError("The file's config should hold config, seeds and forward.")
        if not isinstance(seeds, list) or not 1 <= len(seeds) <= cls.MAX_SEEDS or not all(
                type(seed) is int and 0 <= seed < 2**31 for seed in seeds):
            raise ValueError(f"The file's seeds should be 1 to {cls.MAX_SEEDS} whole numbers in [0, 2³¹).")
        if forward not in FORWARDS:
            raise ValueError(f"The file's forward={str(forward)[:20]!r} is not one of {', '.join(FORWARDS)}.")
        return cls(run_file.training_config_from(values["config"]), seeds, forward=forward)

    def _checkpoint_state(self) -> dict[str, Any]:
        return {
            "generator": {name: weight.detach() for name, weight in self.generator_parameters.items()},
            "critic": {name: weight.detach() for name, weight in self.critic_parameters.items()},
            "generator_optimizer": self.generator_optimizer.state_dict(),
            "critic_optimizer": self.critic_optimizer.state_dict(),
            "rng": self.rng.get_state(), "step": self.step, "critic_updates": self.critic_updates,
            "diverged": self.diverged, "member_diverged": list(self.member_diverged),
            "frozen_index": self._frozen_index,
            "frozen": self._frozen,
            "history": {"rows": torch.from_numpy(self.history.rows.copy()), "stride": self.history.stride},
            "latest_member_metrics": torch.from_numpy(self.latest_member_metrics.copy()),
            "coverage_steps": torch.tensor(self.coverage_steps, dtype=torch.int64),
            "coverage_captured": torch.from_numpy(np.stack(self.coverage_captured).astype(np.float64)),
            "coverage_quality": torch.from_numpy(np.stack(self.coverage_quality).astype(np.float64)),
            "occupancy": torch.from_numpy(np.asarray(self.occupancy, dtype=np.float64).copy()),
        }

    def _restore_checkpoint_state(self, state: dict[str, Any], template: dict[str, Any]) -> None:
        members, columns = self.members, len(METRICS)

        def frozen_index(value: Any, where: str) -> None:
            if value is not None and not (isinstance(value, Tensor) and value.dtype == torch.int64 and value.dim() == 1
                                          and len(value) <= members and bool(((value >= 0) & (value < members)).all())):
                raise ValueError(f"{where} should list frozen members.")

        def frozen(value: Any, where: str) -> None:
            count = 0 if state.get("frozen_index") is None else len(state["frozen_index"])
            if not count:
                if value != {}:
                    raise ValueError(f"{where} should be empty: no member is frozen.")
                return
            expected = {network: {name: weight[:count] for name, weight in template[network].items()}
                        for network in ("generator", "critic")}
            run_file.check_like(value, expected, where)

        def per_member_rows(value: Any, where: str) -> None:
            run_file.bounded_rows(MAX_COVERAGE_ROWS, members)(value, where)

        rules = {
            "state.frozen_index": frozen_index, "state.frozen": frozen,
            "state.history.rows": run_file.bounded_rows(MAX_HISTORY_ROWS, columns + 1),
            "state.coverage_steps": lambda value, where: run_file.bounded_rows(MAX_COVERAGE_ROWS, 1, torch.int64)(
                value.reshape(-1, 1) if isinstance(value, Tensor) else value, where),
            "state.coverage_captured": per_member_rows, "state.coverage_quality": per_member_rows,
            "state.generator_optimizer": run_file.optimizer_checker(self.generator_optimizer,
                                                                    list(self.generator_parameters.values())),
            "state.critic_optimizer": run_file.optimizer_checker(self.critic_optimizer,
                                                                 list(self.critic_parameters.values())),
        }
        run_file.check_like(state, template, "state", rules)
        lengths = {len(state["coverage_steps"]), len(state["coverage_captured"]), len(state["coverage_quality"])}
        if len(lengths) != 1 or not 0 <= state["step"] < 2**53 or not 0 <= state["critic_updates"] < 2**53:
            raise ValueError("The file's counters or coverage lengths do not agree.")
        stride = state["history"]["stride"]
        if not 1 <= stride <= 2**53 or stride & (stride - 1):
            raise ValueError(f"The file's history stride {stride} is not a power of two.")
        with torch.no_grad():
            for network in ("generator", "critic"):
                for name, weight in self._networks()[network].items():
                    weight.copy_(state[network][name])
        self.generator_optimizer.load_state_dict(state["generator_optimizer"])
        self.critic_optimizer.load_state_dict(state["critic_optimizer"])
        self.rng.set_state(state["rng"])
        self.step, self.critic_updates, self.diverged = state["step"], state["critic_updates"], state["diverged"]
        self.member_diverged = list(state["member_diverged"])
        self._frozen_index, self._frozen = state["frozen_index"], state["frozen"]
        self.history.rows, self.history.stride = state["history"]["rows"].numpy(), stride
        self.latest_member_metrics = state["latest_member_metrics"].numpy()
        self.coverage_steps = [int(step) for step in state["coverage_steps"].tolist()]
        self.coverage_captured = list(state["coverage_captured"].numpy())
        self.coverage_quality = list(state["coverage_quality"].numpy())
        self.occupancy = state["occupancy"].numpy()


# --- the Many seeds page's settings ---------------------------------------------------------------------------------

SEED_PRESETS: dict[str, Preset] = {  # the training presets an ensemble can run (it does not unroll); ids are URL ids
    preset_id: Preset(preset.label, preset.note, {"base": preset_id, "dataset": preset.config().dataset})
    for preset_id, preset in PRESETS.items() if not preset.config().unrolled_steps
}


@dataclass(frozen=True)
class SeedsSettings:
    """The Many seeds page: the configuration every seed trains with (a preset's, picked in the preset box, which
    brings its dataset), the dataset, K and the first seed. URL ids are the page's first links' keys (seeds_dataset,
    seeds_members, seeds_first; the preset's is seeds_preset): never rename them. Every field starts a new run."""

    base: str = knob("mode_collapse", "Configuration", choices={key: p.label for key, p in SEED_PRESETS.items()},
                     help="The preset whose configuration every seed trains with.")
    dataset: str = knob("eight_gaussians", "Dataset", choices=BUILT_IN, url="seeds_dataset",
                        help="The real distribution π; its modes are what is counted.")
    members: int = knob(16, "Seeds K", options=(4, 8, 16, 32), url="seeds_members",
                        help="How many runs train together, in one batched step: K runs cost a fraction of K "
                             "separate runs' time (`python bench/ensemble.py` measures it on this machine).")
    first_seed: int = knob(0, "First seed", min=0, max=2**31 - 64, widget="number", url="seeds_first",
                           help="Seeds s, s + 1, …, s + K − 1 are trained, s this number.")

    def training_config(self) -> TrainingConfig:
        return PRESETS[self.base].config(dataset=self.dataset)

    def seeds(self) -> range:
        return range(self.first_seed, self.first_seed + self.members)


def describe(snapshot: dict[str, Any]) -> str:
    """One line for the lecture: 'Out of 16 seeds, Minimax (saturating) keeps 2.1 ± 0.9 of 8 modes (step 2,000).'"""
    alive = np.asarray(snapshot["alive"])
    checkpoint = int(np.asarray(snapshot["coverage_step"])[-1])  # the latest coverage count, not the current step
    text = (f"Out of {int(alive.sum())} seeds, **{snapshot['objective_label']}** keeps "
            f"**{snapshot['modes_captured_mean']:.1f} ± {snapshot['modes_captured_std']:.1f}** of "
            f"{snapshot['mode_count']} modes (mean ± std over seeds, counted at step {checkpoint:,}).")
    if not alive.all():
        text += f" {int((~alive).sum())} seed(s) diverged and were frozen."
    return text
