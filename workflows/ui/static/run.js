/* The run page: draws the DAG and the timeline from /api/runs/RUN and polls it every
   second while the run goes, so phases change in place. */
"use strict";
const BOX_W = 176, BOX_H = 48, GAP_X = 24, GAP_Y = 46, PAD = 16;

function drawGraph(svg, graph, runName) {
  clear(svg);
  const layers = {};
  for (const v of graph.vertices) (layers[v.layer] = layers[v.layer] || []).push(v);
  const widest = Math.max(1, ...Object.values(layers).map(l => l.length));
  const width = PAD * 2 + widest * (BOX_W + GAP_X);
  const depth = Math.max(0, ...graph.vertices.map(v => v.layer)) + 1;
  svg.setAttribute("width", width);
  svg.setAttribute("height", PAD * 2 + depth * (BOX_H + GAP_Y));
  const pos = {};
  for (const [layer, members] of Object.entries(layers)) {
    const span = members.length * (BOX_W + GAP_X) - GAP_X;
    const left = (width - span) / 2;
    members.forEach((v, i) => {
      pos[v.id] = { x: left + i * (BOX_W + GAP_X), y: PAD + Number(layer) * (BOX_H + GAP_Y) };
    });
  }
  const edges = svgEl("g", { class: "edges" });
  for (const [from, to] of graph.edges) {
    const a = pos[from], b = pos[to];
    if (!a || !b) continue;
    const x1 = a.x + BOX_W / 2, y1 = a.y + BOX_H, x2 = b.x + BOX_W / 2, y2 = b.y;
    const mid = (y1 + y2) / 2;
    edges.appendChild(svgEl("path", { class: "edge",
      d: `M${x1},${y1} C${x1},${mid} ${x2},${mid} ${x2},${y2}` }));
  }
  svg.appendChild(edges);
  for (const v of graph.vertices) {
    const p = pos[v.id];
    const link = svgEl("a", { href: `/runs/${encodeURIComponent(runName)}/nodes/${encodeURIComponent(v.id)}` });
    const g = svgEl("g", { class: "node", "data-id": v.id, "data-label": v.label,
      "data-phase": v.phase, "data-attempts": v.attempts, "data-memoized": v.memoized,
      transform: `translate(${p.x},${p.y})` });
    const colour = PHASE_COLOURS[v.phase] || "#b3b3b3";
    g.appendChild(svgEl("rect", { width: BOX_W, height: BOX_H, rx: 6, fill: "#fff",
      stroke: colour, "stroke-dasharray": v.phase === "Omitted" || v.phase === "Skipped" ? "4 3" : "" }));
    g.appendChild(svgEl("rect", { width: 6, height: BOX_H, rx: 3, fill: colour }));
    g.appendChild(svgEl("text", { x: 14, y: 19, class: "title" }, fitText(v.label, 24)));
    const notes = [v.phase];
    if (v.attempts > 1) notes.push(`${v.attempts} attempts`);
    if (v.memoized) notes.push("memoized");
    if (v.exit_code && v.exit_code !== "0") notes.push(`exit ${v.exit_code}`);
    g.appendChild(svgEl("text", { x: 14, y: 37, class: "status", fill: "#5b6876" }, notes.join(" · ")));
    const tip = [v.label, v.phase, v.message, v.cause].filter(Boolean).join("\n");
    g.appendChild(svgEl("title", {}, tip));
    link.appendChild(g);
    svg.appendChild(link);
  }
}

function drawTimeline(svg, bars, runName) {
  clear(svg);
  const labelW = 230, rowH = 20, width = Math.max(700, (svg.parentNode.clientWidth || 900) - 10);
  const total = Math.max(1, ...bars.map(b => b.end));
  const scale = (width - labelW - 60) / total;
  svg.setAttribute("width", width);
  svg.setAttribute("height", 30 + bars.length * rowH);
  for (let s = 0; s <= total; s += Math.max(1, Math.ceil(total / 10))) {
    svg.appendChild(svgEl("line", { x1: labelW + s * scale, x2: labelW + s * scale, y1: 0,
      y2: 22 + bars.length * rowH, stroke: "#eef1f4" }));
    svg.appendChild(svgEl("text", { x: labelW + s * scale + 2, y: 12, fill: "#5b6876" }, `${s}s`));
  }
  bars.forEach((b, i) => {
    const y = 20 + i * rowH;
    const g = svgEl("g", { class: "bar " + b.kind, "data-label": b.label, "data-phase": b.phase });
    g.appendChild(svgEl("text", { x: 4, y: y + 13 }, fitText(b.label, 34)));
    const w = Math.max(3, (b.end - b.start) * scale);
    g.appendChild(svgEl("rect", { x: labelW + b.start * scale, y: y + 3, width: w, height: rowH - 6,
      rx: 2, fill: PHASE_COLOURS[b.phase] || "#b3b3b3", opacity: b.kind === "backoff" ? 0.6 : 1 }));
    g.appendChild(svgEl("title", {}, `${b.label}: ${b.phase}, ${b.start}s → ${b.end}s${b.running ? " (running)" : ""}`));
    svg.appendChild(g);
  });
}

function render(run) {
  definitionList(document.getElementById("summary"), [
    ["Phase", phaseBadge(run.phase)], ["Message", run.message], ["Pipeline", run.pipeline],
    ["Run date", run.run_date], ["Started", run.started], ["Finished", run.finished],
    ["Duration", run.duration], ["Progress", run.progress],
    ["Rows loaded", run.rows_loaded === null ? "" : run.rows_loaded.toLocaleString("en")]]);
  document.getElementById("retry-form").hidden = !run.can_retry;
  document.getElementById("stop-form").hidden = !run.can_stop;
  const failures = document.getElementById("failures");
  clear(failures);
  for (const f of run.failures) {
    const li = htmlEl("li", { class: "failure", "data-id": f.id });
    li.appendChild(htmlEl("a", { href: `/runs/${run.name}/nodes/${f.id}` }, f.label));
    li.appendChild(document.createTextNode(` ${f.phase}: ${f.message}`));
    if (f.cause) li.appendChild(htmlEl("div", { class: "cause" }, f.cause));
    failures.appendChild(li);
  }
  document.getElementById("failures-section").hidden = run.failures.length === 0;
  drawGraph(document.getElementById("graph"), run.graph, run.name);
  drawTimeline(document.getElementById("timeline"), run.timeline, run.name);
  const params = document.getElementById("parameters");
  clear(params);
  for (const [k, v] of Object.entries(run.parameters)) {
    const tr = htmlEl("tr");
    tr.appendChild(htmlEl("td", {}, k));
    tr.appendChild(htmlEl("td", {}, v));
    params.appendChild(tr);
  }
  const sla = run.sla;
  const limit = sla.seconds ? `soft SLA ${sla.seconds}s: ` : "";
  const verdict = sla.verdict ? `verdict ${sla.verdict}` :
    (sla.seconds ? (run.done ? "no verdict recorded" : "not judged yet (the exit handler judges it)") : "");
  document.getElementById("sla").textContent = (limit + verdict +
    (sla.at_risk ? " · the watcher warned: at risk" : "")) || "This run has no SLA.";
}

(function main() {
  let run = JSON.parse(document.getElementById("run-data").textContent);
  render(run);
  async function poll() {
    try {
      const res = await fetch(`/api/runs/${encodeURIComponent(run.name)}`, { cache: "no-store" });
      if (res.ok) { run = await res.json(); render(run); }
    } catch (e) { /* the server may restart: try again */ }
    if (!run.done) setTimeout(poll, 1000);
  }
  if (!run.done) setTimeout(poll, 1000);
})();
