"""WGAN and weight clipping: the clipping constant c decides whether the critic is a useful W₁ estimate."""

import streamlit as st

from playground import ui, wgan
from playground.datasets import DATASETS
from playground.figures import training as training_figures
from playground.figures import wgan as figures
from playground.objectives import WGAN_TEX
from playground.training import Trainer, TrainingConfig

st.set_page_config(page_title="WGAN and weight clipping · GAN Playground", page_icon="📦", layout="wide")
ui.page_header(
    "WGAN and weight clipping",
    "Three GANs train in lockstep on the same data and seed: a WGAN whose critic is clipped to [−c, c], a WGAN-GP, "
    "and a classic GAN. Move **c** while they play.",
    WGAN_TEX,
)
CLIP_OPTIONS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
with st.sidebar:
    dataset = st.selectbox("Dataset ↻", list(DATASETS), format_func=lambda k: DATASETS[k].label, key="wg_dataset",
                           bind="query-params", help="Changing it starts new runs.")
    clip_value = st.select_slider("Clipping constant c", CLIP_OPTIONS, value=0.01, key="wg_c", bind="query-params",
                                  help="Every critic weight is clamped into [−c, c] after each critic step (live).")
    gp_weight = st.select_slider("Gradient penalty λ", [0.1, 0.3, 1.0, 3.0, 10.0], value=0.1, key="wg_lambda",
                                 bind="query-params", help="WGAN-GP's weight of (‖∇f‖ − 1)² (live).")
    critic_steps = st.slider("Critic steps per G step", 1, 10, 5, key="wg_critic_steps", bind="query-params")
    learning_rate = st.select_slider("Learning rate", [5e-5, 1e-4, 2e-4, 5e-4, 1e-3], value=5e-4, key="wg_lr",
                                     bind="query-params", format_func=lambda v: f"{v:g}",
                                     help="For every network (the paper's 5e-5 is slow for a lecture minute).")
    seed = st.number_input("Seed ↻", 0, 2**31 - 1, 0, key="wg_seed", bind="query-params")

base = TrainingConfig(dataset=dataset, seed=int(seed), critic_steps=critic_steps, generator_lr=learning_rate,
                      critic_lr=learning_rate, generator_hidden_units=64, critic_hidden_units=64, batch_size=128)
configs = wgan.comparison_configs(base, clip_value, gp_weight)
st.caption(
    "Look for: with a small c the clipped critic's estimate is tiny and flat (its slope is capped) and its weights "
    "pile up at ±c; with a large c the box barely constrains the critic (its Lipschitz constant need not be near "
    "1). The exact W₁ of every run falls as the samples "
    "improve. The classic discriminator's JSD estimate ½(log 4 − L_D) (right axis; its recent value under the "
    "chart's title) can never exceed ln 2, and reaches it only when the discriminator separates data from samples "
    "perfectly. "
    "With λ = 0.1 (Gulrajani et al.'s toy script) the penalty is soft: the WGAN-GP critic's slope can settle well "
    "above 1 (near 1 + W₁/(2λ)), so its estimate can run several times above the exact W₁; λ = 10 (the paper's) "
    "holds the slope near 1 (about 1 + W₁/20), so the estimate stays near W₁ or below. "
    "The classic GAN's samples are not drawn: its JSD estimate and exact W₁ are in the last chart."
)


def render(snapshot):
    runs = snapshot["runs"]
    clip_run, gp_run = runs["WGAN (clip c)"], runs["WGAN-GP"]
    return [
        training_figures.samples_and_critic(clip_run, title=f"WGAN, clip c = {clip_run['config'].clip_value:g}",
                                            height=440),
        training_figures.samples_and_critic(gp_run, title="WGAN-GP", height=440),
        figures.weight_histogram(clip_run["weights"], clip_run["config"].clip_value,
                                 title="Clipped critic's weights (walls at ±c)"),
        figures.weight_histogram(gp_run["weights"], None, title="WGAN-GP critic's weights"),
        figures.estimates_against_truth(runs, note=wgan.jsd_note(runs["Classic GAN"]["history"]["critic_loss"])),
    ]


ui.live_view("wgan.lockstep", lambda: wgan.WganComparison({name: Trainer(c) for name, c in configs.items()}),
             render, restart_token=(dataset, int(seed)), update=lambda group: group.reconfigure(configs), columns=2)

st.subheader("Why clipping fails in a deep critic")
st.latex(r"\left\lVert \frac{\partial L}{\partial h_\ell} \right\rVert \;\text{ for the activations } h_\ell "
         r"\text{ of a critic with 12 hidden ReLU layers, clipped at } c \in \{0.1, 0.01, 0.001\} "
         r"\text{ vs. a gradient penalty}")
st.caption("Gulrajani et al. (2017), Fig. 1b: the norm of the critic loss's gradient with respect to each layer's "
           "activations, from the score (left) back to the first hidden layer. Under clipping it grows or decays "
           "exponentially going back (mind the powers of ten); with a gradient penalty it changes far less. "
           "The paper trains whole WGANs on the swiss roll; here each critic trains 20 steps against a fixed, "
           "untrained generator (RMSprop at lr 1e-3 for clipping, which pushes many weights to ±c as a long clipped "
           "training does; Adam for the penalty, λ = 10).")
if st.button("Measure per-layer gradient norms", key="wg_profile_run", icon=":material/science:"):
    bar = st.progress(0.0, text="Training deep critics…")
    st.session_state["wg_profile"] = wgan.clipping_gradient_profile(
        steps=20, hidden_units=256, dataset=dataset, seed=int(seed), progress=lambda f: bar.progress(f))
    bar.empty()
if "wg_profile" in st.session_state:
    ui.chart(figures.layer_gradient_profile(st.session_state["wg_profile"]), key="wg_profile_chart")
    st.caption(wgan.profile_summary(st.session_state["wg_profile"]))

ui.url_notices()  # last: says which values of the link the controls could not take
