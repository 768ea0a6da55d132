/* dagrad explorer: the page script of autograd.explorer (hand-written, no library, no network).
   dagradBoot(prefix, data) finds its own <div id="{prefix}root"> and brings it to life:
   a backward stepper, a graph to inspect by pointing, or a training replay. */
"use strict";

var SVGNS = "http://www.w3.org/2000/svg";

/* %.4g with a true minus sign, like autograd.explorer.page.fmt */
function fmt(x) {
  if (x === null || x === undefined || isNaN(x)) return "nan";
  if (x === 0) return "0";
  if (!isFinite(x)) return x > 0 ? "inf" : "−inf";
  var e = Math.floor(Math.log10(Math.abs(x)));
  var r = Number(x.toPrecision(4));
  e = Math.floor(Math.log10(Math.abs(r)));
  var s;
  if (e < -4 || e >= 4) {
    s = r.toExponential(3).replace(/\.?0+e/, "e");
    s = s.replace(/e([+-])(\d)$/, "e$10$2");
  } else {
    s = String(r);
  }
  return s.replace(/-/g, "−");
}
function full(x) { return x === null ? "nan" : String(x).replace(/-/g, "−"); }

function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/* ---- the drawn graph: boxes by DOT name, edges by their <title> tail->head ---- */
function Graph(root, prefix, data) {
  var self = this;
  this.data = data;
  this.svg = root.querySelector(".dgx-figure svg");
  this.nodes = {};
  this.edges = [];
  this.out = {};
  this.into = {};
  var k;
  var gs = this.svg.querySelectorAll("g.node");
  for (k = 0; k < gs.length; k++) {
    var id = gs[k].id.slice(prefix.length);
    this.nodes[id] = gs[k];
  }
  var es = this.svg.querySelectorAll("g.edge");
  for (k = 0; k < es.length; k++) {
    var t = es[k].querySelector("title").textContent.split("->");
    var e = {el: es[k], tail: t[0].split(":")[0], head: t[1].split(":")[0]};
    this.edges.push(e);
    (this.out[e.tail] = this.out[e.tail] || []).push(e);
    (this.into[e.head] = this.into[e.head] || []).push(e);
  }
  // the browser's own tooltips would cover ours
  var titles = this.svg.querySelectorAll("g.node title, g.edge title");
  for (k = 0; k < titles.length; k++) titles[k].parentNode.removeChild(titles[k]);
  var links = this.svg.querySelectorAll("a");
  for (k = 0; k < links.length; k++) {
    links[k].removeAttribute("xlink:title");
    links[k].removeAttributeNS("http://www.w3.org/1999/xlink", "title");
  }
  this.isBox = {};
  data.boxes.forEach(function (n) { self.isBox[n] = true; });
  this.members = data.boxes.map(function () { return []; });
  data.values.forEach(function (v, i) { self.members[v.b].push(i); });
  // uses[p]: [consumer, local] for each time a Value uses p (the terms of p's chain-rule sum)
  this.uses = data.values.map(function () { return []; });
  data.values.forEach(function (v, i) {
    v.ops.forEach(function (o) { self.uses[o[0]].push([i, o[1]]); });
  });
  this.boxes = data.boxes.map(function (n) { return self.nodes[n]; });
  this.texts = this.boxes.map(function (g) { return g ? g.querySelectorAll("text") : []; });
  this.room = this.boxes.map(function (g, b) { return self.measure(b); });
  this.boxes.forEach(function (g, b) {
    var s = self.shape(b);
    if (s) s.classList.add("dgx-shape");
  });
}
Graph.prototype.shape = function (b) {
  var g = this.boxes[b];
  return g ? g.querySelector("path, polygon, ellipse") : null;
};
/* the width a value box leaves its last text (the grad): never wider than the box */
Graph.prototype.measure = function (b) {
  var t = this.texts[b], s = this.shape(b);
  if (!t.length || !s) return 0;
  try {
    var last = t[t.length - 1], sb = s.getBBox(), tb = last.getBBox();
    return Math.max(last.getComputedTextLength(), sb.x + sb.width - tb.x - 3);
  } catch (err) { return 0; }
};
/* set text i from the end of box b (1: the grad, 2: the data), squeezed to fit the box */
Graph.prototype.setText = function (b, fromEnd, text, cls) {
  var t = this.texts[b];
  if (t.length < fromEnd + (fromEnd === 2 ? 0 : 0)) return;
  var node = t[t.length - fromEnd];
  if (!node) return;
  node.textContent = text;
  node.setAttribute("class", cls || "");
  node.removeAttribute("fill");  // dot's grey for a hidden grad; the class colours it now
  node.removeAttribute("textLength");
  var room = fromEnd === 1 ? this.room[b] : 0;
  if (room > 0 && node.getComputedTextLength() > room) {
    node.setAttribute("textLength", room);
    node.setAttribute("lengthAdjust", "spacingAndGlyphs");
  }
};
/* every node and edge on a path from box b to the root (all that b reaches) */
Graph.prototype.downstream = function (b) {
  var seen = {}, edges = [], stack = [this.data.boxes[b]];
  seen[stack[0]] = true;
  while (stack.length) {
    var n = stack.pop();
    (this.out[n] || []).forEach(function (e) {
      edges.push(e);
      if (!seen[e.head]) { seen[e.head] = true; stack.push(e.head); }
    });
  }
  return {nodes: seen, edges: edges};
};
/* the edges that carry box b's pushes: into b, and into the op nodes drawn for it */
Graph.prototype.pushEdges = function (b) {
  var self = this, found = [], stack = [this.data.boxes[b]], seen = {};
  while (stack.length) {
    var n = stack.pop();
    (this.into[n] || []).forEach(function (e) {
      found.push(e);
      if (!self.isBox[e.tail] && !seen[e.tail]) { seen[e.tail] = true; stack.push(e.tail); }
    });
  }
  return found;
};
Graph.prototype.boxAt = function (target) {
  var g = target.closest ? target.closest("g.node") : null;
  if (!g) return -1;
  for (var b = 0; b < this.boxes.length; b++) if (this.boxes[b] === g) return b;
  return -1;
};

