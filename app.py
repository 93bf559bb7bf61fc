"""GAN Playground's entry point and home page: what each page teaches, and where the models run.
No training code here."""

from pathlib import Path

import streamlit as st

from playground import ui
from playground.training import describe_device

ROOT = Path(__file__).parent
LECTURE = {  # page file -> (title, icon, what it shows); in lecture order
    "pages/1_Mode_collapse.py": (
        "Mode collapse", ":material/scatter_plot:",
        "A GAN on 8 / 25 Gaussians or a swiss roll collapses or hops between modes; unrolling, WGAN-GP and "
        "instance noise cure it. Coverage metrics and a mode-occupancy raster."),
    "pages/2_Vanishing_gradients.py": (
        "Vanishing gradients", ":material/trending_down:",
        "The saturating minimax loss vs the non-saturating one, the optimal discriminator D* = π/(π+p), and "
        "Arjovsky & Bottou's frozen-generator experiment."),
    "pages/3_Divergences_vs_theta.py": (
        "Divergences vs θ", ":material/stacked_line_chart:",
        "The parallel-lines example: KL = ∞, JSD = ln 2, W = |θ|, and how instance noise makes the curves smooth."),
    "pages/4_Mode_covering_vs_seeking.py": (
        "Mode covering vs seeking", ":material/target:",
        "One Gaussian fitted to a two-Gaussian mixture by forward KL, reverse KL and JSD: covering, seeking, and "
        "what JSD really does."),
    "pages/5_Earth_movers_distance.py": (
        "Earth mover's distance", ":material/landscape:",
        "Piles of dirt, the optimal transport plan, W₁ between point clouds and the Kantorovich–Rubinstein dual "
        "trained live."),
    "pages/6_WGAN_and_clipping.py": (
        "WGAN and clipping", ":material/crop_free:",
        "WGAN with weight clipping (slider for c) beside WGAN-GP: weights piling at ±c, exploding or vanishing "
        "critic gradients, and W tracking sample quality while JSD sits at ln 2."),
    "pages/7_Density_ratio_and_AVB.py": (
        "Density ratio and AVB", ":material/percent:",
        "A classifier estimates q₁/q₂ and a KL; adversarial variational Bayes against a Gaussian-encoder VAE."),
    "pages/8_Dirac_GAN.py": (
        "Dirac-GAN", ":material/cyclone:",
        "The Dirac-GAN: vector fields and trajectories of unregularised, WGAN, R1 and instance-noise games."),
    "pages/9_Compare_runs.py": (
        "Compare runs", ":material/compare:",
        "Two configurations side by side in lockstep, on the same data and seed, with one Play button."),
    "pages/10_Many_seeds.py": (
        "Many seeds", ":material/grid_view:",
        "Sixteen seeds of one configuration trained at once: how many modes does a loss keep, on average?"),
}


def url_path(page_file: str) -> str:
    """pages/1_Mode_collapse.py → Mode_collapse: the page's stable address."""
    return Path(page_file).stem.split("_", 1)[1]


def home() -> None:
    ui.page_header(
        "GAN Playground",
        "Small generative models trained **live** on toy 1-D and 2-D data, so that a lecture on GAN pathologies "
        "can be *seen*: vanishing gradients, mode collapse, mode covering vs mode seeking, divergences against θ, "
        "the earth mover's distance, weight clipping, instance noise, the density-ratio trick and AVB.",
        r"\min_G \max_D\; V(D, G) = \mathbb{E}_{x\sim\pi}[\log D(x)] + \mathbb{E}_{z\sim p_z}[\log(1 - D(G(z)))]",
    )
    st.info(f"Models run on: **{describe_device()}**. Every page works on the CPU.", icon=":material/memory:")
    st.subheader("The lecture, page by page")
    for page_file, (title, icon, description) in LECTURE.items():
        if (ROOT / page_file).exists():
            st.page_link(page_file, label=title, icon=icon)
            st.caption(description)
    st.subheader("For lecturers")
    st.markdown(
        "- Every page's settings live in its URL: copy the address bar to share the exact view.\n"
        "- Add `?lecture=1` to enlarge fonts for a projector, and `&hide=seed,device` to hide controls.\n"
        "- From a notebook: `from playground import training, divergences, transport, metrics, experiments`."
    )


st.set_page_config(page_title="GAN Playground", page_icon="🎛️", layout="wide")
navigation = st.navigation(
    [st.Page(home, title="Home", icon=":material/home:", default=True)]
    + [st.Page(page_file, title=title, icon=icon, url_path=url_path(page_file))
       for page_file, (title, icon, _) in LECTURE.items() if (ROOT / page_file).exists()]
)
navigation.run()
