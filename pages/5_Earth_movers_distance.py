"""Earth mover's distance: moving piles of dirt, W₁ between point clouds, and the Kantorovich–Rubinstein critic."""

import streamlit as st

from playground import lipschitz, transport, ui
from playground.figures import transport as figures

st.set_page_config(page_title="Earth mover's distance · GAN Playground", page_icon="🚜", layout="wide")
ui.page_header(
    "Earth mover's distance",
    "How much work turns one pile of dirt into another? The cheapest transport plan γ says exactly (POT's network "
    "simplex). Its dual is a 1-Lipschitz critic f — the network a WGAN trains.",
    r"W(P, Q) = \min_{\gamma \ge 0,\; \sum_j \gamma_{ij} = P_i,\; \sum_i \gamma_{ij} = Q_j}\; \sum_{i,j} \gamma_{ij}"
    r"\,|i - j| \qquad W_1(\pi, p) = \sup_{\|f\|_L \le 1} \mathbb{E}_{\pi} f - \mathbb{E}_{p} f",
)
SAMPLE_COUNTS = [10, 25, 50, 100, 200, 500, 1000]


def choose(label: str, registry: dict, default: int, key: str, help: str) -> str:
    """A distribution from a registry, shown by its label, bound to the URL."""
    return st.selectbox(label, list(registry), index=default, format_func=lambda k: registry[k].label, key=key,
                        bind="query-params", help=help)


def piles_of_dirt() -> None:
    piles = st.number_input("Number of piles", 1, 10, len(transport.LECTURE_P), key="emd_piles",
                            bind="query-params", help="Positions 1, 2, …; one unit from i to j costs |i − j|.")
    histograms = {}
    for name, lecture in (("P", transport.LECTURE_P), ("Q", transport.LECTURE_Q)):
        histograms[name] = [
            column.number_input(f"{name} at {i + 1}", value=float(lecture[i]) if i < len(lecture) else 0.0,
                                step=1.0, format="%g", key=f"emd_{name.lower()}{i + 1}", bind="query-params",
                                help=f"Dirt in {name}'s pile {i + 1} (lecture: P = 3, 2, 1, 4; Q = 1, 2, 4, 3).")
            for i, column in enumerate(st.columns(piles))
        ]
    try:
        distance, plan = transport.emd(histograms["P"], histograms["Q"])
    except ValueError as error:
        st.warning(str(error))
        return
    if plan.sum() == 0:
        st.warning("Both histograms are empty: put some dirt in P and the same amount in Q.")
        return
    moves = transport.plan_moves(plan)
    st.markdown(figures.cost_breakdown(moves))
    left, right = ui.side_by_side(2)  # stacked in lecture mode
    with left:
        ui.chart(figures.dirt_moves_figure(histograms["P"], histograms["Q"], moves, distance), key="emd_moves_chart")
    with right:
        ui.chart(figures.plan_heatmap(plan, distance), key="emd_plan_chart")
    st.caption("**Look for:** the plan's rows add up to P and its columns to Q; only dirt off the diagonal travels, "
               "and each unit pays its distance. The lecture's piles give W = 5. W is not normalised: double every "
               "pile and W doubles.")


def point_clouds() -> None:
    st.subheader("Two point clouds: the optimal one-to-one matching")
    columns = st.columns(4)
    with columns[0]:
        real = choose("π", transport.DISTRIBUTIONS_2D, 0, "emd_cloud_real", "The blue cloud.")
    with columns[1]:
        fake = choose("p", transport.DISTRIBUTIONS_2D, 2, "emd_cloud_fake", "The orange cloud.")
    count = columns[2].select_slider("Points in each cloud", SAMPLE_COUNTS, value=100, key="emd_cloud_n",
                                     bind="query-params", help="Equal weights 1/n: the optimal plan is a permutation.")
    seed = columns[3].number_input("Seed", 0, 2**31 - 1, 0, key="emd_cloud_seed", bind="query-params",
                                   help="Which samples are drawn (both sections).")
    real_points, fake_points = transport.sample_pair(2, real, fake, count, int(seed))
    distance = transport.wasserstein(real_points, fake_points)
    permutation = transport.optimal_matching(real_points, fake_points)
    ui.chart(figures.matching_figure(real_points, fake_points, permutation, distance), key="emd_matching_chart")
    st.caption(r"$W_1 = \frac{1}{n}\sum_i \lVert x_i - y_{\sigma(i)} \rVert$ for the best permutation σ: "
               "the mean length of the grey segments. "
               "**Look for:** no two segments cross (crossing pairs could swap partners and save length).")

    st.subheader("On the line: W₁ is the area between the CDFs")
    st.latex(r"W_1(\pi, p) = \int_{-\infty}^{\infty} \left| F(t) - G(t) \right| dt")
    columns = st.columns(3)
    with columns[0]:
        real = choose("π (1-D)", transport.DISTRIBUTIONS_1D, 0, "emd_line_real", "F is its empirical CDF.")
    with columns[1]:
        fake = choose("p (1-D)", transport.DISTRIBUTIONS_1D, 3, "emd_line_fake", "G is its empirical CDF.")
    count = columns[2].select_slider("Samples of each", SAMPLE_COUNTS, value=200, key="emd_line_n",
                                     bind="query-params", help="Drawn with the seed above.")
    real_line, fake_line = transport.sample_pair(1, real, fake, count, int(seed))
    area = transport.wasserstein_1d_cdf(real_line, fake_line)
    left, right = st.columns(2)
    left.metric("∫ |F − G| dt", f"{area:.4f}")
    right.metric("W₁ by optimal transport (POT)", f"{transport.wasserstein(real_line, fake_line):.4f}")
    ui.chart(figures.cdf_figure(*transport.empirical_cdfs(real_line, fake_line), area), key="emd_cdf_chart")


