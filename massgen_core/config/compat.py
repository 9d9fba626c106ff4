"""MassGen's config keys that this massgen reads differently from how they are written.

People arrive with MassGen configs. The keys both agree on are simply accepted; the others are,
before the config is structured:

* **translated** to what has the same meaning here (``ui.type`` is ``ui.display_type``,
  ``display_type: terminal`` is ``simple``, ``orchestrator.timeout_config`` is
  ``timeout_settings``, ``${cwd}`` in an MCP server's arguments is the agent's workspace, an MCP
  ``security:`` block with MassGen's keys is read with MassGen's meaning);
* **ignored with a warning** that says why, when they are obsolete or mean nothing here (debug
  switches, MassGen features this massgen does differently, a top-level ``display:`` block,
  which MassGen ignores too);
* **refused** when they cannot be honoured (MassGen v1 keys, which MassGen itself refuses).

Every such key gets a :class:`CompatNote` at its ``file:line:column``; the loader keeps them on
:attr:`RunConfig.compat <massgen_core.config.model.RunConfig.compat>`, ``massgen validate`` lists
them and a run prints the warnings. Keys that are truly unknown stay errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from ..plugin.errors import ConfigIssue
from .interpolate import WORKSPACE_REFERENCE, is_workspace_field
from .issues import ConfigPath, IssueList, Positions, format_path

__all__ = ["MASSGEN_KEYS", "CompatNote", "translate"]

Kind = Literal["translated", "ignored"]


@attrs.frozen
class CompatNote:
    """A MassGen key read differently from how it is written: ``translated`` (and how), or
    ``ignored`` (a warning that says why)."""

    kind: Kind
    issue: ConfigIssue = attrs.field(eq=False)

    def __str__(self) -> str:
        return str(self.issue)


#: the display types MassGen has and this massgen does not, and what they become
_DISPLAY_TYPES = {"terminal": "simple", "textual_terminal": "rich_terminal"}

#: MassGen keys ignored here: (section, key) -> why
_IGNORED: dict[tuple[str, ...], str] = {
    ("ui", "debug"): "ignored: use `massgen --debug` (debug output is a command-line switch here)",
    ("orchestrator", "skip_coordination_rounds"): (
        "ignored: MassGen's debug switch that let the first agent win at once; agents always coordinate here"
    ),
    ("orchestrator", "debug_final_answer"): (
        "ignored: MassGen's debug switch for a canned final answer; the final answer is always the winner's"
    ),
    ("orchestrator", "voting_sensitivity"): (
        "ignored: no equivalent here; every agent votes once per round and the answer with most votes wins"
    ),
    ("orchestrator", "answer_novelty_requirement"): (
        "ignored: no equivalent here; a new answer is accepted whenever an agent gives one "
        "(bounded by coordination.max_new_answers_per_agent)"
    ),
    ("orchestrator", "coordination", "max_orchestration_restarts"): (
        "ignored: coordination is never restarted here; a run that fails reports why"
    ),
}

#: MassGen v1 top-level keys: MassGen refuses them too
_V1_KEYS = (
    "models",
    "model_configs",
    "num_agents",
    "max_rounds",
    "consensus_threshold",
    "voting_enabled",
    "enable_voting",
)

#: keys MassGen's command line puts into every backend block, ignored when a config writes them there
_BACKEND_IGNORED = {
    "agent_temporary_workspace": (
        "ignored: MassGen copies `orchestrator.agent_temporary_workspace` into every backend; set it there"
    ),
    "context_write_access_enabled": (
        "ignored: write access is given per context path here (`permission: write` under "
        "orchestrator.context_paths, for the final agent)"
    ),
}


#: the MassGen keys this module reads (translated, ignored or refused), by section, for the docs
MASSGEN_KEYS: dict[str, tuple[str, ...]] = {
    "translated": (
        "ui.type",
        "ui.display_type: terminal | textual_terminal",
        "ui.use_orchestrator_for_single_agent: false",
        "orchestrator.timeout_config",
        "orchestrator.timeout",
        "mcp_servers[*].args/env/cwd: ${cwd}",
        "mcp_servers[*].security (MassGen keys)",
        "mcp_servers[*].security.level: any other name (read as strict)",
    ),
    "ignored": (
        "display",
        "ui.use_orchestrator_for_single_agent: true",
        *(f"agents[*].backend.{key}" for key in _BACKEND_IGNORED),
        *(".".join(path) for path in _IGNORED),
    ),
    "refused": (*_V1_KEYS, "agents[*].backend.context_paths"),
}


def translate(data: dict[str, Any], issues: IssueList) -> tuple[dict[str, Any], list[CompatNote]]:
    """``data`` (interpolated) with MassGen's keys translated or taken out, and a note for each.

    Refused keys are added to ``issues``. ``data`` itself is not changed.
    """
    notes: list[CompatNote] = []
    out = dict(data)
    for key in _V1_KEYS:
        if key in out:
            issues.at_key(
                (key,),
                f"`{key}` is a MassGen v1 key: v1 configs are not supported (MassGen refuses them too); "
                "write the agents as `agents:` (a list of `id`, `backend`, `system_message`)",
                unknown=True,
            )
            del out[key]
    if "display" in out:
        del out["display"]
        _note(
            "ignored",
            ("display",),
            "MassGen's top-level `display:` block is ignored, as MassGen ignores it (MassGen reads the "
            "display settings from `ui:`); to apply them, move its keys under `ui:`",
            issues,
            notes,
        )
    if isinstance(out.get("ui"), dict):
        out["ui"] = _ui(dict(out["ui"]), issues, notes)
    if isinstance(out.get("orchestrator"), dict):
        out["orchestrator"] = _orchestrator(dict(out["orchestrator"]), issues, notes)
    _backends(out, issues, notes)
    _walk_servers(out, (), issues, notes)
    notes.sort(key=lambda n: (n.issue.line or 0, n.issue.column or 0))
    return out, notes


def _note(kind: Kind, path: ConfigPath, message: str, issues: IssueList, notes: list[CompatNote]) -> None:
    notes.append(CompatNote(kind, issues.note(path, message)))


def _ignore(section: dict[str, Any], base: ConfigPath, issues: IssueList, notes: list[CompatNote]) -> None:
    for path, why in _IGNORED.items():
        if path[:-1] == base and path[-1] in section:
            _note("ignored", path, f"MassGen's `{format_path(path)}` is {why}", issues, notes)
            del section[path[-1]]


def _move(section: dict[str, Any], base: ConfigPath, old: str, new: str, positions: Positions) -> None:
    """Rename ``old`` to ``new`` in ``section`` (at ``base``), keeping the positions of what is inside."""
    section[new] = section.pop(old)
    before, after = (*base, old), (*base, new)
    for table in (positions.keys, positions.values):
        for path in [p for p in table if p[: len(before)] == before]:
            table.setdefault((*after, *path[len(before) :]), table[path])


def _ui(ui: dict[str, Any], issues: IssueList, notes: list[CompatNote]) -> dict[str, Any]:
    base: ConfigPath = ("ui",)
    if "type" in ui:
        if "display_type" in ui:
            issues.at_key(
                ("ui", "type"),
                "`type` is MassGen's older name for `display_type`, which is given too: keep one",
            )
            del ui["type"]
        else:
            _note(
                "translated",
                ("ui", "type"),
                "MassGen's `ui.type` is read as `ui.display_type`",
                issues,
                notes,
            )
            _move(ui, base, "type", "display_type", issues.positions)
    shown = ui.get("display_type")
    if isinstance(shown, str) and shown in _DISPLAY_TYPES:
        ui["display_type"] = _DISPLAY_TYPES[shown]
        _note(
            "translated",
            ("ui", "display_type"),
            f"MassGen's display type {shown!r} is shown as {_DISPLAY_TYPES[shown]!r} here",
            issues,
            notes,
        )
    if "use_orchestrator_for_single_agent" in ui:
        value = ui.pop("use_orchestrator_for_single_agent")
        path = ("ui", "use_orchestrator_for_single_agent")
        if value is False:
            _note("translated", path, "a single agent answers directly here, as `false` asks", issues, notes)
        elif value is True:
            _note(
                "ignored",
                path,
                "MassGen's `ui.use_orchestrator_for_single_agent: true` is ignored: a single agent answers "
                "directly here (it has nobody to vote with)",
                issues,
                notes,
            )
        else:
            issues.at_value(path, "expected true or false")
    _ignore(ui, base, issues, notes)
    return ui


def _orchestrator(section: dict[str, Any], issues: IssueList, notes: list[CompatNote]) -> dict[str, Any]:
    base: ConfigPath = ("orchestrator",)
    for old in ("timeout_config", "timeout"):
        if old not in section:
            continue
        if "timeout_settings" in section:
            issues.at_key(
                (*base, old),
                f"`{old}` is MassGen's older name for `timeout_settings`, which is given too: keep one",
            )
            del section[old]
            continue
        _note(
            "translated",
            (*base, old),
            f"MassGen's `orchestrator.{old}` is read as `timeout_settings`",
            issues,
            notes,
        )
        _move(section, base, old, "timeout_settings", issues.positions)
    if isinstance(section.get("coordination"), dict):
        coordination = dict(section["coordination"])
        _ignore(coordination, (*base, "coordination"), issues, notes)
        section["coordination"] = coordination
    _ignore(section, base, issues, notes)
    return section


def _backends(data: dict[str, Any], issues: IssueList, notes: list[CompatNote]) -> None:
    """The keys MassGen's command line injects into backend blocks: ignored, or refused when they
    would ask for more than this massgen gives (per-agent context paths)."""
    blocks: list[tuple[ConfigPath, dict[str, Any], Any]] = []
    agents = data.get("agents")
    if isinstance(agents, list):
        blocks += [(("agents", i), a, a.get("backend")) for i, a in enumerate(agents) if isinstance(a, dict)]
    if isinstance(data.get("agent"), dict):
        blocks.append((("agent",), data["agent"], data["agent"].get("backend")))
    for where, agent, backend in blocks:
        if not isinstance(backend, dict) or not (set(backend) & {*_BACKEND_IGNORED, "context_paths"}):
            continue
        backend = dict(backend)
        base = (*where, "backend")
        for key, why in _BACKEND_IGNORED.items():
            if key in backend:
                del backend[key]
                _note(
                    "ignored", (*base, key), f"MassGen's `{key}` in a backend block is {why}", issues, notes
                )
        if "context_paths" in backend:
            del backend["context_paths"]
            issues.at_key(
                (*base, "context_paths"),
                "context paths are the same for every agent here: move them under `orchestrator.context_paths` "
                "(an agent's own extra context paths are not supported)",
            )
        if where == ("agent",):
            data["agent"] = {**agent, "backend": backend}
        else:
            agents_list = list(data["agents"])
            index = where[1]
            assert isinstance(index, int)
            agents_list[index] = {**agent, "backend": backend}
            data["agents"] = agents_list


def _walk_servers(value: Any, path: ConfigPath, issues: IssueList, notes: list[CompatNote]) -> None:
    """Notes for ``${cwd}`` in MCP servers' arguments and for MassGen ``security:`` blocks."""
    if isinstance(value, str):
        if WORKSPACE_REFERENCE in value and is_workspace_field(path):
            _note(
                "translated",
                path,
                "`${cwd}` is the agent's workspace (its `cwd`, else .massgen/workspaces/<agent id>), "
                "filled in when the server starts, as in MassGen",
                issues,
                notes,
            )
        return
    if isinstance(value, Mapping):
        if path[-1:] == ("security",) and _in_servers(path):
            _security(value, path, issues, notes)
            return
        for key, item in value.items():
            _walk_servers(item, (*path, key), issues, notes)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk_servers(item, (*path, index), issues, notes)


