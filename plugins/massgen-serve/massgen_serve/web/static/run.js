// A run's page: its log's records as they come (Server-Sent Events), rendered as they say.
// Nothing is decided here: statuses come with the records (the core's rules), the winner and
// the vote counts from coordination_ended and run_finished, the final answer from the result.
import { el, seconds, dollars, tokens } from "./common.js";

const runId = decodeURIComponent(location.pathname.split("/").pop());
const $ = (id) => document.getElementById(id);
const agents = new Map(); // agent id -> its column's parts
let question = "";
let finished = false;

function agent(id) {
  return agents.get(id) ?? addAgent({ agent_id: id, label: id, backend: "?", model: null });
}

function addAgent(info) {
  const status = el("span", { class: "badge waiting", text: "waiting" });
  const votes = el("span", { class: "vote-count" });
  const usage = el("p", { class: "usage muted", text: "" });
  const now = el("div", { class: "text", "aria-live": "off" });
  const reasoning = el("div", { class: "text reasoning" });
  const reasoningBox = el("details", { class: "reasoning-box", hidden: true }, el("summary", { text: "Reasoning" }), reasoning);
  const activity = el("ul", { class: "activity" });
  const answers = el("div", { class: "answers" });
  const column = el(
    "article",
    { class: "agent", "data-agent": info.agent_id, "aria-label": `Agent ${info.agent_id}` },
    el("header", {},
      el("h2", {}, el("span", { class: "agent-id", text: info.agent_id }), " ", el("span", { class: "label muted", text: info.label })),
      el("p", { class: "model muted", text: [info.backend, info.model].filter(Boolean).join(" · ") }),
      el("p", {}, status, " ", el("span", { class: "round muted" }), " ", votes),
      usage,
    ),
    el("h3", { text: "Now" }),
    now,
    reasoningBox,
    activity,
    el("h3", { text: "Answers" }),
    answers,
  );
  const parts = {
    info, column, status, votes, usage, now, reasoning, reasoningBox, activity, answers,
    text: null, thought: null, mark: 0, thoughtMark: 0, input: 0, output: 0, usageKnown: false,
    round: column.querySelector(".round"),
  };
  newTurn(parts);
  agents.set(info.agent_id, parts);
  $("agents").append(column);
  return parts;
}

function newTurn(parts) {
  parts.text = document.createTextNode("");
  parts.thought = document.createTextNode("");
  parts.now.replaceChildren(parts.text);
  parts.reasoning.replaceChildren(parts.thought);
  parts.reasoningBox.hidden = true;
  parts.mark = parts.thoughtMark = 0;
}

function note(parts, text, kind = "") {
  parts.activity.append(el("li", { class: kind, text }));
}

function setStatus(id, status) {
  const parts = agents.get(id);
  if (!parts) return;
  parts.status.textContent = status;
  parts.status.className = `badge ${status}`;
}

function applyStatus(changes) {
  for (const [id, status] of changes) {
    if (id === "*") {
      for (const [other, parts] of agents) if (!parts.status.classList.contains("failed")) setStatus(other, status);
    } else setStatus(id, status);
  }
}

function showUsage(parts) {
  parts.usage.textContent = parts.usageKnown ? tokens(parts.input, parts.output) : "";
}

function finalText() {
  $("final").hidden = false;
  let node = $("final-text").firstChild;
  if (!node) { node = document.createTextNode(""); $("final-text").append(node); }
  return node;
}

function vote(record) {
  $("votes").querySelector(".none")?.remove();
  $("votes").append(
    el("li", { class: "vote", "data-voter": record.agent_id },
      el("span", { class: "when muted", text: seconds(record.t) }), " ",
      el("strong", { text: record.agent_id }), " voted for ",
      el("strong", { text: `${record.target_label} (${record.target_id})` }), ": ",
      el("q", { text: record.reason })),
  );
}

