"""MassGen's own plugins by the backend types they provide, and the command that installs one:
what error messages tell users to install (the registry, the CLI, the plugin loader)."""

from __future__ import annotations

__all__ = ["KNOWN_TYPES", "install_command"]

#: Backend types of MassGen's own plugins -> the distribution that provides them: when a type is
#: unknown, says what to install, or which failed or disabled plugin to look at.
KNOWN_TYPES: dict[str, str] = {
    **dict.fromkeys(
        (
            "openai",
            "azure_openai",
            "grok",
            "chatcompletion",
            "cerebras",
            "together",
            "fireworks",
            "groq",
            "openrouter",
            "zai",
            "nebius",
            "moonshot",
            "qwen",
            "poe",
        ),
        "massgen-openai",
    ),
    **dict.fromkeys(("lmstudio", "vllm", "sglang", "llamacpp"), "massgen-local"),
    **dict.fromkeys(("claude", "claude_code"), "massgen-claude"),
    "gemini": "massgen-gemini",
    "ag2": "massgen-ag2",
}


def install_command(dist: str, *, upgrade: bool = False) -> str:
    """The command that installs ``dist`` where this ``massgen`` finds it (``massgen install``, not
    whichever ``pip`` is first on PATH); for MassGen's own plugins, which are not on PyPI yet, also
    how to install one from a clone of the repository."""
    command = f"massgen install {'-U ' if upgrade else ''}{dist}"
    if dist in KNOWN_TYPES.values():
        command += f" (or, from a clone of the repository: massgen install -e plugins/{dist})"
    return command
