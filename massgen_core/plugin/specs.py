"""What plugins declare (backend types, models, tools and MCP servers), and what the core
resolves from a declaration for a backend it builds (:class:`BackendContext`, with its
:class:`Timeouts` and :class:`FileAccess`).

These are plain frozen data. Declaring them must be cheap: a :class:`BackendSpec` names its
implementation as a ``"module:attr"`` string, imported only when a backend of that type is
built, so loading plugins never imports a provider SDK. They are frozen, keyword-only
:mod:`dataclasses` (``dataclasses.replace`` makes a changed copy), not attrs classes: listing
what the plugins declare (``massgen backends``) then never imports attrs, a third of its time.
"""

from __future__ import annotations

import builtins
import fnmatch
import importlib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    import os
    from pathlib import Path

    from structlog.typing import FilteringBoundLogger

    from .backend import Backend
    from .options import BackendOptions

__all__ = [
    "BackendContext",
    "BackendFactory",
    "BackendSpec",
    "CommandMain",
    "CommandSpec",
    "ExtractFunction",
    "FileAccess",
    "McpServerSpec",
    "ModelSpec",
    "ScoreFunction",
    "ScorerSpec",
    "Timeouts",
    "ToolContext",
    "ToolFunction",
    "ToolSpec",
    "import_object",
]

if TYPE_CHECKING:  # a default (PEP 696) lets plugins write a bare ``BackendSpec``; typing_extensions
    # costs 20 ms to import, so the runtime TypeVar is the plain one
    from typing_extensions import TypeVar

    OptionsT = TypeVar("OptionsT", bound="BackendOptions", default=Any)
else:
    from typing import TypeVar

    OptionsT = TypeVar("OptionsT")
#: ``factory(options, context) -> Backend``; typed by the options class it takes
BackendFactory = Callable[[OptionsT, "BackendContext"], "Backend"]
ToolFunction = Callable[..., Awaitable[Any] | Any]
#: ``main(argv) -> exit status``: a ``massgen`` subcommand given the arguments after its name
CommandMain = Callable[[Sequence[str]], int]


def import_object(ref: str) -> Any:
    """Import ``"package.module:attr.path"`` and return the object."""
    module_name, _, attr_path = ref.partition(":")
    if not module_name or not attr_path:
        raise ValueError(f"expected 'module:attr', got {ref!r}")
    obj: Any = importlib.import_module(module_name)
    for name in attr_path.split("."):
        obj = getattr(obj, name)
    return obj


