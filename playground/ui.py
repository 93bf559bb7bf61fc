"""The only streamlit importer in `playground`: page headers, the config sidebar with URL round-trip, and the
live view that plays a run in the background and redraws it several times a second.

State: a page's config lives in `st.session_state[f"{page}.config"]` (it survives page switches), the settings
that differ from the page's preset live in the URL, and each live run (network, optimiser, history) is one
`LiveRun` per page section in a session-scoped resource that is released when the tab closes.
"""

from __future__ import annotations

import base64
import json
import math
import re
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
import streamlit as st
import torch
from streamlit.errors import StreamlitPageNotFoundError

from playground import export
from playground.figures import training as training_figures
from playground.live import LiveRun, Scheduler, Steppable
from playground.objectives import unused_setting_note
from playground.training import Trainer, TrainingConfig, parse_config, unused_optimizer_note

# One thread per training run: on 2 cores, intra-op threads fought the server and the browser (~6 → ~99
# steps/s in-server when set to 1; see shared/FACTS.md). Small MLPs gain nothing from more.
torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[1]
STATIC_PLOTLY = ROOT / "static" / "plotly-gan.min.js"
# slow motion; short labels: at 1.3× text (lecture mode) "full speed" was cut off in the fixed-width box
SPEEDS = {"fastest": None, "1k it/s": 1000, "100 it/s": 100, "10 it/s": 10, "1 it/s": 1}
BUTTON_WIDTH = 140             # px, Play/Pause, Step, Reset: fixed, so the row does not shift when Play turns Pause
FRAME_SECONDS = 0.08           # the live view asks for a new frame 12.5 times a second
SECONDARY_EVERY = 8            # curves and rasters redraw every 8th frame (~1.5 Hz): the main chart gets the browser
LECTURE_FONT_SCALE = 1.3       # ?lecture=1: chart text grows with the page's (21 px instead of 16 px)
RESERVED_PARAMS = ("preset", "lecture", "hide")  # URL keys that are not config fields
LECTURE_KEY = "gp_lecture"     # session state: lecture mode, once a link turned it on
GAN_STEP = "One training step: the critic steps, then one generator step."


# --- offline plotly.js for the live component --------------------------------------------------------------
# static/plotly-gan.min.js is plotly.js 4.1.1 cut down to the trace types below (1.6 MB instead of the full
# bundle's 4.8 MB, so a fresh tab compiles it in about a third of the time); tools/plotly_bundle rebuilds it.
# Served from ./static: no CDN, works in a hall without Wi-Fi.
LIVE_TRACE_TYPES = frozenset({"scatter", "scattergl", "bar", "heatmap", "contour", "histogram"})

