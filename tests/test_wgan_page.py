"""The WGAN page's deep-critic experiment (Gulrajani et al. 2017, Fig. 1b): a clipped critic's gradients with
respect to its activations explode for c = 0.1 and vanish for c = 0.01 and 0.001 going back from the score; a
gradient penalty changes them far less. And the JSD sentence, computed from the classic discriminator's losses."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import ROOT, chart
from streamlit.testing.v1 import AppTest

from playground import objectives, wgan
from playground.datasets import DATASETS
from playground.figures.wgan import layer_gradient_profile
from playground.models import Critic
from playground.ui import widget_key

PAGE = str(ROOT / "pages" / "6_WGAN_and_clipping.py")


def manual_activation_gradient_norms(critic: Critic, real: torch.Tensor, fake: torch.Tensor) -> np.ndarray:
    """‖∂L/∂h_ℓ‖ by hand-written backpropagation in float64 NumPy (no autograd): forward through the Linear
    layers, then δ_score = ±1/n and δ_{h_{ℓ−1}} = (δ_{h_ℓ} ⊙ 1[z_ℓ > 0]) W_ℓ, for L = E f(fake) − E f(real)."""
    linears = [m for m in critic.net if isinstance(m, torch.nn.Linear)]
    weights = [m.weight.detach().double().numpy() for m in linears]
    biases = [m.bias.detach().double().numpy() for m in linears]
    squared = np.zeros(len(linears))
    for batch, sign in ((fake, 1.0), (real, -1.0)):
        hidden, pre_activations = batch.double().numpy(), []
        for weight, bias in zip(weights[:-1], biases[:-1], strict=True):
            pre = hidden @ weight.T + bias
            pre_activations.append(pre)
            hidden = np.maximum(pre, 0.0)
        delta = np.full((len(batch), 1), sign / len(batch))       # ∂L/∂score
        squared[-1] += (delta ** 2).sum()
        for layer in range(len(linears) - 2, -1, -1):             # ∂L/∂h_layer, the ReLU output of hidden layer
            delta_hidden = (delta * (pre_activations[layer + 1] > 0) if layer + 1 < len(pre_activations)
                            else delta) @ weights[layer + 1]
            squared[layer] += (delta_hidden ** 2).sum()
            delta = delta_hidden
    return np.sqrt(squared)


def test_layer_norms_are_the_activation_gradients_of_the_wasserstein_critic_loss():
    """Fig. 1b plots gradients with respect to activations, not weights: pinned against hand backpropagation."""
    torch.manual_seed(0)
    critic = Critic(16, 3)
    real, fake = torch.randn(64, 2), torch.randn(64, 2) + 1.0
    norms = wgan.layer_activation_gradient_norms(critic, real, fake)
    assert len(norms) == 4                                                   # 3 hidden layers + the score
    np.testing.assert_allclose(norms, manual_activation_gradient_norms(critic, real, fake), rtol=1e-5)
    assert norms[-1] == pytest.approx(np.sqrt(2 / 64))                      # ±1/n on each of 2n scores


@pytest.mark.slow
@pytest.mark.parametrize("dataset", list(DATASETS))
def test_clipping_explodes_or_vanishes_and_the_penalty_changes_far_less(dataset):
    """Gulrajani et al.'s Fig. 1b, on every dataset the page offers (two seeds each): going back from the score,
    c = 0.1 grows by ≥ 8 decades, c = 0.01 and 0.001 shrink by ≥ 8, each layer by layer; the penalty changes by
    < 3 decades in all. The page's caption and `profile_summary` say exactly this."""
    for seed in (0, 1):
        profile = wgan.clipping_gradient_profile(steps=20, hidden_units=256, dataset=dataset, seed=seed)
        large, small, tiny, penalty = (profile[key] for key in
                                       ("clip c = 0.1", "clip c = 0.01", "clip c = 0.001", "gradient penalty λ = 10"))
        assert all(len(norms) == 13 for norms in profile.values())         # 12 hidden layers + the score
        backwards = slice(None, None, -1)
        assert np.all(np.diff(large[backwards]) > 0) and large[0] / large[-1] > 1e8            # explode
        for vanishing in (small, tiny):
            assert np.all(np.diff(vanishing[backwards]) <= 0) and vanishing[0] / vanishing[-1] < 1e-8  # vanish
        assert penalty.max() / penalty.min() < 1e3                                             # far flatter
        summary = wgan.profile_summary(profile)
        assert "decades with clip c = 0.1" in summary and "grows by" in summary.split("with clip c = 0.1")[0]
        assert "shrinks by" in summary.split("with clip c = 0.01;")[0].split(";")[-1]
        assert "decades with gradient penalty λ = 10." in summary