def _strings(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _convert(instance: object, **values: object) -> None:
    """Set fields of a frozen dataclass in ``__post_init__`` (its converters)."""
    for name, value in values.items():
        object.__setattr__(instance, name, value)


@dataclass(frozen=True, kw_only=True)
class ModelSpec:
    """A model a backend knows, with its differences from the backend's capabilities.

    :param name: the model id as sent to the provider.
    :param add: capability kinds this model has beyond the backend's.
    :param remove: capability kinds of the backend this model lacks.
    :param context_window: tokens, if known.
    :param input_price: USD per million input tokens, for cost accounting.
    :param output_price: USD per million output tokens.
    :param cached_input_price: USD per million cached input tokens (defaults to ``input_price``).
    :param cache_write_price: USD per million input tokens written to the prompt cache (defaults
        to ``input_price``).
    :param web_search_price: USD per web search request the provider runs (defaults to none).
    """

    name: str
    add: AbstractSet[str] = frozenset()
    remove: AbstractSet[str] = frozenset()
    context_window: int | None = None
    input_price: float | None = None
    output_price: float | None = None
    cached_input_price: float | None = None
    cache_write_price: float | None = None
    web_search_price: float | None = None

    def __post_init__(self) -> None:
        _convert(self, add=frozenset(self.add), remove=frozenset(self.remove))

    def capabilities(self, base: AbstractSet[str]) -> frozenset[str]:
        return frozenset((base | self.add) - self.remove)


@dataclass(frozen=True, kw_only=True)
class BackendSpec(Generic[OptionsT]):
    """A backend type a plugin provides (the ``type:`` of a config's ``backend:`` block).

    :param type: the name used in configs and ``--backend``.
    :param display_name: a human name for tables (``"OpenAI"``).
    :param provider: who serves the models (``"OpenAI"``, ``"Self-hosted"``).
    :param factory: ``"module:attr"`` (imported when first built) or a callable
        ``factory(options, context) -> Backend``.
    :param options: the attrs class of this backend's options (a subclass of
        :class:`~massgen_core.plugin.options.BackendOptions`), or ``"module:attr"`` naming it, imported
        only when a config or command needs the options; it is the options schema.
    :param capabilities: capability kinds every model of this backend has.
    :param models: known models, with per-model capability differences and prices.
    :param default_model: used when a config gives none.
    :param model_patterns: glob patterns (``"gpt-*"``) that let a config omit ``type``.
    :param api_key_env: env vars that may hold the API key, in order.
    :param api_key_required: whether a key is needed at all (local servers need none).
    :param default_base_url: where the backend connects unless told otherwise.
    :param base_url_env: env vars that may hold the base URL, in order.
    :param listed: whether the backend appears in the feature-comparison table.
    :param description: one line for ``massgen backends``.
    """

    type: str
    display_name: str
    provider: str
    factory: str | BackendFactory[OptionsT]
    options: str | builtins.type[OptionsT]
    capabilities: AbstractSet[str] = frozenset()
    models: Sequence[ModelSpec] = ()
    default_model: str | None = None
    model_patterns: Sequence[str] = ()
    api_key_env: Sequence[str] = ()
    api_key_required: bool = True
    default_base_url: str | None = None
    base_url_env: Sequence[str] = ()
    listed: bool = True
    description: str = ""

    def __post_init__(self) -> None:
        _convert(
            self,
            capabilities=frozenset(self.capabilities),
            models=tuple(self.models),
            model_patterns=_strings(self.model_patterns),
            api_key_env=_strings(self.api_key_env),
            base_url_env=_strings(self.base_url_env),
        )

    def model(self, name: str | None) -> ModelSpec | None:
        """The :class:`ModelSpec` for ``name``, if the backend knows it."""
        for m in self.models:
            if m.name == name:
                return m
        return None

    def capabilities_for(self, model: str | None) -> frozenset[str]:
        """The capability kinds of ``model`` on this backend."""
        spec = self.model(model)
        return spec.capabilities(self.capabilities) if spec else frozenset(self.capabilities)

    def matches_model(self, model: str) -> bool:
        """Whether ``model`` identifies this backend (a known model or a matching pattern)."""
        return self.model(model) is not None or any(
            fnmatch.fnmatchcase(model.lower(), p.lower()) for p in self.model_patterns
        )

    @property
    def options_class(self) -> builtins.type[OptionsT]:
        """The options class (imported on first use when given as ``"module:attr"``)."""
        options = self.options
        cls = import_object(options) if isinstance(options, str) else options
        import attrs

        from .options import BackendOptions

        if not (isinstance(cls, builtins.type) and attrs.has(cls) and issubclass(cls, BackendOptions)):
            from .errors import PluginError

            raise PluginError(
                f"backend {self.type!r}: options must be an attrs class derived from "
                f"massgen_core.plugin.options.BackendOptions, got {cls!r}"
            )
        return cls  # type: ignore[return-value]

    def load_factory(self) -> BackendFactory[OptionsT]:
        factory = self.factory
        return import_object(factory) if isinstance(factory, str) else factory


@dataclass(frozen=True, kw_only=True)
class CommandSpec:
    """A ``massgen`` subcommand a plugin adds (``massgen NAME ARGS...``).

    :param name: the word after ``massgen``: lower-case letters, digits and ``-``, starting
        with a letter, and not a built-in subcommand.
    :param help: one line for ``massgen --help``.
    :param main: ``"module:attr"`` (imported only when the command runs, so ``massgen --help``
        never imports what the command needs) or a callable; it is given the arguments after
        the command's name and returns the exit status. It runs as the built-in subcommands do:
        a :class:`~massgen_core.plugin.errors.MassgenError` it raises is printed as ``error:
        ...`` (exit 1; a ``ConfigError`` exits 2), Ctrl-C exits 130, and every secret MassGen
        knows is masked in what it prints.
    """

    name: str
    help: str
    main: str | CommandMain

    def load_main(self) -> CommandMain:
        main = self.main
        return import_object(main) if isinstance(main, str) else main


#: ``score(response, expected, fields) -> bool``: whether ``response`` (an arm's answer) is right;
#: ``fields`` are the dataset line's own fields (``choices``, ``tolerance``...)
ScoreFunction = Callable[[str, str, Mapping[str, Any]], bool]
#: ``extract(response, fields) -> str``: the answer a response gives, as the scorer compares it
ExtractFunction = Callable[[str, Mapping[str, Any]], str]


@dataclass(frozen=True, kw_only=True)
class ScorerSpec:
    """A way ``massgen eval`` tells a right answer from a wrong one (``--scorer NAME``, or a
    dataset line's ``"scorer"`` field).

    :param name: a lower-case word (letters, digits, ``-`` and ``_``), not a built-in scorer's.
    :param help: one line for ``massgen eval --help``.
    :param score: a :data:`ScoreFunction`, or ``"module:attr"`` naming one (imported when used).
    :param extract: a :data:`ExtractFunction` (or ``"module:attr"``): the answer a response gives,
        on which the ``majority`` arm votes; ``None``: the response's normalized text.
    """

    name: str
    help: str
    score: str | ScoreFunction
    extract: str | ExtractFunction | None = None

    def load_score(self) -> ScoreFunction:
        score = self.score
        return import_object(score) if isinstance(score, str) else score

    def load_extract(self) -> ExtractFunction | None:
        extract = self.extract
        return import_object(extract) if isinstance(extract, str) else extract


@dataclass(frozen=True, kw_only=True)
class ToolContext:
    """What a tool-providing plugin knows about the agent it is offering tools to.

    :param agent_id: the agent's id.
    :param backend_type: its backend's ``type``.
    :param model: the model it runs (the backend's ``default_model`` when the config names none).
    :param workspace: its workspace directory, when it has one.
    :param options: its backend's options: an instance of that backend's options class
        (``isinstance(context.options, MyOptions)`` tells a plugin's own backend apart).
    """

    agent_id: str
    backend_type: str
    model: str | None
    workspace: Path | None
    options: BackendOptions


@dataclass(frozen=True, kw_only=True)
class ToolSpec:
    """A Python function tool offered to agents.

    The simplest is :meth:`from_function`: a plain typed function whose signature and docstring
    say everything (``ToolSpec.from_function(search)``).

    :param name: the tool name the model sees.
    :param function: a callable (sync or async) taking the arguments as keywords, or
        ``"module:attr"``; its return value is turned into text for the model (strings as they
        are, anything else as JSON); raise :class:`~massgen_core.plugin.errors.ToolError` to tell the
        model what went wrong.
    :param description: what the model is told the tool does; empty: the function's docstring
        summary.
    :param parameters: JSON Schema of the arguments object; ``None``: derived from the
        function's signature and docstring when the tool is built (see
        :mod:`massgen_core.plugin.function_schema`).
    :param read_only: ``True`` when the tool has no side effects; planning mode only lets
        read-only tools run during coordination.
    """

    name: str
    function: str | ToolFunction
    description: str = ""
    parameters: Mapping[str, Any] | None = None
    read_only: bool = False

    @classmethod
    def from_function(
        cls, function: ToolFunction, *, name: str | None = None, read_only: bool = False
    ) -> ToolSpec:
        """A tool of ``function``: its name, docstring and typed signature (cheap: the schema is
        built when the tool is)."""
        return cls(name=name or function.__name__, function=function, read_only=read_only)

    def load_function(self) -> ToolFunction:
        fn = self.function
        return import_object(fn) if isinstance(fn, str) else fn


@dataclass(frozen=True, kw_only=True)
class McpServerSpec:
    """An MCP server offered to agents (same fields as an ``mcp_servers`` config entry)."""

    name: str
    transport: Literal["stdio", "streamable-http"] = "stdio"
    command: str | None = None
    args: Sequence[str] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    allowed_tools: tuple[str, ...] | None = None
    exclude_tools: Sequence[str] = ()
    read_only: bool = False

    def __post_init__(self) -> None:
        _convert(self, args=_strings(self.args), exclude_tools=_strings(self.exclude_tools))


@runtime_checkable
class FileAccess(Protocol):
    """What an agent may read and write right now: its workspace, the other agents' snapshots,
    the context paths and their protected paths, under the rules every agent's file tools follow.

    For backends whose provider runs file tools of its own (Claude Code's Read, Write, Edit...):
    check each path such a tool touches. Relative paths are taken from the agent's workspace;
    ``..`` and symlinks are resolved before checking. The answers follow the run: write context
    paths open only while the agent presents the final answer. The checks return why the access
    is refused, or ``None`` when it is allowed.
    """

    def check_read(self, path: str | os.PathLike[str]) -> str | None: ...

    def check_write(self, path: str | os.PathLike[str]) -> str | None: ...

    def sandbox_paths(self) -> tuple[list[str], list[str]]:
        """``(writable, protected)`` now, for confining a process the backend starts (see
        :func:`~massgen_core.plugin.sandboxed_command`)."""
        ...


@dataclass(frozen=True, kw_only=True)
class Timeouts:
    """Seconds. ``None`` disables a timeout.

    :param connect: to open the connection (passed to the SDK's HTTP client).
    :param first_event: from sending the request to the first stream event.
    :param idle: between two stream events.
    :param total: for the whole response, retries included.
    """

    connect: float | None = 10.0
    first_event: float | None = 120.0
    idle: float | None = 120.0
    total: float | None = 900.0


@dataclass(frozen=True, kw_only=True)
class BackendContext:
    """Everything the core resolved for a backend before building it."""

    spec: BackendSpec
    model: str
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    capabilities: frozenset[str] = frozenset()
    timeouts: Timeouts = Timeouts()
    agent_id: str | None = None
    logger: FilteringBoundLogger | None = None
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The environment the backend was configured from (read env-dependent settings here)."""
    workspace: Path | None = None
    """The agent's workspace directory, when it has one (the ``cwd`` its tools work in). A
    backend that runs its own tools (Claude Code, AG2's code executors) works there."""
    access: FileAccess | None = None
    """The agent's file permissions, when it has a workspace: a backend whose provider has file
    tools of its own checks every path they touch here (see :class:`FileAccess`)."""
    allowed_tools: tuple[str, ...] | None = None
    """The agent's ``allowed_tools`` (``None``: not set). The core applies it to the tools it
    serves; a backend whose provider has built-in tools (Claude Code) applies it to those too."""
    exclude_tools: tuple[str, ...] = ()
    """The agent's ``exclude_tools``, applied like :attr:`allowed_tools`."""

    @property
    def backend_type(self) -> str:
        return self.spec.type

    @property
    def api_key_env(self) -> tuple[str, ...]:
        return tuple(self.spec.api_key_env)