_LIVE_JS = """
function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__ganPlaygroundPlotly) {
    window.__ganPlaygroundPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL("app/static/plotly-gan.min.js", document.baseURI).href;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => reject(new Error("plotly.js could not be loaded from app/static"));
      document.head.appendChild(script);
    });
  }
  return window.__ganPlaygroundPlotly;
}

const MIN_COLUMN = 360;  // px: narrower than this, a two-column chart grid becomes one column

function scaleFonts(node, factor) {  // lecture mode: every font size in a layout, explicit ones included
  if (!node || typeof node !== "object") return;
  for (const [key, value] of Object.entries(node)) {
    if (key === "font" && value && typeof value.size === "number") value.size *= factor;
    else scaleFonts(value, factor);
  }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  // when the first live chart component mounted (bench/first_chart.py reads it from the performance timeline)
  if (!performance.getEntriesByName("gp-component-mounted").length) performance.mark("gp-component-mounted");
  let root = parentElement.querySelector(".gp-live");
  if (!root) {
    root = document.createElement("div");
    root.className = "gp-live";
    parentElement.appendChild(root);
  }
  const figures = (data && data.figures) || [];
  root.__gpSetTrigger = setTriggerValue;  // the latest render's, for the click handlers hooked once below
  // At most `columns` columns, each at least MIN_COLUMN px (× the lecture font scale): on a narrow screen, or a
  // 1280-px projector in lecture mode, the charts stack instead of squeezing their text into each other.
  const columns = (data && data.columns) || 1, minimum = MIN_COLUMN * ((data && data.font_scale) || 1);
  root.style.gridTemplateColumns = columns === 1 ? "minmax(0, 1fr)"
    : `repeat(auto-fill, minmax(max(${minimum}px, calc((100% - ${(columns - 1) * 12}px) / ${columns})), 1fr))`;
  root.dataset.clicks = data && data.clicks ? "1" : "0";
  while (root.children.length > figures.length) root.removeChild(root.lastChild);
  while (root.children.length < figures.length) {
    const cell = document.createElement("div");
    cell.className = "gp-live-cell";
    root.appendChild(cell);
  }
  if (!figures.length) { loadPlotly(); return; }  // the preload component at the top of each page
  const scale = (data && data.font_scale) || 1;
  loadPlotly().then((Plotly) => {
    const draw = (text, index) => {
      const cell = root.children[index];
      if (text === null || !cell) return;  // null: this frame leaves a secondary chart as it is
      const figure = JSON.parse(text);
      // a figure may ask for a whole row of the grid (layout.meta.full_row), e.g. a last chart left alone in it
      cell.style.gridColumn = figure.layout && figure.layout.meta && figure.layout.meta.full_row ? "1 / -1" : "";
      if (scale !== 1) {
        figure.layout = figure.layout || {};
        figure.layout.font = figure.layout.font || {size: 12};
        scaleFonts(figure.layout, scale);
        // and the margins, which hold the tick labels and axis titles that just grew
        const margin = figure.layout.margin || {}, height = figure.layout.height;
        const plotBefore = height - margin.t - margin.b;
        for (const side of ["l", "r", "t", "b"]) if (typeof margin[side] === "number") margin[side] *= scale;
        // what sits below the plot at a share of its height (replay buttons and slider, some legends) keeps
        // `scale` times its distance in pixels, clear of the enlarged tick labels and axis title
        const stretch = scale * plotBefore / (height - margin.t - margin.b);
        if (stretch > 0 && Number.isFinite(stretch)) {
          const layout = figure.layout;
          [layout.legend, ...(layout.updatemenus || []), ...(layout.sliders || [])].forEach((item) => {
            if (item && item.yref !== "container" && typeof item.y === "number" && item.y < 0) item.y *= stretch;
          });
        }
      }
      // A chart's first draw is SVG: WebGL's start-up (context, shaders; in software on many laptops) delayed
      // a fresh tab's first chart by ~0.07 s (bench/first_chart.py). Later frames switch to WebGL, which redraws
      // faster. Figures with animation frames keep their types (the frames name them).
      if (!cell.dataset.drawn && !(figure.frames || []).length) {
        figure.data.forEach((trace) => { if (trace.type === "scattergl") trace.type = "scatter"; });
      }
      const drawn = Plotly.react(cell, {data: figure.data, layout: figure.layout, frames: figure.frames || [],
                                        config: {displaylogo: false, responsive: true}});
      if (!cell.__gpHooked && cell.on) {
        cell.__gpHooked = true;
        cell.on("plotly_afterplot", () => {
          window.__ganPlaygroundAfterplot = (window.__ganPlaygroundAfterplot || 0) + 1;
          cell.dataset.frames = String(Number(cell.dataset.frames || 0) + 1);
        });
        cell.on("plotly_click", (event) => {  // reported to Python only where chart(..., on_click=...) asks
          const point = event && event.points && event.points[0];
          if (point && root.dataset.clicks === "1") {
            root.__gpSetTrigger("click", {x: point.x, y: point.y, chart: index});
          }
        });
      }
      return Promise.resolve(drawn).then(() => { cell.dataset.drawn = "1"; });  // drawn, not just framed
    };
    // The main chart first; the secondary ones once it has been drawn *and painted*, so it appears (and updates)
    // sooner: animation-frame callbacks run before that frame's paint, so the task after it draws the others.
    return Promise.resolve(draw(figures[0], 0)).then(() => {
      requestAnimationFrame(() => setTimeout(() => {
        try {
          figures.slice(1).forEach((text, index) => draw(text, index + 1));
        } catch (error) { root.textContent = String(error); }
      }, 0));
    });
  }).catch((error) => { root.textContent = String(error); });
}
"""

_LIVE_CSS = """
.gp-live { display: grid; gap: 12px; width: 100%; }
.st-key-gp_preload_plotly { display: none; }  /* mounts all the same: only its plotly.js preload matters */
.gp-live-cell { min-width: 0; }
/* A slide's formula wider than the page wraps after a relation or operator (KaTeX splits the top level there)
   instead of being cut off: a 1280-px projector in lecture mode cut several. */
.katex-display > .katex { white-space: normal; }
.katex-display .base { margin: 0.2em 0; }
"""

_live_charts = st.components.v2.component("gan_playground_live_charts", js=_LIVE_JS, css=_LIVE_CSS,
                                          isolate_styles=False)


_COPY_LINK_JS = """
export default function (component) {
  const { parentElement } = component;
  if (parentElement.querySelector("button")) return;
  const button = document.createElement("button");
  button.className = "gp-copy";
  button.textContent = "Copy link to this view";
  button.title = "The address reproduces this page and every setting that differs from its defaults.";
  const field = document.createElement("input");
  field.className = "gp-copy-field";
  field.readOnly = true;
  field.style.display = "none";
  button.onclick = async () => {
    const link = window.location.href;
    try {
      await navigator.clipboard.writeText(link);
      button.textContent = "✓ Link copied";
    } catch (error) {  // no clipboard outside https/localhost: show the link, selected, for Ctrl+C
      field.value = link;
      field.style.display = "inline-block";
      field.select();
    }
    setTimeout(() => { button.textContent = "Copy link to this view"; }, 2500);
  };
  parentElement.append(button, field);
}
"""
_COPY_LINK_CSS = """
.gp-copy { font: inherit; font-size: 0.9rem; padding: 0.25rem 0.75rem; border-radius: 0.5rem; cursor: pointer;
           border: 1px solid rgba(49, 51, 63, 0.2); background: white; }
.gp-copy-field { margin-left: 0.5rem; width: 60%; font: inherit; font-size: 0.85rem; }
"""
_copy_link = st.components.v2.component("gan_playground_copy_link", js=_COPY_LINK_JS, css=_COPY_LINK_CSS,
                                        isolate_styles=False)


