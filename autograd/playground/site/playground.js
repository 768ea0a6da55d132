// dagrad playground: boots Pyodide from this folder, unpacks the wheels, routes the pictures'
// layout to the WebAssembly Graphviz, then runs code cells, lessons and the training panel.
// Every file it loads is under this folder (manifest.json lists the wheels).
import { loadPyodide } from "./pyodide/pyodide.mjs";

const $ = (id) => document.getElementById(id);
const status = (text) => { $("status").textContent = text; };
let py = null, runner = null, panel = null, manifest = null;

async function boot() {
  const t0 = performance.now();
  manifest = await (await fetch("manifest.json")).json();
  const wheels = manifest.wheels.map((w) => fetch("wheels/" + w).then((r) => r.arrayBuffer()));
  const marks = { start: t0 / 1000 };
  const mark = (name) => { marks[name] = (performance.now() - t0) / 1000; };
  // Python first (its WebAssembly compiles while the rest loads), then Graphviz's script
  const pyReady = loadPyodide({ indexURL: new URL("pyodide/", location.href).href });
  const vizReady = new Promise((resolve, reject) => {
    const s = Object.assign(document.createElement("script"), { src: "viz/viz-global.js" });
    s.onload = () => resolve(Viz.instance()); s.onerror = reject;
    document.head.append(s);
  });
  py = await pyReady;
  mark("pyodide");
  const site = py.runPython("import sysconfig; sysconfig.get_paths()['purelib']");
  for (const buf of await Promise.all(wheels)) py.unpackArchive(buf, "wheel", { extractDir: site });
  mark("wheels");
  const viz = await vizReady;
  mark("graphviz");
  runner = py.pyimport("autograd.playground.runner");
  runner.start((source, engine, format) => viz.renderString(source, { engine, format }));
  runner.run_cell("pass");  // imports autograd, nn and the pictures once, before the first cell
  panel = py.pyimport("autograd.playground.panel");
  mark("imports");
  window.dagradTimings = marks;
  window.dagradReadySeconds = (performance.now() - t0) / 1000;
  window.dagrad = { pyodide: py, runner, panel };  // for teachers' scripts and the benchmarks
  window.dagradReady = true;
  status(`Python ${py.version} ready in ${window.dagradReadySeconds.toFixed(1)} s`);
  for (const b of document.querySelectorAll("button[disabled]")) b.disabled = false;
  setupLessons();
  setupTrainer();
  setTimeout(() => runner.warm_up(), 50);
}

// --- outputs ---------------------------------------------------------------------------------
function framed(html) {
  // A page (stepper, inspector) in its own frame: its scripts run, its ids stay its own.
  const f = document.createElement("iframe");
  f.className = "out-page";
  f.setAttribute("sandbox", "allow-scripts");
  const fit = "<script>new ResizeObserver(()=>parent.postMessage({dgxHeight:" +
    "document.documentElement.scrollHeight},'*')).observe(document.documentElement)<\/script>";
  f.srcdoc = html + fit;
  return f;
}
window.addEventListener("message", (e) => {
  for (const f of document.querySelectorAll("iframe.out-page")) {
    if (f.contentWindow === e.source && e.data && e.data.dgxHeight) f.style.height = (e.data.dgxHeight + 20) + "px";
  }
});

function show(outputs, box) {
  box.replaceChildren();
  for (const o of outputs) {
    let el;
    if (o.kind === "svg") {
      el = document.createElement("div"); el.className = "out-svg";
      const doc = new DOMParser().parseFromString(o.svg, "image/svg+xml");
      el.append(document.importNode(doc.documentElement, true));
    } else if (o.kind === "page") {
      el = framed(o.html);
    } else {
      el = document.createElement("pre");
      el.className = o.kind === "error" ? "out-error" : "out-text";
      el.textContent = o.text;
    }
    box.append(el);
  }
}

function runInto(code, box) {
  box.replaceChildren(Object.assign(document.createElement("div"), { className: "hint", textContent: "running…" }));
  return new Promise((resolve) => setTimeout(() => {  // let the page paint "running…" first
    show(JSON.parse(runner.run_cell(code)), box);
    resolve();
  }, 0));
}

