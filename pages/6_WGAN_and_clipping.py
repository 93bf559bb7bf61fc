"""WGAN and weight clipping: the clipping constant c decides whether the critic is a useful W₁ estimate."""

import streamlit as st

from playground import ui, wgan
from playground.figures import wgan as figures
from playground.objectives import WGAN_TEX

st.set_page_config(page_title="WGAN and clipping · GAN Playground", page_icon="📦", layout="wide")
ui.page_header(
    "WGAN and clipping",
    "Three GANs train in lockstep on the same data and seed: a WGAN whose critic is clipped to [−c, c], a WGAN-GP, "
    "and a classic GAN. Move **c** while they play.",
    WGAN_TEX,
)
settings = ui.controls("wgan", wgan.WganSettings)
st.caption(
    "Look for: with a small c the clipped critic's estimate is tiny and flat (its slope is capped) and its weights "
    "pile up at ±c; with a large c the box barely constrains the critic (its Lipschitz constant need not be near "
    "1). The exact W₁ of every run falls as the samples "
    "improve. The classic discriminator's JSD estimate ½(log 4 − $L_D$) (right axis; its recent value under the "
    "chart's title) can never exceed ln 2, and reaches it only when the discriminator separates data from samples "
    "perfectly. "
    "With λ = 0.1 (Gulrajani et al.'s toy script) the penalty is soft: the WGAN-GP critic's slope can settle well "
    "above 1 (near 1 + W₁/(2λ)), so its estimate can run several times above the exact W₁; λ = 10 (the paper's) "
    "holds the slope near 1 (about 1 + W₁/20), so the estimate stays near W₁ or below. "
    "The classic GAN's samples are not drawn: its JSD estimate and exact W₁ are in the last chart."
)

ui.live_view("wgan.lockstep", wgan.WganComparison.from_settings, figures.comparison_view, settings, columns=2,
             main_height="viewport")

st.subheader("Why clipping fails in a deep critic")
st.latex(r"\left\lVert \frac{\partial L}{\partial h_\ell} \right\rVert \;\text{ for the activations } h_\ell "
         r"\text{ of a critic with 12 hidden ReLU layers, clipped at } c \in \{0.1, 0.01, 0.001\} "
         r"\text{ vs. a gradient penalty}")
st.caption("Gulrajani et al. (2017), Fig. 1b: the norm of the critic loss's gradient with respect to each layer's "
           "activations, from the score (left) back to the first hidden layer. Under clipping it grows or decays "
           "exponentially going back (mind the powers of ten); with a gradient penalty it changes far less. "
           "The paper trains whole WGANs on the swiss roll; here each critic trains 20 steps against a fixed, "
           "untrained generator (RMSprop at lr 1e-3 for clipping, which pushes many weights to ±c as a long clipped "
           "training does; Adam for the penalty, λ = 10).")
profile = ui.experiment("wg_profile", wgan.page_gradient_profile, settings, label="Measure per-layer gradient norms",
                        idle="Press **Measure per-layer gradient norms** to train the four deep critics.")
if profile is not None:
    ui.chart(figures.layer_gradient_profile(profile), key="wg_profile_chart")
    st.caption(wgan.profile_summary(profile))
