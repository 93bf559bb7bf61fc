"""A small settings class for the AppTests of `ui.controls` (imported by the scripts tests/test_controls.py runs)."""

from __future__ import annotations

from dataclasses import dataclass

from playground.settings import Preset, knob

DIMENSIONS = {2: "2-D", 1: "1-D"}


@dataclass(frozen=True)
class Piles:
    dimension: int = knob(2, "Dimension", choices=DIMENSIONS, widget="radio", horizontal=True, url="pp_dim")
    piles: int = knob(2, "Number of piles", live=True, min=1, max=3, url="pp_piles")
    first: float = knob(1.0, "Pile 1", live=True, min=0.0, max=10.0, url="pp_1")
    second: float = knob(2.0, "Pile 2", live=True, min=0.0, max=10.0, url="pp_2")
    third: float = knob(0.0, "Pile 3", live=True, min=0.0, max=10.0, url="pp_3")
    mirrored: bool = knob(False, "Mirrored", live=True)

    def shows(self, name: str) -> bool:
        order = ("first", "second", "third")
        return name not in order or order.index(name) < self.piles

    def unused_note(self, name: str) -> str | None:
        return "Only the 2-D view mirrors." if name == "mirrored" and self.dimension != 2 else None


PRESETS = {"lecture": Preset("Lecture", "Two piles.", {}),
           "three": Preset("Three piles", "All three.", {"piles": 3, "third": 4.0})}


def page() -> None:
    import streamlit as st
    from controls_fixture import PRESETS, Piles

    from playground import ui

    settings = ui.controls("piles", Piles, PRESETS, preset_url="pp_preset", columns=2,
                           location=st.container())
    st.markdown(f"settings: {settings!r}")


SECTIONS = {"first": "First part", "second": "Second part"}


@dataclass(frozen=True)
class Sections:
    section: str = knob("first", "Section", live=True, choices=SECTIONS, widget="tabs", url="sec")
    amount: float = knob(1.0, "Amount", live=True, widget="number", step=1.0, url="amt")  # no bounds


def tabbed_page() -> None:
    import streamlit as st
    from controls_fixture import Sections

    from playground import ui

    settings = ui.controls("sections", Sections, location=st.container())
    st.markdown(f"settings: {settings!r}")


# Presets that a reading box names: each sets the number of piles and the third pile, not the first two.
READ_PRESETS = {"two": Preset("Two piles", "Two.", {"piles": 2, "third": 0.0}),
                "three": Preset("Three piles", "All three.", {"piles": 3, "third": 4.0})}


def reading_page() -> None:
    import streamlit as st
    from controls_fixture import READ_PRESETS, Piles

    from playground import ui

    settings = ui.controls("piles", Piles, READ_PRESETS, preset_url="pp_preset", custom_preset="Custom")
    st.markdown(f"settings: {settings!r}")


def on_demand_page() -> None:
    import streamlit as st

    from playground import ui

    calls = st.session_state.setdefault("calls", [])

    def square(progress) -> int:
        calls.append(1)
        progress(0.5)
        return 7**2

    result = ui.on_demand("square", "Measure", square, progress_text="Squaring…")
    st.markdown(f"result {result}, computed {len(calls)} times")


@dataclass(frozen=True)
class Counts:
    steps: int = knob(1500, "Steps", live=True, min=10, max=5000, step=10, widget="slider")
    seed: int = knob(0, "Seed", min=0, max=1000)


def counts_page() -> None:
    from controls_fixture import Counts

    from playground import ui

    ui.controls("counts", Counts)


def linked_page() -> None:
    """Two sections; picking a preset of the second sets a control of the first (as Compare's dataset)."""
    from dataclasses import replace

    import streamlit as st
    from controls_fixture import PRESETS, Counts, Piles

    from playground import ui

    counts = ui.controls("counts", Counts)
    ui.controls("piles", Piles, PRESETS, preset_url="pp_preset", location=st.container(),
                on_preset=lambda preset_id: ui.load_settings("counts", replace(counts, steps=len(preset_id) * 10)))