/* ---- hover and click ---- */
function pointing(root, graph, info, describe, sumOf) {
  var tip = el("div", "dgx-tip");
  tip.hidden = true;
  root.appendChild(tip);
  var figure = root.querySelector(".dgx-figure");
  var lit = null;
  figure.addEventListener("mousemove", function (ev) {
    var b = graph.boxAt(ev.target);
    if (b < 0) { tip.hidden = true; return; }
    tip.textContent = describe(b);
    tip.hidden = false;
    var r = root.getBoundingClientRect();
    tip.style.left = (ev.clientX - r.left + 14) + "px";
    tip.style.top = (ev.clientY - r.top + 14) + "px";
  });
  figure.addEventListener("mouseleave", function () { tip.hidden = true; });
  figure.addEventListener("click", function (ev) {
    var b = graph.boxAt(ev.target);
    if (lit) {
      lit.edges.forEach(function (e) { e.el.classList.remove("dgx-path"); });
      Object.keys(lit.nodes).forEach(function (n) {
        if (graph.nodes[n]) graph.nodes[n].classList.remove("dgx-path");
      });
      lit = null;
    }
    if (b < 0) { info.textContent = ""; return; }
    lit = graph.downstream(b);
    lit.edges.forEach(function (e) { e.el.classList.add("dgx-path"); });
    Object.keys(lit.nodes).forEach(function (n) {
      if (graph.nodes[n]) graph.nodes[n].classList.add("dgx-path");
    });
    info.textContent = sumOf(b);
  });
}

/* ∂L/∂v = Σ over the uses of v of upstream × local, with the numbers */
function chainRule(graph, i, adj) {
  var d = graph.data, v = d.values[i], top = d.top;
  var head = "∂" + top + "/∂" + v.name;
  if (i === d.root) return head + " = 1: the seed of the sweep (the output itself).";
  var uses = graph.uses[i];
  var lines = [head + " = Σ over its " + uses.length + " use" + (uses.length === 1 ? "" : "s") +
               " of ∂" + top + "/∂consumer × ∂consumer/∂" + v.name + ":"];
  var parts = [];
  uses.forEach(function (u) {
    var c = d.values[u[0]], up = adj(u[0]);
    lines.push("  via " + c.name + ": " + fmt(up) + " × " + fmt(u[1]) + " = " + fmt(up * u[1]));
    parts.push(fmt(up * u[1]));
  });
  lines.push("  " + head + " = " + parts.join(" + ").replace(/\+ −/g, "− ") + " = " +
             fmt(adj(i)) + "  (full precision " + full(adj(i)) + ")");
  return lines.join("\n");
}

function describeValue(graph, b, extra) {
  var d = graph.data, ms = graph.members[b], i = d.rep[b], v = d.values[i];
  var lines = [];
  if (ms.length > 1) lines.push(ms.length + " values folded here; its output:");
  lines.push(v.name, "data = " + full(v.data));
  return lines.concat(extra(i)).join("\n");
}

