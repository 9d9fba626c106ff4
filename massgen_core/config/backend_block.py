"""An agent's ``backend:`` block: its type, its plugin-declared options, their capabilities.

The block's ``type`` picks the plugin's :class:`~massgen_core.plugin.specs.BackendSpec` (or is
inferred from ``model`` when it identifies exactly one backend); every other key must be a
field of the spec's options class. Unknown keys name the nearest valid key, or the backends
that accept them; an option that needs a capability the backend (or its model) lacks names
the backends that have it.

The agent's tool keys (:class:`~massgen_core.plugin.options.ToolOptions`: ``cwd``, ``mcp_servers``,
``command_line_*``, ...) sit in the same block; they are taken out first and structured on their
own, so a plugin's options class declares only its backend's keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..plugin.options import BackendOptions, ToolOptions, is_secret, option_fields, required_capability
from .converter import kind_of
from .issues import ConfigPath, IssueList, suggestion
from .model import BackendConfig
from .structure import Problem, report, structure

if TYPE_CHECKING:
    from ..host.registry import Registry
    from ..plugin.specs import BackendSpec

__all__ = ["check_can_coordinate", "structure_backend"]


def structure_backend(
    raw: Any, path: ConfigPath, registry: Registry, issues: IssueList
) -> BackendConfig | None:
    """Validate the ``backend:`` mapping at ``path``; ``None`` (with issues) if it is invalid."""
    _collect_secrets(raw, BackendOptions, issues)
    if raw is None:
        issues.at_key(path, "the backend is empty: give its `type:` and `model:`")
        return None
    if not isinstance(raw, dict):
        issues.at_value(path, f"expected a mapping with `type:` and `model:`, got {kind_of(raw)}")
        return None
    data = dict(raw)
    backend_type = _backend_type(data, path, registry, issues)
    if backend_type is None:
        return None
    spec = registry.spec(backend_type)
    _collect_secrets(data, spec.options_class, issues)
    tool_data = {key: data.pop(key) for key in list(data) if key in TOOL_KEYS}
    tools, tool_problems = structure(tool_data, ToolOptions)
    options, problems = structure(data, spec.options_class)
    secret = frozenset(name for name, f in option_fields(spec.options_class).items() if is_secret(f))
    report(
        [*tool_problems, *problems],
        path,
        issues,
        unknown=lambda p: _unknown_option(p, backend_type, spec, registry),
        secret_fields=secret,
    )
    bad_keys = {p.path[0] for p in [*tool_problems, *problems] if p.path}
    data.update(tool_data)
    bad_keys |= _check_capabilities(data, bad_keys, path, backend_type, spec, registry, issues)
    servers_ok = _check_mcp_servers(data, bad_keys, path, issues)
    if options is None or tools is None or problems or tool_problems or not servers_ok:
        return None
    if options.model is None and spec.default_model is None and not bad_keys:
        known = ", ".join(m.name for m in spec.models[:8])
        issues.at_key(
            path,
            f"backend {backend_type!r} has no default model: set `model:`"
            + (f" (known models: {known})" if known else ""),
        )
        return None
    notes = tuple(issues.note((*path, *_below(key)), message) for key, message in options.config_notes(tools))
    for key, message in options.machine_problems(tools):
        issues.on_machine((*path, *_below(key)), message)
    return BackendConfig(type=backend_type, options=options, tools=tools, notes=notes)


def check_can_coordinate(
    backend: BackendConfig, path: ConfigPath, registry: Registry, issues: IssueList
) -> None:
    """In a run of several agents, report a backend that cannot call tools: agents coordinate by
    calling ``new_answer`` and ``vote``, so such an agent could never answer or vote."""
    spec = registry.spec(backend.type)
    model = backend.options.model or spec.default_model
    if "tool_calling" in registry.capabilities(backend.type, model):
        return
    on = f"backend {backend.type!r}" + (f" with model {model!r}" if model else "")
    able = sorted(registry.with_capability("tool_calling"))
    where = f"backends that can: {', '.join(able)}" if able else "no installed backend can"
    issues.at_key(
        path,
        f"{on} cannot call tools (no 'tool_calling' capability), so it cannot take part in a run of "
        f"several agents, who coordinate by calling the new_answer and vote tools; run it as the only "
        f"agent, or use a backend with tool calling ({where})",
    )


#: the agent's keys written in the ``backend:`` block
TOOL_KEYS = frozenset(option_fields(ToolOptions))
#: keys of the ``backend:`` block the loader takes out before the options are structured
#: (``upload_files``: :mod:`massgen_core.config.uploads`)
LOADER_KEYS = ("upload_files",)


def block_fields(options_type: type) -> dict[str, Any]:
    """Every key a ``backend:`` block of this options class accepts: the backend's and the agent's."""
    return {**option_fields(ToolOptions), **option_fields(options_type)}


def _collect_secrets(raw: Any, options_type: type, issues: IssueList) -> None:
    if not isinstance(raw, dict):
        return
    for name, field in option_fields(options_type).items():
        value = raw.get(name)
        if is_secret(field) and isinstance(value, str):
            issues.secrets.add(value)


def _backend_type(
    data: dict[str, Any], path: ConfigPath, registry: Registry, issues: IssueList
) -> str | None:
    installed = ", ".join(sorted(registry.backends)) or "none"
    type_path = (*path, "type")
    backend_type = data.pop("type", None)
    if backend_type is None:
        model = data.get("model")
        if isinstance(model, str):
            inferred = registry.infer_type(model)
            if inferred is not None:
                return inferred
            matches = sorted(t for t, e in registry.backends.items() if e.spec.matches_model(model))
            if matches:
                why = f"model {model!r} matches several backends ({', '.join(matches)})"
            else:
                why = f"model {model!r} does not identify an installed backend"
            issues.at_key(path, f"no backend `type:`, and {why}; set `type:` (installed types: {installed})")
        else:
            issues.at_key(path, f"no backend `type:`; set it to one of the installed types: {installed}")
        return None
    if not isinstance(backend_type, str):
        issues.at_value(
            type_path, f"expected a backend type name (one of: {installed}), got {kind_of(backend_type)}"
        )
        return None
    if backend_type in registry.conflicts:
        from ..plugin.errors import BackendConflictError

        claimants = [e.plugin for e in registry.conflicts[backend_type]]
        issues.at_value(type_path, str(BackendConflictError(backend_type, claimants)))
        return None
    if backend_type not in registry.backends:
        issues.at_value(type_path, registry.unknown_type_message(backend_type))
        return None
    return backend_type


def _unknown_option(problem: Problem, backend_type: str, spec: BackendSpec, registry: Registry) -> str:
    key = str(problem.path[-1])
    if len(problem.path) > 1 or problem.owner is not spec.options_class:
        return problem.message  # inside a nested option: the generic message names the nearest key
    here = f"unknown option {key!r} for backend {backend_type!r}"
    elsewhere = sorted(
        t
        for t, e in registry.backends.items()
        if t != backend_type and key in option_fields(e.spec.options_class)
    )
    if elsewhere:
        kinds = sorted(
            {
                k
                for t in elsewhere
                if (k := required_capability(option_fields(registry.spec(t).options_class)[key]))
            }
        )
        missing = [k for k in kinds if k not in registry.any_model_capabilities(backend_type)]
        if missing:
            have = ", ".join(sorted(registry.with_capability(missing[0])))
            return (
                f"{here}: it needs the {missing[0]!r} capability, which {backend_type!r} does not have; "
                f"backends with it: {have}"
            )
        close = suggestion(key, [*block_fields(spec.options_class), *LOADER_KEYS])
        if "did you mean" in close:
            return here + close
        return f"{here}; backends that accept it: {', '.join(elsewhere)}"
    return here + suggestion(key, [*block_fields(spec.options_class), *LOADER_KEYS])


def _check_capabilities(
    data: dict[str, Any],
    bad_keys: set[str | int],
    path: ConfigPath,
    backend_type: str,
    spec: BackendSpec,
    registry: Registry,
    issues: IssueList,
) -> set[str | int]:
    """Report options set on a backend that lacks the capability they need; returns their keys."""
    fields = block_fields(spec.options_class)
    reported: set[str | int] = set()
    model = data.get("model") if isinstance(data.get("model"), str) else spec.default_model
    capabilities = registry.capabilities(backend_type, model)
    for key, value in data.items():
        field = fields.get(key)
        kind = required_capability(field) if field is not None else None
        if kind is None or key in bad_keys or not _is_set(value) or kind in capabilities:
            continue
        on = f"backend {backend_type!r}" + (f" with model {model!r}" if model else "")
        where = registry.where_capability(kind, backend_type)  # its other models first
        issues.at_key(
            (*path, key), f"{key!r} needs the {kind!r} capability, which {on} does not have; {where}"
        )
        reported.add(key)
    return reported


def _check_mcp_servers(
    data: dict[str, Any], bad_keys: set[str | int], path: ConfigPath, issues: IssueList
) -> bool:
    """Report what is wrong inside ``mcp_servers`` at its position; ``True`` when nothing is."""
    if "mcp_servers" not in data or "mcp_servers" in bad_keys:
        return True
    from ..tools.mcp.servers import mcp_servers_problems  # no MCP SDK import: parsing only

    machine: list[tuple[tuple[str | int, ...], str]] = []
    found = mcp_servers_problems(data["mcp_servers"], machine=machine)
    for sub, message in found:
        issues.at_value((*path, "mcp_servers", *sub), message)
    for sub, message in machine:
        issues.on_machine((*path, "mcp_servers", *sub), message)
    return not found


def _below(key: str | tuple[str | int, ...]) -> tuple[str | int, ...]:
    """A plugin's ``key`` (a block key, or a path below the block) as a path."""
    return (key,) if isinstance(key, str) else key


def _is_set(value: Any) -> bool:
    try:
        return bool(value)
    except Exception:
        return True
