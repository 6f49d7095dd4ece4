// The anywidget module behind every lambda_lab view.
//
// Python lays a scene out (lambda_lab/widgets/scene.py is the contract);
// this module only draws it and adds what a static SVG cannot: selecting a
// mark to read its record, the clock that moves a flow's tokens, and the
// filter of a log view.  It never reads colours: classes carry meaning and
// views.css maps them to theme variables, so light and dark themes both work.
import { axisBottom, axisLeft } from "d3-axis";
import { scaleLinear } from "d3-scale";
import { select } from "d3-selection";
import {
  symbol,
  symbolAsterisk,
  symbolCircle,
  symbolCross,
  symbolDiamond,
  symbolPlus,
  symbolSquare,
  symbolStar,
  symbolTimes,
  symbolTriangle,
  symbolWye,
} from "d3-shape";

const SHAPES = {
  circle: symbolCircle,
  cross: symbolCross,
  diamond: symbolDiamond,
  square: symbolSquare,
  star: symbolStar,
  triangle: symbolTriangle,
  wye: symbolWye,
  asterisk: symbolAsterisk,
  plus: symbolPlus,
  times: symbolTimes,
};
// d3's stroked symbols have no area: CSS draws them with a stroke, not a fill.
const STROKED = new Set(["asterisk", "plus", "times"]);
const ANCHORS = new Set(["start", "middle", "end"]);
const SPEEDS = [0.5, 1, 2, 4];
// At 1x the whole t_range plays in this many wall seconds, whatever its length,
// so a 40 ms trace and a 15 minute one are both watchable.
const PLAY_WALL_SECONDS = 5;
// With reduced motion, Play jumps from event to event at this pace (at 1x).
const REDUCED_STEP_MS = 800;
const TOKEN_SIZE = 96;
const REDUCED_MOTION = "(prefers-reduced-motion: reduce)";

// Ids inside an SVG (the arrow marker) must be unique in the page, and several
// views share one page: a counter keeps them unique and the output reproducible.
let viewCount = 0;

// A scene of 1,000 symbols uses a handful of shape/size pairs: build each path once.
const symbolPaths = new Map();
function symbolPath(shape, size) {
  const key = `${shape}:${size}`;
  let d = symbolPaths.get(key);
  if (d === undefined) {
    d = symbol(SHAPES[shape] || symbolCircle, size)();
    symbolPaths.set(key, d);
  }
  return d;
}

