/* dagrad explorer: the page script of autograd.draw.explorer (hand-written, no library, no
   network). dagradBoot(prefix, data) finds its own <div id="{prefix}root"> and brings it to
   life: a backward stepper, a graph to inspect by pointing, or a training replay.
   Python computes every text, colour, position and state the page shows, for every step;
   this script only puts them in place and handles the controls (tests/test_explorer.py
   keeps it free of number formatting, colour rules and gradient arithmetic). */
"use strict";

function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/* the browser's own tooltips (dot's <title> and xlink:title) would cover ours */
function dropTitles(svg) {
  var ts = svg.querySelectorAll("g.node title, g.edge title, a"), k;
  for (k = 0; k < ts.length; k++) {
    if (ts[k].tagName === "a" || ts[k].tagName === "A") {
      ts[k].removeAttribute("xlink:title");
      ts[k].removeAttributeNS("http://www.w3.org/1999/xlink", "title");
    } else ts[k].parentNode.removeChild(ts[k]);
  }
}

/* ---- the drawn graph: boxes by DOT name, edges by their <title> tail->head ---- */
function Graph(root, prefix, boxNames) {
  var self = this, k;
  this.svg = root.querySelector(".dgx-figure svg");
  this.nodes = {};
  this.out = {};
  this.into = {};
  this.byTitle = {};
  var gs = this.svg.querySelectorAll("g.node");
  for (k = 0; k < gs.length; k++) this.nodes[gs[k].id.slice(prefix.length)] = gs[k];
  var es = this.svg.querySelectorAll("g.edge");
  for (k = 0; k < es.length; k++) {
    var title = es[k].querySelector("title").textContent, t = title.split("->");
    var e = {el: es[k], tail: t[0].split(":")[0], head: t[1].split(":")[0]};
    this.byTitle[title] = e;
    (this.out[e.tail] = this.out[e.tail] || []).push(e);
    (this.into[e.head] = this.into[e.head] || []).push(e);
  }
  dropTitles(this.svg);
  this.names = boxNames;
  this.isBox = {};
  boxNames.forEach(function (n) { self.isBox[n] = true; });
  this.boxes = boxNames.map(function (n) { return self.nodes[n]; });
  this.texts = this.boxes.map(function (g) {
    return g ? g.querySelectorAll("text:not(.dgx-badge)") : [];
  });
  this.shapes = this.boxes.map(function (g) {
    var s = g ? g.querySelector("path, polygon, ellipse") : null;
    if (s) s.classList.add("dgx-shape");
    return s;
  });
}
/* set text i of box b (counted from its first), a class for its state */
Graph.prototype.setText = function (b, i, text, cls) {
  var node = this.texts[b][i];
  if (!node) return;
  node.textContent = text;
  if (cls !== undefined) {
    node.setAttribute("class", cls);
    node.removeAttribute("fill");  // dot's grey for a hidden grad; the class colours it now
  }
};
/* every node and edge on a path from box name n to the root (all that n reaches) */
Graph.prototype.downstream = function (name) {
  var seen = {}, edges = [], stack = [name], self = this;
  seen[name] = true;
  while (stack.length) {
    (self.out[stack.pop()] || []).forEach(function (e) {
      edges.push(e);
      if (!seen[e.head]) { seen[e.head] = true; stack.push(e.head); }
    });
  }
  return {nodes: seen, edges: edges};
};
/* the edges that carry box b's pushes: into b, and into the op nodes drawn for it */
Graph.prototype.pushEdges = function (b) {
  var self = this, found = [], stack = [this.names[b]], seen = {};
  while (stack.length) {
    (this.into[stack.pop()] || []).forEach(function (e) {
      found.push(e);
      if (!self.isBox[e.tail] && !seen[e.tail]) { seen[e.tail] = true; stack.push(e.tail); }
    });
  }
  return found;
};
Graph.prototype.boxAt = function (target) {
  var g = target.closest ? target.closest("g.node") : null;
  return g ? this.boxes.indexOf(g) : -1;
};

