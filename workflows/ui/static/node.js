/* The node page: its inputs, outputs and error line, and each attempt's log, followed
   (read from the last offset every second) while the node runs. */
"use strict";

function paramTable(params) {
  const table = htmlEl("table", { class: "kv" });
  for (const p of params) {
    const tr = htmlEl("tr");
    tr.appendChild(htmlEl("td", {}, p.name));
    tr.appendChild(htmlEl("td", {}, p.value));
    table.appendChild(tr);
  }
  return table;
}

function artifactList(node, side, arts) {
  const ul = htmlEl("ul", { class: "artifacts" });
  for (const a of arts) {
    const li = htmlEl("li");
    const owner = side === "outputs" ? node.outputs_of : node.id;
    li.appendChild(htmlEl("a", { class: "artifact",
      href: `/runs/${node.run}/nodes/${owner}/artifacts/${side}/${encodeURIComponent(a.name)}` }, a.name));
    li.appendChild(document.createTextNode(a.where ? ` (${a.where}${a.size ? ", " + a.size + " bytes" : ""})` : " (inline)"));
    ul.appendChild(li);
  }
  return ul;
}

function renderSide(el, node, side) {
  clear(el);
  const data = node[side];
  if (data.parameters.length) { el.appendChild(htmlEl("h3", {}, "Parameters")); el.appendChild(paramTable(data.parameters)); }
  if (data.artifacts.length) { el.appendChild(htmlEl("h3", {}, "Artifacts")); el.appendChild(artifactList(node, side, data.artifacts)); }
  if (!data.parameters.length && !data.artifacts.length) el.appendChild(htmlEl("p", { class: "empty" }, "none"));
}

function render(node) {
  definitionList(document.getElementById("node-summary"), [
    ["Phase", phaseBadge(node.phase)], ["Type", node.type], ["Template", node.template],
    ["Memoized", node.memoized ? "yes (outputs reused from the memo cache)" : ""],
    ["Exit code", node.exit_code], ["Message", node.message],
    ["Started", node.started], ["Finished", node.finished],
    ["Attempts", node.attempts.length > 1 ? String(node.attempts.length) : ""]]);
  document.getElementById("cause-section").hidden = !node.cause;
  document.getElementById("cause").textContent = node.cause || "";
  renderSide(document.getElementById("inputs"), node, "inputs");
  renderSide(document.getElementById("outputs"), node, "outputs");
}

const followed = {};

function ensureLog(node, attempt) {
  let box = document.getElementById("log-" + attempt.id);
  if (!box) {
    const logs = document.getElementById("logs");
    const heading = htmlEl("h3", { id: "log-title-" + attempt.id });
    logs.appendChild(heading);
    box = htmlEl("pre", { class: "log", id: "log-" + attempt.id });
    logs.appendChild(box);
    followed[attempt.id] = { offset: 0, running: true };
  }
  document.getElementById("log-title-" + attempt.id).textContent =
    `${attempt.label} · ${attempt.phase}${attempt.exit_code ? " · exit " + attempt.exit_code : ""}`;
  return box;
}

async function follow(node, attempt) {
  const box = ensureLog(node, attempt);
  const state = followed[attempt.id];
  if (state.busy || !state.running) return;
  state.busy = true;
  try {
    const res = await fetch(`/api/runs/${node.run}/logs/${attempt.id}?offset=${state.offset}`, { cache: "no-store" });
    if (res.ok) {
      const chunk = await res.json();
      if (chunk.text) box.appendChild(document.createTextNode(chunk.text));
      state.offset = chunk.offset;
      state.running = chunk.running || chunk.text.length > 0;  // a last read after the end
      if (!chunk.exists && !chunk.running && !box.textContent)
        box.textContent = node.memoized ? "(no log: memoized)" : "(no log: the process did not start)";
    }
  } finally { state.busy = false; }
}

(function main() {
  let node = JSON.parse(document.getElementById("node-data").textContent);
  render(node);
  async function tick() {
    await Promise.all(node.attempts.map(a => follow(node, a)));
    node.attempts.forEach(a => ensureLog(node, a));  // headings: each attempt's phase now
    const going = Object.values(followed).some(s => s.running) || ["Pending", "Running"].includes(node.phase);
    if (!going) return;
    try {
      const res = await fetch(`/api/runs/${node.run}/nodes/${node.id}`, { cache: "no-store" });
      if (res.ok) { node = await res.json(); render(node); }
    } catch (e) { /* try again */ }
    setTimeout(tick, 1000);
  }
  tick();
  if (!node.attempts.length) document.getElementById("logs").appendChild(
    htmlEl("p", { class: "empty" }, node.memoized ? "No log: memoized, it did not run." : "This node has no pod, hence no log."));
})();
