"""Earth mover's distance: moving piles of dirt, W₁ between point clouds, and the Kantorovich–Rubinstein critic."""

import streamlit as st

from playground import transport, ui
from playground.figures import transport as figures

st.set_page_config(page_title="Earth mover's distance · GAN Playground", page_icon="🚜", layout="wide")
ui.page_header(
    "Earth mover's distance",
    "How much work turns one pile of dirt into another? The cheapest transport plan γ says exactly (POT's network "
    "simplex). Its dual is a 1-Lipschitz critic f — the network a WGAN trains.",
    r"W(P, Q) = \min_{\gamma \ge 0,\; \sum_j \gamma_{ij} = P_i,\; \sum_i \gamma_{ij} = Q_j}\; \sum_{i,j} \gamma_{ij}"
    r"\,|i - j| \qquad W_1(\pi, p) = \sup_{\|f\|_L \le 1} \mathbb{E}_{\pi} f - \mathbb{E}_{p} f",
)
here = {"location": st.container(), "report_unknown": False}  # sections share the address: none says unknown
section = ui.controls("transport", transport.EmdSection, **here).section


def piles_of_dirt() -> None:
    settings = ui.controls("transport.piles", transport.PileSettings, groups=transport.PILE_GROUPS, lazy_groups=False,
                           columns=transport.MAX_PILES, **here)
    p, q = settings.histograms()
    if problem := transport.piles_problem(p, q):
        st.warning(problem)
        return
    distance, plan = transport.emd(p, q)
    moves = transport.plan_moves(plan)
    st.markdown(figures.cost_breakdown(moves))
    left, right = ui.side_by_side(2)  # stacked in lecture mode
    with left:
        ui.chart(figures.dirt_moves_figure(p, q, moves, distance), key="emd_moves_chart")
    with right:
        ui.chart(figures.plan_heatmap(plan, distance), key="emd_plan_chart")
    st.caption("**Look for:** the plan's rows add up to P and its columns to Q; only dirt off the diagonal travels, "
               "and each unit pays its distance. The lecture's piles give W = 5. W is not normalised: double every "
               "pile and W doubles.")


def point_clouds() -> None:
    settings = ui.controls("transport.clouds", transport.CloudSettings, lazy_groups=False, columns=4, groups={
        "Two point clouds": ("real", "fake", "count", "seed"),
        "On the line": ("line_real", "line_fake", "line_count")}, **here)
    st.subheader("Two point clouds: the optimal one-to-one matching")
    real, fake = transport.sample_pair(2, settings.real, settings.fake, settings.count, settings.seed)
    permutation = transport.optimal_matching(real, fake)
    ui.chart(figures.matching_figure(real, fake, permutation, transport.wasserstein(real, fake)),
             key="emd_matching_chart")
    st.caption(r"$W_1 = \frac{1}{n}\sum_i \lVert x_i - y_{\sigma(i)} \rVert$ for the best permutation σ: "
               "the mean length of the grey segments. "
               "**Look for:** no two segments cross (crossing pairs could swap partners and save length).")

    st.subheader("On the line: W₁ is the area between the CDFs")
    st.latex(r"W_1(\pi, p) = \int_{-\infty}^{\infty} \left| F(t) - G(t) \right| dt")
    real, fake = transport.sample_pair(1, settings.line_real, settings.line_fake, settings.line_count, settings.seed)
    area = transport.wasserstein_1d_cdf(real, fake)
    left, right = st.columns(2)
    left.metric("∫ |F − G| dt", f"{area:.4f}")
    right.metric("W₁ by optimal transport (POT)", f"{transport.wasserstein(real, fake):.4f}")
    ui.chart(figures.cdf_figure(*transport.empirical_cdfs(real, fake), area), key="emd_cdf_chart")


def kantorovich_critic() -> None:
    st.latex(r"\widehat{W}_1 = \mathbb{E}_{\pi} f - \mathbb{E}_{p} f \;\le\; K \cdot W_1(\pi, p) \quad"
             r"\text{for a } K\text{-Lipschitz } f, \qquad K \approx \max_x \|\nabla_x f(x)\|")
    settings = ui.controls("transport.critic", transport.CriticSettings, columns=4, **here)
    st.caption(transport.CRITIC_CAPTION)
    ui.live_view("transport.kantorovich", transport.KantorovichCritic.from_settings, figures.kantorovich_figures,
                 settings, columns=2, step_help="One update of the critic f on the two fixed samples.")


# Only the open tab's section runs: a hidden live critic pauses itself once nobody watches it.
{"piles": piles_of_dirt, "clouds": point_clouds, "critic": kantorovich_critic}[section]()