/* ---- hover and click: tip(b) and sum(b) are Python's texts ---- */
function pointing(root, graph, tip, sum) {
  var box = el("div", "dgx-tip"), info = root.querySelector(".dgx-info");
  box.hidden = true;
  root.appendChild(box);
  var figure = root.querySelector(".dgx-figure"), lit = null, chosen = -1;
  figure.addEventListener("mousemove", function (ev) {
    var b = graph.boxAt(ev.target);
    if (b < 0) { box.hidden = true; return; }
    box.textContent = tip(b);
    box.hidden = false;
    var r = root.getBoundingClientRect();
    box.style.left = (ev.clientX - r.left + 14) + "px";
    box.style.top = (ev.clientY - r.top + 14) + "px";
  });
  figure.addEventListener("mouseleave", function () { box.hidden = true; });
  function light(on) {
    if (!lit) return;
    lit.edges.forEach(function (e) { e.el.classList.toggle("dgx-path", on); });
    Object.keys(lit.nodes).forEach(function (n) {
      if (graph.nodes[n]) graph.nodes[n].classList.toggle("dgx-path", on);
    });
  }
  figure.addEventListener("click", function (ev) {
    light(false);
    chosen = graph.boxAt(ev.target);
    lit = chosen < 0 ? null : graph.downstream(graph.names[chosen]);
    light(true);
    if (chosen >= 0) info.textContent = sum(chosen);
  });
  return function () {  // the step changed: the chosen box's sum follows it
    if (chosen >= 0) info.textContent = sum(chosen);
  };
}

/* ---- step, back, play (at a chosen speed), slider, keys ---- */
var SPEEDS = [["slow", 2000], ["normal", 900], ["fast", 400], ["fastest", 120]];

function controls(root, n, show, where) {
  var bar = root.querySelector(".dgx-bar");
  var back = el("button", "dgx-back", "◀ back"), play = el("button", "dgx-play", "▶ play");
  var next = el("button", "dgx-next", "step ▶");
  var slider = el("input", "dgx-slider");
  slider.type = "range"; slider.min = 0; slider.max = n - 1; slider.value = 0;
  var speed = el("select", "dgx-speed");
  speed.title = "play speed";
  SPEEDS.forEach(function (s) {
    var o = el("option", "", s[0]);
    o.value = s[1];
    speed.appendChild(o);
  });
  speed.value = SPEEDS[1][1];
  var label = el("span", "dgx-where");
  [back, play, next, slider, label, el("span", "dgx-speedname", "speed"), speed]
    .forEach(function (x) { bar.appendChild(x); });
  var k = 0, timer = null;
  function go(j) {
    k = Math.max(0, Math.min(n - 1, j));
    slider.value = k;
    label.textContent = where[k];
    show(k);
  }
  function stop() {
    clearInterval(timer); timer = null; play.textContent = "▶ play";
  }
  function start() {
    play.textContent = "❚❚ pause";
    timer = setInterval(function () {
      go(k + 1);
      if (k >= n - 1) stop();  // stop at the last step
    }, +speed.value);
  }
  function toggle() {
    if (timer) { stop(); return; }
    if (k === n - 1) go(0);
    start();
  }
  speed.onchange = function () { if (timer) { clearInterval(timer); start(); } };
  back.onclick = function () { go(k - 1); };
  next.onclick = function () { go(k + 1); };
  play.onclick = toggle;
  slider.oninput = function () { go(+slider.value); };
  var keys = {ArrowRight: function () { go(k + 1); }, ArrowLeft: function () { go(k - 1); },
              " ": toggle};
  function onKey(ev) {
    var f = keys[ev.key], tag = ev.target.tagName;
    if (!f || tag === "INPUT" && ev.target.type === "text" || tag === "SELECT" ||
        tag === "BUTTON" && ev.key === " ") return;
    f(); ev.preventDefault(); ev.stopPropagation();
  }
  root.tabIndex = 0;
  root.addEventListener("keydown", onKey);
  if (document.body.getAttribute("data-dgx-standalone") === "1")
    document.addEventListener("keydown", function (ev) {
      if (!root.contains(ev.target)) onKey(ev);
    });
  root.addEventListener("click", function (ev) {
    if (!/^(INPUT|BUTTON|SELECT|OPTION)$/.test(ev.target.tagName)) root.focus();
  });
  go(0);
  return go;
}

/* ---- the backward stepper: Python's states per step, applied in order ---- */
var STATE_NAMES = ["unreached", "partial", "complete"];