/* ---- step, back, play, slider, keys ---- */
function controls(root, n, show, standalone) {
  var bar = root.querySelector(".dgx-bar");
  var back = el("button", "dgx-back", "◀ back"), play = el("button", "dgx-play", "▶ play");
  var next = el("button", "dgx-next", "step ▶");
  var slider = el("input", "dgx-slider");
  slider.type = "range"; slider.min = 0; slider.max = n - 1; slider.value = 0;
  var where = el("span", "dgx-where");
  [back, play, next, slider, where].forEach(function (x) { bar.appendChild(x); });
  var k = 0, timer = null;
  function go(j) {
    k = Math.max(0, Math.min(n - 1, j));
    slider.value = k;
    show(k, where);
  }
  function toggle() {
    if (timer) { clearInterval(timer); timer = null; play.textContent = "▶ play"; return; }
    if (k === n - 1) go(0);
    play.textContent = "❚❚ pause";
    timer = setInterval(function () {
      go(k + 1);
      if (k >= n - 1) toggle();  // stop at the last step
    }, 900);
  }
  back.onclick = function () { go(k - 1); };
  next.onclick = function () { go(k + 1); };
  play.onclick = toggle;
  slider.oninput = function () { go(+slider.value); };
  var keys = {ArrowRight: function () { go(k + 1); }, ArrowLeft: function () { go(k - 1); },
              " ": toggle};
  function onKey(ev) {
    var f = keys[ev.key];
    if (!f || ev.target.tagName === "BUTTON" && ev.key === " ") return;
    f(); ev.preventDefault(); ev.stopPropagation();
  }
  root.tabIndex = 0;
  root.addEventListener("keydown", onKey);
  if (standalone) document.addEventListener("keydown", function (ev) {
    if (!root.contains(ev.target)) onKey(ev);
  });
  root.addEventListener("click", function (ev) {
    if (ev.target.tagName !== "INPUT" && ev.target.tagName !== "BUTTON") root.focus();
  });
  go(0);
  return go;
}

/* ---- the backward stepper ---- */
var STATE_NAMES = ["unreached", "partial", "complete"];

function stepper(root, prefix, data) {
  var graph = new Graph(root, prefix, data);
  var vals = data.values, n = vals.length, steps = data.steps;
  var need = new Int32Array(n);
  vals.forEach(function (v) { v.ops.forEach(function (o) { need[o[0]] += 1; }); });
  need[data.root] += 1;  // the seed is the root's one share
  var pushes = data.boxes.map(function (_, b) { return graph.pushEdges(b); });
  var caption = root.querySelector(".dgx-caption"), info = root.querySelector(".dgx-info");
  var adj, cnt, k0 = 0;

  function replay(k) {
    adj = new Float64Array(n); cnt = new Int32Array(n);
    var done = new Uint8Array(data.boxes.length), left = graph.members.map(function (m) {
      return m.length; });
    adj[data.root] = 1; cnt[data.root] = 1;
    for (var s = 0; s <= k; s++) {
      steps[s].forEach(function (i) {
        vals[i].ops.forEach(function (o) { adj[o[0]] += adj[i] * o[1]; cnt[o[0]] += 1; });
        if (--left[vals[i].b] === 0) done[vals[i].b] = 1;
      });
    }
    return done;
  }
  function stateOf(i) { return cnt[i] === 0 ? 0 : cnt[i] < need[i] ? 1 : 2; }
  function boxState(b) {
    var ms = graph.members[b], lo = 2, hi = 0;
    ms.forEach(function (i) { var s = stateOf(i); lo = Math.min(lo, s); hi = Math.max(hi, s); });
    return lo === 2 ? 2 : hi > 0 ? 1 : 0;
  }
  function badge(b, text) {
    var g = graph.boxes[b];
    var t = g.querySelector("text.dgx-badge");
    if (!text) { if (t) t.parentNode.removeChild(t); return; }
    if (!t) {
      var s = graph.shape(b).getBBox();
      t = document.createElementNS(SVGNS, "text");
      t.setAttribute("class", "dgx-badge");
      t.setAttribute("x", s.x + s.width / 2);
      t.setAttribute("y", s.y + s.height + 8);
      t.setAttribute("text-anchor", "middle");
      g.appendChild(t);
    }
    t.textContent = text;
  }
  function show(k, where) {
    k0 = k;
    var done = replay(k), visiting = vals[steps[k][0]].b;
    data.boxes.forEach(function (_, b) {
      var g = graph.boxes[b];
      if (!g) return;
      var st = boxState(b), ms = graph.members[b];
      g.setAttribute("data-state", STATE_NAMES[st]);
      g.classList.toggle("dgx-visit", b === visiting);
      if (ms.length === 1) {
        var i = ms[0];
        var text = st === 0 ? "grad –" : st === 1 ? "grad ~" + fmt(adj[i]) : "grad " + fmt(adj[i]);
        graph.setText(b, 1, text, "dgx-g" + st);
        badge(b, st === 1 ? cnt[i] + " of " + need[i] + " shares" : "");
      }
      pushes[b].forEach(function (e) {
        e.el.classList.toggle("dgx-now", b === visiting);
        e.el.classList.toggle("dgx-pushed", !!done[b] && b !== visiting);
        e.el.classList.toggle("dgx-waiting", !done[b] && b !== visiting);
      });
    });
    caption.textContent = data.captions[k];
    where.textContent = "step " + (k + 1) + " / " + steps.length;
  }
  function describe(b) {
    return describeValue(graph, b, function (i) {
      var st = stateOf(i);
      var d = "∂" + data.top + "/∂" + vals[i].name;
      return [st === 0 ? d + ": not reached yet" :
              d + (st === 1 ? " so far" : "") + " = " + full(adj[i]) +
              " (" + cnt[i] + " of " + need[i] + " shares)",
              ".grad = " + full(vals[i].grad)];
    });
  }
  pointing(root, graph, info, describe, function (b) {
    return chainRule(graph, data.rep[b], function (i) { return vals[i].adj; });
  });
  controls(root, steps.length, show, root.hasAttribute("data-standalone") ||
           document.body.getAttribute("data-dgx-standalone") === "1");
  return function () { return k0; };
}