def _encode(value: Any) -> Any:
    """JSON default for numpy: typed arrays as plotly.js's {dtype, bdata, shape} (binary, ~4 bytes a number)."""
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value, dtype=np.float32 if value.dtype.kind == "f" else value.dtype)
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            array = array.astype(np.float64)  # plotly.js reads NaN breaks from f8 as well; keep them
        spec = {"dtype": {"float32": "f4", "float64": "f8", "int64": "i4", "int32": "i4"}.get(str(array.dtype), "f8"),
                "bdata": base64.b64encode(array.astype(
                    {"int64": np.int32}.get(str(array.dtype), array.dtype)).tobytes()).decode()}
        if array.ndim > 1:
            spec["shape"] = ",".join(map(str, array.shape))
        return spec
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot encode {type(value).__name__}")


def figure_json(figure: Any) -> str:
    """A plotly figure (dict spec or graph_objects.Figure) as the JSON string plotly.js reads.

    Raises ValueError for a trace type that the app's plotly.js bundle does not register (it would draw nothing)."""
    if isinstance(figure, Mapping):
        types = {trace.get("type", "scatter") for trace in figure.get("data", ())}
    else:
        types = {trace.type for trace in figure.data}
    if missing := types - LIVE_TRACE_TYPES:
        raise ValueError(f"trace type(s) {', '.join(sorted(missing))} are not in {STATIC_PLOTLY.name}: add them to "
                         "tools/plotly_bundle/entry.js and LIVE_TRACE_TYPES, then rebuild the bundle")
    if isinstance(figure, Mapping):
        # JSON has no NaN: bare NaN/Infinity tokens become null, and only those. A plain .replace("NaN", "null")
        # also rewrote "NaN" inside the base64 of typed arrays (1 in 100 arrays of 44×44 floats), corrupting the
        # rest of that array: a critic background of stripes, D(x) = −1e22.
        try:
            return json.dumps(figure, default=_encode, allow_nan=False)  # the common case: nothing to replace
        except ValueError:
            return _NON_FINITE.sub(_null_outside_strings, json.dumps(figure, default=_encode, allow_nan=True))
    return figure.to_json()


_NON_FINITE = re.compile(r'"(?:[^"\\]|\\.)*"|-?\bInfinity\b|\bNaN\b')


def _null_outside_strings(match: re.Match) -> str:
    token = match.group(0)
    return token if token.startswith('"') else "null"


def live_charts(figures: Sequence[Any], *, key: str | None, columns: int = 1,
                on_click: Callable[[float, float], None] | None = None) -> None:
    """Draw figures with Plotly.react on the same DOM nodes: no remount, no flicker, zoom kept.
    A `None` in `figures` leaves that chart as it was drawn last time. `on_click(x, y)` runs, before the next
    script run, when a point is clicked (a heat map cell counts as a point); it needs a key."""
    data = {"figures": [None if f is None else figure_json(f) for f in figures], "columns": columns,
            "font_scale": LECTURE_FONT_SCALE if lecture_mode() else 1}
    if on_click is None:
        _live_charts(data=data, key=key)
        return
    if key is None:
        raise ValueError("a chart that reports clicks needs a key")
    _live_charts(data={**data, "clicks": True}, key=key, on_click_change=partial(_chart_clicked, key, on_click))


def chart(figure: Any, *, key: str | None, on_click: Callable[[float, float], None] | None = None) -> None:
    """One static plotly figure (animation frames included), drawn by the live-chart component.

    Used instead of st.plotly_chart, whose own 4.6 MiB plotly.js delays a page's first chart by about a second
    (bench/pages_first_chart.py: Vanishing gradients 3.38 → 2.39 s in a fresh tab); reruns redraw it in place,
    keeping the user's zoom; `on_click` as in `live_charts`. `key=None` draws a new chart each call: a progress
    chart redrawn several times within one script run (one key may be used once per run)."""
    live_charts([figure], key=key, on_click=on_click)


def _chart_clicked(key: str, on_click: Callable[[float, float], None]) -> None:
    point = st.session_state[key].get("click") or {}
    try:
        x, y = float(point["x"]), float(point["y"])
    except (KeyError, TypeError, ValueError):  # a category axis or a malformed event: nothing to pick
        return
    on_click(x, y)


# --- page furniture -----------------------------------------------------------------------------------------

PAGES = {  # page file -> (title, icon, what it shows), in lecture order; drawn as the sidebar navigation
    "pages/1_Mode_collapse.py": (
        "Mode collapse", ":material/scatter_plot:",
        "A GAN on 8 / 25 Gaussians or a swiss roll collapses or hops between modes; unrolling, WGAN-GP and "
        "instance noise cure it. Coverage metrics and a mode-occupancy raster."),
    "pages/2_Vanishing_gradients.py": (
        "Vanishing gradients", ":material/trending_down:",
        "The saturating minimax loss vs the non-saturating one, the optimal discriminator D* = π/(π+p), and "
        "Arjovsky & Bottou's frozen-generator experiment."),
    "pages/3_Divergences_vs_theta.py": (
        "Divergences vs θ", ":material/stacked_line_chart:",
        "The parallel-lines example: KL = ∞, JSD = ln 2, W = |θ|, and how instance noise makes the curves smooth."),
    "pages/4_Mode_covering_vs_seeking.py": (
        "Mode covering vs seeking", ":material/target:",
        "One Gaussian fitted to a two-Gaussian mixture by forward KL, reverse KL and JSD: covering, seeking, and "
        "what JSD really does."),
    "pages/5_Earth_movers_distance.py": (
        "Earth mover's distance", ":material/landscape:",
        "Piles of dirt, the optimal transport plan, W₁ between point clouds and the Kantorovich–Rubinstein dual "
        "trained live."),
    "pages/6_WGAN_and_clipping.py": (
        "WGAN and clipping", ":material/crop_free:",
        "WGAN with weight clipping (slider for c) beside WGAN-GP: weights piling at ±c, exploding or vanishing "
        "critic gradients, and the exact W₁ of the samples beside the critics' estimates and a JSD estimate."),
    "pages/7_Density_ratio_and_AVB.py": (
        "Density ratio and AVB", ":material/percent:",
        "A classifier estimates q₁/q₂ and a KL; adversarial variational Bayes against a Gaussian-encoder VAE."),
    "pages/8_Dirac_GAN.py": (
        "Dirac-GAN", ":material/cyclone:",
        "The Dirac-GAN: vector fields and trajectories of unregularised, WGAN, R1 and instance-noise games."),
    "pages/9_Compare_runs.py": (
        "Compare runs", ":material/compare:",
        "Two configurations side by side in lockstep, on the same data and seed, with one Play button."),
    "pages/10_Many_seeds.py": (
        "Many seeds", ":material/grid_view:",
        "Sixteen seeds of one configuration trained at once: how many modes does a loss keep, on average?"),
}