def kantorovich_critic() -> None:
    st.latex(r"\widehat{W}_1 = \mathbb{E}_{\pi} f - \mathbb{E}_{p} f \;\le\; K \cdot W_1(\pi, p) \quad"
             r"\text{for a } K\text{-Lipschitz } f, \qquad K \approx \max_x \|\nabla_x f(x)\|")
    columns = st.columns(4)
    dimension = columns[0].radio("Dimension ↻", [2, 1], format_func=lambda d: f"{d}-D", horizontal=True,
                                 key="emd_kr_dimension", bind="query-params", help="Starts a new critic.")
    registry, default_real, default_fake = {2: (transport.DISTRIBUTIONS_2D, 0, 1),
                                            1: (transport.DISTRIBUTIONS_1D, 1, 0)}[dimension]
    with columns[1]:
        real = choose("π ↻", registry, default_real, f"emd_kr_real_{dimension}d", "Where f should be high.")
    with columns[2]:
        fake = choose("p ↻", registry, default_fake, f"emd_kr_fake_{dimension}d", "Where f should be low.")
    method = columns[3].radio("Lipschitz constraint ↻", list(lipschitz.LIPSCHITZ_METHODS),
                              format_func=lipschitz.LIPSCHITZ_METHODS.get, key="emd_kr_method", bind="query-params",
                              help="How f is kept (roughly) Lipschitz. Changing it starts a new critic.")
    columns = st.columns(4)
    clip_value = columns[0].select_slider(
        "Clipping constant c", [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0], value=0.01,
        key="emd_kr_c", bind="query-params", disabled=method != "clip", format_func=lambda v: f"{v:g}",
        help="Every weight and bias of f clamped into [−c, c] after each step (live).")
    penalty_weight = columns[1].select_slider(
        "Gradient penalty λ", [0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0], value=30.0, key="emd_kr_lambda",
        bind="query-params", disabled=method != "gradient_penalty", format_func=lambda v: f"{v:g}",
        help="Weight of E(‖∇f(x̂)‖ − 1)² at points x̂ between samples of π and p (live).")
    learning_rate = columns[2].select_slider("Learning rate", [3e-4, 1e-3, 3e-3, 1e-2], value=3e-3, key="emd_kr_lr",
                                             bind="query-params", format_func=lambda v: f"{v:g}",
                                             help="Adam's step size (live).")
    seed = columns[3].number_input("Seed ↻", 0, 2**31 - 1, 0, key="emd_kr_seed", bind="query-params",
                                   help="Initial weights and samples. Changing it starts a new critic.")
    config = transport.CriticConfig(dimension=dimension, real=real, fake=fake, lipschitz=method,
                                    clip_value=clip_value, penalty_weight=penalty_weight,
                                    learning_rate=learning_rate, seed=int(seed))
    st.caption(
        "**Look for:** with the gradient penalty, E_π f − E_p f climbs to the exact W₁ with K ≈ 1 (a little above: a "
        "soft penalty settles at ‖∇f‖ ≈ 1 + W/2λ), and f ramps from p up to π. With clipping and a small c the "
        "estimate is tiny — K shrinks like c³ in this 3-layer critic — so it gives W₁ only up to an unknown scale; "
        "estimate / K recovers the order of magnitude. With c = 1, K explodes. In 1-D, f follows an optimal "
        "potential f* of slope ±1 (f*′ = sign(F_p − F_π)). Ring against 8 Gaussians moves dirt only a little: "
        "there the penalty dominates at large λ; try λ = 1."
    )
    ui.live_view("transport.kantorovich", lambda: transport.KantorovichCritic(config), figures.kantorovich_figures,
                 restart_token=(dimension, real, fake, method, int(seed)), update=lambda run: run.apply(config),
                 columns=2, restart_message="Data or constraint changed: started a new critic.",
                 step_help="One update of the critic f on the two fixed samples.")


dirt, clouds, dual = st.tabs(["Piles of dirt", "Point clouds", "Kantorovich–Rubinstein critic"], key="emd_section",
                             bind="query-params")
for tab, section in ((dirt, piles_of_dirt), (clouds, point_clouds), (dual, kantorovich_critic)):
    if tab.open:  # only the open tab runs; a hidden live critic pauses itself once nobody watches it
        with tab:
            section()

ui.url_notices()  # last: says which values of the link the controls could not take
