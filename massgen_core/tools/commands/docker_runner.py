"""Running one shell command in a fresh container (``command_line_execution_mode: docker``).

Each command gets its own container, made from the agent's *current* access rules and removed
when the command ends, fails, times out or is cancelled:

* the agent's readable roots are bind-mounted at the same paths (workspace and scratch
  read-write; context paths read-only, or read-write for the final presenter when their
  permission is ``write``); protected paths and read-only roots nested in writable ones are
  mounted read-only over them; MassGen's own directories inside them are hidden;
* no network unless the config says otherwise; the CPU and memory limits of the config; a
  process limit; no capabilities; the host user's uid:gid, so files written keep their owner;
* ``/bin/sh -c COMMAND`` in the requested directory, output capped like local mode's
  (:class:`~.runner.OutputCapture`), the whole container killed at the timeout.

A container per command (rather than one per agent with ``docker exec``) costs about 0.2 s more
per command, and buys: the timeout stops everything the command started (``docker exec`` cannot
be killed), nothing a command leaves running outlives it (as in local mode), every command sees
the permissions of the moment (the final presenter's writable context paths), and there is no
long-lived container to leak.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..sandbox.docker import DockerUnavailable, connect, daemon_address, missing_image_message
from ..workspace.access import AccessRules
from .runner import PIPE_GRACE, SHELL, CommandResult, OutputCapture

if TYPE_CHECKING:
    from docker import DockerClient  # type: ignore[import-untyped,import-not-found,unused-ignore]

__all__ = [
    "CONTAINER_LABEL",
    "DockerSettings",
    "MountPlan",
    "live_containers",
    "mount_plan",
    "remove_live_containers",
    "run_in_container",
]

#: Label on every command container: ``docker ps -a --filter label=io.massgen.command``.
CONTAINER_LABEL = "io.massgen.command"
PIDS_LIMIT = 1024
#: Seconds an API call may take beyond the longest command (the output is read through it).
API_MARGIN = 60.0
CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@attrs.frozen(kw_only=True)
class DockerSettings:
    """The container's image and limits (from the ``command_line_docker_*`` options)."""

    image: str
    network_mode: str = "none"
    cpu_limit: float | None = None
    memory_limit: str | None = None


@attrs.frozen
class MountPlan:
    """``target -> (source, read_only)``; a ``None`` source is an empty read-only tmpfs (hidden)."""

    mounts: dict[str, tuple[str | None, bool]]


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def mount_plan(rules: AccessRules) -> MountPlan:
    """The mounts that give a container what ``rules`` give the agent, at the same paths."""
    mounts: dict[str, tuple[str | None, bool]] = {}
    mounted = [r.path for r in rules.roots if r.readable and r.path.exists()]
    for root in rules.roots:
        if root.readable and root.path.exists():
            mounts[str(root.path)] = (str(root.path), not root.writable)
    _writable, protected = rules.sandbox_paths()
    for path in protected:  # protected files and read-only roots nested in writable ones
        if Path(path).exists():
            mounts[path] = (path, True)
    for root in rules.roots:  # MassGen's own directories inside a mounted root
        if not root.readable and root.path.exists() and any(_within(root.path, m) for m in mounted):
            mounts[str(root.path)] = (None, True) if root.path.is_dir() else ("/dev/null", True)
    return MountPlan(mounts)


def _mounts(plan: MountPlan) -> list[Any]:
    from docker.types import Mount  # type: ignore[import-untyped,import-not-found,unused-ignore]

    result = []
    for target, (source, read_only) in sorted(plan.mounts.items(), key=lambda item: len(item[0])):
        if source is None:
            result.append(Mount(target, None, type="tmpfs", read_only=True, tmpfs_size=4096))
        else:
            result.append(Mount(target, source, type="bind", read_only=read_only))
    return result


# -- the containers this process has running, removed however it ends ------------------------
_live: dict[str, DockerClient] = {}
_live_lock = threading.Lock()


def live_containers() -> list[str]:
    with _live_lock:
        return list(_live)


def _forget(container_id: str) -> DockerClient | None:
    with _live_lock:
        return _live.pop(container_id, None)


def _remove(container_id: str) -> None:
    client = _forget(container_id)
    if client is not None:
        with contextlib.suppress(Exception):  # already gone, or the daemon went away
            client.api.remove_container(container_id, force=True)


def remove_live_containers() -> None:
    """Remove every container this process started and has not removed yet (signal handlers,
    exit)."""
    for container_id in live_containers():
        _remove(container_id)


