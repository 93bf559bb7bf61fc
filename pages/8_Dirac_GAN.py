"""Dirac-GAN (Mescheder et al. 2018): two parameters show why unregularised GANs circle and what makes them converge."""

import streamlit as st

from playground import dirac, ui
from playground.figures import dirac as figures

st.set_page_config(page_title="Dirac-GAN · GAN Playground", page_icon="🌀", layout="wide")
ui.page_header(
    "Dirac-GAN",
    r"Why GAN training circles. Data $\delta_0$, generator $\delta_\theta$, discriminator $D_\psi(x) = \psi x$: "
    r"the generator descends $L$, "
    r"the discriminator ascends it, and the only equilibrium is $(\theta, \psi) = (0, 0)$ "
    "(Mescheder, Geiger & Nowozin 2018).",
    r"L(\theta,\psi) = f(\psi\theta) + f(0),\qquad v(\theta,\psi) = \big(-\nabla_\theta L,\; \nabla_\psi L\big),"
    r"\qquad (\theta,\psi) \leftarrow (\theta,\psi) + h\, v",
)
settings = ui.controls("dirac", dirac.DiracSettings, dirac.PRESETS)
view = st.cache_data(dirac.simulate, max_entries=64, show_spinner="Training the Dirac-GAN…")(settings)
spec = dirac.GAMES[settings.game]
for note in dirac.view_warnings(view, settings.steps):
    st.warning(note)
st.markdown(view.verdict.markdown)
st.caption(f"**Look for:** {spec.look_for} Press ▶ Play under the field to replay the iterates.")
left, right = ui.side_by_side([6, 5])
with left:
    ui.chart(figures.phase_portrait(
        view.grid_theta, view.grid_psi, view.field_theta, view.field_psi, view.trajectory, extent=view.extent,
        flow=view.flow, clip_value=settings.clip_value if settings.game == "wgan" else None, title=spec.label),
        key="dirac_phase_chart", main_height="viewport")
with right:
    ui.chart(figures.distance_curves(
        view.distances, highlight=settings.update, flow_iterations=view.flow_iterations,
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
