// Trace explorer: the genealogy graph (cytoscape), levels, node details, "why is this here?", exports.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("graph-data").textContent);
  const byId = new Map(data.nodes.map((n) => [n.id, n]));
  const children = new Map();
  data.nodes.forEach((n) => { if (n.pred) { (children.get(n.pred) || children.set(n.pred, []).get(n.pred)).push(n.id); } });
  const COL = 200, SUB = 150, ROW = 46;
  const colours = { root: "#13293d", lot: "#0b5cad", serial: "#1e6b2f", container: "#7b2cbf", other: "#4d5661", party: "#d9480f" };

  function shortLabel(id) {
    const bare = id.replace(/^party:/, "");
    const m = bare.match(/^urn:epc:(?:id|class):([a-z]+):(.*)$/);
    if (m) {
      const parts = m[2].split(".");
      return m[1] + " " + (["pgln", "sgln", "gln"].includes(m[1]) ? m[2] : parts.slice(-1)[0]);
    }
    const segs = bare.split("/").filter(Boolean);
    return segs.length > 2 ? segs.slice(-2).join("/") : bare;
  }

  // Columns by depth; within a column, members of one container stay together.
  const columns = new Map();
  data.nodes.forEach((n) => { if (!columns.has(n.depth)) columns.set(n.depth, []); columns.get(n.depth).push(n); });
  const positions = new Map();
  columns.forEach((list, depth) => {
    list.sort((a, b) => String(a.parent || "").localeCompare(String(b.parent || "")) || a.id.localeCompare(b.id));
    // a long column wraps into sub-columns, so a level of hundreds of serials stays on screen
    const rows = Math.min(list.length, Math.max(10, Math.ceil(Math.sqrt(list.length * 2))));
    list.forEach((n, i) => positions.set(n.id, { x: Math.floor(i / rows) * SUB, y: (i % rows - rows / 2) * ROW }));
  });
  let left = 0;  // each depth's block starts where the previous one ended
  Array.from(columns.keys()).sort((a, b) => a - b).forEach((depth) => {
    const list = columns.get(depth);
    let width = 0;
    list.forEach((n) => { const p = positions.get(n.id); width = Math.max(width, p.x); p.x += left; });
    left += width + COL;
  });
  const hasChildren = new Set(data.nodes.filter((n) => n.parent).map((n) => n.parent));

  const elements = data.nodes.map((n) => ({
    group: "nodes",
    data: { id: n.id, label: shortLabel(n.id), kind: n.kind, parent: n.parent && byId.has(n.parent) ? n.parent : undefined },
    position: positions.get(n.id),
    classes: n.kind + (hasChildren.has(n.id) ? " holder" : ""),
  })).concat(data.edges.filter((e) => byId.has(e.source) && byId.has(e.target)
      && byId.get(e.source).parent !== e.target && byId.get(e.target).parent !== e.source).map((e) => ({
    group: "edges", data: { id: e.id, source: e.source, target: e.target, label: e.label, event: e.event },
  })));

  const cy = cytoscape({
    container: document.getElementById("graph"),
    elements: elements,
    layout: { name: "preset" },
    wheelSensitivity: 0.3,
    style: [
      { selector: "node", style: { "label": "data(label)", "font-size": 10, "text-valign": "bottom", "text-margin-y": 3,
        "background-color": (el) => colours[el.data("kind")] || "#4d5661", "width": 18, "height": 18, "color": "#1b1f24" } },
      { selector: "node.root", style: { "width": 26, "height": 26, "border-width": 3, "border-color": "#f2a900" } },
      { selector: "node.container", style: { "shape": "round-rectangle" } },
      { selector: "node.party", style: { "shape": "diamond", "width": 22, "height": 22 } },
      { selector: "node.lot", style: { "shape": "round-rectangle" } },
      { selector: "node.holder", style: { "background-color": "#f4ecfb", "background-opacity": 0.6, "border-width": 2,
        "border-style": "dashed", "border-color": "#7b2cbf", "text-valign": "top", "padding": 8, "font-weight": 600 } },
      { selector: "edge", style: { "width": 1.5, "line-color": "#8a96a3", "target-arrow-color": "#8a96a3",
        "target-arrow-shape": "triangle", "curve-style": "bezier", "label": "data(label)", "font-size": 8,
        "color": "#4d5661", "text-rotation": "autorotate", "text-background-color": "#fff", "text-background-opacity": 0.8 } },
      { selector: ":selected", style: { "border-width": 4, "border-color": "#f2a900" } },
      { selector: ".faded", style: { "opacity": 0.2 } },
      { selector: "node.hl", style: { "background-color": "#d9480f", "border-color": "#d9480f", "border-width": 3 } },
      { selector: "edge.hl", style: { "width": 4, "line-color": "#d9480f", "target-arrow-color": "#d9480f", "color": "#a4161a", "font-size": 10 } },
    ],
  });

  // Which nodes are open (their children shown). Levels open every node above the level.
  const open = new Set();
  let level = 1;
  function setLevel(n) {
    level = Math.max(0, Math.min(n, data.max_depth));
    open.clear();
    data.nodes.forEach((node) => { if (node.depth < level) open.add(node.id); });
    render();
  }
  function shown() {
    const seen = new Set([data.root]);
    const stack = [data.root];
    while (stack.length) {
      const id = stack.pop();
      if (!open.has(id)) continue;
      (children.get(id) || []).forEach((c) => { if (!seen.has(c)) { seen.add(c); stack.push(c); } });
    }
    data.edges.forEach((e) => {  // parties: shown with any node that links to them, once the level reaches them
      const party = byId.get(e.target).kind === "party" ? e.target : byId.get(e.source).kind === "party" ? e.source : null;
      const other = party === e.target ? e.source : e.target;
      if (party && seen.has(other) && (open.has(other) || level >= byId.get(party).depth)) seen.add(party);
    });
    data.nodes.forEach((n) => { if (n.parent && seen.has(n.id)) seen.add(n.parent); });
    return seen;
  }
  function render() {
    const visible = shown();
    cy.batch(() => cy.nodes().forEach((n) => n.style("display", visible.has(n.id()) ? "element" : "none")));
    document.getElementById("level").textContent = "levels 0–" + level + " of " + data.max_depth + " · " + visible.size + " nodes";
  }

  // Node details and "why is this here?"
  let selected = null;
  const details = document.getElementById("details");
  const why = document.getElementById("why");
  async function select(id) {
    selected = id;
    cy.elements().unselect(); cy.getElementById(id).select();
    why.disabled = !byId.get(id) || !byId.get(id).pred;
    clearHighlight();
    const node = byId.get(id);
    const raw = id.replace(/^party:/, "");
    if (node && node.kind === "party") {
      details.innerHTML = "<h2></h2><p>" + (node.relation === "destination" ? "received shipments" : "supplied receipts") + " in this trace</p>";
      details.querySelector("h2").textContent = raw;
      return;
    }
    details.innerHTML = "<p class='muted'>Loading…</p>";
    const response = await fetch("/ui/trace/node?id=" + encodeURIComponent(raw), { credentials: "same-origin" });
    details.innerHTML = await response.text();
  }
  function clearHighlight() { cy.elements().removeClass("hl faded"); }
  function chain(id) {
    const ids = [];
    for (let cur = id; cur; cur = byId.get(cur).pred) { ids.unshift(cur); if (cur === data.root) break; }
    return ids;
  }
  function explain() {
    if (!selected) return;
    const ids = chain(selected);
    ids.forEach((id) => open.add(id));
    render();
    clearHighlight();
    cy.elements().addClass("faded");
    ids.forEach((id, i) => {
      cy.getElementById(id).removeClass("faded").addClass("hl");
      if (i > 0) cy.getElementById(ids[i - 1] + ">" + id).removeClass("faded").addClass("hl");
    });
    const path = byId.get(selected).path || [];
    const box = document.getElementById("why-path") || details;
    const link = (ev) => {
      const f = data.events[ev] || { label: "event", time: null };
      const when = f.time ? new Date(f.time / 1000).toISOString().replace(".000Z", "Z") : "";
      return "<a href='/ui/events/detail?id=" + encodeURIComponent(ev) + "'>" + escapeHtml(f.label) + "</a> <span class='muted'>" + when + "</span>";
    };
    // one step per hop of the chain: the events between the previous node's path and this node's
    const list = ids.slice(1).map((id, i) => {
      const events = (byId.get(id).path || []).slice((byId.get(ids[i]).path || []).length);
      return "<li>" + events.map(link).join("<br>") + "<br><span class='muted'>→ " + escapeHtml(shortLabel(id)) + "</span></li>";
    }).join("");
    box.innerHTML = "<h3>Why is this here?</h3><p>The chain of " + path.length + " events from the searched identifier:</p><ol>" + list + "</ol>";
    cy.fit(cy.elements(".hl"), 40);
  }
  function escapeHtml(s) { return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c])); }

  cy.on("tap", "node", (evt) => select(evt.target.id()));
  cy.on("dbltap", "node", (evt) => {
    const id = evt.target.id();
    if (open.has(id)) open.delete(id); else open.add(id);
    render();
  });
  document.getElementById("expand").addEventListener("click", () => setLevel(level + 1));
  document.getElementById("collapse").addEventListener("click", () => setLevel(level - 1));
  document.getElementById("expand-all").addEventListener("click", () => { setLevel(data.max_depth); cy.fit(undefined, 30); });
  document.getElementById("fit").addEventListener("click", () => cy.fit(cy.elements(":visible"), 30));
  why.addEventListener("click", explain);
  document.getElementById("graph").addEventListener("keydown", (e) => {
    if (e.key === "+" || e.key === "=") setLevel(level + 1);
    if (e.key === "-") setLevel(level - 1);
  });
  document.querySelectorAll(".show-node").forEach((b) => b.addEventListener("click", () => {
    const id = b.dataset.node;
    chain(id).forEach((c) => open.add(c));
    render();
    select(id);
    cy.center(cy.getElementById(id));
    document.getElementById("details").scrollIntoView({ block: "nearest" });
  }));

  // Exports
  function download(blob, name) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob); a.download = name; document.body.appendChild(a); a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }
  document.getElementById("export-png").addEventListener("click", () =>
    download(cy.png({ output: "blob", full: true, scale: 2, bg: "#ffffff" }), "trace-" + data.direction + ".png"));
  document.getElementById("export-svg").addEventListener("click", () =>
    download(new Blob([toSvg()], { type: "image/svg+xml" }), "trace-" + data.direction + ".svg"));
  function toSvg() {  // what is on screen, as vector: boxes, edges, nodes, labels
    const visible = cy.elements(":visible");
    const bb = visible.boundingBox();
    const pad = 20, w = bb.w + 2 * pad, h = bb.h + 2 * pad;
    const X = (x) => (x - bb.x1 + pad).toFixed(1), Y = (y) => (y - bb.y1 + pad).toFixed(1);
    const out = ["<svg xmlns='http://www.w3.org/2000/svg' width='" + w.toFixed(0) + "' height='" + h.toFixed(0) +
      "' viewBox='0 0 " + w.toFixed(1) + " " + h.toFixed(1) + "' font-family='sans-serif'>",
      "<rect width='100%' height='100%' fill='#fff'/>",
      "<defs><marker id='a' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='6' markerHeight='6' orient='auto'><path d='M0,0L10,5L0,10z' fill='#8a96a3'/></marker></defs>"];
    visible.nodes(".holder").forEach((n) => { const b = n.boundingBox({ includeLabels: false });
      out.push("<rect x='" + X(b.x1) + "' y='" + Y(b.y1) + "' width='" + b.w.toFixed(1) + "' height='" + b.h.toFixed(1) +
        "' rx='6' fill='#f4ecfb' stroke='#7b2cbf' stroke-dasharray='4 3'/>"); });
    visible.edges().forEach((e) => { const s = e.sourceEndpoint(), t = e.targetEndpoint();
      const colour = e.hasClass("hl") ? "#d9480f" : "#8a96a3";
      out.push("<line x1='" + X(s.x) + "' y1='" + Y(s.y) + "' x2='" + X(t.x) + "' y2='" + Y(t.y) + "' stroke='" + colour + "' stroke-width='1.5' marker-end='url(#a)'/>"); });
    visible.nodes().forEach((n) => {
      const p = n.position(), label = escapeHtml(n.data("label"));
      if (!n.hasClass("holder")) {
        const fill = n.hasClass("hl") ? "#d9480f" : colours[n.data("kind")] || "#4d5661";
        out.push("<circle cx='" + X(p.x) + "' cy='" + Y(p.y) + "' r='9' fill='" + fill + "'><title>" + escapeHtml(n.id()) + "</title></circle>");
        out.push("<text x='" + X(p.x) + "' y='" + Y(p.y + 22) + "' font-size='10' text-anchor='middle'>" + label + "</text>");
      } else {
        const b = n.boundingBox({ includeLabels: false });
        out.push("<text x='" + X(b.x1 + 4) + "' y='" + Y(b.y1 - 4) + "' font-size='10' font-weight='bold'>" + label + "</text>");
      }
    });
    out.push("</svg>");
    return out.join("\n");
  }

  window.lotlineGraph = cy;  // for the browser tests and the curious
  setLevel(1);
  cy.fit(cy.elements(":visible"), 30);
})();
