"""Mode covering vs mode seeking: one Gaussian fitted to a two-Gaussian mixture by forward KL, reverse KL and JSD."""

import contextlib

import numpy as np
import streamlit as st

from playground import divergences, ui
from playground.figures import divergences as figures

st.set_page_config(page_title="Mode covering vs seeking · GAN Playground", page_icon="🎯", layout="wide")
ui.page_header(
    "Mode covering vs mode seeking",
    "Fit one Gaussian p = N(μ, σ²) to a two-mode mixture π by gradient descent on each divergence, and see which "
    "minima cover both modes and which seek one.",
    r"\mathrm{KL}(\pi\|p) = \int \pi \log\frac{\pi}{p},\qquad \mathrm{KL}(p\|\pi) = \int p \log\frac{p}{\pi},\qquad"
    r"\mathrm{JSD} = \tfrac12\mathrm{KL}\big(\pi\|m\big) + \tfrac12\mathrm{KL}\big(p\|m\big),\; m = \tfrac{\pi+p}{2}",
)
# Fixed axes, comparable across mixtures. σ reaches 5: the widest mixture the sliders make (d = 8, s₁ = s₂ = 2) has
# its forward-KL optimum at σ = √20 ≈ 4.47 (with σ up to 4 its minima and path fell outside the chart).
MUS, SIGMAS = np.linspace(-5.0, 5.0, 61), np.linspace(0.1, 5.0, 50)
SIGMA0_RANGE = (0.15, 4.0)  # the start's slider
MIXTURE_KEYS = ("cov_separation", "cov_weight", "cov_left_std", "cov_right_std")


CUSTOM = "custom"  # the preset box's reading when the four sliders match no preset


def apply_preset() -> None:
    if st.session_state["cov_preset"] == CUSTOM:
        return
    values = divergences.MIXTURE_PRESETS[st.session_state["cov_preset"]][1:]
    st.session_state.update(dict(zip(MIXTURE_KEYS, values, strict=True)))


def matching_preset() -> str:
    """The preset whose four settings the sliders hold now, or CUSTOM: after a slider moved (or a link with
    changed settings was opened) the box must not name a mixture the charts do not show."""
    current = []
    for key in MIXTURE_KEYS:
        value = st.session_state[key]
        if "cov_drawn" not in st.session_state:  # first run: a link's values reach the sliders only as they are drawn
            with contextlib.suppress(TypeError, ValueError):  # a bad value: the slider falls back and warns
                value = float(st.query_params.get(key, value))
        current.append(float(value))
    st.session_state["cov_drawn"] = True
    return next((preset_id for preset_id, (_, *values) in divergences.MIXTURE_PRESETS.items()
                 if all(abs(a - b) < 1e-9 for a, b in zip(current, values, strict=True))), CUSTOM)


def pick_start(mu: float, sigma: float) -> None:
    """A click on a landscape moves the start there."""
    st.session_state["cov_mu0"] = float(np.clip(round(mu, 2), MUS[0], MUS[-1]))
    st.session_state["cov_sigma0"] = float(np.clip(round(sigma, 2), *SIGMA0_RANGE))


defaults = dict(zip(MIXTURE_KEYS, divergences.MIXTURE_PRESETS["lecture"][1:], strict=True))
for key, value in {**defaults, "cov_mu0": 1.0, "cov_sigma0": 1.0}.items():   # a bound URL value wins on load
    st.session_state.setdefault(key, value)
