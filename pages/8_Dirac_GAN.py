"""Dirac-GAN (Mescheder et al. 2018): two parameters show why unregularised GANs circle and what makes them converge."""

from dataclasses import asdict

import streamlit as st

from playground import dirac, ui
from playground.figures import dirac as figures

st.set_page_config(page_title="Dirac-GAN · GAN Playground", page_icon="🌀", layout="wide")
ui.page_header(
    "Dirac-GAN: why GAN training circles",
    r"Data $\delta_0$, generator $\delta_\theta$, discriminator $D_\psi(x) = \psi x$: the generator descends $L$, "
    r"the discriminator ascends it, and the only equilibrium is $(\theta, \psi) = (0, 0)$ "
    "(Mescheder, Geiger & Nowozin 2018).",
    r"L(\theta,\psi) = f(\psi\theta) + f(0),\qquad v(\theta,\psi) = \big(-\nabla_\theta L,\; \nabla_\psi L\big),"
    r"\qquad (\theta,\psi) \leftarrow (\theta,\psi) + h\, v",
)


def apply_preset(preset_id: str) -> None:
    for name, value in asdict(dirac.PRESETS[preset_id].settings).items():
        st.session_state[f"dirac_{name}"] = value


for name, value in asdict(dirac.DiracSettings()).items():   # widget defaults; a bound URL value wins on load
    st.session_state.setdefault(f"dirac_{name}", value)
with st.sidebar:
    st.markdown("**Presets**")
    for preset_id, preset in dirac.PRESETS.items():
        st.button(preset.label, key=f"dirac_preset_{preset_id}", help=preset.claim, width="stretch",
                  on_click=apply_preset, args=(preset_id,))
    game = st.selectbox("Game", list(dirac.GAMES), format_func=lambda k: dirac.GAMES[k].label, key="dirac_game",
                        bind="query-params", help="The objective the two players optimise.")
    update = st.radio("Update rule", list(dirac.UPDATES), format_func=dirac.UPDATES.get, key="dirac_update",
                      bind="query-params", help="Both players step at once, or the critic first and then the "
                      "generator against the new critic.")
    step_size = st.select_slider("Step size h", [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0],
                                 key="dirac_step_size", bind="query-params", help="Learning rate of both players.")
    steps = st.slider("Steps", 10, 5000, step=10, key="dirac_steps", bind="query-params",
                      help="Number of gradient steps.")
    knob = dirac.GAMES[game].knob
    penalty_weight = st.select_slider(
        "Penalty weight γ", [0.0, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0], key="dirac_penalty_weight",
        bind="query-params", disabled=knob != "penalty_weight",
        help="R1's γ/2 ψ², WGAN-GP's γ/2 (|ψ|−1)², consensus' γ/2 ‖v‖².")
    noise_std = st.select_slider(
        "Instance noise σ", [0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0], key="dirac_noise_std",
        bind="query-params", disabled=knob != "noise_std", help="Std of the Gaussian added to real and fake points.")
    clip_value = st.select_slider(
        "Clip c", [0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0], key="dirac_clip_value", bind="query-params",
        disabled=knob != "clip_value", help="WGAN keeps the critic's weight ψ in [−c, c].")
    theta = st.slider("Start θ₀", -3.0, 3.0, step=0.1, key="dirac_theta", bind="query-params",
                      help="Where the generator starts (the data sit at 0).")
    psi = st.slider("Start ψ₀", -3.0, 3.0, step=0.1, key="dirac_psi", bind="query-params",
                    help="The discriminator's starting slope.")

settings = dirac.DiracSettings(game, update, step_size, steps, penalty_weight, noise_std, clip_value, theta, psi)
view = st.cache_data(dirac.simulate, max_entries=64, show_spinner="Training the Dirac-GAN…")(settings)
spec = dirac.GAMES[game]
for note in dirac.view_warnings(view, steps):
    st.warning(note)
st.markdown(view.verdict.markdown)
st.caption(f"**Look for:** {spec.look_for} Press ▶ Play under the field to replay the iterates.")
left, right = ui.side_by_side([6, 5])
with left:
    ui.chart(figures.phase_portrait(
        view.grid_theta, view.grid_psi, view.field_theta, view.field_psi, view.trajectory, extent=view.extent,
        flow=view.flow, clip_value=clip_value if game == "wgan" else None, title=spec.label),
        key="dirac_phase_chart")
with right:
    ui.chart(figures.distance_curves(
        view.distances, highlight=update, flow_iterations=view.flow_iterations,
        flow_distances=dirac.distances_to_equilibrium(view.flow)), key="dirac_distance_chart")
    st.latex(spec.objective_tex)
    st.latex(spec.field_tex)
left, right = ui.side_by_side(2)
with left:
    ui.chart(figures.update_eigenvalues(view.update_eigenvalues), key="dirac_eigen_chart")
with right:
    st.markdown("**Jacobian of the field at the equilibrium (0, 0)**")
    st.latex(spec.eigenvalue_tex)
    st.latex(r"\lambda_{1,2} = " + dirac.eigenvalue_tex(view.eigenvalues))
    st.caption(f"{view.flow_note} {dirac.EIGENVALUE_NOTE}")

ui.url_notices()  # last: says which values of the link the controls could not take
