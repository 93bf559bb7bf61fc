"""GAN Playground's home page: what each page teaches, and where the models run. No training code here."""

from pathlib import Path

import streamlit as st

from playground import ui
from playground.training import describe_device

st.set_page_config(page_title="GAN Playground", page_icon="🎛️", layout="wide")
ui.page_header(
    "GAN Playground",
    "Small generative models trained **live** on toy 1-D and 2-D data, so that a lecture on GAN pathologies can "
    "be *seen*: vanishing gradients, mode collapse, mode covering vs mode seeking, divergences against θ, the "
    "earth mover's distance, weight clipping, instance noise, the density-ratio trick and AVB.",
    r"\min_G \max_D\; V(D, G) = \mathbb{E}_{x\sim\pi}[\log D(x)] + \mathbb{E}_{z\sim p_z}[\log(1 - D(G(z)))]",
)
st.info(f"Models run on: **{describe_device()}**. Every page works on the CPU.", icon="🖥️")

LECTURE = [  # (page file, what it shows)
    ("pages/1_Mode_collapse.py", "A GAN on 8 / 25 Gaussians or a swiss roll collapses or hops between modes; "
     "unrolling, WGAN-GP and instance noise cure it. Coverage metrics and a mode-occupancy raster."),
    ("pages/2_Vanishing_gradients.py", "The saturating minimax loss vs the non-saturating one, the optimal "
     "discriminator D* = π/(π+p), and Arjovsky & Bottou's frozen-generator experiment."),
    ("pages/3_Divergences_vs_theta.py", "The parallel-lines example: KL = ∞, JSD = ln 2, W = |θ|, and how instance "
     "noise makes the curves smooth."),
    ("pages/4_Mode_covering_vs_seeking.py", "One Gaussian fitted to a two-Gaussian mixture by forward KL, reverse KL "
     "and JSD: covering, seeking, and what JSD really does."),
    ("pages/5_Earth_movers_distance.py", "Piles of dirt, the optimal transport plan, W₁ between point clouds and "
     "the Kantorovich–Rubinstein dual trained live."),
    ("pages/6_WGAN_and_clipping.py", "WGAN with weight clipping (slider for c) beside WGAN-GP: weights piling at "
     "±c, exploding or vanishing critic gradients, and W tracking sample quality while JSD sits at ln 2."),
    ("pages/7_Density_ratio_and_AVB.py", "A classifier estimates q₁/q₂ and a KL; adversarial variational Bayes "
     "against a Gaussian-encoder VAE."),
    ("pages/8_Dirac_GAN.py", "The Dirac-GAN: vector fields and trajectories of unregularised, WGAN, R1 and "
     "instance-noise games."),
    ("pages/9_Compare_runs.py", "Two configurations side by side in lockstep, and many seeds at once."),
]

st.subheader("The lecture, page by page")
for path, description in LECTURE:
    label = path.split("_", 1)[1].removesuffix(".py").replace("_", " ")
    if (Path(__file__).parent / path).exists():
        st.page_link(path, label=label, icon="▶️")
    else:
        st.markdown(f"**{label}** (not built yet)")
    st.caption(description)

st.subheader("For lecturers")
st.markdown(
    "- Every page's settings live in its URL: copy the address bar to share the exact view.\n"
    "- Add `?lecture=1` to enlarge fonts for a projector, and `&hide=seed,device` to hide controls.\n"
    "- From a notebook: `from playground import training, divergences, transport, metrics, experiments`."
)
