// Shared by the pages. Agent output is untrusted: it is only ever set as text (textContent,
// Text nodes), never as markup or as a link's address.

/** An element with text and attributes; `children` are elements or strings (as text). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = String(value);
    else if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

export function seconds(value) {
  if (value === null || value === undefined) return "";
  return value < 60 ? `${value.toFixed(1)} s` : `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
}

export function dollars(value) {
  if (value === null || value === undefined) return "";
  return value < 0.01 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`;
}

export function tokens(inputTokens, outputTokens) {
  if (inputTokens === null || inputTokens === undefined) return "tokens unknown";
  return `${inputTokens.toLocaleString("en")} in · ${(outputTokens ?? 0).toLocaleString("en")} out`;
}

/** The address of a run's page (a run id is [0-9a-f-] only; encoded all the same). */
export function runHref(runId) {
  return `/runs/${encodeURIComponent(runId)}`;
}