function setupCells() {
  const sel = $("example");
  sel.replaceChildren();
  fetch("manifest.json").then((r) => r.json()).then((m) => {
    for (const name of Object.keys(m.examples)) sel.append(new Option(name, name));
    $("code").value = m.examples[sel.value];
    sel.onchange = () => { $("code").value = m.examples[sel.value]; };
  });
  $("run").onclick = () => runInto($("code").value, $("output"));
  $("code").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && e.shiftKey && runner) { e.preventDefault(); $("run").click(); }
    if (e.key === "Tab") {  // a tab key indents instead of leaving the editor
      e.preventDefault();
      e.target.setRangeText("    ", e.target.selectionStart, e.target.selectionEnd, "end");
    }
  });
}

// --- lessons ---------------------------------------------------------------------------------
function mdToHtml(md) {
  // Enough markdown for the lessons' text: headings, paragraphs, lists, code, bold, italics.
  const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const inline = (s) => esc(s).replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<b>$1</b>").replace(/\*([^*\s][^*]*)\*/g, "<i>$1</i>");
  return md.split(/\n\s*\n/).map((block) => {
    const h = block.match(/^(#{1,4})\s+(.*)$/s);
    if (h) return `<h${h[1].length + 1}>${inline(h[2])}</h${h[1].length + 1}>`;
    if (/^```/.test(block)) return `<pre>${esc(block.replace(/^```\w*\n?|```$/g, ""))}</pre>`;
    if (/^\s*[-*] /.test(block)) return "<ul>" + block.split(/\n\s*[-*] /).map((li) => `<li>${inline(li.replace(/^\s*[-*] /, ""))}</li>`).join("") + "</ul>";
    return `<p>${inline(block)}</p>`;
  }).join("");
}

function setupLessons() {
  const sel = $("lesson");
  manifest.lessons.forEach((p, i) => sel.append(new Option(p.title, i)));
  const render = () => {
    const page = manifest.lessons[sel.value], box = $("lesson-page");
    box.replaceChildren();
    for (const c of page.cells) {
      const div = document.createElement("div");
      if (c.kind === "md") { div.className = "md"; div.innerHTML = mdToHtml(c.source); box.append(div); continue; }
      div.className = "cell";
      const ta = Object.assign(document.createElement("textarea"), { value: c.source, spellcheck: false });
      ta.rows = Math.min(24, c.source.split("\n").length + 1);
      const out = document.createElement("div");
      const run = Object.assign(document.createElement("button"), { textContent: "Run", className: "lesson-run" });
      run.onclick = () => runInto(ta.value, out);
      ta.addEventListener("keydown", (e) => { if (e.key === "Enter" && e.shiftKey) { e.preventDefault(); run.click(); } });
      if (c.note) div.append(Object.assign(document.createElement("div"), { className: "note", textContent: c.note }));
      div.append(ta, run, out);
      box.append(div);
    }
  };
  sel.onchange = render;
  $("lesson-run-all").onclick = async () => {
    for (const b of document.querySelectorAll("#lesson-page .lesson-run")) { b.click(); await new Promise((r) => setTimeout(r, 20)); }
  };
  render();
}

// --- the training panel ------------------------------------------------------------------------
const T = { playing: false, history: [], view: null, added: [], colours: null };

function settings() {
  const list = (s) => s.split(",").map((x) => x.trim()).filter((x) => x);
  return {
    dataset: $("t-dataset").value, n: +$("t-n").value, noise: +$("t-noise").value,
    hidden: list($("t-hidden").value).map(Number), activations: list($("t-acts").value),
    loss: $("t-loss").value, optimizer: $("t-opt").value, lr: +$("t-lr").value,
    batch_size: +$("t-batch").value, added: T.added,
  };
}

function trainerError(e) {
  T.playing = false;
  const msg = String(e.message || e).trim().split("\n").slice(-1)[0];
  $("t-error").hidden = false; $("t-error").textContent = msg;
}

function reset() {
  $("t-error").hidden = true;
  try { T.view = JSON.parse(panel.new(JSON.stringify(settings()))); } catch (e) { trainerError(e); return; }
  T.history = []; T.playing = false;
  $("t-steps").textContent = "0"; $("t-loss-now").textContent = "–"; $("t-acc").textContent = "–";
  $("t-engine").textContent = "gradients by the " + T.view.engine;
  drawAll();
}

function stepOnce(k = 1) {
  try {
    const r = JSON.parse(panel.step(k));
    T.history.push(r);
    $("t-steps").textContent = r.step; $("t-loss-now").textContent = r.loss.toFixed(4);
    $("t-acc").textContent = (100 * r.accuracy).toFixed(1) + " %";
    return r;
  } catch (e) { trainerError(e); return null; }
}

function tick() {
  if (!T.playing) return;
  const t0 = performance.now();
  while (performance.now() - t0 < 120 && T.playing) if (!stepOnce()) return;
  T.view = JSON.parse(panel.view());
  drawAll();
  setTimeout(tick, 0);
}

function setupTrainer() {
  const opts = (id, names, chosen) => { for (const n of names) $(id).append(new Option(n, n, n === chosen, n === chosen)); };
  const choices = JSON.parse(panel.choices());
  T.colours = manifest.class_colours;
  SIGNS = manifest.sign_colours;
  opts("t-dataset", choices.datasets, "moons"); opts("t-loss", choices.losses, "hinge");
  opts("t-opt", choices.optimizers, "adam");
  $("t-reset").onclick = () => { T.added = []; reset(); };
  $("t-play").onclick = () => { if (!T.playing) { T.playing = true; tick(); } };
  $("t-pause").onclick = () => { T.playing = false; };
  $("t-step").onclick = () => { T.playing = false; if (stepOnce()) { T.view = JSON.parse(panel.view()); drawAll(); } };
  $("t-edges").onchange = drawNetwork;
  for (const id of ["t-dataset", "t-n", "t-noise", "t-hidden", "t-acts", "t-loss", "t-opt", "t-lr", "t-batch"]) $(id).onchange = reset;
  $("t-plane").addEventListener("click", planeClick);
  reset();
}

function planeClick(e) {
  const v = T.view, c = $("t-plane"), r = c.getBoundingClientRect();
  const [x0, x1, y0, y1] = v.box;
  const x = x0 + (x1 - x0) * (e.clientX - r.left) / r.width, y = y1 - (y1 - y0) * (e.clientY - r.top) / r.height;
  if (e.shiftKey) {  // the nearest point's backward sweep
    let best = 0, d = Infinity;
    v.points.forEach((p, i) => { const q = (p[0] - x) ** 2 + (p[1] - y) ** 2; if (q < d) { d = q; best = i; } });
    const [units, stepper] = JSON.parse(panel.point_pages(best));
    const h = (text) => Object.assign(document.createElement("h3"), { textContent: text });
    $("t-sweep").replaceChildren(
      h(`Point ${best}: its backward pass on the network (hover a unit; click it for its chain-rule sum)`),
      framed(units), h(`Point ${best}: the backward sweep over its graph, step by step`), framed(stepper));
    $("t-sweep").scrollIntoView();  // (an off-screen frame is not laid out until it is seen)
    return;
  }
  T.added.push([x, y, +$("t-class").value]);
  reset();
}

const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
let SIGNS = null;  // the pictures' scale at full strength, < 0 and > 0 (manifest.json)

function heat(value, scale, colours) {
  // colours[1] for value > 0, colours[0] below; white at 0
  const t = Math.max(-1, Math.min(1, value / (scale || 1)));
  const [r, g, b] = rgb(colours[t > 0 ? 1 : 0]), a = Math.abs(t);
  return [255 + (r - 255) * a, 255 + (g - 255) * a, 255 + (b - 255) * a];
}

function paint(canvas, values, n, scale, offset = 0, floor = 0, colours = SIGNS) {
  // floor > 0: every side of the boundary at least that strong (the plane shows the sign)
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(n, n);
  values.forEach((v, k) => {
    const t = (v - offset) / scale, f = Math.sign(t) * Math.min(1, floor + (1 - floor) * Math.abs(t));
    const [r, g, b] = heat(f, 1, colours); img.data.set([r, g, b, 255], 4 * k);
  });
  const tmp = Object.assign(document.createElement("canvas"), { width: n, height: n });
  tmp.getContext("2d").putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(tmp, 0, 0, canvas.width, canvas.height);
}

function drawPlane() {
  const v = T.view, c = $("t-plane"), ctx = c.getContext("2d");
  const score = v.units[v.units.length - 1][0];
  paint(c, score, v.grid, Math.max(...score.map((s) => Math.abs(s - v.threshold))) || 1, v.threshold, 0.25, T.colours);
  const [x0, x1, y0, y1] = v.box;
  for (const [x, y, k] of v.points) {
    ctx.beginPath();
    ctx.arc((x - x0) / (x1 - x0) * c.width, (y1 - y) / (y1 - y0) * c.height, 4, 0, 2 * Math.PI);
    ctx.fillStyle = T.colours[k] || "#000"; ctx.fill(); ctx.strokeStyle = "#fff"; ctx.stroke();
  }
}

function drawCurves() {
  const c = $("t-curves"), ctx = c.getContext("2d"), h = T.history;
  ctx.clearRect(0, 0, c.width, c.height);
  if (!h.length) return;
  const maxLoss = Math.max(...h.map((r) => r.loss)) || 1;
  const line = (f, colour) => {
    ctx.beginPath(); ctx.strokeStyle = colour;
    h.forEach((r, i) => { const x = (i + 1) / h.length * c.width, y = c.height * (1 - f(r)); i ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
    ctx.stroke();
  };
  line((r) => r.loss / maxLoss, "#000"); line((r) => r.accuracy, "#1b9e77");
}

function drawNetwork() {
  const v = T.view, box = $("t-network"), what = $("t-edges").value;
  const sizes = [2, ...v.layers.map((l) => l.length)];
  const S = Math.max(20, Math.min(56, Math.floor(640 / Math.max(...sizes)) - 8)), GAP = 150;
  const tall = Math.max(...sizes) * (S + 8);
  const pos = (l, u) => [l * GAP + S / 2, (tall - sizes[l] * (S + 8)) / 2 + u * (S + 8) + S / 2];
  const ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", (sizes.length - 1) * GAP + S); svg.setAttribute("height", tall);
  const holder = Object.assign(document.createElement("div"), { style: `position:relative;height:${tall}px` });
  let big = 0;
  v.layers.forEach((l) => l.forEach((n) => n[what].forEach((q) => { big = Math.max(big, Math.abs(q)); })));
  v.layers.forEach((layer, li) => layer.forEach((n, u) => n.w.forEach((w, i) => {
    if (i >= sizes[li]) return;  // the bias: shown in the tooltip of the unit
    const [xa, ya] = pos(li, i), [xb, yb] = pos(li + 1, u), q = n[what][i];
    const e = document.createElementNS(ns, "line");
    Object.entries({ x1: xa + S / 2, y1: ya, x2: xb - S / 2, y2: yb, stroke: SIGNS[q >= 0 ? 1 : 0],
      "stroke-width": 0.4 + 5 * Math.abs(q) / (big || 1), "stroke-opacity": 0.75 }).forEach(([k, x]) => e.setAttribute(k, x));
    const tip = `weight ${li === 0 ? "x" + (i + 1) : "unit " + i} → layer ${li + 1} unit ${u}: w = ${w.toPrecision(4)}, ∂L/∂w = ${n.grad[i].toPrecision(4)}, update Δw = ${n.update[i].toPrecision(4)}`;
    e.append(Object.assign(document.createElementNS(ns, "title"), { textContent: tip }));
    e.addEventListener("mouseover", () => { $("t-tip").textContent = tip; });
    svg.append(e);
  })));
  holder.append(svg);
  sizes.forEach((size, l) => { for (let u = 0; u < size; u++) {
    const c = Object.assign(document.createElement("canvas"), { width: S, height: S, className: "unit" });
    const [x, y] = pos(l, u);
    c.style.cssText = `position:absolute;left:${x - S / 2}px;top:${y - S / 2}px`;
    const vals = l === 0 ? null : v.units[l - 1][u];
    if (vals) paint(c, vals, v.grid, Math.max(...vals.map(Math.abs)) || 1);
    else paint(c, Array.from({ length: v.grid * v.grid }, (_, k) => u === 0 ? (k % v.grid) / v.grid - 0.5 : 0.5 - Math.floor(k / v.grid) / v.grid), v.grid, 0.5);
    const n = l ? v.layers[l - 1][u] : null;
    c.title = l === 0 ? `input x${u + 1}` : `layer ${l} unit ${u} (${n.activation})` + (n.w.length > sizes[l - 1] ? `: bias b = ${n.w.at(-1).toPrecision(4)}, ∂L/∂b = ${n.grad.at(-1).toPrecision(4)}, Δb = ${n.update.at(-1).toPrecision(4)}` : "");
    holder.append(c);
  } });
  box.replaceChildren(holder);
}

function drawAll() { drawPlane(); drawCurves(); drawNetwork(); }

// --- tabs --------------------------------------------------------------------------------------
for (const b of document.querySelectorAll("nav button")) {
  b.onclick = () => {
    for (const o of document.querySelectorAll("nav button")) o.classList.toggle("on", o === b);
    for (const s of document.querySelectorAll("section")) s.hidden = s.id !== "tab-" + b.dataset.tab;
  };
}
setupCells();
boot().catch((e) => { status("Python failed to start: " + e); console.error(e); });
