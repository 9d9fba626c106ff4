"""Property tests: whatever the text, loading gives a RunConfig or a located ConfigError."""

from __future__ import annotations

import copy
import io
from collections.abc import Sequence
from typing import Any

import attrs
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from massgen_core.config import RunConfig, dump_config, load_config, load_config_text
from massgen_core.host.plugin_host import PluginHost
from massgen_core.host.registry import Registry
from massgen_core.plugin.errors import ConfigError
from massgen_core.plugin.hookspecs import hookimpl
from massgen_core.plugin.options import SamplingOptions, option
from massgen_core.plugin.specs import BackendSpec

PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@attrs.frozen(kw_only=True)
class Reasoning:
    effort: str = "medium"


@attrs.frozen(kw_only=True)
class SearchyOptions(SamplingOptions):
    enable_web_search: bool = option(False, requires="web_search")
    reasoning: Reasoning | None = option(None)


class Searchy:
    @hookimpl
    def massgen_backend_types(self) -> Sequence[BackendSpec]:
        return [
            BackendSpec(
                type="searchy",
                display_name="Searchy",
                provider="test",
                factory="massgen_core.testing.scripted:ScriptedBackend",
                options=SearchyOptions,
                capabilities={"streaming", "tool_calling", "web_search", "mcp", "sampling"},
                model_patterns=("searchy-*",),
                api_key_required=False,
            )
        ]


def _registry() -> Registry:
    host = PluginHost(entry_points=False)
    host.register(Searchy(), name="searchy")
    return Registry(host)


REGISTRY = _registry()
ENVIRON = {"HOME_DIR": "/home/u", "MODEL": "searchy-1"}

VALID: dict[str, Any] = {
    "agents": [
        {
            "id": "a",
            "backend": {
                "type": "searchy",
                "model": "searchy-1",
                "enable_web_search": True,
                "temperature": 0.5,
                "reasoning": {"effort": "high"},
                "exclude_tools": ["x"],
            },
            "system_message": "Be brief.",
        },
        {"backend": {"type": "scripted", "replies": ["hi"], "then": "repeat", "chunk_words": 2}},
    ],
    "orchestrator": {
        "context_paths": [{"path": "/", "permission": "write", "protected_paths": ["a"]}],
        "snapshot_storage": "snaps",
        "coordination": {"enable_planning_mode": True, "max_rounds": 3},
    },
    "ui": {"display_type": "simple", "logging_enabled": False},
    "timeout_settings": {"orchestrator_timeout_seconds": 100, "idle_timeout": None},
}

# mappings whose keys are checked (paths into VALID); an unknown key in any of them is an error
CHECKED_MAPPINGS: list[tuple[str | int, ...]] = [
    (),
    ("agents", 0),
    ("agents", 0, "backend"),
    ("agents", 0, "backend", "reasoning"),
    ("agents", 1),
    ("agents", 1, "backend"),
    ("orchestrator",),
    ("orchestrator", "context_paths", 0),
    ("orchestrator", "coordination"),
    ("ui",),
    ("timeout_settings",),
]


def to_yaml(data: Any) -> str:
    stream = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.dump(data, stream)
    return stream.getvalue()


def check(text: str) -> RunConfig | ConfigError:
    """Load ``text``: a RunConfig, or a ConfigError whose every issue is located in the file."""
    try:
        return load_config_text(
            text, filename="prop.yaml", registry=REGISTRY, environ=ENVIRON, base_dir="/base"
        )
    except ConfigError as exc:
        assert exc.issues
        for issue in exc.issues:
            assert issue.file == "prop.yaml", str(issue)
            assert isinstance(issue.line, int) and issue.line >= 1, str(issue)
            assert isinstance(issue.column, int) and issue.column >= 1, str(issue)
            assert issue.message and "Traceback" not in issue.message
        return exc


def test_the_base_config_is_valid() -> None:
    cfg = check(to_yaml(VALID))
    assert isinstance(cfg, RunConfig)
    assert load_config(dump_config(cfg), registry=REGISTRY) == cfg


# -- arbitrary text -------------------------------------------------------------------------------
@PROPERTY
@given(st.text())
@example("agent: {backend: {type: scripted}}")
@example("a: &a [*a]\n")
@example("[" * 200)
@example("a: !!binary aGVsbG8=\n")
@example("? [a, b]\n: c\n")
@example("${")
@example("\ufeffagent: 1")
@example("x.yaml")
def test_any_text(text: str) -> None:
    check(text)


YAML_CHARS = st.sampled_from([*"abc :-[]{},#&*!|>'\"%@`?\n\t ", "agents", "agent", "backend", "type"])


@PROPERTY
@given(st.lists(YAML_CHARS, max_size=60).map("".join))
def test_yaml_like_text(text: str) -> None:
    check(text)


# -- random trees ----------------------------------------------------------------------------------
KEYS = st.sampled_from(
    [
        "agent",
        "agents",
        "backend",
        "type",
        "model",
        "id",
        "system_message",
        "scripted",
        "searchy",
        "orchestrator",
        "ui",
        "timeout_settings",
        "context_paths",
        "path",
        "coordination",
        "display_type",
        "enable_web_search",
        "replies",
        "api_key",
        "reasoning",
        "cwd",
    ]
) | st.text(max_size=8)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
    | st.sampled_from(["scripted", "searchy", "searchy-1", "${MODEL}", "${NOPE}", "simple", "write", "."])
)
TREES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=25,
)


@PROPERTY
@given(st.dictionaries(KEYS, TREES, max_size=5))
def test_random_trees(tree: dict[str, Any]) -> None:
    check(to_yaml(tree))


# -- mutations of a valid config -----------------------------------------------------------------
def _paths(data: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out += _paths(value, (*prefix, index))
    return out


def _get(data: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _get(data, path[:-1])
        action = draw(st.sampled_from(["delete", "replace", "add_key"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = draw(TREES)
        else:
            target = _get(data, path)
            if isinstance(target, dict):
                target[draw(KEYS)] = draw(TREES)
            else:
                parent[path[-1]] = {draw(KEYS): draw(TREES)}
    return data


@PROPERTY
@given(mutated())
def test_mutated_configs(data: dict[str, Any]) -> None:
    check(to_yaml(data))


UNKNOWN = st.from_regex(r"zz_[a-z]{1,10}", fullmatch=True)


@PROPERTY
@given(st.sampled_from(CHECKED_MAPPINGS), UNKNOWN, SCALARS, st.booleans())
def test_an_injected_unknown_key_is_reported_at_its_line(
    where: tuple[str | int, ...], key: str, value: Any, first: bool
) -> None:
    data = copy.deepcopy(VALID)
    target = _get(data, where)
    items = list(target.items())
    target.clear()
    target.update([(key, value), *items] if first else [*items, (key, value)])
    text = to_yaml(data)
    line = next(
        n for n, content in enumerate(text.splitlines(), 1) if content.lstrip(" -").startswith(f"{key}:")
    )
    column = text.splitlines()[line - 1].index(key) + 1
    result = check(text)
    assert isinstance(result, ConfigError)
    # the unknown key is reported at its position; its value may add an issue on the same line
    assert {i.line for i in result.issues} == {line}, str(result)
    assert any(i.column == column and key in i.message for i in result.issues), str(result)
    if not (isinstance(value, str) and "${" in value):
        assert len(result.issues) == 1, str(result)