function badge(g, shape, text) {
  var t = g.querySelector("text.dgx-badge");
  if (!text) { if (t) t.parentNode.removeChild(t); return; }
  if (!t) {
    var s = shape.getBBox();
    t = document.createElementNS("http://www.w3.org/2000/svg", "text");
    t.setAttribute("class", "dgx-badge");
    t.setAttribute("x", s.x + s.width / 2);
    t.setAttribute("y", s.y + s.height + 8);
    t.setAttribute("text-anchor", "middle");
    g.appendChild(t);
  }
  t.textContent = text;
}

/* exercise mode: a check box; the next visited node's grad hidden, the answer checked
   against Python's interval [lo, hi], on a miss Python's chain-rule sum shown */
function exercise(root, data, now) {
  var bar = root.querySelector(".dgx-bar"), side = root.querySelector(".dgx-side");
  var toggle = el("label", "dgx-exlabel"), box = el("input");
  box.type = "checkbox"; box.className = "dgx-exercise";
  toggle.appendChild(box);
  toggle.appendChild(document.createTextNode(" exercise"));
  bar.appendChild(toggle);
  var panel = el("div", "dgx-quiz"), question = el("div", "dgx-question");
  var answer = el("input", "dgx-answer"), check = el("button", "dgx-check", "check");
  var verdict = el("div", "dgx-verdict");
  answer.type = "text"; answer.size = 12; answer.placeholder = "your answer";
  [question, answer, check, verdict].forEach(function (x) { panel.appendChild(x); });
  panel.hidden = true;
  side.insertBefore(panel, side.firstChild);
  var state = {on: false, solved: {}};
  function ask(k) {
    var q = data.quiz[k];
    panel.hidden = !state.on || !q;
    if (panel.hidden) return null;
    if (state.step !== k) {
      state.step = k;
      question.textContent = q[1];
      answer.value = "";
      verdict.textContent = "";
      verdict.className = "dgx-verdict";
    }
    return state.solved[k] ? null : q[0];
  }
  check.onclick = function () {
    var k = now(), q = data.quiz[k];
    var x = parseFloat(answer.value.replace(/[−–]/g, "-").replace(",", "."));
    var right = x >= q[2] && x <= q[3];
    verdict.textContent = right ? q[4] : q[5];
    verdict.className = "dgx-verdict " + (right ? "dgx-right" : "dgx-miss");
    if (right) state.solved[k] = true;
    state.redraw();
  };
  answer.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") check.onclick();
    ev.stopPropagation();
  });
  box.onchange = function () { state.on = box.checked; state.redraw(); };
  state.ask = ask;
  return state;
}

function stepper(root, prefix, data) {
  var graph = new Graph(root, prefix, data.boxes), steps = data.steps;
  var pushes = data.boxes.map(function (_, b) { return graph.pushEdges(b); });
  var caption = root.querySelector(".dgx-caption"), k0 = 0, cur = null;
  function show(k) {
    k0 = k;
    cur = data.base.slice();
    var done = {};
    for (var s = 0; s <= k; s++) {
      steps[s].set.forEach(function (u) { cur[u[0]] = u.slice(1); });
      steps[s].done.forEach(function (b) { done[b] = true; });
    }
    var visiting = steps[k].v, hidden = quiz.ask(k);
    cur.forEach(function (c, b) {
      var g = graph.boxes[b];
      if (!g) return;
      g.setAttribute("data-state", STATE_NAMES[c[0]]);
      g.classList.toggle("dgx-visit", b === visiting);
      var t = graph.texts[b];
      if (b === hidden) graph.setText(b, t.length - 1, "grad ?", "dgx-gq");
      else if (c[1] !== null) graph.setText(b, t.length - 1, c[1], "dgx-g" + c[0]);
      badge(g, graph.shapes[b], c[2]);
      pushes[b].forEach(function (e) {
        e.el.classList.toggle("dgx-now", b === visiting);
        e.el.classList.toggle("dgx-pushed", !!done[b] && b !== visiting);
        e.el.classList.toggle("dgx-waiting", !done[b] && b !== visiting);
      });
    });
    caption.textContent = data.captions[k];
    follow();
  }
  var quiz = exercise(root, data, function () { return k0; });
  quiz.redraw = function () { show(k0); };
  var follow = pointing(root, graph, function (b) {
    return b === quiz.ask(k0) ? "hidden: exercise mode" : cur[b][3];
  }, function (b) {
    return b === quiz.ask(k0) ? "hidden: exercise mode" : data.sums[b];
  });
  controls(root, steps.length, show, data.where);
}

