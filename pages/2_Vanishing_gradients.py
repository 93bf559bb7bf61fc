"""Vanishing gradients: the saturating loss, the optimal discriminator, and Arjovsky & Bottou's frozen generator."""

import numpy as np
import streamlit as st

from playground import experiments, ui
from playground import optimal_discriminator as od
from playground.figures import vanishing as figures
from playground.figures.training import samples_and_critic
from playground.objectives import MINIMAX_TEX

st.set_page_config(page_title="Vanishing gradients · GAN Playground", page_icon="📉", layout="wide")
ui.page_header("Vanishing gradients",
               "The better the discriminator, the less the minimax generator loss tells the generator: once D rejects "
               "the fakes confidently, log(1 − D) is flat. Three views of why, and of the non-saturating cure.",
               MINIMAX_TEX)

st.header("1 · Saturation, in one picture")
st.latex(experiments.SATURATION_TEX)
ui.chart(figures.saturation(experiments.saturation_curves()), key="vg_saturation_chart")
st.caption("**Look for:** where the generator is poor, D(G(z)) → 0: the minimax slope (red) goes to 0, the "
           "non-saturating slope (green) to −1. Same fixed point, opposite strength where training starts.")

st.header("2 · The optimal discriminator")
st.latex(od.OPTIMAL_DISCRIMINATOR_TEX)
pair = ui.controls("vanishing", od.Pair, od.PRESETS, "overlapping", location=st.container(), columns=5,
                   preset_url="vg_preset", report_unknown=False,  # two sections: neither knows the other's keys
                   groups={"": ("family", "theta", "real_width", "fake_width", "noise")})
left, right = ui.side_by_side([3, 2])  # stacked in lecture mode: the notes column is too narrow for enlarged text
with left:
    ui.live_view("vg_discriminator", od.LiveDiscriminator, figures.discriminator_view, pair, columns=1,
                 step_help="One update of the discriminator D on fresh samples of π and $p_\\theta$ "
                           "($p_\\theta$ stays fixed).")
with right:
    thetas = np.linspace(-5, 5, 101)
    values = st.cache_data(od.value_curve, max_entries=64, show_spinner=False)(thetas, pair)
    ui.chart(figures.value_curve(thetas, values, pair.theta, od.value_at_optimum(pair)), key="vg_value_chart")
    for column, (label, value, help_text) in zip(st.columns(3), figures.pair_metrics(pair), strict=True):
        column.metric(label, value, help=help_text)
st.caption("**Look for:** with the *separated* preset D* is 1 on π and 0 on $p_\\theta$, flat where the fakes "
           "are ($E_p$ |∂D*/∂x| ≈ 0), and V sits at its ceiling 0 for every θ beyond the overlap: moving θ changes "
           "nothing. "
           "Raise the instance noise σ: the supports overlap, D* gets a slope at the fakes and V a slope in θ.")

st.header("3 · Arjovsky & Bottou: train D against a frozen generator")
st.latex(experiments.FROZEN_GENERATOR_TEX)
frozen = ui.controls("vanishing_frozen", experiments.FrozenGeneratorSettings, location=st.container(), columns=4,
                     report_unknown=False)
snapshot = ui.experiment("vg_frozen", figures.frozen_generator_progress, frozen,
                         idle="Press **Run**: G is frozen, a fresh D trains for the chosen number of steps "
                         "(a few seconds).")
if snapshot is not None:
    if snapshot["diverged"]:
        st.warning(snapshot["diverged"])
    left, right = ui.side_by_side([3, 2])
    with left:
        ui.chart(figures.frozen_generator(snapshot["records"], snapshot["critic_steps"]), key="vg_frozen_chart")
    with right:
        ui.chart(samples_and_critic(snapshot, title=f"Frozen G over D(x) after {snapshot['step']:,} D steps"),
                 key="vg_frozen_samples")
    st.markdown(experiments.frozen_generator_summary(snapshot["records"]))
st.caption("**Look for:** Arjovsky & Bottou (2017) report, for DCGANs on images, D's accuracy going to 1 (Fig. 1), "
           "the minimax gradient norm (red) then falling by orders of magnitude (Fig. 2; mind the log axis) and the "
           "−log D one (green) growing (Fig. 3). The premise is disjoint supports. In 2-D it can fail: on the "
           "25 Gaussians the centre mode sits where an untrained G puts its points, and after pretraining G's points "
           "reach the data; there D* need not saturate, and the minimax gradient need not vanish. The line under the "
           "charts says what this run did.")

