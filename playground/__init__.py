"""GAN Playground's core: datasets, models, objectives, training and the lecture's exact computations.

Importable from a notebook; nothing here but `playground.ui` imports streamlit.
"""
