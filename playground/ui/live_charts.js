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

const BOTTOM_GAP = 16;  // px left under a chart sized to the window, so its lower edge shows

function heightBelow(cell, least) {  // the window's height below the cell's top, between `least` and the window's
  let top = cell.getBoundingClientRect().top + window.scrollY;
  for (let node = cell.parentElement; node; node = node.parentElement) top += node.scrollTop || 0;  // in the page
  const room = window.innerHeight - top - BOTTOM_GAP;
  return Math.round(Math.min(Math.max(room, least), window.innerHeight - BOTTOM_GAP));
}

const REFIT_MS = 800;

function refit(Plotly, cell, least) {  // a chart sized to the window, resized if what stands above it has changed
  const height = heightBelow(cell, least);
  if (cell._fullLayout && Math.abs(cell._fullLayout.height - height) > 4) Plotly.relayout(cell, {height});
}

function scaleFonts(node, factor) {  // lecture mode: every font size in a layout, explicit ones included
  if (!node || typeof node !== "object") return;
  for (const [key, value] of Object.entries(node)) {
    if (key === "font" && value && typeof value.size === "number") value.size *= factor;
    else scaleFonts(value, factor);
  }
}

const PAINT_STEP = 6;  // px the pointer moves between two reported brush positions

// A canvas chart (live_charts(..., on_paint=...)): a press, or a press and drag, over the plot area collects the
// data coordinates it passes (the axes' p2d on the cell's _fullLayout), marks them with dots, and reports them in
// one batch when the button is released.
function hookPainting(cell, root) {
  if (cell.__gpPaintHooked) return;
  cell.__gpPaintHooked = true;
  let stroke = null;
  const position = (event) => {
    const full = cell._fullLayout, box = cell.getBoundingClientRect();
    if (!full || !full.xaxis || !full.yaxis) return null;
    const px = event.clientX - box.left - full.xaxis._offset, py = event.clientY - box.top - full.yaxis._offset;
    if (px < 0 || py < 0 || px > full.xaxis._length || py > full.yaxis._length) return null;
    return {px: event.clientX - box.left, py: event.clientY - box.top,
            data: [full.xaxis.p2d(px), full.yaxis.p2d(py)]};
  };
  const mark = (at) => {
    const dot = document.createElement("div");
    dot.className = "gp-paint-dot";
    dot.style.cssText = `position:absolute;left:${at.px - 4}px;top:${at.py - 4}px;width:8px;height:8px;` +
      "border-radius:50%;background:rgba(31,119,180,0.6);pointer-events:none;z-index:10";
    cell.appendChild(dot);
  };
  const add = (event) => {
    const at = position(event);
    if (!at) return;
    const last = stroke.last;
    if (last && Math.hypot(at.px - last.px, at.py - last.py) < PAINT_STEP) return;
    stroke.points.push(at.data);
    stroke.last = at;
    mark(at);
  };
  cell.style.position = cell.style.position || "relative";
  cell.addEventListener("mousedown", (event) => {
    if (root.dataset.paint !== "1" || event.button !== 0 || !position(event)) return;
    event.preventDefault();
    event.stopPropagation();
    stroke = {points: [], last: null};
    add(event);
  }, true);
  window.addEventListener("mousemove", (event) => { if (stroke) add(event); });
  window.addEventListener("mouseup", () => {
    if (!stroke) return;
    const points = stroke.points;
    stroke = null;
    if (points.length) root.__gpSetTrigger("paint", {points});
    setTimeout(() => cell.querySelectorAll(".gp-paint-dot").forEach((dot) => dot.remove()), 1500);
  });
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
  root.dataset.paint = data && data.paint ? "1" : "0";
  while (root.children.length > figures.length) root.removeChild(root.lastChild);
  while (root.children.length < figures.length) {
    const cell = document.createElement("div");
    cell.className = "gp-live-cell";
    root.appendChild(cell);
  }
  if (!figures.length) { loadPlotly(); return; }  // the preload component at the top of each page
  const scale = (data && data.font_scale) || 1, mainHeight = data && data.main_height === "viewport";
  loadPlotly().then((Plotly) => {
    const draw = (text, index) => {
      const cell = root.children[index];
      if (text === null || !cell) return;  // null: this frame leaves a secondary chart as it is
      const figure = JSON.parse(text);
      // a figure may ask for a whole row of the grid (layout.meta.full_row), e.g. a last chart left alone in it
      cell.style.gridColumn = figure.layout && figure.layout.meta && figure.layout.meta.full_row ? "1 / -1" : "";
      // the page's main view: its first row of charts as tall as the window allows (figure.layout.height is the
      // least), so the picture fills the projector's screen; a square plot keeps its square window inside
      const tall = mainHeight && cell.offsetTop === root.children[0].offsetTop;
      const least = figure.layout && typeof figure.layout.height === "number" ? figure.layout.height : 450;
      if (scale !== 1 || tall) {
        figure.layout = figure.layout || {};
        const margin = figure.layout.margin || {}, own = figure.layout.height;
        const plotBefore = own - margin.t - margin.b;
        if (scale !== 1) {
          figure.layout.font = figure.layout.font || {size: 12};
          scaleFonts(figure.layout, scale);
          // and the margins, which hold the tick labels and axis titles that just grew
          for (const side of ["l", "r", "t", "b"]) if (typeof margin[side] === "number") margin[side] *= scale;
        }
        if (tall) figure.layout.height = heightBelow(cell, least);
        const height = figure.layout.height;
        // what sits below the plot at a share of its height (replay buttons and slider, some legends) keeps
        // `scale` times its distance in pixels, clear of the enlarged tick labels and axis title
        const stretch = scale * plotBefore / (height - margin.t - margin.b);
        if (stretch > 0 && Number.isFinite(stretch) && stretch !== 1) {
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
      if (index === 0 && root.dataset.paint === "1") {
        figure.layout = figure.layout || {};
        figure.layout.dragmode = false;  // a press-and-drag paints instead of zooming
        hookPainting(cell, root);
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
      if (tall) {  // what stands above it may still be rendering: fit the height again once the page settles
        clearTimeout(cell.__gpRefit);
        cell.__gpRefit = setTimeout(() => refit(Plotly, cell, least), REFIT_MS);
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
