// The runs page: every run of the server's log folder, newest first, refreshed every 2 s.
import { el, seconds, dollars, runHref } from "./common.js";

const POLL_MS = 2000;
const table = document.getElementById("runs");
const body = table.querySelector("tbody");
const state = document.getElementById("state");
const search = document.getElementById("search");
let rows = [];
let shown = "";

function text(row) {
  return [row.question, row.team.join(" "), row.status, row.winner ?? "", row.run_id].join(" ").toLowerCase();
}

function render() {
  const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
  const matching = rows.filter((row) => words.every((w) => text(row).includes(w)));
  const key = JSON.stringify([words, matching]);
  if (key === shown) return;
  shown = key;
  const focused = document.activeElement?.dataset?.run;
  body.replaceChildren(
    ...matching.map((row) =>
      el(
        "tr",
        { class: `run ${row.status}`, "data-run": row.run_id },
        el("td", { class: "started", text: row.started }),
        el("td", { class: "question" }, el("a", { href: runHref(row.run_id), "data-run": row.run_id, text: row.question || "(no question)" })),
        el("td", { class: "team", text: row.team.join(", ") }),
        el("td", {}, el("span", { class: `badge ${row.status}`, text: row.status })),
        el("td", { class: "winner", text: row.winner ?? "" }),
        el("td", { class: "num", text: seconds(row.duration) }),
        el("td", { class: "num", text: dollars(row.cost) }),
      ),
    ),
  );
  if (focused) body.querySelector(`a[data-run="${CSS.escape(focused)}"]`)?.focus();
  table.hidden = matching.length === 0;
  state.textContent = rows.length === 0
    ? "No runs yet: run a team (massgen --config team.yaml \"question\", or a request to massgen serve) and it appears here."
    : matching.length === 0 ? `No run matches “${search.value}”.` : `${matching.length} of ${rows.length} runs`;
}

async function refresh() {
  try {
    const response = await fetch("/api/runs", { headers: { accept: "application/json" } });
    if (response.status === 401) { location.assign("/login"); return; }
    rows = (await response.json()).runs;
    render();
  } catch (error) {
    state.textContent = `Cannot reach the server (${error.message}); retrying…`;
  } finally {
    setTimeout(refresh, POLL_MS);
  }
}

search.addEventListener("input", render);
refresh();