def sidebar_navigation() -> None:
    """The lecture's pages, with titles and icons, at the top of the sidebar (Streamlit's own list, which
    would name the home page after its file, is switched off in .streamlit/config.toml)."""
    with st.sidebar:
        # An empty live-chart component, first on the page: the browser fetches the component's code before the
        # widgets' and starts loading plotly.js while the rest of the page renders, so the first chart appears
        # sooner (~0.1 s in a fresh tab, bench/first_chart.py). Sidebar before main: React renders it first.
        _live_charts(data={"figures": [], "columns": 1}, key="gp_preload_plotly", height=1)
        try:
            st.page_link("app.py", label="Home", icon=":material/home:", query_params=navigation_params())
        except StreamlitPageNotFoundError:  # a page run as its own entry point (AppTest): no app to navigate
            return
        for page_file, (title, icon, _) in PAGES.items():
            if (ROOT / page_file).exists():
                st.page_link(page_file, label=title, icon=icon, query_params=navigation_params())
        st.divider()


def lecture_mode() -> bool:
    """`?lecture=1` enlarges fonts for a projector. It holds for the session: a page opened from the navigation
    (whose links carry it) or typed without it stays in lecture mode, and its address gets `lecture=1` back, so a
    copied link keeps it; `?lecture=0` turns it off."""
    if "lecture" in st.query_params:
        on = str(st.query_params.get("lecture", "")).lower() in {"1", "true", "yes", "on"}
        st.session_state[LECTURE_KEY] = on
        return on
    if st.session_state.get(LECTURE_KEY, False):
        st.query_params["lecture"] = "1"
        return True
    return False


def navigation_params() -> dict[str, str]:
    """Query parameters every link to another page carries: lecture mode, so that it survives navigation."""
    return {"lecture": "1"} if lecture_mode() else {}


def side_by_side(spec: int | Sequence[float] = 2) -> Sequence[Any]:
    """`st.columns(spec)`, or as many containers one under the other in lecture mode: at 1.3× text two columns
    on a 1280-px projector squeeze a chart to a sliver beside its own legend (the Dirac-GAN field did)."""
    count = spec if isinstance(spec, int) else len(spec)
    return [st.container() for _ in range(count)] if lecture_mode() else st.columns(spec)


def accept_ids_in_link(key: str, labels: Mapping[str, str]) -> None:
    """A bound selectbox keeps its option's label in the URL ("cmp_A_preset=WGAN-GP+on+25+Gaussians"); a hand-made
    link with the option's id (?cmp_A_preset=twenty_five_gaussians, the id a notebook and the code use) is read
    as that option too. Call before the widget is drawn.

    The link's id is handed to Streamlit's URL seeding as the label (`_link_values`), so the control takes it and
    the address keeps it; if that internal moves, the control's state is set instead (the view is right, the
    address drops the key)."""
    value = st.query_params.get(key)
    if value not in labels or value in labels.values() or key in st.session_state:
        return
    initial = _link_values()
    if initial is not None and initial.get(key) == [value]:
        initial[key] = [labels[value]]
    else:
        st.session_state[key] = value


def hidden_controls() -> set[str]:
    """`?hide=seed,device,…` hides those controls (TensorFlow Playground's *_hide flags)."""
    return {name.strip() for name in str(st.query_params.get("hide", "")).split(",") if name.strip()}


def page_header(title: str, intro: str, formula: str | None = None) -> None:
    """The sidebar navigation, then the title, a one- or two-sentence intro and the slide's formula."""
    sidebar_navigation()
    lecture = lecture_mode()
    if lecture:
        # Streamlit sizes text in rem: everything grows. The sidebar keeps its pixel width, which cut page names
        # and presets at 1.3× text ("Mode covering vs seeki", "Mode collapse (vanill"): it widens by 40 px, and
        # the main column's side padding (5rem each, grown to 105 px) shrinks to 1.5rem to give the room back;
        # the empty band above the title (6rem, 126 px) to 2.5rem, so the first chart starts higher.
        st.html("<style>html {font-size: 21px;} section[data-testid='stSidebar'][data-collapsed='false'] "
                "{width: 340px !important; min-width: 340px !important;} "
                "[data-testid='stMainBlockContainer'] {padding: 2.5rem 1.5rem 1.5rem 1.5rem;}</style>")
    st.title(title)
    _PAGE_RUN.notice_slot = st.container()  # filled by url_notices() at the end of the page
    if lecture:  # the lecturer says it: the intro folds away and the charts move up on the projector
        with st.expander("What this page shows"):
            st.markdown(intro)
    else:
        st.markdown(intro)
    if formula:
        st.latex(formula)
    _copy_link(key="gp_copy_link")