/* ---- inspect a picture ---- */
function inspect(root, prefix, data) {
  var graph = new Graph(root, prefix, data), vals = data.values;
  pointing(root, graph, root.querySelector(".dgx-info"), function (b) {
    return describeValue(graph, b, function (i) {
      return [".grad = " + full(vals[i].grad),
              "∂" + data.top + "/∂" + vals[i].name + " = " + full(vals[i].adj)];
    });
  }, function (b) {
    return chainRule(graph, data.rep[b], function (i) { return vals[i].adj; });
  });
}


/* ---- the network view (units view): units' texts, dead marks and edges set per step ---- */
/* colour of a share on the log scale [lo, hi] of log10 |share|, as style.grad_color */
function shareColour(x, scale) {
  if (x === null) return "#ffd700";
  if (x === 0) return "#8c8c8c";
  var lo = scale[0], hi = scale[1], a = Math.log10(Math.abs(x));
  var s = hi <= lo ? 1 : Math.min(1, Math.max(0, (a - lo) / (hi - lo)));
  var t = 0.25 + 0.75 * s, end = x > 0 ? [33, 102, 172] : [178, 24, 43], w = [247, 247, 247];
  return "rgb(" + w.map(function (c, i) { return Math.round(c + (end[i] - c) * t); }).join(",") + ")";
}

