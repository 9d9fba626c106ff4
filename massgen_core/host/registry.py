"""The backend and capability registry built from what plugins declare.

It answers: which backend types exist (and which plugin provides each), which capability
kinds are known, which backends have a capability, which backend a bare model name belongs
to; and it builds backends, importing a backend's implementation (and so its SDK) only then.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..plugin.capabilities import CapabilityKind
from ..plugin.errors import BackendConflictError, BackendUnavailableError, ConfigError
from ..plugin.specs import BackendFactory, BackendSpec
from .known_plugins import KNOWN_TYPES, install_command
from .plugin_host import PluginHost, PluginRecord, get_host

if TYPE_CHECKING:  # the listing commands never need these; building a backend does
    from pathlib import Path

    from ..plugin.backend import Backend
    from ..plugin.options import BackendOptions
    from ..plugin.specs import BackendContext, FileAccess, Timeouts

__all__ = ["KNOWN_TYPES", "BackendEntry", "Registry", "get_registry", "install_command"]


@dataclass(frozen=True, kw_only=True)
class BackendEntry:
    """A backend type and the plugin that provides it."""

    spec: BackendSpec
    plugin: str
    distribution: str | None
    version: str | None


class Registry:
    """Backend types and capability kinds from every loaded plugin."""

    def __init__(self, host: PluginHost) -> None:
        self.host = host
        self.kinds: dict[str, CapabilityKind] = {}
        for plugin, kind in host.collect("massgen_capability_kinds", CapabilityKind):
            if kind.key in self.kinds and self.kinds[kind.key] != kind:
                host.report(plugin, f"capability kind {kind.key!r} is already declared differently")
                continue
            self.kinds[kind.key] = kind
        claims: dict[str, list[BackendEntry]] = {}
        #: backend types a plugin declared but the registry refused: type -> (plugin, why)
        self.rejected: dict[str, tuple[str, str]] = {}
        for plugin, spec in host.collect("massgen_backend_types", BackendSpec):
            problem = self._check_spec(spec)
            if problem:
                host.report(plugin, f"backend {spec.type!r}: {problem}")
                self.rejected[spec.type] = (plugin, problem)
                continue
            record = host.records.get(plugin)
            entry = BackendEntry(
                spec=spec,
                plugin=plugin,
                distribution=record.distribution if record else None,
                version=record.version if record else None,
            )
            claims.setdefault(spec.type, []).append(entry)
        self.backends: dict[str, BackendEntry] = {}
        self.conflicts: dict[str, tuple[BackendEntry, ...]] = {}
        for type_, entries in sorted(claims.items()):
            if len(entries) == 1:
                self.backends[type_] = entries[0]
            else:
                self.conflicts[type_] = tuple(entries)
                for e in entries:
                    others = ", ".join(o.plugin for o in entries if o is not e)
                    host.report(e.plugin, f"backend type {type_!r} is also declared by {others}")

    def _check_spec(self, spec: BackendSpec) -> str | None:
        if not isinstance(spec.options, str):  # a "module:attr" string is checked when it is loaded
            import attrs

            from ..plugin.options import BackendOptions

            if not (attrs.has(spec.options) and issubclass(spec.options, BackendOptions)):
                return (
                    "options must be an attrs class derived from massgen_core.plugin.options.BackendOptions"
                )
        unknown = set(spec.capabilities).union(*(m.add | m.remove for m in spec.models)) - set(self.kinds)
        if unknown:
            return f"unknown capability kind(s) {', '.join(sorted(unknown))} (declare them with massgen_capability_kinds)"
        return None

    # -- lookups ------------------------------------------------------------------------------
    def entry(self, backend_type: str) -> BackendEntry:
        """The entry for ``backend_type``; raises a clear error if it is unknown or conflicting."""
        if backend_type in self.conflicts:
            raise BackendConflictError(
                backend_type,
                [f"{e.plugin} ({e.distribution or 'built-in'})" for e in self.conflicts[backend_type]],
            )
        try:
            return self.backends[backend_type]
        except KeyError:
            raise ConfigError(self.unknown_type_message(backend_type)) from None

    def spec(self, backend_type: str) -> BackendSpec:
        return self.entry(backend_type).spec

    def unknown_type_message(self, backend_type: str) -> str:
        """Why ``backend_type`` is not available and what to do: the plugin that declares it was
        rejected, failed to load, is disabled or not installed; else the installed types."""
        if backend_type in self.rejected:
            plugin, problem = self.rejected[backend_type]
            return (
                f"backend type {backend_type!r} is not available: plugin {self._describe(plugin)} declares "
                f"it, but the declaration was rejected: {problem}. Update or fix the plugin; "
                f"`massgen plugins` shows its errors"
            )
        hint = KNOWN_TYPES.get(backend_type)
        provider = self._provider_of(backend_type, hint)
        if provider is not None:
            record, sure = provider
            which = "which provides it" if sure else "which may provide it"
            who = f"plugin {self._describe(record.name)}, {which},"
            dist = record.distribution or record.name
            if record.status == "failed":
                why = "; ".join(record.errors) or "unknown error"
                return (
                    f"backend type {backend_type!r} is not available: {who} failed to load: {why}. "
                    f"Fix or reinstall it ({install_command(dist, upgrade=True)}); `massgen plugins` shows its status"
                )
            if record.status == "incompatible":
                return (
                    f"backend type {backend_type!r} is not available: {who} is not loaded: "
                    f"{'; '.join(record.errors)}"
                )
            if record.status == "disabled":
                return (
                    f"backend type {backend_type!r} is not available: {who} is disabled by "
                    f"MASSGEN_DISABLE_PLUGINS"
                )
            return (
                f"backend type {backend_type!r} is not available: {who} is not loaded because "
                f"MASSGEN_LOAD_PLUGINS does not name it"
            )
        if hint is not None:
            installed = next(
                (
                    r
                    for r in self.host.records.values()
                    if r.distribution and _normalise(r.distribution) == hint
                ),
                None,
            )
            if installed is not None:
                return (
                    f"unknown backend type {backend_type!r}: the installed {hint} {installed.version or ''} "
                    f"does not declare it; upgrade it: {install_command(hint, upgrade=True)}"
                )
            return (
                f"unknown backend type {backend_type!r}: it comes from the {hint} plugin, which is not "
                f"installed: {install_command(hint)}"
            )
        known = sorted(self.backends)
        import difflib

        close = difflib.get_close_matches(backend_type, known, n=1)
        did_you_mean = f" Did you mean {close[0]!r}?" if close else ""
        message = (
            f"unknown backend type {backend_type!r}.{did_you_mean} Installed types: "
            f"{', '.join(known) or 'none'}. Backends come from plugins: e.g. {install_command('massgen-openai')}; "
            f"`massgen backends` lists them"
        )
        failed = [r for r in self.host.records.values() if r.status == "failed"]
        if failed:
            listed = "; ".join(f"{self._describe(r.name)}: {'; '.join(r.errors)}" for r in failed)
            message += f". These plugins failed to load, and one may declare it: {listed}"
        return message

    def _describe(self, plugin: str) -> str:
        record = self.host.records.get(plugin)
        if record is None or record.distribution is None:
            return repr(plugin)
        version = f" {record.version}" if record.version else ""
        return f"{plugin!r} ({record.distribution}{version})"

    def _provider_of(self, backend_type: str, hint: str | None) -> tuple[PluginRecord, bool] | None:
        """A plugin that is not loaded (failed, incompatible, disabled, skipped) and provides ``backend_type``:
        by the known-types table (sure), else by its entry-point or distribution name (a guess).

        A plugin that failed to import never declared its types, so names are all there is.
        """
        absent = [
            r
            for r in self.host.records.values()
            if r.status in ("failed", "incompatible", "disabled", "skipped")
        ]
        if hint is not None:
            for record in absent:
                if record.distribution and _normalise(record.distribution) == hint:
                    return record, True
        wanted = _normalise(backend_type)
        for record in absent:
            names = {_normalise(record.name)}
            if record.distribution:
                names.add(_normalise(record.distribution).removeprefix("massgen-"))
            if any(wanted == n or wanted.startswith(n + "-") for n in names):
                return record, False
        return None

    def model_for(self, backend_type: str, options: BackendOptions) -> str | None:
        """The model an agent on ``backend_type`` uses: its ``model``, else the backend's default."""
        return options.model or self.spec(backend_type).default_model

    def infer_type(self, model: str) -> str | None:
        """The backend type that ``model`` identifies, if exactly one does."""
        matches = [t for t, e in self.backends.items() if e.spec.model(model) is not None]
        if not matches:
            matches = [t for t, e in self.backends.items() if e.spec.matches_model(model)]
        return matches[0] if len(matches) == 1 else None

    def close_capabilities(self, kinds: frozenset[str]) -> frozenset[str]:
        """``kinds`` plus the kinds they imply (see :attr:`CapabilityKind.implied_by`)."""
        implied = {k.key for k in self.kinds.values() if kinds.intersection(k.implied_by)}
        return kinds | implied

    def capabilities(self, backend_type: str, model: str | None = None) -> frozenset[str]:
        """The capability kinds of ``model`` on ``backend_type`` (of the backend, if no model)."""
        return self.close_capabilities(self.spec(backend_type).capabilities_for(model))

    def any_model_capabilities(self, backend_type: str) -> frozenset[str]:
        """Kinds the backend has on at least one of its models."""
        spec = self.spec(backend_type)
        return self.close_capabilities(frozenset(spec.capabilities).union(*(m.add for m in spec.models)))

    def with_capability(self, kind: str) -> list[str]:
        """Backend types that have ``kind`` (on at least one model)."""
        return [t for t in self.backends if kind in self.any_model_capabilities(t)]

    def where_capability(self, kind: str, backend_type: str) -> str:
        """Where to find ``kind``, for an error about ``backend_type`` (or its model) lacking it.

        When another model of the same backend has it, that is the fix: its models that have it
        (and, when the backend has it by default, any model it does not list). Otherwise the
        backends that have it.
        """
        spec = self.spec(backend_type)
        if kind in self.any_model_capabilities(backend_type):
            models = [m.name for m in spec.models if kind in self.capabilities(backend_type, m.name)]
            unlisted = kind in self.capabilities(backend_type)
            if models:
                more = " (and models it does not list)" if unlisted else ""
                return f"models of {backend_type!r} that have it: {', '.join(models)}{more}"
            return f"other models of {backend_type!r} have it (models it does not list)"
        have = sorted(self.with_capability(kind))
        return f"backends with it: {', '.join(have)}" if have else "no installed backend has it"

    # -- building -----------------------------------------------------------------------------
    def api_key_for(
        self, backend_type: str, options: BackendOptions, environ: Mapping[str, str] | None = None
    ) -> str | None:
        """The key a backend would be built with: ``api_key`` from the config, else the first of
        the spec's ``api_key_env`` that is set."""
        env = os.environ if environ is None else environ
        return options.api_key or next(
            (env[v] for v in self.spec(backend_type).api_key_env if env.get(v)), None
        )

    def missing_key(
        self, backend_type: str, options: BackendOptions, environ: Mapping[str, str] | None = None
    ) -> str | None:
        """Why building this backend would fail for want of a key (naming the env vars), or ``None``."""
        if not self.spec(backend_type).api_key_required or self.api_key_for(backend_type, options, environ):
            return None
        from ..plugin.provider_errors import missing_api_key

        return str(missing_api_key(backend_type, self.spec(backend_type).api_key_env))

    def context_for(
        self,
        backend_type: str,
        options: BackendOptions,
        *,
        timeouts: Timeouts | None = None,
        agent_id: str | None = None,
        environ: Mapping[str, str] | None = None,
        workspace: Path | None = None,
        access: FileAccess | None = None,
        allowed_tools: tuple[str, ...] | None = None,
        exclude_tools: tuple[str, ...] = (),
    ) -> BackendContext:
        """Resolve model, API key and base URL for a backend about to be built."""
        from ..plugin.specs import BackendContext, Timeouts

        spec = self.spec(backend_type)
        env = os.environ if environ is None else environ
        model = self.model_for(backend_type, options)
        if not model:
            raise ConfigError(f"backend {backend_type!r} needs a model: set backend.model")
        api_key = self.api_key_for(backend_type, options, env)
        if spec.api_key_required and not api_key:
            from ..plugin.provider_errors import missing_api_key

            raise missing_api_key(backend_type, spec.api_key_env)
        if api_key:  # masked wherever the core prints or writes, and in every backend error
            from ..records.redaction import remember_secret

            remember_secret(api_key)
        base_url = (
            options.base_url
            or next((env[v] for v in spec.base_url_env if env.get(v)), None)
            or spec.default_base_url
        )
        import structlog

        return BackendContext(
            spec=spec,
            model=model,
            api_key=api_key,
            base_url=base_url,
            capabilities=self.capabilities(backend_type, model),
            timeouts=timeouts or Timeouts(),
            agent_id=agent_id,
            environ=dict(env),
            workspace=workspace,
            access=access,
            allowed_tools=allowed_tools,
            exclude_tools=exclude_tools,
            logger=structlog.get_logger("massgen.backend").bind(backend=backend_type, agent=agent_id),
        )

    def factory(self, backend_type: str) -> BackendFactory[Any]:
        """The backend's implementation, imported (with its provider SDK) on first use.

        :raises BackendUnavailableError: it is installed but cannot be imported.
        """
        entry = self.entry(backend_type)
        try:
            return entry.spec.load_factory()
        except Exception as exc:
            dist = entry.distribution or entry.plugin
            raise BackendUnavailableError(
                f"backend {backend_type!r} from {dist} {entry.version or ''} is installed but cannot be "
                f"loaded: {type(exc).__name__}: {exc}. Try: {install_command(dist, upgrade=True)}"
            ) from exc

    def build(self, backend_type: str, options: BackendOptions, **kwargs: Any) -> Backend:
        """Build a backend: resolve its context, import its implementation, construct it."""
        context = self.context_for(backend_type, options, **kwargs)
        return self.factory(backend_type)(options, context)


def _normalise(name: str) -> str:
    return name.replace("_", "-").replace(".", "-").lower()


_REGISTRY: tuple[PluginHost, Registry] | None = None


def get_registry(host: PluginHost | None = None) -> Registry:
    """The registry of the process-wide plugin host (or of ``host``)."""
    global _REGISTRY
    host = host or get_host()
    if _REGISTRY is None or _REGISTRY[0] is not host:
        _REGISTRY = (host, Registry(host))
    return _REGISTRY[1]