atexit.register(remove_live_containers)

_clients: dict[float, DockerClient] = {}


def _client(api_timeout: float) -> DockerClient:
    if api_timeout not in _clients:
        _clients[api_timeout] = connect(timeout=api_timeout)
    return _clients[api_timeout]


def _create(
    client: DockerClient,
    command: str,
    cwd: Path,
    env: Mapping[str, str],
    rules: AccessRules,
    settings: DockerSettings,
) -> str:
    from docker.errors import ImageNotFound  # type: ignore[import-untyped,import-not-found,unused-ignore]
    from docker.types import LogConfig  # type: ignore[import-untyped,import-not-found,unused-ignore]

    api = client.api
    host_config = api.create_host_config(
        mounts=_mounts(mount_plan(rules)),
        network_mode=settings.network_mode,
        nano_cpus=None if settings.cpu_limit is None else int(settings.cpu_limit * 1e9),
        mem_limit=settings.memory_limit,
        memswap_limit=settings.memory_limit,  # no swap beyond the limit
        pids_limit=PIDS_LIMIT,
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        log_config=LogConfig(type="none"),  # the output is read from the attached stream only
    )
    try:
        created = api.create_container(
            settings.image,
            command=[SHELL, "-c", command],
            working_dir=str(cwd),
            environment=dict(env),
            user=f"{os.getuid()}:{os.getgid()}",
            labels={CONTAINER_LABEL: "1", f"{CONTAINER_LABEL}.pid": str(os.getpid())},
            host_config=host_config,
            hostname="massgen-sandbox",
            stdin_open=False,
            tty=False,
        )
    except ImageNotFound:
        raise DockerUnavailable(missing_image_message(settings.image)) from None
    container_id = str(created["Id"])
    with _live_lock:
        _live[container_id] = client
    return container_id


def _read(stream: Any, out: OutputCapture, err: OutputCapture) -> None:
    """Read the attached stream (``(stdout, stderr)`` pairs) to its end."""
    with contextlib.suppress(Exception):  # the container was removed under us
        for stdout, stderr in stream:
            if stdout:
                out.add(stdout)
            if stderr:
                err.add(stderr)


async def run_in_container(
    command: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    max_output: int,
    rules: AccessRules,
    settings: DockerSettings,
    api_timeout: float,
) -> CommandResult:
    """Run ``command`` with ``/bin/sh -c`` in a new container; never raises for the command's own
    failures. Raises :class:`DockerUnavailable` when Docker cannot run it (no daemon, no image).

    :param env: the container's whole environment (nothing of MassGen's is passed on).
    :param api_timeout: seconds a Docker API call may take; more than any command's timeout.
    """
    from docker.errors import DockerException  # type: ignore[import-untyped,import-not-found,unused-ignore]
    from requests.exceptions import RequestException

    started = time.monotonic()
    client = await asyncio.to_thread(_client, api_timeout)
    out, err = OutputCapture(max_output), OutputCapture(max_output)
    container_id: str | None = None
    try:
        try:
            container_id = await asyncio.to_thread(_create, client, command, cwd, env, rules, settings)
            api = client.api
            stream = await asyncio.to_thread(
                api.attach, container_id, stdout=True, stderr=True, stream=True, logs=False, demux=True
            )
            reader = asyncio.ensure_future(asyncio.to_thread(_read, stream, out, err))
            await asyncio.to_thread(api.start, container_id)
        except (DockerException, RequestException, OSError) as exc:
            raise DockerUnavailable(
                f"the Docker daemon at {daemon_address()} could not start the command's container: {exc}"
            ) from None
        waiter = asyncio.ensure_future(asyncio.to_thread(api.wait, container_id))
        timed_out = False
        try:
            status = await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            timed_out = True
            with contextlib.suppress(DockerException, RequestException):
                await asyncio.to_thread(api.kill, container_id)
            status = {}
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(reader), PIPE_GRACE + (1.0 if timed_out else 0.0))
        code = -1 if timed_out else int(status.get("StatusCode", -1))
    finally:
        if container_id is not None:
            _remove(container_id)  # also on cancellation; blocking for a few ms is fine here
    return CommandResult(
        exit_code=code,
        stdout=out.text(),
        stderr=err.text(),
        duration=time.monotonic() - started,
        timed_out=timed_out,
        truncated=bool(out.dropped or err.dropped),
    )


def container_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The environment a container command gets: ``PATH`` (a ``.venv``'s first when given) and
    the given variables, nothing of MassGen's own."""
    return {"PATH": CONTAINER_PATH, **env}
