// Tiny DOM helpers shared by the renderer and the page.

import { t } from "./words.js";

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "html") node.innerHTML = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// What the playground cannot render, shown plainly rather than dropped.
export function rawBox(what, json) {
  return h("div", { class: "raw-block", dataset: { unrendered: what } },
    h("div", { class: "raw-title", text: t("not_rendered", { what }) }),
    h("pre", { text: JSON.stringify(json, null, 2) }));
}

let counter = 0;
export function uniqueId(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}
