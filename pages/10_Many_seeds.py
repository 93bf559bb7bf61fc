"""Many seeds at once: one configuration trained from K seeds together, and the spread of modes they capture."""

import streamlit as st

from playground import ui
from playground.ensemble import SEED_PRESETS, Ensemble, SeedsSettings, describe
from playground.figures import ensemble as figures

st.set_page_config(page_title="Many seeds · GAN Playground", page_icon="🎲", layout="wide")
ui.page_header(
    "Many seeds",
    "One run can be lucky. Here the same configuration trains from K seeds at once, in one batched step, and "
    "the charts show how many of the modes each seed keeps: the mean, the spread, and every seed's samples.",
    r"\text{modes captured} = \#\{\,m : m \text{ is the nearest mode of a sample within } 3\sigma\,\}",
)
settings = ui.controls("seeds", SeedsSettings, SEED_PRESETS, preset_url="seeds_preset",
                       groups={"": ("dataset", "members", "first_seed")})
st.caption("Look for: the thick mean line and its band (the spread over seeds), seeds that stall on a few modes "
           "while others cover all of them, how the histogram shifts when you switch the preset to WGAN-GP, and, "
           "past some 5,000 steps, mode-collapse seeds escaping one by one: the collapse is a phase of the game.")


def render(snapshot):
    return [describe(snapshot), figures.modes_over_time(snapshot), figures.modes_histogram(snapshot),
            figures.member_samples(snapshot, columns=8 if len(snapshot["seeds"]) > 16 else 4)]


ui.live_view("seeds.ensemble", Ensemble.from_settings, render, settings, columns=2,
             main_height="viewport")
ui.run_file_tools("seeds", "seeds.ensemble", Ensemble, load=False)  # download only: loading a run is Mode collapse's