/* ---- inspect a picture ---- */
function inspect(root, prefix, data) {
  var graph = new Graph(root, prefix, data.boxes);
  pointing(root, graph, function (b) { return data.tips[b]; },
           function (b) { return data.sums[b]; });
}

/* ---- the network view (units view): Python's texts and styles per step ---- */
function NetView(root, prefix, net) {
  var graph = new Graph(root, prefix, net.ids);
  this.net = net;
  this.graph = graph;
  this.edges = net.titles.map(function (t) { return graph.byTitle[t]; });
  var rootBox = graph.nodes.root;
  this.rootText = rootBox ? rootBox.querySelector("text") : null;
}
NetView.prototype.show = function (st) {
  var self = this, g = this.graph, net = this.net, dead = {};
  st.dead.forEach(function (k) { dead[k] = true; });
  net.ids.forEach(function (id, k) {
    var box = g.boxes[k];
    if (!box) return;
    var look = net.unit_style[dead[k] ? 1 : 0], t = g.texts[k], n = st.t[k].length;
    st.t[k].forEach(function (text, i) {
      var node = t[t.length - n + i];
      if (!node) return;
      node.textContent = text;
      node.setAttribute("fill", look[2]);
    });
    box.classList.toggle("dgx-dead", !!dead[k]);
    var s = g.shapes[k];
    if (s) { s.setAttribute("fill", look[0]); s.setAttribute("stroke-dasharray", look[1]); }
  });
  this.edges.forEach(function (e, i) {
    if (!e) return;
    var p = net.palette[st.e[2 * i]], width = st.e[2 * i + 1];
    var path = e.el.querySelector("path"), head = e.el.querySelector("polygon");
    if (path) {
      path.setAttribute("stroke", p[0]);
      path.setAttribute("stroke-width", width);
      path.setAttribute("stroke-dasharray", p[1]);
    }
    if (head) { head.setAttribute("stroke", p[0]); head.setAttribute("fill", p[0]); }
    e.el.setAttribute("data-style", st.e[2 * i]);
    e.el.setAttribute("data-edge", i);
  });
  if (this.rootText) this.rootText.textContent = st.root;
};

function netView(root, prefix, net, current) {
  var view = new NetView(root, prefix, net);
  var follow = pointing(root, view.graph, function (k) { return current().tips[k]; },
                        function (k) { return current().sums[k]; });
  return {show: function (st) { view.show(st); follow(); }, graph: view.graph};
}

function network(root, prefix, data) {
  var st = data.net.steps[0];
  netView(root, prefix, data.net, function () { return st; }).show(st);
}

/* ---- training replay: curves, boundary, gradient norms, graph; one slider ---- */
function curveMarks(svg, marks) {
  var mark = svg.querySelector(".dgx-mark"), dot = svg.querySelector(".dgx-dot");
  var label = svg.querySelector(".dgx-value");
  return function (j) {
    var m = marks[j];
    mark.setAttribute("x1", m[0]); mark.setAttribute("x2", m[0]);
    dot.setAttribute("cx", m[0]);
    dot.setAttribute("cy", m[1] === null ? -10 : m[1]);
    label.setAttribute("x", m[2]);
    label.textContent = m[3];
  };
}

function barMarks(svg, rows) {
  var rects = svg.querySelectorAll(".dgx-bar-rect"), texts = svg.querySelectorAll(".dgx-norm");
  return function (j) {
    rows[j].forEach(function (r, i) {
      rects[i].setAttribute("width", r[0]);
      texts[i].setAttribute("x", r[1]);
      texts[i].textContent = r[2];
    });
  };
}

