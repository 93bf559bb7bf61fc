"""Figures for the earth mover's distance page: transport plans, matchings, CDFs and the Kantorovich critic.

Numpy in, plotly figure out; no torch, no streamlit.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from playground.figures import (
    ACCENT_COLOR,
    CRITIC_COLORSCALE,
    FAKE_COLOR,
    MUTED_COLOR,
    REAL_COLOR,
    base_layout,
    bottom_legend,
)

PLAN_COLORSCALE = "Blues"
MOVE_COLOR = "#d62728"    # dirt that travels (cost > 0)
STAY_COLOR = MUTED_COLOR  # dirt that stays in place (cost 0)


def _float32(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def _mass_label(value: float) -> str:
    return f"{value:.3g}"


# ----------------------------------------------------------------------------------------------------
# Discrete
# ----------------------------------------------------------------------------------------------------


def plan_heatmap(plan: np.ndarray, total_cost: float) -> go.Figure:
    """The optimal plan γ as a matrix: row i = P's pile i, column j = Q's pile j, γᵢⱼ units moved i → j."""
    plan = _float32(plan)
    labels = [str(index + 1) for index in range(max(plan.shape))]
    figure = go.Figure(
        go.Heatmap(
            z=plan,
            x=labels[: plan.shape[1]],
            y=labels[: plan.shape[0]],
            colorscale=PLAN_COLORSCALE,
            zmin=0.0,
            text=[[_mass_label(value) if value > 0 else "" for value in row] for row in plan.tolist()],
            texttemplate="%{text}",
            textfont={"size": 18},
            hovertemplate="from P pile %{y} to Q pile %{x}: %{z:.4g}<extra></extra>",
            colorbar={"title": {"text": "γᵢⱼ", "side": "right"}},
        )
    )
    figure.update_xaxes(title="to Q pile j", type="category")
    figure.update_yaxes(title="from P pile i", type="category", autorange="reversed")
    return base_layout(figure, title=f"Optimal plan γ · W = {total_cost:.4g}")


def dirt_moves_figure(a, b, moves: list[tuple[int, int, float, float]], total_cost: float) -> go.Figure:
    """P's piles above, Q's piles below, one arrow per move i → j (width ∝ mass, label = mass moved).

    `moves` are (i, j, mass, cost) as `transport.plan_moves` returns them; red arrows travel, grey ones stay.
    """
    a, b = _float32(a), _float32(b)
    tallest_b = float(b.max()) if b.size else 0.0
    tallest = max(float(a.max()) if a.size else 0.0, tallest_b, 1e-9)
    gap = 0.8 * tallest                      # room for the arrows between the two rows of piles
    top_base = tallest_b + gap
    positions_a = np.arange(1, a.size + 1, dtype=np.float32)
    positions_b = np.arange(1, b.size + 1, dtype=np.float32)
    figure = go.Figure()
    figure.add_bar(x=positions_a, y=a, base=np.full(a.size, top_base, dtype=np.float32), name="P (before)",
                   marker_color=REAL_COLOR, width=0.6, hovertemplate="P pile %{x}: %{y:.4g}<extra></extra>")
    figure.add_bar(x=positions_b, y=b, name="Q (after)", marker_color=FAKE_COLOR, width=0.6,
                   hovertemplate="Q pile %{x}: %{y:.4g}<extra></extra>")
    largest_move = max((mass for _, _, mass, _ in moves), default=1.0)
    for source, target, mass, cost in moves:
        travels = cost > 0
        figure.add_annotation(
            x=target + 1, y=float(b[target]) + 0.04 * tallest, ax=source + 1, ay=top_base - 0.04 * tallest,
            xref="x", yref="y", axref="x", ayref="y", text="", showarrow=True, arrowhead=2, arrowsize=1.2,
            arrowwidth=1.5 + 4.5 * mass / largest_move, arrowcolor=MOVE_COLOR if travels else STAY_COLOR,
            opacity=0.85,
        )
        figure.add_annotation(  # beside a vertical (staying) arrow, on top of a slanted (travelling) one
            x=(source + target) / 2 + 1, y=(float(b[target]) + top_base) / 2, text=_mass_label(mass),
            showarrow=False, xshift=0 if travels else 16, bgcolor="rgba(255,255,255,0.85)",
            font={"size": 16, "color": MOVE_COLOR if travels else STAY_COLOR},
        )
    figure.update_xaxes(title="pile position", dtick=1, range=[0.4, max(a.size, b.size) + 0.6])
    figure.update_yaxes(
        tickvals=[tallest_b / 2, top_base + tallest / 2], ticktext=["Q", "P"], range=[0, top_base + tallest * 1.05]
    )
    return base_layout(figure, title=f"P's dirt onto Q · W = {total_cost:.4g}", barmode="overlay")


# ----------------------------------------------------------------------------------------------------
# Continuous
# ----------------------------------------------------------------------------------------------------


def _segments(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y of one line trace drawing every segment startᵢ → endᵢ, NaN between segments (a gap)."""
    pieces = np.full((len(starts), 3, 2), np.nan, dtype=np.float32)
    pieces[:, 0], pieces[:, 1] = starts, ends
    pieces = pieces.reshape(-1, 2)
    return pieces[:, 0], pieces[:, 1]


