"""Whether this machine can run an agent's commands as its config asks.

One check, used twice: the config loader reports its answer at the option's ``file:line:column``
(an error for a run, a warning for ``massgen validate``), and :func:`~.launch.command_line_server`
refuses to start the agent's ``execute_command`` server without it (for configs built in Python).
"""

from __future__ import annotations

from ...plugin.options import ToolOptions

__all__ = ["execution_problem"]


def execution_problem(options: ToolOptions) -> tuple[str, str] | None:
    """Why this machine cannot run the commands as ``options`` ask, as ``(key, message)`` (the
    backend block's key the problem is about, and how to fix it), or ``None``.

    With ``command_line_execution_mode: docker``: the Docker SDK for Python, a daemon that
    answers, and the image on it (the SDK is imported only then). Otherwise, unless
    ``command_line_sandbox: off``: Landlock, which confines the commands.
    """
    if options.command_line_execution_mode == "docker":
        from ..sandbox.docker import DockerUnavailable, connect, require_image

        try:
            client = connect()
            try:
                require_image(client, options.command_line_docker_image)
            finally:
                client.close()
        except DockerUnavailable as exc:
            return "command_line_execution_mode", str(exc)
        return None
    from ..sandbox import available, unavailable_reason

    if options.command_line_sandbox == "landlock" and not available():
        return (
            "enable_mcp_command_line",
            f"{unavailable_reason()}. Set `command_line_sandbox: off` to run commands unconfined "
            "(they could then write anywhere your user can)",
        )
    return None
