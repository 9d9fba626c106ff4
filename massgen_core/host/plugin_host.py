"""Plugin loading: entry points of the ``massgen`` group, each loaded in isolation.

Built-in functionality (``massgen_core.host.builtin``) registers exactly as a third-party plugin
does. Each entry point is imported and registered on its own, so one that fails to import or
registers bad hooks is recorded (name, distribution, error) and the rest keep working. Hooks
are also called one implementation at a time, so every result is attributed to its plugin and
one failing hook cannot hide the others.

Environment switches (read by :func:`get_host`):

``MASSGEN_LOAD_PLUGINS=a,b``
    load only these plugins (entry-point or distribution names); empty loads none but built-ins.
``MASSGEN_DISABLE_PLUGINS=a,b``
    never load these.
``MASSGEN_STRICT_PLUGINS=1``
    any plugin failure is fatal (raises :class:`~massgen_core.plugin.errors.PluginError`).

A plugin whose distribution declares a range of massgen-core that excludes this core (its
``massgen-core>=X,<Y`` dependency, read from its metadata: the plugin is never imported) is
``incompatible``: not loaded, with the reason and the fix (:mod:`.compatibility`).

A plugin's status (``massgen plugins``) is ``builtin`` or ``loaded`` only while nothing it did was
rejected: ``failed`` when it could not be imported or registered, ``error`` when it loaded but a
hook raised or returned something unusable (a declaration that is not a ``BackendSpec``, a
backend with unknown capability kinds ...); what it declared correctly still works. Declaration
hooks run whenever plugins are listed, so ``massgen plugins`` sees their errors. ``massgen_tools``
depends on the agent it is asked for, so it runs only when a run builds its agents: a failure
there is reported then (a warning on stderr and in the run's ``massgen.log.jsonl``, see
:meth:`PluginHost.collect`'s ``on_problem``), and the plugin's tools are left out of that agent.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Iterable, Sequence
from types import ModuleType
from typing import Any, Literal

import pluggy

from ..plugin import hookspecs
from ..plugin.errors import PluginError
from ..version import __version__
from .compatibility import incompatibility
from .entry_points import GROUP, FoundEntryPoint, find_entry_points

__all__ = [
    "BUILTIN_PLUGINS",
    "ENTRY_POINT_GROUP",
    "PluginHost",
    "PluginRecord",
    "ProblemSink",
    "get_host",
    "host_from_env",
]

ENTRY_POINT_GROUP = GROUP
BUILTIN_PLUGINS: tuple[str, ...] = ("massgen_core.host.builtin",)
Status = Literal["builtin", "loaded", "error", "failed", "incompatible", "disabled", "skipped"]
#: ``(plugin name, message, exception)`` for a problem found while calling a hook
ProblemSink = Callable[[str, str, BaseException | None], None]


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _split_env(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [_normalise(v.strip()) for v in value.split(",") if v.strip()]


class PluginRecord:
    """What ``massgen plugins`` shows for one plugin."""

    __slots__ = ("core_range", "distribution", "errors", "hooks", "module", "name", "status", "version")

    def __init__(
        self,
        name: str,
        *,
        status: Status,
        distribution: str | None = None,
        version: str | None = None,
        module: str | None = None,
        core_range: str | None = None,
    ) -> None:
        self.name = name
        self.status: Status = status
        self.distribution = distribution
        self.version = version
        self.module = module
        #: the range of massgen-core its distribution declares (``">=0.1,<0.2"``), if any
        self.core_range = core_range
        self.hooks: list[str] = []
        self.errors: list[str] = []

    @property
    def ok(self) -> bool:
        return self.status in ("builtin", "loaded")

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "status": self.status,
            "requires": None if self.core_range is None else f"massgen-core{self.core_range}",
            "hooks": list(self.hooks),
            "error": "; ".join(self.errors) or None,
        }


class PluginHost:
    """Loads plugins and calls their hooks with per-plugin isolation.

    Tests build their own host (``PluginHost(entry_points=False)``) and :meth:`register`
    plugin modules or objects directly; the CLI uses :func:`get_host`.
    """

    def __init__(
        self,
        *,
        entry_points: bool = True,
        only: Sequence[str] | None = None,
        disabled: Sequence[str] = (),
        strict: bool = False,
        builtins: Sequence[str] = BUILTIN_PLUGINS,
    ) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        self.strict = strict
        self._only = None if only is None else {_normalise(n) for n in only}
        self._disabled = {_normalise(n) for n in disabled}
        for module_name in builtins:
            record = PluginRecord(
                module_name,
                status="builtin",
                distribution="massgen-core",
                version=__version__,
                module=module_name,
            )
            self.register(importlib.import_module(module_name), name=module_name, record=record)
        if entry_points:
            self._load_entry_points()

    # -- loading ------------------------------------------------------------------------------
    def _load_entry_points(self) -> None:
        for ep in find_entry_points(ENTRY_POINT_GROUP):
            dist, version = ep.distribution, ep.version
            names = {_normalise(ep.name)} | ({_normalise(dist)} if dist else set())
            if names & self._disabled:
                self._add_record(PluginRecord(ep.name, status="disabled", distribution=dist, version=version))
                continue
            if self._only is not None and not names & self._only:
                self._add_record(PluginRecord(ep.name, status="skipped", distribution=dist, version=version))
                continue
            if ep.name in self.records or self.pm.has_plugin(ep.name):
                self._fail(
                    PluginRecord(ep.name, status="failed", distribution=dist, version=version),
                    f"another plugin is already registered as {ep.name!r}",
                )
                continue
            if not ep.compatible:
                record = PluginRecord(
                    ep.name,
                    status="incompatible",
                    distribution=dist,
                    version=version,
                    core_range=ep.core_range,
                )
                self._fail(record, incompatibility(dist or ep.name, version, ep.core_range or ""))
                continue
            self._load_one(ep, dist, version)

    def _load_one(self, ep: FoundEntryPoint, dist: str | None, version: str | None) -> None:
        record = PluginRecord(
            ep.name,
            status="loaded",
            distribution=dist,
            version=version,
            module=ep.value,
            core_range=ep.core_range,
        )
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken plugin must not take the others down
            self._fail(record, f"import failed: {type(exc).__name__}: {exc}", exc)
            return
        self.register(plugin, name=ep.name, record=record)

    def register(
        self,
        plugin: ModuleType | object,
        *,
        name: str | None = None,
        status: Status = "loaded",
        record: PluginRecord | None = None,
    ) -> PluginRecord:
        """Register a plugin module or object; returns its record (``failed`` if it is invalid)."""
        name = name or getattr(plugin, "__name__", None) or repr(plugin)
        record = record or PluginRecord(name, status=status, module=getattr(plugin, "__name__", None))
        try:
            self.pm.register(plugin, name=name)
            unknown = [
                caller.name
                for caller in self.pm.get_hookcallers(plugin) or []
                if caller.spec is None
                and any(not i.optionalhook for i in caller.get_hookimpls() if i.plugin is plugin)
            ]
            if unknown:
                raise PluginError(f"implements unknown hook(s) {', '.join(sorted(unknown))}")
            wrappers = [
                caller.name
                for caller in self.pm.get_hookcallers(plugin) or []
                for i in caller.get_hookimpls()
                if i.plugin is plugin and (i.wrapper or i.hookwrapper)
            ]
            if wrappers:
                raise PluginError(f"hook wrappers are not supported ({', '.join(wrappers)})")
        except Exception as exc:
            if self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            self._fail(record, f"invalid hooks: {type(exc).__name__}: {exc}", exc)
            return record
        record.hooks = sorted(c.name for c in self.pm.get_hookcallers(plugin) or [])
        self._add_record(record)
        return record

    def _add_record(self, record: PluginRecord) -> None:
        self.records[record.name] = record

    def _fail(self, record: PluginRecord, message: str, exc: BaseException | None = None) -> None:
        if record.status != "incompatible":
            record.status = "failed"
        record.errors.append(message)
        self._add_record(record)
        if self.strict:
            raise PluginError(
                f"plugin {record.name!r} ({record.distribution or 'not installed'}): {message}",
                plugin=record.name,
                distribution=record.distribution,
            ) from exc

    # -- calling ------------------------------------------------------------------------------
    def call(
        self, hook: str, *, on_problem: ProblemSink | None = None, **kwargs: Any
    ) -> list[tuple[str, Any]]:
        """Call ``hook`` on each plugin separately; returns ``(plugin name, result)`` pairs.

        A plugin whose implementation raises is recorded (see :meth:`report`) and skipped.
        Results are ordered by plugin name, so the registration order never carries meaning.
        """
        out: list[tuple[str, Any]] = []
        caller = getattr(self.pm.hook, hook)
        for impl in caller.get_hookimpls():
            try:
                result = impl.function(*[kwargs[arg] for arg in impl.argnames])
            except Exception as exc:
                message = f"{hook} raised {type(exc).__name__}: {exc}"
                self.report(impl.plugin_name, message, exc, on_problem=on_problem)
                continue
            if result is not None:
                out.append((impl.plugin_name, result))
        out.sort(key=lambda pair: pair[0])
        return out

    def collect(
        self,
        hook: str,
        expected: type | tuple[type, ...],
        *,
        on_problem: ProblemSink | None = None,
        **kwargs: Any,
    ) -> list[tuple[str, Any]]:
        """Like :meth:`call` for hooks returning sequences; flattens and type-checks the items.

        :param on_problem: also told about each problem (after it is recorded), so a caller at
            run time can report it where the user looks (``massgen_tools``: stderr, run log).
        """
        items: list[tuple[str, Any]] = []
        for plugin, result in self.call(hook, on_problem=on_problem, **kwargs):
            if not isinstance(result, Iterable) or isinstance(result, str | bytes):
                message = f"{hook} must return a list, got {type(result).__name__}"
                self.report(plugin, message, on_problem=on_problem)
                continue
            for item in result:
                if isinstance(item, expected):
                    items.append((plugin, item))
                else:
                    message = f"{hook} returned {type(item).__name__}, expected {_names(expected)}"
                    self.report(plugin, message, on_problem=on_problem)
        return items

    def report(
        self,
        plugin: str,
        message: str,
        exc: BaseException | None = None,
        *,
        on_problem: ProblemSink | None = None,
    ) -> None:
        """Record a problem with a loaded plugin: its status becomes ``error`` (fatal in strict mode)."""
        record = self.records.get(plugin)
        if record is None:
            record = PluginRecord(plugin, status="error")
            self._add_record(record)
        if record.status in ("builtin", "loaded"):
            record.status = "error"
        if message not in record.errors:  # a hook called once per agent fails the same way each time
            record.errors.append(message)
        if on_problem is not None:
            on_problem(plugin, message, exc)
        if self.strict:
            raise PluginError(
                f"plugin {plugin!r}: {message}", plugin=plugin, distribution=record.distribution
            ) from exc

    @property
    def failures(self) -> list[PluginRecord]:
        return [r for r in self.records.values() if r.errors]


def _names(expected: type | tuple[type, ...]) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(t.__name__ for t in types)


_HOST: PluginHost | None = None


def host_from_env(environ: os._Environ[str] | dict[str, str] | None = None) -> PluginHost:
    """A new host configured by the ``MASSGEN_*_PLUGINS`` environment variables."""
    env = os.environ if environ is None else environ
    return PluginHost(
        only=_split_env(env.get("MASSGEN_LOAD_PLUGINS")),
        disabled=_split_env(env.get("MASSGEN_DISABLE_PLUGINS")) or (),
        strict=env.get("MASSGEN_STRICT_PLUGINS", "").lower() in ("1", "true", "yes", "on"),
    )


def get_host(*, reload: bool = False, factory: Callable[[], PluginHost] = host_from_env) -> PluginHost:
    """The process-wide plugin host, loaded on first use."""
    global _HOST
    if _HOST is None or reload:
        _HOST = factory()
    return _HOST
