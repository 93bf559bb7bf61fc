"""Divergences against θ: the parallel lines, exact (KL = ∞, JSD = ln 2, W₁ = |θ|) and estimated from samples."""

import numpy as np
import streamlit as st

from playground import divergences, lipschitz, ui
from playground.figures import divergences as figures

st.set_page_config(page_title="Divergences against θ · GAN Playground", page_icon="📏", layout="wide")
ui.page_header(
    "Divergences against θ",
    "π puts its mass on the segment x = 0, p_θ on the same segment moved to x = θ (Arjovsky et al. 2017, "
    "Example 1). Drag θ: KL and JSD cannot tell a near miss from a far one; W₁ can. Add instance noise to blur both.",
    # two lines: on one, a 1280-px projector in lecture mode cut it off after "JS"
    r"\begin{gathered}\pi = (0, U[0,1]),\quad p_\theta = (\theta, U[0,1]),\quad \theta \neq 0: \\"
    r"\mathrm{KL}(\pi\|p_\theta) = \mathrm{KL}(p_\theta\|\pi) = \infty,\quad \mathrm{JSD} = \ln 2,\quad "
    r"W_1 = |\theta|\end{gathered}",
)
THETAS = np.linspace(-2.0, 2.0, 401)  # includes θ = 0 exactly, where the curves jump
with st.sidebar:
    theta = st.slider("θ", -2.0, 2.0, 0.7, 0.05, key="div_theta", bind="query-params",
                      help="Where p_θ's segment sits; π stays at x = 0.")
    noise_std = st.select_slider("Instance noise σ", [0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0], value=0.0,
                                 key="div_noise", bind="query-params",
                                 help="Both π and p_θ convolved with N(0, σ²I): the supports overlap.")
    st.markdown("**Estimators (live)**")
    ui.accept_ids_in_link("div_lipschitz", lipschitz.method_links())  # ids, and the page's old "weight_clipping"
    method = st.radio("Critic's Lipschitz constraint ↻", list(lipschitz.LIPSCHITZ_METHODS),
                      format_func=lipschitz.LIPSCHITZ_METHODS.get, key="div_lipschitz", bind="query-params",
                      help="How the W₁ critic is kept 1-Lipschitz. Changing it starts a new run.")
    clip_value = st.select_slider("Clipping constant c", [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0], value=0.01,
                                  key="div_clip", bind="query-params", disabled=method != "clip",
                                  help="Weight clipping: every critic weight in [−c, c] (live).")
    penalty_weight = st.select_slider("Gradient penalty λ", [0.1, 1.0, 10.0, 100.0], value=10.0, key="div_lambda",
                                      bind="query-params", disabled=method != "gradient_penalty",
                                      help="Weight of E(‖∇f(x̂)‖ − 1)² (live).")
    learning_rate = st.select_slider("Learning rate", [1e-4, 3e-4, 1e-3, 3e-3], value=1e-3, key="div_lr",
                                     bind="query-params", format_func=lambda v: f"{v:g}",
                                     help="For the discriminator and the critic (live).")
    seed = st.number_input("Seed ↻", 0, 2**31 - 1, 0, key="div_seed", bind="query-params",
                           help="Initial weights and samples. Changing it starts a new run.")

values = divergences.parallel_lines(THETAS, noise_std)
current = divergences.parallel_lines(theta, noise_std)
real, fake = divergences.parallel_lines_samples(theta, noise_std, 300)
left, right = ui.side_by_side([3, 2])  # stacked in lecture mode: side by side at 1.3× text the titles were cut
with left:
    ui.chart(figures.divergence_curves(THETAS, values, theta, current, noise_std), key="div_curves_chart")
with right:
    ui.chart(figures.parallel_lines_figure(real, fake, theta, noise_std), key="div_lines_chart")
labels = {"kl": "KL(π‖p_θ)", "reverse_kl": "KL(p_θ‖π)", "js": "JSD(π, p_θ)", "wasserstein": "W₁(π, p_θ)"}
for column, (key, label) in zip(st.columns(4), labels.items(), strict=True):
    column.metric(f"{label} at θ = {theta:g}", figures.format_value(float(current[key])))
st.caption(
    "**Look for:** without noise KL sits in the ∞ band and JSD at ln 2 for every θ ≠ 0, then both drop to 0 at "
    "θ = 0: no slope tells p_θ which way to move. W₁ = |θ| slopes towards 0 everywhere. With noise σ the curves "
    "become smooth and finite (KL = θ²/2σ², JSD rises to ln 2 over a few σ) — why instance noise helps a GAN."
)

st.subheader("Theorem 2: a sequence that converges in W₁ only" + (" (without noise)" if noise_std else ""))
sequence = divergences.theorem2_sequence(steps=8, start=1.0, noise_std=noise_std)
ui.chart(figures.theorem2_figure(sequence, noise_std=noise_std), key="div_theorem2_chart")
st.caption(r"$p_t = p_{\theta_t}$ with $\theta_t = 1/t$, and θ = 0 at the last step. "
           "W₁(π, p_t) → 0, so p_t → π; without noise "
           "KL stays ∞ and JSD stays ln 2 until the very last step: they do not see the convergence."
           + (f" With the noise σ = {noise_std:g} drawn here, KL and JSD are finite and fall with θ_t: the blurred "
              "distributions overlap, and the divergences see the convergence too." if noise_std else ""))

st.subheader("The same divergences estimated from samples, trained live")
st.latex(r"\begin{gathered}\widehat{\mathrm{JSD}} = \tfrac12\big(\log 4 - L_D\big),\quad "
         r"L_D = -\mathbb{E}_\pi \log D - \mathbb{E}_{p_\theta}\log(1 - D) \\ "
         r"\widehat{W}_1 = \mathbb{E}_\pi f - \mathbb{E}_{p_\theta} f,\quad "
         r"f \text{ (roughly) 1-Lipschitz}\end{gathered}")
st.caption("A discriminator and a critic train on fresh samples of π and p_θ (θ and σ apply live). **Look for:** "
           "the JSD estimate climbs to ln 2 and its derivative in θ dies out — the discriminator saturates and "
           "gives p_θ nothing to follow — while the critic's estimate tracks |θ| with slope ≈ ±1. Add noise and "
           "the JSD estimate, and its gradient, come back.")
settings = {"theta": theta, "noise_std": noise_std, "clip_value": clip_value, "penalty_weight": penalty_weight,
            "learning_rate": learning_rate}
ui.live_view(
    "divergences.estimators",
    lambda: divergences.ParallelLinesEstimators(lipschitz_method=method, seed=int(seed), **settings),
    figures.estimator_view, restart_token=(method, int(seed)), update=lambda run: run.set_live(**settings),
    columns=3, step_help="One update of the discriminator and of the Lipschitz critic (p_θ stays where θ puts it).",
)

ui.url_notices()  # last: says which values of the link the controls could not take
