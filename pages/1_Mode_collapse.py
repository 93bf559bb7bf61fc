"""Mode collapse: watch a GAN chase one mode of eight while the critic chases it back, then cure it."""

import streamlit as st

from playground import presets, ui
from playground.figures import training as figures
from playground.objectives import OBJECTIVES
from playground.training import TrainingConfig

st.set_page_config(page_title="Mode collapse · GAN Playground", page_icon="🎯", layout="wide")
ui.page_header(
    "Mode collapse",
    "A GAN trains live on a toy distribution. Blue points are data, orange points are the generator's samples, "
    "the background is what the discriminator believes and the short black lines show where the generator's "
    "loss pushes each fake point. Change the loss, the clipping constant c or the instance noise σ while it plays.",
)
config = ui.controls("mode_collapse", TrainingConfig, presets.PRESETS, "mode_collapse", groups=ui.TRAINING_GROUPS)
objective = OBJECTIVES[config.objective]
st.latex(objective.tex)
st.caption(
    f"**{objective.label}.** Look for: the orange cloud sitting on one or two modes and hopping between them "
    "(bright cells jumping rows in the occupancy raster), the *modes captured* curve, and how unrolling, "
    "WGAN-GP spread the samples over all modes (instance noise revives the saturated minimax game, its own preset, "
    "but does not cure this collapse). The last chart is G's image of a regular grid of z (GAN Lab's transformation "
    "view): in a collapse the mesh folds onto one mode. The collapse lasts some thousands of steps, not for ever: "
    "Reset replays it, Speed slows it down."
)


def render(snapshot):
    return [figures.samples_and_critic(snapshot), figures.training_curves(snapshot),
            figures.mode_occupancy(snapshot), figures.manifold(snapshot["manifold"])]


on_paint, ready = ui.drawing_tools("mode_collapse", config)  # the Draw dataset's tools; nothing for the others
if ready:
    ui.live_training("mode_collapse", config, render, on_paint=on_paint, main_height="viewport")
