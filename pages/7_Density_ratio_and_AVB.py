"""The density-ratio trick, then adversarial variational Bayes: a classifier's logit is a log density ratio."""

from dataclasses import replace

import streamlit as st

from playground import avb, density_ratio, ui
from playground.figures import density_ratio as figures

st.set_page_config(page_title="Density ratio and AVB · GAN Playground", page_icon="⚖️", layout="wide")
ui.page_header(
    "The density-ratio trick and adversarial variational Bayes",
    "A classifier that tells samples of q₁ from samples of q₂ learns, through its logit, the log of their "
    "density ratio. That is all a GAN's discriminator knows, and it is how AVB puts an encoder without a "
    "density into a variational autoencoder.",
    density_ratio.RATIO_TEX,
)
ratio_tab, avb_tab = st.tabs(["Density-ratio trick", "AVB"], key="dr_tab", bind="query-params")
BIND = {"bind": "query-params"}
RATES = [3e-4, 1e-3, 2e-3, 3e-3, 4e-3, 1e-2]

ui.accept_ids_in_link("dr_pair", {key: pair.label for key, pair in density_ratio.PAIRS.items()})
ui.accept_ids_in_link("avb_preset", {key: preset.label for key, preset in avb.PRESETS.items()})
if ratio_tab.open is not False:
    with ratio_tab:
        controls = st.columns([3, 1, 1, 1])
        pair_id = controls[0].selectbox("Distributions q₁ and q₂ ↻", list(density_ratio.PAIRS), key="dr_pair",
                                        format_func=lambda k: density_ratio.PAIRS[k].label, **BIND,
                                        help="Two distributions with known densities. Changing it starts a new run.")
        learning_rate = controls[1].select_slider("Learning rate", RATES, value=3e-3, key="dr_lr", **BIND,
                                                  format_func=lambda v: f"{v:g}", help="Adam's rate; applies live.")
        seed = int(controls[2].number_input("Seed ↻", 0, 9999, 0, key="dr_seed", **BIND,
                                            help="Initial weights and samples. Changing it starts a new run."))
        scale = controls[3].radio("Show", ["log-ratio", "ratio"], key="dr_scale", **BIND, horizontal=True,
                                  help="The logit s(x) against log q₁/q₂, or D/(1 − D) = eˢ against q₁/q₂ (1-D).")
        formulas = ui.side_by_side(2)  # stacked in lecture mode: side by side at 1.3× text they were cut off
        formulas[0].latex(density_ratio.LOSS_TEX)
        formulas[1].latex(density_ratio.KL_TEX)
        st.caption(f"**{density_ratio.PAIRS[pair_id].note}** {density_ratio.CAPTION}")
        ui.live_view(
            "density_ratio.classifier",
            lambda: density_ratio.DensityRatioRun(density_ratio.DensityRatioConfig(
                pair=pair_id, seed=seed, learning_rate=learning_rate)),
            lambda snapshot: figures.ratio_view(snapshot, ratio=scale == "ratio"),
            restart_token=(pair_id, seed),
            update=lambda run: run.reconfigure(replace(run.config, learning_rate=learning_rate)),
            step_help="One update of the classifier on fresh samples of q₁ and q₂.",
        )


def load_avb_preset() -> None:
    """A preset sets the live rates too (they stay adjustable afterwards)."""
    config = avb.PRESETS[st.session_state.avb_preset].config
    st.session_state.avb_lr = config.learning_rate
    st.session_state.avb_adversary_lr = config.adversary_learning_rate
    st.session_state.avb_adversary_steps = config.adversary_steps


if avb_tab.open is not False:
    with avb_tab:
        controls = st.columns([3, 1, 1, 1, 1])
        preset_id = controls[0].selectbox("Preset ↻", list(avb.PRESETS), key="avb_preset", **BIND,
                                          on_change=load_avb_preset, format_func=lambda k: avb.PRESETS[k].label,
                                          help="Mescheder, Nowozin & Geiger (2017), Fig. 4, with rates fast "
                                               "enough for a CPU. Changing it starts a new run.")
        preset = avb.PRESETS[preset_id]
        st.session_state.setdefault("avb_lr", preset.config.learning_rate)
        st.session_state.setdefault("avb_adversary_lr", preset.config.adversary_learning_rate)
        st.session_state.setdefault("avb_adversary_steps", preset.config.adversary_steps)
        learning_rate = controls[1].select_slider(
            "Encoder/decoder rate", RATES, key="avb_lr", **BIND, format_func=lambda v: f"{v:g}",
            help="Adam's rate for both models' encoders and decoders; applies live.")
        adversary_rate = controls[2].select_slider(
            "Adversary rate", RATES, key="avb_adversary_lr", **BIND, format_func=lambda v: f"{v:g}",
            help="Adam's rate for the adversaries T(x, z); applies live. T must keep up with the encoder.")
        adversary_steps = int(controls[3].number_input(
            "T steps per step", 1, 5, key="avb_adversary_steps", **BIND,
            help="Adversary updates per encoder/decoder update; applies live."))
        seed = int(controls[4].number_input("Seed ↻", 0, 9999, 0, key="avb_seed", **BIND,
                                            help="Initial weights and noise. Changing it starts a new run."))
        st.latex(avb.ELBO_TEX)
        formulas = ui.side_by_side(2)  # stacked in lecture mode: side by side at 1.3× text they were cut off
        formulas[0].latex(avb.VAE_TEX)
        formulas[1].latex(avb.AVB_TEX)
        st.latex(avb.AVB_ELBO_TEX)
        st.latex(avb.KNN_TEX)
        st.caption(f"**{preset.note}** {avb.CAPTION}")
        ui.live_view(
            "density_ratio.avb",
            lambda: avb.AvbComparison(replace(preset.config, seed=seed, learning_rate=learning_rate,
                                              adversary_learning_rate=adversary_rate,
                                              adversary_steps=adversary_steps)),
            figures.avb_view,
            restart_token=(preset_id, seed),
            update=lambda run: run.reconfigure(replace(run.config, learning_rate=learning_rate,
                                                      adversary_learning_rate=adversary_rate,
                                                      adversary_steps=adversary_steps)),
            step_help="One step of both models: their encoders and decoders climb the ELBO (AVB's through T), "
                      "then the adversaries T take their steps.",
        )

ui.url_notices()  # last: says which values of the link the controls could not take