function NetView(root, prefix, net) {
  var self = this, svg = root.querySelector(".dgx-figure svg");
  this.net = net;
  this.nodes = {};
  var gs = svg.querySelectorAll("g.node"), k;
  for (k = 0; k < gs.length; k++) this.nodes[gs[k].id.slice(prefix.length)] = gs[k];
  var byTitle = {};
  this.out = {};
  var es = svg.querySelectorAll("g.edge");
  for (k = 0; k < es.length; k++) {
    var title = es[k].querySelector("title").textContent, t = title.split("->");
    var e = {el: es[k], tail: t[0], head: t[1]};
    byTitle[title] = e;
    (this.out[e.tail] = this.out[e.tail] || []).push(e);
  }
  var titles = svg.querySelectorAll("g.node title, g.edge title, a");
  for (k = 0; k < titles.length; k++) {
    if (titles[k].tagName === "a" || titles[k].tagName === "A") {
      titles[k].removeAttribute("xlink:title");
      titles[k].removeAttributeNS("http://www.w3.org/1999/xlink", "title");
    } else titles[k].parentNode.removeChild(titles[k]);
  }
  this.units = net.ids.map(function (id) { return self.nodes[id]; });
  this.texts = this.units.map(function (g) { return g ? g.querySelectorAll("text") : []; });
  this.shapes = this.units.map(function (g) {
    var s = g ? g.querySelector("path, polygon") : null;
    if (s) s.classList.add("dgx-shape");
    return s;
  });
  this.room = this.shapes.map(function (s) {
    try { return s ? s.getBBox().width - 6 : 0; } catch (err) { return 0; }
  });
  this.edges = net.titles.map(function (t) { return byTitle[t]; });
  this.next = net.ids.map(function () { return []; });  // edges out of each unit
  net.edges.forEach(function (e, i) { if (e[0] >= 0) self.next[e[0]].push(i); });
  var rootBox = this.nodes.root;
  this.rootText = rootBox ? rootBox.querySelector("text") : null;
  this.rootName = this.rootText ? this.rootText.textContent.split(" = ")[0] : net.top;
}
NetView.prototype.text = function (k, i, text, grey) {
  var t = this.texts[k][i];
  if (!t) return;
  t.textContent = text;
  t.setAttribute("fill", grey ? "#4d4d4d" : "#000000");
  t.removeAttribute("textLength");
  if (this.room[k] > 0 && t.getComputedTextLength() > this.room[k]) {
    t.setAttribute("textLength", this.room[k]);
    t.setAttribute("lengthAdjust", "spacingAndGlyphs");
  }
};
NetView.prototype.dead = function (st, k) {
  return this.net.act[k] === "relu" && st.z[k] !== null && st.z[k] <= 0;
};
NetView.prototype.show = function (st) {
  var self = this, net = this.net;
  net.ids.forEach(function (id, k) {
    if (!self.units[k]) return;
    var dead = self.dead(st, k), t = self.texts[k], name = "n" + id.split("u").pop();
    if (t.length >= 3) {
      self.text(k, t.length - 3, name + (dead ? " dead" : ""), dead);
      self.text(k, t.length - 2, "z " + fmt(st.z[k]) + "\u2002a " + fmt(st.a[k]), dead);
      self.text(k, t.length - 1, "∂L/∂z " + fmt(st.dz[k]), dead);
    }
    self.units[k].classList.toggle("dgx-dead", dead);
    var s = self.shapes[k];
    if (s) {
      s.setAttribute("fill", dead ? "#e0e0e0" : "#ffffff");
      s.setAttribute("stroke-dasharray", dead ? "5,2" : "none");
    }
  });
  this.edges.forEach(function (e, i) {
    if (!e) return;
    var share = st.share[i], w = st.w[i], colour = shareColour(share, net.scale);
    var width = (0.5 + 3.5 * Math.abs(w === null ? 0 : w) / net.wmax).toFixed(2);
    var path = e.el.querySelector("path"), head = e.el.querySelector("polygon");
    if (path) {
      path.setAttribute("stroke", colour);
      path.setAttribute("stroke-width", width);
      path.setAttribute("stroke-dasharray", share === 0 ? "5,2" : "none");
    }
    if (head) { head.setAttribute("stroke", colour); head.setAttribute("fill", colour); }
    e.el.setAttribute("data-share", share === null ? "nan" : share);
  });
  if (this.rootText) this.rootText.textContent = this.rootName + " = " + fmt(st.root);
};
NetView.prototype.unitAt = function (target) {
  var g = target.closest ? target.closest("g.node") : null;
  return g ? this.units.indexOf(g) : -1;
};
NetView.prototype.describe = function (st, k) {
  var net = this.net, top = net.top;
  return [net.names[k] + (this.dead(st, k) ? "  (dead: a ReLU with z ≤ 0)" : ""),
          "z = " + full(st.z[k]), "a = " + full(st.a[k]),
          "∂" + top + "/∂a = " + full(st.da[k]), "∂" + top + "/∂z = " + full(st.dz[k])].join("\n");
};
/* ∂L/∂a_j = Σ_k ∂L/∂z_k × w_kj over the next layer's units k; ∂L/∂z_j = ∂L/∂a_j × g′(z_j) */
NetView.prototype.chain = function (st, k) {
  var net = this.net, top = net.top, nm = net.names[k], uses = this.next[k];
  var lines = [], parts = [];
  if (uses.length) {
    lines.push("∂" + top + "/∂a of " + nm + " = Σ over the next layer's units k of ∂" + top +
               "/∂z_k × w_kj:");
    uses.forEach(function (i) {
      var h = net.edges[i][1], term = st.dz[h] * st.w[i];
      lines.push("  via " + net.names[h] + ": " + fmt(st.dz[h]) + " × " + fmt(st.w[i]) +
                 " = " + fmt(term));
      parts.push(fmt(term));
    });
    lines.push("  = " + (parts.length > 1 ? parts.join(" + ").replace(/\+ −/g, "− ") + " = " : "") +
               fmt(st.da[k]) + "  (full precision " + full(st.da[k]) + ")");
  } else {
    lines.push("∂" + top + "/∂a of " + nm + " = " + full(st.da[k]) + ": it feeds " + top +
               " directly");
  }
  var gp = st.gp ? st.gp[k] : null, act = net.act[k] || "no activation";
  lines.push("∂" + top + "/∂z = ∂" + top + "/∂a × g′(z) (" + act + ") = " + fmt(st.da[k]) +
             " × " + fmt(gp) + " = " + fmt(st.dz[k]) + "  (full precision " + full(st.dz[k]) +
             ")");
  return lines.join("\n");
};
/* the unit and every edge and unit after it, up to the root */
NetView.prototype.downstream = function (k) {
  var seen = {}, edges = [], stack = [this.net.ids[k]], self = this;
  seen[stack[0]] = true;
  while (stack.length) {
    (self.out[stack.pop()] || []).forEach(function (e) {
      edges.push(e);
      if (!seen[e.head]) { seen[e.head] = true; stack.push(e.head); }
    });
  }
  return {nodes: seen, edges: edges};
};

