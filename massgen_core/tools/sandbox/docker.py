"""The Docker daemon for ``command_line_execution_mode: docker``: connecting, the image, clear errors.

The Docker SDK for Python (``pip install 'massgen-core[docker]'``) is imported here, and only when
docker mode is used. Every way of not having Docker (no SDK, no daemon, no permission on its
socket, no image) is a :class:`DockerUnavailable` whose message says how to fix it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docker import DockerClient  # type: ignore[import-untyped,import-not-found,unused-ignore]

__all__ = [
    "BUILD_COMMAND",
    "IMAGE_LABEL",
    "INSTALL_SDK",
    "DockerUnavailable",
    "connect",
    "daemon_address",
    "missing_image_message",
    "require_image",
]

INSTALL_SDK = "pip install 'massgen-core[docker]'"
BUILD_COMMAND = "massgen sandbox build"
#: The label ``massgen sandbox build`` puts on the images it makes.
IMAGE_LABEL = "io.massgen.sandbox"
START_DAEMON = (
    "start one (as root: `dockerd --bridge=none --iptables=false &`, or `systemctl start docker`; "
    "scripts/docker/ensure_dockerd.sh installs and starts it), or point DOCKER_HOST at a running daemon"
)


class DockerUnavailable(Exception):
    """Docker cannot be used; the message says why and how to fix it."""


def daemon_address() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def _reason(exc: BaseException) -> str:
    """The innermost cause of a connection failure, in a few words."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    for cause in reversed(seen):
        for arg in [cause, *getattr(cause, "args", ())]:
            if isinstance(arg, FileNotFoundError):
                return "its socket does not exist"
            if isinstance(arg, ConnectionRefusedError):
                return "connection refused"
            if isinstance(arg, PermissionError):
                return "permission denied on its socket (run as root or join the docker group)"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def connect(*, timeout: float = 10.0) -> DockerClient:
    """A client of the daemon at ``DOCKER_HOST`` (default: the local socket) that answered a ping.

    :param timeout: seconds each API call may take (a command's output is read through the same
        client, so callers that run commands pass more than the command may take).
    """
    try:
        import docker  # type: ignore[import-untyped,import-not-found,unused-ignore]
        from docker.errors import DockerException  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        raise DockerUnavailable(
            f"command_line_execution_mode: docker needs the Docker SDK for Python: {INSTALL_SDK}"
        ) from None
    from requests.exceptions import RequestException

    try:
        client = docker.DockerClient.from_env(timeout=int(max(1, timeout)))
        client.ping()
    except (DockerException, RequestException, OSError) as exc:
        raise DockerUnavailable(
            f"no Docker daemon answers at {daemon_address()} ({_reason(exc)}): {START_DAEMON}"
        ) from None
    return client


def missing_image_message(image: str) -> str:
    from ...plugin.options import DEFAULT_DOCKER_IMAGE

    if image == DEFAULT_DOCKER_IMAGE:
        fix = f"build it with `{BUILD_COMMAND}` (as root; no registry needed, one to three minutes)"
    else:
        fix = (
            f"build it with `{BUILD_COMMAND} --tag {image}`, load or pull it (`docker pull {image}`), "
            "or set command_line_docker_image to an image this daemon has"
        )
    return f"the Docker image {image} is not on the daemon at {daemon_address()}: {fix}"


def require_image(client: DockerClient, image: str) -> None:
    """Raise :class:`DockerUnavailable` unless the daemon has ``image`` (it is never pulled)."""
    from docker.errors import DockerException, ImageNotFound  # type: ignore[import-untyped,import-not-found,unused-ignore]
    from requests.exceptions import RequestException

    try:
        client.images.get(image)
    except ImageNotFound:
        raise DockerUnavailable(missing_image_message(image)) from None
    except (DockerException, RequestException, OSError) as exc:
        raise DockerUnavailable(
            f"the Docker daemon at {daemon_address()} could not be asked for image {image} ({_reason(exc)})"
        ) from None
