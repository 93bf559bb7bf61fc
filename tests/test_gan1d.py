"""The 1-D GAN (Goodfellow et al. 2014, Fig. 1): G's density against references (a histogram, a closed form), D
against D* = p_data/(p_data + p_g) by quadrature, the equilibrium D = ½, the four panels, and the page."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import chart, decode, screenshot, wait_for_app
from scipy import integrate
from streamlit.testing.v1 import AppTest
from torch import nn

from playground import gan1d, lipschitz
from playground.figures import gan1d as figures
from playground.ui import widget_key

PAGE = str(Path(__file__).parents[1] / "pages" / "11_One_dimensional_GAN.py")


def affine_run(scale: float, shift: float, **changes) -> gan1d.Gan1dRun:
    """A run whose G is x = scale·z + shift with z ~ N(0, 1): p_g = N(shift, scale²) exactly."""
    run = gan1d.Gan1dRun(gan1d.Gan1dSettings(latent_distribution="gaussian", **changes))
    run.generator = nn.Linear(1, 1)
    with torch.no_grad():
        run.generator.weight.fill_(scale)
        run.generator.bias.fill_(shift)
    return run


def finish(steps):
    try:
        while True:
            next(steps)
    except StopIteration as finished:
        return finished.value


# --- densities -------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_kde_of_g_matches_the_histogram_of_many_samples():
    """The drawn density (a KDE of the run's 4,000 fixed samples) against a histogram of 200,000 fresh ones."""
    run = gan1d.Gan1dRun(gan1d.Gan1dSettings(seed=3))
    run.train(100)
    reference = run.generate(run._latent(200_000, torch.Generator().manual_seed(9)))
    counts, edges = np.histogram(reference, bins=30, density=True)
    width = edges[1] - edges[0]
    grid = np.linspace(-10, 10, 4001)
    samples = run.samples()
    assert np.trapezoid(gan1d.kde(samples, grid), grid) == pytest.approx(1.0, abs=1e-3)
    fine = np.linspace(edges[0], edges[-1], 30 * 20 + 1)  # the KDE's mass in each bin, by the trapezoid rule
    density = gan1d.kde(samples, fine).reshape(-1)
    mass = np.array([np.trapezoid(density[i * 20:(i + 1) * 20 + 1], fine[i * 20:(i + 1) * 20 + 1])
                     for i in range(30)])
    assert 0.5 * np.abs(mass - counts * width).sum() < 0.06


def test_g_density_for_an_affine_g_with_gaussian_z_is_the_closed_form():
    """x = a z + b with z ~ N(0, 1) is N(b, a²): the snapshot's density matches it."""
    run = affine_run(0.4, 0.8)
    snapshot = run.snapshot()
    exact = gan1d.normal_pdf(snapshot["x"], 0.8, 0.4)
    assert gan1d.total_variation(snapshot["x"], snapshot["p_generator"], exact) < 0.03
    assert np.max(np.abs(snapshot["p_generator"] - exact)) < 0.06 * exact.max()


def test_data_density_integrates_to_one_and_the_mixture_has_two_modes():
    for data in gan1d.DATA:
        settings = gan1d.Gan1dSettings(data=data, data_std=0.3)
        x = np.linspace(-8, 8, 8001)
        assert np.trapezoid(gan1d.data_density(x, settings), x) == pytest.approx(1.0, abs=1e-6)
    real = gan1d.Gan1dRun(gan1d.Gan1dSettings(data="mixture", data_mean=0.0, data_std=0.3)).real_batch(4000)
    assert (real < 0).float().mean().item() == pytest.approx(0.5, abs=0.03)
    assert real.abs().mean().item() == pytest.approx(gan1d.MIXTURE_OFFSET, abs=0.05)


# --- the discriminator -----------------------------------------------------------------------------------------

@pytest.mark.slow
def test_d_trained_to_convergence_with_g_frozen_is_the_optimal_discriminator():
    """Prop. 1 of Goodfellow et al.: with G fixed, the best D is p_data / (p_data + p_g). Checked by quadrature,
    weighted by where the points are, against p_g's closed form."""
    torch.manual_seed(0)
    run = affine_run(0.7, -0.3, data_mean=0.5, data_std=0.5, learning_rate=3e-3, batch_size=512)
    for _ in range(1500):
        run.critic_step()

    def p_data(x):
        return float(gan1d.normal_pdf(x, 0.5, 0.5))

    def p_g(x):
        return float(gan1d.normal_pdf(x, -0.3, 0.7))

    def error(x):
        d_star = p_data(x) / (p_data(x) + p_g(x))
        return abs(float(run.discriminator(np.array([x]))[0]) - d_star) * 0.5 * (p_data(x) + p_g(x))

    mean_error, _ = integrate.quad(error, -4, 4, limit=400, points=[-0.3, 0.5], epsabs=1e-4)
    assert mean_error < 0.04
    snapshot = run.snapshot()  # the snapshot's own D* (from the KDE) agrees with the closed form's
    exact = snapshot["p_data"] / (snapshot["p_data"] + gan1d.normal_pdf(snapshot["x"], -0.3, 0.7))
    support = snapshot["p_data"] > 0.05 * snapshot["p_data"].max()
    assert np.max(np.abs(snapshot["optimal_discriminator"] - exact)[support]) < 0.05


def test_optimal_discriminator_is_half_where_the_densities_agree():
    p = np.array([0.2, 0.0, 1.0, 0.0])
    q = np.array([0.2, 0.3, 0.0, 0.0])
    np.testing.assert_allclose(gan1d.optimal_discriminator(p, q), [0.5, 0.0, 1.0, 0.5])


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_long_non_saturating_run_on_a_gaussian_reaches_the_equilibrium(seed):
    """At p_g = p_data, D* = ½: the densities meet and D flattens over the data's support."""
    run = gan1d.Gan1dRun(gan1d.Gan1dSettings(seed=seed))
    run.train(800)
    snapshot = run.snapshot()
    assert snapshot["total_variation"] < 0.15
    assert snapshot["mean_distance_from_half"] < 0.1
    assert not run.diverged


# --- the losses are the core's --------------------------------------------------------------------------------

def test_wgan_clips_the_critic_and_wgan_gp_uses_the_cores_penalty(monkeypatch):
    run = gan1d.Gan1dRun(gan1d.Gan1dSettings(objective="wgan", clip_value=0.05))
    run.train(3)
    assert max(p.abs().max().item() for p in run.critic.parameters()) == pytest.approx(0.05)  # at the box's edge
    calls = []
    original = lipschitz.gradient_penalty
    monkeypatch.setattr(lipschitz, "gradient_penalty", lambda *a, **k: calls.append(1) or original(*a, **k))
    run = gan1d.Gan1dRun(gan1d.Gan1dSettings(objective="wgan_gp", critic_steps=2))
    run.train(2)
    assert len(calls) == 4
    snapshot = run.snapshot()
    curve, label = figures.discriminator_curve(snapshot)
    assert "rescaled" in label and curve.min() == pytest.approx(0) and curve.max() == pytest.approx(1)
    assert np.isnan(snapshot["mean_distance_from_half"])


@pytest.mark.parametrize("objective", list(gan1d.OBJECTIVES))
def test_every_loss_trains(objective):
    run = gan1d.Gan1dRun(gan1d.Gan1dSettings(objective=objective, critic_steps=1))
    metrics = run.train(5)
    assert run.step == 5 and not run.diverged and np.isfinite(list(metrics.values())).all()


def test_reconfigure_takes_live_fields_in_place():
    run = gan1d.Gan1dRun(gan1d.Gan1dSettings())
    changed = run.reconfigure(replace(run.config, learning_rate=3e-4, critic_steps=2, data_mean=-1.0))
    assert sorted(changed) == ["critic_steps", "data_mean", "learning_rate"]
    assert run.critic_optimizer.param_groups[0]["lr"] == 3e-4 == run.generator_optimizer.param_groups[0]["lr"]
    assert run.real_batch(2000).mean().item() == pytest.approx(-1.0, abs=0.05)


def test_save_and_load_continue_bit_for_bit(tmp_path):
    run = gan1d.Gan1dRun(gan1d.Gan1dSettings(seed=5, objective="wgan_gp", critic_steps=2))
    run.train(3)
    run.save(tmp_path / "run.pt")
    loaded = gan1d.Gan1dRun.load(tmp_path / "run.pt")
    run.train(4)
    loaded.train(4)
    assert loaded.step == run.step == 7
    np.testing.assert_array_equal(loaded.samples(), run.samples())


# --- Fig. 1 ------------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_four_panels_follow_the_paper():
    """(b) D closer to D* than in (a); (c) G closer to the data than in (b); (d) the equilibrium."""
    settings = gan1d.PRESETS["goodfellow"].settings(gan1d.Gan1dSettings)
    panels = finish(gan1d.goodfellow_protocol(settings))
    a, b, c, d = (panels[key] for key in "abcd")
    assert b["mean_distance_from_optimal"] < a["mean_distance_from_optimal"]
    assert b["mean_distance_from_optimal"] < 0.1
    np.testing.assert_array_equal(b["generated"], a["generated"])  # G frozen in (b)
    assert c["total_variation"] < b["total_variation"]
    assert d["total_variation"] < 0.15 and d["mean_distance_from_half"] < 0.1
    figure = figures.four_panels(panels)
    assert [a["text"] for a in figure["layout"]["annotations"]] == ["(a)", "(b)", "(c)", "(d)"]


def test_the_mapping_lines_join_each_z_to_g_of_z():
    run = gan1d.Gan1dRun(gan1d.Gan1dSettings())
    snapshot = run.snapshot()
    trace = next(t for t in figures.gan1d_figure(snapshot)["data"] if t["name"] == "x = G(z)")
    x, y = np.asarray(trace["x"], float).reshape(-1, 3), np.asarray(trace["y"], float).reshape(-1, 3)
    np.testing.assert_allclose(x[:, 0], snapshot["z"], atol=1e-6)
    np.testing.assert_allclose(x[:, 1], run.generate(snapshot["z"]), atol=1e-5)
    assert (y[:, 0] == 0).all() and (y[:, 1] == 1).all()


# --- the page ---------------------------------------------------------------------------------------------------

def page_from_link(**params) -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in params.items():
        app.query_params[key] = value
    return app.run()


def test_page_steps_and_draws_the_figure():
    app = page_from_link()
    assert not app.exception, [e.value for e in app.exception]
    app.button(key="gan1d.live.step").click().run()
    assert not app.exception
    text = " ".join(m.value for m in app.markdown)
    assert "**Step 1**" in text and "Total variation" in text and "mean |D(x) − ½|" in text
    figure = chart(app, "gan1d.live")
    names = [t.get("name") for t in figure["data"]]
    assert {"data p<sub>data</sub>", "generator p<sub>g</sub> (KDE)", "D(x)", "x = G(z)"} <= set(names)
    d = decode(next(t for t in figure["data"] if t.get("name") == "D(x)")["y"])
    assert ((d > 0) & (d < 1)).all()


def test_page_links_and_notices():
    app = page_from_link(preset="goodfellow", g1_loss="WGAN-GP", g1_k="3")
    assert not app.exception
    assert app.selectbox(key=widget_key("gan1d", "objective")).value == "wgan_gp"
    assert app.slider(key=widget_key("gan1d", "critic_steps")).value == 3
    assert app.slider(key=widget_key("gan1d", "clip_value")).disabled  # WGAN-GP ignores c
    caption = " ".join(c.value for c in app.caption)
    assert "non-saturating loss instead of WGAN-GP" in caption
    app = page_from_link(g1_k="99", g1_data="cauchy")
    warnings = " ".join(w.value for w in app.sidebar.warning)
    assert "g1_k=99" in warnings and "g1_data=cauchy" in warnings
    assert app.slider(key=widget_key("gan1d", "critic_steps")).value == 5


@pytest.mark.browser
def test_playing_the_1d_gan_in_chromium(app_url, page):
    page.goto(app_url + "/One_dimensional_GAN")
    wait_for_app(page)
    page.wait_for_selector(".gp-live-cell .main-svg", timeout=60_000)
    page.get_by_role("button", name="Play").click()
    page.wait_for_timeout(6000)
    started = time.monotonic()
    steps = int(re.search(r"Step ([\d,]+)", page.get_by_text(re.compile(r"^Step ")).first.inner_text())
                .group(1).replace(",", ""))
    screenshot(page, "one_dimensional_gan_playing")
    page.get_by_role("button", name="Pause").click()
    assert steps > 20, f"training advances while playing ({steps} steps, {time.monotonic() - started:.0f} s)"
    assert page.locator("[data-testid='stException']").count() == 0
