"""Many seeds at once: one configuration trained from K seeds together, and the spread of modes they capture."""

import streamlit as st

from playground import presets, ui
from playground.datasets import DATASETS
from playground.ensemble import Ensemble, describe
from playground.figures import ensemble as figures

st.set_page_config(page_title="Many seeds · GAN Playground", page_icon="🎲", layout="wide")
ui.page_header(
    "Many seeds at once",
    "One run can be lucky. Here the same configuration trains from K seeds at once, in one batched step, and "
    "the charts show how many of the modes each seed keeps: the mean, the spread, and every seed's samples.",
    r"\text{modes captured} = \#\{\,m : m \text{ is the nearest mode of a sample within } 3\sigma\,\}",
)
CHOICES = [key for key, preset in presets.PRESETS.items() if not preset.config().unrolled_steps]  # no unrolling


def load_preset() -> None:
    """Picking a preset picks its dataset too ("WGAN-GP on the swiss roll" trained on 8 Gaussians when the dataset
    box kept its own value); the dataset can be changed afterwards."""
    st.session_state["seeds_dataset"] = presets.PRESETS[st.session_state["seeds_preset"]].config().dataset


ui.accept_ids_in_link("seeds_preset", {key: presets.PRESETS[key].label for key in CHOICES})
ui.accept_ids_in_link("seeds_dataset", {key: dataset.label for key, dataset in DATASETS.items()})
with st.sidebar:
    preset_id = st.selectbox("Preset ↻", CHOICES, format_func=lambda k: presets.PRESETS[k].label, key="seeds_preset",
                             bind="query-params", on_change=load_preset,
                             help="The configuration every seed trains with.")
    st.caption(presets.PRESETS[preset_id].note)
    datasets = list(DATASETS)
    dataset = st.selectbox("Dataset ↻", datasets, index=datasets.index(presets.PRESETS[preset_id].config().dataset),
                           format_func=lambda k: DATASETS[k].label, key="seeds_dataset", bind="query-params",
                           help="The real distribution π; its modes are what is counted.")
    members = st.select_slider("Seeds K ↻", [4, 8, 16, 32], value=16, key="seeds_members", bind="query-params",
                               help="How many runs train together. 16 batched runs of the mode-collapse preset cost "
                                    "about what 6–7 single runs cost on one CPU thread, 4–5 on two "
                                    "(bench/ensemble.py).")
    first_seed = int(st.number_input("First seed ↻", 0, 2**31 - 64, 0, key="seeds_first", bind="query-params",
                                     help="Seeds first_seed, first_seed + 1, … are trained."))
config = presets.PRESETS[preset_id].config(dataset=dataset)
st.caption("Look for: the thick mean line and its band (the spread over seeds), seeds that stall on a few modes "
           "while others cover all of them, how the histogram shifts when you switch the preset to WGAN-GP, and, "
           "past some 5,000 steps, mode-collapse seeds escaping one by one: the collapse is a phase of the game.")


def render(snapshot):
    return [describe(snapshot), figures.modes_over_time(snapshot), figures.modes_histogram(snapshot),
            figures.member_samples(snapshot, columns=8 if len(snapshot["seeds"]) > 16 else 4)]


seeds = range(first_seed, first_seed + members)
ui.live_view("seeds.ensemble", lambda: Ensemble(config, seeds), render,
             restart_token=(preset_id, dataset, members, first_seed), columns=2, main_height="viewport")

ui.url_notices()  # last: says which values of the link the controls could not take
