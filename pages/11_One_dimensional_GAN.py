"""A 1-D GAN that learns, drawn as Goodfellow et al. (2014), Fig. 1: the densities meet and D flattens to ½."""

import streamlit as st

from playground import gan1d, ui
from playground.figures import gan1d as figures
from playground.objectives import OBJECTIVES

st.set_page_config(page_title="1-D GAN · GAN Playground", page_icon="📈", layout="wide")
ui.page_header(
    "1-D GAN",
    "The generator G maps noise z (the lower line) to points x (the upper line); its density (green) chases the "
    "data's (black dotted) while the discriminator D (blue dashed) tells them apart. At the equilibrium the "
    "densities meet and D = ½ everywhere (Goodfellow et al. 2014, Fig. 1).",
    r"D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)},\qquad "
    r"p_g = p_\text{data} \Rightarrow D^* = \tfrac12",
)
settings = ui.controls("gan1d", gan1d.Gan1dSettings, gan1d.PRESETS, "gaussian", groups={
    "Data and training": ("data", "data_mean", "data_std", "objective", "critic_steps", "learning_rate",
                          "clip_value", "gp_weight", "instance_noise"),
    "Model": ("latent_distribution", "hidden_units", "activation", "batch_size", "seed")})
objective = OBJECTIVES[settings.objective]
st.latex(objective.tex)
st.caption(
    f"**{objective.label}**, z ~ {gan1d.LATENTS[settings.latent_distribution]}, k = {settings.critic_steps}. "
    "**Look for:** the arrows z → G(z) bunch together where G puts much mass; "
    + ("D rises above ½ where the data outweighs G and falls below it where G overshoots, then flattens to ½."
       if objective.probabilistic else
       "the critic is a slope, not a probability: it rises towards the data, and G's points climb it.")
)
ui.live_view("gan1d.live", gan1d.Gan1dRun.from_settings, figures.view, settings, columns=1, main_height="viewport",
             step_help="k updates of D, then one update of G (Algorithm 1 of Goodfellow et al. 2014).")

st.subheader("Fig. 1 of Goodfellow et al. (2014), step by step")
protocol = gan1d.Protocol()
st.caption(
    f"A fresh run with these settings{gan1d.protocol_note(settings)}: "
    f"(a) after {protocol.approach_steps} ordinary steps, (b) then {protocol.critic_steps} updates of D with G "
    f"frozen, (c) then {protocol.generator_steps} updates of G with D frozen, (d) then "
    f"{protocol.equilibrium_steps:,} ordinary steps."
)
panels = ui.experiment("gan1d.fig1", gan1d.goodfellow_protocol, gan1d.with_protocol_defaults(settings),
                       idle="Press **Run the four panels** to train them.", label="Run the four panels")
if panels is not None:
    ui.chart(figures.four_panels(panels), key="gan1d_fig1_chart")
    for panel, snapshot in panels.items():
        st.markdown(f"{gan1d.PANELS[panel]} {figures.summary(snapshot)}")