_PAGE_RUN = threading.local()  # per script thread: where this run's page wants its link notices


def url_notices() -> None:
    """At the top of the page, say which values of the link a control could not take; call it last on a page.

    A control bound to the URL (bind="query-params") takes its value from the link on the page's first load, and
    Streamlit quietly drops a value it cannot read or that is not one of the control's options, or clamps one out
    of range (a link with ?seeds_members=1000 opened at 16 members without a word). Once per page and session this
    compares each bound control's value, in its URL form, with the link's: a difference is said in words."""
    checked = f"gp_url_checked.{_page_id()}"
    if st.session_state.get(checked):
        return
    st.session_state[checked] = True
    notices = _url_values_not_taken()
    slot = getattr(_PAGE_RUN, "notice_slot", None) or st.container()
    for key, asked, shown in notices:
        slot.warning(f"The link's **{key}={asked}** could not be used here (not one of the control's values, or "
                     f"outside its range): it shows **{shown}**.", icon=":material/link_off:")


def _page_id() -> str:
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    context = get_script_run_ctx()
    return context.page_script_hash if context is not None else ""


def _url_values_not_taken() -> list[tuple[str, str, str]]:
    """(key, the link's value, the value the control shows) for each control bound to the URL whose value, in the
    form the URL writes it, differs from the link's. Repeats Streamlit's own parsing of a bound value (the parser,
    deserializer and serializer its URL binding uses); none if those internals move in a later Streamlit."""
    try:
        from streamlit.runtime.state.query_params import parse_url_param
        from streamlit.runtime.state.session_state_proxy import get_session_state

        state = get_session_state()._state
        key_ids, metadata_by_id = state._key_id_mapper, state._new_widget_state.widget_metadata
    except (ImportError, AttributeError):
        return []
    initial = dict(_link_values() or {})
    notices = []
    for key, values in initial.items():
        widget_id = key_ids.get_id_from_key(key, None)
        metadata = metadata_by_id.get(widget_id) if widget_id is not None else None
        if metadata is None or getattr(metadata, "bind", None) != "query-params" or key not in st.session_state:
            continue
        raw = values[0] if len(values) == 1 else list(values)
        try:
            asked = parse_url_param(raw, metadata.value_type)
            shown = metadata.serializer(st.session_state[key])
        except Exception:  # noqa: BLE001 — a notice is a courtesy: it must never be what breaks the page
            continue  # nothing to compare with: say nothing rather than something wrong
        if shown != asked:
            notices.append((key, _url_text(raw), _url_text(shown)))
    return notices


def _link_values() -> dict[str, list[str]] | None:
    """The link's query values as Streamlit seeds bound controls from them on a page's first load (its own dict,
    an internal of Streamlit), or None if that internal has moved."""
    try:
        from streamlit.runtime.state.session_state_proxy import get_session_state

        return get_session_state()._state.query_params._initial_query_params
    except (ImportError, AttributeError):
        return None


def _url_text(value: Any) -> str:
    values = value if isinstance(value, list | tuple) else [value]
    return ", ".join(f"{item:g}" if isinstance(item, float) else str(item) for item in values)


# --- the config sidebar, with URL round-trip -----------------------------------------------------------------

SIDEBAR_GROUPS: dict[str, tuple[str, ...]] = {
    "The game": ("objective", "critic_steps", "unrolled_steps", "clip_value", "gp_weight", "instance_noise",
                 "noise_anneal_steps"),
    "Optimisation": ("generator_lr", "critic_lr", "generator_optimizer", "critic_optimizer", "beta1", "beta2",
                     "batch_size"),
    "Data and networks (restart)": ("dataset", "seed", "latent_size", "generator_hidden_units", "generator_depth",
                                    "critic_hidden_units", "critic_depth", "activation", "device", "coverage_every"),
}
_LOG_MANTISSAS = (1.0, 2.0, 5.0)


def _log_options(low: float, high: float, current: float) -> list[float]:
    options = {current}
    for exponent in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
        for mantissa in _LOG_MANTISSAS:
            value = float(f"{mantissa * 10.0**exponent:.10g}")
            if low <= value <= high:
                options.add(value)
    return sorted(options)


def _choice_label(choices: Mapping[str, Any], key: str) -> str:
    value = choices[key]
    return getattr(value, "label", value if isinstance(value, str) else key)