def matching_figure(real, fake, permutation, distance: float) -> go.Figure:
    """Both clouds and the optimal one-to-one matching realᵢ — fake_σ(i) as grey segments."""
    real, fake = _float32(real), _float32(fake)
    segment_x, segment_y = _segments(real, fake[np.asarray(permutation)])
    figure = go.Figure()
    figure.add_scatter(x=segment_x, y=segment_y, mode="lines", name="optimal matching",
                       line={"color": MUTED_COLOR, "width": 1}, hoverinfo="skip", opacity=0.6)
    figure.add_scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="π", marker={"color": REAL_COLOR, "size": 7})
    figure.add_scatter(x=fake[:, 0], y=fake[:, 1], mode="markers", name="p", marker={"color": FAKE_COLOR, "size": 7})
    figure.update_yaxes(scaleanchor="x", scaleratio=1)
    return base_layout(figure, title=f"Optimal matching · W₁ = {distance:.4f}", height=540)


def _steps(breakpoints: np.ndarray, values: np.ndarray, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """Vertices of a right-continuous step function (0 before the first breakpoint), drawn with straight lines."""
    x = np.concatenate([[breakpoints[0] - margin], np.repeat(breakpoints, 2), [breakpoints[-1] + margin]])
    y = np.concatenate([[0.0, 0.0], np.repeat(values, 2)[:-1], [values[-1]]])
    return _float32(x), _float32(y)


def cdf_figure(breakpoints, cdf_real, cdf_fake, distance: float) -> go.Figure:
    """The empirical CDFs F (π) and G (p) with the area |F − G| shaded: that area is W₁."""
    breakpoints = np.asarray(breakpoints, dtype=np.float64)
    margin = 0.05 * max(float(breakpoints[-1] - breakpoints[0]), 1.0)
    x, y_fake = _steps(breakpoints, np.asarray(cdf_fake), margin)
    _, y_real = _steps(breakpoints, np.asarray(cdf_real), margin)
    figure = go.Figure()
    figure.add_scatter(x=x, y=y_fake, mode="lines", name="G, CDF of p", line={"color": FAKE_COLOR, "width": 3})
    figure.add_scatter(x=x, y=y_real, mode="lines", name="F, CDF of π", line={"color": REAL_COLOR, "width": 3},
                       fill="tonexty", fillcolor="rgba(44, 160, 44, 0.3)")
    figure.update_xaxes(title="t")
    figure.update_yaxes(title="cumulative probability", range=[-0.02, 1.05])
    return base_layout(figure, title=f"Shaded area ∫|F − G| dt = W₁ = {distance:.4f}")


# ----------------------------------------------------------------------------------------------------
# Kantorovich–Rubinstein critic (from KantorovichCritic.snapshot())
# ----------------------------------------------------------------------------------------------------


def critic_heatmap(grid_x, grid_y, critic_on_grid, real_points, fake_points) -> go.Figure:
    """f(x) on a grid (blue high, red low) with samples of π and p on top: f should rise towards π."""
    values = _float32(critic_on_grid)
    centre = float(values.mean())
    spread = float(np.abs(values - centre).max())
    if not spread > 0:  # a flat critic (step 0): a ±1 scale, not a colour bar reading "1p"
        spread = 1.0
    figure = go.Figure(
        go.Heatmap(x=_float32(grid_x), y=_float32(grid_y), z=values, colorscale=CRITIC_COLORSCALE,
                   zmin=centre - spread, zmax=centre + spread, colorbar={"title": {"text": "f(x)", "side": "right"}},
                   hovertemplate="f(%{x:.2f}, %{y:.2f}) = %{z:.4g}<extra></extra>")
    )
    real_points, fake_points = _float32(real_points), _float32(fake_points)
    marker = {"size": 6, "line": {"width": 0.5, "color": "white"}}
    figure.add_scatter(x=real_points[:, 0], y=real_points[:, 1], mode="markers", name="π",
                       marker={**marker, "color": REAL_COLOR})
    figure.add_scatter(x=fake_points[:, 0], y=fake_points[:, 1], mode="markers", name="p",
                       marker={**marker, "color": FAKE_COLOR})
    figure.update_xaxes(range=[float(grid_x[0]), float(grid_x[-1])], constrain="domain")
    figure.update_yaxes(range=[float(grid_y[0]), float(grid_y[-1])], scaleanchor="x", scaleratio=1)
    return base_layout(figure, title="Critic f(x)")


def critic_curve(grid_x, critic_on_grid, potential_on_grid, real_points, fake_points) -> go.Figure:
    """In 1-D: the critic f against an optimal Kantorovich potential (same additive constant), samples as rugs."""
    grid_x, critic, potential = _float32(grid_x), _float32(critic_on_grid), _float32(potential_on_grid)
    figure = go.Figure()
    figure.add_scatter(x=grid_x, y=potential, mode="lines", name="optimal f*",
                       line={"color": MUTED_COLOR, "width": 3, "dash": "dash"})
    figure.add_scatter(x=grid_x, y=critic, mode="lines", name="critic f", line={"color": ACCENT_COLOR, "width": 3})
    low = float(min(critic.min(), potential.min()))
    high = float(max(critic.max(), potential.max()))
    height = max(high - low, 1e-9)
    rug = {"mode": "markers", "marker": {"symbol": "line-ns-open", "size": 12}, "hoverinfo": "skip"}
    figure.add_scatter(x=_float32(real_points)[:, 0], y=np.full(len(real_points), low - 0.08 * height, np.float32),
                       name="π", **{**rug, "marker": {**rug["marker"], "color": REAL_COLOR}})
    figure.add_scatter(x=_float32(fake_points)[:, 0], y=np.full(len(fake_points), low - 0.16 * height, np.float32),
                       name="p", **{**rug, "marker": {**rug["marker"], "color": FAKE_COLOR}})
    figure.update_xaxes(title="x", range=[float(grid_x[0]), float(grid_x[-1])])
    figure.update_yaxes(title="f(x)")
    base_layout(figure, title="Critic f and an optimal f*")
    return figure.update_layout(legend=bottom_legend(), margin={"b": 110})  # a half-width chart: no room above


def estimate_history(history_steps, history_estimates, history_normalised, exact_wasserstein: float) -> go.Figure:
    """E_π f − E_p f over training, its value divided by the measured Lipschitz constant K, and the exact W₁."""
    steps = _float32(history_steps)
    figure = go.Figure()
    figure.add_scatter(x=steps, y=_float32(history_estimates), mode="lines", name="E<sub>π</sub> f − E<sub>p</sub> f",
                       line={"color": ACCENT_COLOR, "width": 3})
    figure.add_scatter(x=steps, y=_float32(history_normalised), mode="lines", name="÷ K",
                       line={"color": "#9467bd", "width": 2})
    ends = np.asarray([0.0, max(float(steps[-1]) if steps.size else 0.0, 1.0)], dtype=np.float32)
    figure.add_scatter(x=ends, y=np.full(2, exact_wasserstein, dtype=np.float32), mode="lines",
                       name=f"exact W₁ = {exact_wasserstein:.3f}",
                       line={"color": MUTED_COLOR, "dash": "dash", "width": 2})
    figure.update_xaxes(title="critic step", rangemode="tozero")
    figure.update_yaxes(title="estimate")
    base_layout(figure, title="Kantorovich–Rubinstein estimate")
    # the legend below the plot: a half-width chart has no room beside the title for three entries
    return figure.update_layout(legend=bottom_legend(), margin={"b": 110})


def clipping_reading(lipschitz: float) -> str:
    """What the clipped critic's measured Lipschitz constant K says about its estimate, which is at most K·W₁:
    clipping sets K through c (about c³ in this 3-layer critic), on either side of 1."""
    if not math.isfinite(lipschitz) or lipschitz <= 0:
        return ""
    if lipschitz < 0.5:   # K is measured on a grid and samples (a lower bound on f's own): keep a margin below 1
        return f" — K ≈ {lipschitz:.2g} < 1: f is flatter than 1-Lipschitz, so the estimate understates W₁"
    if lipschitz <= 1:
        return f" — K ≈ {lipschitz:.2g}, near 1: the estimate is on W₁'s scale"
    return (f" — K ≈ {lipschitz:.2g} > 1: this c does not keep f 1-Lipschitz, so the estimate can exceed W₁ "
            "(estimate / K is the one to compare)")


def kantorovich_summary(snapshot: dict) -> str:
    """The numbers a lecturer reads out: estimate, exact W₁, their ratio and the critic's Lipschitz constant."""
    estimate, exact = snapshot["estimate"], snapshot["exact_wasserstein"]
    ratio = estimate / exact if exact > 0 else float("nan")
    if snapshot["lipschitz_method"] == "clip":
        constraint = f"weight clipping, c = {snapshot['clip_value']:g}" + clipping_reading(snapshot["lipschitz"])
    else:
        constraint = f"gradient penalty, λ = {snapshot['penalty_weight']:g}"
    return (
        f"**Critic estimate** $E_\\pi f - E_p f$ = **{estimate:.4g}** · **exact W₁** (POT) = **{exact:.4f}** · "
        f"ratio {ratio:.3f}  \n"
        f"**Lipschitz constant** max‖∇ₓf‖ = {snapshot['lipschitz_grid']:.4g} on the grid, "
        f"{snapshot['lipschitz_samples']:.4g} on samples · estimate / K = {snapshot['normalised_estimate']:.4g} "
        f"· {constraint}"
    )


def kantorovich_figures(snapshot: dict) -> list:
    """The live view of `KantorovichCritic.snapshot()`: critic (2-D heat map or 1-D curve), history, numbers."""
    if snapshot["dimension"] == 2:
        critic_figure = critic_heatmap(snapshot["grid_x"], snapshot["grid_y"], snapshot["critic_on_grid"],
                                       snapshot["real_points"], snapshot["fake_points"])
    else:
        critic_figure = critic_curve(snapshot["grid_x"], snapshot["critic_on_grid"], snapshot["potential_on_grid"],
                                     snapshot["real_points"], snapshot["fake_points"])
    history_figure = estimate_history(snapshot["history_steps"], snapshot["history_estimates"],
                                      snapshot["history_normalised"], snapshot["exact_wasserstein"])
    return [critic_figure, history_figure, kantorovich_summary(snapshot)]


def cost_breakdown(moves: list[tuple[int, int, float, float]]) -> str:
    """W as the sum of its travelling moves, piles numbered from 1: "2 × |1 − 3| + 1 × |4 − 3| = 5"."""
    travelling = [(i, j, mass, cost) for i, j, mass, cost in moves if cost > 0]
    if not travelling:
        return "Nothing has to move: P and Q are the same piles, W = 0."
    terms = [f"{mass:.4g} × |{i + 1} − {j + 1}|" for i, j, mass, _ in travelling]
    total = sum(cost for *_, cost in travelling)
    shown = " + ".join(terms[:12]) + (" + …" if len(terms) > 12 else "")
    return f"W = Σ γᵢⱼ |i − j| = {shown} = **{total:.4g}** (dirt that stays in its pile costs nothing)."