def test_profile_summary_counts_decades_from_the_score_back():
    summary = wgan.profile_summary({"a": np.array([1e6, 1e3, 1.0]), "b": np.array([0.0, 1e-3, 1.0]),
                                    "c": np.array([0.01, 1.0])})
    assert summary == ("From the score back to layer 1, the gradient norm grows by 6.0 decades with a; "
                       "falls to exactly 0 with b; shrinks by 2.0 decades with c.")


@pytest.mark.parametrize("losses", [[np.log(4)] * 3, [0.0], [1.2, 1.3, 0.9]])
def test_jsd_note_states_the_estimate_from_the_losses(losses):
    note = wgan.jsd_note(np.array(losses))
    value = 0.5 * (np.log(4) - np.mean(losses))
    assert f": {value:.2f} ({value / np.log(2):.0%} of its ceiling ln 2" in note


def test_the_jsd_estimate_never_exceeds_ln2():
    """L_D is a sum of two cross-entropies (≥ 0), so ½(log 4 − L_D) ≤ ln 2, as the page's caption says."""
    scores = torch.randn(10_000) * 20
    loss = objectives.minimax_critic_loss(scores[:5000], scores[5000:]).item()
    assert loss >= 0 and wgan.jsd_estimate(loss) <= np.log(2)
    perfect = objectives.minimax_critic_loss(torch.full((8,), 50.0), torch.full((8,), -50.0)).item()
    assert wgan.jsd_estimate(perfect) == pytest.approx(np.log(2), abs=1e-12)


def test_profile_chart_says_where_a_gradient_is_exactly_zero():
    """A log axis cannot draw 0, so layers whose gradient is exactly 0 are named in a note instead of vanishing."""
    figure = layer_gradient_profile({"clip c = 0.001": np.array([0.0, 0.0, 1e-21]), "λ": np.array([0.1, 0.2, 0.3])})
    notes = [a["text"] for a in figure["layout"]["annotations"]]
    assert notes == ["clip c = 0.001: exactly 0 at 2 of 3 layers (vanished below float32's range)"]
    assert figure["layout"]["yaxis"]["automargin"] and figure["layout"]["yaxis"]["type"] == "log"


@pytest.mark.slow
def test_page_measures_the_profile_on_request():
    page = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not page.exception
    page.button(key="wg_profile.run").click().run()
    assert not page.exception
    spec = chart(page, "wg_profile_chart")
    assert [trace["name"] for trace in spec["data"]] == ["clip c = 0.1", "clip c = 0.01", "clip c = 0.001",
                                                          "gradient penalty λ = 10"]


def test_estimates_chart_keeps_negative_jsd_estimates_on_its_axis_and_prints_the_note():
    """An undertrained discriminator's loss can exceed log 4, so ½(log 4 − L_D) < 0: the right axis reaches down."""
    from playground.figures.wgan import estimates_against_truth
    history = {"step": np.arange(3), "critic_loss": np.array([1.2, 1.6, 1.0]), "critic_gap": np.zeros(3)}
    runs = {"Classic GAN": {"history": history, "exact_w1": np.array([[0.0, 1.0]]), "step": 2}}
    figure = estimates_against_truth(runs, note="a note")
    low = figure["layout"]["yaxis2"]["range"][0]
    assert low <= 0.5 * (np.log(4) - 1.6) < 0
    assert figure["layout"]["title"]["text"].endswith("<sup>a note</sup>")