def _widget(name: str, spec: dict[str, Any], key: str, current: Any, unused: str | None = None) -> Any:
    """The control for one `TrainingConfig` field. `unused` (why the current loss ignores the field) greys it
    out and says why in its help: a slider that visibly moves but changes nothing misleads a hall."""
    label = spec["label"] + ("" if spec["live"] else " ↻")
    help_text = spec.get("help", "") + ("" if spec["live"] else " Changing it starts a new run.")
    if unused:
        help_text = f"{help_text} {unused}"
    common = {"key": key, "help": help_text, "disabled": bool(unused)}
    if "choices" in spec:
        choices = spec["choices"]
        return st.selectbox(label, list(choices), format_func=lambda k: _choice_label(choices, k), **common)
    low, high = spec["min"], spec["max"]
    if spec.get("log"):
        return st.select_slider(label, _log_options(low, high, current), format_func=lambda v: f"{v:g}", **common)
    if spec.get("widget") == "powers_of_two":
        options = sorted({2**k for k in range(int(math.log2(low)), int(math.log2(high)) + 1)} | {current})
        return st.select_slider(label, options, **common)
    if spec["type"] is int:
        if spec.get("widget") == "number" or high - low > 64:
            return int(st.number_input(label, min_value=low, max_value=high, step=1, **common))
        return st.slider(label, low, high, **common)
    step = spec.get("step", 0.01)
    if spec.get("widget") == "number":
        return float(st.number_input(label, min_value=float(low), max_value=float(high), step=step, format="%g",
                                     **common))
    return st.slider(label, float(low), float(high), step=step, **common)


def _seed_widgets(page: str, config: TrainingConfig) -> None:
    for name, value in asdict(config).items():
        st.session_state[f"{page}.{name}"] = value


def config_sidebar(page: str, presets: Mapping[str, Any], default_preset: str) -> TrainingConfig:
    """Sidebar widgets for every `TrainingConfig` field, grouped, starting from a preset.

    The URL holds the preset id and the fields that differ from it, so a copied link reproduces the view.
    Unknown keys and bad values fall back to the preset's value with a visible notice, never an exception.
    """
    config_key, preset_key = f"{page}.config", f"{page}.preset"
    if config_key not in st.session_state:  # first visit in this session: the URL wins
        params = {key: st.query_params.get(key) for key in st.query_params}
        notices = []
        preset_id = params.get("preset") or default_preset
        if preset_id not in presets:
            notices.append(f"Unknown preset “{str(preset_id)[:40]}”: using “{presets[default_preset].label}”.")
            preset_id = default_preset
        fields = {k: v for k, v in params.items() if k not in RESERVED_PARAMS}
        config, field_notices = parse_config(fields, presets[preset_id].config())
        st.session_state[config_key] = config
        st.session_state[preset_key] = preset_id
        st.session_state[f"{page}.notices"] = notices + field_notices
    stored: TrainingConfig = st.session_state[config_key]
    for name, value in asdict(stored).items():  # widgets forget their state on page switches: re-seed them
        st.session_state.setdefault(f"{page}.{name}", value)
    st.session_state.setdefault(f"{page}.preset_choice", st.session_state[preset_key])

    def load_preset() -> None:
        preset_id = st.session_state[f"{page}.preset_choice"]
        st.session_state[preset_key] = preset_id
        _seed_widgets(page, presets[preset_id].config())

    hidden = hidden_controls()
    with st.sidebar:
        for notice in st.session_state.pop(f"{page}.notices", []):
            st.warning(notice)
        if loaded := st.session_state.pop(f"{page}.loaded", None):
            st.success(loaded)  # a file that loaded cleanly is good news, not a warning
        st.selectbox("Preset", list(presets), key=f"{page}.preset_choice", on_change=load_preset,
                     format_func=lambda k: presets[k].label, help="A starting point; each setting can be changed.")
        st.caption(presets[st.session_state[preset_key]].note)
        specs = TrainingConfig.field_specs()
        values = {}
        for index, (group, names) in enumerate(SIDEBAR_GROUPS.items()):
            visible = [n for n in names if n not in hidden]
            # Lazy groups: a closed group's widgets are not built (a first visit draws its chart sooner); its
            # values are the seeded widget state, so presets and URLs still reach them.
            section = st.expander(group, expanded=index == 0, key=f"{page}.group{index}", on_change="rerun")
            if section.open is False:
                for name in visible:
                    # Re-assigning keeps the value while its widget is not built (Streamlit drops the state of
                    # widgets a run does not draw, and a widget re-drawn later would fall back to its default).
                    st.session_state[f"{page}.{name}"] = values[name] = st.session_state[f"{page}.{name}"]
                continue
            with section:
                for name in visible:
                    # the loss is drawn first in its group: its value greys out the settings it ignores
                    objective = values.get("objective", st.session_state[f"{page}.objective"])
                    # the optimisers are drawn before β₁ and β₂: RMSprop on both networks greys the betas out
                    optimizers = [values.get(key, st.session_state[f"{page}.{key}"])
                                  for key in ("generator_optimizer", "critic_optimizer")]
                    values[name] = _widget(name, specs[name], f"{page}.{name}", st.session_state[f"{page}.{name}"],
                                           unused_setting_note(objective, name)
                                           or unused_optimizer_note(name, *optimizers))
        for name in hidden:
            if name in specs:
                values[name] = getattr(stored, name)
    config = TrainingConfig(**{**asdict(stored), **values})
    st.session_state[config_key] = config
    _write_url(presets[st.session_state[preset_key]].config(), config, st.session_state[preset_key],
               default_preset)
    return config


def _write_url(preset_config: TrainingConfig, config: TrainingConfig, preset_id: str, default_preset: str) -> None:
    wanted = {key: st.query_params.get(key) for key in ("lecture", "hide") if key in st.query_params}
    if preset_id != default_preset:
        wanted["preset"] = preset_id
    wanted.update({name: f"{value:g}" if isinstance(value, float) else str(value)
                   for name, value in asdict(config).items() if value != getattr(preset_config, name)})
    current = {key: st.query_params.get(key) for key in st.query_params}
    if current != wanted:
        st.query_params.from_dict(wanted)