/* the recorded grid (signed bytes, base64) through Python's palette, scaled up */
function boundary(canvas, grid) {
  var ctx = canvas.getContext("2d"), n = grid.n, size = canvas.width;
  var off = el("canvas");
  off.width = off.height = n;
  var octx = off.getContext("2d"), img = octx.createImageData(n, n), pal = grid.palette;
  return function (j) {
    var s = atob(grid.cells[j]);
    for (var r = 0; r < n; r++) for (var c = 0; c < n; c++) {
      var v = (s.charCodeAt(r * n + c) << 24) >> 24;   // a signed byte
      var o = ((n - 1 - r) * n + c) * 4, p = (v + 127) * 3;  // row 0 is the lowest y
      img.data[o] = pal[p]; img.data[o + 1] = pal[p + 1]; img.data[o + 2] = pal[p + 2];
      img.data[o + 3] = 255;
    }
    octx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(off, 0, 0, size, size);
    canvas.setAttribute("data-step", j);
  };
}

/* a traced point's steps: base64 of deflated JSON, unpacked by the browser */
function unpack(b64) {
  var s = atob(b64), bytes = new Uint8Array(s.length);
  for (var i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Response(stream).text().then(JSON.parse);
}

/* the traced points: click a ringed one on the boundary panel to trace it */
function tracing(root, data, chosen) {
  var rings = root.querySelectorAll(".dgx-bwrap circle.dgx-traced");
  var loaded = {};
  function pick(k) {
    loaded[k] = loaded[k] || unpack(data.net.traced[k].steps);
    return loaded[k].then(function (steps) {
      for (var i = 0; i < rings.length; i++) rings[i].classList.toggle("dgx-on", i === k);
      chosen(k, steps);
    });
  }
  for (var i = 0; i < rings.length; i++) {
    rings[i].addEventListener("click", function (ev) {
      pick(+ev.target.getAttribute("data-k"));
    });
  }
  return pick;
}

function training(root, prefix, data) {
  var panels = root.querySelector(".dgx-panels"), parts = [];
  var curves = panels.querySelectorAll("svg.dgx-curve");
  data.curves.forEach(function (marks, i) { parts.push(curveMarks(curves[i], marks)); });
  parts.push(barMarks(panels.querySelector("svg.dgx-bars"), data.bars));
  if (data.grid) parts.push(boundary(panels.querySelector("canvas.dgx-boundary"), data.grid));
  var j0 = 0, steps = null, caption = root.querySelector(".dgx-caption"), go = null;
  if (data.graph) {
    var g = data.graph, graph = new Graph(root, prefix, g.boxes);
    var tip = function (b) { return g.steps[j0][b][2]; };
    pointing(root, graph, tip, tip);
    parts.push(function (j) {
      g.steps[j].forEach(function (box, b) {
        box[1].forEach(function (t) { graph.setText(b, t[0], t[1]); });
        if (graph.shapes[b]) graph.shapes[b].setAttribute("fill", box[0]);
      });
      caption.textContent = data.captions[j];
    });
  }
  var show = function (j) {
    j0 = j;
    parts.forEach(function (f) { f(j); });
  };
  if (!data.net) {
    controls(root, data.where.length, show, data.where);
    return null;
  }
  var view = netView(root, prefix, data.net, function () { return steps[j0]; });
  parts.push(function (j) {
    view.show(steps[j]);
    caption.textContent = steps[j].caption;
  });
  var pick = tracing(root, data, function (k, s) {
    steps = s;
    data.net.traced[k].inputs.forEach(function (text, i) {
      var x = view.graph.nodes["x" + i], t = x ? x.querySelector("text") : null;
      if (t) t.textContent = text;
    });
    root.querySelector(".dgx-info").textContent = "";
    if (go) go(j0); else go = controls(root, data.where.length, show, data.where);
  });
  return pick(0);
}

var KINDS = {stepper: stepper, inspect: inspect, network: network, training: training};

function dagradBoot(prefix, data, script) {
  // the script's own parent first: a notebook may run it before the output is in the page
  var root = script && script.parentNode && script.parentNode.id === prefix + "root" ?
    script.parentNode : document.getElementById(prefix + "root");
  if (!root || root.getAttribute("data-ready")) return;
  root.classList.add("dgx-live");
  var pending = KINDS[root.getAttribute("data-kind")](root, prefix, data);
  function ready() { root.setAttribute("data-ready", "1"); }
  if (pending) pending.then(ready); else ready();
}