st.session_state["cov_preset"] = matching_preset()
with st.sidebar:
    # "Custom" is offered only while it is the reading: picked over a preset, it snapped back to that preset
    custom = [CUSTOM] if st.session_state["cov_preset"] == CUSTOM else []
    st.selectbox("Preset", [*divergences.MIXTURE_PRESETS, *custom], key="cov_preset", on_change=apply_preset,
                 format_func=lambda k: divergences.MIXTURE_PRESETS[k][0] if k != CUSTOM else "Custom (sliders below)",
                 help="Loads the mixture's four settings.")
    separation = st.slider("Separation of the modes d", 0.0, 8.0, step=0.1, key="cov_separation",
                           bind="query-params", help="Means at −d/2 and +d/2.")
    weight = st.slider("Weight of the left mode w", 0.05, 0.95, step=0.05, key="cov_weight", bind="query-params",
                       help="π = w N(−d/2, s₁²) + (1 − w) N(d/2, s₂²).")
    left_std = st.slider("Width of the left mode s₁", 0.1, 2.0, step=0.05, key="cov_left_std", bind="query-params",
                         help="Standard deviation of the left component.")
    right_std = st.slider("Width of the right mode s₂", 0.1, 2.0, step=0.05, key="cov_right_std",
                          bind="query-params", help="Standard deviation of the right component.")
    st.markdown("**Start of the descent** (or click a landscape)")
    mu0 = st.slider("μ₀", -5.0, 5.0, step=0.05, key="cov_mu0", bind="query-params", help="Initial mean.")
    sigma0 = st.slider("σ₀", *SIGMA0_RANGE, step=0.05, key="cov_sigma0", bind="query-params", help="Initial width.")

mixture = divergences.two_mode_mixture(separation, weight, left_std, right_std)
study = st.cache_data(divergences.landscapes_and_minima, max_entries=16,
                      show_spinner="Computing the three landscapes…")(*mixture, MUS, SIGMAS)
fit_path = st.cache_data(divergences.fit_gaussian_path, max_entries=256, show_spinner="Descending…")
paths = {d: fit_path(*mixture, d, (mu0, sigma0)) for d in divergences.DIVERGENCES}
for column, divergence in zip(st.columns(3), divergences.DIVERGENCES, strict=True):
    with column:
        ui.chart(figures.landscape_figure(MUS, SIGMAS, study[divergence]["landscape"], divergence,
                                          minima=study[divergence]["minima"], path=paths[divergence]),
                 key=f"cov_landscape_{divergence}", on_click=pick_start)
st.caption("**Look for:** ★ global and ☆ local minima; the path runs from ○ (your start) to ✕. Forward KL has one "
           "minimum, moment matching, whatever the start. " + divergences.COVERING_DEFINITION + " Here: "
           + divergences.minima_summary(mixture[1], {d: study[d]["minima"] for d in divergences.DIVERGENCES}))

fits = {d: (float(paths[d]["mu"][-1]), float(paths[d]["sigma"][-1])) for d in divergences.DIVERGENCES}
x = np.linspace(-7.0, 7.0, 561)
left, right = ui.side_by_side(2)  # stacked in lecture mode
with left:
    ui.chart(figures.fitted_densities(x, divergences.Mixture(*mixture).density(x), fits), key="cov_densities_chart")
right.table([{"divergence": divergences.DIVERGENCES[d], "μ": round(mu, 4) + 0.0, "σ": round(sigma, 4),
              "value": float(paths[d]["loss"][-1]), "steps": len(paths[d]["mu"]) - 1,
              "reached": divergences.classify_fit(*mixture, d, mu, sigma, study[d]["minima"]),
              "modes": divergences.covering_verdict(mixture[1], mu, sigma)}
             for d, (mu, sigma) in fits.items()], hide_index=True)  # a plain table: no data-grid code to load
mean, std = divergences.moment_matching(*mixture)
right.markdown(f"Moment matching (forward KL's exact optimum): μ = {mean:.4f}, σ = {std:.4f}.")
for d, (mu, sigma) in fits.items():
    if divergences.classify_fit(*mixture, d, mu, sigma, study[d]["minima"]) != "stationary, not a minimum":
        continue
    if len(paths[d]["mu"]) == 1:
        right.warning(f"{figures.DIVERGENCE_SHORT[d]}: the descent cannot move from this start — the divergence is "
                      "flat here to machine precision (p and π barely overlap). Pick a start nearer π.")
    else:
        right.info(f"{figures.DIVERGENCE_SHORT[d]} stopped where its gradient vanishes without a minimum: a saddle "
                   "on a symmetry axis, which gradient descent cannot leave. Move the start off the axis.")

ui.url_notices()  # last: says which values of the link the controls could not take
