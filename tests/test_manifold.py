"""The generator's manifold (GAN Lab's transformation view): the mesh is G on the z grid, the shading has mass 1."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from playground.figures import training as figures
from playground.training import Trainer, TrainingConfig


@pytest.mark.parametrize(("latent_size", "directions"), [(2, (0, 1)), (4, (1, 3))])
def test_mesh_vertices_are_g_on_the_grid_and_the_shading_has_mass_one(latent_size, directions):
    trainer = Trainer(TrainingConfig(latent_size=latent_size, seed=2))
    trainer.train(3)
    view = trainer.manifold(grid=7, directions=directions)
    axis = view["latent_axis"]
    for row in range(7):
        for column in range(7):
            z = torch.zeros(1, latent_size)
            z[0, directions[0]], z[0, directions[1]] = float(axis[column]), float(axis[row])
            with torch.no_grad():
                expected = trainer.generator(z)[0].numpy()
            np.testing.assert_allclose(view["mesh"][row, column], expected, atol=1e-5)
    assert view["density"].sum() == pytest.approx(1.0, abs=1e-5)
    assert (view["density"] >= 0).all() and 0 <= view["outside"] < 1


def test_the_manifold_figure_draws_every_mesh_line_and_refuses_a_bad_direction():
    trainer = Trainer(TrainingConfig(seed=0))
    view = trainer.manifold(grid=5)
    figure = figures.manifold(view)
    lines = next(t for t in figure["data"] if t["name"].startswith("G on a z grid"))
    x = np.asarray(lines["x"], dtype=float)
    assert np.isnan(x).sum() == 10  # 5 rows and 5 columns, each closed by a break
    np.testing.assert_allclose(x[:5], view["mesh"][0, :, 0], atol=1e-6)
    with pytest.raises(ValueError):
        trainer.manifold(directions=(0, 5))