function netPointing(root, view, current) {
  var tip = el("div", "dgx-tip"), info = root.querySelector(".dgx-info");
  tip.hidden = true;
  root.appendChild(tip);
  var figure = root.querySelector(".dgx-figure"), lit = null, chosen = -1;
  figure.addEventListener("mousemove", function (ev) {
    var k = view.unitAt(ev.target);
    if (k < 0) { tip.hidden = true; return; }
    tip.textContent = view.describe(current(), k);
    tip.hidden = false;
    var r = root.getBoundingClientRect();
    tip.style.left = (ev.clientX - r.left + 14) + "px";
    tip.style.top = (ev.clientY - r.top + 14) + "px";
  });
  figure.addEventListener("mouseleave", function () { tip.hidden = true; });
  function light(on) {
    if (!lit) return;
    lit.edges.forEach(function (e) { e.el.classList.toggle("dgx-path", on); });
    Object.keys(lit.nodes).forEach(function (n) {
      if (view.nodes[n]) view.nodes[n].classList.toggle("dgx-path", on);
    });
  }
  figure.addEventListener("click", function (ev) {
    light(false);
    chosen = view.unitAt(ev.target);
    lit = chosen < 0 ? null : view.downstream(chosen);
    light(true);
    info.textContent = chosen < 0 ? "" : view.chain(current(), chosen);
  });
  return function () {  // the step changed: the chosen unit's sum follows it
    if (chosen >= 0) info.textContent = view.chain(current(), chosen);
  };
}

function network(root, prefix, data) {
  var view = new NetView(root, prefix, data.net), st = data.net.steps[0];
  view.show(st);
  netPointing(root, view, function () { return st; });
}

/* ---- training replay: curves, boundary, gradient norms, graph; one slider ---- */
function svgEl(tag, attrs, parent) {
  var e = document.createElementNS(SVGNS, tag);
  for (var a in attrs) e.setAttribute(a, attrs[a]);
  if (parent) parent.appendChild(e);
  return e;
}

function curve(holder, title, ys, fmtY, w, h) {
  var svg = svgEl("svg", {width: w, height: h, "class": "dgx-curve"}, holder);
  var good = ys.filter(function (y) { return y !== null; });
  var lo = Math.min.apply(null, good), hi = Math.max.apply(null, good);
  if (hi === lo) { hi += 1; lo -= 1; }
  var L = 44, R = 8, T = 18, B = 18, n = ys.length;
  function X(i) { return L + (w - L - R) * (n > 1 ? i / (n - 1) : 0.5); }
  function Y(y) { return T + (h - T - B) * (1 - (y - lo) / (hi - lo)); }
  svgEl("text", {x: L, y: 12, "class": "dgx-ctitle"}, svg).textContent = title;
  svgEl("text", {x: L - 4, y: T + 4, "text-anchor": "end", "class": "dgx-tick"}, svg)
    .textContent = fmtY(hi);
  svgEl("text", {x: L - 4, y: h - B, "text-anchor": "end", "class": "dgx-tick"}, svg)
    .textContent = fmtY(lo);
  svgEl("rect", {x: L, y: T, width: w - L - R, height: h - T - B, "class": "dgx-frame"}, svg);
  var pts = [];
  ys.forEach(function (y, i) { if (y !== null) pts.push(X(i).toFixed(1) + "," + Y(y).toFixed(1)); });
  svgEl("polyline", {points: pts.join(" "), "class": "dgx-line"}, svg);
  var mark = svgEl("line", {y1: T, y2: h - B, "class": "dgx-mark"}, svg);
  var dot = svgEl("circle", {r: 3.5, "class": "dgx-dot"}, svg);
  var label = svgEl("text", {y: T + 12, "class": "dgx-value"}, svg);
  return function (i) {
    var x = X(i);
    mark.setAttribute("x1", x); mark.setAttribute("x2", x);
    dot.setAttribute("cx", x); dot.setAttribute("cy", ys[i] === null ? -10 : Y(ys[i]));
    label.setAttribute("x", Math.min(x + 4, w - 80));
    label.textContent = fmtY(ys[i]);
  };
}