def _in_servers(path: ConfigPath) -> bool:
    return any(path[i : i + 2] == ("backend", "mcp_servers") for i in range(len(path) - 1))


def _security(block: Mapping[str, Any], path: ConfigPath, issues: IssueList, notes: list[CompatNote]) -> None:
    from ..tools.mcp.policy import ENV_MODES, LEVELS, describe_policy, is_massgen_security, policy_for

    if not is_massgen_security(block):
        return
    env = block.get("env") or {}
    if not isinstance(block.get("level", "strict"), str) or not isinstance(env, Mapping):
        return  # reported where the servers are checked
    if not isinstance(env.get("level", "strict"), str) or env.get("mode", "denylist") not in ENV_MODES:
        return
    try:
        policy = policy_for(block)
    except (TypeError, ValueError):
        return  # a wrong value type, reported where the servers are checked
    for where, section in ((path, block), ((*path, "env"), env)):
        written = section.get("level")
        if written is not None and written not in LEVELS:
            _note(
                "translated",
                (*where, "level"),
                f"MassGen's security level {written!r} is read as strict, as MassGen reads every level "
                f"but {', '.join(LEVELS)}",
                issues,
                notes,
            )
    level = policy.massgen_level
    given = "" if "level" in block else " (MassGen's default level)"
    _note(
        "translated",
        path,
        f"MassGen security block, level {level}{given}, with MassGen's meaning plus this massgen's own "
        f"refusals: {describe_policy(policy)}",
        issues,
        notes,
    )