# --- the live view ---------------------------------------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def _scheduler() -> Scheduler:
    """One scheduler per server process: every session's training takes turns."""
    return Scheduler()


def _close_all(runs: dict[str, LiveRun]) -> None:
    for live in runs.values():
        live.close(timeout=0.5)
    runs.clear()


@st.cache_resource(scope="session", on_release=_close_all, show_spinner=False)
def _session_runs() -> dict[str, LiveRun]:
    """This session's live runs; released (threads stopped, memory freed) when the tab closes."""
    return {}


def _runs() -> dict[str, LiveRun]:
    try:
        return _session_runs()
    except Exception:  # no session (bare mode): fall back to session state
        return st.session_state.setdefault("_gan_playground_runs", {})


def live_view(key: str, make_run: Callable[[], Steppable],
              render: Callable[[dict[str, Any]], Sequence[Any]], *,
              restart_token: Hashable = None, update: Callable[[Steppable], None] | None = None,
              columns: int = 2, single_steps: Mapping[str, Callable[[Steppable], Any]] | None = None,
              restart_message: str | None = None, step_help: str = GAN_STEP) -> Steppable:
    """Play / pause / step / reset a run and redraw `render(snapshot)` ~10 times a second while it plays.

    `render` returns plotly figures (dict specs or go.Figure) and markdown strings. `restart_token` changing
    starts a fresh run; `update(run)` applies live settings on every rerun; `step_help` says what Step does (a
    GAN's step by default). Returns the run.
    """
    runs = _runs()
    live = runs.get(key)
    token_key = f"{key}.token"
    if live is not None and st.session_state.get(token_key) != restart_token:
        live.close(timeout=0.5)
        live = None
        st.toast(restart_message or "Settings changed: started a new run.", icon=":material/restart_alt:")
    if live is None:
        live = _start(key, make_run)
        runs[key] = live
        st.session_state[token_key] = restart_token
    if update is not None:
        live.apply(update)

    # one row of fixed-width buttons that wraps when the page is narrow: in equal columns they were cut to "P…"
    # at 1280 px in lecture mode
    row = st.container(horizontal=True, gap="small")
    if row.button("Pause" if live.playing else "Play", key=f"{key}.play", type="primary",
                  icon=":material/pause:" if live.playing else ":material/play_arrow:",
                  width=BUTTON_WIDTH, disabled=bool(live.diverged or live.error)):
        live.pause() if live.playing else live.play()
        st.rerun()
    if row.button("Step", key=f"{key}.step", icon=":material/skip_next:", width=BUTTON_WIDTH,
                  help=step_help):
        live.advance(1)
    for index, (label, action) in enumerate((single_steps or {}).items()):
        if row.button(label, key=f"{key}.single.{index}", width=BUTTON_WIDTH):
            live.apply(action)
    if row.button("Reset", key=f"{key}.reset", icon=":material/restart_alt:", width=BUTTON_WIDTH,
                  help="A fresh run with the same settings."):
        live.close(timeout=0.5)
        runs[key] = _start(key, make_run)
        st.rerun()
    speed = row.selectbox("Speed", list(SPEEDS), key=f"{key}.speed", label_visibility="collapsed",
                          icon=":material/speed:", width=BUTTON_WIDTH + 40,
                          help="Slow motion: at most this many training steps a second while playing.")
    live.set_max_rate(SPEEDS[speed])

    run_every = FRAME_SECONDS if live.playing else None
    st.fragment(_live_frame, run_every=run_every)(key, render, columns, live.playing, bool(single_steps))
    return live.run


def _start(key: str, make_run: Callable[[], Steppable]) -> LiveRun:
    return LiveRun(make_run(), _scheduler())


def _live_frame(key: str, render: Callable[[dict[str, Any]], Sequence[Any]], columns: int,
                was_playing: bool, single_steps: bool = False) -> None:
    live = _runs().get(key)
    if live is None:
        return
    snapshot = live.snapshot()
    rate = f" · {live.steps_per_second:,.0f} it/s" if live.playing else ""
    updates = ""
    if single_steps and "generator_updates" in snapshot:  # D step / G step move the run but not its step count
        updates = "".join(f" · {count:,} {name} update{'s' if count != 1 else ''}" for name, count in (
            ("D", snapshot["critic_updates"]), ("G", snapshot["generator_updates"])))
    st.markdown(f"**Step {snapshot.get('step', live.step):,}**{updates}{rate}")
    if live.diverged:
        st.error(live.diverged)
    if live.error:
        st.error(f"The run stopped: {live.error}. Press Reset to start again.")
    if live.stopped_idle:
        st.info("Paused because nobody was watching. Press Play to continue.")
    try:
        items = list(render(snapshot))
    except Exception as error:  # a drawing bug must not hide the controls behind a traceback
        st.error(f"This view could not be drawn ({type(error).__name__}: {error}).")
        items = []
    figures = [item for item in items if not isinstance(item, str)]
    for text in (item for item in items if isinstance(item, str)):
        st.markdown(text)
    frame = st.session_state.get(f"{key}.frame", 0) + 1
    st.session_state[f"{key}.frame"] = frame
    if live.playing and frame % SECONDARY_EVERY:
        figures = figures[:1] + [None] * (len(figures) - 1)
    if figures:
        live_charts(figures, key=f"{key}.charts", columns=columns)
    if was_playing and not live.playing:  # it stopped itself (diverged, idle): stop the frame timer
        st.rerun()


