"""Property: whatever sequence of file operations an agent tries — with ``..``, symlinks and
absolute paths, in either phase — nothing outside its allowed roots is written, no protected path
changes, and write context paths change only during the final presentation.

Checked for the built-in file tools (in process) and for shell commands confined by the sandbox
(what ``execute_command`` runs).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shlex
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from massgen_core.tools.commands.runner import run_command
from massgen_core.tools.sandbox import available as landlock_available
from massgen_core.tools.workspace import AgentAccess, file_tools

# where an operation may point, relative to the workspace (absolute forms are added below)
TARGETS = [
    "",
    ".",
    "..",
    "notes.txt",
    "sub/deep/file.txt",
    "../outside",
    "../outside/secret.txt",
    "../project",
    "../project/main.py",
    "../project/.env",
    "../project/keep",
    "../project/keep/a.txt",
    "../project/src/../.env",
    "../docs/guide.md",
    "../views/agent2/answer.txt",
    "../internal/state.json",
    "to_outside",
    "to_outside/secret.txt",
    "to_env",
    "to_keep/a.txt",
    "to_project/main.py",
    "to_project/.env",
    "sub/../../outside/x",
]
SUFFIXES = ["", "/new.txt", "/..", "/../.env", "/.."]
UNTOUCHABLE = ("outside", "docs", "views", "internal")


def build(root: Path) -> AgentAccess:
    for name in ("ws", "project/src", "project/keep", "docs", "views/agent2", "outside", "internal"):
        (root / name).mkdir(parents=True, exist_ok=True)
    files = {
        "project/main.py": "print(1)\n",
        "project/.env": "KEY=1\n",
        "project/keep/a.txt": "a\n",
        "docs/guide.md": "guide\n",
        "views/agent2/answer.txt": "theirs\n",
        "outside/secret.txt": "secret\n",
        "internal/state.json": "{}\n",
    }
    for name, text in files.items():
        (root / name).write_text(text)
    for link, target in (
        ("to_outside", "outside"),
        ("to_env", "project/.env"),
        ("to_keep", "project/keep"),
        ("to_project", "project"),
    ):
        (root / "ws" / link).symlink_to(root / target)
    return AgentAccess(
        "a1",
        workspace=root / "ws",
        snapshots=root / "views",
        context=[
            (root / "project", True, [root / "project" / ".env", root / "project" / "keep"]),
            (root / "docs", False, []),
        ],
        hidden=[root / "internal"],
    )


def fresh_root(tmp: str) -> Path:
    """The tree's root, one level below the temporary directory, so ``..`` stays inside it."""
    root = Path(tmp) / "above" / "root"
    root.mkdir(parents=True)
    return root


def fingerprint(path: Path) -> dict[str, str]:
    """Every entry under ``path``: file contents (hashed), link targets, directories."""
    out: dict[str, str] = {}
    if not os.path.lexists(path):
        return out
    if path.is_symlink() or path.is_file():
        return {
            ".": os.readlink(path) if path.is_symlink() else hashlib.sha256(path.read_bytes()).hexdigest()
        }
    for current, dirs, files in os.walk(path):
        for name in dirs + files:
            full = Path(current) / name
            key = str(full.relative_to(path))
            if full.is_symlink():
                out[key] = "link:" + os.readlink(full)
            elif full.is_dir():
                out[key] = "dir"
            else:
                out[key] = hashlib.sha256(full.read_bytes()).hexdigest()
    return out


def guarded(root: Path) -> dict[str, dict[str, str]]:
    parts = {name: fingerprint(root / name) for name in UNTOUCHABLE}
    parts[".env"] = fingerprint(root / "project" / ".env")
    parts["keep"] = fingerprint(root / "project" / "keep")
    parts["top"] = {p.name: "" for p in root.iterdir()}
    parts["above"] = {p.name: "" for p in root.parent.iterdir()}  # ".." climbs at most this far
    return parts


paths = st.builds(
    lambda target, suffix, absolute: ((target + suffix) if target else suffix.lstrip("/"), absolute),
    st.sampled_from(TARGETS),
    st.sampled_from(SUFFIXES),
    st.booleans(),
)
operations = st.lists(
    st.tuples(
        st.sampled_from(
            ["write_file", "append", "create_directory", "delete_path", "move_path", "read_file", "link"]
        ),
        paths,
        paths,
        st.booleans(),  # in the final presentation?
    ),
    min_size=1,
    max_size=8,
)


def as_path(root: Path, spec: tuple[str, bool]) -> str:
    raw, absolute = spec
    return str(root / "ws" / raw) if absolute else (raw or ".")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_file_tools_never_write_outside_the_rules(
    ops: list[tuple[str, tuple[str, bool], tuple[str, bool], bool]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = fresh_root(tmp)
        access = build(root)
        tools = {t.definition.name: t for t in file_tools(access)}
        before = guarded(root)

        async def play() -> None:
            for name, first, second, final in ops:
                (access.begin_final_presentation if final else access.end_final_presentation)()
                project_before = fingerprint(root / "project")
                a, b = as_path(root, first), as_path(root, second)
                if name == "link":  # what a command in the workspace could do: make any symlink there
                    link = root / "ws" / f"l{len(a) % 7}"
                    if not os.path.lexists(link):
                        link.symlink_to(b)
                    continue
                table: dict[str, dict[str, Any]] = {
                    "write_file": {"path": a, "content": "X"},
                    "append": {"path": a, "content": "Y", "append": True},
                    "create_directory": {"path": a},
                    "delete_path": {"path": a},
                    "move_path": {"source": a, "destination": b},
                    "read_file": {"path": a},
                }
                args = table[name]
                await tools["write_file" if name == "append" else name].call(args)
                if not final:
                    assert fingerprint(root / "project") == project_before, (name, args)

        asyncio.run(play())
        assert guarded(root) == before


SHELL_OPS = [
    "echo X > {a}",
    "echo Y >> {a}",
    "mkdir -p {a}",
    "rm -rf {a}",
    "mv {a} {b}",
    "cp {a} {b}",
    "ln -s {a} {b}",
    "ln {a} {b}",
    "touch {a}",
    "truncate -s 0 {a}",
    "cd {a} && echo Z > escaped.txt",
]


@pytest.mark.skipif(not landlock_available(), reason="Landlock is not available on this machine")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(SHELL_OPS), paths, paths), min_size=1, max_size=6),
    st.booleans(),
)
def test_confined_commands_never_write_outside_the_rules(
    ops: list[tuple[str, tuple[str, bool], tuple[str, bool]]], final: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = fresh_root(tmp)
        access = build(root)
        if final:
            access.begin_final_presentation()
        before = guarded(root)
        project_before = fingerprint(root / "project")
        script = "; ".join(
            op.format(a=shlex.quote(as_path(root, a)), b=shlex.quote(as_path(root, b))) for op, a, b in ops
        )
        result = asyncio.run(
            run_command(
                script,
                cwd=root / "ws",
                env={"PATH": os.environ["PATH"]},
                timeout=20,
                max_output=10_000,
                sandbox=access.rules().sandbox_paths(),
            )
        )
        assert not result.timed_out
        assert guarded(root) == before, script
        if not final:
            assert fingerprint(root / "project") == project_before, script