const handlers = {
  reasoning_summary_delta(r) {
    handlers.reasoning_delta(r);
  },
  run_started(r) {
    question = r.question;
    $("question").textContent = r.question;
    document.title = `MassGen: ${r.question.slice(0, 60)}`;
    for (const info of r.agents) if (!agents.has(info.agent_id)) addAgent(info);
    setRunStatus("running");
  },
  turn_started(r) {
    const parts = agent(r.agent_id);
    newTurn(parts);
    parts.round.textContent = `round ${r.round} · sees ${r.answers_seen} answer(s)`;
    note(parts, `round ${r.round} · ${seconds(r.t)}`, "round-start");
  },
  text_delta(r) {
    if (r.phase === "coordination") agent(r.agent).text.appendData(r.text);
    else finalText().appendData(r.text);
  },
  reasoning_delta(r) {
    const parts = agent(r.agent);
    parts.reasoningBox.hidden = false;
    parts.thought.appendData(r.text);
  },
  tool_call(r) {
    const call = r.call ?? {};
    if (call.name === "new_answer" || call.name === "vote") return; // shown as the answer or vote
    note(agent(r.agent), `→ ${call.name}(${JSON.stringify(call.arguments ?? {}).slice(0, 120)})`);
  },
  tool_result(r) {
    const parts = agent(r.agent);
    if (r.name !== "new_answer" && r.name !== "vote") {
      note(parts, `← ${r.name} ${r.is_error ? "error" : "ok"}: ${String(r.output).slice(0, 160)}`, r.is_error ? "error" : "");
    }
    parts.mark = parts.text.length; // a new reply follows the tool results
    parts.thoughtMark = parts.thought.length;
  },
  builtin_tool(r) {
    note(agent(r.agent), `⚙ ${r.tool} ${r.status}${r.query || r.code ? ": " + (r.query || r.code).slice(0, 80) : ""}`);
  },
  restart(r) {
    const parts = agent(r.agent);
    if (r.phase === "coordination") {
      parts.text.deleteData(parts.mark, parts.text.length);
      parts.thought.deleteData(parts.thoughtMark, parts.thought.length);
    } else {
      finalText().deleteData(0, finalText().length);
    }
    note(parts, `↻ retrying a reply that broke off (attempt ${r.attempt}): ${r.reason}`, "retry");
  },
  error(r) {
    note(agent(r.agent), `⚠ ${r.error}`, "error");
  },
  usage(r) {
    const parts = agent(r.agent);
    parts.input += r.input_tokens ?? 0;
    parts.output += r.output_tokens ?? 0;
    parts.usageKnown = true;
    showUsage(parts);
  },
  answer(r) {
    const parts = agent(r.agent_id);
    parts.answers.querySelector(".latest")?.classList.remove("latest");
    parts.answers.prepend(
      el("details", { class: "answer latest", open: true, "data-revision": r.revision },
        el("summary", { text: `Answer ${r.revision}, shown as ${r.label} · ${seconds(r.t)}` }),
        el("div", { class: "text", text: r.content })),
    );
    for (const older of parts.answers.querySelectorAll("details:not(.latest)")) older.open = false;
  },
  vote(r) {
    vote(r);
    note(agent(r.agent_id), `voted for ${r.target_label} · ${seconds(r.t)}: ${r.reason}`, "voted");
  },
  votes_cleared(r) {
    for (const voter of r.voters) {
      for (const item of $("votes").querySelectorAll(`li[data-voter="${CSS.escape(voter)}"]:not(.cleared)`)) {
        item.classList.add("cleared");
        item.append(el("span", { class: "muted", text: ` (cleared: ${r.by_agent_id} gave a new answer)` }));
      }
    }
  },
  notice(r) {
    note(agent(r.agent_id), `ℹ ${r.message}`, "notice");
  },
  agent_failed(r) {
    const parts = agent(r.agent_id);
    parts.column.classList.add("failed");
    const last = parts.activity.lastElementChild; // the error that ended it, said once
    if (last?.classList.contains("error") && last.textContent.endsWith(r.reason)) last.remove();
    note(parts, `✖ ${r.error_kind}: ${r.reason}`, "error");
  },
  coordination_ended(r) {
    for (const [id, count] of Object.entries(r.vote_counts)) agent(id).votes.textContent = `${count} vote(s)`;
    crown(r.winner);
    $("ended").textContent = r.summary;
  },
  presentation_started(r) {
    crown(r.agent_id);
    note(agent(r.agent_id), `presenting the final answer · ${seconds(r.t)}`, "round-start");
    $("final").hidden = false;
    $("presenter").textContent = `presented by ${r.agent_id}`;
    $("final-text").replaceChildren();
  },
  run_finished(r) {
    const result = r.result;
    finished = true;
    crown(result.winner);
    finalText();
    $("final-text").replaceChildren(document.createTextNode(result.final_answer));
    $("presenter").textContent = result.winner ? `by ${result.winner}` : "";
    $("ended").textContent = result.summary;
    for (const [id, usage] of Object.entries(result.usage ?? {})) {
      const parts = agent(id);
      parts.usage.textContent = [tokens(usage.input_tokens, usage.output_tokens), usage.requests ? `${usage.requests} request(s)` : "", dollars(usage.cost)].filter(Boolean).join(" · ");
    }
    for (const [id, reason] of Object.entries(result.failures ?? {})) agent(id).column.classList.add("failed");
    setRunStatus("finished", result);
  },
  run_stopped(r) {
    finished = true;
    setRunStatus(r.status, null, r.error);
  },
};

function crown(winner) {
  for (const [id, parts] of agents) parts.column.classList.toggle("winner", id === winner);
}

function setRunStatus(status, result = null, error = null) {
  $("status").textContent = status;
  $("status").className = `badge ${status}`;
  if (result) {
    $("facts").textContent = [
      `winner ${result.winner} (${result.labels?.[result.winner] ?? ""})`, seconds(result.duration), dollars(result.cost),
      tokens(result.total_usage?.input_tokens, result.total_usage?.output_tokens),
    ].filter(Boolean).join(" · ");
  }
  if (error) $("ended").textContent = error;
}

function apply(record) {
  const handler = handlers[record.kind];
  if (handler) handler(record);
  if (record.status) applyStatus(record.status);
}

function connect() {
  const source = new EventSource(`/api/runs/${encodeURIComponent(runId)}/events`);
  source.onmessage = (message) => {
    for (const record of JSON.parse(message.data)) apply(record);
    document.body.dataset.records = message.lastEventId; // how far the page is (tests, benchmarks)
  };
  source.addEventListener("end", (message) => {
    source.close();
    const row = JSON.parse(message.data);
    if (row && !finished) setRunStatus(row.status, null, row.error);
    document.body.dataset.ended = "true";
  });
  source.onerror = () => {
    if (source.readyState !== EventSource.CLOSED) return; // it reconnects by itself
    fetch("/api/runs").then(async (response) => {
      if (response.status === 401) { location.assign("/login"); return; }
      const known = (await response.json()).runs.some((row) => row.run_id === runId);
      setRunStatus(known ? "disconnected" : "not found");
      if (!known) $("ended").textContent = `There is no run ${runId} in this server's log folder.`;
    }, () => setRunStatus("disconnected"));
  };
}

connect();
