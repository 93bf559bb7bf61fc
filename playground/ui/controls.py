"""`controls`: one widget per knob of a page's settings dataclass, with presets, greying and the URL round trip.

    settings = ui.controls("divergences", ThetaSettings)                       # no presets
    config = ui.controls("mode_collapse", TrainingConfig, PRESETS, "mode_collapse", groups=TRAINING_GROUPS)

State (all in `st.session_state`, so it survives page switches): `{page}.config` the settings object,
`{page}.preset` the preset id, `{page}.{field}` each widget's value, `{page}.preset_choice` the preset box.
On the session's first visit to a page the link wins (tolerantly: what a control cannot take is named in a
notice); afterwards the widgets do, and the URL is rewritten to the preset and the fields that differ from it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, replace
from typing import Any

import streamlit as st

from playground import settings as settings_layer
from playground.settings import field_specs, parse_settings, url_params
from playground.ui import url
from playground.ui.widgets import widget

Groups = Mapping[str, Sequence[str]]
CUSTOM_PRESET = "custom"        # a reading preset box's id for settings that match no preset

# Mode collapse's sidebar: the first group open, the others lazy (closed groups build no widgets).
TRAINING_GROUPS: dict[str, tuple[str, ...]] = {
    "The game": ("objective", "critic_steps", "generator_steps", "unrolled_steps", "clip_value", "gp_weight",
                 "r1_weight", "instance_noise", "noise_anneal_steps"),
    "Optimisation": ("generator_lr", "critic_lr", "generator_optimizer", "critic_optimizer", "beta1", "beta2",
                     "batch_size"),
    "Data and networks (restart)": ("dataset", "seed", "latent_size", "generator_hidden_units", "generator_depth",
                                    "critic_hidden_units", "critic_depth", "activation", "device", "coverage_every"),
}

_RUN = threading.local()  # per script thread: the preset each settings object this run returned came from


def controls(page: str, cls: type, presets: Mapping[str, Any] | None = None, default_preset: str | None = None,
             *, groups: Groups | None = None, lazy_groups: bool = True, columns: int | None = None,
             location: Any = "sidebar", preset_url: str = "preset", report_unknown: bool = True,
             custom_preset: str | None = None,
             on_preset: Callable[[str], Any] | None = None) -> Any:
    """Draw a widget for every knob of `cls` and return the frozen settings object they describe.

    `presets`: id -> object with `label`, `note` and `overrides` (a dict of fields), as `settings.Preset`; a
    preset box is drawn when there are any, and picking one re-seeds every widget (and starts a fresh run in
    `live_view`). `groups`: title -> field names, drawn as expanders (the first open; a closed one builds no
    widgets but keeps its fields' values), or with `lazy_groups=False` as bold headings over always-built widgets
    (an empty title: no heading); fields in no group are not drawn and keep their values. `columns`: each group's
    controls side by side, that many to a row (in the main area, e.g. `location=st.container()`). `location`:
    "sidebar" or a container. `preset_url`: the preset's URL key. `report_unknown`: name the link's keys that
    are no field of `cls` (a page with two sections turns it off in both). `?hide=a,b` leaves those controls
    out; a field the class's `unused_note` hook says is ignored is greyed out, with the reason in its help, and one
    its `shows(name)` hook says is irrelevant now (e.g. piles beyond the chosen count) is not drawn at all.
    `custom_preset` (a label) makes the preset box a reading of the settings rather than their base: it names the
    first preset whose overrides the controls hold, or this label, offered only while it is the reading; picking a
    preset sets its overrides' fields only, and the address holds no preset, just the fields that differ from
    `default_preset`'s.
    `on_preset(preset_id)`: called when a preset is picked, after this section's controls took it (e.g. to set
    another section's controls with `load_settings`: Compare's presets bring the dataset both runs share).
    """
    specs = field_specs(cls)
    presets = presets or {}
    default_preset = default_preset or next(iter(presets), None)
    config_key, preset_key = f"{page}.config", f"{page}.preset"
    owned = {spec["url"] for spec in specs.values()} | set(specs) | ({preset_url} if presets else set())
    if config_key not in st.session_state:  # first visit in this session: the link wins
        settings, preset_id, notices, stale = _from_link(cls, presets, default_preset, preset_url, owned,
                                                          report_unknown)
        st.session_state[config_key], st.session_state[preset_key] = settings, preset_id
        st.session_state[f"{page}.notices"] = notices
        owned |= stale  # the link's unknown keys, once named, leave the address
    stored = st.session_state[config_key]
    for name, value in asdict(stored).items():  # widgets forget their state on page switches: re-seed them
        st.session_state.setdefault(f"{page}.{name}", value)
    reads = bool(presets) and custom_preset is not None
    if reads:  # the box names what the controls hold now (a slider moved since: maybe no preset)
        reading = settings_layer.matching_preset(_current(page, stored), presets) or CUSTOM_PRESET
        st.session_state[preset_key] = st.session_state[f"{page}.preset_choice"] = reading
    elif presets:
        st.session_state.setdefault(f"{page}.preset_choice", st.session_state[preset_key])

    hidden = url.hidden_controls()
    drawn_groups = dict(groups) if groups is not None else {"": tuple(specs)}
    with st.sidebar if location == "sidebar" else location:
        for notice in st.session_state.pop(f"{page}.notices", []):
            st.warning(notice)
        if loaded := st.session_state.pop(f"{page}.loaded", None):
            st.success(loaded)  # a file that loaded cleanly is good news, not a warning
        if presets:
            custom = st.session_state[preset_key] not in presets  # "Custom" is offered only while it is the reading
            st.selectbox("Preset", [*presets, *([CUSTOM_PRESET] if custom else [])], key=f"{page}.preset_choice",
                         on_change=_pick_preset, args=(page, cls, presets, reads, on_preset),
                         format_func=lambda k: presets[k].label if k in presets else custom_preset,
                         help="Loads a preset's settings; it names the preset the controls hold, if any." if reads
                         else "A starting point; each setting can be changed.")
            if not custom:
                st.caption(presets[st.session_state[preset_key]].note)
        current = _current(page, stored)  # what the widgets hold now: greying follows a choice made this run
        drawn = set()
        for index, (title, names) in enumerate(drawn_groups.items()):
            visible = [name for name in names if name not in hidden and specs[name]["url"] not in hidden
                       and settings_layer.shows(current, name)]
            if title and lazy_groups:
                section = st.expander(title, expanded=index == 0, key=f"{page}.group{index}", on_change="rerun")
            else:
                section = st.container()
                if title:
                    section.markdown(f"**{title}**")
            if getattr(section, "open", None) is False:  # lazy: a closed group builds no widgets
                continue
            with section:
                cells = _cells(len(visible), columns)
                for name, cell in zip(visible, cells, strict=True):
                    with cell:
                        widget(widget_key(page, name), specs[name], settings_layer.unused_note(current, name))
                    drawn.add(name)
    # Every field's value is its widget state; re-assigning keeps it while its widget is not drawn (Streamlit
    # drops the state of widgets a run does not draw, and a widget drawn later would fall back to its default).
    values = {name: st.session_state[f"{page}.{name}"] for name in specs}
    for name in specs.keys() - drawn:
        st.session_state[f"{page}.{name}"] = values[name]
    settings = _build(stored, values)
    st.session_state[config_key] = settings
    preset_id = st.session_state.get(preset_key)
    wanted = url_params(settings, _preset_settings(cls, presets, default_preset if reads else preset_id))
    if presets and not reads and preset_id != default_preset:
        wanted = {preset_url: preset_id, **wanted}
    url.write(owned, wanted)
    _remember_origin(settings, page if reads else f"{page}:{preset_id}")  # a reading is no run's origin
    return settings


def widget_key(page: str, name: str) -> str:
    """The session-state key of the control `controls(page, …)` draws for the field `name` (tests look it up)."""
    return f"{page}.{name}"


def origin_of(settings: Any) -> str | None:
    """"page:preset" for a settings object `controls` returned in this script run (None for any other): a run
    started from one preset restarts when another is picked, even if only live fields differ."""
    entry = getattr(_RUN, "origins", {}).get(id(settings))
    return entry[1] if entry is not None and entry[0] is settings else None


def load_settings(page: str, settings: Any, notices: Sequence[str] = (), loaded: str | None = None) -> None:
    """Put `settings` (e.g. read from a file) into the page's controls; call from a widget callback. `notices`
    are shown as warnings, `loaded` (when there are none) as a success message."""
    st.session_state[f"{page}.config"] = settings
    _seed_widgets(page, settings)
    if notices:
        st.session_state[f"{page}.notices"] = list(notices)
    elif loaded:
        st.session_state[f"{page}.loaded"] = loaded


def _from_link(cls: type, presets: Mapping[str, Any], default_preset: str | None, preset_url: str,
               owned: set[str], report_unknown: bool) -> tuple[Any, str | None, list[str], set[str]]:
    params = url.read()
    notices: list[str] = []
    preset_id = default_preset
    asked = params.get(preset_url) if presets else None
    if asked:
        by_label = {preset.label: key for key, preset in presets.items()}  # bound preset boxes wrote labels
        if asked in presets or asked in by_label:
            preset_id = by_label.get(asked, asked)
        else:
            notices.append(f"Unknown preset “{settings_layer.shorten(asked)}”: using "
                           f"“{presets[default_preset].label}”.")
    base = _preset_settings(cls, presets, preset_id)
    unknown = {key for key in params if key not in owned and key not in url.RESERVED_PARAMS} if report_unknown \
        else set()
    fields = {key: value for key, value in params.items() if key in owned - {preset_url} or key in unknown}
    settings, field_notices = parse_settings(cls, fields, base)
    return settings, preset_id, notices + field_notices, unknown


def _preset_settings(cls: type, presets: Mapping[str, Any], preset_id: str | None) -> Any:
    preset = presets.get(preset_id) if preset_id is not None else None
    return cls(**preset.overrides) if preset is not None else cls()


def _pick_preset(page: str, cls: type, presets: Mapping[str, Any], reads: bool = False,
                 on_preset: Callable[[str], Any] | None = None) -> None:
    preset_id = st.session_state[f"{page}.preset_choice"]
    if preset_id not in presets:  # the custom reading: nothing to load
        return
    st.session_state[f"{page}.preset"] = preset_id
    if reads:  # only the preset's own fields: the others keep what the controls hold
        current = _current(page, st.session_state[f"{page}.config"])
        _seed_widgets(page, _build(current, presets[preset_id].overrides))
    else:
        _seed_widgets(page, _preset_settings(cls, presets, preset_id))
    if on_preset is not None:
        on_preset(preset_id)


def _seed_widgets(page: str, settings: Any) -> None:
    for name, value in asdict(settings).items():
        st.session_state[f"{page}.{name}"] = value


def _current(page: str, stored: Any) -> Any:
    return _build(stored, {name: st.session_state[f"{page}.{name}"] for name in asdict(stored)})


def _build(stored: Any, values: Mapping[str, Any]) -> Any:
    try:
        return replace(stored, **values)
    except (TypeError, ValueError):  # widget values the class refuses together: keep the last good settings
        return stored


def _remember_origin(settings: Any, origin: str) -> None:
    origins = getattr(_RUN, "origins", None)
    if origins is None:
        origins = _RUN.origins = {}
    origins[id(settings)] = (settings, origin)  # the object itself is kept, so its id cannot be reused
    while len(origins) > 16:  # a few pages' worth: older runs' objects are not asked about again
        origins.pop(next(iter(origins)))


def _cells(count: int, columns: int | None) -> list[Any]:
    """Where each of `count` controls goes: one under the other, or `columns` to a row."""
    if not columns:
        return [st.container() for _ in range(count)]
    cells: list[Any] = []
    while len(cells) < count:
        cells.extend(st.columns(columns))
    return cells[:count]