function html(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function num(value, fallback = 0) {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

function formatClock(t) {
  return `t = ${t.toFixed(2)} s`;
}

// The class list of a mark or token: what it is (ll-m-TYPE) and what it means (ll-CLS).
function classes(kind, cls, extra) {
  let names = `ll-mark ${kind}`;
  if (cls) names += ` ll-${cls}`;
  if (extra) names += ` ${extra}`;
  return names;
}

// Label, tooltip and selectability, shared by marks and tokens.
function decorate(sel, item) {
  if (item.cls) sel.attr("data-cls", item.cls);
  if (item.label) sel.append("title").text(item.label);
  if (Number.isInteger(item.record)) {
    sel
      .attr("tabindex", 0)
      .attr("role", "button")
      .attr("aria-pressed", "false")
      .attr("aria-label", item.label || `record ${item.record}`)
      .attr("data-record", item.record);
  }
}

function drawAxis(layer, mark) {
  const scale = scaleLinear()
    .domain(mark.domain || [0, 1])
    .range(mark.range || [0, 1]);
  const labels = mark.labels || [];
  const axis = (mark.orient === "left" ? axisLeft : axisBottom)(scale)
    .tickValues(mark.ticks || [])
    .tickFormat((d, i) => (labels[i] !== undefined ? labels[i] : String(d)));
  return layer
    .append("g")
    .attr("transform", `translate(${num(mark.x)},${num(mark.y)})`)
    .call(axis);
}

function drawMark(layer, mark, arrowId) {
  let sel;
  let extra = "";
  switch (mark.type) {
    case "rect":
      sel = layer
        .append("rect")
        .attr("x", num(mark.x))
        .attr("y", num(mark.y))
        .attr("width", Math.max(0, num(mark.w)))
        .attr("height", Math.max(0, num(mark.h)));
      break;
    case "line":
      sel = layer
        .append("line")
        .attr("x1", num(mark.x1))
        .attr("y1", num(mark.y1))
        .attr("x2", num(mark.x2))
        .attr("y2", num(mark.y2));
      if (mark.arrow) sel.attr("marker-end", `url(#${arrowId})`);
      break;
    case "path":
      sel = layer.append("path").attr("d", mark.d || "");
      break;
    case "symbol":
      sel = layer
        .append("path")
        .attr("d", symbolPath(mark.shape, num(mark.size, 64)))
        .attr("transform", `translate(${num(mark.x)},${num(mark.y)})`);
      extra = STROKED.has(mark.shape) ? "ll-stroked" : "ll-filled";
      break;
    case "text":
      sel = layer
        .append("text")
        .attr("x", num(mark.x))
        .attr("y", num(mark.y))
        .attr("text-anchor", ANCHORS.has(mark.anchor) ? mark.anchor : "start")
        .text(mark.text ?? "");
      break;
    case "axis":
      sel = drawAxis(layer, mark);
      break;
    default:
      // A mark type this bundle does not know (a newer Python side): skip it
      // rather than lose the whole picture.
      return;
  }
  sel.attr("class", classes(`ll-m-${mark.type}`, mark.cls, extra));
  decorate(sel, mark);
}

// Where a token is at virtual time t: null before its first time, else its
// point on the straight segment between the two times around t.
function tokenAt(token, t) {
  const times = token.times || [];
  const path = token.path || [];
  const n = Math.min(times.length, path.length);
  if (n === 0 || t < times[0]) return null;
  if (t >= times[n - 1]) return { x: path[n - 1][0], y: path[n - 1][1], done: true };
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (times[mid] <= t) lo = mid;
    else hi = mid;
  }
  const span = times[hi] - times[lo];
  const f = span > 0 ? (t - times[lo]) / span : 1;
  const [x0, y0] = path[lo];
  const [x1, y1] = path[hi];
  return { x: x0 + (x1 - x0) * f, y: y0 + (y1 - y0) * f, done: false };
}

// The flow view's clock and controls.  `state` outlives redraws so a scene
// change keeps the clock where the reader left it.
function buildFlow(scene, svg, controlsBox, state) {
  const tokens = scene.tokens || [];
  const range = scene.t_range || [0, 0];
  const t0 = num(range[0]);
  const t1 = Math.max(t0, num(range[1], t0));
  const span = t1 - t0;
  const events = [...new Set(tokens.flatMap((tok) => tok.times || []))]
    .filter((t) => t >= t0 && t <= t1)
    .sort((a, b) => a - b);

  const layer = svg.append("g").attr("class", "ll-tokens");
  const nodes = tokens.map((tok) => {
    const shape = SHAPES[tok.shape] ? tok.shape : "circle";
    const sel = layer
      .append("path")
      .attr("d", symbolPath(shape, num(tok.size, TOKEN_SIZE)))
      .attr(
        "class",
        classes("ll-token", tok.cls, STROKED.has(shape) ? "ll-stroked" : "ll-filled"),
      );
    if (tok.id !== undefined) sel.attr("data-token", tok.id);
    decorate(sel, tok);
    return sel.node();
  });

  const play = html("button", "ll-play", "Play");
  play.type = "button";
  play.setAttribute("aria-label", "Play");
  const step = html("button", "ll-step", "Step");
  step.type = "button";
  step.setAttribute("aria-label", "Step to the next event");
  const slider = html("input", "ll-scrub");
  slider.type = "range";
  slider.min = String(t0);
  slider.max = String(t1);
  slider.step = span > 0 ? String(span / 500) : "any";
  slider.setAttribute("aria-label", "Clock, virtual seconds");
  const speedLabel = html("label", "ll-speed-label", "Speed ");
  const speed = html("select", "ll-speed");
  for (const s of SPEEDS) {
    const option = html("option", "", `${s}x`);
    option.value = String(s);
    speed.append(option);
  }
  speed.value = String(state.speed);
  speedLabel.append(speed);
  const clockText = html("span", "ll-clock");
  controlsBox.append(play, step, slider, speedLabel, clockText);

  function setClock(t) {
    state.t = Math.min(t1, Math.max(t0, t));
    slider.value = String(state.t);
    slider.setAttribute("aria-valuetext", formatClock(state.t));
    clockText.textContent = formatClock(state.t);
    for (let i = 0; i < tokens.length; i++) {
      const at = tokenAt(tokens[i], state.t);
      const node = nodes[i];
      if (at === null) {
        node.classList.add("ll-token-hidden");
        node.classList.remove("ll-token-done");
      } else {
        node.classList.remove("ll-token-hidden");
        node.classList.toggle("ll-token-done", at.done);
        node.setAttribute("transform", `translate(${at.x},${at.y})`);
      }
    }
  }

  function nextEvent(t) {
    // The first event strictly after t; a tiny tolerance so that a clock set
    // to an event by float arithmetic does not stay on it.
    const tol = span * 1e-9;
    for (const e of events) if (e > t + tol) return e;
    return t1;
  }

  function stop() {
    if (state.raf) cancelAnimationFrame(state.raf);
    if (state.timer) clearTimeout(state.timer);
    state.raf = 0;
    state.timer = 0;
    state.playing = false;
    play.textContent = "Play";
    play.setAttribute("aria-label", "Play");
    play.setAttribute("aria-pressed", "false");
  }

  function reducedMotion() {
    return typeof window.matchMedia === "function" && window.matchMedia(REDUCED_MOTION).matches;
  }

  function tick(last) {
    // Read the preference on every tick: a reader may switch it while playing.
    if (reducedMotion()) {
      setClock(nextEvent(state.t));
      if (state.t >= t1) return stop();
      state.timer = setTimeout(() => tick(0), REDUCED_STEP_MS / state.speed);
      return;
    }
    state.raf = requestAnimationFrame((now) => {
      state.raf = 0;
      const elapsed = last ? now - last : 0;
      setClock(state.t + (elapsed / 1000) * state.speed * (span / PLAY_WALL_SECONDS));
      if (state.t >= t1) return stop();
      tick(now);
    });
  }

  function start() {
    if (span <= 0) return;
    if (state.t >= t1) setClock(t0);
    state.playing = true;
    play.textContent = "Pause";
    play.setAttribute("aria-label", "Pause");
    play.setAttribute("aria-pressed", "true");
    tick(0);
  }

  play.addEventListener("click", () => (state.playing ? stop() : start()));
  step.addEventListener("click", () => {
    stop();
    setClock(nextEvent(state.t));
  });
  slider.addEventListener("input", () => {
    stop();
    setClock(Number(slider.value));
  });
  speed.addEventListener("change", () => {
    state.speed = Number(speed.value) || 1;
  });

  setClock(state.t === null ? t0 : state.t);
  return stop;
}

function buildLogs(scene, box) {
  const lines = scene.lines || [];
  const label = html("label", "ll-log-filter", "Filter ");
  const input = html("input", "ll-log-search");
  input.type = "search";
  input.setAttribute("aria-label", "Filter log lines");
  label.append(input);
  const count = html("span", "ll-log-count");
  count.setAttribute("aria-live", "polite");
  const list = html("ol", "ll-log");
  const haystacks = [];
  const items = lines.map((line) => {
    const li = html("li", `ll-log-line ll-log-${line.cls || "log"}`);
    if (line.request_id) li.dataset.requestId = line.request_id;
    li.append(
      html("span", "ll-log-t", typeof line.t === "number" ? line.t.toFixed(3) : ""),
      html("span", "ll-log-text", line.text ?? ""),
    );
    haystacks.push(String(line.text ?? "").toLowerCase());
    return li;
  });
  list.append(...items);

  function apply() {
    const needle = input.value.toLowerCase();
    let shown = 0;
    for (let i = 0; i < items.length; i++) {
      const match = needle === "" || haystacks[i].includes(needle);
      items[i].hidden = !match;
      if (match) shown++;
    }
    count.textContent = `${shown} of ${items.length} lines`;
  }
  input.addEventListener("input", apply);
  const bar = html("div", "ll-log-bar");
  bar.append(label, count);
  box.append(bar, list);
  apply();
}

function buildSummary(rows, box) {
  if (!Array.isArray(rows) || rows.length === 0) return;
  const table = html("table", "ll-summary");
  const body = html("tbody");
  for (const row of rows) {
    const tr = html("tr");
    tr.append(html("th", "", String(row[0] ?? "")), html("td", "", String(row[1] ?? "")));
    body.append(tr);
  }
  table.append(body);
  box.append(table);
}

function render({ model, el }) {
  viewCount += 1;
  const arrowId = `ll-arrow-${viewCount}`;
  const root = html("div", "ll-view");
  el.append(root);
  // The flow clock survives redraws; selection does not (records may change).
  const clock = { t: null, speed: 1, playing: false, raf: 0, timer: 0 };
  let stopFlow = () => {};
  let selected = null;

  function choose(node, scene, details) {
    if (selected && selected !== node) {
      if (selected.dataset.cls !== "selected") selected.classList.remove("ll-selected");
      selected.setAttribute("aria-pressed", "false");
    }
    selected = node;
    node.classList.add("ll-selected");
    node.setAttribute("aria-pressed", "true");
    const record = (scene.records || [])[Number(node.dataset.record)];
    details.textContent = JSON.stringify(record ?? null, null, 2);
  }

  function draw() {
    const started = performance.now();
    stopFlow();
    stopFlow = () => {};
    selected = null;
    const scene = model.get("scene") || {};
    const width = num(scene.width, 0);
    const height = num(scene.height, 0);
    const view = scene.view || "timeline";
    root.replaceChildren();
    root.dataset.view = view;

    root.append(html("div", "ll-title", scene.title || ""));
    if (scene.note) root.append(html("p", "ll-note", scene.note));
    const controls = html("div", "ll-controls");
    if (view === "flow") root.append(controls);

    const svgNode = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    const svg = select(svgNode)
      .attr("class", "ll-svg")
      .attr("width", width)
      .attr("height", height)
      .attr("viewBox", `0 0 ${width} ${height}`)
      // A picture with selectable marks is a group of buttons, not one image:
      // screen readers skip the insides of role="img".
      .attr("role", (scene.records || []).length > 0 ? "group" : "img")
      .attr("aria-label", scene.title || view);
    svg
      .append("defs")
      .append("marker")
      .attr("id", arrowId)
      .attr("class", "ll-arrowhead")
      .attr("viewBox", "0 0 10 10")
      .attr("refX", 9)
      .attr("refY", 5)
      .attr("markerWidth", 7)
      .attr("markerHeight", 7)
      .attr("orient", "auto-start-reverse")
      .append("path")
      .attr("d", "M0,0L10,5L0,10Z");
    const layer = svg.append("g").attr("class", "ll-marks");
    for (const mark of scene.marks || []) drawMark(layer, mark, arrowId);
    if (view === "flow") stopFlow = buildFlow(scene, svg, controls, clock);
    root.append(svgNode);

    const details = html("pre", "ll-details");
    details.setAttribute("aria-live", "polite");
    details.setAttribute("aria-label", "Selected record");
    if ((scene.records || []).length > 0) {
      details.textContent = "Select a mark (click, or Tab then Enter) to see its record.";
      root.append(details);
    }
    svgNode.addEventListener("click", (event) => {
      const node = event.target.closest?.("[data-record]");
      if (node && svgNode.contains(node)) choose(node, scene, details);
    });
    svgNode.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" && event.key !== " ") return;
      const node = event.target.closest?.("[data-record]");
      if (!node) return;
      event.preventDefault(); // Space would otherwise scroll the notebook
      choose(node, scene, details);
    });

    if (view === "logs") buildLogs(scene, root);
    buildSummary(scene.summary, root);
    root.dataset.drawMs = (performance.now() - started).toFixed(1);
    // How many times this view has drawn: lets a test (or a reader's tool) see a redraw.
    root.dataset.drawCount = String(Number(root.dataset.drawCount || 0) + 1);
  }

  draw();
  model.on("change:scene", draw);
  return () => {
    stopFlow();
    model.off("change:scene", draw);
    root.remove();
  };
}

export default { render };
