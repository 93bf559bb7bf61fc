"""Page furniture: the navigation (PAGES, in lecture order), the page header, lecture-mode layout."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from playground.ui.charts import ROOT, copy_link_button, preload
from playground.ui.url import lecture_mode, navigation_params

PAGES = {  # page file -> (title, icon, what it shows), in lecture order; drawn as the sidebar navigation
    "pages/1_Mode_collapse.py": (
        "Mode collapse", ":material/scatter_plot:",
        "A GAN on 8 / 25 Gaussians or a swiss roll collapses or hops between modes; unrolling and WGAN-GP "
        "spread it over the modes, instance noise revives a saturated minimax game. Coverage metrics and a "
        "mode-occupancy raster."),
    "pages/2_Vanishing_gradients.py": (
        "Vanishing gradients", ":material/trending_down:",
        "The saturating minimax loss vs the non-saturating one, the optimal discriminator D* = π/(π+p), and "
        "Arjovsky & Bottou's frozen-generator experiment."),
    "pages/3_Divergences_vs_theta.py": (
        "Divergences vs θ", ":material/stacked_line_chart:",
        "The parallel-lines example: for θ ≠ 0, KL = ∞, JSD = ln 2 and W₁ = |θ|; instance noise makes the curves "
        "smooth."),
    "pages/4_Mode_covering_vs_seeking.py": (
        "Mode covering vs seeking", ":material/target:",
        "One Gaussian fitted to a two-Gaussian mixture by forward KL, reverse KL and JSD: which minima cover both "
        "modes and which seek one."),
    "pages/5_Earth_movers_distance.py": (
        "Earth mover's distance", ":material/landscape:",
        "Piles of dirt, the optimal transport plan, W₁ between point clouds and the Kantorovich–Rubinstein dual "
        "trained live."),
    "pages/6_WGAN_and_clipping.py": (
        "WGAN and clipping", ":material/crop_free:",
        "WGAN with weight clipping (slider for c) beside WGAN-GP: weights piling at ±c, exploding or vanishing "
        "critic gradients, and the exact W₁ of the samples beside the critics' estimates and a JSD estimate."),
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
        "Many seeds (4 to 32) of one configuration trained at once: how many modes does a loss keep, on average?"),
    "pages/11_One_dimensional_GAN.py": (
        "1-D GAN", ":material/show_chart:",
        "A 1-D GAN learns a Gaussian or a two-Gaussian mixture live, drawn as Goodfellow et al.'s Fig. 1: densities, "
        "D(x) and the mapping z → G(z); the figure's four panels (a)–(d) by running its protocol."),
}


# Lecture mode's layout (lecture.css): larger text, a wider sidebar, less padding around the main column.
LECTURE_CSS = (Path(__file__).resolve().parent / "lecture.css").read_text(encoding="utf-8")
PAGE_CSS = (Path(__file__).resolve().parent / "page.css").read_text(encoding="utf-8")  # every page: short screens



def sidebar_navigation() -> None:
    """The lecture's pages, with titles and icons, at the top of the sidebar (Streamlit's own list, which
    would name the home page after its file, is switched off in .streamlit/config.toml)."""
    with st.sidebar:
        preload()  # first on the page: sidebar before main, React renders it first
        try:
            st.page_link("app.py", label="Home", icon=":material/home:", query_params=navigation_params())
        except StreamlitPageNotFoundError:  # a page run as its own entry point (AppTest): no app to navigate
            return
        for page_file, (title, icon, _) in PAGES.items():
            if (ROOT / page_file).exists():
                st.page_link(page_file, label=title, icon=icon, query_params=navigation_params())
        st.divider()


_PAGE_RUN = threading.local()  # per script thread: where this run's page keeps its main live view


def page_header(title: str, intro: str, formula: str | None = None) -> None:
    """The sidebar navigation, then the title, a one- or two-sentence intro and the slide's formula (in lecture
    mode both folded into one expander), and a place for the page's main live view (`main_slot`)."""
    sidebar_navigation()
    lecture = lecture_mode()
    st.html(f"<style>{PAGE_CSS}{LECTURE_CSS if lecture else ''}</style>")
    st.title(title)
    if lecture:  # the lecturer says it: intro and formula fold into one row, beside the link, and the charts move up
        with st.container(horizontal=True, vertical_alignment="center"):
            with st.expander("What this page shows"):
                st.markdown(intro)
                if formula:
                    st.latex(formula)
            copy_link_button(width="content")
    else:
        st.markdown(intro)
        if formula:
            st.latex(formula)
        copy_link_button()
    _PAGE_RUN.main_slot = st.container()  # the page's main live view, when it asks for it (main_slot())


def main_slot() -> Any:
    """The container under this page's header for its main live view, once per run (None once taken, or on a page
    without page_header): the chart comes before the page's own formulas and notes, in the first screen."""
    slot = getattr(_PAGE_RUN, "main_slot", None)
    _PAGE_RUN.main_slot = None
    return slot


def notes(label: str) -> Any:
    """Where a section's formulas and notes go: in lecture mode an expander named `label` (the lecturer says them,
    and the section's charts move up into the first screen), otherwise the page itself."""
    return st.expander(label) if lecture_mode() else st.container()


def side_by_side(spec: int | Sequence[float] = 2) -> Sequence[Any]:
    """`st.columns(spec)`, or as many containers one under the other in lecture mode: at 1.3× text two columns
    on a projector squeeze a chart to a sliver beside its own legend."""
    count = spec if isinstance(spec, int) else len(spec)
    return [st.container() for _ in range(count)] if lecture_mode() else st.columns(spec)
