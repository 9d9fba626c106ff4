"""Capability kinds: the vocabulary for what a backend (and a model) can do.

A :class:`CapabilityKind` is declared once (the core declares the built-in ones below through
its own built-in plugin; any plugin may declare more through ``massgen_capability_kinds``).
Backends list the kinds they have in :attr:`BackendSpec.capabilities`; a model may add or
remove kinds (:class:`ModelSpec`). Options that need a capability name it, so validation can
say which backends have it. The feature-comparison table groups kinds into rows: kinds sharing
a ``row`` make one row, each contributing its ``label`` ("Understanding", "Via MCP", ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["BUILTIN_KINDS", "CapabilityKind"]


@dataclass(frozen=True, kw_only=True)
class CapabilityKind:
    """One capability a backend may have.

    :param key: stable identifier used in specs and options (``"web_search"``).
    :param title: short human name (``"Web search"``).
    :param description: one sentence for docs and ``massgen capabilities``.
    :param row: the feature-table row this kind appears in; ``None`` keeps it out of the table.
    :param label: what the kind adds to its row's cell when the row holds several kinds.
    :param combined_label: cell text when every kind of the row is present (e.g. ``"Both"``).
    :param implied_by: kinds that bring this one with them (the core serves filesystem tools
        over MCP to every backend with ``mcp``, so ``filesystem_mcp`` is implied by ``mcp``).
    """

    key: str
    title: str
    description: str
    row: str | None = None
    label: str | None = None
    combined_label: str | None = None
    implied_by: tuple[str, ...] = ()


def _k(key: str, title: str, description: str, **kw: Any) -> CapabilityKind:
    return CapabilityKind(key=key, title=title, description=description, **kw)


BUILTIN_KINDS: tuple[CapabilityKind, ...] = (
    _k("streaming", "Streaming", "Streams the answer as it is produced."),
    _k("tool_calling", "Tool calling", "Calls function tools (ours, plugins' and MCP tools)."),
    _k("parallel_tool_calls", "Parallel tool calls", "Asks for several tool calls in one turn."),
    _k("reasoning", "Reasoning", "Exposes reasoning or a reasoning summary; accepts reasoning settings."),
    _k("multi_turn", "Multi-turn", "Keeps provider state across turns of a session."),
    _k("sampling", "Sampling settings", "Accepts temperature and top_p (reasoning models do not)."),
    _k("web_search", "Web search", "Provider-hosted web search.", row="Web Search"),
    _k(
        "code_execution",
        "Code execution",
        "Provider-hosted or framework code execution.",
        row="Code Execution",
    ),
    _k("bash", "Bash/Shell", "A native shell tool.", row="Bash/Shell"),
    _k(
        "image_understanding",
        "Image understanding",
        "Accepts images as input.",
        row="Image",
        label="Understanding",
        combined_label="Both",
    ),
    _k(
        "image_generation",
        "Image generation",
        "Creates images.",
        row="Image",
        label="Generation",
        combined_label="Both",
    ),
    _k(
        "audio_understanding",
        "Audio understanding",
        "Accepts audio as input.",
        row="Audio",
        label="Understanding",
        combined_label="Both",
    ),
    _k(
        "audio_generation",
        "Audio generation",
        "Creates speech or audio.",
        row="Audio",
        label="Generation",
        combined_label="Both",
    ),
    _k(
        "video_understanding",
        "Video understanding",
        "Accepts video as input.",
        row="Video",
        label="Understanding",
        combined_label="Both",
    ),
    _k(
        "video_generation",
        "Video generation",
        "Creates videos.",
        row="Video",
        label="Generation",
        combined_label="Both",
    ),
    _k(
        "document_understanding",
        "PDF input",
        "Reads PDF documents given as input (upload_files file_path, massgen -a).",
    ),
    _k(
        "file_search",
        "File search",
        "Documents given as input go to the provider's file search (a vector store) instead of the prompt.",
    ),
    _k("mcp", "MCP", "Uses tools from MCP servers (mcp_servers).", row="MCP Support"),
    _k(
        "filesystem_native",
        "Native filesystem",
        "Has file tools of its own.",
        row="Filesystem",
        label="Native",
    ),
    _k(
        "filesystem_mcp",
        "Filesystem via MCP",
        "Gets file tools through MCP.",
        row="Filesystem",
        label="Via MCP",
        implied_by=("mcp",),
    ),
)
