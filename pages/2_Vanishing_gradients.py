"""Vanishing gradients: the saturating loss, the optimal discriminator, and Arjovsky & Bottou's frozen generator."""

from dataclasses import asdict

import numpy as np
import streamlit as st

from playground import experiments, ui
from playground import optimal_discriminator as od
from playground.datasets import DATASETS
from playground.figures import vanishing as figures
from playground.figures.training import samples_and_critic
from playground.objectives import MINIMAX_TEX
from playground.training import TrainingConfig

st.set_page_config(page_title="Vanishing gradients · GAN Playground", page_icon="📉", layout="wide")
ui.page_header("Vanishing gradients",
               "The better the discriminator, the less the minimax generator loss tells the generator: once D rejects "
               "the fakes confidently, log(1 − D) is flat. Three views of why, and of the non-saturating cure.",
               MINIMAX_TEX)

st.header("1 · Saturation, in one picture")
st.latex(experiments.SATURATION_TEX)
ui.chart(figures.saturation(experiments.saturation_curves()), key="vg_saturation_chart")
st.caption("**Look for:** where the generator is poor, D(G(z)) → 0: the minimax slope (red) goes to 0, the "
           "non-saturating slope (green) to −1. Same fixed point, opposite strength where training starts.")

st.header("2 · The optimal discriminator")
st.latex(od.OPTIMAL_DISCRIMINATOR_TEX)
for name, value in asdict(od.PRESETS["overlapping"]).items():   # widget defaults; a bound URL value wins on load
    st.session_state.setdefault(f"vg_{name}", value)


def apply_preset() -> None:
    if st.session_state.vg_preset in od.PRESETS:
        for field, preset_value in asdict(od.PRESETS[st.session_state.vg_preset]).items():
            st.session_state[f"vg_{field}"] = preset_value


LECTURE = ui.lecture_mode()  # enlarged text: the narrow side-by-side columns below stack instead


def chart_and_notes():
    """A chart column and a narrower notes column side by side; stacked in lecture mode."""
    return ui.side_by_side([3, 2])


top = st.columns([3, 2, 2] if not LECTURE else [3, 2, 1])  # [2, 1, 3] cut "matched" to "matchec" at 1280 px
top[0].segmented_control("Preset", list(od.PRESETS), key="vg_preset", on_change=apply_preset,
                         help=" ".join(f"**{k}**: {v}" for k, v in od.PRESET_NOTES.items()))
family = top[1].selectbox("Distributions", list(od.FAMILIES), format_func=od.FAMILIES.get, key="vg_family",
                          bind="query-params", help="Gaussians N(centre, width²), or uniforms on "
                          "[centre − width, centre + width], which can have exactly disjoint supports.")
controls = st.columns(4)
theta = controls[0].slider("θ (mean of p_θ)", -5.0, 5.0, step=0.1, key="vg_theta", bind="query-params",
                           help="π is centred at 0, p_θ at θ.")
real_width = controls[1].slider("Width of π", 0.05, 2.0, step=0.05, key="vg_real_width", bind="query-params",
                                help="Standard deviation (Gaussian) or half-width (uniform) of π.")
fake_width = controls[2].slider("Width of p_θ", 0.05, 2.0, step=0.05, key="vg_fake_width", bind="query-params",
                                help="Standard deviation (Gaussian) or half-width (uniform) of p_θ.")
noise = controls[3].slider("Instance noise σ", 0.0, 2.0, step=0.05, key="vg_noise", bind="query-params",
                           help="Both π and p_θ are blurred by N(0, σ²) before D sees them.")
pair = od.Pair(theta, real_width, fake_width, noise, family)
left, right = chart_and_notes()
with left:
    ui.live_view("vg_discriminator", lambda: od.LiveDiscriminator(pair, seed=0),
                 lambda snapshot: [figures.discriminator(snapshot),
                                   f"V(G, D) = {snapshot['value']:.4f} ≤ V(G, D*) = "
                                   f"{round(snapshot['value_optimal'], 4) + 0.0:.4f}"],
                 update=lambda run: run.reconfigure(pair), columns=1,
                 step_help="One update of the discriminator D on fresh samples of π and p_θ (p_θ stays fixed).")