function decode(b64) {
  var s = atob(b64), out = new Int8Array(s.length);
  for (var i = 0; i < s.length; i++) out[i] = (s.charCodeAt(i) << 24) >> 24;
  return out;
}

function boundary(holder, grid, points, size) {
  var canvas = el("canvas", "dgx-boundary");
  canvas.width = canvas.height = size;
  holder.appendChild(canvas);
  var ctx = canvas.getContext("2d"), n = grid.n;
  var off = el("canvas");
  off.width = off.height = n;
  var octx = off.getContext("2d"), img = octx.createImageData(n, n);
  function px(x, y) {
    return [(x - grid.x0) / (grid.x1 - grid.x0) * size,
            (1 - (y - grid.y0) / (grid.y1 - grid.y0)) * size];
  }
  return function (j) {
    var cells = decode(grid.cells[j]);
    for (var r = 0; r < n; r++) for (var c = 0; c < n; c++) {
      var s = cells[r * n + c] / 127, a = Math.abs(s);  // tanh(score): sign is the class
      var o = ((n - 1 - r) * n + c) * 4;                 // row 0 is the lowest y
      var base = s > 0 ? [33, 102, 172] : [178, 24, 43];
      img.data[o] = Math.round(255 + (base[0] - 255) * (0.25 + 0.45 * a));
      img.data[o + 1] = Math.round(255 + (base[1] - 255) * (0.25 + 0.45 * a));
      img.data[o + 2] = Math.round(255 + (base[2] - 255) * (0.25 + 0.45 * a));
      img.data[o + 3] = 255;
    }
    octx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(off, 0, 0, size, size);
    points.forEach(function (p) {
      var q = px(p[0], p[1]);
      ctx.beginPath(); ctx.arc(q[0], q[1], 3.2, 0, 2 * Math.PI);
      ctx.fillStyle = p[2] > 0 ? "#2166ac" : "#b2182b"; ctx.fill();
      ctx.strokeStyle = "#000"; ctx.lineWidth = 0.6; ctx.stroke();
    });
    canvas.setAttribute("data-step", j);
  };
}

function bars(holder, names, rows, w) {
  var h = 22 + 18 * names.length;
  var svg = svgEl("svg", {width: w, height: h, "class": "dgx-bars"}, holder);
  svgEl("text", {x: 4, y: 12, "class": "dgx-ctitle"}, svg).textContent =
    "gradient norm per layer ‖∂L/∂θ‖ (log scale)";
  var all = [];
  rows.forEach(function (r) { r.forEach(function (x) { if (x > 0) all.push(Math.log10(x)); }); });
  var lo = Math.floor(Math.min.apply(null, all.concat([-3]))), hi = Math.ceil(Math.max.apply(null, all.concat([0])));
  var L = 70, R = 70;
  var rects = names.map(function (nm, i) {
    svgEl("text", {x: L - 4, y: 32 + 18 * i, "text-anchor": "end", "class": "dgx-tick"}, svg)
      .textContent = nm;
    var r = svgEl("rect", {x: L, y: 22 + 18 * i, height: 13, "class": "dgx-bar-rect"}, svg);
    var t = svgEl("text", {y: 32 + 18 * i, "class": "dgx-tick dgx-norm"}, svg);
    return [r, t];
  });
  return function (j) {
    rows[j].forEach(function (x, i) {
      var f = x > 0 ? (Math.log10(x) - lo) / (hi - lo) : 0, wd = Math.max(1, f * (w - L - R));
      rects[i][0].setAttribute("width", wd);
      rects[i][1].setAttribute("x", L + wd + 4);
      rects[i][1].textContent = fmt(x);
    });
  };
}