def share_link() -> None:
    """The URL of this exact view (page, preset and every changed setting), with a copy button."""
    base = st.context.url or ""
    query = urlencode({key: st.query_params.get(key) for key in st.query_params})
    link = f"{base}?{query}" if query else base
    # A plain link, not st.code: st.code pulls in a 1.5 MB syntax highlighter and delays the first chart.
    st.markdown(f"[{link}]({link})" if link else "(no address: open the app in a browser)")


def _load_config_upload(page: str, presets: Mapping[str, Any] | None = None) -> None:
    upload = st.session_state.get(f"{page}.upload")
    if upload is None:
        return
    config, notices = export.load_config_json(upload.getvalue(), st.session_state[f"{page}.config"])
    st.session_state[f"{page}.config"] = config
    _seed_widgets(page, config)
    if notices:
        st.session_state[f"{page}.notices"] = notices
    else:
        st.session_state[f"{page}.loaded"] = f"Loaded settings from {upload.name}."


def run_tools(page: str, trainer: Trainer) -> None:
    """Replay (scrub through recorded frames), export (CSV, JSON, GIF), load a config, share a link.

    The tabs are lazy: only the open tab's content runs, so a first visit neither builds the export files nor
    loads the download/upload widgets' code before the first chart appears."""
    replay, export_tab, share = st.tabs(["Replay", "Export and load", "Share"], key=f"{page}.tools",
                                        on_change="rerun")
    for tab, draw in ((replay, _replay_tab), (export_tab, _export_tab), (share, _share_tab)):
        if tab.open is not False:  # None: no tab state (never in the app); draw everything as plain tabs do
            with tab:
                draw(page, trainer)


def _replay_tab(page: str, trainer: Trainer) -> None:
    frames = list(trainer.frames)
    if len(frames) < 2:
        st.caption("Frames are recorded at every coverage checkpoint: train a few hundred steps to replay.")
        return
    index = st.slider("Frame", 0, len(frames) - 1, len(frames) - 1, key=f"{page}.replay",
                      format=f"%d of {len(frames) - 1}",
                      help="Scrub back and forth through training; the newest frame is on the right.")
    frame = frames[index]
    chart(training_figures.samples_and_critic(frame, title=f"Replay · step {frame['step']:,}"),
          key=f"{page}.replay_chart")


def _export_tab(page: str, trainer: Trainer) -> None:
    left, middle, right = st.columns(3)
    left.download_button("Metrics (CSV)", export.history_csv(trainer), file_name=f"{page}_metrics.csv",
                         mime="text/csv", icon=":material/table_view:", key=f"{page}.csv")
    middle.download_button("Settings (JSON)", export.config_json(trainer.config), file_name=f"{page}_config.json",
                           mime="application/json", icon=":material/settings:", key=f"{page}.json")
    if right.button("Make an animated GIF", icon=":material/movie:", key=f"{page}.make_gif",
                    disabled=len(trainer.frames) < 2):
        with st.spinner("Drawing frames…"):
            st.session_state[f"{page}.gif"] = export.replay_gif(list(trainer.frames), trainer.dataset.modes,
                                                                title=trainer.objective.label)
    if f"{page}.gif" in st.session_state:
        right.download_button("Download GIF", st.session_state[f"{page}.gif"], file_name=f"{page}.gif",
                              mime="image/gif", key=f"{page}.gif_download")
    st.file_uploader("Load settings (JSON exported here)", type=["json"], key=f"{page}.upload",
                     on_change=_load_config_upload, args=(page,))


def _share_tab(page: str, trainer: Trainer) -> None:
    st.caption("This link reproduces the page, its preset and every setting you changed.")
    share_link()


def live_training(page: str, config: TrainingConfig,
                  render: Callable[[dict[str, Any]], Sequence[Any]], *, columns: int = 2) -> Trainer:
    """The live view of a `Trainer`: restart-only changes start a new run (and say so), live ones apply in place."""
    specs = TrainingConfig.field_specs()
    restart_fields = tuple((name, getattr(config, name)) for name, spec in specs.items() if not spec["live"])
    # A preset is a fresh start: picking one that differs only in live settings (Mode collapse → WGAN-GP) carried
    # on from the collapsed run, and its note ("D(G(z)) ≈ 1e-6") did not describe what the charts showed.
    token = (restart_fields, st.session_state.get(f"{page}.preset"))
    previous_fields, previous_preset = st.session_state.get(f"{page}.restart_token", token)
    changed = ["Preset"] if token[1] != previous_preset else [
        specs[name]["label"] for (name, value), (_, old) in zip(restart_fields, previous_fields, strict=True)
        if value != old]
    st.session_state[f"{page}.restart_token"] = token
    trainer = live_view(
        f"{page}.live", lambda: Trainer(config), render,
        restart_token=token,
        update=lambda trainer: trainer.update_config(config),
        columns=columns,
        single_steps={"D step": lambda t: t.critic_step(), "G step": lambda t: t.generator_step()},
        restart_message=f"{', '.join(changed) or 'Settings'} changed: started a new run.",
    )
    run_tools(page, trainer)
    return trainer