with right:
    thetas = np.linspace(-5, 5, 101)
    values = st.cache_data(od.value_curve, max_entries=64, show_spinner=False)(thetas, pair)
    value = od.value_at_optimum(pair)
    ui.chart(figures.value_curve(thetas, values, theta, value), key="vg_value_chart")
    metrics = st.columns(3)
    # six characters at most: a third of the notes column at 1366 px showed "-1.3…" for -1.3863
    metrics[0].metric("V(G, D*)", f"{round(value, 3) + 0.0:.3f}")  # no "−0.000"
    metrics[1].metric("JSD(π‖p_θ)", f"{od.jensen_shannon(pair):.3f}", help="≤ log 2 ≈ 0.6931")  # "0.1…" at 4
    slope = od.mean_slope_at_fakes(pair)  # short enough for a third of the column: "0.199", "3e-09"
    metrics[2].metric("E_p |∂D*/∂x|", f"{slope:.3f}" if slope >= 0.01 or slope == 0 else f"{slope:.0e}",
                      help="How steep D* is where the fakes are: the only signal G gets through D*.")
st.caption("**Look for:** with the *separated* preset D* is 1 on π and 0 on p_θ, flat where the fakes are "
           "(E_p |∂D*/∂x| ≈ 0), and V sits at its ceiling 0 for every θ beyond the overlap: moving θ changes nothing. "
           "Raise the instance noise σ: the supports overlap, D* gets a slope at the fakes and V a slope in θ.")

st.header("3 · Arjovsky & Bottou: train D against a frozen generator")
st.latex(experiments.FROZEN_GENERATOR_TEX)
controls = st.columns(5)
dataset = controls[0].selectbox("Dataset", list(DATASETS), format_func=lambda k: DATASETS[k].label,
                                key="vg_dataset", bind="query-params", help="The real distribution π (2-D).")
pretrain = controls[1].select_slider("Pretrain G (steps)", [0, 100, 250, 500, 1000, 2000], key="vg_pretrain",
                                     bind="query-params", help="Train the GAN this long before freezing G; 0 keeps "
                                     "G as initialised.")
critic_steps = controls[2].select_slider("D steps", [200, 500, 1000, 2000, 4000], value=2000, key="vg_critic_steps",
                                         bind="query-params", help="Discriminator steps against the frozen G.")
seed = controls[3].number_input("Seed", 0, 2**31 - 1, 0, key="vg_seed", bind="query-params",
                                help="Seeds G's weights, D's weights and the data.")
run = controls[4].button("Run", key="vg_run", type="primary", icon=":material/play_arrow:", width="stretch")
settings = (dataset, pretrain, critic_steps, int(seed))
if run:
    experiment = experiments.FrozenGeneratorExperiment(TrainingConfig(dataset=dataset, seed=int(seed)),
                                                       critic_steps=critic_steps, pretrain_steps=pretrain)
    bar, chart = st.progress(0.0, text="Starting…"), st.empty()
    for running in experiment.run(chunk_steps=max(100, critic_steps // 20)):
        bar.progress(running.progress, text=f"{running.phase.capitalize()} · D step {running.step:,} of "
                     f"{critic_steps:,}")
        with chart:
            ui.chart(figures.frozen_generator(running.results(), critic_steps), key=None)
    bar.empty()
    chart.empty()
    st.session_state.vg_frozen_result = (settings, experiment.snapshot())
if "vg_frozen_result" not in st.session_state:
    st.info("Press **Run**: G is frozen, a fresh D trains for the chosen number of steps (a few seconds).")
else:
    ran_with, snapshot = st.session_state.vg_frozen_result
    if ran_with != settings:
        st.info("The settings changed since this run: press **Run** to redo it.")
    if snapshot["diverged"]:
        st.warning(snapshot["diverged"])
    left, right = chart_and_notes()
    with left:
        ui.chart(figures.frozen_generator(snapshot["records"], snapshot["critic_steps"]), key="vg_frozen_chart")
    with right:
        ui.chart(samples_and_critic(snapshot, title=f"Frozen G over D(x) after {snapshot['step']:,} D steps"),
                 key="vg_frozen_samples")
    st.markdown(experiments.frozen_generator_summary(snapshot["records"]))
st.caption("**Look for:** Arjovsky & Bottou (2017) report, for DCGANs on images, D's accuracy going to 1 (Fig. 1), "
           "the minimax gradient norm (red) then falling by orders of magnitude (Fig. 2; mind the log axis) and the "
           "−log D one (green) growing (Fig. 3). The premise is disjoint supports. In 2-D it can fail: on the "
           "25 Gaussians the centre mode sits where an untrained G puts its points, and after pretraining G's points "
           "reach the data; there D* need not saturate, and the minimax gradient need not vanish. The line under the "
           "charts says what this run did.")

ui.url_notices()  # last: says which values of the link the controls could not take
