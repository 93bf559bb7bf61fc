"""Divergences against θ: the parallel lines, exact (KL = ∞, JSD = ln 2, W₁ = |θ|) and estimated from samples."""

import numpy as np
import streamlit as st

from playground import divergences, ui
from playground.figures import divergences as figures

st.set_page_config(page_title="Divergences vs θ · GAN Playground", page_icon="📏", layout="wide")
ui.page_header(
    "Divergences vs θ",
    "π puts its mass on the segment x = 0, $p_\\theta$ on the same segment moved to x = θ (Arjovsky et al. 2017, "
    "Example 1). Drag θ: KL and JSD cannot tell a near miss from a far one; W₁ can. Add instance noise to blur both.",
    # two lines: on one, a 1280-px projector in lecture mode cut it off after "JS"
    r"\begin{gathered}\pi = (0, U[0,1]),\quad p_\theta = (\theta, U[0,1]),\quad \theta \neq 0: \\"
    r"\mathrm{KL}(\pi\|p_\theta) = \mathrm{KL}(p_\theta\|\pi) = \infty,\quad \mathrm{JSD} = \ln 2,\quad "
    r"W_1 = |\theta|\end{gathered}",
)
THETAS = np.linspace(-2.0, 2.0, 401)  # includes θ = 0 exactly, where the curves jump
settings = ui.controls("divergences", divergences.ThetaSettings, lazy_groups=False, groups={
    "": ("theta", "noise_std"),
    "Estimators (live)": ("lipschitz_method", "clip_value", "penalty_weight", "learning_rate", "seed")})
theta, noise_std = settings.theta, settings.noise_std

values = divergences.parallel_lines(THETAS, noise_std)
current = divergences.parallel_lines(theta, noise_std)
real, fake = divergences.parallel_lines_samples(theta, noise_std, 300)
left, right = ui.side_by_side([3, 2])  # stacked in lecture mode: side by side at 1.3× text the titles were cut
with left:
    ui.chart(figures.divergence_curves(THETAS, values, theta, current, noise_std), key="div_curves_chart")
with right:
    ui.chart(figures.parallel_lines_figure(real, fake, theta, noise_std), key="div_lines_chart")
labels = {"kl": r"KL(π‖$p_\theta$)", "reverse_kl": r"KL($p_\theta$‖π)", "js": r"JSD(π, $p_\theta$)",
          "wasserstein": r"W₁(π, $p_\theta$)"}
for column, (key, label) in zip(st.columns(4), labels.items(), strict=True):
    column.metric(f"{label} at θ = {theta:g}", figures.format_value(float(current[key])))
st.caption(
    "**Look for:** without noise KL sits in the ∞ band and JSD at ln 2 for every θ ≠ 0, then both drop to 0 at "
    "θ = 0: no slope tells $p_\\theta$ which way to move. W₁ = |θ| slopes towards 0 everywhere. With noise σ the "
    "curves become smooth and finite (KL = θ²/2σ², JSD rises to ln 2 over a few σ) — why instance noise helps a GAN."
)

# Arjovsky, Chintala & Bottou (2017): Example 1 is this sequence; their Theorem 2 orders KL, JSD, TV and W₁
st.subheader("Example 1 (Arjovsky et al. 2017): θₜ → 0 converges in W₁, without noise in neither KL nor JSD")
sequence = divergences.theorem2_sequence(steps=8, start=1.0, noise_std=noise_std)
ui.chart(figures.theorem2_figure(sequence, noise_std=noise_std), key="div_theorem2_chart")
st.caption(divergences.theorem2_caption(sequence, noise_std))

st.subheader("The same divergences estimated from samples, trained live")
st.latex(r"\begin{gathered}\widehat{\mathrm{JSD}} = \tfrac12\big(\log 4 - L_D\big),\quad "
         r"L_D = -\mathbb{E}_\pi \log D - \mathbb{E}_{p_\theta}\log(1 - D) \\ "
         r"\widehat{W}_1 = \mathbb{E}_\pi f - \mathbb{E}_{p_\theta} f,\quad "
         r"f \text{ (roughly) 1-Lipschitz}\end{gathered}")
st.caption(divergences.estimator_caption(theta, noise_std, settings.lipschitz_method))
ui.live_view(
    "divergences.estimators", divergences.ParallelLinesEstimators.from_settings, figures.estimator_view, settings,
    columns=3,
    step_help="One update of the discriminator and of the Lipschitz critic ($p_\\theta$ stays where θ puts it).",
)
