"""Compare runs: two configurations trained side by side in lockstep, on the same data and seed."""

import streamlit as st

from playground import compare, ui

st.set_page_config(page_title="Compare runs · GAN Playground", page_icon="⚖️", layout="wide")
ui.page_header(
    "Compare runs",
    "Two configurations train in lockstep on the same data and from the same seed, with the same views and one "
    "Play button: minimax against WGAN-GP, c = 0.01 against c = 0.5, with and without unrolling.",
)
# Three sections share the address (each reads only its own keys): none names the others' keys as unknown.
shared = ui.controls("compare", compare.SharedSettings, report_unknown=False)


def bring_dataset(preset_id: str) -> None:
    """Both runs train on the sidebar's one dataset: a preset named for its data brings it, for both."""
    ui.load_settings("compare", shared.with_dataset_of(preset_id))


runs = []
for side, column in zip(compare.SIDES, st.columns(2), strict=True):
    runs.append(ui.controls(
        f"compare_{side}", compare.RUN_SETTINGS[side], compare.RUN_PRESETS, compare.DEFAULT_PRESETS[side],
        groups={"": compare.RUN_CONTROLS}, columns=2, location=column.expander(f"Run {side}", expanded=True),
        preset_url=f"cmp_{side}_preset", report_unknown=False, on_preset=bring_dataset))
st.caption("Look for: which run keeps more modes (left chart) and whose samples get closer to the data in W₁ "
           "(right chart), on the same clock.")
ui.live_view("compare.lockstep", compare.CompareRun.from_settings, compare.comparison_view,
             compare.CompareSettings(shared, *runs), columns=2, main_height="viewport")
