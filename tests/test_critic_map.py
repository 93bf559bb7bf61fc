"""The critic's colour map shows its slope whatever its offset: the scale is centred on f's median over the view."""

import numpy as np
import pytest

from playground.figures.training import centred_critic, samples_and_critic
from playground.presets import PRESETS
from playground.training import Trainer


def heat_of(snapshot):
    figure = samples_and_critic(snapshot)
    return next(trace for trace in figure["data"] if trace["type"] == "heatmap")


@pytest.mark.parametrize("offset", [0.0, 50.0, -1e4])
def test_a_sloped_critic_spans_both_colours_at_any_offset(offset):
    """f(x) = offset + 0.01·x₁: with a scale of ±max|f| around 0 an offset of 50 left every cell within 0.02 % of
    the top colour. Centred on the median, half the map is above the middle colour and half below, and the scale
    is exactly as wide as the slope makes f vary."""
    snapshot = Trainer(PRESETS["wgan_gp"].config()).snapshot()
    axis = snapshot["grid_axis"]
    x1, _ = np.meshgrid(axis.astype(np.float64), axis)
    heat = heat_of({**snapshot, "surface": offset + 0.01 * x1})
    z = np.asarray(heat["z"])
    assert heat["zmin"] == pytest.approx(-heat["zmax"])
    assert heat["zmax"] == pytest.approx(0.01 * (axis.max() - np.median(axis)), rel=1e-3)
    assert 0.4 < float((z > 0).mean()) < 0.6 and 0.4 < float((z < 0).mean()) < 0.6
    assert "median" in heat["colorbar"]["title"]["text"]


def test_a_probabilistic_discriminator_keeps_its_zero_to_one_scale():
    snapshot = Trainer(PRESETS["mode_collapse"].config()).snapshot()
    heat = heat_of(snapshot)
    assert (heat["zmin"], heat["zmax"]) == (0.0, 1.0) and heat["colorbar"]["title"]["text"] == "D(x)"


def test_a_flat_or_empty_critic_gets_a_unit_scale_not_a_zero_width_one():
    assert centred_critic(np.full((4, 4), 3.0))[1] == 1.0
    centred, spread = centred_critic(np.full((4, 4), np.nan))
    assert spread == 1.0 and np.isnan(centred).all()
    centred, spread = centred_critic(np.array([[0.0, 1.0], [2.0, np.inf]]))
    assert spread == pytest.approx(1.0) and np.isinf(centred[1, 1])
