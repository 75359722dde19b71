/* Tiny helpers shared by the pages: SVG and HTML elements built with text, never markup
   (run names, messages and logs are data: they never become HTML). */
"use strict";
const SVGNS = "http://www.w3.org/2000/svg";
const PHASE_COLOURS = { Succeeded: "#18be94", Failed: "#e96d76", Error: "#e96d76",
  Running: "#0dadea", Pending: "#b3b3b3", Omitted: "#9aa5b1", Skipped: "#9aa5b1",
  Backoff: "#f0c36d" };

function svgEl(name, attrs, text) {
  const el = document.createElementNS(SVGNS, name);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function htmlEl(name, attrs, text) {
  const el = document.createElement(name);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  if (text !== undefined && text !== null) el.textContent = text;
  return el;
}

function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }

function fitText(text, max) { return text.length > max ? text.slice(0, max - 1) + "…" : text; }

function definitionList(dl, pairs) {
  clear(dl);
  for (const [k, v] of pairs) {
    if (v === null || v === undefined || v === "") continue;
    dl.appendChild(htmlEl("dt", {}, k));
    const dd = htmlEl("dd");
    if (v instanceof Node) dd.appendChild(v); else dd.textContent = String(v);
    dl.appendChild(dd);
  }
}

function phaseBadge(phase) { return htmlEl("span", { class: "phase phase-" + phase }, phase); }