def test_the_comparison_takes_live_settings_in_place_and_reports_them():
    """c, λ, critic steps and the learning rate reach the runs they belong to without a restart; the dataset and
    seed are not applied in place (they need a new comparison, which live_view starts)."""
    settings = wgan.WganSettings()
    run = wgan.WganComparison.from_settings(settings)
    run.train(2)
    changed = run.reconfigure(wgan.WganSettings(clip_value=0.1, gp_weight=10.0, critic_steps=2, learning_rate=1e-4,
                                                seed=9))
    assert changed == ["clip_value", "gp_weight", "critic_steps", "learning_rate"] and run.step == 2
    clipped, penalised, classic = (run.trainers[name].config for name in ("WGAN (clip c)", "WGAN-GP", "Classic GAN"))
    assert clipped.clip_value == 0.1 and penalised.gp_weight == 10.0
    assert clipped.critic_steps == penalised.critic_steps == 2 and classic.critic_steps == 1  # classic: 1 D step
    assert {config.critic_lr for config in (clipped, penalised, classic)} == {1e-4}
    assert {config.seed for config in (clipped, penalised, classic)} == {0} and run.config.seed == 0
    assert run.config == wgan.WganSettings(clip_value=0.1, gp_weight=10.0, critic_steps=2, learning_rate=1e-4)


def page_from_link(**params: str) -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in params.items():
        app.query_params[key] = value
    return app.run()


def test_old_links_open_the_same_view():
    """Links the page wrote with its hand-bound controls (wg_* keys, the dataset by its label, λ as "10.0", the
    learning rate as "5e-05") open the same values, and the address keeps the old keys."""
    app = page_from_link(wg_dataset="25 Gaussians", wg_c="0.05", wg_lambda="10.0", wg_critic_steps="3",
                         wg_lr="5e-05", wg_seed="7")
    assert not app.exception and not app.error and not app.sidebar.warning
    assert app.selectbox(key=widget_key("wgan", "dataset")).value == "twenty_five_gaussians"
    assert app.select_slider(key=widget_key("wgan", "clip_value")).value == 0.05
    assert app.select_slider(key=widget_key("wgan", "gp_weight")).value == 10.0
    assert app.slider(key=widget_key("wgan", "critic_steps")).value == 3
    assert app.select_slider(key=widget_key("wgan", "learning_rate")).value == 5e-5
    assert app.number_input(key=widget_key("wgan", "seed")).value == 7
    assert app.session_state["wgan.config"] == wgan.WganSettings("twenty_five_gaussians", 0.05, 10.0, 3, 5e-5, 7)
    assert (app.query_params["wg_dataset"], app.query_params["wg_c"], app.query_params["wg_lr"]) == (
        "twenty_five_gaussians", "0.05", "5e-05")


def test_link_values_no_control_can_take_are_named_and_the_defaults_kept():
    app = page_from_link(wg_c="1e9", wg_dataset="nope", wg_seed="-5")
    assert not app.exception
    warnings = " ".join(w.value for w in app.sidebar.warning)
    assert "wg_c=1e9" in warnings and "wg_dataset=nope" in warnings and "wg_seed=-5" in warnings
    assert app.session_state["wgan.config"] == wgan.WganSettings() and "wg_c" not in app.query_params


@pytest.mark.slow
def test_page_changes_c_in_place_and_restarts_for_another_dataset():
    """c is live: the comparison keeps its steps; the dataset is not: a new comparison starts at step 0."""
    app = AppTest.from_file(PAGE, default_timeout=120).run()
    app.button(key="wgan.lockstep.step").click().run()
    assert "**Step 1**" in " ".join(m.value for m in app.markdown)
    app.select_slider(key=widget_key("wgan", "clip_value")).set_value(0.1).run()
    assert "**Step 1**" in " ".join(m.value for m in app.markdown) and app.query_params["wg_c"] == "0.1"
    app.selectbox(key=widget_key("wgan", "dataset")).set_value("swiss_roll").run()
    assert not app.exception and "**Step 0**" in " ".join(m.value for m in app.markdown)
