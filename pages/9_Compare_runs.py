"""Compare runs: two configurations trained side by side in lockstep, on the same data and seed."""

from dataclasses import replace

import streamlit as st

from playground import presets, ui
from playground.compare import Lockstep, run_titles
from playground.datasets import DATASETS
from playground.figures import training as figures
from playground.objectives import OBJECTIVES, unused_setting_note
from playground.training import Trainer, TrainingConfig

st.set_page_config(page_title="Compare runs · GAN Playground", page_icon="⚖️", layout="wide")
ui.page_header(
    "Compare runs",
    "Two configurations train in lockstep on the same data and from the same seed, with the same views and one "
    "Play button: minimax against WGAN-GP, c = 0.01 against c = 0.5, with and without unrolling.",
)
CLIP_OPTIONS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
HELP = {name: spec["help"] for name, spec in TrainingConfig.field_specs().items()}  # the sidebar's own help texts


def preset_controls(preset_id: str) -> dict[str, object]:
    """The value of each of a run's controls under a preset: their defaults, and what picking the preset sets."""
    preset = presets.PRESETS[preset_id].config()
    return {"loss": preset.objective, "c": min(CLIP_OPTIONS, key=lambda c: abs(c - preset.clip_value)),
            "noise": float(preset.instance_noise), "unrolled": preset.unrolled_steps}


def load_preset(side: str) -> None:
    """Picking a preset sets the run's loss, c, noise and unrolling to the preset's (widgets keep their own state
    otherwise: "Unrolled GAN" would have kept 0 unrolled steps), and the shared dataset to the preset's ("WGAN-GP on
    25 Gaussians" trained on 8 Gaussians)."""
    for control, value in preset_controls(st.session_state[f"cmp_{side}_preset"]).items():
        st.session_state[f"cmp_{side}_{control}"] = value
    # both runs train on one dataset (the sidebar's): a preset named for its data brings it, for both runs
    st.session_state["cmp_dataset"] = presets.PRESETS[st.session_state[f"cmp_{side}_preset"]].config().dataset


ui.accept_ids_in_link("cmp_dataset", {key: dataset.label for key, dataset in DATASETS.items()})
for side in "AB":  # a hand-made link may name presets and losses by id: ?cmp_A_preset=wgan&cmp_B_loss=wgan_gp
    ui.accept_ids_in_link(f"cmp_{side}_preset", {key: preset.label for key, preset in presets.PRESETS.items()})
    ui.accept_ids_in_link(f"cmp_{side}_loss", {key: objective.label for key, objective in OBJECTIVES.items()})
with st.sidebar:
    dataset = st.selectbox("Dataset ↻", list(DATASETS), format_func=lambda k: DATASETS[k].label, key="cmp_dataset",
                           bind="query-params")
    seed = int(st.number_input("Seed ↻", 0, 2**31 - 1, 0, key="cmp_seed", bind="query-params"))
columns = st.columns(2)
configs = {}
for side, column, default_preset in (("A", columns[0], "mode_collapse"), ("B", columns[1], "wgan_gp")):
    with column.expander(f"Run {side}", expanded=True):
        # two rows, not five: the charts below stay in view on a projector
        choice, knobs = st.columns([3, 2]), st.columns(3)  # the preset's name is the longer: "Mode collapse (vanil…"
        preset_id = choice[0].selectbox("Preset ↻", list(presets.PRESETS),
                                        index=list(presets.PRESETS).index(default_preset),
                                        format_func=lambda k: presets.PRESETS[k].label, key=f"cmp_{side}_preset",
                                        bind="query-params", on_change=load_preset, args=(side,))
        preset, defaults = presets.PRESETS[preset_id].config(), preset_controls(preset_id)
        objective = choice[1].selectbox("Loss", list(OBJECTIVES), index=list(OBJECTIVES).index(defaults["loss"]),
                                        format_func=lambda k: OBJECTIVES[k].label, key=f"cmp_{side}_loss",
                                        bind="query-params")
        unused = unused_setting_note(objective, "clip_value")  # greyed out under a loss that ignores it
        clip_value = knobs[0].select_slider("Clipping c", CLIP_OPTIONS, value=defaults["c"], key=f"cmp_{side}_c",
                                            bind="query-params",
            help=f"{HELP['clip_value']} {unused or ''}".strip(), disabled=unused is not None)
        noise = knobs[1].slider("Instance noise σ", 0.0, 1.0, defaults["noise"], 0.01,
                                key=f"cmp_{side}_noise", bind="query-params",
                                help=HELP["instance_noise"])
        unrolled = knobs[2].slider("Unrolled steps", 0, 10, defaults["unrolled"], key=f"cmp_{side}_unrolled",
                                   bind="query-params", help=HELP["unrolled_steps"])
        label = f"{side}: {OBJECTIVES[objective].label}"
        configs[label] = replace(preset, dataset=dataset, seed=seed, objective=objective, clip_value=clip_value,
                                 instance_noise=noise, unrolled_steps=unrolled)
st.caption("Look for: which run keeps more modes (left chart) and whose samples get closer to the data in W₁ "
           "(right chart), on the same clock.")


def render(snapshot):
    # each run under its title from the settings it trains with now (its name is fixed when it starts; c and σ
    # are live)
    runs = {name[0]: run for name, run in snapshot["runs"].items()}   # by side: "A", "B"
    configs = {side: run["config"] for side, run in runs.items()}
    chart_titles, legend_titles = run_titles(configs, two_lines=True), run_titles(configs)
    return [*(figures.samples_and_critic(run, title=chart_titles[side], height=460) for side, run in runs.items()),
            figures.coverage_comparison({legend_titles[side]: run for side, run in runs.items()})]


restart = (dataset, seed, tuple((name, c.objective, c.unrolled_steps, c.critic_steps) for name, c in configs.items()),
           tuple(st.session_state.get(f"cmp_{side}_preset") for side in "AB"))
ui.live_view("compare.lockstep", lambda: Lockstep({name: Trainer(c) for name, c in configs.items()}), render,
             restart_token=restart, update=lambda group: group.reconfigure(dict(zip(group.trainers, configs.values(),
                                                                                strict=True))),
             columns=2)

ui.url_notices()  # last: says which values of the link the controls could not take