function training(root, prefix, data) {
  var panels = root.querySelector(".dgx-panels"), kept = data.kept;
  var curves = [curve(panels, "loss (all epochs)", data.loss, fmt, 300, 150)];
  if (data.accuracy.some(function (a) { return a !== null; }))
    curves.push(curve(panels, "training accuracy", data.accuracy, function (a) {
      return a === null ? "–" : (100 * a).toFixed(1) + " %"; }, 300, 150));
  var draw = data.grid ? boundary(panels, data.grid, data.points, 220) : null;
  var norms = bars(panels, data.norms.names, data.norms.rows, 330);
  var g = data.graph, graph = null, net = null, netStep = 0, follow = null;
  if (data.net) {
    net = new NetView(root, prefix, data.net);
    follow = netPointing(root, net, function () { return data.net.steps[netStep]; });
  }
  if (g) {
    graph = new Graph(root, prefix, g);
    pointing(root, graph, root.querySelector(".dgx-info"), function (b) {
      return describeValue(graph, b, function (i) { return []; })
        .replace(/data = .*/, "data = " + full(cur.data[b]) + "\ngrad = " + full(cur.grad[b]));
    }, function (b) {
      return g.values[g.rep[b]].name + " at epoch " + (kept[cur.k] + 1) + ": data " +
        full(cur.data[b]) + ", ∂" + g.top + "/∂" + g.values[g.rep[b]].name + " = " +
        full(cur.grad[b]) + "; outlined: its paths to " + g.top + ".";
    });
  }
  var cur = null, caption = root.querySelector(".dgx-caption");
  function show(j, where) {
    var e = kept[j];
    curves.forEach(function (c) { c(e); });
    if (draw) draw(j);
    norms(j);
    if (net) {
      netStep = j;
      net.show(data.net.steps[j]);
      follow();
    }
    if (graph) {
      cur = g.steps[j];
      cur.k = j;
      data.graph.boxes.forEach(function (_, b) {
        if (graph.members[b].length === 1) {
          graph.setText(b, 2, "data " + fmt(cur.data[b]));
          graph.setText(b, 1, "grad " + fmt(cur.grad[b]));
        } else {
          summaryTexts(graph, b, cur);
        }
        var s = graph.shape(b);
        if (s) s.setAttribute("fill", gradColour(cur.grad[b]));
      });
    }
    caption.textContent = "epoch " + (e + 1) + " of " + data.loss.length + ": loss " +
      fmt(data.loss[e]) + (data.accuracy[e] === null ? "" :
      ", training accuracy " + (100 * data.accuracy[e]).toFixed(1) + " %");
    where.textContent = "kept step " + (j + 1) + " / " + kept.length;
  }
  controls(root, kept.length, show, document.body.getAttribute("data-dgx-standalone") === "1");
}

/* a folded box's lines "‖grad‖ of n leaves x" and "|grad| lo … hi", at this epoch */
function summaryTexts(graph, b, cur) {
  var t = graph.texts[b];
  for (var k = 0; k < t.length; k++) {
    var s = t[k].textContent, m = /^(‖grad‖ of \d+ leaves?) /.exec(s);
    if (m) t[k].textContent = m[1] + " " + fmt(cur.norm[b]);
    else if (/^\|grad\| /.test(s)) t[k].textContent = "|grad| " + fmt(cur.lo[b]) + " … " + fmt(cur.hi[b]);
  }
}

/* blue > 0, red < 0, paler when |g| is smaller (log scale 1e-6 … 1e3), as the pictures */
function gradColour(x) {
  if (x === null) return "#ffd700";
  var a = Math.abs(x), t = a === 0 ? 0 : Math.min(1, Math.max(0, (Math.log10(a) + 6) / 9));
  var end = x > 0 ? [33, 102, 172] : [178, 24, 43], w = [247, 247, 247];
  return "rgb(" + w.map(function (c, i) { return Math.round(c + (end[i] - c) * t); }).join(",") + ")";
}

var KINDS = {stepper: stepper, inspect: inspect, network: network, training: training};

function dagradBoot(prefix, data, script) {
  // the script's own parent first: a notebook may run it before the output is in the page
  var root = script && script.parentNode && script.parentNode.id === prefix + "root" ?
    script.parentNode : document.getElementById(prefix + "root");
  if (!root || root.getAttribute("data-ready")) return;
  root.classList.add("dgx-live");
  KINDS[root.getAttribute("data-kind")](root, prefix, data);
  root.setAttribute("data-ready", "1");
}
