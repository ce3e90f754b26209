// Element builders: the page's CSP forbids innerHTML with data and inline styles, so every
// node is made here, its text set with textContent (escaped by construction).

const SVG_NS = "http://www.w3.org/2000/svg";

function assemble(node, attributes, children) {
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "style") throw new Error("inline styles are forbidden by the page's CSP; use a class");
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of [].concat(children ?? [])) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** An HTML element: el("a", {href: "#/unit/1"}, ["T1"]). Attributes null/false are left out. */
export function el(tag, attributes, children) {
  return assemble(document.createElement(tag), attributes, children);
}

/** An SVG element, same arguments as `el`. */
export function svg(tag, attributes, children) {
  return assemble(document.createElementNS(SVG_NS, tag), attributes, children);
}

/** Replace every child of `parent` with `children`. */
export function replaceChildren(parent, children) {
  parent.replaceChildren(...[].concat(children ?? []).filter((child) => child !== null && child !== undefined));
  return parent;
}
