// Building the page's elements. Text always goes in as text nodes (textContent), never as
// markup: webhook bodies are attacker-controlled, and nothing here parses HTML.

// el makes an element with attributes (class, data-*, aria-*, ...) and children, strings
// becoming text nodes. An attribute whose value is null or false is left out.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

// svg makes an SVG element, as el does.
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function setAttrs(node, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// clear removes every child of node.
export function clear(node) {
  node.replaceChildren();
}

// $ is document.getElementById.
export const $ = (id) => document.getElementById(id);
