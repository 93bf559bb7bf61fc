"""The density-ratio trick, then adversarial variational Bayes: a classifier's logit is a log density ratio."""

import streamlit as st

from playground import avb, density_ratio, ui
from playground.figures import density_ratio as figures

st.set_page_config(page_title="Density ratio and AVB · GAN Playground", page_icon="⚖️", layout="wide")
ui.page_header(
    "Density ratio and AVB",
    "A classifier that tells samples of q₁ from samples of q₂ learns, through its logit, the log of their "
    "density ratio. That is all a GAN's discriminator knows, and it is how adversarial variational Bayes (AVB) "
    "puts an encoder without a density into a variational autoencoder.",
    density_ratio.RATIO_TEX,
)
HERE = {"report_unknown": False}  # the sections share the address: none says a key is unknown
section = ui.controls("density_ratio.section", density_ratio.PageSection, location=st.container(), **HERE).section


def density_ratio_trick() -> None:
    ratio = ui.controls("density_ratio", density_ratio.RatioSettings, location=st.container(), columns=4, **HERE)
    with ui.notes("The classifier's loss, the KL estimate, what to look for"):
        formulas = ui.side_by_side(2)  # stacked in lecture mode: two do not fit side by side at 1.3× text
        formulas[0].latex(density_ratio.LOSS_TEX)
        formulas[1].latex(density_ratio.KL_TEX)
        st.caption(f"**{density_ratio.PAIRS[ratio.pair].note}** {density_ratio.CAPTION}")
    ui.live_view(
        "density_ratio.classifier", density_ratio.DensityRatioRun.from_settings,
        lambda snapshot: figures.ratio_view(snapshot, ratio=ratio.scale == "ratio"), ratio,
        step_help="One update of the classifier on fresh samples of q₁ and q₂.",
    )


def adversarial_variational_bayes() -> None:
    settings = ui.controls("avb", avb.AvbSettings, avb.PRESETS, groups={
        "": ("learning_rate", "adversary_learning_rate", "adversary_steps", "seed")},
        location=st.container(), columns=4, preset_url="avb_preset", **HERE)
    with ui.notes("The ELBO of the VAE and of AVB, the KL estimate, what to look for"):
        st.latex(avb.ELBO_TEX)
        formulas = ui.side_by_side(2)  # stacked in lecture mode: two do not fit side by side at 1.3× text
        formulas[0].latex(avb.VAE_TEX)
        formulas[1].latex(avb.AVB_TEX)
        st.latex(avb.AVB_ELBO_TEX)
        st.latex(avb.KNN_TEX)
        st.caption(avb.CAPTION)
    ui.live_view(
        "density_ratio.avb", avb.AvbComparison.from_settings, figures.avb_view, settings,
        step_help="One step of both models: their encoders and decoders climb the ELBO (AVB's through T), then "
                  "the adversaries T take their steps.",
    )


# Only the open tab's section runs: a hidden live run pauses itself once nobody watches it.
{"ratio": density_ratio_trick, "avb": adversarial_variational_bayes}[section]()
