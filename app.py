"""GAN Playground's home page: what each page teaches, and where the models run. No training code here."""

import streamlit as st

from playground import ui
from playground.training import describe_device

st.set_page_config(page_title="GAN Playground", page_icon="🎛️", layout="wide")
ui.page_header(
    "GAN Playground",
    "Small generative models trained **live** on toy 1-D and 2-D data, so that a lecture on GAN pathologies "
    "can be *seen*: vanishing gradients, mode collapse, mode covering vs mode seeking, divergences against θ, "
    "the earth mover's distance, weight clipping, instance noise, the density-ratio trick and AVB.",
    r"\min_G \max_D\; V(D, G) = \mathbb{E}_{x\sim\pi}[\log D(x)] + \mathbb{E}_{z\sim p_z}[\log(1 - D(G(z)))]",
)
st.info(f"Models run on: **{describe_device()}**. Every page works on the CPU.", icon=":material/memory:")
st.subheader("The lecture, page by page")
for page_file, (title, icon, description) in ui.PAGES.items():
    if (ui.ROOT / page_file).exists():
        st.page_link(page_file, label=title, icon=icon, query_params=ui.navigation_params())
        st.caption(description)
st.subheader("For lecturers")
st.markdown(
    "- Every page's settings live in its URL: copy the address bar to share the exact view.\n"
    "- Add `?lecture=1` to enlarge fonts for a projector: it stays on as you move between pages (`?lecture=0` "
    "turns it off). On Mode collapse, `&hide=seed,device` hides those sidebar settings.\n"
    "- From a notebook: `from playground import training, divergences, transport, metrics, experiments`."
)
