"""Mode covering vs mode seeking: one Gaussian fitted to a two-Gaussian mixture by forward KL, reverse KL and JSD."""

import numpy as np
import streamlit as st

from playground import divergences, ui
from playground.figures import divergences as figures

st.set_page_config(page_title="Mode covering vs seeking · GAN Playground", page_icon="🎯", layout="wide")
ui.page_header(
    "Mode covering vs seeking",
    "Fit one Gaussian p = N(μ, σ²) to a two-mode mixture π by gradient descent on each divergence, and see which "
    "minima cover both modes and which seek one.",
    r"\mathrm{KL}(\pi\|p) = \int \pi \log\frac{\pi}{p},\qquad \mathrm{KL}(p\|\pi) = \int p \log\frac{p}{\pi},\qquad"
    r"\mathrm{JSD} = \tfrac12\mathrm{KL}\big(\pi\|m\big) + \tfrac12\mathrm{KL}\big(p\|m\big),\; m = \tfrac{\pi+p}{2}",
)
settings = ui.controls("covering", divergences.CoveringSettings, divergences.COVERING_PRESETS, lazy_groups=False,
                       custom_preset="Custom (sliders below)", groups={
                           "": divergences.MIXTURE_FIELDS,
                           "Start of the descent (or click a landscape)": ("mu0", "sigma0")})
mixture = settings.mixture()
MUS, SIGMAS = divergences.COVERING_MUS, divergences.COVERING_SIGMAS


def pick_start(mu: float, sigma: float) -> None:
    """A click on a landscape moves the start there."""
    ui.load_settings("covering", settings.with_start(mu, sigma))


study = st.cache_data(divergences.landscapes_and_minima, max_entries=16,
                      show_spinner="Computing the three landscapes…")(*mixture, MUS, SIGMAS)
fit_path = st.cache_data(divergences.fit_gaussian_path, max_entries=256, show_spinner="Descending…")
paths = {d: fit_path(*mixture, d, (settings.mu0, settings.sigma0)) for d in divergences.DIVERGENCES}
for column, divergence in zip(st.columns(3), divergences.DIVERGENCES, strict=True):
    with column:
        ui.chart(figures.landscape_figure(MUS, SIGMAS, study[divergence]["landscape"], divergence,
                                          minima=study[divergence]["minima"], path=paths[divergence]),
                 key=f"cov_landscape_{divergence}", on_click=pick_start)
st.caption(divergences.covering_caption(mixture[1], study))

fits = {d: (float(paths[d]["mu"][-1]), float(paths[d]["sigma"][-1])) for d in divergences.DIVERGENCES}
x = np.linspace(-7.0, 7.0, 561)
left, right = ui.side_by_side(2)  # stacked in lecture mode
with left:
    ui.chart(figures.fitted_densities(x, divergences.Mixture(*mixture).density(x), fits), key="cov_densities_chart")
rows, notes = divergences.covering_results(mixture, study, paths, figures.DIVERGENCE_SHORT)
right.table(rows, hide_index=True)  # a plain table: no data-grid code to load
right.markdown(divergences.moment_matching_sentence(mixture))
for level, text in notes:
    getattr(right, level)(text)
