"""Load and validate a whole config: sources, sections, agents, ids and paths."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import attrs

from ..plugin.errors import ConfigError, ConfigIssue
from .backend_block import check_can_coordinate, structure_backend
from .compat import translate
from .converter import kind_of
from .ids import agent_id_problem
from .interpolate import interpolate
from .issues import ConfigPath, IssueList, Positions, suggestion
from .model import (
    AgentConfig,
    BackendConfig,
    OrchestratorConfig,
    RunConfig,
    TimeoutSettings,
    UiConfig,
)
from .secrets import remember_config
from .structure import report, structure

if TYPE_CHECKING:
    from ..host.registry import Registry

__all__ = ["ConfigSource", "MachineProblems", "load_config", "single_agent_config"]

ConfigSource = str | os.PathLike[str] | Mapping[str, Any]
#: what a problem of this machine (not of the file) is: an error (a run), or a warning kept on
#: :attr:`RunConfig.machine <massgen_core.config.model.RunConfig.machine>` (``massgen validate``)
MachineProblems = Literal["error", "warning"]
T = TypeVar("T")

TOP_LEVEL_KEYS = ("name", "agent", "agents", "backend", "orchestrator", "ui", "timeout_settings")
AGENT_KEYS = ("id", "backend", "system_message")
TEAM_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,127}")
TEAM_NAME_RULE = "letters, digits and '_', '-', '.', ':', '/' (a model name), at most 128 characters"
_AGENT_SOURCES = ("agents", "agent", "backend")


def load_config(
    source: ConfigSource,
    *,
    registry: Registry | None = None,
    environ: Mapping[str, str] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    machine: MachineProblems = "error",
) -> RunConfig:
    """Load, interpolate and validate a config.

    :param source: a path to a YAML file (a ``Path``, or a string naming an existing file), a
        YAML document as a string, or a mapping (the Python API).
    :param registry: the backend registry to validate against (default: the process's,
        built from the installed plugins).
    :param environ: where ``${VAR}`` references are looked up (default: ``os.environ``).
    :param base_dir: what relative ``context_paths`` and backend ``cwd`` are resolved against:
        by default the current working directory (not the config file's directory), as the
        MassGen docs say relative context paths are "resolved from current directory".
    :param machine: what the problems of this machine rather than of the file are (a variable
        not set, a context path, upload file or MCP server program missing here, no Docker
        daemon, a package a backend needs for a setting): errors, as for a run (the default),
        or ``"warning"``: kept on :attr:`RunConfig.machine
        <massgen_core.config.model.RunConfig.machine>`, the config otherwise valid.
    :raises ConfigError: listing every problem found, each with ``file:line:column`` when the
        source is YAML. Secret values never appear in the messages.
    """
    issues, data, label = _read(source)
    config_dir = Path(label).resolve().parent if label is not None and label != "<string>" else None
    return _build(
        data,
        issues,
        registry=registry,
        environ=environ,
        base_dir=base_dir,
        source=label,
        config_dir=config_dir,
        machine=machine,
    )


def load_config_text(
    text: str,
    *,
    filename: str = "<string>",
    registry: Registry | None = None,
    environ: Mapping[str, str] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    machine: MachineProblems = "error",
) -> RunConfig:
    """Like :func:`load_config` for YAML ``text`` (never taken as a file name); errors name ``filename``."""
    issues, data = _parse(text, filename)
    return _build(
        data, issues, registry=registry, environ=environ, base_dir=base_dir, source=filename, machine=machine
    )


def single_agent_config(
    backend_type: str | None,
    model: str | None,
    base_url: str | None = None,
    *,
    registry: Registry | None = None,
    environ: Mapping[str, str] | None = None,
    **options: Any,
) -> RunConfig:
    """A one-agent config from command-line style arguments (``--backend/--model/--base-url``).

    It goes through the same validation as a file: unknown options, wrong types and missing
    capabilities are :class:`ConfigError`\\ s. ``backend_type=None`` infers the type from
    ``model``.
    """
    backend: dict[str, Any] = {}
    if backend_type is not None:
        backend["type"] = backend_type
    if model is not None:
        backend["model"] = model
    if base_url is not None:
        backend["base_url"] = base_url
    backend.update(options)
    issues = IssueList(Positions("<command line>"))
    data = _plain_data({"agent": {"backend": backend}}, issues, ())
    return _build(data, issues, registry=registry, environ=environ, base_dir=None, source="<command line>")


# -- sources ----------------------------------------------------------------------------------
def _read(source: ConfigSource) -> tuple[IssueList, Any, str | None]:
    if isinstance(source, Mapping):
        issues = IssueList(Positions(None))
        return issues, _plain_data(source, issues, ()), None
    if isinstance(source, os.PathLike) or (
        isinstance(source, str) and "\n" not in source and os.path.isfile(source)
    ):
        file = os.fspath(source)
        issues, data = _parse(_read_file(file), file)
        return issues, data, file
    if isinstance(source, str):
        issues, data = _parse(source, "<string>")
        return issues, data, "<string>"
    raise TypeError(f"load_config() takes a path, a YAML string or a mapping, not {type(source).__name__}")


def _read_file(file: str) -> str:
    from .yaml_source import MAX_BYTES, too_large

    try:
        with open(file, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError([ConfigIssue("config file not found", file=file)]) from None
    except IsADirectoryError:
        raise ConfigError([ConfigIssue("is a directory, not a config file", file=file)]) from None
    except OSError as exc:
        raise ConfigError([ConfigIssue(f"cannot read the config file: {exc.strerror}", file=file)]) from None
    if len(raw) > MAX_BYTES:
        line = raw.count(b"\n", 0, MAX_BYTES) + 1
        column = MAX_BYTES - (raw.rfind(b"\n", 0, MAX_BYTES) + 1) + 1
        raise ConfigError([too_large(file, line, column)])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        issue = ConfigIssue("the file is not UTF-8 text", file=file, line=line, column=column)
        raise ConfigError([issue]) from None


def _parse(text: str, file: str) -> tuple[IssueList, Any]:
    from .yaml_source import load_yaml

    issues = IssueList(Positions(file))
    return issues, load_yaml(text, issues)


def _plain_data(value: Any, issues: IssueList, path: ConfigPath, count: list[int] | None = None) -> Any:
    """A Python-API mapping as plain data (lists, string-keyed dicts, paths as strings), within the
    limits a YAML config has (:data:`~.yaml_source.MAX_DEPTH`, :data:`~.yaml_source.MAX_VALUES`)."""
    from .yaml_source import MAX_DEPTH, MAX_VALUES

    count = count if count is not None else [0]
    count[0] += 1
    if count[0] > MAX_VALUES:
        issues.at_value(path, f"the config holds more than {MAX_VALUES} values")
        raise issues.error()
    if isinstance(value, Mapping | list | tuple) and len(path) > MAX_DEPTH:
        issues.at_value(path, f"nested more than {MAX_DEPTH} levels deep (does it contain itself?)")
        return None
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                issues.at_key((*path, str(key)), "mapping keys must be strings")
                continue
            out[key] = _plain_data(item, issues, (*path, key), count)
        return out
    if isinstance(value, list | tuple):
        return [_plain_data(item, issues, (*path, i), count) for i, item in enumerate(value)]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


# -- the document -----------------------------------------------------------------------------
def _build(
    data: Any,
    issues: IssueList,
    *,
    registry: Registry | None,
    environ: Mapping[str, str] | None,
    base_dir: str | os.PathLike[str] | None,
    source: str | None,
    config_dir: Path | None = None,
    machine: MachineProblems = "error",
) -> RunConfig:
    if registry is None:
        from ..host.registry import get_registry

        registry = get_registry()
    env = os.environ if environ is None else environ
    data = interpolate(data, env, issues)
    remember_config(data, registry=registry, environ=env)
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    if data is None:
        issues.at_value((), "the config is empty: it needs `agents:` (a list) or one `agent:`")
        raise issues.error()
    if not isinstance(data, dict):
        hint = " (if this is a file name: no such file)" if isinstance(data, str) else ""
        issues.at_value(
            (), f"expected a mapping with `agents:` or `agent:` at the top, got {kind_of(data)}{hint}"
        )
        raise issues.error()
    data, compat = translate(data, issues)  # MassGen's keys: translated, ignored or refused
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            issues.at_key(
                (key,), f"unknown top-level key {key!r}{suggestion(key, TOP_LEVEL_KEYS)}", unknown=True
            )

    name = _name(data.get("name"), issues)
    agents = _agents(data, registry, issues, base, config_dir or base)
    orchestrator, nested_timeouts = _orchestrator(data.get("orchestrator"), issues, base)
    ui = _section(data.get("ui"), ("ui",), UiConfig, issues)
    timeouts_path: ConfigPath = ("timeout_settings",)
    timeouts_raw = data.get("timeout_settings")
    if nested_timeouts is not _ABSENT:
        if "timeout_settings" in data:
            issues.at_key(
                ("orchestrator", "timeout_settings"),
                "timeout_settings is given twice (here and at the top level): keep one",
            )
        else:
            timeouts_path, timeouts_raw = ("orchestrator", "timeout_settings"), nested_timeouts
    timeouts = _section(timeouts_raw, timeouts_path, TimeoutSettings, issues)
    remember_config(secrets=issues.secrets)
    _check_storage(orchestrator, [a.id for a in agents], base, issues)
    if machine == "error":
        issues.issues += issues.machine
    if issues:
        error = issues.error()
        error.machine = tuple(issues.ordered(issues.machine)) if machine == "warning" else ()
        raise error
    return RunConfig(
        name=name,
        agents=tuple(agents),
        orchestrator=orchestrator,
        ui=ui,
        timeout_settings=timeouts,
        source=source,
        compat=tuple(compat),
        machine=tuple(issues.ordered(issues.machine)) if machine == "warning" else (),
    )


def _name(raw: Any, issues: IssueList) -> str | None:
    """The team's ``name:`` (what ``massgen serve`` serves it as), checked against :data:`TEAM_NAME`."""
    if raw is None:
        return None
    if not isinstance(raw, str) or not TEAM_NAME.fullmatch(raw):
        issues.at_value(("name",), f"the team's name must be {TEAM_NAME_RULE}, got {raw!r}")
        return None
    return raw


def _section(raw: Any, path: ConfigPath, cls: type[T], issues: IssueList) -> T:
    """Structure one section (``null`` or absent: the defaults); the defaults if it is invalid."""
    if raw is None:
        return cls()
    value, problems = structure(raw, cls)
    report(problems, path, issues)
    return value if value is not None else cls()


_ABSENT: Any = object()


def _orchestrator(raw: Any, issues: IssueList, base: Path) -> tuple[OrchestratorConfig, Any]:
    nested: Any = _ABSENT
    if isinstance(raw, dict) and "timeout_settings" in raw:
        raw = dict(raw)
        nested = raw.pop("timeout_settings")
    config = _section(raw, ("orchestrator",), OrchestratorConfig, issues)
    paths = tuple(attrs.evolve(cp, path=_resolve(base, cp.path)) for cp in config.context_paths)
    if paths:
        from ..tools.workspace.layout import check_context_paths

        for where, message, on_machine in check_context_paths(paths)[1]:
            add = issues.on_machine if on_machine else issues.at_value
            add(("orchestrator", "context_paths", *where), message)
    return attrs.evolve(config, context_paths=paths), nested


def _resolve(base: Path, path: str | Path) -> Path:
    expanded = Path(os.path.expanduser(path))
    return Path(os.path.normpath(base / expanded))


# -- agents -----------------------------------------------------------------------------------
def _agents(
    data: dict[str, Any], registry: Registry, issues: IssueList, base: Path, upload_dir: Path
) -> list[AgentConfig]:
    given = [k for k in data if k in _AGENT_SOURCES]  # in document order
    if not given:
        issues.at_value((), "no agents: add an `agents:` list (or one `agent:`)")
        return []
    for extra in given[1:]:
        issues.at_key((extra,), f"`{extra}:` cannot be combined with `{given[0]}:`; give one of them")
    source = given[0]
    entries: list[tuple[ConfigPath, Any]]
    if source == "agents":
        raw = data["agents"]
        if not isinstance(raw, list):
            hint = " (for a single agent, use `agent:`)" if isinstance(raw, dict) else ""
            issues.at_value(("agents",), f"expected a list of agents, got {kind_of(raw)}{hint}")
            return []
        if not raw:
            issues.at_value(("agents",), "the agents list is empty")
        entries = [(("agents", i), item) for i, item in enumerate(raw)]
    elif source == "agent":
        entries = [(("agent",), data["agent"])]
    else:  # a bare top-level `backend:` is one agent
        entries = [((), {"backend": data["backend"]})]

    explicit: dict[str, ConfigPath] = {}
    parsed: list[tuple[str | None, BackendConfig | None, str | None]] = []
    for path, item in entries:
        parsed.append(_agent(path, item, registry, issues, explicit, base, upload_dir))
    if len(parsed) > 1:
        for (path, _), (_, backend, _) in zip(entries, parsed, strict=True):
            if backend is not None:
                check_can_coordinate(backend, (*path, "backend"), registry, issues)
    taken = set(explicit)
    agents: list[AgentConfig] = []
    for index, (agent_id, backend, system_message) in enumerate(parsed):
        if agent_id is None:
            number = index + 1
            while f"agent{number}" in taken:
                number += 1
            agent_id = f"agent{number}"
            taken.add(agent_id)
        if backend is not None:
            agents.append(AgentConfig(id=agent_id, backend=backend, system_message=system_message))
    return agents


def _agent(
    path: ConfigPath,
    item: Any,
    registry: Registry,
    issues: IssueList,
    explicit: dict[str, ConfigPath],
    base: Path,
    upload_dir: Path,
) -> tuple[str | None, BackendConfig | None, str | None]:
    if not isinstance(item, dict):
        issues.at_value(path, f"expected an agent (a mapping with `id:` and `backend:`), got {kind_of(item)}")
        return None, None, None
    for key in item:
        if key not in AGENT_KEYS:
            hint = suggestion(key, AGENT_KEYS)
            if "did you mean" not in hint:
                hint = "; an agent has `id:`, `backend:` and `system_message:` (backend options go under `backend:`)"
            issues.at_key((*path, key), f"unknown agent key {key!r}{hint}", unknown=True)
    agent_id = _agent_id(path, item, issues, explicit)
    system_message = item.get("system_message")
    if system_message is not None and not isinstance(system_message, str):
        issues.at_value((*path, "system_message"), f"expected a string, got {kind_of(system_message)}")
        system_message = None
    if "backend" not in item:
        issues.at_value(path, "the agent has no `backend:`")
        return agent_id, None, system_message
    raw_backend, uploads = item["backend"], None
    if isinstance(raw_backend, dict) and "upload_files" in raw_backend:  # checked once the model is known
        raw_backend = dict(raw_backend)
        uploads = raw_backend.pop("upload_files")
    backend = structure_backend(raw_backend, (*path, "backend"), registry, issues)
    if backend is not None:
        backend = _check_tools(backend, (*path, "backend"), issues, base)
    if backend is not None and uploads is not None:
        backend = _with_uploads(
            backend, uploads, (*path, "backend", "upload_files"), upload_dir, registry, issues
        )
    return agent_id, backend, system_message


def _with_uploads(
    backend: BackendConfig,
    raw: Any,
    path: ConfigPath,
    upload_dir: Path,
    registry: Registry,
    issues: IssueList,
) -> BackendConfig | None:
    """``upload_files`` checked against the backend's model (relative paths from the config's folder)."""
    from .uploads import structure_uploads

    model = backend.options.model or registry.spec(backend.type).default_model
    parts = structure_uploads(raw, path, upload_dir, backend.type, model, registry, issues)
    return None if parts is None else attrs.evolve(backend, uploads=parts)


def _agent_id(
    path: ConfigPath, item: dict[str, Any], issues: IssueList, explicit: dict[str, ConfigPath]
) -> str | None:
    if item.get("id") is None:
        return None
    agent_id = item["id"]
    id_path = (*path, "id")
    if not isinstance(agent_id, str) or not agent_id.strip():
        issues.at_value(id_path, f"expected a non-empty string, got {kind_of(agent_id)}")
        return None
    if (problem := agent_id_problem(agent_id)) is not None:
        issues.at_value(id_path, problem)
        return None
    if agent_id in explicit:
        first = issues.positions.value(explicit[agent_id])
        where = f" (first used at line {first[0]})" if first is not None else ""
        issues.at_value(id_path, f"duplicate agent id {agent_id!r}{where}; agent ids must be unique")
        return None
    explicit[agent_id] = id_path
    return agent_id


def _check_tools(
    backend: BackendConfig, path: ConfigPath, issues: IssueList, base: Path
) -> BackendConfig | None:
    """Check the agent's tool keys the backend block's structure cannot (a usable ``cwd``,
    compilable command patterns) and the backend's :meth:`~BackendOptions.config_problems` at
    their positions; resolve ``cwd``. ``None`` if one is wrong."""
    from ..tools.commands.policy import pattern_problems
    from ..tools.workspace.paths import path_problem

    ok = True
    tools = backend.tools
    if tools.cwd and (why := path_problem(tools.cwd)) is not None:
        issues.at_value((*path, "cwd"), f"cwd cannot be used: {why}")
        ok = False
    for key in ("command_line_allowed_commands", "command_line_blocked_commands"):
        for index, message in pattern_problems(getattr(tools, key)):
            issues.at_value((*path, key, index), message)
            ok = False
    if not ok:
        return None
    backend = _resolve_cwd(backend, base)
    problems = backend.options.config_problems(backend.tools)
    for key, message in problems:
        issues.at_value((*path, key), message)
    if backend.tools.enable_mcp_command_line or backend.options.runs_commands:
        from ..tools.commands.availability import execution_problem

        if (problem := execution_problem(backend.tools)) is not None:
            issues.on_machine((*path, problem[0]), problem[1])
    return None if problems else backend


def _check_storage(
    orchestrator: OrchestratorConfig, agent_ids: list[str], base: Path, issues: IssueList
) -> None:
    """The directories a run writes in (``snapshot_storage``, ``agent_temporary_workspace``,
    ``session_storage``): usable paths, and the first two not holding files of someone else's."""
    from ..tools.workspace.layout import storage_problem
    from ..tools.workspace.paths import path_problem

    for key in ("snapshot_storage", "agent_temporary_workspace", "session_storage"):
        value = getattr(orchestrator, key)
        if not value:
            continue
        where = ("orchestrator", key)
        if (why := path_problem(value)) is not None:
            issues.at_value(where, f"{key} cannot be used: {why}")
        elif key != "session_storage" and (problem := storage_problem(_resolve(base, value), agent_ids)):
            issues.at_value(where, problem)


def _resolve_cwd(backend: BackendConfig, base: Path) -> BackendConfig:
    cwd = backend.tools.cwd
    if not cwd:
        return backend
    resolved = str(_resolve(base, cwd))
    if resolved == cwd:
        return backend
    return attrs.evolve(backend, tools=attrs.evolve(backend.tools, cwd=resolved))
