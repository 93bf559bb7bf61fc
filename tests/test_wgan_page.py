"""The WGAN page's deep-critic experiment (Gulrajani et al. 2017, Fig. 1b): a clipped critic's per-layer
gradients explode for c = 0.1 and vanish for c = 0.01 and 0.001, a gradient penalty keeps them level."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import ROOT, chart
from streamlit.testing.v1 import AppTest

from playground import wgan
from playground.figures.wgan import layer_gradient_profile
from playground.models import Critic

PAGE = str(ROOT / "pages" / "6_WGAN_and_clipping.py")


@pytest.mark.slow
@pytest.mark.parametrize(("dataset", "seed"), [("eight_gaussians", 0), ("eight_gaussians", 1), ("swiss_roll", 2)])
def test_clipping_explodes_or_vanishes_and_the_penalty_keeps_gradients_level(dataset, seed):
    profile = wgan.clipping_gradient_profile(steps=20, hidden_units=256, dataset=dataset, seed=seed)
    large, small, tiny, penalty = (profile[key] for key in
                                   ("clip c = 0.1", "clip c = 0.01", "clip c = 0.001", "gradient penalty λ = 10"))
    assert all(len(norms) == 13 for norms in profile.values())             # 12 hidden layers + the output
    assert large.min() > 1e6                                                # explode
    assert small.max() < 1e-5 and tiny.max() < 1e-15                         # vanish
    assert penalty.min() > 1e-4 and penalty.max() < 10 and penalty.max() / penalty.min() < 100  # level


def test_layer_norms_are_the_weight_gradients_of_the_wasserstein_critic_loss():
    torch.manual_seed(0)
    critic = Critic(16, 3)
    real, fake = torch.randn(64, 2), torch.randn(64, 2) + 1.0
    weights = [p for name, p in critic.named_parameters() if name.endswith("weight")]
    expected = torch.autograd.grad(critic(fake).mean() - critic(real).mean(), weights)
    np.testing.assert_allclose(wgan.layer_gradient_norms(critic, real, fake),
                               [g.norm().item() for g in expected], rtol=1e-6)


def test_profile_chart_says_where_a_gradient_is_exactly_zero():
    """A log axis cannot draw 0: c = 0.001 drew one dot at 1e-21 and nothing else, which looked like a bug."""
    figure = layer_gradient_profile({"clip c = 0.001": np.array([0.0, 0.0, 1e-21]), "λ": np.array([0.1, 0.2, 0.3])})
    notes = [a["text"] for a in figure["layout"]["annotations"]]
    assert notes == ["clip c = 0.001: exactly 0 at 2 of 3 layers (vanished below float32's range)"]
    assert figure["layout"]["yaxis"]["automargin"] and figure["layout"]["yaxis"]["type"] == "log"


@pytest.mark.slow
def test_page_measures_the_profile_on_request():
    page = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not page.exception
    page.button(key="wg_profile_run").click().run()
    assert not page.exception
    spec = chart(page, "wg_profile_chart")
    assert [trace["name"] for trace in spec["data"]] == ["clip c = 0.1", "clip c = 0.01", "clip c = 0.001",
                                                          "gradient penalty λ = 10"]
